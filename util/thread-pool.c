/*
 * Worker threads for blocking calls (the aio=threads file driver, fsync,
 * name resolution...).  Threads are started on demand up to a fixed number
 * and leave after a while without work.  Completions are collected in one
 * list and signalled to the main loop through a single eventfd, which wakes
 * the submitting coroutines.
 */
#include "util/coroutine.h"
#include "util/main-loop-int.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>

#define POOL_MAX_THREADS 64
#define POOL_IDLE_TIMEOUT_S 10
/*
 * After a job, one worker polls the queue this long before sleeping: a
 * coroutine issuing requests back to back then skips a thread wake-up,
 * which costs as much as the rest of the round trip.
 */
#define POOL_SPIN_US 50

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ volatile("yield" ::: "memory")
#else
#define cpu_relax()                                                                                \
    do {                                                                                           \
    } while (0)
#endif

typedef struct PoolRequest {
    ThreadPoolFunc *fn;
    void *opaque;
    int ret;
    Coroutine *co;
    struct PoolRequest *next;
} PoolRequest;

typedef struct ThreadPool {
    pthread_mutex_t lock;
    pthread_cond_t work_cond;
    PoolRequest *queue_head, *queue_tail;
    unsigned queued;
    unsigned threads;
    unsigned idle;     /* sleeping on work_cond */
    unsigned spinning; /* polling the queue; at most one */
    pthread_attr_t attr;

    pthread_mutex_t done_lock;
    PoolRequest *done_head, *done_tail;
    int event_fd;
} ThreadPool;

static ThreadPool pool;

static void pool_complete(PoolRequest *req)
{
    bool was_empty;

    pthread_mutex_lock(&pool.done_lock);
    req->next = NULL;
    was_empty = pool.done_head == NULL;
    if (pool.done_tail) {
        pool.done_tail->next = req;
    } else {
        pool.done_head = req;
    }
    pool.done_tail = req;
    pthread_mutex_unlock(&pool.done_lock);
    /* the main loop drains the whole list per wake-up: one write suffices */
    if (was_empty) {
        uint64_t one = 1;
        ssize_t r;
        do {
            r = write(pool.event_fd, &one, sizeof(one));
        } while (r < 0 && errno == EINTR);
    }
}

static void *pool_worker(void *unused)
{
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        PoolRequest *req;

        if (!pool.queue_head && !pool.spinning) {
            int64_t until = g_get_monotonic_time() + POOL_SPIN_US;

            pool.spinning++;
            pthread_mutex_unlock(&pool.lock);
            while (!__atomic_load_n(&pool.queue_head, __ATOMIC_RELAXED) &&
                   g_get_monotonic_time() < until) {
                cpu_relax();
            }
            pthread_mutex_lock(&pool.lock);
            pool.spinning--;
        }
        while (!pool.queue_head) {
            struct timespec deadline;
            int rc;

            clock_gettime(CLOCK_MONOTONIC, &deadline);
            deadline.tv_sec += POOL_IDLE_TIMEOUT_S;
            pool.idle++;
            rc = pthread_cond_timedwait(&pool.work_cond, &pool.lock, &deadline);
            pool.idle--;
            if (rc == ETIMEDOUT && !pool.queue_head) {
                pool.threads--;
                pthread_mutex_unlock(&pool.lock);
                return NULL;
            }
        }
        req = pool.queue_head;
        pool.queue_head = req->next;
        if (!pool.queue_head) {
            pool.queue_tail = NULL;
        }
        pool.queued--;
        pthread_mutex_unlock(&pool.lock);

        req->ret = req->fn(req->opaque);
        pool_complete(req);

        pthread_mutex_lock(&pool.lock);
    }
}

static void pool_completions_ready(void *unused)
{
    uint64_t count;
    PoolRequest *req;

    if (read(pool.event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
        return;
    }
    pthread_mutex_lock(&pool.done_lock);
    req = pool.done_head;
    pool.done_head = pool.done_tail = NULL;
    pthread_mutex_unlock(&pool.done_lock);
    while (req) {
        /* the request lives on the coroutine's stack: read 'next' first */
        PoolRequest *next = req->next;
        qemu_coroutine_enter(req->co);
        req = next;
    }
}

static void pool_init(void)
{
    pthread_condattr_t cattr;

    pthread_mutex_init(&pool.lock, NULL);
    pthread_mutex_init(&pool.done_lock, NULL);
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_cond_init(&pool.work_cond, &cattr);
    pthread_condattr_destroy(&cattr);
    pthread_attr_init(&pool.attr);
    pthread_attr_setdetachstate(&pool.attr, PTHREAD_CREATE_DETACHED);
    pool.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (pool.event_fd < 0) {
        fprintf(stderr, "thread pool: eventfd: %s\n", strerror(errno));
        abort();
    }
    qemu_set_fd_handler(pool.event_fd, pool_completions_ready, NULL, NULL);
}

static void pool_enqueue(PoolRequest *req)
{
    bool spawn, wake;

    pthread_mutex_lock(&pool.lock);
    req->next = NULL;
    if (pool.queue_tail) {
        pool.queue_tail->next = req;
    } else {
        pool.queue_head = req;
    }
    pool.queue_tail = req;
    pool.queued++;
    spawn = pool.queued > pool.idle + pool.spinning && pool.threads < POOL_MAX_THREADS;
    if (spawn) {
        pthread_t tid;
        sigset_t all, old;

        /* workers must not take the process's signals */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&tid, &pool.attr, pool_worker, NULL) == 0) {
            pool.threads++;
        } else if (pool.threads == 0) {
            fprintf(stderr, "thread pool: cannot create a worker thread\n");
            abort();
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    wake = pool.idle > 0;
    pthread_mutex_unlock(&pool.lock);
    /* signalling after unlocking spares the woken worker a wait for the lock */
    if (wake) {
        pthread_cond_signal(&pool.work_cond);
    }
}

int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *fn, void *opaque)
{
    static bool ready;
    PoolRequest req = {.fn = fn, .opaque = opaque};

    if (!qemu_in_coroutine()) {
        /* synchronous callers outside coroutines simply block */
        return fn(opaque);
    }
    if (!ready) {
        pool_init();
        ready = true;
    }
    req.co = qemu_coroutine_self();
    pool_enqueue(&req);
    qemu_coroutine_yield();
    return req.ret;
}
