/*
 * The data path of the 'file' driver: reads, writes and flushes, on the
 * io_uring ring or on the thread pool.
 *
 * Buffers the kernel cannot take as they are (O_DIRECT with unaligned
 * memory, or more segments than preadv accepts) go through an aligned bounce
 * buffer.  A read that meets the end of the file returns zeroes for the
 * rest, as a disk would; short writes are continued.
 */
#include "block/file-posix.h"

#include <limits.h>

/* Thread-pool request: everything a worker needs, nothing shared. */
typedef struct FileRwReq {
    int fd;
    bool is_write;
    int64_t offset;
    struct iovec *iov;
    int niov;
    size_t bytes;
} FileRwReq;

static void iov_skip(struct iovec **iov, int *niov, size_t n)
{
    while (n && *niov) {
        if (n < (*iov)->iov_len) {
            (*iov)->iov_base = (char *)(*iov)->iov_base + n;
            (*iov)->iov_len -= n;
            return;
        }
        n -= (*iov)->iov_len;
        (*iov)++;
        (*niov)--;
    }
}

static void iov_zero(struct iovec *iov, int niov)
{
    for (int i = 0; i < niov; i++) {
        memset(iov[i].iov_base, 0, iov[i].iov_len);
    }
}

/* Runs on a pool thread. */
static int file_rw_worker(void *opaque)
{
    FileRwReq *r = opaque;
    struct iovec *copy = NULL, *iov = r->iov;
    int niov = r->niov;
    size_t done = 0;
    int ret = 0;

    while (done < r->bytes) {
        ssize_t n;

        if (r->is_write) {
            n = pwritev(r->fd, iov, MIN(niov, IOV_MAX), r->offset + done);
        } else {
            n = preadv(r->fd, iov, MIN(niov, IOV_MAX), r->offset + done);
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0 && errno == EINVAL && !r->is_write && done > 0) {
            n = 0; /* O_DIRECT continuation after an unaligned end of file */
        }
        if (n < 0) {
            ret = -errno;
            break;
        }
        if (n == 0) {
            if (r->is_write) {
                ret = -ENOSPC;
            } else {
                iov_zero(iov, niov);
            }
            break;
        }
        done += n;
        if (done < r->bytes) {
            if (!copy) {
                /* the caller's array stays untouched */
                copy = g_memdup2(iov, niov * sizeof(*iov));
                iov = copy;
            }
            iov_skip(&iov, &niov, n);
        }
    }
    g_free(copy);
    return ret;
}

static int file_fdatasync_worker(void *opaque)
{
    int fd = *(int *)opaque;

    while (fdatasync(fd) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

void file_request_begin(BDRVRawState *s)
{
    s->in_flight++;
}

void file_request_end(BDRVRawState *s)
{
    if (--s->in_flight == 0) {
        while (s->retired_fds) {
            close(GPOINTER_TO_INT(s->retired_fds->data));
            s->retired_fds = g_slist_delete_link(s->retired_fds, s->retired_fds);
        }
    }
}

void file_replace_fd(BDRVRawState *s, int new_fd)
{
    if (s->fd >= 0) {
        if (s->in_flight) {
            s->retired_fds = g_slist_prepend(s->retired_fds, GINT_TO_POINTER(s->fd));
        } else {
            close(s->fd);
        }
    }
    s->fd = new_fd;
}

int coroutine_fn file_co_run_in_pool(BDRVRawState *s, ThreadPoolFunc *fn, void *opaque)
{
    int ret;

    file_request_begin(s);
    ret = thread_pool_submit_co(fn, opaque);
    file_request_end(s);
    return ret;
}

static bool file_qiov_needs_bounce(BDRVRawState *s, QEMUIOVector *qiov)
{
    if (qiov->niov > IOV_MAX) {
        return true;
    }
    if (!s->use_direct) {
        return false;
    }
    for (int i = 0; i < qiov->niov; i++) {
        if ((uintptr_t)qiov->iov[i].iov_base % s->buf_align ||
            qiov->iov[i].iov_len % s->request_align) {
            return true;
        }
    }
    return false;
}

static int coroutine_fn file_co_rw_direct(BDRVRawState *s, bool is_write, int64_t offset,
                                          QEMUIOVector *qiov)
{
    int fd = s->fd;
    int ret;

    file_request_begin(s);
    if (s->aio == FILE_AIO_IO_URING) {
        ret = file_uring_rw(fd, is_write, offset, qiov, s->aio_max_batch);
    } else {
        FileRwReq req = {
            .fd = fd,
            .is_write = is_write,
            .offset = offset,
            .iov = qiov->iov,
            .niov = qiov->niov,
            .bytes = qiov->size,
        };
        ret = thread_pool_submit_co(file_rw_worker, &req);
    }
    file_request_end(s);
    return ret;
}

static int coroutine_fn file_co_rw(BlockDriverState *bs, bool is_write, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov)
{
    BDRVRawState *s = bs->opaque;
    QEMUIOVector bounce_qiov;
    void *bounce;
    int ret;

    if (bytes <= 0) {
        return 0;
    }
    if (s->fd < 0) {
        return -EBADF;
    }
    if ((uint64_t)bytes != qiov->size) {
        /* only the first 'bytes' of the vector take part */
        QEMUIOVector part;

        if ((uint64_t)bytes > qiov->size) {
            return -EINVAL;
        }
        qemu_iovec_init(&part, qiov->niov);
        qemu_iovec_concat(&part, qiov, 0, bytes);
        ret = file_co_rw(bs, is_write, offset, bytes, &part);
        qemu_iovec_destroy(&part);
        return ret;
    }
    if (!file_qiov_needs_bounce(s, qiov)) {
        return file_co_rw_direct(s, is_write, offset, qiov);
    }
    bounce = file_memalign(MAX(s->buf_align, 4096), bytes);
    if (!bounce) {
        return -ENOMEM;
    }
    if (is_write) {
        qemu_iovec_to_buf(qiov, 0, bounce, bytes);
    }
    qemu_iovec_init_buf(&bounce_qiov, bounce, bytes);
    ret = file_co_rw_direct(s, is_write, offset, &bounce_qiov);
    if (ret == 0 && !is_write) {
        qemu_iovec_from_buf(qiov, 0, bounce, bytes);
    }
    free(bounce);
    return ret;
}

int coroutine_fn file_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return file_co_rw(bs, false, offset, bytes, qiov);
}

int coroutine_fn file_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return file_co_rw(bs, true, offset, bytes, qiov);
}

int coroutine_fn file_co_flush_to_disk(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    int fd = s->fd;
    int ret;

    if (s->no_flush) {
        return 0;
    }
    if (s->flush_failed) {
        /*
         * The kernel may have dropped the dirty pages whose write-back failed:
         * a later fdatasync succeeding would not mean the data is on disk.
         */
        return -EIO;
    }
    if (fd < 0) {
        return -EBADF;
    }
    file_request_begin(s);
    if (s->aio == FILE_AIO_IO_URING) {
        ret = file_uring_fdatasync(fd);
    } else {
        ret = thread_pool_submit_co(file_fdatasync_worker, &fd);
    }
    file_request_end(s);
    if (ret < 0 && ret != -EBADF && ret != -EINVAL && ret != -ENOSYS) {
        s->flush_failed = true;
    }
    return ret;
}
