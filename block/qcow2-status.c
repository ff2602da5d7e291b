/*
 * qcow2 block status and resizing.
 */
#include "block/qcow2.h"

/*
 * An image preallocated with preallocation=metadata maps every cluster, so
 * its mapped clusters may still be holes in the file: detect that (more
 * clusters counted than the file really stores) so block status asks the
 * file about zeroes.
 */
static int coroutine_fn detect_metadata_prealloc(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file->bs);
    int64_t real = bdrv_get_allocated_file_size(bs->file->bs);
    uint64_t threshold, count = 0;

    if (file_len < 0 || real < 0) {
        return 0;
    }
    threshold =
        MAX((uint64_t)(real >> s->cluster_bits) * 10 / 9, (uint64_t)(real >> s->cluster_bits) + 2);
    for (uint64_t c = 0; c < qcow2_size_to_clusters(s, file_len); c++) {
        uint64_t rc;
        int ret = qcow2_get_refcount(bs, c, &rc);
        if (ret < 0) {
            return 0;
        }
        if (rc && ++count >= threshold) {
            return 1;
        }
    }
    return 0;
}

int coroutine_fn qcow2_co_block_status(BlockDriverState *bs, bool want_zero, int64_t offset,
                                       int64_t bytes, int64_t *pnum, int64_t *map,
                                       BlockDriverState **file)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cur = bytes, host;
    Qcow2ClusterType type;
    int status = 0;
    int ret;

    if (s->broken) {
        return -EIO;
    }
    qemu_co_mutex_lock(&s->lock);
    if (!s->prealloc_checked) {
        s->metadata_prealloc = detect_metadata_prealloc(bs) == 1;
        s->prealloc_checked = true;
    }
    ret = qcow2_get_host_offset(bs, offset, &cur, &host, &type);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    *pnum = cur;
    if (type == QCOW2_CLUSTER_NORMAL || type == QCOW2_CLUSTER_ZERO_ALLOC) {
        *map = host;
        *file = bs->file->bs;
        status |= BDRV_BLOCK_OFFSET_VALID;
    }
    if (type == QCOW2_CLUSTER_ZERO_PLAIN || type == QCOW2_CLUSTER_ZERO_ALLOC) {
        status |= BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    } else if (type != QCOW2_CLUSTER_UNALLOCATED) {
        status |= BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
    }
    if (s->metadata_prealloc && (status & BDRV_BLOCK_DATA) && (status & BDRV_BLOCK_OFFSET_VALID)) {
        status |= BDRV_BLOCK_RECURSE;
    }
    return status;
}

/* ---- Resize ---- */

static int coroutine_fn write_zero_range(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    g_autofree uint8_t *buf = NULL;
    uint64_t chunk = MIN(bytes, 1024 * 1024);
    QEMUIOVector qiov;
    int ret = 0;

    if (!bytes) {
        return 0;
    }
    buf = g_try_malloc0(chunk);
    if (!buf) {
        return -ENOMEM;
    }
    while (bytes > 0 && ret == 0) {
        uint64_t n = MIN(chunk, bytes);
        qemu_iovec_init_buf(&qiov, buf, n);
        ret = qcow2_co_pwritev(bs, offset, n, &qiov, 0);
        offset += n;
        bytes -= n;
    }
    return ret;
}

/*
 * Growing from an unaligned size: the rest of the old last cluster may hold
 * stale bytes (or show the backing file); it must read as zeroes now.
 */
static int coroutine_fn clear_old_tail(BlockDriverState *bs, uint64_t old, uint64_t new)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = MIN(QEMU_ALIGN_UP(old, s->cluster_size), new);
    uint64_t cur = s->cluster_size, host;
    Qcow2ClusterType type;
    int ret;

    if (end <= old) {
        return 0;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_get_host_offset(bs, qcow2_start_of_cluster(s, old), &cur, &host, &type);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    if (type == QCOW2_CLUSTER_ZERO_PLAIN || type == QCOW2_CLUSTER_ZERO_ALLOC ||
        (type == QCOW2_CLUSTER_UNALLOCATED && !bs->backing)) {
        return 0;
    }
    return write_zero_range(bs, old, end - old);
}

/* New space beyond a shorter image must not show the backing file (ZERO_WRITE). */
static int coroutine_fn zero_new_area(BlockDriverState *bs, uint64_t old, uint64_t new)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = QEMU_ALIGN_UP(old, s->cluster_size);
    int64_t blen;
    int ret;

    if (!bs->backing || start >= new) {
        return 0;
    }
    blen = bdrv_getlength(bs->backing->bs);
    if (blen < 0) {
        return blen;
    }
    if ((uint64_t)blen <= start) {
        return 0;
    }
    if (s->version < 3) {
        return write_zero_range(bs, start, MIN(new, (uint64_t)blen) - start);
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_zero_clusters(bs, start, QEMU_ALIGN_UP(new, s->cluster_size) - start,
                              BDRV_REQ_MAY_UNMAP);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

static int coroutine_fn write_header_size(BlockDriverState *bs, uint64_t size)
{
    uint8_t be[8];
    int ret;

    qcow2_put_be64(be, size);
    ret = bdrv_co_pwrite(bs->file, QCOW2_HDR_SIZE, sizeof(be), be, 0);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    return ret;
}

static int coroutine_fn shrink(BlockDriverState *bs, uint64_t new, PreallocMode prealloc,
                               Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t from = QEMU_ALIGN_UP(new, s->cluster_size);
    uint64_t to = QEMU_ALIGN_UP(s->size, s->cluster_size);
    int ret;

    if (s->nb_snapshots) {
        error_setg(errp, "Can't resize an image which has snapshots");
        return -ENOTSUP;
    }
    if (prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Preallocation can't be used for shrinking an image");
        return -EINVAL;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = to > from ? qcow2_discard_clusters(bs, from, to - from, QCOW2_DISCARD_ALWAYS, true) : 0;
    if (ret == 0) {
        /* Entries must be gone on disk before the header stops covering them. */
        ret = qcow2_write_caches(bs, true);
    }
    if (ret == 0) {
        ret = write_header_size(bs, new);
    }
    if (ret == 0) {
        s->size = new;
    } else {
        error_setg_errno(errp, -ret, "Failed to shrink the image");
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int coroutine_fn qcow2_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                   PreallocMode prealloc, BdrvRequestFlags flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->size, new = offset;
    int ret = qcow2_write_allowed(bs);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Cannot resize the image");
        return ret;
    }
    if (offset < 0 || (offset & (BDRV_SECTOR_SIZE - 1))) {
        error_setg(errp, "The new size must be a multiple of 512");
        return -EINVAL;
    }
    if (prealloc != PREALLOC_MODE_OFF && prealloc != PREALLOC_MODE_METADATA) {
        error_setg(errp, "Unsupported preallocation mode '%s'", PreallocMode_str(prealloc));
        return -ENOTSUP;
    }
    if (new == old) {
        return 0;
    }
    if (new < old) {
        return shrink(bs, new, prealloc, errp);
    }

    ret = clear_old_tail(bs, old, new);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to clear the old end of the image");
        return ret;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_grow_l1_table(bs, qcow2_size_to_l1(s, new));
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to grow the L1 table");
    }
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    if (flags & BDRV_REQ_ZERO_WRITE) {
        ret = zero_new_area(bs, old, new);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to zero the new area");
            return ret;
        }
    }
    qemu_co_mutex_lock(&s->lock);
    if (prealloc == PREALLOC_MODE_METADATA) {
        ret = qcow2_preallocate_metadata(bs, QEMU_ALIGN_DOWN(old, s->cluster_size),
                                         new - QEMU_ALIGN_DOWN(old, s->cluster_size));
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Preallocation failed");
        }
    }
    if (ret == 0) {
        ret = write_header_size(bs, new);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to update the image size");
        } else {
            s->size = new;
        }
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}
