/*
 * The main loop on glib's default GMainContext: fd handlers, bottom halves,
 * quit handling.  Timers live in qemu-timer.c.
 *
 * All our GSources may be dispatched recursively, because synchronous
 * callers (MAIN_LOOP_WAIT_WHILE) iterate the loop from inside callbacks.  A
 * single fd handler is never re-entered while its own callback runs, though.
 */
#include "util/main-loop.h"
#include "util/main-loop-int.h"

#include <pthread.h>

static bool loop_ready;
static pthread_t main_thread;
static int quit_requested;
static int quit_status;

/* ---- fd handlers ---- */

typedef struct FdHandler {
    int fd;
    IOHandler *fd_read;
    IOHandler *fd_write;
    void *opaque;
    gpointer tag;
    bool deleted;
    bool busy;
    /* poll generation of this handler's last dispatch (see fd_source_check) */
    uint64_t dispatched_gen;
    struct FdHandler *next;
} FdHandler;

static GSource *fd_source;
static GHashTable *fd_table; /* fd -> live FdHandler */
static FdHandler *fd_list_head, *fd_list_tail;
static int fd_dispatch_depth;
static uint64_t fd_poll_gen;

static gboolean fd_source_prepare(GSource *src, gint *timeout)
{
    *timeout = -1;
    return FALSE;
}

static gboolean fd_source_check(GSource *src)
{
    /*
     * A new poll result: handlers dispatched from now on in a nested loop
     * must not be dispatched again by an outer loop holding older revents.
     */
    fd_poll_gen++;
    for (FdHandler *h = fd_list_head; h; h = h->next) {
        if (!h->deleted && g_source_query_unix_fd(src, h->tag)) {
            return TRUE;
        }
    }
    return FALSE;
}

static void fd_list_purge(void)
{
    FdHandler **link = &fd_list_head;

    fd_list_tail = NULL;
    while (*link) {
        FdHandler *h = *link;
        if (h->deleted) {
            *link = h->next;
            g_free(h);
        } else {
            fd_list_tail = h;
            link = &h->next;
        }
    }
}

static gboolean fd_source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    uint64_t gen = fd_poll_gen;

    fd_dispatch_depth++;
    for (FdHandler *h = fd_list_head; h; h = h->next) {
        GIOCondition rev;

        if (h->deleted || h->busy || h->dispatched_gen >= gen) {
            continue;
        }
        rev = g_source_query_unix_fd(src, h->tag);
        if (!rev) {
            continue;
        }
        h->dispatched_gen = gen;
        h->busy = true;
        if ((rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && h->fd_read) {
            h->fd_read(h->opaque);
        }
        if (!h->deleted && (rev & (G_IO_OUT | G_IO_ERR)) && h->fd_write) {
            h->fd_write(h->opaque);
        }
        h->busy = false;
    }
    if (--fd_dispatch_depth == 0) {
        fd_list_purge();
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs fd_source_funcs = {
    .prepare = fd_source_prepare,
    .check = fd_source_check,
    .dispatch = fd_source_dispatch,
};

void qemu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write, void *opaque)
{
    FdHandler *h;
    GIOCondition events = (fd_read ? G_IO_IN : 0) | (fd_write ? G_IO_OUT : 0);

    main_loop_init();
    h = g_hash_table_lookup(fd_table, GINT_TO_POINTER(fd));
    if (!fd_read && !fd_write) {
        if (h) {
            g_hash_table_remove(fd_table, GINT_TO_POINTER(fd));
            g_source_remove_unix_fd(fd_source, h->tag);
            h->deleted = true;
            if (fd_dispatch_depth == 0) {
                fd_list_purge();
            }
        }
        return;
    }
    if (!h) {
        h = g_new0(FdHandler, 1);
        h->fd = fd;
        h->tag = g_source_add_unix_fd(fd_source, fd, events);
        /* a handler added during dispatch must wait for the next poll */
        h->dispatched_gen = fd_poll_gen;
        g_hash_table_insert(fd_table, GINT_TO_POINTER(fd), h);
        if (fd_list_tail) {
            fd_list_tail->next = h;
        } else {
            fd_list_head = h;
        }
        fd_list_tail = h;
    } else {
        g_source_modify_unix_fd(fd_source, h->tag, events);
    }
    h->fd_read = fd_read;
    h->fd_write = fd_write;
    h->opaque = opaque;
}

/* ---- bottom halves ---- */

struct QEMUBH {
    QEMUBHFunc *cb;
    void *opaque;
    bool oneshot;
    bool scheduled;     /* protected by bh_lock */
    QEMUBH **list_head; /* the list it is on while scheduled */
    QEMUBH **list_tail;
    QEMUBH *prev, *next;
};

static GMutex bh_lock;
/* Scheduled, not yet picked up by a dispatch pass. */
static QEMUBH *bh_pending_head, *bh_pending_tail;
/* Picked up by the dispatch pass(es) in progress, run in order. */
static QEMUBH *bh_running_head, *bh_running_tail;
static GSource *bh_source;

static void bh_list_append(QEMUBH **head, QEMUBH **tail, QEMUBH *bh)
{
    bh->prev = *tail;
    bh->next = NULL;
    if (*tail) {
        (*tail)->next = bh;
    } else {
        *head = bh;
    }
    *tail = bh;
    bh->list_head = head;
    bh->list_tail = tail;
}

static void bh_list_unlink(QEMUBH *bh)
{
    if (bh->prev) {
        bh->prev->next = bh->next;
    } else {
        *bh->list_head = bh->next;
    }
    if (bh->next) {
        bh->next->prev = bh->prev;
    } else {
        *bh->list_tail = bh->prev;
    }
    bh->prev = bh->next = NULL;
    bh->list_head = bh->list_tail = NULL;
}

static bool bh_any_pending(void)
{
    bool any;

    g_mutex_lock(&bh_lock);
    any = bh_pending_head || bh_running_head;
    g_mutex_unlock(&bh_lock);
    return any;
}

static gboolean bh_source_prepare(GSource *src, gint *timeout)
{
    *timeout = -1;
    return bh_any_pending();
}

static gboolean bh_source_check(GSource *src)
{
    return bh_any_pending();
}

static gboolean bh_source_dispatch(GSource *src, GSourceFunc unused, gpointer data)
{
    g_mutex_lock(&bh_lock);
    /* splice what is pending now; BHs scheduled by callbacks wait a pass */
    while (bh_pending_head) {
        QEMUBH *bh = bh_pending_head;
        bh_list_unlink(bh);
        bh_list_append(&bh_running_head, &bh_running_tail, bh);
    }
    while (bh_running_head) {
        QEMUBH *bh = bh_running_head;
        QEMUBHFunc *cb = bh->cb;
        void *opaque = bh->opaque;
        bool oneshot = bh->oneshot;

        bh_list_unlink(bh);
        bh->scheduled = false;
        g_mutex_unlock(&bh_lock);
        if (oneshot) {
            g_free(bh);
        }
        cb(opaque);
        g_mutex_lock(&bh_lock);
    }
    g_mutex_unlock(&bh_lock);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs bh_source_funcs = {
    .prepare = bh_source_prepare,
    .check = bh_source_check,
    .dispatch = bh_source_dispatch,
};

QEMUBH *qemu_bh_new(QEMUBHFunc *cb, void *opaque)
{
    QEMUBH *bh = g_new0(QEMUBH, 1);

    bh->cb = cb;
    bh->opaque = opaque;
    return bh;
}

void qemu_bh_schedule(QEMUBH *bh)
{
    bool wake;

    g_mutex_lock(&bh_lock);
    if (bh->scheduled) {
        g_mutex_unlock(&bh_lock);
        return;
    }
    bh->scheduled = true;
    /* only the empty -> non-empty transition needs a wake-up: draining empties it */
    wake = bh_pending_head == NULL;
    bh_list_append(&bh_pending_head, &bh_pending_tail, bh);
    g_mutex_unlock(&bh_lock);
    if (wake && !main_loop_is_main_thread()) {
        g_main_context_wakeup(NULL);
    }
}

void qemu_bh_cancel(QEMUBH *bh)
{
    g_mutex_lock(&bh_lock);
    if (bh->scheduled) {
        bh_list_unlink(bh);
        bh->scheduled = false;
    }
    g_mutex_unlock(&bh_lock);
}

void qemu_bh_delete(QEMUBH *bh)
{
    if (!bh) {
        return;
    }
    qemu_bh_cancel(bh);
    g_free(bh);
}

void main_loop_schedule_oneshot(QEMUBHFunc *cb, void *opaque)
{
    QEMUBH *bh = qemu_bh_new(cb, opaque);

    bh->oneshot = true;
    qemu_bh_schedule(bh);
}

/* ---- the loop ---- */

bool main_loop_is_main_thread(void)
{
    return loop_ready && pthread_equal(pthread_self(), main_thread);
}

static GSource *source_attach(GSourceFuncs *funcs, const char *name)
{
    GSource *src = g_source_new(funcs, sizeof(GSource));

    g_source_set_name(src, name);
    g_source_set_can_recurse(src, TRUE);
    g_source_attach(src, NULL);
    return src;
}

void main_loop_init(void)
{
    if (loop_ready) {
        return;
    }
    main_thread = pthread_self();
    fd_table = g_hash_table_new(NULL, NULL);
    fd_source = source_attach(&fd_source_funcs, "minivm-fd-handlers");
    bh_source = source_attach(&bh_source_funcs, "minivm-bottom-halves");
    timers_source_attach();
    loop_ready = true;
}

bool main_loop_iterate(bool blocking)
{
    main_loop_init();
    return g_main_context_iteration(NULL, blocking);
}

int main_loop_run(void)
{
    int status;

    main_loop_init();
    while (!g_atomic_int_get(&quit_requested)) {
        g_main_context_iteration(NULL, TRUE);
    }
    status = g_atomic_int_get(&quit_status);
    /* allow a later main_loop_run() (tests, nested tools) */
    g_atomic_int_set(&quit_requested, 0);
    return status;
}

void main_loop_quit(int status)
{
    g_atomic_int_set(&quit_status, status);
    g_atomic_int_set(&quit_requested, 1);
    g_main_context_wakeup(NULL);
}

bool main_loop_should_quit(void)
{
    return g_atomic_int_get(&quit_requested);
}

void main_loop_wakeup(void)
{
    /* On the main thread the loop re-checks its condition after every
     * dispatch anyway: a wakeup would only cost an eventfd write and a
     * spurious poll return. */
    if (!main_loop_is_main_thread()) {
        g_main_context_wakeup(NULL);
    }
}
