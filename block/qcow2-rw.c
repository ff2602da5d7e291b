/*
 * qcow2 guest I/O: reads, writes (in place or into newly allocated clusters
 * with the untouched parts copied from the old content in the same request),
 * zero writes and discards.
 *
 * The metadata lock is held only to look up or allocate; data moves without
 * it.  A read or write of clusters whose L2 table is cached costs one cache
 * lookup and one request to the file child, with no allocation.
 */
#include "block/qcow2.h"

void qcow2_qiov_slice(QEMUIOVector *dst, QEMUIOVector *src, size_t offset, size_t bytes)
{
    qemu_iovec_init(dst, src->niov);
    qemu_iovec_concat(dst, src, offset, bytes);
}

/* Reads child [offset, offset + bytes) into qiov at qoff, slicing only when needed. */
static int coroutine_fn child_preadv(BdrvChild *child, uint64_t offset, uint64_t bytes,
                                     QEMUIOVector *qiov, size_t qoff)
{
    QEMUIOVector sub;
    int ret;

    if (qoff == 0 && bytes == qiov->size) {
        return bdrv_co_preadv(child, offset, bytes, qiov, 0);
    }
    qcow2_qiov_slice(&sub, qiov, qoff, bytes);
    ret = bdrv_co_preadv(child, offset, bytes, &sub, 0);
    qemu_iovec_destroy(&sub);
    return ret;
}

static int coroutine_fn child_pwritev(BdrvChild *child, uint64_t offset, uint64_t bytes,
                                      QEMUIOVector *qiov, size_t qoff)
{
    QEMUIOVector sub;
    int ret;

    if (qoff == 0 && bytes == qiov->size) {
        return bdrv_co_pwritev(child, offset, bytes, qiov, 0);
    }
    qcow2_qiov_slice(&sub, qiov, qoff, bytes);
    ret = bdrv_co_pwritev(child, offset, bytes, &sub, 0);
    qemu_iovec_destroy(&sub);
    return ret;
}

/* Unallocated clusters: the backing file's data, zeroes past its end or without one. */
static int coroutine_fn read_unallocated(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                         QEMUIOVector *qiov, size_t qoff)
{
    uint64_t n = 0;
    int ret;

    if (bs->backing) {
        int64_t blen = bdrv_getlength(bs->backing->bs);
        if (blen < 0) {
            return blen;
        }
        if (offset < (uint64_t)blen) {
            n = MIN(bytes, (uint64_t)blen - offset);
            BLKDBG_EVENT(bs->file, BLKDBG_READ_BACKING_AIO);
            ret = child_preadv(bs->backing, offset, n, qiov, qoff);
            if (ret < 0) {
                return ret;
            }
        }
    }
    if (n < bytes) {
        qemu_iovec_memset(qiov, qoff + n, 0, bytes - n);
    }
    return 0;
}

/* Normal clusters; a run may end past the file after a host crash: that reads as zeroes. */
static int coroutine_fn read_normal(BlockDriverState *bs, uint64_t host, uint64_t bytes,
                                    QEMUIOVector *qiov, size_t qoff)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = bytes;

    if (host + bytes > s->file_size) {
        int64_t len = bdrv_getlength(bs->file->bs);
        if (len < 0) {
            return len;
        }
        n = (uint64_t)len > host ? MIN(bytes, (uint64_t)len - host) : 0;
        if (n < bytes) {
            qemu_iovec_memset(qiov, qoff + n, 0, bytes - n);
        }
        if (!n) {
            return 0;
        }
    }
    BLKDBG_EVENT(bs->file, BLKDBG_READ_AIO);
    return child_preadv(bs->file, host, n, qiov, qoff);
}

int coroutine_fn qcow2_read_guest(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                  QEMUIOVector *qiov, size_t qoff)
{
    BDRVQcow2State *s = bs->opaque;

    while (bytes > 0) {
        uint64_t cur = bytes, host;
        Qcow2ClusterType type;
        int ret;

        if (s->broken) {
            return -EIO;
        }
        qemu_co_mutex_lock(&s->lock);
        ret = qcow2_get_host_offset(bs, offset, &cur, &host, &type);
        /* Contiguous host runs continue across L2 tables: one request for all. */
        while (ret == 0 && type == QCOW2_CLUSTER_NORMAL && cur < bytes) {
            uint64_t more = bytes - cur, h2;
            Qcow2ClusterType t2;
            if (qcow2_get_host_offset(bs, offset + cur, &more, &h2, &t2) < 0 ||
                t2 != QCOW2_CLUSTER_NORMAL || h2 != host + cur) {
                break;
            }
            cur += more;
        }
        qemu_co_mutex_unlock(&s->lock);
        if (ret < 0) {
            return ret;
        }

        switch (type) {
        case QCOW2_CLUSTER_UNALLOCATED:
            ret = read_unallocated(bs, offset, cur, qiov, qoff);
            break;
        case QCOW2_CLUSTER_ZERO_PLAIN:
        case QCOW2_CLUSTER_ZERO_ALLOC:
            qemu_iovec_memset(qiov, qoff, 0, cur);
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            ret = qcow2_read_compressed(bs, host, qcow2_offset_into_cluster(s, offset), cur, qiov,
                                        qoff);
            break;
        case QCOW2_CLUSTER_NORMAL:
            ret = read_normal(bs, host, cur, qiov, qoff);
            break;
        }
        if (ret < 0) {
            return ret;
        }
        offset += cur;
        bytes -= cur;
        qoff += cur;
    }
    return 0;
}

int coroutine_fn qcow2_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return qcow2_read_guest(bs, offset, bytes, qiov, 0);
}

/*
 * Writes a new allocation in one request: the old content before the data
 * (read through this layer), the data, and the old content after it.
 */
static int coroutine_fn write_allocation(BlockDriverState *bs, Qcow2Alloc *m, QEMUIOVector *qiov,
                                         size_t qoff)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t total = m->nb_clusters << s->cluster_bits;
    uint64_t head = m->data_start, tail = total - m->data_end;
    uint64_t data = m->data_end - m->data_start;
    g_autofree uint8_t *head_buf = NULL;
    g_autofree uint8_t *tail_buf = NULL;
    QEMUIOVector all, part;
    int ret;

    if (head || tail) {
        BLKDBG_EVENT(bs->file, BLKDBG_COW_READ);
    }
    if (head) {
        head_buf = g_try_malloc(head);
        if (!head_buf) {
            return -ENOMEM;
        }
        qemu_iovec_init_buf(&part, head_buf, head);
        ret = qcow2_read_guest(bs, m->guest_offset, head, &part, 0);
        if (ret < 0) {
            return ret;
        }
    }
    if (tail) {
        tail_buf = g_try_malloc(tail);
        if (!tail_buf) {
            return -ENOMEM;
        }
        qemu_iovec_init_buf(&part, tail_buf, tail);
        ret = qcow2_read_guest(bs, m->guest_offset + m->data_end, tail, &part, 0);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_pre_write_overlap_check(bs, 0, m->host_offset, total);
    if (ret < 0) {
        return ret;
    }
    if (!head && !tail) {
        BLKDBG_EVENT(bs->file, BLKDBG_WRITE_AIO);
        return child_pwritev(bs->file, m->host_offset, total, qiov, qoff);
    }
    BLKDBG_EVENT(bs->file, BLKDBG_COW_WRITE);
    qemu_iovec_init(&all, qiov->niov + 2);
    if (head) {
        qemu_iovec_add(&all, head_buf, head);
    }
    qemu_iovec_concat(&all, qiov, qoff, data);
    if (tail) {
        qemu_iovec_add(&all, tail_buf, tail);
    }
    ret = bdrv_co_pwritev(bs->file, m->host_offset, total, &all, 0);
    qemu_iovec_destroy(&all);
    return ret;
}

static int coroutine_fn write_part(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                   QEMUIOVector *qiov, size_t qoff)
{
    BDRVQcow2State *s = bs->opaque;

    while (bytes > 0) {
        uint64_t cur = bytes, host;
        Qcow2Alloc m;
        int ret;

        qemu_co_mutex_lock(&s->lock);
        ret = qcow2_alloc_host_range(bs, offset, &cur, &host, &m);
        qemu_co_mutex_unlock(&s->lock);
        if (ret < 0) {
            return ret;
        }
        if (ret == 0) {
            ret = qcow2_pre_write_overlap_check(bs, 0, host, cur);
            if (ret == 0) {
                BLKDBG_EVENT(bs->file, BLKDBG_WRITE_AIO);
                ret = child_pwritev(bs->file, host, cur, qiov, qoff);
            }
        } else {
            ret = write_allocation(bs, &m, qiov, qoff);
            qemu_co_mutex_lock(&s->lock);
            int r2 = qcow2_alloc_finish(bs, &m, ret == 0);
            qemu_co_mutex_unlock(&s->lock);
            if (ret == 0) {
                ret = r2;
            }
        }
        if (ret < 0) {
            return ret;
        }
        offset += cur;
        bytes -= cur;
        qoff += cur;
    }
    return 0;
}

int coroutine_fn qcow2_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                  QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    int ret = qcow2_write_allowed(bs);

    if (ret < 0) {
        return ret;
    }
    return write_part(bs, offset, bytes, qiov, 0);
}

/* Zeroes written as data: v2 images and partial clusters. */
static int coroutine_fn write_zero_data(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    uint64_t chunk = MIN(bytes, 1024 * 1024);
    g_autofree uint8_t *buf = g_try_malloc0(chunk);
    QEMUIOVector qiov;
    int ret = 0;

    if (!buf) {
        return -ENOMEM;
    }
    while (bytes > 0 && ret == 0) {
        uint64_t n = MIN(bytes, chunk);
        qemu_iovec_init_buf(&qiov, buf, n);
        ret = write_part(bs, offset, n, &qiov, 0);
        offset += n;
        bytes -= n;
    }
    return ret;
}

/* True if the whole cluster at offset already reads as zeroes from this node. */
static bool coroutine_fn cluster_reads_zero(BlockDriverState *bs, uint64_t offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cur = s->cluster_size, host;
    Qcow2ClusterType type;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_get_host_offset(bs, qcow2_start_of_cluster(s, offset), &cur, &host, &type);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return false;
    }
    return type == QCOW2_CLUSTER_ZERO_PLAIN || type == QCOW2_CLUSTER_ZERO_ALLOC ||
           (type == QCOW2_CLUSTER_UNALLOCATED && !bs->backing);
}

/* A part of one cluster: nothing to do if it reads as zeroes already. */
static int coroutine_fn zero_partial(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                     BdrvRequestFlags flags)
{
    if (cluster_reads_zero(bs, offset)) {
        return 0;
    }
    if (flags & BDRV_REQ_NO_FALLBACK) {
        return -ENOTSUP;
    }
    return write_zero_data(bs, offset, bytes);
}

int coroutine_fn qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                        BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t start = offset, end = offset + bytes, a_end;
    int ret = qcow2_write_allowed(bs);

    if (ret < 0) {
        return ret;
    }
    if (s->version < 3) {
        /* No zero flag in v2: zeroes must be written as data. */
        if (flags & BDRV_REQ_NO_FALLBACK) {
            return -ENOTSUP;
        }
        return write_zero_data(bs, offset, bytes);
    }
    /* A head within the first cluster... */
    if (!QEMU_IS_ALIGNED(start, cs)) {
        uint64_t h = MIN(end, QEMU_ALIGN_UP(start, cs));
        ret = zero_partial(bs, start, h - start, flags);
        if (ret < 0 || h == end) {
            return ret;
        }
        start = h;
    }
    /* ...whole clusters (the image's partial last one counts as whole)... */
    a_end = end >= s->size ? QEMU_ALIGN_UP(end, cs) : QEMU_ALIGN_DOWN(end, cs);
    if (a_end > start) {
        qemu_co_mutex_lock(&s->lock);
        ret = qcow2_zero_clusters(bs, start, a_end - start, flags);
        qemu_co_mutex_unlock(&s->lock);
        if (ret < 0) {
            return ret;
        }
    }
    /* ...and a tail in the last one. */
    if (end > a_end && end > start) {
        ret = zero_partial(bs, MAX(a_end, start), end - MAX(a_end, start), flags);
    }
    return ret;
}

int coroutine_fn qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t end = offset + bytes;
    uint64_t start = QEMU_ALIGN_UP((uint64_t)offset, cs);
    int ret = qcow2_write_allowed(bs);

    if (ret < 0) {
        return ret;
    }
    /* Partial clusters stay (discard is advisory); the image's own tail counts as whole. */
    end = end >= s->size ? QEMU_ALIGN_UP(end, cs) : QEMU_ALIGN_DOWN(end, cs);
    if (end <= start) {
        return 0;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_discard_clusters(bs, start, end - start, QCOW2_DISCARD_REQUEST, false);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}
