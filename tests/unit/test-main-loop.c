/*
 * Main loop: bottom halves, fd handlers, timers and clocks.
 */
#include <check.h>
#include <pthread.h>

#include "util/main-loop.h"

/* ---- bottom halves ---- */

static int bh_runs;

static void bh_count(void *opaque)
{
    bh_runs++;
    if (opaque) {
        main_loop_quit(7);
    }
}

static void *thread_schedule_bh(void *opaque)
{
    g_usleep(20000);
    qemu_bh_schedule(opaque);
    return NULL;
}

START_TEST(test_bh_from_thread)
{
    QEMUBH *bh;
    pthread_t tid;

    main_loop_init();
    bh = qemu_bh_new(bh_count, (void *)1);
    pthread_create(&tid, NULL, thread_schedule_bh, bh);
    /* the main thread sleeps in poll until the other thread's schedule */
    ck_assert_int_eq(main_loop_run(), 7);
    ck_assert_int_eq(bh_runs, 1);
    pthread_join(tid, NULL);
    qemu_bh_delete(bh);
}
END_TEST

START_TEST(test_bh_schedule_twice_runs_once)
{
    QEMUBH *bh = qemu_bh_new(bh_count, NULL);

    main_loop_init();
    qemu_bh_schedule(bh);
    qemu_bh_schedule(bh);
    ck_assert(main_loop_iterate(false));
    ck_assert_int_eq(bh_runs, 1);
    ck_assert(!main_loop_iterate(false));
    ck_assert_int_eq(bh_runs, 1);
    qemu_bh_delete(bh);
}
END_TEST

START_TEST(test_bh_cancel_and_delete)
{
    QEMUBH *a = qemu_bh_new(bh_count, NULL);
    QEMUBH *b = qemu_bh_new(bh_count, NULL);

    main_loop_init();
    qemu_bh_schedule(a);
    qemu_bh_schedule(b);
    qemu_bh_cancel(a);
    qemu_bh_delete(b);
    ck_assert(!main_loop_iterate(false));
    ck_assert_int_eq(bh_runs, 0);
    qemu_bh_schedule(a);
    main_loop_iterate(false);
    ck_assert_int_eq(bh_runs, 1);
    qemu_bh_delete(a);
    qemu_bh_delete(NULL);
}
END_TEST

static GString *order;
static QEMUBH *bh_self_ref;

static void bh_record(void *opaque)
{
    g_string_append(order, opaque);
}

static void bh_reschedule_self(void *opaque)
{
    g_string_append(order, "r");
    if (order->len < 3) {
        qemu_bh_schedule(bh_self_ref);
    }
}

START_TEST(test_bh_order_and_reschedule)
{
    QEMUBH *a, *b, *c;

    main_loop_init();
    order = g_string_new("");
    a = qemu_bh_new(bh_record, "a");
    b = qemu_bh_new(bh_record, "b");
    c = qemu_bh_new(bh_record, "c");
    qemu_bh_schedule(c);
    qemu_bh_schedule(a);
    qemu_bh_schedule(b);
    main_loop_iterate(false);
    ck_assert_str_eq(order->str, "cab");

    /* a BH that reschedules itself runs once per iteration, not in a loop */
    g_string_truncate(order, 0);
    bh_self_ref = qemu_bh_new(bh_reschedule_self, NULL);
    qemu_bh_schedule(bh_self_ref);
    main_loop_iterate(false);
    ck_assert_str_eq(order->str, "r");
    main_loop_iterate(false);
    main_loop_iterate(false);
    ck_assert_str_eq(order->str, "rrr");
    ck_assert(!main_loop_iterate(false));
    qemu_bh_delete(a);
    qemu_bh_delete(b);
    qemu_bh_delete(c);
    qemu_bh_delete(bh_self_ref);
}
END_TEST

static QEMUBH *deleting_bh;

static void bh_delete_self(void *opaque)
{
    bh_runs++;
    qemu_bh_delete(deleting_bh);
}

START_TEST(test_bh_delete_in_callback)
{
    main_loop_init();
    deleting_bh = qemu_bh_new(bh_delete_self, NULL);
    qemu_bh_schedule(deleting_bh);
    main_loop_iterate(false);
    ck_assert_int_eq(bh_runs, 1);
}
END_TEST

#define ONESHOT_THREADS 4
#define ONESHOT_PER_THREAD 2500

static int oneshot_runs;

static void oneshot_cb(void *opaque)
{
    oneshot_runs++;
    if (oneshot_runs == ONESHOT_THREADS * ONESHOT_PER_THREAD) {
        main_loop_quit(0);
    }
}

static void *thread_oneshots(void *opaque)
{
    for (int i = 0; i < ONESHOT_PER_THREAD; i++) {
        main_loop_schedule_oneshot(oneshot_cb, NULL);
    }
    return NULL;
}

START_TEST(test_oneshot_from_threads)
{
    pthread_t tids[ONESHOT_THREADS];

    main_loop_init();
    for (int i = 0; i < ONESHOT_THREADS; i++) {
        pthread_create(&tids[i], NULL, thread_oneshots, NULL);
    }
    ck_assert_int_eq(main_loop_run(), 0);
    ck_assert_int_eq(oneshot_runs, ONESHOT_THREADS * ONESHOT_PER_THREAD);
    for (int i = 0; i < ONESHOT_THREADS; i++) {
        pthread_join(tids[i], NULL);
    }
}
END_TEST

static void *thread_quit(void *opaque)
{
    g_usleep(20000);
    main_loop_quit(42);
    return NULL;
}

START_TEST(test_quit_from_thread)
{
    pthread_t tid;

    main_loop_init();
    ck_assert(!main_loop_should_quit());
    pthread_create(&tid, NULL, thread_quit, NULL);
    ck_assert_int_eq(main_loop_run(), 42);
    pthread_join(tid, NULL);
    /* the loop can be run again */
    ck_assert(!main_loop_should_quit());
    main_loop_quit(3);
    ck_assert(main_loop_should_quit());
    ck_assert_int_eq(main_loop_run(), 3);
}
END_TEST

static bool inner_done;

static void bh_inner(void *opaque)
{
    inner_done = true;
}

static void bh_outer_waits(void *opaque)
{
    QEMUBH *inner = qemu_bh_new(bh_inner, NULL);

    qemu_bh_schedule(inner);
    MAIN_LOOP_WAIT_WHILE(!inner_done);
    qemu_bh_delete(inner);
    main_loop_quit(0);
}

START_TEST(test_nested_wait_in_bh)
{
    QEMUBH *outer = qemu_bh_new(bh_outer_waits, NULL);

    main_loop_init();
    qemu_bh_schedule(outer);
    main_loop_run();
    ck_assert(inner_done);
    qemu_bh_delete(outer);
}
END_TEST

/* ---- fd handlers ---- */

typedef struct PipeCtx {
    int fds[2];
    int reads;
    int writes;
    int other_reads;
    char last;
    bool consume;
    bool remove_in_read;
} PipeCtx;

static void pipe_read(void *opaque)
{
    PipeCtx *p = opaque;

    p->reads++;
    if (p->consume) {
        ck_assert_int_eq(read(p->fds[0], &p->last, 1), 1);
    }
    if (p->remove_in_read) {
        qemu_set_fd_handler(p->fds[0], NULL, NULL, NULL);
    }
}

static void pipe_read_other(void *opaque)
{
    PipeCtx *p = opaque;

    p->other_reads++;
    ck_assert_int_eq(read(p->fds[0], &p->last, 1), 1);
}

static void pipe_write(void *opaque)
{
    PipeCtx *p = opaque;

    p->writes++;
    qemu_set_fd_handler(p->fds[1], NULL, NULL, NULL);
}

START_TEST(test_fd_handlers)
{
    PipeCtx p = {.consume = true};

    main_loop_init();
    ck_assert_int_eq(pipe(p.fds), 0);
    qemu_set_fd_handler(p.fds[0], pipe_read, NULL, &p);
    ck_assert(!main_loop_iterate(false));
    ck_assert_int_eq(write(p.fds[1], "x", 1), 1);
    ck_assert(main_loop_iterate(true));
    ck_assert_int_eq(p.reads, 1);
    ck_assert_int_eq(p.last, 'x');

    /* re-registering replaces the callback */
    qemu_set_fd_handler(p.fds[0], pipe_read_other, NULL, &p);
    ck_assert_int_eq(write(p.fds[1], "y", 1), 1);
    main_loop_iterate(true);
    ck_assert_int_eq(p.reads, 1);
    ck_assert_int_eq(p.other_reads, 1);
    ck_assert_int_eq(p.last, 'y');

    /* a write handler on the other end fires and removes itself */
    qemu_set_fd_handler(p.fds[1], NULL, pipe_write, &p);
    main_loop_iterate(true);
    ck_assert_int_eq(p.writes, 1);
    ck_assert(!main_loop_iterate(false));

    /* removal */
    qemu_set_fd_handler(p.fds[0], NULL, NULL, NULL);
    ck_assert_int_eq(write(p.fds[1], "z", 1), 1);
    ck_assert(!main_loop_iterate(false));
    ck_assert_int_eq(p.other_reads, 1);
    close(p.fds[0]);
    close(p.fds[1]);
}
END_TEST

START_TEST(test_fd_level_triggered)
{
    PipeCtx p = {.consume = false};

    main_loop_init();
    ck_assert_int_eq(pipe(p.fds), 0);
    ck_assert_int_eq(write(p.fds[1], "x", 1), 1);
    qemu_set_fd_handler(p.fds[0], pipe_read, NULL, &p);
    main_loop_iterate(false);
    main_loop_iterate(false);
    main_loop_iterate(false);
    ck_assert_int_eq(p.reads, 3);
    /* removal from inside the callback */
    p.remove_in_read = true;
    main_loop_iterate(false);
    ck_assert_int_eq(p.reads, 4);
    ck_assert(!main_loop_iterate(false));
    ck_assert_int_eq(p.reads, 4);
    close(p.fds[0]);
    close(p.fds[1]);
}
END_TEST

static int nested_depth, nested_max;

static void pipe_read_nested(void *opaque)
{
    PipeCtx *p = opaque;

    p->reads++;
    nested_depth++;
    if (nested_depth > nested_max) {
        nested_max = nested_depth;
    }
    /* the data stays unread: only recursion protection stops a re-entry */
    if (p->reads == 1) {
        main_loop_iterate(false);
        main_loop_iterate(false);
    }
    nested_depth--;
}

START_TEST(test_fd_handler_not_reentered)
{
    PipeCtx p = {0};

    main_loop_init();
    ck_assert_int_eq(pipe(p.fds), 0);
    ck_assert_int_eq(write(p.fds[1], "x", 1), 1);
    qemu_set_fd_handler(p.fds[0], pipe_read_nested, NULL, &p);
    main_loop_iterate(false);
    ck_assert_int_eq(p.reads, 1);
    ck_assert_int_eq(nested_max, 1);
    main_loop_iterate(false);
    ck_assert_int_eq(p.reads, 2);
    qemu_set_fd_handler(p.fds[0], NULL, NULL, NULL);
    close(p.fds[0]);
    close(p.fds[1]);
}
END_TEST

/* ---- timers ---- */

typedef struct TimerRec {
    QEMUClockType type;
    int id;
    int64_t seen_ns;
} TimerRec;

static GString *fired;

static void timer_record(void *opaque)
{
    TimerRec *r = opaque;

    g_string_append_printf(fired, "%d", r->id);
    r->seen_ns = qemu_clock_get_ns(r->type);
}

static void timer_quit(void *opaque)
{
    main_loop_quit(0);
}

START_TEST(test_timers_realtime_order)
{
    static const int delays_ms[] = {40, 10, 30, 20, 50};
    TimerRec recs[5];
    QEMUTimer *timers[5];
    QEMUTimer *stop, *cancelled;
    TimerRec cancelled_rec = {.id = 9};
    int64_t start;

    main_loop_init();
    fired = g_string_new("");
    start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    for (int i = 0; i < 5; i++) {
        recs[i] = (TimerRec){.type = QEMU_CLOCK_REALTIME, .id = i};
        timers[i] = timer_new_ns(QEMU_CLOCK_REALTIME, timer_record, &recs[i]);
        timer_mod(timers[i], start + delays_ms[i] * 1000000LL);
        ck_assert(timer_pending(timers[i]));
    }
    cancelled = timer_new_ns(QEMU_CLOCK_REALTIME, timer_record, &cancelled_rec);
    timer_mod(cancelled, start + 5 * 1000000LL);
    timer_del(cancelled);
    ck_assert(!timer_pending(cancelled));
    stop = timer_new_ns(QEMU_CLOCK_REALTIME, timer_quit, NULL);
    timer_mod(stop, start + 60 * 1000000LL);
    ck_assert_int_gt(qemu_clock_deadline_ns(QEMU_CLOCK_REALTIME), 5 * 1000000LL);
    ck_assert_int_le(qemu_clock_deadline_ns(QEMU_CLOCK_REALTIME), 10 * 1000000LL);
    main_loop_run();
    ck_assert_str_eq(fired->str, "13204");
    for (int i = 0; i < 5; i++) {
        ck_assert(!timer_pending(timers[i]));
        ck_assert_int_ge(recs[i].seen_ns, start + delays_ms[i] * 1000000LL);
        timer_free(timers[i]);
    }
    /* no timer armed: no deadline */
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_REALTIME), -1);
    timer_free(cancelled);
    timer_free(stop);
}
END_TEST

START_TEST(test_timer_rearm_and_free_pending)
{
    TimerRec r = {.type = QEMU_CLOCK_REALTIME, .id = 1};
    QEMUTimer *t;
    int64_t now;

    main_loop_init();
    fired = g_string_new("");
    t = timer_new_ns(QEMU_CLOCK_REALTIME, timer_record, &r);
    now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    timer_mod(t, now + 3600 * 1000000000LL);
    /* moving the deadline earlier takes effect */
    timer_mod(t, now);
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_REALTIME), 0);
    main_loop_iterate(false);
    ck_assert_str_eq(fired->str, "1");
    timer_mod(t, now + 3600 * 1000000000LL);
    timer_free(t);
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_REALTIME), -1);
    timer_free(NULL);
}
END_TEST

START_TEST(test_virtual_clock_manual)
{
    TimerRec recs[4];
    QEMUTimer *timers[4];
    static const int64_t when[] = {100, 50, 200, 100};

    main_loop_init();
    fired = g_string_new("");
    qemu_clock_set_manual(QEMU_CLOCK_VIRTUAL, true);
    ck_assert_int_eq(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 0);
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_VIRTUAL), -1);
    for (int i = 0; i < 4; i++) {
        recs[i] = (TimerRec){.type = QEMU_CLOCK_VIRTUAL, .id = i};
        timers[i] = timer_new_ns(QEMU_CLOCK_VIRTUAL, timer_record, &recs[i]);
        timer_mod(timers[i], when[i]);
    }
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_VIRTUAL), 50);
    /* the clock does not move by itself and nothing fires */
    g_usleep(2000);
    ck_assert(!main_loop_iterate(false));
    ck_assert_int_eq(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 0);

    qemu_clock_advance_to(QEMU_CLOCK_VIRTUAL, 150);
    /* deadline order, ties in arming order; each sees its own deadline */
    ck_assert_str_eq(fired->str, "103");
    ck_assert_int_eq(recs[1].seen_ns, 50);
    ck_assert_int_eq(recs[0].seen_ns, 100);
    ck_assert_int_eq(recs[3].seen_ns, 100);
    ck_assert_int_eq(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 150);
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_VIRTUAL), 50);

    /* a timer armed in the past fires from the main loop */
    timer_mod(timers[1], 10);
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_VIRTUAL), 0);
    ck_assert(main_loop_iterate(false));
    ck_assert_str_eq(fired->str, "1031");

    qemu_clock_advance_to(QEMU_CLOCK_VIRTUAL, 1000);
    ck_assert_str_eq(fired->str, "10312");
    ck_assert_int_eq(recs[2].seen_ns, 200);
    ck_assert_int_eq(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 1000);
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_VIRTUAL), -1);
    /* the clock never goes backwards */
    qemu_clock_advance_to(QEMU_CLOCK_VIRTUAL, 500);
    ck_assert_int_eq(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 1000);
    for (int i = 0; i < 4; i++) {
        timer_free(timers[i]);
    }
}
END_TEST

static QEMUTimer *chain_timer;
static int chain_count;

static void timer_chain(void *opaque)
{
    chain_count++;
    /* re-arming from the callback, relative to the clock it saw */
    if (chain_count < 5) {
        timer_mod(chain_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + 10);
    }
}

START_TEST(test_virtual_clock_rearm_in_callback)
{
    main_loop_init();
    qemu_clock_set_manual(QEMU_CLOCK_VIRTUAL, true);
    chain_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, timer_chain, NULL);
    timer_mod(chain_timer, 10);
    qemu_clock_advance_to(QEMU_CLOCK_VIRTUAL, 35);
    ck_assert_int_eq(chain_count, 3);
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_VIRTUAL), 5);
    qemu_clock_advance_to(QEMU_CLOCK_VIRTUAL, 100);
    ck_assert_int_eq(chain_count, 5);
    timer_free(chain_timer);
}
END_TEST

START_TEST(test_clocks)
{
    int64_t a = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    int64_t v = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t h = qemu_clock_get_ms(QEMU_CLOCK_HOST);

    g_usleep(1000);
    ck_assert_int_gt(qemu_clock_get_ns(QEMU_CLOCK_REALTIME), a);
    /* VIRTUAL follows REALTIME unless manual */
    ck_assert_int_gt(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), v);
    /* HOST is the wall clock, in ms since the epoch */
    ck_assert_int_gt(h, 1600000000000LL);
    ck_assert_int_lt(llabs(h - g_get_real_time() / 1000), 1000);
}
END_TEST

static void host_timer_cb(void *opaque)
{
    *(bool *)opaque = true;
    main_loop_quit(0);
}

START_TEST(test_host_clock_timer)
{
    bool done = false;
    QEMUTimer *t;

    main_loop_init();
    t = timer_new_ns(QEMU_CLOCK_HOST, host_timer_cb, &done);
    timer_mod(t, qemu_clock_get_ns(QEMU_CLOCK_HOST) + 5000000);
    main_loop_run();
    ck_assert(done);
    timer_free(t);
}
END_TEST

static Suite *main_loop_suite(void)
{
    Suite *s = suite_create("main-loop");
    TCase *bh = tcase_create("bh");
    TCase *fd = tcase_create("fd");
    TCase *tm = tcase_create("timers");

    tcase_add_test(bh, test_bh_from_thread);
    tcase_add_test(bh, test_bh_schedule_twice_runs_once);
    tcase_add_test(bh, test_bh_cancel_and_delete);
    tcase_add_test(bh, test_bh_order_and_reschedule);
    tcase_add_test(bh, test_bh_delete_in_callback);
    tcase_add_test(bh, test_oneshot_from_threads);
    tcase_add_test(bh, test_quit_from_thread);
    tcase_add_test(bh, test_nested_wait_in_bh);
    tcase_add_test(fd, test_fd_handlers);
    tcase_add_test(fd, test_fd_level_triggered);
    tcase_add_test(fd, test_fd_handler_not_reentered);
    tcase_add_test(tm, test_timers_realtime_order);
    tcase_add_test(tm, test_timer_rearm_and_free_pending);
    tcase_add_test(tm, test_virtual_clock_manual);
    tcase_add_test(tm, test_virtual_clock_rearm_in_callback);
    tcase_add_test(tm, test_clocks);
    tcase_add_test(tm, test_host_clock_timer);
    suite_add_tcase(s, bh);
    suite_add_tcase(s, fd);
    suite_add_tcase(s, tm);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(main_loop_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
