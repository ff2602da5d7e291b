/*
 * Sleeping coroutines, woken by a main-loop timer or early by
 * qemu_co_sleep_wake().
 */
#include "util/coroutine.h"
#include "util/coroutine-int.h"

static void co_sleep_timer_fired(void *opaque)
{
    QemuCoSleep *w = opaque;
    Coroutine *co = w->to_wake;

    if (!co) {
        return;
    }
    w->to_wake = NULL;
    /* from the main loop proper we may enter it right away */
    if (qemu_in_coroutine()) {
        coroutine_wake_deferred(co);
    } else {
        qemu_coroutine_enter(co);
    }
}

void qemu_co_sleep_wake(QemuCoSleep *w)
{
    Coroutine *co = w->to_wake;

    if (co) {
        w->to_wake = NULL;
        coroutine_wake_deferred(co);
    }
}

void coroutine_fn qemu_co_sleep_ns_wakeable(QemuCoSleep *w, QEMUClockType type, int64_t ns)
{
    QEMUTimer *t;

    if (!qemu_in_coroutine()) {
        fprintf(stderr, "qemu_co_sleep_ns called outside coroutine context\n");
        abort();
    }
    t = timer_new_ns(type, co_sleep_timer_fired, w);
    w->to_wake = qemu_coroutine_self();
    timer_mod(t, qemu_clock_get_ns(type) + (ns > 0 ? ns : 0));
    qemu_coroutine_yield();
    timer_free(t);
    w->to_wake = NULL;
}

void coroutine_fn qemu_co_sleep_ns(QEMUClockType type, int64_t ns)
{
    QemuCoSleep w = {0};

    qemu_co_sleep_ns_wakeable(&w, type, ns);
}
