/*
 * The request path of a node: bounds, permissions, alignment (unaligned
 * requests are widened with read-modify-write and serialised against
 * overlapping requests), splitting at the driver's limits, zero writes with
 * their fallback, detect-zeroes, discard, flush and truncate.  Every request
 * is tracked so that drain can wait for it and overlapping requests can wait
 * for each other.
 */
#include "block/block-core-int.h"

/* Largest bounce buffer the zero-write fallback allocates. */
#define ZERO_FALLBACK_MAX (16 * 1024 * 1024)

/* ---------------------------------------------------------------- in flight */

void bdrv_inc_in_flight(BlockDriverState *bs)
{
    bs->in_flight++;
}

void bdrv_dec_in_flight(BlockDriverState *bs)
{
    g_assert(bs->in_flight > 0);
    bs->in_flight--;
    /* A drain may be sleeping in the main loop waiting for this. */
    main_loop_wakeup();
}

/* ---------------------------------------------------------------- tracking */

static void tracked_request_begin(BdrvTrackedRequest *req, BlockDriverState *bs, int64_t offset,
                                  int64_t bytes, BdrvTrackedRequestType type)
{
    *req = (BdrvTrackedRequest){
        .bs = bs,
        .offset = offset,
        .bytes = bytes,
        .type = type,
        .overlap_offset = offset,
        .overlap_bytes = bytes,
        .co = qemu_coroutine_self(),
    };
    qemu_co_queue_init(&req->wait_queue);
    bs->tracked_requests = g_list_prepend(bs->tracked_requests, req);
}

static void tracked_request_end(BdrvTrackedRequest *req)
{
    BlockDriverState *bs = req->bs;

    if (req->serialising) {
        bs->serialising_in_flight--;
    }
    bs->tracked_requests = g_list_remove(bs->tracked_requests, req);
    qemu_co_queue_restart_all(&req->wait_queue);
}

/* Widens the request's exclusive range to whole 'align' blocks. */
static void tracked_request_serialise(BdrvTrackedRequest *req, uint64_t align)
{
    int64_t start = QEMU_ALIGN_DOWN(req->offset, (int64_t)align);
    int64_t end = QEMU_ALIGN_UP(req->offset + req->bytes, (int64_t)align);

    if (!req->serialising) {
        req->serialising = true;
        req->bs->serialising_in_flight++;
    }
    start = MIN(start, req->overlap_offset);
    end = MAX(end, req->overlap_offset + req->overlap_bytes);
    req->overlap_offset = start;
    req->overlap_bytes = end - start;
}

static bool tracked_request_overlaps(BdrvTrackedRequest *req, int64_t offset, int64_t bytes)
{
    return offset < req->overlap_offset + req->overlap_bytes &&
           req->overlap_offset < offset + bytes;
}

void coroutine_fn bdrv_wait_serialising_requests(BdrvTrackedRequest *self)
{
    BlockDriverState *bs = self->bs;
    bool retry;

    if (!bs->serialising_in_flight) {
        return;
    }
    do {
        retry = false;
        for (GList *l = bs->tracked_requests; l; l = l->next) {
            BdrvTrackedRequest *req = l->data;

            if (req == self || (!req->serialising && !self->serialising)) {
                continue;
            }
            if (!tracked_request_overlaps(req, self->overlap_offset, self->overlap_bytes)) {
                continue;
            }
            /* A request that is itself waiting will wait for us once it
             * wakes up; waiting for it could deadlock. */
            if (req->waiting_for) {
                continue;
            }
            self->waiting_for = req;
            qemu_co_queue_wait(&req->wait_queue);
            self->waiting_for = NULL;
            retry = true;
            break;
        }
    } while (retry);
}

/* ---------------------------------------------------------------- helpers */

static int bdrv_check_request(int64_t offset, int64_t bytes)
{
    if (offset < 0 || bytes < 0 || bytes > BDRV_MAX_LENGTH || offset > BDRV_MAX_LENGTH - bytes) {
        return -EIO;
    }
    return 0;
}

static void *bdrv_blockalign(BlockDriverState *bs, size_t size)
{
    size_t align = MAX(bs->bl.opt_mem_alignment, sizeof(void *));
    void *p = NULL;

    if (posix_memalign(&p, align, size ? size : 1)) {
        abort();
    }
    return p;
}

/* Largest piece the driver takes in one call, a multiple of align. */
static int64_t bdrv_max_transfer(BlockDriverState *bs, int64_t align)
{
    int64_t max = BDRV_REQUEST_MAX_BYTES;

    if (bs->bl.max_transfer && (int64_t)bs->bl.max_transfer < max) {
        max = bs->bl.max_transfer;
    }
    return MAX(QEMU_ALIGN_DOWN(max, align), align);
}

/* The [qiov_offset, qiov_offset + bytes) part of qiov as its own vector. */
static QEMUIOVector *qiov_slice(QEMUIOVector *qiov, size_t qiov_offset, int64_t bytes,
                                QEMUIOVector *local)
{
    if (!qiov || (qiov_offset == 0 && qiov->size == (size_t)bytes)) {
        return qiov;
    }
    qemu_iovec_init(local, qiov->niov);
    qemu_iovec_concat(local, qiov, qiov_offset, bytes);
    return local;
}

static int coroutine_fn bdrv_driver_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov, size_t qiov_offset,
                                           BdrvRequestFlags flags)
{
    QEMUIOVector local = {0};
    QEMUIOVector *q;
    int ret;

    if (!bs->drv->bdrv_co_preadv) {
        return -ENOTSUP;
    }
    q = qiov_slice(qiov, qiov_offset, bytes, &local);
    ret = bs->drv->bdrv_co_preadv(bs, offset, bytes, q, flags & BDRV_REQ_PREFETCH);
    if (q == &local) {
        qemu_iovec_destroy(&local);
    }
    return ret;
}

static int coroutine_fn bdrv_driver_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov, size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    const BlockDriver *drv = bs->drv;
    QEMUIOVector local = {0};
    QEMUIOVector *q;
    bool emulate_fua = (flags & BDRV_REQ_FUA) && !(drv->supported_write_flags & BDRV_REQ_FUA);
    int ret;

    if (!drv->bdrv_co_pwritev) {
        return -ENOTSUP;
    }
    q = qiov_slice(qiov, qiov_offset, bytes, &local);
    ret = drv->bdrv_co_pwritev(bs, offset, bytes, q, flags & drv->supported_write_flags);
    if (q == &local) {
        qemu_iovec_destroy(&local);
    }
    if (ret == 0 && emulate_fua) {
        /* The data is written now: make the flush see it as unflushed. */
        bs->write_gen++;
        ret = bdrv_co_flush(bs);
    }
    return ret;
}

/* ---------------------------------------------------------------- padding */

struct BdrvRequestPadding {
    uint8_t *buf;
    size_t buf_len;
    uint8_t *tail_buf;
    int64_t head, tail; /* bytes added before and after the request */
    bool merged;        /* head and tail lie in the same block */
    QEMUIOVector qiov;  /* head pad + caller's data + tail pad */
};

static bool bdrv_padding_init(BlockDriverState *bs, int64_t offset, int64_t bytes,
                              BdrvRequestPadding *pad)
{
    int64_t align = bs->bl.request_alignment;
    int64_t end_rem = (offset + bytes) % align;

    memset(pad, 0, sizeof(*pad));
    pad->head = offset % align;
    pad->tail = end_rem ? align - end_rem : 0;
    if (!pad->head && !pad->tail) {
        return false;
    }
    pad->merged = pad->head + bytes + pad->tail == align;
    pad->buf_len = (pad->head && pad->tail && !pad->merged) ? 2 * align : align;
    pad->buf = bdrv_blockalign(bs, pad->buf_len);
    pad->tail_buf = pad->buf + pad->buf_len - align;
    return true;
}

/* Builds pad->qiov around [qiov_offset, +bytes) of the caller's vector. */
static void bdrv_padding_wrap(BdrvRequestPadding *pad, int64_t align, QEMUIOVector *qiov,
                              size_t qiov_offset, int64_t bytes)
{
    qemu_iovec_init(&pad->qiov, (qiov ? qiov->niov : 1) + 2);
    if (pad->head) {
        qemu_iovec_add(&pad->qiov, pad->buf, pad->head);
    }
    if (qiov) {
        qemu_iovec_concat(&pad->qiov, qiov, qiov_offset, bytes);
    }
    if (pad->tail) {
        qemu_iovec_add(&pad->qiov, pad->tail_buf + align - pad->tail, pad->tail);
    }
}

static void bdrv_padding_destroy(BdrvRequestPadding *pad)
{
    if (pad->buf) {
        free(pad->buf);
    }
    if (pad->qiov.iov) {
        qemu_iovec_destroy(&pad->qiov);
    }
    memset(pad, 0, sizeof(*pad));
}

/* ---------------------------------------------------------------- reads */

/* An aligned read; the part beyond the end of the node reads as zeroes. */
static int coroutine_fn bdrv_aligned_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                            int64_t align, QEMUIOVector *qiov, size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    int64_t max_transfer = bdrv_max_transfer(bs, align);
    int64_t total, max_bytes, done = 0;

    /* Asking the driver for the length may cost a system call: only when
     * the request reaches past what is known to exist. */
    if (bs->total_bytes >= 0 && offset + bytes <= bs->total_bytes) {
        total = bs->total_bytes;
    } else {
        total = bdrv_getlength(bs);
        if (total < 0) {
            return (int)total;
        }
    }
    max_bytes = QEMU_ALIGN_UP(MAX(0, total - offset), align);
    if (bytes <= max_bytes && bytes <= max_transfer) {
        return bdrv_driver_preadv(bs, offset, bytes, qiov, qiov_offset, flags);
    }
    while (done < bytes) {
        int64_t num = MIN(bytes - done, max_transfer);
        int ret;

        if (done < max_bytes) {
            num = MIN(num, max_bytes - done);
            ret = bdrv_driver_preadv(bs, offset + done, num, qiov, qiov_offset + done, flags);
            if (ret < 0) {
                return ret;
            }
        } else {
            qemu_iovec_memset(qiov, qiov_offset + done, 0, bytes - done);
            num = bytes - done;
        }
        done += num;
    }
    return 0;
}

int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset, int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    BdrvTrackedRequest req;
    BdrvRequestPadding pad;
    int64_t align;
    int ret;

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!qiov || qiov->size < (size_t)bytes) {
        return -EINVAL;
    }
    if (bytes == 0) {
        return 0;
    }
    align = bs->bl.request_alignment;
    bdrv_inc_in_flight(bs);
    tracked_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_READ);
    if (flags & BDRV_REQ_SERIALISING) {
        tracked_request_serialise(&req, align);
    }
    bdrv_wait_serialising_requests(&req);

    if (bdrv_padding_init(bs, offset, bytes, &pad)) {
        bdrv_padding_wrap(&pad, align, qiov, 0, bytes);
        ret = bdrv_aligned_preadv(bs, offset - pad.head, pad.head + bytes + pad.tail, align,
                                  &pad.qiov, 0, flags);
        bdrv_padding_destroy(&pad);
    } else {
        ret = bdrv_aligned_preadv(bs, offset, bytes, align, qiov, 0, flags);
    }

    tracked_request_end(&req);
    bdrv_dec_in_flight(bs);
    return ret;
}

/* ---------------------------------------------------------------- writes */

static int coroutine_fn bdrv_co_do_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                                 int64_t bytes, BdrvRequestFlags flags)
{
    const BlockDriver *drv = bs->drv;
    int64_t alignment = MAX(bs->bl.pwrite_zeroes_alignment, bs->bl.request_alignment);
    int64_t max_zero =
        bs->bl.max_pwrite_zeroes ? (int64_t)bs->bl.max_pwrite_zeroes : BDRV_REQUEST_MAX_BYTES;
    int64_t max_bounce = MIN(bdrv_max_transfer(bs, bs->bl.request_alignment), ZERO_FALLBACK_MAX);
    bool need_flush = false;
    uint8_t *buf = NULL;
    size_t buf_len = 0;
    int ret = 0;

    max_zero = MAX(QEMU_ALIGN_DOWN(max_zero, alignment), alignment);
    while (bytes > 0 && ret == 0) {
        int64_t num = MIN(bytes, max_zero);
        int64_t head = offset % alignment;

        /* Keep the driver's calls on its preferred boundaries. */
        if (head) {
            num = MIN(num, alignment - head);
        } else if (num > alignment && (offset + num) % alignment) {
            num -= (offset + num) % alignment;
        }
        ret = -ENOTSUP;
        if (drv->bdrv_co_pwrite_zeroes) {
            ret = drv->bdrv_co_pwrite_zeroes(bs, offset, num, flags & drv->supported_zero_flags);
            if (ret != -ENOTSUP && (flags & BDRV_REQ_FUA) &&
                !(drv->supported_zero_flags & BDRV_REQ_FUA)) {
                need_flush = true;
            }
        }
        if (ret == -ENOTSUP && !(flags & BDRV_REQ_NO_FALLBACK)) {
            BdrvRequestFlags wflags = flags & BDRV_REQ_FUA;
            QEMUIOVector qiov;

            num = MIN(num, max_bounce);
            if (!buf) {
                buf_len = num;
                buf = bdrv_blockalign(bs, buf_len);
                memset(buf, 0, buf_len);
            }
            qemu_iovec_init_buf(&qiov, buf, num);
            ret = bdrv_driver_pwritev(bs, offset, num, &qiov, 0, wflags);
        }
        offset += num;
        bytes -= num;
    }
    if (ret == 0 && need_flush) {
        bs->write_gen++;
        ret = bdrv_co_flush(bs);
    }
    free(buf);
    return ret;
}

/* Checks a write against the node's state and the edge's permissions. */
static int bdrv_check_write(BdrvChild *child, int64_t offset, int64_t bytes, BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    uint64_t need = (flags & BDRV_REQ_WRITE_UNCHANGED) ? BLK_PERM_WRITE_UNCHANGED : BLK_PERM_WRITE;

    if (bs->read_only) {
        return -EPERM;
    }
    if (!(child->perm & (need | BLK_PERM_WRITE))) {
        return -EPERM;
    }
    if (bs->total_bytes >= 0 && offset + bytes > bs->total_bytes &&
        !(child->perm & BLK_PERM_RESIZE)) {
        int64_t len = bdrv_getlength(bs);

        if (len >= 0 && offset + bytes > len) {
            return -EPERM;
        }
    }
    return 0;
}

static int coroutine_fn bdrv_aligned_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                             int64_t align, QEMUIOVector *qiov, size_t qiov_offset,
                                             BdrvRequestFlags flags)
{
    const BlockDriver *drv = bs->drv;
    int64_t max_transfer = bdrv_max_transfer(bs, align);
    int ret;

    if (bs->detect_zeroes != BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF &&
        !(flags & (BDRV_REQ_ZERO_WRITE | BDRV_REQ_WRITE_COMPRESSED)) && qiov &&
        qemu_iovec_is_zero(qiov, qiov_offset, bytes)) {
        flags |= BDRV_REQ_ZERO_WRITE;
        if (bs->detect_zeroes == BLOCKDEV_DETECT_ZEROES_OPTIONS_UNMAP &&
            (bs->open_flags & BDRV_O_UNMAP)) {
            flags |= BDRV_REQ_MAY_UNMAP;
        }
    }
    if (flags & BDRV_REQ_ZERO_WRITE) {
        bdrv_debug_event(bs, BLKDBG_PWRITEV_ZERO);
        ret = bdrv_co_do_pwrite_zeroes(bs, offset, bytes, flags);
    } else if (flags & BDRV_REQ_WRITE_COMPRESSED) {
        QEMUIOVector local = {0};
        QEMUIOVector *q = qiov_slice(qiov, qiov_offset, bytes, &local);

        ret = drv->bdrv_co_pwritev_compressed
                  ? drv->bdrv_co_pwritev_compressed(bs, offset, bytes, q)
                  : -ENOTSUP;
        if (q == &local) {
            qemu_iovec_destroy(&local);
        }
    } else {
        int64_t done = 0;

        bdrv_debug_event(bs, BLKDBG_PWRITEV);
        ret = 0;
        while (done < bytes && ret == 0) {
            int64_t num = MIN(bytes - done, max_transfer);

            ret = bdrv_driver_pwritev(bs, offset + done, num, qiov, qiov_offset + done, flags);
            done += num;
        }
    }
    bdrv_debug_event(bs, BLKDBG_PWRITEV_DONE);

    bs->write_gen++;
    if (ret == 0) {
        uint64_t end = offset + bytes;

        if (end > bs->wr_highest_offset) {
            bs->wr_highest_offset = end;
        }
        if (bs->total_bytes >= 0 && (int64_t)end > bs->total_bytes && !drv->bdrv_getlength) {
            bs->total_bytes = end;
        }
    }
    return ret;
}

/*
 * Zero write of an unaligned range: the partial blocks at either end are
 * read, zeroed in memory and written back; the aligned middle is a real
 * zero write.
 */
static int coroutine_fn bdrv_co_zero_pwritev_padded(BlockDriverState *bs, int64_t offset,
                                                    int64_t bytes, BdrvRequestPadding *pad,
                                                    BdrvRequestFlags flags)
{
    int64_t align = bs->bl.request_alignment;
    BdrvRequestFlags data_flags = flags & BDRV_REQ_FUA;
    QEMUIOVector qiov;
    int ret;

    if (pad->head || pad->merged) {
        int64_t start = offset - pad->head;
        int64_t n = MIN(bytes, align - pad->head);

        qemu_iovec_init_buf(&qiov, pad->buf, align);
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_HEAD);
        ret = bdrv_aligned_preadv(bs, start, align, align, &qiov, 0, 0);
        if (ret < 0) {
            return ret;
        }
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_AFTER_HEAD);
        memset(pad->buf + pad->head, 0, n);
        ret = bdrv_aligned_pwritev(bs, start, align, align, &qiov, 0, data_flags);
        if (ret < 0 || pad->merged) {
            return ret;
        }
        offset += n;
        bytes -= n;
    }
    if (bytes >= align) {
        int64_t middle = QEMU_ALIGN_DOWN(bytes, align);

        ret = bdrv_aligned_pwritev(bs, offset, middle, align, NULL, 0, flags);
        if (ret < 0) {
            return ret;
        }
        offset += middle;
        bytes -= middle;
    }
    if (bytes > 0) {
        qemu_iovec_init_buf(&qiov, pad->tail_buf, align);
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_TAIL);
        ret = bdrv_aligned_preadv(bs, offset, align, align, &qiov, 0, 0);
        if (ret < 0) {
            return ret;
        }
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_AFTER_TAIL);
        memset(pad->tail_buf, 0, bytes);
        ret = bdrv_aligned_pwritev(bs, offset, align, align, &qiov, 0, data_flags);
    }
    return ret;
}

/* Fills the pad blocks of an unaligned data write from the node. */
static int coroutine_fn bdrv_padding_rmw_read(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                              BdrvRequestPadding *pad)
{
    int64_t align = bs->bl.request_alignment;
    QEMUIOVector qiov;
    int ret;

    if (pad->head || pad->merged) {
        qemu_iovec_init_buf(&qiov, pad->buf, align);
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_HEAD);
        ret = bdrv_aligned_preadv(bs, offset - pad->head, align, align, &qiov, 0, 0);
        if (ret < 0) {
            return ret;
        }
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_AFTER_HEAD);
    }
    if (pad->tail && !pad->merged) {
        qemu_iovec_init_buf(&qiov, pad->tail_buf, align);
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_TAIL);
        ret = bdrv_aligned_preadv(bs, QEMU_ALIGN_DOWN(offset + bytes, align), align, align, &qiov,
                                  0, 0);
        if (ret < 0) {
            return ret;
        }
        bdrv_debug_event(bs, BLKDBG_PWRITEV_RMW_AFTER_TAIL);
    }
    return 0;
}

int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    BdrvTrackedRequest req;
    BdrvRequestPadding pad;
    int64_t align;
    int ret;

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!(flags & BDRV_REQ_ZERO_WRITE) && (!qiov || qiov->size < (size_t)bytes)) {
        return -EINVAL;
    }
    ret = bdrv_check_write(child, offset, bytes, flags);
    if (ret < 0) {
        return ret;
    }
    if (bytes == 0) {
        return 0;
    }
    align = bs->bl.request_alignment;
    bdrv_inc_in_flight(bs);
    tracked_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_WRITE);

    if (bdrv_padding_init(bs, offset, bytes, &pad)) {
        /* Read-modify-write: nobody may touch the pad blocks meanwhile. */
        tracked_request_serialise(&req, align);
        bdrv_wait_serialising_requests(&req);
        if (flags & BDRV_REQ_ZERO_WRITE) {
            ret = bdrv_co_zero_pwritev_padded(bs, offset, bytes, &pad, flags);
        } else {
            ret = bdrv_padding_rmw_read(bs, offset, bytes, &pad);
            if (ret == 0) {
                bdrv_padding_wrap(&pad, align, qiov, 0, bytes);
                ret = bdrv_aligned_pwritev(bs, offset - pad.head, pad.head + bytes + pad.tail,
                                           align, &pad.qiov, 0, flags);
            }
        }
        bdrv_padding_destroy(&pad);
    } else {
        if (flags & BDRV_REQ_SERIALISING) {
            tracked_request_serialise(&req, align);
        }
        bdrv_wait_serialising_requests(&req);
        ret = bdrv_aligned_pwritev(bs, offset, bytes, align, qiov, 0, flags);
    }

    tracked_request_end(&req);
    bdrv_dec_in_flight(bs);
    return ret;
}

int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                                       BdrvRequestFlags flags)
{
    if (child->bs && !(child->bs->open_flags & BDRV_O_UNMAP)) {
        flags &= ~BDRV_REQ_MAY_UNMAP;
    }
    return bdrv_co_pwritev(child, offset, bytes, NULL, BDRV_REQ_ZERO_WRITE | flags);
}

int coroutine_fn bdrv_co_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
                               BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, buf, bytes);
    return bdrv_co_preadv(child, offset, bytes, &qiov, flags);
}

int coroutine_fn bdrv_co_pwrite(BdrvChild *child, int64_t offset, int64_t bytes, const void *buf,
                                BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    if (bytes < 0) {
        return -EIO;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    return bdrv_co_pwritev(child, offset, bytes, &qiov, flags);
}

/* ---------------------------------------------------------------- discard */

int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes)
{
    BlockDriverState *bs = child->bs;
    BdrvTrackedRequest req;
    int64_t align, max_discard, end;
    int ret;

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (bs->read_only || !(child->perm & BLK_PERM_WRITE)) {
        return -EPERM;
    }
    /* discard=ignore, or nothing to pass it to: a discard is only advice. */
    if (!(bs->open_flags & BDRV_O_UNMAP) || !bs->drv->bdrv_co_pdiscard || bytes == 0) {
        return 0;
    }
    align = MAX(bs->bl.pdiscard_alignment, bs->bl.request_alignment);
    max_discard = bs->bl.max_pdiscard ? (int64_t)bs->bl.max_pdiscard : BDRV_REQUEST_MAX_BYTES;
    max_discard = MAX(QEMU_ALIGN_DOWN(max_discard, align), align);

    bdrv_inc_in_flight(bs);
    tracked_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_DISCARD);
    bdrv_wait_serialising_requests(&req);

    /* Partial blocks at the edges are simply not discarded. */
    end = QEMU_ALIGN_DOWN(offset + bytes, align);
    offset = QEMU_ALIGN_UP(offset, align);
    ret = 0;
    while (offset < end) {
        int64_t num = MIN(end - offset, max_discard);

        ret = bs->drv->bdrv_co_pdiscard(bs, offset, num);
        if (ret == -ENOTSUP) {
            ret = 0;
        }
        if (ret < 0) {
            break;
        }
        offset += num;
    }
    bs->write_gen++;
    tracked_request_end(&req);
    bdrv_dec_in_flight(bs);
    return ret;
}

/* ---------------------------------------------------------------- flush */

int coroutine_fn bdrv_co_flush(BlockDriverState *bs)
{
    uint64_t gen;
    int ret = 0;

    if (!bs || !bs->drv) {
        return 0;
    }
    bdrv_inc_in_flight(bs);
    qemu_co_mutex_lock(&bs->flush_lock);
    gen = bs->write_gen;
    /* Nothing written since the last successful flush: nothing to do. */
    if (bs->flushed_gen == gen) {
        goto out;
    }
    bdrv_debug_event(bs, BLKDBG_FLUSH_TO_OS);
    if (bs->drv->bdrv_co_flush_to_os) {
        ret = bs->drv->bdrv_co_flush_to_os(bs);
        if (ret < 0) {
            goto out;
        }
    }
    if (!(bs->open_flags & BDRV_O_NO_FLUSH)) {
        bdrv_debug_event(bs, BLKDBG_FLUSH_TO_DISK);
        if (bs->drv->bdrv_co_flush_to_disk) {
            ret = bs->drv->bdrv_co_flush_to_disk(bs);
            if (ret < 0) {
                goto out;
            }
        }
    }
    /* What this node wrote below must reach storage too. */
    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) {
            int r = bdrv_co_flush(c->bs);

            if (r < 0 && ret == 0) {
                ret = r;
            }
        }
    }
    if (ret == 0) {
        bs->flushed_gen = gen;
    }
out:
    qemu_co_mutex_unlock(&bs->flush_lock);
    bdrv_dec_in_flight(bs);
    return ret;
}

/* ---------------------------------------------------------------- truncate */

int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset, bool exact,
                                  PreallocMode prealloc, BdrvRequestFlags flags, Error **errp)
{
    BlockDriverState *bs = child->bs;
    BlockDriverState *filtered;
    BdrvTrackedRequest req;
    int64_t old_size, new_bytes;
    int ret;

    if (!bs || !bs->drv) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    if (offset < 0) {
        error_setg(errp, "Image size cannot be negative");
        return -EINVAL;
    }
    if (offset > BDRV_MAX_LENGTH) {
        error_setg(errp, "Required too big image size, it must be not greater than %" PRId64,
                   (int64_t)BDRV_MAX_LENGTH);
        return -EINVAL;
    }
    old_size = bdrv_getlength(bs);
    if (old_size < 0) {
        error_setg_errno(errp, -old_size, "Failed to get old image size");
        return (int)old_size;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    if (!(child->perm & BLK_PERM_RESIZE)) {
        error_setg(errp, "Permission 'resize' is not held on node '%s'", bs->node_name);
        return -EPERM;
    }
    new_bytes = offset > old_size ? offset - old_size : 0;

    bdrv_inc_in_flight(bs);
    tracked_request_begin(&req, bs, offset - new_bytes, new_bytes ? new_bytes : INT64_MAX / 4,
                          BDRV_TRACKED_TRUNCATE);
    /* Nothing may run past the old or new end while the size changes. */
    tracked_request_serialise(&req, 1);
    bdrv_wait_serialising_requests(&req);

    filtered = bdrv_filter_bs(bs);
    if (bs->drv->bdrv_co_truncate) {
        ret = bs->drv->bdrv_co_truncate(bs, offset, exact, prealloc, flags, errp);
    } else if (filtered && bs->drv->is_filter) {
        BdrvChild *fc = NULL;

        for (GList *l = bs->children; l; l = l->next) {
            if (((BdrvChild *)l->data)->bs == filtered) {
                fc = l->data;
            }
        }
        ret = bdrv_co_truncate(fc, offset, exact, prealloc, flags, errp);
    } else {
        error_setg(errp, "Image format driver does not support resize");
        ret = -ENOTSUP;
    }
    if (ret == 0) {
        bs->total_bytes = -1;
        if (bdrv_getlength(bs) < 0 || !bs->drv->bdrv_getlength) {
            bs->total_bytes = offset;
        }
        bs->write_gen++;
        bdrv_parent_cb_resize(bs);
    }
    tracked_request_end(&req);
    bdrv_dec_in_flight(bs);
    return ret;
}

/* ---------------------------------------------------------------- sync wrappers */

typedef struct BdrvRwCo {
    BdrvChild *child;
    int64_t offset, bytes;
    void *buf;
    BdrvRequestFlags flags;
    BlockDriverState *bs;
    bool write;
    int ret;
} BdrvRwCo;

static void coroutine_fn bdrv_rw_co_entry(void *opaque)
{
    BdrvRwCo *rw = opaque;

    if (rw->write) {
        rw->ret = bdrv_co_pwrite(rw->child, rw->offset, rw->bytes, rw->buf, rw->flags);
    } else {
        rw->ret = bdrv_co_pread(rw->child, rw->offset, rw->bytes, rw->buf, rw->flags);
    }
}

int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf, BdrvRequestFlags flags)
{
    BdrvRwCo rw = {.child = child, .offset = offset, .bytes = bytes, .buf = buf, .flags = flags};

    coroutine_run_sync(bdrv_rw_co_entry, &rw);
    return rw.ret;
}

int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes, const void *buf,
                BdrvRequestFlags flags)
{
    BdrvRwCo rw = {.child = child,
                   .offset = offset,
                   .bytes = bytes,
                   .buf = (void *)buf,
                   .flags = flags,
                   .write = true};

    coroutine_run_sync(bdrv_rw_co_entry, &rw);
    return rw.ret;
}

static void coroutine_fn bdrv_flush_co_entry(void *opaque)
{
    BdrvRwCo *rw = opaque;

    rw->ret = bdrv_co_flush(rw->bs);
}

int bdrv_flush(BlockDriverState *bs)
{
    BdrvRwCo rw = {.bs = bs};

    coroutine_run_sync(bdrv_flush_co_entry, &rw);
    return rw.ret;
}
