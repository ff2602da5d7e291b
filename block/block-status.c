/*
 * Block status: what a range of a node holds (data, zeroes, nothing of its
 * own) and where, for one node or through its backing chain.  Unallocated
 * ranges of an upper layer show the layer below; a range beyond the end of a
 * shorter backing file reads as zeroes, as if that layer had allocated them.
 */
#include "block/block-core-int.h"

static int coroutine_fn bdrv_status_one(BlockDriverState *bs, bool want_zero, int64_t offset,
                                        int64_t bytes, int64_t *pnum, int64_t *map,
                                        BlockDriverState **file)
{
    const BlockDriver *drv = bs->drv;
    BlockDriverState *local_file = NULL;
    int64_t local_map = 0, total, aligned_offset, aligned_bytes, align;
    int ret;

    if (!drv) {
        *pnum = 0;
        return -ENOMEDIUM;
    }
    total = bdrv_getlength(bs);
    if (total < 0) {
        *pnum = 0;
        return (int)total;
    }
    if (offset < 0 || bytes < 0) {
        *pnum = 0;
        return -EINVAL;
    }
    if (offset >= total) {
        *pnum = 0;
        return BDRV_BLOCK_EOF;
    }
    if (bytes == 0) {
        *pnum = 0;
        return 0;
    }
    bytes = MIN(bytes, total - offset);

    if (!drv->bdrv_co_block_status) {
        BlockDriverState *filtered = bdrv_filter_bs(bs);

        if (filtered) {
            /* A filter shows its child's data at the same offsets. */
            ret =
                bdrv_status_one(filtered, want_zero, offset, bytes, pnum, &local_map, &local_file);
            goto done;
        }
        *pnum = bytes;
        ret = BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
        if (!bs->children) {
            ret |= BDRV_BLOCK_OFFSET_VALID;
            local_map = offset;
            local_file = bs;
        }
        goto done;
    }

    bdrv_inc_in_flight(bs);
    align = bs->bl.request_alignment;
    aligned_offset = QEMU_ALIGN_DOWN(offset, align);
    aligned_bytes = QEMU_ALIGN_UP(offset + bytes, align) - aligned_offset;
    ret = drv->bdrv_co_block_status(bs, want_zero, aligned_offset, aligned_bytes, pnum, &local_map,
                                    &local_file);
    if (ret < 0) {
        *pnum = 0;
        bdrv_dec_in_flight(bs);
        return ret;
    }
    /* Map the aligned answer back onto the range asked for. */
    if (*pnum <= offset - aligned_offset) {
        *pnum = MIN(bytes, align - (offset - aligned_offset));
    } else {
        *pnum -= offset - aligned_offset;
    }
    *pnum = MIN(*pnum, bytes);
    if (ret & BDRV_BLOCK_OFFSET_VALID) {
        local_map += offset - aligned_offset;
    }

    if (ret & BDRV_BLOCK_RAW) {
        g_assert(local_file && (ret & BDRV_BLOCK_OFFSET_VALID));
        ret =
            bdrv_status_one(local_file, want_zero, local_map, *pnum, pnum, &local_map, &local_file);
        bdrv_dec_in_flight(bs);
        goto done;
    }

    if (ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO)) {
        ret |= BDRV_BLOCK_ALLOCATED;
    } else if (drv->supports_backing) {
        BlockDriverState *cow = bdrv_cow_bs(bs);

        if (!cow) {
            ret |= BDRV_BLOCK_ZERO;
        } else if (want_zero) {
            int64_t cow_len = bdrv_getlength(cow);

            if (cow_len >= 0 && offset >= cow_len) {
                ret |= BDRV_BLOCK_ZERO;
            }
        }
    }

    if (want_zero && (ret & BDRV_BLOCK_RECURSE) && (ret & BDRV_BLOCK_OFFSET_VALID) && local_file &&
        local_file != bs && (ret & BDRV_BLOCK_DATA) && !(ret & BDRV_BLOCK_ZERO)) {
        int64_t file_pnum;
        int file_ret =
            bdrv_status_one(local_file, want_zero, local_map, *pnum, &file_pnum, NULL, NULL);

        if (file_ret >= 0) {
            if ((file_ret & BDRV_BLOCK_EOF) && file_pnum == 0) {
                /* Past the end of the file the data reads as zeroes. */
                ret |= BDRV_BLOCK_ZERO;
            } else {
                *pnum = file_pnum;
                ret |= file_ret & BDRV_BLOCK_ZERO;
            }
        }
    }
    bdrv_dec_in_flight(bs);

done:
    if (ret >= 0) {
        ret &= ~(BDRV_BLOCK_RAW | BDRV_BLOCK_RECURSE | BDRV_BLOCK_EOF);
        if (offset + *pnum == total) {
            ret |= BDRV_BLOCK_EOF;
        }
    }
    if (map) {
        *map = local_map;
    }
    if (file) {
        *file = local_file;
    }
    return ret;
}

static int coroutine_fn bdrv_status_above(BlockDriverState *bs, BlockDriverState *base,
                                          bool include_base, bool want_zero, int64_t offset,
                                          int64_t bytes, int64_t *pnum, int64_t *map,
                                          BlockDriverState **file, int *depth)
{
    int64_t eof = -1;
    int d = 0;
    int ret;

    if (depth) {
        *depth = 0;
    }
    if (!include_base && bs == base) {
        *pnum = bytes;
        return 0;
    }
    ret = bdrv_status_one(bs, want_zero, offset, bytes, pnum, map, file);
    if (ret < 0 || *pnum == 0 || (ret & BDRV_BLOCK_ALLOCATED) || bs == base) {
        return ret;
    }
    if (ret & BDRV_BLOCK_EOF) {
        eof = offset + *pnum;
    }
    bytes = *pnum;
    for (BlockDriverState *p = bdrv_cow_bs(bs); p && (include_base || p != base);
         p = bdrv_cow_bs(p)) {
        d++;
        ret = bdrv_status_one(p, want_zero, offset, bytes, pnum, map, file);
        if (ret < 0) {
            return ret;
        }
        if (*pnum == 0) {
            /* This layer is shorter: what lies beyond its end is zeroes,
             * defined by this layer. */
            *pnum = bytes;
            if (file) {
                *file = p;
            }
            ret = BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
            break;
        }
        if (ret & BDRV_BLOCK_ALLOCATED) {
            /* This layer's end of file is not the top's. */
            ret &= ~BDRV_BLOCK_EOF;
            break;
        }
        if (p == base) {
            break;
        }
        bytes = *pnum;
    }
    if (offset + *pnum == eof) {
        ret |= BDRV_BLOCK_EOF;
    }
    if (depth) {
        *depth = d;
    }
    return ret;
}

int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      int64_t *pnum, int64_t *map, BlockDriverState **file)
{
    return bdrv_status_one(bs, true, offset, bytes, pnum, map, file);
}

int coroutine_fn bdrv_co_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                                            int64_t offset, int64_t bytes, int64_t *pnum,
                                            int64_t *map, BlockDriverState **file, int *depth)
{
    return bdrv_status_above(bs, base, false, true, offset, bytes, pnum, map, file, depth);
}

int coroutine_fn bdrv_co_is_allocated(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      int64_t *pnum)
{
    int ret = bdrv_status_one(bs, false, offset, bytes, pnum, NULL, NULL);

    if (ret < 0) {
        return ret;
    }
    return !!(ret & BDRV_BLOCK_ALLOCATED);
}

int coroutine_fn bdrv_co_is_allocated_above(BlockDriverState *top, BlockDriverState *base,
                                            bool include_base, int64_t offset, int64_t bytes,
                                            int64_t *pnum)
{
    int depth;
    int ret =
        bdrv_status_above(top, base, include_base, false, offset, bytes, pnum, NULL, NULL, &depth);

    if (ret < 0) {
        return ret;
    }
    /* 1 + the depth of the allocating layer (top is 1), or 0 if none. */
    return (ret & BDRV_BLOCK_ALLOCATED) ? depth + 1 : 0;
}
