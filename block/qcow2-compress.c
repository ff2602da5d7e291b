/*
 * qcow2 compressed clusters: raw deflate streams (zlib, 4 KiB window) packed
 * at byte granularity into host clusters.  Compression and decompression run
 * on the thread pool so the main loop keeps serving other requests.
 */
#include <zlib.h>

#include "block/qcow2.h"

typedef struct Qcow2ZJob {
    const uint8_t *src;
    size_t src_len;
    uint8_t *dst;
    size_t dst_len;
    size_t out_len;
} Qcow2ZJob;

/* Thread pool: 0 with out_len set, -ENOSPC if the data does not shrink. */
static int qcow2_deflate(void *opaque)
{
    Qcow2ZJob *job = opaque;
    z_stream z = {0};
    int ret;

    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        return -EIO;
    }
    z.next_in = (Bytef *)job->src;
    z.avail_in = job->src_len;
    z.next_out = job->dst;
    z.avail_out = job->dst_len;
    ret = deflate(&z, Z_FINISH);
    job->out_len = job->dst_len - z.avail_out;
    deflateEnd(&z);
    return ret == Z_STREAM_END ? 0 : -ENOSPC;
}

/* Thread pool: 0 if the stream produced exactly dst_len bytes. */
static int qcow2_inflate(void *opaque)
{
    Qcow2ZJob *job = opaque;
    z_stream z = {0};
    int ret;

    if (inflateInit2(&z, -12) != Z_OK) {
        return -EIO;
    }
    z.next_in = (Bytef *)job->src;
    z.avail_in = job->src_len;
    z.next_out = job->dst;
    z.avail_out = job->dst_len;
    ret = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    /* The stream may be followed by padding or another cluster's data. */
    return (ret == Z_STREAM_END || ret == Z_BUF_ERROR) && z.avail_out == 0 ? 0 : -EIO;
}

int coroutine_fn qcow2_read_compressed(BlockDriverState *bs, uint64_t l2_entry,
                                       uint64_t offset_in_cluster, uint64_t bytes,
                                       QEMUIOVector *qiov, size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start, len, avail;
    g_autofree uint8_t *in = NULL;
    g_autofree uint8_t *out = NULL;
    Qcow2ZJob job;
    int64_t file_len;
    int ret;

    if (s->decomp_entry == l2_entry && s->decomp_buf) {
        qemu_iovec_from_buf(qiov, qiov_offset, s->decomp_buf + offset_in_cluster, bytes);
        return 0;
    }
    qcow2_compressed_range(s, l2_entry, &start, &len);
    file_len = bdrv_getlength(bs->file->bs);
    if (file_len < 0) {
        return file_len;
    }
    if (start >= (uint64_t)file_len || start < s->cluster_size) {
        qcow2_signal_corruption(bs, false, start, len,
                                "Compressed cluster data at %#" PRIx64
                                " lies outside the image file's data area",
                                start);
        return -EIO;
    }
    /* The last sector of the file may be short: the stream ends before it does. */
    avail = MIN(len, (uint64_t)file_len - start);
    in = g_try_malloc0(len);
    out = g_try_malloc(s->cluster_size);
    if (!in || !out) {
        return -ENOMEM;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_READ_COMPRESSED);
    ret = bdrv_co_pread(bs->file, start, avail, in, 0);
    if (ret < 0) {
        return ret;
    }
    job = (Qcow2ZJob){.src = in, .src_len = len, .dst = out, .dst_len = s->cluster_size};
    ret = thread_pool_submit_co(qcow2_inflate, &job);
    if (ret < 0) {
        return ret;
    }
    qemu_iovec_from_buf(qiov, qiov_offset, out + offset_in_cluster, bytes);
    /* Keep it: sequential small reads of one cluster decompress it once. */
    g_free(s->decomp_buf);
    s->decomp_buf = g_steal_pointer(&out);
    s->decomp_entry = l2_entry;
    return 0;
}

/* Writes one compressed guest cluster at offset (cluster-aligned). */
static int coroutine_fn write_one_compressed(BlockDriverState *bs, uint64_t offset,
                                             const uint8_t *data, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t cs = s->cluster_size;
    g_autofree uint8_t *src = g_try_malloc0(cs);
    g_autofree uint8_t *dst = g_try_malloc(cs);
    Qcow2ZJob job;
    Qcow2Alloc m = {0};
    int64_t host;
    int ret;

    if (!src || !dst) {
        return -ENOMEM;
    }
    memcpy(src, data, len);
    /* Must save at least a sector, else a normal cluster is as good. */
    job = (Qcow2ZJob){.src = src, .src_len = cs, .dst = dst, .dst_len = cs - 512};
    ret = thread_pool_submit_co(qcow2_deflate, &job);
    if (ret == -ENOSPC) {
        QEMUIOVector qiov;
        qemu_iovec_init_buf(&qiov, src, len);
        return qcow2_co_pwritev(bs, offset, len, &qiov, 0);
    }
    if (ret < 0) {
        return ret;
    }

    qemu_co_mutex_lock(&s->lock);
    qcow2_wait_inflight(bs, offset, cs);
    m.guest_offset = offset;
    m.nb_clusters = 1;
    qcow2_inflight_add(s, &m);
    host = qcow2_alloc_bytes(bs, job.out_len);
    qemu_co_mutex_unlock(&s->lock);

    if (host < 0) {
        ret = host;
    } else if ((uint64_t)host + job.out_len > s->cluster_offset_mask) {
        ret = -EFBIG;
    } else {
        ret = qcow2_pre_write_overlap_check(bs, 0, host, job.out_len);
        if (ret == 0) {
            BLKDBG_EVENT(bs->file, BLKDBG_WRITE_COMPRESSED);
            ret = bdrv_co_pwrite(bs->file, host, job.out_len, dst, 0);
        }
    }

    qemu_co_mutex_lock(&s->lock);
    if (ret == 0) {
        BLKDBG_EVENT(bs->file, BLKDBG_L2_UPDATE_COMPRESSED);
        uint64_t sectors = ((host + job.out_len - 1) >> 9) - (host >> 9);
        ret = qcow2_set_l2_entry(
            bs, offset, QCOW_OFLAG_COMPRESSED | (sectors << s->csize_shift) | (uint64_t)host);
    }
    if (ret < 0 && host >= 0) {
        qcow2_free_clusters(bs, host, job.out_len, QCOW2_DISCARD_NEVER);
    }
    qcow2_inflight_remove(s, &m);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int coroutine_fn qcow2_co_pwritev_compressed(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t cs = s->cluster_size;
    g_autofree uint8_t *buf = NULL;
    size_t qoff = 0;
    int ret = qcow2_write_allowed(bs);

    if (ret < 0) {
        return ret;
    }
    if (!QEMU_IS_ALIGNED(offset, cs)) {
        return -EINVAL;
    }
    buf = g_try_malloc(cs);
    if (!buf) {
        return -ENOMEM;
    }
    while (bytes > 0) {
        uint64_t len = MIN((uint64_t)bytes, cs);

        /* Only the image's last cluster may be partial. */
        if (len < cs && (uint64_t)offset + len != s->size) {
            return -EINVAL;
        }
        qemu_iovec_to_buf(qiov, qoff, buf, len);
        ret = write_one_compressed(bs, offset, buf, len);
        if (ret < 0) {
            return ret;
        }
        offset += len;
        bytes -= len;
        qoff += len;
    }
    return 0;
}
