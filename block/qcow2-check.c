/*
 * qcow2 image check: recomputes every cluster's reference count from the
 * metadata (header, L1/L2 tables of the active state and of snapshots,
 * refcount structures, snapshot table, bitmaps), compares with the stored
 * refcounts and the COPIED flags, and optionally repairs: leaks
 * (BDRV_FIX_LEAKS) and refcounts that are too low or wrong flags
 * (BDRV_FIX_ERRORS).  The counts and messages follow qemu-img check.
 */
#include "block/qcow2.h"

typedef struct Qcow2Check {
    BlockDriverState *bs;
    BdrvCheckResult *res;
    int fix;
    bool quiet;
    int64_t file_len;
    uint8_t *refs;  /* computed references, refcount_bits wide each */
    uint64_t nb;    /* entries in refs */
    uint64_t limit; /* references at or beyond this cluster are not counted */
    uint64_t used;  /* one past the highest referenced cluster */
} Qcow2Check;

static void MINIVM_PRINTF(2, 3) check_report(Qcow2Check *c, const char *fmt, ...)
{
    va_list ap;

    if (c->quiet) {
        return;
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static size_t refs_bytes(BDRVQcow2State *s, uint64_t n)
{
    return (n * (1u << s->refcount_order) + 7) / 8;
}

static int grow_refs(Qcow2Check *c, uint64_t need)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t n = MAX(need, c->nb + c->nb / 2);
    size_t old = refs_bytes(s, c->nb), new = refs_bytes(s, n);
    uint8_t *p = g_try_realloc(c->refs, new + 8);

    if (!p) {
        return -ENOMEM;
    }
    memset(p + old, 0, new + 8 - old);
    c->refs = p;
    c->nb = n;
    return 0;
}

/* Counts one reference to every cluster touched by [offset, offset + size). */
static int inc_refs(Qcow2Check *c, uint64_t offset, uint64_t size)
{
    BDRVQcow2State *s = c->bs->opaque;

    if (!size) {
        return 0;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + size - 1) >> s->cluster_bits;
    for (uint64_t k = first; k <= last; k++) {
        if (k >= c->limit) {
            /* Far beyond the file: counting it would only exhaust memory. */
            check_report(c, "ERROR: cluster %" PRIu64 " is far beyond the end of the image file\n",
                         k);
            c->res->corruptions++;
            return 0;
        }
        if (k >= c->nb && grow_refs(c, k + 1) < 0) {
            c->res->check_errors++;
            return -ENOMEM;
        }
        uint64_t r = s->get_refcount(c->refs, k);
        if (r == s->refcount_max) {
            check_report(c, "ERROR: overflow cluster offset=0x%" PRIx64 "\n", k << s->cluster_bits);
            c->res->corruptions++;
            continue;
        }
        s->set_refcount(c->refs, k, r + 1);
        c->used = MAX(c->used, k + 1);
    }
    return 0;
}

static int coroutine_fn read_padded(Qcow2Check *c, uint64_t offset, void *buf, uint64_t len)
{
    uint64_t n = (uint64_t)c->file_len > offset ? MIN(len, (uint64_t)c->file_len - offset) : 0;

    memset((uint8_t *)buf + n, 0, len - n);
    return n ? bdrv_co_pread(c->bs->file, offset, n, buf, 0) : 0;
}

static int coroutine_fn check_l2(Qcow2Check *c, uint64_t l2_offset, bool active)
{
    BDRVQcow2State *s = c->bs->opaque;
    BdrvCheckResult *res = c->res;
    g_autofree uint64_t *t = g_malloc(s->cluster_size);
    uint64_t next_contiguous = 0;
    int ret;

    ret = read_padded(c, l2_offset, t, s->cluster_size);
    if (ret < 0) {
        check_report(c, "ERROR: I/O error in check_refcounts_l2\n");
        res->check_errors++;
        return ret;
    }
    for (uint32_t i = 0; i < s->l2_size; i++) {
        uint64_t e = GUINT64_FROM_BE(t[i]);
        uint64_t off, len;

        switch (qcow2_cluster_type(s, e)) {
        case QCOW2_CLUSTER_COMPRESSED:
            if (e & QCOW_OFLAG_COPIED) {
                check_report(c,
                             "ERROR: coffset=0x%" PRIx64 ": copied flag must never be set for "
                             "compressed clusters\n",
                             e & s->cluster_offset_mask);
                res->corruptions++;
                e &= ~QCOW_OFLAG_COPIED;
            }
            qcow2_compressed_range(s, e, &off, &len);
            ret = inc_refs(c, off, len);
            if (ret < 0) {
                return ret;
            }
            if (active) {
                res->allocated_clusters++;
                res->compressed_clusters++;
                /* Compressed data never lies cluster-contiguous. */
                res->fragmented_clusters++;
            }
            break;
        case QCOW2_CLUSTER_NORMAL:
        case QCOW2_CLUSTER_ZERO_ALLOC:
            off = e & L2E_OFFSET_MASK;
            if (active) {
                res->allocated_clusters++;
                if (next_contiguous && off != next_contiguous) {
                    res->fragmented_clusters++;
                }
                next_contiguous = off + s->cluster_size;
            }
            ret = inc_refs(c, off, s->cluster_size);
            if (ret < 0) {
                return ret;
            }
            if (qcow2_offset_into_cluster(s, off)) {
                check_report(c,
                             "ERROR offset=%" PRIx64 ": Cluster is not properly aligned; L2 entry "
                             "corrupted.\n",
                             off);
                res->corruptions++;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static int coroutine_fn check_l1(Qcow2Check *c, uint64_t l1_offset, uint32_t l1_size, bool active)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t bytes = (uint64_t)l1_size * sizeof(uint64_t);
    g_autofree uint64_t *l1 = NULL;
    int ret;

    ret = inc_refs(c, l1_offset, bytes);
    if (ret < 0 || !l1_size) {
        return ret;
    }
    l1 = g_try_malloc(bytes);
    if (!l1) {
        c->res->check_errors++;
        return -ENOMEM;
    }
    ret = read_padded(c, l1_offset, l1, bytes);
    if (ret < 0) {
        check_report(c, "ERROR: I/O error in check_refcounts_l1\n");
        c->res->check_errors++;
        return ret;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2 = GUINT64_FROM_BE(l1[i]) & L1E_OFFSET_MASK;
        if (!l2) {
            continue;
        }
        ret = inc_refs(c, l2, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
        if (qcow2_offset_into_cluster(s, l2)) {
            check_report(c,
                         "ERROR l2_offset=%" PRIx64 ": Table is not cluster aligned; L1 entry "
                         "corrupted\n",
                         l2);
            c->res->corruptions++;
            continue;
        }
        ret = check_l2(c, l2, active);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Bitmap directory, bitmap tables and their data clusters. */
static int coroutine_fn check_bitmaps(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    uint64_t size = s->bitmap_directory_size, pos = 0;
    g_autofree uint8_t *dir = NULL;
    int ret;

    if (!size) {
        return 0;
    }
    ret = inc_refs(c, s->bitmap_directory_offset, size);
    if (ret < 0) {
        return ret;
    }
    dir = g_try_malloc(size);
    if (!dir || read_padded(c, s->bitmap_directory_offset, dir, size) < 0) {
        c->res->check_errors++;
        return -EIO;
    }
    while (pos + 24 <= size) {
        uint64_t table_offset = qcow2_be64(dir + pos);
        uint32_t table_size = qcow2_be32(dir + pos + 8);
        uint64_t entry_len = 24 + (uint64_t)qcow2_be32(dir + pos + 20) + qcow2_be16(dir + pos + 18);
        g_autofree uint64_t *table = NULL;

        ret = inc_refs(c, table_offset, (uint64_t)table_size * 8);
        if (ret < 0) {
            return ret;
        }
        table = g_try_malloc((uint64_t)table_size * 8 + 8);
        if (!table || read_padded(c, table_offset, table, (uint64_t)table_size * 8) < 0) {
            c->res->check_errors++;
            return -EIO;
        }
        for (uint32_t i = 0; i < table_size; i++) {
            uint64_t off = GUINT64_FROM_BE(table[i]) & L2E_OFFSET_MASK;
            if (off) {
                ret = inc_refs(c, off, s->cluster_size);
                if (ret < 0) {
                    return ret;
                }
            }
        }
        pos += QEMU_ALIGN_UP(entry_len, 8);
    }
    return 0;
}

static int coroutine_fn check_refblocks(Qcow2Check *c)
{
    BDRVQcow2State *s = c->bs->opaque;
    int ret;

    ret = inc_refs(c, s->refcount_table_offset, s->refcount_table_size * sizeof(uint64_t));
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (!off) {
            continue;
        }
        if (qcow2_offset_into_cluster(s, off)) {
            check_report(c,
                         "ERROR refcount block %" PRIu64 " is not cluster aligned; refcount "
                         "table entry corrupted\n",
                         i);
            c->res->corruptions++;
            continue;
        }
        if (off >= (uint64_t)c->file_len) {
            check_report(c, "ERROR refcount block %" PRIu64 " is outside image\n", i);
            c->res->corruptions++;
            continue;
        }
        ret = inc_refs(c, off, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static void coroutine_fn compare_refcounts(Qcow2Check *c, int64_t *highest)
{
    BlockDriverState *bs = c->bs;
    BDRVQcow2State *s = bs->opaque;
    BdrvCheckResult *res = c->res;
    uint64_t file_clusters = qcow2_size_to_clusters(s, c->file_len);
    /* Like qemu-img: stored refcounts past the file are only looked at if referenced. */
    uint64_t n = MAX(file_clusters, c->used);
    uint64_t chunk = 1ULL << s->refcount_block_bits;
    g_autofree uint64_t *stored = g_new(uint64_t, chunk);

    *highest = -1;
    for (uint64_t base = 0; base < n; base += chunk) {
        uint64_t cnt = MIN(chunk, n - base);
        int ret = qcow2_read_refcounts(bs, base, cnt, stored);

        if (ret < 0) {
            check_report(c, "Can't get refcount for cluster %" PRIu64 ": %s\n", base,
                         strerror(-ret));
            res->check_errors++;
            continue;
        }
        for (uint64_t k = 0; k < cnt; k++) {
            uint64_t i = base + k;
            uint64_t ref = i < c->nb ? s->get_refcount(c->refs, i) : 0;
            int *fixed = NULL;

            if (stored[k] || ref) {
                *highest = i;
            }
            if (stored[k] == ref) {
                continue;
            }
            if (stored[k] > ref && (c->fix & BDRV_FIX_LEAKS)) {
                fixed = &res->leaks_fixed;
            } else if (stored[k] < ref && (c->fix & BDRV_FIX_ERRORS)) {
                fixed = &res->corruptions_fixed;
            }
            check_report(c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64 "\n",
                         fixed             ? "Repairing"
                         : stored[k] < ref ? "ERROR"
                                           : "Leaked",
                         i, stored[k], ref);
            if (fixed && qcow2_set_cluster_refcount(bs, i, ref) == 0) {
                (*fixed)++;
                continue;
            }
            if (stored[k] < ref) {
                res->corruptions++;
            } else {
                res->leaks++;
            }
        }
    }
}

/* The COPIED flag must be set exactly where the refcount is 1 (active tables only). */
static int coroutine_fn check_copied_flags(Qcow2Check *c)
{
    BlockDriverState *bs = c->bs;
    BDRVQcow2State *s = bs->opaque;
    BdrvCheckResult *res = c->res;
    bool repair = c->fix & BDRV_FIX_ERRORS;
    int ret;

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t e = s->l1_table[i], l2 = e & L1E_OFFSET_MASK, rc;
        uint64_t *t;

        if (!l2 || qcow2_offset_into_cluster(s, l2) ||
            !qcow2_within_file(bs, l2, s->cluster_size)) {
            continue;
        }
        if (qcow2_get_refcount(bs, l2 >> s->cluster_bits, &rc) < 0) {
            continue;
        }
        if ((rc == 1) != !!(e & QCOW_OFLAG_COPIED)) {
            check_report(c,
                         "%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu32 " l1_entry=%" PRIx64
                         " refcount=%" PRIu64 "\n",
                         repair ? "Repairing" : "ERROR", i, e, rc);
            if (repair) {
                s->l1_table[i] = rc == 1 ? e | QCOW_OFLAG_COPIED : e & ~QCOW_OFLAG_COPIED;
                ret = qcow2_write_l1_entry(bs, i);
                if (ret < 0) {
                    res->check_errors++;
                    return ret;
                }
                res->corruptions_fixed++;
            } else {
                res->corruptions++;
            }
        }
        ret = qcow2_cache_get(bs, s->l2_cache, l2, (void **)&t);
        if (ret < 0) {
            check_report(c, "ERROR: Could not read L2 table: %s\n", strerror(-ret));
            res->check_errors++;
            return ret;
        }
        for (uint32_t j = 0; j < s->l2_size; j++) {
            uint64_t le = GUINT64_FROM_BE(t[j]);
            Qcow2ClusterType type = qcow2_cluster_type(s, le);
            uint64_t off = le & L2E_OFFSET_MASK;

            if ((type != QCOW2_CLUSTER_NORMAL && type != QCOW2_CLUSTER_ZERO_ALLOC) ||
                qcow2_offset_into_cluster(s, off)) {
                continue;
            }
            if (qcow2_get_refcount(bs, off >> s->cluster_bits, &rc) < 0) {
                continue;
            }
            if ((rc == 1) != !!(le & QCOW_OFLAG_COPIED)) {
                check_report(
                    c, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
                    repair ? "Repairing" : "ERROR", le, rc);
                if (repair) {
                    le = rc == 1 ? le | QCOW_OFLAG_COPIED : le & ~QCOW_OFLAG_COPIED;
                    t[j] = GUINT64_TO_BE(le);
                    qcow2_cache_mark_dirty(s->l2_cache, t);
                    res->corruptions_fixed++;
                } else {
                    res->corruptions++;
                }
            }
        }
        qcow2_cache_put(s->l2_cache, (void **)&t);
    }
    return 0;
}

int coroutine_fn qcow2_check_locked(BlockDriverState *bs, BdrvCheckResult *result, int fix,
                                    bool quiet)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Check c = {.bs = bs, .res = result, .fix = fix, .quiet = quiet};
    int64_t highest;
    int ret;

    memset(result, 0, sizeof(*result));
    if (s->broken) {
        result->check_errors++;
        return -EIO;
    }
    if (fix && !s->writable) {
        return -EACCES;
    }
    /* The walk reads tables from disk: put our cached changes there first. */
    if (s->writable) {
        ret = qcow2_write_caches(bs, false);
        if (ret < 0) {
            result->check_errors++;
            return ret;
        }
    }
    c.file_len = bdrv_getlength(bs->file->bs);
    if (c.file_len < 0) {
        result->check_errors++;
        return c.file_len;
    }
    result->total_clusters = qcow2_size_to_clusters(s, s->size);
    c.limit = MAX(2 * qcow2_size_to_clusters(s, c.file_len),
                  qcow2_size_to_clusters(s, c.file_len) + (1u << 20));
    ret = grow_refs(&c, qcow2_size_to_clusters(s, c.file_len) + 1);
    if (ret < 0) {
        result->check_errors++;
        return ret;
    }

    ret = inc_refs(&c, 0, s->cluster_size);
    if (ret == 0) {
        ret = check_l1(&c, s->l1_table_offset, s->l1_size, true);
    }
    if (ret == 0) {
        ret = check_refblocks(&c);
    }
    if (ret == 0) {
        ret = inc_refs(&c, s->snapshots_offset, s->snapshots_size);
    }
    for (uint32_t i = 0; ret == 0 && i < s->nb_snapshots; i++) {
        ret = check_l1(&c, s->snapshots[i].l1_table_offset, s->snapshots[i].l1_size, false);
    }
    if (ret == 0) {
        ret = check_bitmaps(&c);
    }
    if (ret < 0) {
        g_free(c.refs);
        return ret;
    }

    /* Repairs may allocate refcount blocks: never where a reference still reads 0. */
    s->in_check = true;
    s->free_cluster_index =
        MAX(s->free_cluster_index, MAX(c.nb, qcow2_size_to_clusters(s, c.file_len)));
    compare_refcounts(&c, &highest);
    ret = check_copied_flags(&c);
    s->in_check = false;
    s->free_cluster_index = 0;
    g_free(c.refs);
    result->image_end_offset = (highest + 1) * (int64_t)s->cluster_size;
    if (ret < 0) {
        return ret;
    }
    if (fix) {
        ret = qcow2_write_caches(bs, true);
        if (ret < 0) {
            result->check_errors++;
            return ret;
        }
        if (result->check_errors == 0 && result->corruptions == 0) {
            ret = qcow2_mark_clean(bs);
            if (ret == 0) {
                ret = qcow2_mark_consistent(bs);
            }
        }
    }
    return ret;
}

int coroutine_fn qcow2_co_check(BlockDriverState *bs, BdrvCheckResult *result, int fix)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_check_locked(bs, result, fix, false);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}
