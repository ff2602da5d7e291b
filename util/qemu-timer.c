/*
 * Clocks and timers.  Each clock keeps its armed timers in a list sorted by
 * deadline (ties in arming order); one GSource wakes the main loop at the
 * nearest deadline of the clocks that move by themselves.
 */
#include "util/main-loop.h"
#include "util/main-loop-int.h"

#include <time.h>

struct QEMUTimer {
    QEMUClockType type;
    QEMUTimerCB *cb;
    void *opaque;
    int64_t expire; /* -1 when not armed */
    QEMUTimer *prev, *next;
};

typedef struct TimerClock {
    QEMUTimer *head, *tail;
    bool manual;
    int64_t manual_ns; /* the value of a manual clock; atomic for readers */
} TimerClock;

static TimerClock clocks[QEMU_CLOCK_MAX];

static int64_t clock_read(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    switch (type) {
    case QEMU_CLOCK_VIRTUAL:
        if (__atomic_load_n(&clocks[type].manual, __ATOMIC_ACQUIRE)) {
            return __atomic_load_n(&clocks[type].manual_ns, __ATOMIC_ACQUIRE);
        }
        return clock_read(CLOCK_MONOTONIC);
    case QEMU_CLOCK_HOST:
        return clock_read(CLOCK_REALTIME);
    case QEMU_CLOCK_REALTIME:
    default:
        return clock_read(CLOCK_MONOTONIC);
    }
}

void qemu_clock_set_manual(QEMUClockType type, bool manual)
{
    g_assert(type == QEMU_CLOCK_VIRTUAL);
    g_assert(!clocks[type].head);
    __atomic_store_n(&clocks[type].manual_ns, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&clocks[type].manual, manual, __ATOMIC_RELEASE);
}

static void timer_list_remove(QEMUTimer *t)
{
    TimerClock *c = &clocks[t->type];

    if (t->prev) {
        t->prev->next = t->next;
    } else {
        c->head = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    } else {
        c->tail = t->prev;
    }
    t->prev = t->next = NULL;
    t->expire = -1;
}

static void timer_list_insert(QEMUTimer *t)
{
    TimerClock *c = &clocks[t->type];
    QEMUTimer *after = c->tail;

    /* scan from the tail: new deadlines are usually the latest */
    while (after && after->expire > t->expire) {
        after = after->prev;
    }
    t->prev = after;
    t->next = after ? after->next : c->head;
    if (t->next) {
        t->next->prev = t;
    } else {
        c->tail = t;
    }
    if (after) {
        after->next = t;
    } else {
        c->head = t;
    }
}

QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *t = g_new0(QEMUTimer, 1);

    g_assert((unsigned)type < QEMU_CLOCK_MAX);
    main_loop_init();
    t->type = type;
    t->cb = cb;
    t->opaque = opaque;
    t->expire = -1;
    return t;
}

void timer_mod(QEMUTimer *t, int64_t expire_ns)
{
    if (t->expire >= 0) {
        timer_list_remove(t);
    }
    t->expire = expire_ns < 0 ? 0 : expire_ns;
    timer_list_insert(t);
}

void timer_del(QEMUTimer *t)
{
    if (t->expire >= 0) {
        timer_list_remove(t);
    }
}

bool timer_pending(QEMUTimer *t)
{
    return t->expire >= 0;
}

void timer_free(QEMUTimer *t)
{
    if (t) {
        timer_del(t);
        g_free(t);
    }
}

/* Runs the timers of 'type' due at 'now', earliest first; true if any ran. */
static bool timers_run_expired(QEMUClockType type, int64_t now)
{
    TimerClock *c = &clocks[type];
    bool ran = false;

    while (c->head && c->head->expire <= now) {
        QEMUTimer *t = c->head;

        timer_list_remove(t);
        t->cb(t->opaque);
        ran = true;
    }
    return ran;
}

void qemu_clock_advance_to(QEMUClockType type, int64_t ns)
{
    TimerClock *c = &clocks[type];

    g_assert(c->manual);
    /* step through each deadline so a callback sees the clock at its own time */
    while (c->head && c->head->expire <= ns) {
        int64_t when = c->head->expire;

        if (when > c->manual_ns) {
            __atomic_store_n(&c->manual_ns, when, __ATOMIC_RELEASE);
        }
        timers_run_expired(type, c->manual_ns);
    }
    if (ns > c->manual_ns) {
        __atomic_store_n(&c->manual_ns, ns, __ATOMIC_RELEASE);
    }
}

int64_t qemu_clock_deadline_ns(QEMUClockType type)
{
    TimerClock *c = &clocks[type];
    int64_t delta;

    if (!c->head) {
        return -1;
    }
    delta = c->head->expire - qemu_clock_get_ns(type);
    return delta < 0 ? 0 : delta;
}

/* ---- the GSource ---- */

static gboolean timers_source_prepare(GSource *src, gint *timeout)
{
    int64_t nearest = -1;

    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        int64_t d = qemu_clock_deadline_ns(i);

        /* a manual clock only fires when moved, or for already-due timers */
        if (d < 0 || (clocks[i].manual && d > 0)) {
            continue;
        }
        if (nearest < 0 || d < nearest) {
            nearest = d;
        }
    }
    if (nearest < 0) {
        *timeout = -1;
        return FALSE;
    }
    /* round up: waking early would just spin until the deadline */
    *timeout = (gint)MIN((nearest + 999999) / 1000000, (int64_t)G_MAXINT);
    return nearest == 0;
}

static gboolean timers_source_check(GSource *src)
{
    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        if (qemu_clock_deadline_ns(i) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean timers_source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        timers_run_expired(i, qemu_clock_get_ns(i));
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timers_source_funcs = {
    .prepare = timers_source_prepare,
    .check = timers_source_check,
    .dispatch = timers_source_dispatch,
};

void timers_source_attach(void)
{
    GSource *src = g_source_new(&timers_source_funcs, sizeof(GSource));

    g_source_set_name(src, "minivm-timers");
    g_source_set_can_recurse(src, TRUE);
    g_source_attach(src, NULL);
}
