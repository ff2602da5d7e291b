/*
 * The main loop: one glib GMainContext (the default one) run by the main
 * thread.  Every monitor, chardev, block-layer completion and job runs here;
 * vCPU threads and worker threads hand work to it with bottom halves.
 *
 * Thread rules: functions marked "any thread" may be called from any thread;
 * everything else must run on the main thread.
 */
#ifndef UTIL_MAIN_LOOP_H
#define UTIL_MAIN_LOOP_H

#include "util/osdep.h"

void main_loop_init(void);
/* Runs until main_loop_quit(); returns the value passed to it. */
int main_loop_run(void);
/* Any thread.  Makes main_loop_run() return 'status' after this iteration. */
void main_loop_quit(int status);
bool main_loop_should_quit(void);
/*
 * Runs one iteration of the loop; with blocking=true waits for at least one
 * event.  Returns true if any handler ran.  Used by synchronous callers that
 * wait for coroutine work (see MAIN_LOOP_WAIT_WHILE).
 */
bool main_loop_iterate(bool blocking);
/* Any thread: wakes a main_loop_iterate() that is blocked. */
void main_loop_wakeup(void);

/* Waits, running the main loop, while cond is true.  Main thread only. */
#define MAIN_LOOP_WAIT_WHILE(cond)                                                                 \
    do {                                                                                           \
        while (cond) {                                                                             \
            main_loop_iterate(true);                                                               \
        }                                                                                          \
    } while (0)

/* fd handlers: level-triggered, called on the main thread.  NULL removes. */
typedef void IOHandler(void *opaque);
void qemu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write, void *opaque);

/*
 * Bottom halves: a callback run once on the main thread soon after being
 * scheduled.  qemu_bh_schedule may be called from any thread.
 */
typedef void QEMUBHFunc(void *opaque);
typedef struct QEMUBH QEMUBH;
QEMUBH *qemu_bh_new(QEMUBHFunc *cb, void *opaque);
void qemu_bh_schedule(QEMUBH *bh);      /* any thread */
void qemu_bh_cancel(QEMUBH *bh);
void qemu_bh_delete(QEMUBH *bh);
/* Any thread: runs cb(opaque) once on the main thread, no handle to manage. */
void main_loop_schedule_oneshot(QEMUBHFunc *cb, void *opaque);

/*
 * Clocks and timers.
 * - REALTIME: host monotonic time, always moving.
 * - VIRTUAL: guest time.  Follows REALTIME, except under -accel qtest, where
 *   it only moves when qtest_clock_step/qtest_clock_set says so.
 * - HOST: wall-clock (CLOCK_REALTIME), for timestamps.
 */
typedef enum {
    QEMU_CLOCK_REALTIME,
    QEMU_CLOCK_VIRTUAL,
    QEMU_CLOCK_HOST,
    QEMU_CLOCK_MAX,
} QEMUClockType;

int64_t qemu_clock_get_ns(QEMUClockType type);   /* any thread */
static inline int64_t qemu_clock_get_ms(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / 1000000;
}

/* Switches VIRTUAL to manual mode (qtest).  Call before any timer exists. */
void qemu_clock_set_manual(QEMUClockType type, bool manual);
/* Manual clocks only: moves the clock to 'ns' and runs expired timers. */
void qemu_clock_advance_to(QEMUClockType type, int64_t ns);
/* Next deadline of the clock's timers in ns from now, or -1 for none. */
int64_t qemu_clock_deadline_ns(QEMUClockType type);

typedef void QEMUTimerCB(void *opaque);
typedef struct QEMUTimer QEMUTimer;
QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque);
/* Arms the timer to fire when the clock reaches expire_ns (absolute). */
void timer_mod(QEMUTimer *t, int64_t expire_ns);
void timer_del(QEMUTimer *t);
bool timer_pending(QEMUTimer *t);
void timer_free(QEMUTimer *t);

#endif
