/*
 * Synchronisation between coroutines of one thread: wait queues, a mutex
 * and a readers-writer lock.  Locks are handed over directly to the next
 * waiter in FIFO order, so a busy lock cannot starve anybody.
 */
#include "util/coroutine.h"
#include "util/coroutine-int.h"

static Coroutine *co_self_checked(const char *what)
{
    if (!qemu_in_coroutine()) {
        fprintf(stderr, "%s called outside coroutine context\n", what);
        abort();
    }
    return qemu_coroutine_self();
}

static void co_queue_push(CoQueue *q, Coroutine *co, CoWaitKind kind)
{
    coroutine_set_wait_kind(co, kind);
    g_queue_push_tail_link(&q->waiters, coroutine_wait_link(co));
}

/* Unlinks co if a stray wake-up resumed it while it still sat in q. */
static void co_queue_forget(CoQueue *q, Coroutine *co)
{
    GList *link = coroutine_wait_link(co);

    if (link->prev || link->next || q->waiters.head == link) {
        g_queue_unlink(&q->waiters, link);
    }
}

static Coroutine *co_queue_pop(CoQueue *q)
{
    GList *link = g_queue_pop_head_link(&q->waiters);

    return link ? link->data : NULL;
}

static Coroutine *co_queue_peek(CoQueue *q)
{
    return q->waiters.head ? q->waiters.head->data : NULL;
}

void qemu_co_queue_init(CoQueue *q)
{
    g_queue_init(&q->waiters);
}

void coroutine_fn qemu_co_queue_wait(CoQueue *q)
{
    Coroutine *self = co_self_checked("qemu_co_queue_wait");

    co_queue_push(q, self, CO_WAIT_ANY);
    qemu_coroutine_yield();
    co_queue_forget(q, self);
}

bool qemu_co_queue_next(CoQueue *q)
{
    Coroutine *co = co_queue_pop(q);

    if (!co) {
        return false;
    }
    coroutine_wake_deferred(co);
    return true;
}

void qemu_co_queue_restart_all(CoQueue *q)
{
    while (qemu_co_queue_next(q)) {
    }
}

bool qemu_co_queue_empty(CoQueue *q)
{
    return g_queue_is_empty(&q->waiters);
}

/* ---- CoMutex ---- */

void qemu_co_mutex_init(CoMutex *m)
{
    m->locked = false;
    m->holder = NULL;
    qemu_co_queue_init(&m->waiters);
}

void coroutine_fn qemu_co_mutex_lock(CoMutex *m)
{
    Coroutine *self = co_self_checked("qemu_co_mutex_lock");

    if (!m->locked) {
        m->locked = true;
        m->holder = self;
        return;
    }
    g_assert(m->holder != self);
    co_queue_push(&m->waiters, self, CO_WAIT_ANY);
    /* only the unlocking holder wakes us, after making us the holder */
    while (m->holder != self) {
        qemu_coroutine_yield();
    }
}

void coroutine_fn qemu_co_mutex_unlock(CoMutex *m)
{
    Coroutine *self = co_self_checked("qemu_co_mutex_unlock");
    Coroutine *next;

    g_assert(m->locked && m->holder == self);
    next = co_queue_pop(&m->waiters);
    if (next) {
        m->holder = next;
        coroutine_wake_deferred(next);
    } else {
        m->locked = false;
        m->holder = NULL;
    }
}

/* ---- CoRwlock ---- */

void qemu_co_rwlock_init(CoRwlock *l)
{
    l->readers = 0;
    l->writer = false;
    qemu_co_queue_init(&l->queue);
}

/* Grants the lock to waiters at the head of the queue while they fit. */
static void co_rwlock_grant(CoRwlock *l)
{
    Coroutine *co;

    while ((co = co_queue_peek(&l->queue)) != NULL && !l->writer) {
        if (coroutine_wait_kind(co) == CO_WAIT_READ) {
            l->readers++;
        } else if (l->readers == 0) {
            l->writer = true;
        } else {
            break;
        }
        co_queue_pop(&l->queue);
        coroutine_set_wait_kind(co, CO_WAIT_ANY);
        coroutine_wake_deferred(co);
    }
}

/* Waits until co_rwlock_grant() has given us the lock. */
static void co_rwlock_wait(CoRwlock *l, Coroutine *self, CoWaitKind kind)
{
    co_queue_push(&l->queue, self, kind);
    while (coroutine_wait_kind(self) != CO_WAIT_ANY) {
        qemu_coroutine_yield();
    }
}

void coroutine_fn qemu_co_rwlock_rdlock(CoRwlock *l)
{
    Coroutine *self = co_self_checked("qemu_co_rwlock_rdlock");

    /* queued writers go first, so a stream of readers cannot starve them */
    if (!l->writer && qemu_co_queue_empty(&l->queue)) {
        l->readers++;
        return;
    }
    co_rwlock_wait(l, self, CO_WAIT_READ);
}

void coroutine_fn qemu_co_rwlock_wrlock(CoRwlock *l)
{
    Coroutine *self = co_self_checked("qemu_co_rwlock_wrlock");

    if (!l->writer && l->readers == 0 && qemu_co_queue_empty(&l->queue)) {
        l->writer = true;
        return;
    }
    co_rwlock_wait(l, self, CO_WAIT_WRITE);
}

void coroutine_fn qemu_co_rwlock_unlock(CoRwlock *l)
{
    if (l->writer) {
        l->writer = false;
    } else {
        g_assert(l->readers > 0);
        l->readers--;
    }
    co_rwlock_grant(l);
}
