/*
 * qcow2 host cluster management: the two-level refcount structure, cluster
 * allocation, freeing (with discard passthrough) and the pre-write metadata
 * overlap check.
 *
 * Refcount blocks are found through the in-memory refcount table and read
 * through the refcount block cache.  A new refcount block is written to disk
 * before the table entry that points at it; a grown refcount table is written
 * together with the blocks describing it before the header switches to it.
 */
#include "block/qcow2.h"

/* ---- Entry accessors, one pair per refcount width ---- */

static uint64_t rc_get_subbyte(const void *block, uint64_t index, int bits)
{
    int per_byte = 8 / bits;
    uint8_t byte = ((const uint8_t *)block)[index / per_byte];

    return (byte >> ((index % per_byte) * bits)) & ((1u << bits) - 1);
}

static void rc_set_subbyte(void *block, uint64_t index, uint64_t value, int bits)
{
    int per_byte = 8 / bits;
    int shift = (index % per_byte) * bits;
    uint8_t mask = ((1u << bits) - 1) << shift;
    uint8_t *p = (uint8_t *)block + index / per_byte;

    *p = (*p & ~mask) | ((value << shift) & mask);
}

static uint64_t rc_get1(const void *b, uint64_t i)
{
    return rc_get_subbyte(b, i, 1);
}
static void rc_set1(void *b, uint64_t i, uint64_t v)
{
    rc_set_subbyte(b, i, v, 1);
}
static uint64_t rc_get2(const void *b, uint64_t i)
{
    return rc_get_subbyte(b, i, 2);
}
static void rc_set2(void *b, uint64_t i, uint64_t v)
{
    rc_set_subbyte(b, i, v, 2);
}
static uint64_t rc_get4(const void *b, uint64_t i)
{
    return rc_get_subbyte(b, i, 4);
}
static void rc_set4(void *b, uint64_t i, uint64_t v)
{
    rc_set_subbyte(b, i, v, 4);
}
static uint64_t rc_get8(const void *b, uint64_t i)
{
    return ((const uint8_t *)b)[i];
}
static void rc_set8(void *b, uint64_t i, uint64_t v)
{
    ((uint8_t *)b)[i] = v;
}
static uint64_t rc_get16(const void *b, uint64_t i)
{
    return qcow2_be16((const uint8_t *)b + 2 * i);
}
static void rc_set16(void *b, uint64_t i, uint64_t v)
{
    uint16_t be = GUINT16_TO_BE((uint16_t)v);
    memcpy((uint8_t *)b + 2 * i, &be, 2);
}
static uint64_t rc_get32(const void *b, uint64_t i)
{
    return qcow2_be32((const uint8_t *)b + 4 * i);
}
static void rc_set32(void *b, uint64_t i, uint64_t v)
{
    qcow2_put_be32((uint8_t *)b + 4 * i, v);
}
static uint64_t rc_get64(const void *b, uint64_t i)
{
    return qcow2_be64((const uint8_t *)b + 8 * i);
}
static void rc_set64(void *b, uint64_t i, uint64_t v)
{
    qcow2_put_be64((uint8_t *)b + 8 * i, v);
}

static const struct {
    Qcow2RefcountGet *get;
    Qcow2RefcountSet *set;
} refcount_ops[] = {
    {rc_get1, rc_set1},   {rc_get2, rc_set2},   {rc_get4, rc_set4},   {rc_get8, rc_set8},
    {rc_get16, rc_set16}, {rc_get32, rc_set32}, {rc_get64, rc_set64},
};

bool qcow2_refcount_order_valid(int order)
{
    return order >= 0 && order < (int)ARRAY_SIZE(refcount_ops);
}

void qcow2_refcount_set_order(BDRVQcow2State *s, int order)
{
    int bits = 1 << order;

    s->refcount_order = order;
    s->refcount_max = bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
    s->refcount_block_bits = s->cluster_bits + 3 - order;
    s->get_refcount = refcount_ops[order].get;
    s->set_refcount = refcount_ops[order].set;
}

/* ---- Table ---- */

static void refcount_update_max_index(BDRVQcow2State *s)
{
    uint64_t i = s->refcount_table_size;

    while (i > 0 && !(s->refcount_table[i - 1] & REFT_OFFSET_MASK)) {
        i--;
    }
    s->max_refcount_table_index = i ? i - 1 : 0;
}

int coroutine_fn qcow2_refcount_init(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = s->refcount_table_size * sizeof(uint64_t);
    int ret;

    s->refcount_table = g_try_malloc0(MAX(bytes, 8));
    if (!s->refcount_table) {
        error_setg(errp, "Could not allocate refcount table");
        return -ENOMEM;
    }
    /* A table running past the end of the file reads as zeroes (no blocks). */
    if (s->refcount_table_offset < s->file_size) {
        uint64_t n = MIN(bytes, s->file_size - s->refcount_table_offset);
        BLKDBG_EVENT(bs->file, BLKDBG_REFTABLE_LOAD);
        ret = bdrv_co_pread(bs->file, s->refcount_table_offset, n, s->refcount_table, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read refcount table");
            return ret;
        }
    }
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = GUINT64_FROM_BE(s->refcount_table[i]);
    }
    refcount_update_max_index(s);
    s->discards = g_array_new(false, false, sizeof(uint64_t));
    return 0;
}

void qcow2_refcount_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    g_free(s->refcount_table);
    s->refcount_table = NULL;
    if (s->discards) {
        g_array_free(s->discards, true);
        s->discards = NULL;
    }
}

/* The validated refcount block offset for a table index (0: none). */
static int refblock_offset(BlockDriverState *bs, uint64_t rt_index, uint64_t *offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off;

    *offset = 0;
    if (rt_index >= s->refcount_table_size) {
        return 0;
    }
    off = s->refcount_table[rt_index] & REFT_OFFSET_MASK;
    if (!off) {
        return 0;
    }
    if (qcow2_offset_into_cluster(s, off)) {
        qcow2_signal_corruption(
            bs, true, -1, -1,
            "Refblock offset %#" PRIx64 " unaligned (reftable index: %#" PRIx64 ")", off, rt_index);
        return -EIO;
    }
    if (!qcow2_within_file(bs, off, s->cluster_size)) {
        qcow2_signal_corruption(bs, false, -1, -1,
                                "Refblock offset %#" PRIx64
                                " is beyond the end of the image file (reftable index: %#" PRIx64
                                ")",
                                off, rt_index);
        return -EIO;
    }
    *offset = off;
    return 0;
}

static int coroutine_fn write_reftable_entry(BlockDriverState *bs, uint64_t rt_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t buf[64]; /* one 512-byte sector of the table */
    uint64_t first = rt_index & ~63ULL;
    uint64_t pos = s->refcount_table_offset + first * sizeof(uint64_t);
    int ret;

    for (int i = 0; i < 64; i++) {
        uint64_t idx = first + i;
        buf[i] = GUINT64_TO_BE(idx < s->refcount_table_size ? s->refcount_table[idx] : 0);
    }
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_REFCOUNT_TABLE, pos, sizeof(buf));
    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_REFTABLE_UPDATE);
    ret = bdrv_co_pwrite(bs->file, pos, sizeof(buf), buf, 0);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_flush(bs->file->bs);
}

int coroutine_fn qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                                    uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t block_off;
    void *block;
    int ret;

    ret = refblock_offset(bs, cluster_index >> s->refcount_block_bits, &block_off);
    if (ret < 0 || !block_off) {
        *refcount = 0;
        return ret;
    }
    ret = qcow2_cache_get(bs, s->refcount_cache, block_off, &block);
    if (ret < 0) {
        return ret;
    }
    *refcount = s->get_refcount(block, cluster_index & ((1ULL << s->refcount_block_bits) - 1));
    qcow2_cache_put(s->refcount_cache, &block);
    return 0;
}

int coroutine_fn qcow2_read_refcounts(BlockDriverState *bs, uint64_t first, uint64_t n,
                                      uint64_t *out)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_block = 1ULL << s->refcount_block_bits;
    uint64_t i = first, end = first + n;
    int ret;

    while (i < end) {
        uint64_t block_off, block_end = MIN((i | (per_block - 1)) + 1, end);
        void *block;

        ret = refblock_offset(bs, i >> s->refcount_block_bits, &block_off);
        if (ret < 0) {
            return ret;
        }
        if (!block_off) {
            memset(out + (i - first), 0, (block_end - i) * sizeof(uint64_t));
            i = block_end;
            continue;
        }
        ret = qcow2_cache_get(bs, s->refcount_cache, block_off, &block);
        if (ret < 0) {
            return ret;
        }
        for (; i < block_end; i++) {
            out[i - first] = s->get_refcount(block, i & (per_block - 1));
        }
        qcow2_cache_put(s->refcount_cache, &block);
    }
    return 0;
}

/*
 * Finds n contiguous clusters with refcount 0 at or above free_cluster_index
 * (clusters without a refcount block count as free).  Reads each refcount
 * block once rather than once per cluster.
 */
static int coroutine_fn find_free_run(BlockDriverState *bs, uint64_t n, uint64_t *start)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_block = 1ULL << s->refcount_block_bits;
    uint64_t i = s->free_cluster_index;
    uint64_t run_start = i, run = 0;
    uint64_t limit = QCOW2_MAX_HOST_OFFSET >> s->cluster_bits;
    int ret;

    while (run < n) {
        uint64_t block_off;
        uint64_t block_end = (i | (per_block - 1)) + 1;

        if (i + (n - run) > limit) {
            return -EFBIG;
        }
        ret = refblock_offset(bs, i >> s->refcount_block_bits, &block_off);
        if (ret < 0) {
            return ret;
        }
        if (!block_off) {
            uint64_t take = MIN(block_end - i, n - run);
            run += take;
            i += take;
            continue;
        }
        void *block;
        ret = qcow2_cache_get(bs, s->refcount_cache, block_off, &block);
        if (ret < 0) {
            return ret;
        }
        for (; i < block_end && run < n; i++) {
            if (s->get_refcount(block, i & (per_block - 1))) {
                run = 0;
                run_start = i + 1;
            } else {
                run++;
            }
        }
        qcow2_cache_put(s->refcount_cache, &block);
    }
    *start = run_start;
    return 0;
}

/* Adds delta to clusters [first, first + n) whose refcount blocks all exist. */
static int coroutine_fn update_existing(BlockDriverState *bs, uint64_t first, uint64_t n,
                                        int64_t delta, Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_block = 1ULL << s->refcount_block_bits;
    uint64_t done = 0;
    int ret = 0;

    while (done < n) {
        uint64_t c = first + done;
        uint64_t block_off;
        void *block;

        ret = refblock_offset(bs, c >> s->refcount_block_bits, &block_off);
        if (ret < 0) {
            break;
        }
        if (!block_off) {
            ret = delta < 0 ? -EINVAL : -EAGAIN;
            break;
        }
        ret = qcow2_cache_get(bs, s->refcount_cache, block_off, &block);
        if (ret < 0) {
            break;
        }
        uint64_t block_end = (c | (per_block - 1)) + 1;
        for (; c < block_end && done < n; c++, done++) {
            uint64_t idx = c & (per_block - 1);
            uint64_t old = s->get_refcount(block, idx);
            uint64_t new = old + delta;

            if ((delta < 0 && old < (uint64_t)-delta) ||
                (delta > 0 && (old > s->refcount_max || s->refcount_max - old < (uint64_t)delta))) {
                ret = delta < 0 ? -EINVAL : -ERANGE;
                break;
            }
            s->set_refcount(block, idx, new);
            if (new == 0) {
                uint64_t host = c << s->cluster_bits;
                /* While repairing, referenced clusters may still read 0: stay above. */
                if (c < s->free_cluster_index && !s->in_check) {
                    s->free_cluster_index = c;
                }
                if (s->free_byte_offset && qcow2_start_of_cluster(s, s->free_byte_offset) == host) {
                    s->free_byte_offset = 0;
                }
                /* A freed table must never be written back over its next user. */
                qcow2_cache_discard(s->l2_cache, host);
                qcow2_cache_discard(s->refcount_cache, host);
                s->decomp_entry = 0;
                if (s->discard_passthrough[type]) {
                    uint64_t *d = (uint64_t *)(void *)s->discards->data;
                    guint len = s->discards->len;
                    if (len && d[len - 2] + d[len - 1] == host) {
                        d[len - 1] += s->cluster_size;
                    } else {
                        uint64_t pair[2] = {host, s->cluster_size};
                        g_array_append_vals(s->discards, pair, 2);
                    }
                }
            }
        }
        qcow2_cache_mark_dirty(s->refcount_cache, block);
        qcow2_cache_put(s->refcount_cache, &block);
        if (ret < 0) {
            break;
        }
    }
    if (ret < 0 && done > 0) {
        /* Undo what was applied so the operation is all or nothing. */
        update_existing(bs, first, done, -delta, QCOW2_DISCARD_NEVER);
    }
    return ret;
}

static int coroutine_fn grow_reftable(BlockDriverState *bs, uint64_t min_index);

/*
 * Creates the refcount block for table index rt_index.  Returns 1 when the
 * refcount structure changed (callers re-plan), -errno on failure.
 */
static int coroutine_fn alloc_refblock(BlockDriverState *bs, uint64_t rt_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t b, rtb, present;
    void *block;
    int ret;

    if (rt_index >= s->refcount_table_size) {
        ret = grow_reftable(bs, rt_index);
        return ret < 0 ? ret : 1;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC);
    ret = find_free_run(bs, 1, &b);
    if (ret < 0) {
        return ret;
    }
    rtb = b >> s->refcount_block_bits;
    if (rtb != rt_index) {
        if (rtb >= s->refcount_table_size) {
            ret = grow_reftable(bs, rtb);
            return ret < 0 ? ret : 1;
        }
        ret = refblock_offset(bs, rtb, &present);
        if (ret < 0) {
            return ret;
        }
        if (!present) {
            /* b's own block does not exist yet: let b hold that one first. */
            ret = alloc_refblock(bs, rtb);
            return ret < 0 ? ret : 1;
        }
        ret = update_existing(bs, b, 1, 1, QCOW2_DISCARD_NEVER);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_cache_get_empty(bs, s->refcount_cache, b * cs, &block);
    if (ret < 0) {
        goto fail_ref;
    }
    memset(block, 0, cs);
    if (rtb == rt_index) {
        s->set_refcount(block, b & ((1ULL << s->refcount_block_bits) - 1), 1);
    }
    qcow2_cache_mark_dirty(s->refcount_cache, block);
    qcow2_cache_put(s->refcount_cache, &block);
    qcow2_note_file_end(bs, (b + 1) * cs);

    /* The block (and b's count) must be on disk before the table points at it. */
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE);
    ret = qcow2_cache_flush(bs, s->refcount_cache);
    if (ret < 0) {
        goto fail_block;
    }
    s->refcount_table[rt_index] = b * cs;
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_HOOKUP);
    ret = write_reftable_entry(bs, rt_index);
    if (ret < 0) {
        s->refcount_table[rt_index] = 0;
        goto fail_block;
    }
    if (rt_index > s->max_refcount_table_index) {
        s->max_refcount_table_index = rt_index;
    }
    if (b >= s->free_cluster_index) {
        s->free_cluster_index = b + 1;
    }
    return 1;

fail_block:
    qcow2_cache_discard(s->refcount_cache, b * cs);
fail_ref:
    if (rtb != rt_index) {
        update_existing(bs, b, 1, -1, QCOW2_DISCARD_NEVER);
    }
    return ret;
}

/*
 * Replaces the refcount table by a larger one covering min_index.  The new
 * table and the refcount blocks needed to describe it go to one free area,
 * written in one request before the header switches to them.
 */
static int coroutine_fn grow_reftable(BlockDriverState *bs, uint64_t min_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t per_cluster = cs / sizeof(uint64_t);
    uint64_t new_entries, table_clusters, nblocks = 0, area = 0, area_len = 0;
    uint64_t old_offset = s->refcount_table_offset;
    uint64_t old_clusters = s->refcount_table_size / per_cluster;
    uint64_t rbb = s->refcount_block_bits;
    g_autofree uint64_t *table = NULL;
    g_autofree uint8_t *buf = NULL;
    uint8_t hdr[12];
    int ret;

    BLKDBG_EVENT(bs->file, BLKDBG_REFTABLE_GROW);
    new_entries = MAX(min_index + 1, s->refcount_table_size + s->refcount_table_size / 2);
    new_entries = QEMU_ALIGN_UP(new_entries, per_cluster);
    for (int iter = 0;; iter++) {
        if (iter > 64 || new_entries * sizeof(uint64_t) > QCOW2_MAX_REFTABLE_BYTES) {
            return -EFBIG;
        }
        table_clusters = new_entries / per_cluster;
        /* How many new blocks the area itself needs depends on where it lands. */
        uint64_t missing;
        for (int k = 0;; k++) {
            if (k > 64) {
                return -EFBIG;
            }
            area_len = nblocks + table_clusters;
            ret = find_free_run(bs, area_len, &area);
            if (ret < 0) {
                return ret;
            }
            missing = 0;
            for (uint64_t rt = area >> rbb; rt <= (area + area_len - 1) >> rbb; rt++) {
                if (rt >= s->refcount_table_size || !(s->refcount_table[rt] & REFT_OFFSET_MASK)) {
                    missing++;
                }
            }
            if (missing == nblocks) {
                break;
            }
            nblocks = missing;
        }
        uint64_t last_rt = (area + area_len - 1) >> rbb;
        if (last_rt < new_entries && min_index < new_entries) {
            break;
        }
        new_entries = QEMU_ALIGN_UP(MAX(last_rt, min_index) + 1, per_cluster);
    }

    /* Clusters of the area whose refcounts live in existing blocks. */
    for (uint64_t c = area; c < area + area_len; c++) {
        uint64_t rt = c >> rbb;
        if (rt < s->refcount_table_size && (s->refcount_table[rt] & REFT_OFFSET_MASK)) {
            ret = update_existing(bs, c, 1, 1, QCOW2_DISCARD_NEVER);
            if (ret < 0) {
                return ret;
            }
        }
    }
    ret = qcow2_cache_flush(bs, s->refcount_cache);
    if (ret < 0) {
        return ret;
    }

    table = g_try_malloc0(new_entries * sizeof(uint64_t));
    buf = g_try_malloc0(area_len * cs);
    if (!table || !buf) {
        return -ENOMEM;
    }
    memcpy(table, s->refcount_table, s->refcount_table_size * sizeof(uint64_t));
    uint64_t j = 0;
    for (uint64_t rt = area >> rbb; rt <= (area + area_len - 1) >> rbb; rt++) {
        if (rt >= s->refcount_table_size || !(s->refcount_table[rt] & REFT_OFFSET_MASK)) {
            uint8_t *block = buf + j * cs;
            table[rt] = (area + j) * cs;
            for (uint64_t c = area; c < area + area_len; c++) {
                if ((c >> rbb) == rt) {
                    s->set_refcount(block, c & ((1ULL << rbb) - 1), 1);
                }
            }
            j++;
        }
    }
    for (uint64_t i = 0; i < new_entries; i++) {
        qcow2_put_be64(buf + (nblocks * cs) + i * sizeof(uint64_t), table[i]);
    }

    ret = qcow2_pre_write_overlap_check(bs, 0, area * cs, area_len * cs);
    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE_BLOCKS);
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE_TABLE);
    ret = bdrv_co_pwrite(bs->file, area * cs, area_len * cs, buf, 0);
    if (ret < 0) {
        return ret;
    }
    qcow2_note_file_end(bs, (area + area_len) * cs);
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }

    qcow2_put_be64(hdr, (area + nblocks) * cs);
    qcow2_put_be32(hdr + 8, table_clusters);
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_SWITCH_TABLE);
    ret = bdrv_co_pwrite(bs->file, QCOW2_HDR_REFT_OFFSET, sizeof(hdr), hdr, 0);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }

    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&table);
    s->refcount_table_size = new_entries;
    s->refcount_table_offset = (area + nblocks) * cs;
    refcount_update_max_index(s);
    if (area + area_len > s->free_cluster_index && area <= s->free_cluster_index) {
        s->free_cluster_index = area + area_len;
    }
    qcow2_free_clusters(bs, old_offset, old_clusters * cs, QCOW2_DISCARD_OTHER);
    return 0;
}

/* Makes sure refcount blocks exist for clusters [first, first + n). */
static int coroutine_fn ensure_refblocks(BlockDriverState *bs, uint64_t first, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t last_rt = (first + n - 1) >> s->refcount_block_bits;
    int changed = 0;

    for (uint64_t rt = first >> s->refcount_block_bits; rt <= last_rt; rt++) {
        uint64_t off;
        int ret = refblock_offset(bs, rt, &off);
        if (ret < 0) {
            return ret;
        }
        if (!off) {
            ret = alloc_refblock(bs, rt);
            if (ret < 0) {
                return ret;
            }
            changed = 1;
        }
    }
    return changed;
}

int64_t coroutine_fn qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = qcow2_size_to_clusters(s, size);
    uint64_t start;
    int ret;

    if (n == 0) {
        return -EINVAL;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_CLUSTER_ALLOC);
    for (int tries = 0;; tries++) {
        if (tries > 100) {
            return -EIO;
        }
        ret = find_free_run(bs, n, &start);
        if (ret < 0) {
            return ret;
        }
        /* New refcount blocks may land inside the run: search again then. */
        ret = ensure_refblocks(bs, start, n);
        if (ret < 0) {
            return ret;
        }
        if (ret == 0) {
            break;
        }
    }
    ret = update_existing(bs, start, n, 1, QCOW2_DISCARD_NEVER);
    if (ret < 0) {
        return ret;
    }
    if (start <= s->free_cluster_index) {
        s->free_cluster_index = start + n;
    }
    qcow2_note_file_end(bs, (start + n) << s->cluster_bits);
    return (int64_t)(start << s->cluster_bits);
}

int64_t coroutine_fn qcow2_alloc_bytes(BlockDriverState *bs, uint32_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->free_byte_offset;
    int ret;

    if (size == 0 || size > s->cluster_size) {
        return -EINVAL;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_CLUSTER_ALLOC_BYTES);
    if (off && s->cluster_size - qcow2_offset_into_cluster(s, off) >= size) {
        uint64_t rc;
        ret = qcow2_get_refcount(bs, off >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc == 0 || rc >= s->refcount_max) {
            off = 0;
        } else {
            ret = update_existing(bs, off >> s->cluster_bits, 1, 1, QCOW2_DISCARD_NEVER);
            if (ret < 0) {
                return ret;
            }
        }
    } else {
        off = 0;
    }
    if (!off) {
        int64_t c = qcow2_alloc_clusters(bs, s->cluster_size);
        if (c < 0) {
            return c;
        }
        off = c;
    }
    s->free_byte_offset = off + size;
    if (!qcow2_offset_into_cluster(s, s->free_byte_offset)) {
        s->free_byte_offset = 0;
    }
    return (int64_t)off;
}

int coroutine_fn qcow2_update_refcount(BlockDriverState *bs, uint64_t offset, uint64_t length,
                                       int64_t delta, Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t first, n;
    int ret;

    if (length == 0 || delta == 0) {
        return 0;
    }
    first = offset >> s->cluster_bits;
    n = ((offset + length - 1) >> s->cluster_bits) - first + 1;
    if (delta < 0) {
        /* The entries that stopped using these clusters must reach the disk first. */
        ret = qcow2_cache_set_dependency(bs, s->refcount_cache, s->l2_cache);
        if (ret < 0) {
            return ret;
        }
    } else {
        for (int tries = 0;; tries++) {
            ret = ensure_refblocks(bs, first, n);
            if (ret <= 0) {
                break;
            }
            if (tries > 100) {
                return -EIO;
            }
        }
        if (ret < 0) {
            return ret;
        }
    }
    return update_existing(bs, first, n, delta, type);
}

int coroutine_fn qcow2_set_cluster_refcount(BlockDriverState *bs, uint64_t cluster_index,
                                            uint64_t refcount)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old;
    int ret;

    ret = qcow2_get_refcount(bs, cluster_index, &old);
    if (ret < 0) {
        return ret;
    }
    if (refcount > s->refcount_max) {
        return -ERANGE;
    }
    if (old == refcount) {
        return 0;
    }
    return qcow2_update_refcount(bs, cluster_index << s->cluster_bits, 1,
                                 refcount > old ? (int64_t)(refcount - old)
                                                : -(int64_t)(old - refcount),
                                 QCOW2_DISCARD_ALWAYS);
}

void coroutine_fn qcow2_process_discards(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!s->discards || !s->discards->len) {
        return;
    }
    /* Take the list first: a discard yields and others may free meanwhile. */
    g_autoptr(GArray) d = s->discards;
    s->discards = g_array_new(false, false, sizeof(uint64_t));
    for (guint i = 0; i + 1 < d->len; i += 2) {
        uint64_t off = g_array_index(d, uint64_t, i);
        uint64_t len = g_array_index(d, uint64_t, i + 1);
        /* Discard is advisory: a failure only leaves the space allocated below. */
        bdrv_co_pdiscard(bs->file, off, len);
    }
}

void coroutine_fn qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t size,
                                      Qcow2DiscardType type)
{
    int ret;

    BLKDBG_EVENT(bs->file, BLKDBG_CLUSTER_FREE);
    ret = qcow2_update_refcount(bs, offset, size, -1, type);

    /* Not fatal either way: the cluster stays allocated (a leak check repairs). */
    if (ret == -EINVAL) {
        qcow2_signal_corruption(bs, false, offset, size,
                                "Cluster %#" PRIx64 " is in use but its refcount is 0", offset);
    } else if (ret < 0) {
        error_report("qcow2_free_clusters failed: %s", strerror(-ret));
    }
    qcow2_process_discards(bs);
}

void coroutine_fn qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry,
                                         Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off, len;

    switch (qcow2_cluster_type(s, l2_entry)) {
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        off = l2_entry & L2E_OFFSET_MASK;
        if (qcow2_offset_into_cluster(s, off)) {
            qcow2_signal_corruption(bs, false, -1, -1, "Cannot free unaligned cluster %#" PRIx64,
                                    off);
            return;
        }
        qcow2_free_clusters(bs, off, s->cluster_size, type);
        break;
    case QCOW2_CLUSTER_COMPRESSED:
        qcow2_compressed_range(s, l2_entry, &off, &len);
        qcow2_free_clusters(bs, off, len, type);
        break;
    default:
        break;
    }
}

/* ---- Overlap check ---- */

/* Overflow-safe: table offsets come from the image and may be huge. */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return b <= a ? a - b < blen : b - a < alen;
}

int coroutine_fn qcow2_check_metadata_overlap(BlockDriverState *bs, int ign, uint64_t offset,
                                              uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int chk = s->overlap_check & ~ign;
    uint64_t cs = s->cluster_size;

    if (!size || !chk) {
        return 0;
    }
    if ((chk & QCOW2_OL_MAIN_HEADER) && offset < cs) {
        return QCOW2_OL_MAIN_HEADER;
    }
    /* Metadata occupies whole clusters. */
    size = QEMU_ALIGN_UP(qcow2_offset_into_cluster(s, offset) + size, cs);
    offset = qcow2_start_of_cluster(s, offset);

    if ((chk & QCOW2_OL_ACTIVE_L1) && s->l1_size &&
        ranges_overlap(offset, size, s->l1_table_offset, (uint64_t)s->l1_size * 8)) {
        return QCOW2_OL_ACTIVE_L1;
    }
    if ((chk & QCOW2_OL_REFCOUNT_TABLE) && s->refcount_table_size &&
        ranges_overlap(offset, size, s->refcount_table_offset, s->refcount_table_size * 8)) {
        return QCOW2_OL_REFCOUNT_TABLE;
    }
    if ((chk & QCOW2_OL_SNAPSHOT_TABLE) && s->snapshots_size &&
        ranges_overlap(offset, size, s->snapshots_offset, s->snapshots_size)) {
        return QCOW2_OL_SNAPSHOT_TABLE;
    }
    if ((chk & QCOW2_OL_BITMAP_DIRECTORY) && s->bitmap_directory_size &&
        ranges_overlap(offset, size, s->bitmap_directory_offset, s->bitmap_directory_size)) {
        return QCOW2_OL_BITMAP_DIRECTORY;
    }
    if (chk & QCOW2_OL_INACTIVE_L1) {
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            if (s->snapshots[i].l1_size &&
                ranges_overlap(offset, size, s->snapshots[i].l1_table_offset,
                               (uint64_t)s->snapshots[i].l1_size * 8)) {
                return QCOW2_OL_INACTIVE_L1;
            }
        }
    }
    if ((chk & QCOW2_OL_ACTIVE_L2) && s->l1_table) {
        for (uint32_t i = 0; i < s->l1_size; i++) {
            uint64_t l2 = s->l1_table[i] & L1E_OFFSET_MASK;
            if (l2 && ranges_overlap(offset, size, l2, cs)) {
                return QCOW2_OL_ACTIVE_L2;
            }
        }
    }
    if ((chk & QCOW2_OL_REFCOUNT_BLOCK) && s->refcount_table) {
        uint64_t end = MIN(s->max_refcount_table_index + 1, s->refcount_table_size);
        for (uint64_t i = 0; i < end; i++) {
            uint64_t rb = s->refcount_table[i] & REFT_OFFSET_MASK;
            if (rb && ranges_overlap(offset, size, rb, cs)) {
                return QCOW2_OL_REFCOUNT_BLOCK;
            }
        }
    }
    if (chk & QCOW2_OL_INACTIVE_L2) {
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            uint64_t bytes = (uint64_t)s->snapshots[i].l1_size * 8;
            g_autofree uint64_t *l1 = g_try_malloc(MAX(bytes, 8));
            int ret;

            if (!l1) {
                return -ENOMEM;
            }
            ret = bdrv_co_pread(bs->file, s->snapshots[i].l1_table_offset, bytes, l1, 0);
            if (ret < 0) {
                return ret;
            }
            for (uint32_t j = 0; j < s->snapshots[i].l1_size; j++) {
                uint64_t l2 = GUINT64_FROM_BE(l1[j]) & L1E_OFFSET_MASK;
                if (l2 && ranges_overlap(offset, size, l2, cs)) {
                    return QCOW2_OL_INACTIVE_L2;
                }
            }
        }
    }
    return 0;
}

static const char *const overlap_names[QCOW2_OL_KINDS] = {
    "qcow2_header",      "active L1 table",   "active L2 table",
    "refcount table",    "refcount block",    "snapshot table",
    "inactive L1 table", "inactive L2 table", "bitmap directory",
};

int coroutine_fn qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign, uint64_t offset,
                                               uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->broken) {
        return -EIO;
    }
    ret = qcow2_check_metadata_overlap(bs, ign, offset, size);
    if (ret <= 0) {
        return ret;
    }
    qcow2_signal_corruption(bs, true, offset, size,
                            "Preventing invalid write on metadata (overlaps with %s)",
                            overlap_names[__builtin_ctz(ret)]);
    return -EIO;
}
