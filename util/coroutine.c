/*
 * Coroutine core: stacks, switching, entering/yielding, the free pool and
 * cross-thread wake-ups.
 *
 * A new stack is booted once by calling a trampoline on it (a few
 * instructions of inline assembly; ucontext elsewhere); every later switch
 * is a sigsetjmp/siglongjmp pair without signal-mask saving, which costs no
 * system call.  A terminated coroutine's stack keeps its trampoline
 * frame, so a pooled coroutine is reused without booting again.
 */

/* siglongjmp onto another stack is exactly what the fortified check forbids */
#undef _FORTIFY_SOURCE

#include "util/coroutine.h"
#include "util/coroutine-int.h"
#include "util/main-loop-int.h"

#include <pthread.h>
#include <setjmp.h>
#include <sys/mman.h>
#if !defined(__x86_64__) && !defined(__aarch64__)
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define CO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CO_ASAN 1
#endif
#endif
#ifdef CO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define CO_STACK_SIZE (1u << 20)
#define CO_POOL_MAX 256

enum {
    CO_ACTION_ENTER = 1,
    CO_ACTION_YIELD,
    CO_ACTION_TERMINATE,
};

struct Coroutine {
    CoroutineEntry *entry;
    void *opaque;
    /* who entered us; non-NULL exactly while entered */
    Coroutine *caller;
    sigjmp_buf env;
    /* the mapping including the guard page; NULL for a thread's leader */
    void *map;
    size_t map_size;
    void *stack_bottom;
    size_t stack_size;
    void *asan_fake_stack;
    /* coroutines to enter right after this one yields or terminates */
    Coroutine *wake_head, *wake_tail;
    /* link in one wake list (another coroutine's, or the aio_co_wake queue) */
    Coroutine *sched_next;
    const char *scheduled;
    GList wait_link;
    CoWaitKind wait_kind;
    Coroutine *pool_next;
};

typedef struct CoThreadState {
    Coroutine leader; /* stands for the thread's own stack */
    Coroutine *current;
    Coroutine *pool;
    unsigned pool_size;
    sigjmp_buf *boot_env; /* where a booting stack returns to its creator */
    Coroutine *booting;
} CoThreadState;

static __thread CoThreadState co_tls;

static Coroutine *co_current(void)
{
    if (!co_tls.current) {
        co_tls.current = &co_tls.leader;
#ifdef CO_ASAN
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            pthread_attr_getstack(&attr, &co_tls.leader.stack_bottom, &co_tls.leader.stack_size);
            pthread_attr_destroy(&attr);
        }
#endif
    }
    return co_tls.current;
}

static MINIVM_NORETURN void co_fatal(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
    abort();
}

/* ---- AddressSanitizer: tell it which stack we are about to run on ---- */

static inline void co_asan_start(Coroutine *from, Coroutine *to, bool from_dies)
{
#ifdef CO_ASAN
    if (from_dies) {
        from->asan_fake_stack = NULL;
    }
    __sanitizer_start_switch_fiber(from_dies ? NULL : &from->asan_fake_stack, to->stack_bottom,
                                   to->stack_size);
#endif
}

static inline void co_asan_finish(Coroutine *self)
{
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(self->asan_fake_stack, NULL, NULL);
#endif
}

static int co_switch(Coroutine *from, Coroutine *to, int action)
{
    int ret;

    co_tls.current = to;
    ret = sigsetjmp(from->env, 0);
    if (ret == 0) {
        co_asan_start(from, to, action == CO_ACTION_TERMINATE);
        siglongjmp(to->env, action);
    }
    co_asan_finish(from);
    return ret;
}

/* ---- stacks ---- */

/* The first code run on a new stack; it never returns. */
static MINIVM_NORETURN void co_trampoline(Coroutine *self)
{
    /* co_alloc() does not switch co_tls.current: it still names the creator */
    Coroutine *creator = co_tls.current;

    co_asan_finish(self);
    if (!sigsetjmp(self->env, 0)) {
        /* booted: hand control back to the creator until the first enter */
        co_asan_start(self, creator, false);
        siglongjmp(*co_tls.boot_env, 1);
    }
    co_asan_finish(self);
    for (;;) {
        self->entry(self->opaque);
        co_switch(self, self->caller, CO_ACTION_TERMINATE);
    }
}

#if !defined(__x86_64__) && !defined(__aarch64__)
static void co_trampoline_ucontext(int lo, int hi)
{
    co_trampoline((Coroutine *)(((uintptr_t)(uint32_t)hi << 32) | (uint32_t)lo));
}
#endif

/*
 * Calls co_trampoline(co) on co's stack.  It comes back here by a
 * siglongjmp to boot_env, which restores every register we need.
 */
static void co_boot(Coroutine *co)
{
    char *top = (char *)co->stack_bottom + co->stack_size;

#if defined(__x86_64__)
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "call *%1\n\t"
                     "ud2"
                     :
                     : "r"(top), "r"(co_trampoline), "D"(co)
                     : "memory");
#elif defined(__aarch64__)
    __asm__ volatile("mov sp, %0\n\t"
                     "mov x0, %2\n\t"
                     "blr %1\n\t"
                     "brk #0"
                     :
                     : "r"(top), "r"(co_trampoline), "r"(co)
                     : "x0", "x30", "memory");
#else
    /* portable fallback; glibc's swapcontext costs a sigprocmask call */
    ucontext_t uc, creator_uc;
    uintptr_t addr = (uintptr_t)co;

    if (getcontext(&uc) != 0) {
        co_fatal("coroutine: getcontext failed");
    }
    uc.uc_link = NULL;
    uc.uc_stack.ss_sp = co->stack_bottom;
    uc.uc_stack.ss_size = co->stack_size;
    uc.uc_stack.ss_flags = 0;
    makecontext(&uc, (void (*)(void))co_trampoline_ucontext, 2, (int)(uint32_t)addr,
                (int)(uint32_t)(addr >> 32));
    swapcontext(&creator_uc, &uc);
#endif
    (void)top;
}

static Coroutine *co_alloc(void)
{
    Coroutine *co = g_new0(Coroutine, 1);
    Coroutine *creator = co_current();
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    sigjmp_buf boot_env;

    co->map_size = CO_STACK_SIZE + page;
    co->map = mmap(NULL, co->map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (co->map == MAP_FAILED) {
        co_fatal("coroutine: cannot allocate a stack");
    }
    /* the stack grows down: an overflow hits the inaccessible lowest page */
    if (mprotect(co->map, page, PROT_NONE) != 0) {
        co_fatal("coroutine: cannot protect the stack guard page");
    }
    co->stack_bottom = (char *)co->map + page;
    co->stack_size = CO_STACK_SIZE;
    co->wait_link.data = co;

    co_tls.boot_env = &boot_env;
    if (!sigsetjmp(boot_env, 0)) {
        co_asan_start(creator, co, false);
        co_boot(co);
    }
    co_asan_finish(creator);
    co_tls.boot_env = NULL;
    return co;
}

static void co_release(Coroutine *co)
{
    co->entry = NULL;
    co->opaque = NULL;
    if (co_tls.pool_size < CO_POOL_MAX) {
        co->pool_next = co_tls.pool;
        co_tls.pool = co;
        co_tls.pool_size++;
        return;
    }
    munmap(co->map, co->map_size);
    g_free(co);
}

/* ---- public API ---- */

Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque)
{
    Coroutine *co = co_tls.pool;

    if (co) {
        co_tls.pool = co->pool_next;
        co_tls.pool_size--;
        co->pool_next = NULL;
    } else {
        co = co_alloc();
    }
    co->entry = entry;
    co->opaque = opaque;
    return co;
}

void qemu_coroutine_enter(Coroutine *co)
{
    Coroutine *self = co_current();
    Coroutine *head = co, *tail = co;

    if (co->scheduled) {
        fprintf(stderr, "qemu_coroutine_enter: Co-routine was already scheduled in '%s'\n",
                co->scheduled);
        abort();
    }
    co->sched_next = NULL;
    while (head) {
        Coroutine *to = head;
        int action;

        head = to->sched_next;
        if (!head) {
            tail = NULL;
        }
        to->sched_next = NULL;
        to->scheduled = NULL;
        if (to->caller) {
            co_fatal("Co-routine re-entered recursively");
        }
        to->caller = self;
        action = co_switch(self, to, CO_ACTION_ENTER);
        to->caller = NULL;
        /* what 'to' woke while it ran goes next, in order */
        if (to->wake_head) {
            if (tail) {
                tail->sched_next = to->wake_head;
            } else {
                head = to->wake_head;
            }
            tail = to->wake_tail;
            to->wake_head = to->wake_tail = NULL;
        }
        if (action == CO_ACTION_TERMINATE) {
            co_release(to);
        }
    }
}

void qemu_coroutine_enter_if_inactive(Coroutine *co)
{
    if (!qemu_coroutine_entered(co)) {
        qemu_coroutine_enter(co);
    }
}

void coroutine_fn qemu_coroutine_yield(void)
{
    Coroutine *self = co_current();

    if (!self->caller) {
        co_fatal("Co-routine is yielding to no one");
    }
    co_switch(self, self->caller, CO_ACTION_YIELD);
}

Coroutine *qemu_coroutine_self(void)
{
    return co_current();
}

bool qemu_in_coroutine(void)
{
    return co_tls.current && co_tls.current != &co_tls.leader;
}

bool qemu_coroutine_entered(Coroutine *co)
{
    return co->caller != NULL;
}

GList *coroutine_wait_link(Coroutine *co)
{
    return &co->wait_link;
}

CoWaitKind coroutine_wait_kind(Coroutine *co)
{
    return co->wait_kind;
}

void coroutine_set_wait_kind(Coroutine *co, CoWaitKind kind)
{
    co->wait_kind = kind;
}

/* ---- wake-ups ---- */

static GMutex co_wake_lock;
static Coroutine *co_wake_head, *co_wake_tail;
static QEMUBH *co_wake_bh;

static void co_wake_bh_run(void *unused)
{
    Coroutine *co;

    g_mutex_lock(&co_wake_lock);
    co = co_wake_head;
    co_wake_head = co_wake_tail = NULL;
    g_mutex_unlock(&co_wake_lock);
    while (co) {
        Coroutine *next;

        g_mutex_lock(&co_wake_lock);
        next = co->sched_next;
        co->sched_next = NULL;
        co->scheduled = NULL;
        g_mutex_unlock(&co_wake_lock);
        qemu_coroutine_enter(co);
        co = next;
    }
}

void aio_co_wake(Coroutine *co)
{
    static gsize bh_ready;

    if (g_once_init_enter(&bh_ready)) {
        co_wake_bh = qemu_bh_new(co_wake_bh_run, NULL);
        g_once_init_leave(&bh_ready, 1);
    }
    g_mutex_lock(&co_wake_lock);
    if (co->scheduled) {
        fprintf(stderr, "aio_co_wake: Co-routine was already scheduled in '%s'\n", co->scheduled);
        abort();
    }
    co->scheduled = "aio_co_wake";
    co->sched_next = NULL;
    if (co_wake_tail) {
        co_wake_tail->sched_next = co;
    } else {
        co_wake_head = co;
    }
    co_wake_tail = co;
    g_mutex_unlock(&co_wake_lock);
    qemu_bh_schedule(co_wake_bh);
}

void coroutine_wake_deferred(Coroutine *co)
{
    Coroutine *self;

    if (!qemu_in_coroutine()) {
        aio_co_wake(co);
        return;
    }
    self = co_tls.current;
    if (co->scheduled) {
        fprintf(stderr, "qemu_co_queue: Co-routine was already scheduled in '%s'\n", co->scheduled);
        abort();
    }
    co->scheduled = "qemu_co_queue";
    co->sched_next = NULL;
    if (self->wake_tail) {
        self->wake_tail->sched_next = co;
    } else {
        self->wake_head = co;
    }
    self->wake_tail = co;
}

/* ---- synchronous callers ---- */

typedef struct RunSync {
    CoroutineEntry *fn;
    void *opaque;
    bool done;
} RunSync;

static void coroutine_fn run_sync_entry(void *opaque)
{
    RunSync *rs = opaque;

    rs->fn(rs->opaque);
    rs->done = true;
}

void coroutine_run_sync(CoroutineEntry *fn, void *opaque)
{
    RunSync rs = {.fn = fn, .opaque = opaque};

    if (qemu_in_coroutine()) {
        fn(opaque);
        return;
    }
    qemu_coroutine_enter(qemu_coroutine_create(run_sync_entry, &rs));
    MAIN_LOOP_WAIT_WHILE(!rs.done);
}
