/*
 * The io_uring back-end of the 'file' driver (aio=io_uring, and aio=native).
 *
 * One ring serves the whole process from the main loop.  A request puts its
 * SQE in the ring and yields; the SQEs queued while coroutines run are handed
 * to the kernel together by a bottom half at the end of the main-loop
 * iteration (or at once when the batch is full), so a burst of requests costs
 * one io_uring_enter.  Completions raise an eventfd watched by the main loop;
 * its handler reaps every CQE, resubmits what must be continued (short
 * transfers, -EAGAIN, -EINTR) and re-enters the finished requests'
 * coroutines.
 *
 * At most as many requests are in the kernel as the completion queue holds,
 * so completions can never overflow; further requests wait for a slot.
 */
#include "config-host.h"
#include "block/file-posix.h"

#ifdef CONFIG_LINUX_IO_URING

#include <liburing.h>
#include <sys/eventfd.h>

#define URING_ENTRIES 128

typedef enum UringOp {
    URING_OP_READ,
    URING_OP_WRITE,
    URING_OP_FDATASYNC,
} UringOp;

typedef struct UringReq {
    Coroutine *co;
    UringOp op;
    int fd;
    int64_t offset;
    QEMUIOVector *qiov;
    QEMUIOVector rest; /* the part still to transfer after a short one */
    bool has_rest;
    size_t done;
    int ret;
    bool completed;
} UringReq;

static struct {
    bool tried;
    int init_errno;
    struct io_uring ring;
    int event_fd;
    QEMUBH *submit_bh;
    unsigned queued;      /* SQEs filled in but not yet submitted */
    unsigned in_kernel;   /* requests holding a slot (queued, submitted or waiting for an SQE) */
    unsigned slots;       /* completion queue size */
    GQueue no_sqe;        /* requests waiting for a free SQE */
    CoQueue slot_waiters; /* coroutines waiting for in_kernel < slots */
} uring;

static void uring_submit(void)
{
    while (uring.queued) {
        int ret = io_uring_submit(&uring.ring);

        if (ret >= 0) {
            uring.queued -= MIN((unsigned)ret, uring.queued);
            if (ret == 0) {
                break;
            }
            continue;
        }
        if (ret == -EINTR) {
            continue;
        }
        /*
         * -EAGAIN / -EBUSY: the kernel is short of resources; the SQEs stay
         * in the ring and go with the next submission, which the next
         * completion (or this retry) triggers.
         */
        qemu_bh_schedule(uring.submit_bh);
        break;
    }
}

static bool uring_fill_sqe(UringReq *req)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&uring.ring);
    QEMUIOVector *v = req->has_rest ? &req->rest : req->qiov;

    if (!sqe) {
        uring_submit();
        sqe = io_uring_get_sqe(&uring.ring);
        if (!sqe) {
            return false;
        }
    }
    switch (req->op) {
    case URING_OP_READ:
        io_uring_prep_readv(sqe, req->fd, v->iov, v->niov, req->offset + req->done);
        break;
    case URING_OP_WRITE:
        io_uring_prep_writev(sqe, req->fd, v->iov, v->niov, req->offset + req->done);
        break;
    case URING_OP_FDATASYNC:
        io_uring_prep_fsync(sqe, req->fd, IORING_FSYNC_DATASYNC);
        break;
    }
    io_uring_sqe_set_data(sqe, req);
    uring.queued++;
    return true;
}

/* Queues req's next SQE; submission happens in the bottom half unless the batch is full. */
static void uring_queue(UringReq *req, uint32_t max_batch)
{
    unsigned limit = max_batch ? MIN(max_batch, URING_ENTRIES) : URING_ENTRIES;

    if (!g_queue_is_empty(&uring.no_sqe) || !uring_fill_sqe(req)) {
        g_queue_push_tail(&uring.no_sqe, req);
        qemu_bh_schedule(uring.submit_bh);
        return;
    }
    if (uring.queued >= limit) {
        uring_submit();
    } else {
        qemu_bh_schedule(uring.submit_bh);
    }
}

static void uring_fill_waiting(void)
{
    UringReq *req;

    while ((req = g_queue_peek_head(&uring.no_sqe))) {
        if (!uring_fill_sqe(req)) {
            return;
        }
        g_queue_pop_head(&uring.no_sqe);
    }
}

static void uring_submit_bh(void *opaque)
{
    uring_fill_waiting();
    uring_submit();
}

static size_t uring_req_size(UringReq *req)
{
    return req->qiov ? req->qiov->size : 0;
}

/*
 * Accounts one completion of req; returns false if req goes back to the
 * kernel for the rest of its work.
 */
static bool uring_complete_one(UringReq *req, int res)
{
    size_t size = uring_req_size(req);

    if (res == -EINTR || res == -EAGAIN) {
        return false;
    }
    if (res == -EINVAL && req->op == URING_OP_READ && req->done > 0) {
        /*
         * O_DIRECT: the continuation of a read cut short by the end of the
         * file starts unaligned.  The file ends there.
         */
        res = 0;
    }
    if (res < 0) {
        req->ret = res;
        return true;
    }
    if (req->op == URING_OP_FDATASYNC) {
        req->ret = 0;
        return true;
    }
    if (res == 0) {
        if (req->op == URING_OP_READ) {
            /* end of file: the rest reads as zeroes */
            qemu_iovec_memset(req->qiov, req->done, 0, size - req->done);
            req->ret = 0;
        } else {
            req->ret = -ENOSPC;
        }
        return true;
    }
    req->done += res;
    if (req->done >= size) {
        req->ret = 0;
        return true;
    }
    /* a short transfer: carry on with the remainder */
    if (!req->has_rest) {
        qemu_iovec_init(&req->rest, req->qiov->niov);
        req->has_rest = true;
    }
    qemu_iovec_reset(&req->rest);
    qemu_iovec_concat(&req->rest, req->qiov, req->done, size - req->done);
    return false;
}

static void uring_completion_handler(void *opaque)
{
    GPtrArray *finished = g_ptr_array_new();
    struct io_uring_cqe *cqe;
    eventfd_t value;

    (void)eventfd_read(uring.event_fd, &value);
    while (io_uring_peek_cqe(&uring.ring, &cqe) == 0) {
        UringReq *req = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&uring.ring, cqe);
        if (uring_complete_one(req, res)) {
            uring.in_kernel--;
            g_ptr_array_add(finished, req);
        } else if (!uring_fill_sqe(req)) {
            g_queue_push_tail(&uring.no_sqe, req);
        }
    }
    uring_fill_waiting();
    uring_submit();

    /* Only now re-enter coroutines: they may queue new requests. */
    for (guint i = 0; i < finished->len; i++) {
        UringReq *req = finished->pdata[i];

        req->completed = true;
        qemu_coroutine_enter(req->co);
    }
    for (guint i = 0; i < finished->len && !qemu_co_queue_empty(&uring.slot_waiters); i++) {
        qemu_co_queue_next(&uring.slot_waiters);
    }
    g_ptr_array_free(finished, true);
}

bool file_uring_available(Error **errp)
{
    struct io_uring_params params = {0};
    int ret;

    if (uring.tried) {
        if (uring.init_errno) {
            error_setg_errno(errp, uring.init_errno, "failed to init linux io_uring ring");
            return false;
        }
        return true;
    }
    uring.tried = true;
    ret = io_uring_queue_init_params(URING_ENTRIES, &uring.ring, &params);
    if (ret < 0) {
        uring.init_errno = -ret;
        error_setg_errno(errp, -ret, "failed to init linux io_uring ring");
        return false;
    }
    uring.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (uring.event_fd < 0 || io_uring_register_eventfd(&uring.ring, uring.event_fd) < 0) {
        uring.init_errno = errno ? errno : EINVAL;
        if (uring.event_fd >= 0) {
            close(uring.event_fd);
        }
        io_uring_queue_exit(&uring.ring);
        error_setg_errno(errp, uring.init_errno, "failed to init linux io_uring ring");
        return false;
    }
    uring.slots = params.cq_entries ? params.cq_entries : 2 * URING_ENTRIES;
    uring.submit_bh = qemu_bh_new(uring_submit_bh, NULL);
    g_queue_init(&uring.no_sqe);
    qemu_co_queue_init(&uring.slot_waiters);
    qemu_set_fd_handler(uring.event_fd, uring_completion_handler, NULL, NULL);
    return true;
}

static int coroutine_fn uring_run(UringReq *req, uint32_t max_batch)
{
    while (uring.in_kernel >= uring.slots) {
        qemu_co_queue_wait(&uring.slot_waiters);
    }
    uring.in_kernel++;
    req->co = qemu_coroutine_self();
    uring_queue(req, max_batch);
    while (!req->completed) {
        qemu_coroutine_yield();
    }
    if (req->has_rest) {
        qemu_iovec_destroy(&req->rest);
    }
    return req->ret;
}

int coroutine_fn file_uring_rw(int fd, bool is_write, int64_t offset, QEMUIOVector *qiov,
                               uint32_t max_batch)
{
    UringReq req = {
        .op = is_write ? URING_OP_WRITE : URING_OP_READ,
        .fd = fd,
        .offset = offset,
        .qiov = qiov,
    };

    if (qiov->size == 0) {
        return 0;
    }
    return uring_run(&req, max_batch);
}

int coroutine_fn file_uring_fdatasync(int fd)
{
    UringReq req = {
        .op = URING_OP_FDATASYNC,
        .fd = fd,
    };

    return uring_run(&req, 0);
}

#else /* !CONFIG_LINUX_IO_URING */

bool file_uring_available(Error **errp)
{
    error_setg_errno(errp, ENOSYS, "failed to init linux io_uring ring");
    return false;
}

int coroutine_fn file_uring_rw(int fd, bool is_write, int64_t offset, QEMUIOVector *qiov,
                               uint32_t max_batch)
{
    return -ENOSYS;
}

int coroutine_fn file_uring_fdatasync(int fd)
{
    return -ENOSYS;
}

#endif
