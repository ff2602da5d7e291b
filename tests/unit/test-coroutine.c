/*
 * Coroutines, their locks, sleeping, cross-thread wake-ups and the worker
 * thread pool.  Set MINIVM_BENCH=1 to print the measured timings.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>

#include "util/coroutine.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

static int64_t now_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

static void bench_report(const char *what, double value, const char *unit)
{
    if (getenv("MINIVM_BENCH")) {
        printf("bench: %s: %.1f %s\n", what, value, unit);
    }
}

/* ---- basics ---- */

static GString *trace;

static void coroutine_fn co_pingpong(void *opaque)
{
    int *counter = opaque;

    ck_assert(qemu_in_coroutine());
    ck_assert(qemu_coroutine_entered(qemu_coroutine_self()));
    for (int i = 0; i < 3; i++) {
        (*counter)++;
        qemu_coroutine_yield();
    }
    (*counter) += 100;
}

START_TEST(test_enter_yield)
{
    int counter = 0;
    Coroutine *co = qemu_coroutine_create(co_pingpong, &counter);

    ck_assert(!qemu_in_coroutine());
    ck_assert(!qemu_coroutine_entered(co));
    qemu_coroutine_enter(co);
    ck_assert_int_eq(counter, 1);
    ck_assert(!qemu_coroutine_entered(co));
    qemu_coroutine_enter(co);
    ck_assert_int_eq(counter, 2);
    qemu_coroutine_enter_if_inactive(co);
    ck_assert_int_eq(counter, 3);
    qemu_coroutine_enter(co);
    /* terminated (and freed) */
    ck_assert_int_eq(counter, 103);
    ck_assert(!qemu_in_coroutine());
}
END_TEST

static Coroutine *co_b;

static void coroutine_fn co_inner(void *opaque)
{
    g_string_append(trace, "b1");
    qemu_coroutine_yield();
    g_string_append(trace, "b2");
}

static void coroutine_fn co_outer(void *opaque)
{
    Coroutine *self = qemu_coroutine_self();

    g_string_append(trace, "a1");
    co_b = qemu_coroutine_create(co_inner, NULL);
    qemu_coroutine_enter(co_b);
    /* back from b; still ourselves */
    ck_assert_ptr_eq(qemu_coroutine_self(), self);
    g_string_append(trace, "a2");
    qemu_coroutine_yield();
    g_string_append(trace, "a3");
}

START_TEST(test_nested)
{
    Coroutine *a = qemu_coroutine_create(co_outer, NULL);

    trace = g_string_new("");
    qemu_coroutine_enter(a);
    ck_assert_str_eq(trace->str, "a1b1a2");
    /* b yielded to a earlier; now the main context resumes it directly */
    qemu_coroutine_enter(co_b);
    ck_assert_str_eq(trace->str, "a1b1a2b2");
    qemu_coroutine_enter(a);
    ck_assert_str_eq(trace->str, "a1b1a2b2a3");
}
END_TEST

static void coroutine_fn co_noop(void *opaque)
{
    (*(int *)opaque)++;
}

START_TEST(test_many_create_terminate)
{
    int count = 0;
    int64_t start = now_ns();

    for (int i = 0; i < 10000; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(co_noop, &count));
    }
    ck_assert_int_eq(count, 10000);
    bench_report("create+enter+terminate (pooled)", (now_ns() - start) / 10000.0, "ns");
}
END_TEST

static void coroutine_fn co_many_alive(void *opaque)
{
    (*(int *)opaque)++;
    qemu_coroutine_yield();
    (*(int *)opaque)++;
}

START_TEST(test_many_alive)
{
    enum { N = 2000 };
    Coroutine **cos = g_new(Coroutine *, N);
    int count = 0;

    for (int i = 0; i < N; i++) {
        cos[i] = qemu_coroutine_create(co_many_alive, &count);
        qemu_coroutine_enter(cos[i]);
    }
    ck_assert_int_eq(count, N);
    for (int i = 0; i < N; i++) {
        qemu_coroutine_enter(cos[i]);
    }
    ck_assert_int_eq(count, 2 * N);
    g_free(cos);
}
END_TEST

static int recurse(int depth)
{
    volatile char buf[256];

    buf[0] = (char)depth;
    if (depth == 0) {
        return buf[0];
    }
    return recurse(depth - 1) + buf[0];
}

static void coroutine_fn co_deep_stack(void *opaque)
{
    /* ~768 KiB of frames: fits in the 1 MiB stack */
    *(int *)opaque = recurse(768 * 1024 / 320);
}

START_TEST(test_deep_stack)
{
    int r = -1;

    qemu_coroutine_enter(qemu_coroutine_create(co_deep_stack, &r));
    ck_assert_int_ge(r, 0);
}
END_TEST

static void coroutine_fn co_overflow(void *opaque)
{
    recurse(8 * 1024 * 1024 / 256);
}

START_TEST(test_stack_guard)
{
    qemu_coroutine_enter(qemu_coroutine_create(co_overflow, NULL));
}
END_TEST

static void coroutine_fn co_reenter_self(void *opaque)
{
    qemu_coroutine_enter(qemu_coroutine_self());
}

START_TEST(test_reenter_aborts)
{
    qemu_coroutine_enter(qemu_coroutine_create(co_reenter_self, NULL));
}
END_TEST

START_TEST(test_yield_outside_aborts)
{
    qemu_coroutine_yield();
}
END_TEST

static void coroutine_fn co_yield_loop(void *opaque)
{
    for (;;) {
        qemu_coroutine_yield();
    }
}

START_TEST(test_switch_speed)
{
    enum { ROUNDS = 1000000 };
    Coroutine *co = qemu_coroutine_create(co_yield_loop, NULL);
    int64_t start = now_ns();
    double per_switch;

    for (int i = 0; i < ROUNDS; i++) {
        qemu_coroutine_enter(co);
    }
    /* each round is two switches: in and back out */
    per_switch = (now_ns() - start) / (2.0 * ROUNDS);
    bench_report("coroutine switch", per_switch, "ns");
#ifdef TEST_ASAN
    /* ASan unpoisons the stack on every longjmp */
    ck_assert_double_lt(per_switch, 20000.0);
#else
    ck_assert_double_lt(per_switch, 1000.0);
#endif
}
END_TEST

/* ---- CoMutex ---- */

static CoMutex mutex;
static int mutex_inside;

static void coroutine_fn co_mutex_user(void *opaque)
{
    int id = GPOINTER_TO_INT(opaque);

    for (int round = 0; round < 3; round++) {
        qemu_co_mutex_lock(&mutex);
        ck_assert_int_eq(mutex_inside, 0);
        mutex_inside++;
        g_string_append_printf(trace, "%d", id);
        /* hold the lock across a trip through the main loop */
        qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 0);
        mutex_inside--;
        qemu_co_mutex_unlock(&mutex);
    }
}

START_TEST(test_co_mutex_fairness)
{
    trace = g_string_new("");
    main_loop_init();
    qemu_co_mutex_init(&mutex);
    for (int i = 0; i < 4; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(co_mutex_user, GINT_TO_POINTER(i)));
    }
    MAIN_LOOP_WAIT_WHILE(trace->len < 12 || mutex.locked);
    /* strict FIFO hand-over: nobody takes the lock twice while others wait */
    ck_assert_str_eq(trace->str, "012301230123");
    ck_assert(!mutex.locked);
    ck_assert_ptr_null(mutex.holder);
    ck_assert(qemu_co_queue_empty(&mutex.waiters));
}
END_TEST

static void coroutine_fn co_mutex_uncontended(void *opaque)
{
    qemu_co_mutex_lock(&mutex);
    ck_assert(mutex.locked);
    ck_assert_ptr_eq(mutex.holder, qemu_coroutine_self());
    qemu_co_mutex_unlock(&mutex);
    qemu_co_mutex_lock(&mutex);
    qemu_co_mutex_unlock(&mutex);
    *(bool *)opaque = true;
}

START_TEST(test_co_mutex_uncontended)
{
    bool done = false;

    qemu_co_mutex_init(&mutex);
    qemu_coroutine_enter(qemu_coroutine_create(co_mutex_uncontended, &done));
    ck_assert(done);
    ck_assert(!mutex.locked);
}
END_TEST

/* ---- CoQueue ---- */

static CoQueue queue;

static void coroutine_fn co_queue_waiter(void *opaque)
{
    qemu_co_queue_wait(&queue);
    g_string_append(trace, opaque);
}

static void coroutine_fn co_queue_waker(void *opaque)
{
    /* woken coroutines run after the waker yields, not inline */
    ck_assert(qemu_co_queue_next(&queue));
    g_string_append(trace, "W");
    qemu_coroutine_yield();
}

START_TEST(test_co_queue)
{
    Coroutine *waker;

    trace = g_string_new("");
    main_loop_init();
    qemu_co_queue_init(&queue);
    ck_assert(qemu_co_queue_empty(&queue));
    ck_assert(!qemu_co_queue_next(&queue));
    qemu_coroutine_enter(qemu_coroutine_create(co_queue_waiter, "a"));
    qemu_coroutine_enter(qemu_coroutine_create(co_queue_waiter, "b"));
    qemu_coroutine_enter(qemu_coroutine_create(co_queue_waiter, "c"));
    qemu_coroutine_enter(qemu_coroutine_create(co_queue_waiter, "d"));
    ck_assert(!qemu_co_queue_empty(&queue));
    ck_assert_str_eq(trace->str, "");

    waker = qemu_coroutine_create(co_queue_waker, NULL);
    qemu_coroutine_enter(waker);
    ck_assert_str_eq(trace->str, "Wa");

    /* from outside coroutine context the wake-up goes through the loop */
    ck_assert(qemu_co_queue_next(&queue));
    ck_assert_str_eq(trace->str, "Wa");
    main_loop_iterate(false);
    ck_assert_str_eq(trace->str, "Wab");

    qemu_co_queue_restart_all(&queue);
    ck_assert(qemu_co_queue_empty(&queue));
    main_loop_iterate(false);
    ck_assert_str_eq(trace->str, "Wabcd");
    qemu_coroutine_enter(waker);
}
END_TEST

/* ---- CoRwlock ---- */

static CoRwlock rwlock;
static int rw_readers_in, rw_writers_in, rw_max_readers;

static void coroutine_fn co_reader(void *opaque)
{
    qemu_co_rwlock_rdlock(&rwlock);
    ck_assert_int_eq(rw_writers_in, 0);
    rw_readers_in++;
    if (rw_readers_in > rw_max_readers) {
        rw_max_readers = rw_readers_in;
    }
    g_string_append(trace, opaque);
    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 1000000);
    rw_readers_in--;
    qemu_co_rwlock_unlock(&rwlock);
}

static void coroutine_fn co_writer(void *opaque)
{
    qemu_co_rwlock_wrlock(&rwlock);
    ck_assert_int_eq(rw_writers_in, 0);
    ck_assert_int_eq(rw_readers_in, 0);
    rw_writers_in++;
    g_string_append(trace, opaque);
    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 1000000);
    rw_writers_in--;
    qemu_co_rwlock_unlock(&rwlock);
}

START_TEST(test_co_rwlock)
{
    static const char *const order[] = {"r", "r", "W", "r", "r", "W", "W", "r"};
    int n = ARRAY_SIZE(order);

    trace = g_string_new("");
    main_loop_init();
    qemu_co_rwlock_init(&rwlock);
    for (int i = 0; i < n; i++) {
        CoroutineEntry *fn = order[i][0] == 'W' ? co_writer : co_reader;
        qemu_coroutine_enter(qemu_coroutine_create(fn, (void *)order[i]));
    }
    MAIN_LOOP_WAIT_WHILE((int)trace->len < n);
    MAIN_LOOP_WAIT_WHILE(rwlock.readers || rwlock.writer);
    /* readers share, a waiting writer holds back later readers: FIFO phases */
    ck_assert_str_eq(trace->str, "rrWrrWWr");
    ck_assert_int_eq(rw_max_readers, 2);
    ck_assert(qemu_co_queue_empty(&rwlock.queue));
}
END_TEST

/* ---- sleeping ---- */

static void coroutine_fn co_sleeper(void *opaque)
{
    int64_t *elapsed = opaque;
    int64_t start = now_ns();

    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 20 * 1000000LL);
    *elapsed = now_ns() - start;
}

START_TEST(test_co_sleep)
{
    int64_t elapsed = -1;

    main_loop_init();
    qemu_coroutine_enter(qemu_coroutine_create(co_sleeper, &elapsed));
    ck_assert_int_eq(elapsed, -1);
    MAIN_LOOP_WAIT_WHILE(elapsed < 0);
    ck_assert_int_ge(elapsed, 20 * 1000000LL);
    ck_assert_int_lt(elapsed, 500 * 1000000LL);
}
END_TEST

static QemuCoSleep sleep_w;

static void coroutine_fn co_wakeable(void *opaque)
{
    int64_t start = now_ns();

    qemu_co_sleep_ns_wakeable(&sleep_w, QEMU_CLOCK_REALTIME, 3600 * 1000000000LL);
    *(int64_t *)opaque = now_ns() - start;
}

static void bh_wake_sleeper(void *opaque)
{
    qemu_co_sleep_wake(&sleep_w);
    /* waking twice is harmless */
    qemu_co_sleep_wake(&sleep_w);
}

START_TEST(test_co_sleep_wake)
{
    int64_t elapsed = -1;
    QEMUBH *bh;

    main_loop_init();
    qemu_coroutine_enter(qemu_coroutine_create(co_wakeable, &elapsed));
    ck_assert_ptr_nonnull(sleep_w.to_wake);
    ck_assert_int_gt(qemu_clock_deadline_ns(QEMU_CLOCK_REALTIME), 0);
    bh = qemu_bh_new(bh_wake_sleeper, NULL);
    qemu_bh_schedule(bh);
    MAIN_LOOP_WAIT_WHILE(elapsed < 0);
    ck_assert_int_lt(elapsed, 1000000000LL);
    ck_assert_ptr_null(sleep_w.to_wake);
    /* its timer is gone */
    ck_assert_int_eq(qemu_clock_deadline_ns(QEMU_CLOCK_REALTIME), -1);
    qemu_bh_delete(bh);
}
END_TEST

static void coroutine_fn co_virtual_sleeper(void *opaque)
{
    qemu_co_sleep_ns(QEMU_CLOCK_VIRTUAL, 1000);
    *(int64_t *)opaque = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

START_TEST(test_co_sleep_virtual_manual)
{
    int64_t woke_at = -1;

    main_loop_init();
    qemu_clock_set_manual(QEMU_CLOCK_VIRTUAL, true);
    qemu_coroutine_enter(qemu_coroutine_create(co_virtual_sleeper, &woke_at));
    g_usleep(2000);
    main_loop_iterate(false);
    ck_assert_int_eq(woke_at, -1);
    qemu_clock_advance_to(QEMU_CLOCK_VIRTUAL, 999);
    ck_assert_int_eq(woke_at, -1);
    qemu_clock_advance_to(QEMU_CLOCK_VIRTUAL, 5000);
    ck_assert_int_eq(woke_at, 1000);
}
END_TEST

START_TEST(test_sleep_outside_aborts)
{
    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 1);
}
END_TEST

/* ---- aio_co_wake and synchronous callers ---- */

typedef struct ThreadWake {
    Coroutine *co;
    int stage;
    pthread_t tid;
} ThreadWake;

static void *thread_waker(void *opaque)
{
    ThreadWake *tw = opaque;

    g_usleep(10000);
    aio_co_wake(tw->co);
    return NULL;
}

static void coroutine_fn co_wait_for_thread(void *opaque)
{
    ThreadWake *tw = opaque;

    tw->co = qemu_coroutine_self();
    pthread_create(&tw->tid, NULL, thread_waker, tw);
    tw->stage = 1;
    qemu_coroutine_yield();
    ck_assert(!pthread_equal(pthread_self(), tw->tid));
    tw->stage = 2;
}

START_TEST(test_aio_co_wake_from_thread)
{
    ThreadWake tw = {0};

    main_loop_init();
    qemu_coroutine_enter(qemu_coroutine_create(co_wait_for_thread, &tw));
    ck_assert_int_eq(tw.stage, 1);
    MAIN_LOOP_WAIT_WHILE(tw.stage != 2);
    pthread_join(tw.tid, NULL);
}
END_TEST

static void coroutine_fn co_yield_once(void *opaque)
{
    qemu_coroutine_yield();
    (*(int *)opaque)++;
}

START_TEST(test_aio_co_wake_twice_aborts)
{
    int n = 0;
    Coroutine *co = qemu_coroutine_create(co_yield_once, &n);

    main_loop_init();
    qemu_coroutine_enter(co);
    aio_co_wake(co);
    aio_co_wake(co);
}
END_TEST

static void coroutine_fn co_sync_work(void *opaque)
{
    int *result = opaque;

    ck_assert(qemu_in_coroutine());
    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, 2000000);
    *result += 1;
}

static void coroutine_fn co_sync_nested(void *opaque)
{
    int *result = opaque;

    /* inside a coroutine it is a plain call */
    coroutine_run_sync(co_sync_work, result);
    *result += 10;
}

START_TEST(test_coroutine_run_sync)
{
    int result = 0;

    main_loop_init();
    coroutine_run_sync(co_sync_work, &result);
    ck_assert_int_eq(result, 1);
    coroutine_run_sync(co_sync_nested, &result);
    ck_assert_int_eq(result, 12);
    ck_assert(!qemu_in_coroutine());
}
END_TEST

/* ---- thread pool ---- */

typedef struct Job {
    int input;
    int output;
    int ret;
    bool done;
} Job;

static int job_square(void *opaque)
{
    Job *j = opaque;

    if (j->input % 7 == 0) {
        g_usleep(100);
    }
    j->output = j->input * j->input;
    return -j->input;
}

static int jobs_done;

static void coroutine_fn co_submit(void *opaque)
{
    Job *j = opaque;

    j->ret = thread_pool_submit_co(job_square, j);
    j->done = true;
    jobs_done++;
}

START_TEST(test_thread_pool_concurrent)
{
    enum { N = 1000 };
    Job *jobs = g_new0(Job, N);

    main_loop_init();
    for (int i = 0; i < N; i++) {
        jobs[i].input = i;
        qemu_coroutine_enter(qemu_coroutine_create(co_submit, &jobs[i]));
    }
    MAIN_LOOP_WAIT_WHILE(jobs_done < N);
    for (int i = 0; i < N; i++) {
        ck_assert(jobs[i].done);
        ck_assert_int_eq(jobs[i].output, i * i);
        ck_assert_int_eq(jobs[i].ret, -i);
    }
    g_free(jobs);
}
END_TEST

static int job_noop(void *opaque)
{
    return 5;
}

static void coroutine_fn co_roundtrips(void *opaque)
{
    int64_t *per_op = opaque;
    enum { ROUNDS = 20000 };
    int64_t start = now_ns();

    for (int i = 0; i < ROUNDS; i++) {
        ck_assert_int_eq(thread_pool_submit_co(job_noop, NULL), 5);
    }
    *per_op = (now_ns() - start) / ROUNDS;
}

START_TEST(test_thread_pool_roundtrip)
{
    int64_t per_op = -1;
    Job j = {.input = 3};

    main_loop_init();
    /* outside a coroutine the call is synchronous */
    ck_assert_int_eq(thread_pool_submit_co(job_square, &j), -3);
    ck_assert_int_eq(j.output, 9);

    qemu_coroutine_enter(qemu_coroutine_create(co_roundtrips, &per_op));
    MAIN_LOOP_WAIT_WHILE(per_op < 0);
    bench_report("thread pool round trip", per_op / 1000.0, "us");
    ck_assert_int_lt(per_op, 1000000);
}
END_TEST

static int job_thread_id(void *opaque)
{
    g_usleep(5000);
    return (int)(pthread_self() % 1000003);
}

static GHashTable *seen_threads;

static void coroutine_fn co_submit_id(void *opaque)
{
    int id = thread_pool_submit_co(job_thread_id, NULL);

    g_hash_table_add(seen_threads, GINT_TO_POINTER(id + 1));
    (*(int *)opaque)++;
}

START_TEST(test_thread_pool_bounded)
{
    int done = 0;

    main_loop_init();
    seen_threads = g_hash_table_new(NULL, NULL);
    /* More blocked jobs than the pool's 64 threads. */
    for (int i = 0; i < 160; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(co_submit_id, &done));
    }
    MAIN_LOOP_WAIT_WHILE(done < 160);
    /* blocked jobs are spread over several threads, but no more than 64 */
    ck_assert_int_gt(g_hash_table_size(seen_threads), 1);
    ck_assert_int_le(g_hash_table_size(seen_threads), 64);
}
END_TEST

static Suite *coroutine_suite(void)
{
    Suite *s = suite_create("coroutine");
    TCase *core = tcase_create("core");
    TCase *locks = tcase_create("locks");
    TCase *sleep = tcase_create("sleep");
    TCase *wake = tcase_create("wake");
    TCase *pool = tcase_create("thread-pool");

    tcase_add_test(core, test_enter_yield);
    tcase_add_test(core, test_nested);
    tcase_add_test(core, test_many_create_terminate);
    tcase_add_test(core, test_many_alive);
    tcase_add_test(core, test_deep_stack);
#ifdef TEST_ASAN
    /* ASan reports the overflow itself and exits */
    tcase_add_exit_test(core, test_stack_guard, 1);
#else
    tcase_add_test_raise_signal(core, test_stack_guard, SIGSEGV);
#endif
    tcase_add_test_raise_signal(core, test_reenter_aborts, SIGABRT);
    tcase_add_test_raise_signal(core, test_yield_outside_aborts, SIGABRT);
    tcase_add_test(core, test_switch_speed);
    tcase_add_test(locks, test_co_mutex_fairness);
    tcase_add_test(locks, test_co_mutex_uncontended);
    tcase_add_test(locks, test_co_queue);
    tcase_add_test(locks, test_co_rwlock);
    tcase_add_test(sleep, test_co_sleep);
    tcase_add_test(sleep, test_co_sleep_wake);
    tcase_add_test(sleep, test_co_sleep_virtual_manual);
    tcase_add_test_raise_signal(sleep, test_sleep_outside_aborts, SIGABRT);
    tcase_add_test(wake, test_aio_co_wake_from_thread);
    tcase_add_test_raise_signal(wake, test_aio_co_wake_twice_aborts, SIGABRT);
    tcase_add_test(wake, test_coroutine_run_sync);
    tcase_add_test(pool, test_thread_pool_concurrent);
    tcase_add_test(pool, test_thread_pool_roundtrip);
    tcase_add_test(pool, test_thread_pool_bounded);
    suite_add_tcase(s, core);
    suite_add_tcase(s, locks);
    suite_add_tcase(s, sleep);
    suite_add_tcase(s, wake);
    suite_add_tcase(s, pool);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(coroutine_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
