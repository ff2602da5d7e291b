/*
 * The 'raw' format: the image is its file child's data, optionally a window
 * [offset, offset + size) of it.  Raw has no header, so every image "probes"
 * as raw (score 1, the fallback).  That is why a guest must not turn a probed
 * raw image into something else: a write that would make block 0 look like
 * another format is refused, as QEMU does.
 */
#include "block/block_int.h"

typedef struct BDRVRawFmtState {
    uint64_t offset;
    uint64_t size; /* the window size; follows the file when !has_size */
    bool has_size;
} BDRVRawFmtState;

/* What the probe of a format looks at when refusing a write to block 0. */
#define RAW_PROBE_SIZE 512

/* Formats whose header a probed raw image must not acquire. */
static const char *const raw_guarded_formats[] = {
    "qcow2", "qcow", "qed",       "vmdk", "vdi",   "vpc",
    "vhdx",  "luks", "parallels", "dmg",  "bochs", "cloop",
};

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return 1;
}

/* True if another registered format claims buf as its header. */
static bool raw_looks_like_other_format(const uint8_t *buf)
{
    for (size_t i = 0; i < ARRAY_SIZE(raw_guarded_formats); i++) {
        const BlockDriver *drv = bdrv_find_format(raw_guarded_formats[i]);

        if (drv && drv->bdrv_probe && drv->bdrv_probe(buf, RAW_PROBE_SIZE, NULL) > 1) {
            return true;
        }
    }
    return false;
}

static int raw_apply_window(BlockDriverState *bs, uint64_t offset, bool has_size, uint64_t size,
                            Error **errp)
{
    BDRVRawFmtState *s = bs->opaque;
    int64_t real_size = bdrv_getlength(bs->file->bs);

    if (real_size < 0) {
        error_setg_errno(errp, (int)-real_size, "Could not get image size");
        return (int)real_size;
    }
    if (offset > (uint64_t)real_size) {
        error_setg(errp,
                   "Offset (%" PRIu64 ") cannot be greater than size of the containing file "
                   "(%" PRId64 ")",
                   offset, real_size);
        return -EINVAL;
    }
    if (has_size && (uint64_t)real_size - offset < size) {
        /* (sic: QEMU's text has two spaces before 'actual') */
        error_setg(errp,
                   "The sum of offset (%" PRIu64 ") and size (%" PRIu64 ") has to be smaller "
                   "or equal to the  actual size of the containing file (%" PRId64 ")",
                   offset, size, real_size);
        return -EINVAL;
    }
    /* a size that is not a whole number of sectors would be rounded up by users */
    if (has_size && !QEMU_IS_ALIGNED(size, BDRV_SECTOR_SIZE)) {
        error_setg(errp, "Specified size is not multiple of %llu", BDRV_SECTOR_SIZE);
        return -EINVAL;
    }
    s->offset = offset;
    s->has_size = has_size;
    s->size = has_size ? size : (uint64_t)real_size - offset;
    return 0;
}

static int raw_open(BlockDriverState *bs, BlockdevOptions *opts, int flags, Error **errp)
{
    BlockdevOptionsRaw *ro = &opts->u.raw;
    uint64_t offset = ro->has_offset ? ro->offset : 0;
    unsigned role;

    if ((ro->has_offset && ro->offset < 0) || (ro->has_size && ro->size < 0)) {
        error_setg(errp, "Parameter '%s' expects a non-negative number below 2^64",
                   ro->has_offset && ro->offset < 0 ? "offset" : "size");
        return -EINVAL;
    }
    /* Without a window, raw passes its child through like a filter. */
    role = BDRV_CHILD_PRIMARY | (offset || ro->has_size ? BDRV_CHILD_DATA : BDRV_CHILD_FILTERED);
    bs->file = bdrv_open_child(ro->file, bs, "file", role, false, flags, errp);
    if (!bs->file) {
        return -EINVAL;
    }
    if (bs->probed && !bs->read_only) {
        fprintf(stderr,
                "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
                "         Automatically detecting the format is dangerous for raw images, "
                "write operations on block 0 will be restricted.\n"
                "         Specify the 'raw' format explicitly to remove the restrictions.\n",
                bs->file->bs->filename);
    }
    return raw_apply_window(bs, offset, ro->has_size, ro->has_size ? ro->size : 0, errp);
}

static void raw_close(BlockDriverState *bs)
{
}

static int raw_reopen_prepare(BlockDriverState *bs, bool read_only, Error **errp)
{
    return 0;
}

static void raw_reopen_commit(BlockDriverState *bs)
{
}

static void raw_reopen_abort(BlockDriverState *bs)
{
}

static void raw_refresh_limits(BlockDriverState *bs, Error **errp)
{
    /* the block-0 guard needs to see whole first sectors */
    if (bs->probed) {
        bs->bl.request_alignment = MAX(bs->bl.request_alignment, BDRV_SECTOR_SIZE);
    }
}

/*
 * Maps a request into the file.  Requests that leave the window fail
 * without touching the file: nothing outside the window may leak or be
 * overwritten.
 */
static int raw_map_request(BlockDriverState *bs, int64_t *offset, int64_t bytes, bool is_write)
{
    BDRVRawFmtState *s = bs->opaque;

    if (*offset < 0 || bytes < 0) {
        return -EINVAL;
    }
    if (s->has_size && ((uint64_t)*offset > s->size || (uint64_t)bytes > s->size - *offset)) {
        return is_write ? -ENOSPC : -EINVAL;
    }
    if ((uint64_t)*offset > INT64_MAX - s->offset) {
        return -EINVAL;
    }
    *offset += s->offset;
    return 0;
}

static int coroutine_fn raw_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    int ret = raw_map_request(bs, &offset, bytes, false);

    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_READ_AIO);
    return bdrv_co_preadv(bs->file, offset, bytes, qiov, flags);
}

static int coroutine_fn raw_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                       QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    QEMUIOVector checked;
    uint8_t *sector0 = NULL;
    int ret;

    if (bs->probed && offset < RAW_PROBE_SIZE && bytes) {
        /* request_alignment is 512 on probed images: the write covers all of block 0 */
        if (offset != 0 || bytes < RAW_PROBE_SIZE) {
            return -EINVAL;
        }
        sector0 = g_malloc(RAW_PROBE_SIZE);
        qemu_iovec_to_buf(qiov, 0, sector0, RAW_PROBE_SIZE);
        if (raw_looks_like_other_format(sector0)) {
            g_free(sector0);
            return -EPERM;
        }
        /* write the bytes we checked: the guest may change its buffer meanwhile */
        qemu_iovec_init(&checked, qiov->niov + 1);
        qemu_iovec_add(&checked, sector0, RAW_PROBE_SIZE);
        qemu_iovec_concat(&checked, qiov, RAW_PROBE_SIZE, qiov->size - RAW_PROBE_SIZE);
        qiov = &checked;
    }
    ret = raw_map_request(bs, &offset, bytes, true);
    if (ret == 0) {
        BLKDBG_EVENT(bs->file, BLKDBG_WRITE_AIO);
        ret = bdrv_co_pwritev(bs->file, offset, bytes, qiov, flags);
    }
    if (sector0) {
        qemu_iovec_destroy(&checked);
        g_free(sector0);
    }
    return ret;
}

static int coroutine_fn raw_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                             BdrvRequestFlags flags)
{
    int ret = raw_map_request(bs, &offset, bytes, true);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn raw_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    int ret = raw_map_request(bs, &offset, bytes, true);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

static int coroutine_fn raw_co_block_status(BlockDriverState *bs, bool want_zero, int64_t offset,
                                            int64_t bytes, int64_t *pnum, int64_t *map,
                                            BlockDriverState **file)
{
    BDRVRawFmtState *s = bs->opaque;

    /* the file knows: the core asks it at *map */
    *pnum = bytes;
    *file = bs->file->bs;
    *map = offset + s->offset;
    return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    BDRVRawFmtState *s = bs->opaque;
    int ret;

    /* re-derive the window: the file may have been resized under us */
    ret = raw_apply_window(bs, s->offset, s->has_size, s->size, NULL);
    if (ret < 0) {
        return ret;
    }
    return s->size;
}

static int64_t raw_get_allocated_file_size(BlockDriverState *bs)
{
    return bdrv_get_allocated_file_size(bs->file->bs);
}

static int raw_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    return bdrv_get_info(bs->file->bs, bdi);
}

static int coroutine_fn raw_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                        PreallocMode prealloc, BdrvRequestFlags flags, Error **errp)
{
    BDRVRawFmtState *s = bs->opaque;
    int ret;

    if (s->has_size) {
        error_setg(errp, "Cannot resize fixed-size raw disks");
        return -ENOTSUP;
    }
    if (offset < 0 || (uint64_t)offset > INT64_MAX - s->offset) {
        error_setg(errp, "Disk size too large for the chosen offset");
        return -EINVAL;
    }
    ret = bdrv_co_truncate(bs->file, offset + s->offset, exact, prealloc, flags, errp);
    if (ret == 0) {
        s->size = offset;
    }
    return ret;
}

static const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = sizeof(BDRVRawFmtState),
    .is_format = true,
    .supported_write_flags = BDRV_REQ_WRITE_UNCHANGED | BDRV_REQ_FUA,
    .supported_zero_flags =
        BDRV_REQ_WRITE_UNCHANGED | BDRV_REQ_FUA | BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK,

    .bdrv_probe = raw_probe,
    .bdrv_open = raw_open,
    .bdrv_close = raw_close,
    .bdrv_reopen_prepare = raw_reopen_prepare,
    .bdrv_reopen_commit = raw_reopen_commit,
    .bdrv_reopen_abort = raw_reopen_abort,

    .bdrv_co_preadv = raw_co_preadv,
    .bdrv_co_pwritev = raw_co_pwritev,
    .bdrv_co_pwrite_zeroes = raw_co_pwrite_zeroes,
    .bdrv_co_pdiscard = raw_co_pdiscard,
    .bdrv_co_block_status = raw_co_block_status,
    .bdrv_co_truncate = raw_co_truncate,

    .bdrv_getlength = raw_getlength,
    .bdrv_get_allocated_file_size = raw_get_allocated_file_size,
    .bdrv_get_info = raw_get_info,
    .bdrv_refresh_limits = raw_refresh_limits,
};

block_init(bdrv_raw);
