/*
 * null-co: a protocol node with no storage.  Writes vanish, reads return
 * zeroes with read-zeroes=on (otherwise the buffer is left alone, as in
 * QEMU: it is for benchmarking the layers above), every request can be
 * delayed by latency-ns.
 */
#include "block/block-core-int.h"

#define NULL_DEFAULT_SIZE (1LL << 30)

typedef struct NullState {
    int64_t length;
    uint64_t latency_ns;
    bool read_zeroes;
} NullState;

static int null_open(BlockDriverState *bs, BlockdevOptions *opts, int flags, Error **errp)
{
    NullState *s = bs->opaque;
    BlockdevOptionsNull *o = &opts->u.null_co;

    if (o->has_size && o->size < 0) {
        error_setg(errp, "Parameter 'size' expects a non-negative number below 2^64");
        return -EINVAL;
    }
    if (o->has_latency_ns && o->latency_ns > INT64_MAX) {
        error_setg(errp, "latency-ns is invalid");
        return -EINVAL;
    }
    s->length = o->has_size ? o->size : NULL_DEFAULT_SIZE;
    s->latency_ns = o->has_latency_ns ? o->latency_ns : 0;
    s->read_zeroes = o->has_read_zeroes && o->read_zeroes;
    bs->total_bytes = s->length;

    /* Only the options that change what is read make a json: name. */
    if (o->has_size || o->has_read_zeroes) {
        bdrv_json_filename(bs, bs->filename, sizeof(bs->filename));
    } else {
        g_strlcpy(bs->filename, "null-co://", sizeof(bs->filename));
    }
    return 0;
}

static void null_close(BlockDriverState *bs)
{
}

static void null_parse_filename(const char *filename, json_t *options, Error **errp)
{
    if (strcmp(filename, "null-co://")) {
        error_setg(errp, "The only allowed filename for this driver is 'null-co://'");
    }
}

static int coroutine_fn null_delay(BlockDriverState *bs)
{
    NullState *s = bs->opaque;

    if (s->latency_ns) {
        qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, (int64_t)s->latency_ns);
    }
    return 0;
}

static int coroutine_fn null_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                       QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    NullState *s = bs->opaque;

    if (s->read_zeroes) {
        qemu_iovec_memset(qiov, 0, 0, bytes);
    }
    return null_delay(bs);
}

static int coroutine_fn null_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                        QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return null_delay(bs);
}

static int coroutine_fn null_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                              BdrvRequestFlags flags)
{
    return null_delay(bs);
}

static int coroutine_fn null_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    return null_delay(bs);
}

static int coroutine_fn null_co_flush(BlockDriverState *bs)
{
    return null_delay(bs);
}

static int coroutine_fn null_co_block_status(BlockDriverState *bs, bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum, int64_t *map,
                                             BlockDriverState **file)
{
    NullState *s = bs->opaque;

    *pnum = bytes;
    *map = offset;
    *file = bs;
    return BDRV_BLOCK_OFFSET_VALID | (s->read_zeroes ? BDRV_BLOCK_ZERO : 0);
}

static int64_t null_getlength(BlockDriverState *bs)
{
    NullState *s = bs->opaque;

    return s->length;
}

static int64_t null_get_allocated_file_size(BlockDriverState *bs)
{
    return 0;
}

static const BlockDriver bdrv_null_co = {
    .format_name = "null-co",
    .protocol_name = "null-co",
    .instance_size = sizeof(NullState),
    .supported_write_flags = BDRV_REQ_FUA,
    .supported_zero_flags = BDRV_REQ_FUA | BDRV_REQ_MAY_UNMAP,
    .bdrv_open = null_open,
    .bdrv_close = null_close,
    .bdrv_parse_filename = null_parse_filename,
    .bdrv_co_preadv = null_co_preadv,
    .bdrv_co_pwritev = null_co_pwritev,
    .bdrv_co_pwrite_zeroes = null_co_pwrite_zeroes,
    .bdrv_co_pdiscard = null_co_pdiscard,
    .bdrv_co_flush_to_disk = null_co_flush,
    .bdrv_co_block_status = null_co_block_status,
    .bdrv_getlength = null_getlength,
    .bdrv_get_allocated_file_size = null_get_allocated_file_size,
};

block_init(bdrv_null_co)
