/*
 * Coroutines: cooperative user-level threads of the main loop, so block-layer
 * code and jobs read as straight-line code that yields while I/O is in flight.
 *
 * A coroutine runs on the thread that entered it (always the main thread in
 * minivm) until it yields; then control returns to whoever entered it.  It is
 * resumed by qemu_coroutine_enter() (main thread, not from inside another
 * coroutine's entry chain that includes it) or aio_co_wake() (any thread).
 */
#ifndef UTIL_COROUTINE_H
#define UTIL_COROUTINE_H

#include "util/osdep.h"
#include "util/main-loop.h"

typedef struct Coroutine Coroutine;
typedef void coroutine_fn CoroutineEntry(void *opaque);

Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque);
/* Starts or resumes co; returns when it yields or terminates (then it is freed). */
void qemu_coroutine_enter(Coroutine *co);
void qemu_coroutine_enter_if_inactive(Coroutine *co);
void coroutine_fn qemu_coroutine_yield(void);
Coroutine *qemu_coroutine_self(void);
bool qemu_in_coroutine(void);
/* True while co has been entered and has not yet yielded back. */
bool qemu_coroutine_entered(Coroutine *co);

/* Any thread: re-enters co from the main loop (a bottom half). */
void aio_co_wake(Coroutine *co);

/* Sleeps on the given clock; returns early if qemu_co_sleep_wake() is called. */
typedef struct QemuCoSleep {
    Coroutine *to_wake;
} QemuCoSleep;
void coroutine_fn qemu_co_sleep_ns_wakeable(QemuCoSleep *w, QEMUClockType type, int64_t ns);
void qemu_co_sleep_wake(QemuCoSleep *w);
void coroutine_fn qemu_co_sleep_ns(QEMUClockType type, int64_t ns);

/* A FIFO of waiting coroutines. */
typedef struct CoQueue {
    GQueue waiters;
} CoQueue;
void qemu_co_queue_init(CoQueue *q);
void coroutine_fn qemu_co_queue_wait(CoQueue *q);
/* Wakes the first waiter (scheduled, not entered inline); returns false if none. */
bool qemu_co_queue_next(CoQueue *q);
void qemu_co_queue_restart_all(CoQueue *q);
bool qemu_co_queue_empty(CoQueue *q);

/* A mutex between coroutines (never between threads). */
typedef struct CoMutex {
    bool locked;
    Coroutine *holder;
    CoQueue waiters;
} CoMutex;
void qemu_co_mutex_init(CoMutex *m);
void coroutine_fn qemu_co_mutex_lock(CoMutex *m);
void coroutine_fn qemu_co_mutex_unlock(CoMutex *m);

/* A readers-writer lock between coroutines. */
typedef struct CoRwlock {
    int readers;
    bool writer;
    CoQueue queue;
} CoRwlock;
void qemu_co_rwlock_init(CoRwlock *l);
void coroutine_fn qemu_co_rwlock_rdlock(CoRwlock *l);
void coroutine_fn qemu_co_rwlock_wrlock(CoRwlock *l);
void coroutine_fn qemu_co_rwlock_unlock(CoRwlock *l);

/*
 * Runs fn(opaque) in a new coroutine and, from outside coroutine context,
 * runs the main loop until it has finished (from inside a coroutine it simply
 * calls fn).  For synchronous callers such as tools and monitor commands.
 */
void coroutine_run_sync(CoroutineEntry *fn, void *opaque);

/*
 * Worker threads for blocking system calls.  fn runs on a pool thread; the
 * calling coroutine yields until it returns and gets its return value.
 */
typedef int ThreadPoolFunc(void *opaque);
int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *fn, void *opaque);

#endif
