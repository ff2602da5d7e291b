/*
 * qcow2 guest-to-host mapping: L1/L2 lookups, allocation of host clusters
 * for writes (with the in-flight list that serialises allocating writes to
 * the same cluster), L2 table allocation and copy-on-write, zero clusters,
 * discard and L1 growth.
 *
 * Every offset read from the image is checked before use: an unaligned L2 or
 * data offset marks the image corrupt (as QEMU does); a table beyond the end
 * of the file, or a data cluster there that nothing counts, fails the request.
 */
#include "block/qcow2.h"

/* ---- In-flight allocations ---- */

void qcow2_inflight_add(BDRVQcow2State *s, Qcow2Alloc *m)
{
    qemu_co_queue_init(&m->waiters);
    m->prev = NULL;
    m->next = s->inflight;
    if (s->inflight) {
        s->inflight->prev = m;
    }
    s->inflight = m;
}

void qcow2_inflight_remove(BDRVQcow2State *s, Qcow2Alloc *m)
{
    if (m->prev) {
        m->prev->next = m->next;
    } else {
        s->inflight = m->next;
    }
    if (m->next) {
        m->next->prev = m->prev;
    }
    m->prev = m->next = NULL;
    qemu_co_queue_restart_all(&m->waiters);
}

static inline uint64_t alloc_end(const BDRVQcow2State *s, const Qcow2Alloc *m)
{
    return m->guest_offset + (m->nb_clusters << s->cluster_bits);
}

static void coroutine_fn wait_for(BDRVQcow2State *s, Qcow2Alloc *m)
{
    /* Nothing runs between the unlock and queueing: no wake-up is lost. */
    qemu_co_mutex_unlock(&s->lock);
    qemu_co_queue_wait(&m->waiters);
    qemu_co_mutex_lock(&s->lock);
}

void coroutine_fn qcow2_wait_inflight(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = qcow2_start_of_cluster(s, offset);
    uint64_t end = QEMU_ALIGN_UP(offset + bytes, s->cluster_size);

again:
    for (Qcow2Alloc *m = s->inflight; m; m = m->next) {
        if (m->guest_offset < end && alloc_end(s, m) > start) {
            wait_for(s, m);
            goto again;
        }
    }
}

/* ---- L1 ---- */

/* The validated L2 table offset of an L1 entry (0: no table). */
static int l2_offset_of(BlockDriverState *bs, uint64_t l1_index, uint64_t *l2_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off;

    *l2_offset = 0;
    if (l1_index >= s->l1_size) {
        return 0;
    }
    off = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    if (!off) {
        return 0;
    }
    if (qcow2_offset_into_cluster(s, off)) {
        qcow2_signal_corruption(bs, true, -1, -1,
                                "L2 table offset %#" PRIx64 " unaligned (L1 index: %#" PRIx64 ")",
                                off, l1_index);
        return -EIO;
    }
    if (!qcow2_within_file(bs, off, s->cluster_size)) {
        qcow2_signal_corruption(bs, false, -1, -1,
                                "L2 table offset %#" PRIx64
                                " is beyond the end of the image file (L1 index: %#" PRIx64 ")",
                                off, l1_index);
        return -EIO;
    }
    *l2_offset = off;
    return 0;
}

int coroutine_fn qcow2_write_l1_entry(BlockDriverState *bs, uint64_t l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t buf[64]; /* one 512-byte sector of the table */
    uint64_t first = l1_index & ~63ULL;
    uint64_t n = MIN(64, s->l1_size - first);
    uint64_t pos = s->l1_table_offset + first * sizeof(uint64_t);
    int ret;

    for (uint64_t i = 0; i < n; i++) {
        buf[i] = GUINT64_TO_BE(s->l1_table[first + i]);
    }
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_ACTIVE_L1, pos, n * sizeof(uint64_t));
    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_L1_UPDATE);
    ret = bdrv_co_pwrite(bs->file, pos, n * sizeof(uint64_t), buf, 0);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_flush(bs->file->bs);
}

int coroutine_fn qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes, alloc_bytes, old_offset = s->l1_table_offset;
    uint64_t old_bytes = (uint64_t)s->l1_size * sizeof(uint64_t);
    g_autofree uint64_t *table = NULL;
    g_autofree uint64_t *be = NULL;
    uint8_t hdr[12];
    int64_t new_offset;
    int ret;

    if (min_size <= s->l1_size) {
        return 0;
    }
    if (min_size > QCOW2_MAX_L1_BYTES / sizeof(uint64_t)) {
        return -EFBIG;
    }
    bytes = min_size * sizeof(uint64_t);
    alloc_bytes = QEMU_ALIGN_UP(bytes, s->cluster_size);
    table = g_try_malloc0(alloc_bytes);
    be = g_try_malloc0(alloc_bytes);
    if (!table || !be) {
        return -ENOMEM;
    }
    memcpy(table, s->l1_table, old_bytes);
    for (uint64_t i = 0; i < min_size; i++) {
        be[i] = GUINT64_TO_BE(table[i]);
    }

    BLKDBG_EVENT(bs->file, BLKDBG_L1_GROW_ALLOC_TABLE);
    new_offset = qcow2_alloc_clusters(bs, alloc_bytes);
    if (new_offset < 0) {
        return new_offset;
    }
    /* The table's refcount, then the table, then the header. */
    ret = qcow2_cache_flush(bs, s->refcount_cache);
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_pre_write_overlap_check(bs, 0, new_offset, alloc_bytes);
    if (ret < 0) {
        goto fail;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_L1_GROW_WRITE_TABLE);
    ret = bdrv_co_pwrite(bs->file, new_offset, alloc_bytes, be, 0);
    if (ret < 0) {
        goto fail;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        goto fail;
    }
    qcow2_put_be32(hdr, min_size);
    qcow2_put_be64(hdr + 4, new_offset);
    BLKDBG_EVENT(bs->file, BLKDBG_L1_GROW_ACTIVATE_TABLE);
    ret = bdrv_co_pwrite(bs->file, QCOW2_HDR_L1_SIZE, sizeof(hdr), hdr, 0);
    if (ret < 0) {
        goto fail;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        goto fail;
    }
    g_free(s->l1_table);
    s->l1_table = g_steal_pointer(&table);
    s->l1_size = min_size;
    s->l1_table_offset = new_offset;
    if (old_bytes) {
        qcow2_free_clusters(bs, old_offset, QEMU_ALIGN_UP(old_bytes, s->cluster_size),
                            QCOW2_DISCARD_OTHER);
    }
    return 0;

fail:
    qcow2_free_clusters(bs, new_offset, alloc_bytes, QCOW2_DISCARD_OTHER);
    return ret;
}

/* ---- L2 lookup ---- */

/*
 * Checks that host clusters [host, host + n * cs) referenced from an L2 entry
 * may be used: inside the file, or at least counted by the refcounts (written
 * clusters can trail the file after a host crash).
 */
static int coroutine_fn check_data_range(BlockDriverState *bs, uint64_t host, uint64_t n,
                                         uint64_t l2_offset, uint64_t l2_index)
{
    BDRVQcow2State *s = bs->opaque;

    if (qcow2_within_file(bs, host, n << s->cluster_bits)) {
        return 0;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t c = host + (i << s->cluster_bits);
        uint64_t rc;
        int ret;

        if (qcow2_within_file(bs, c, s->cluster_size)) {
            continue;
        }
        ret = qcow2_get_refcount(bs, c >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc == 0) {
            qcow2_signal_corruption(bs, false, -1, -1,
                                    "Data cluster offset %#" PRIx64
                                    " is beyond the end of the image file and unallocated"
                                    " (L2 offset: %#" PRIx64 ", L2 index: %#" PRIx64 ")",
                                    c, l2_offset, l2_index + i);
            return -EIO;
        }
    }
    return 0;
}

static int unaligned_data(BlockDriverState *bs, uint64_t host, uint64_t l2_offset,
                          uint64_t l2_index)
{
    qcow2_signal_corruption(bs, true, -1, -1,
                            "Cluster allocation offset %#" PRIx64 " unaligned (L2 offset: %#" PRIx64
                            ", L2 index: %#" PRIx64 ")",
                            host, l2_offset, l2_index);
    return -EIO;
}

int coroutine_fn qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *bytes,
                                       uint64_t *host, Qcow2ClusterType *type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
    uint64_t l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
    uint64_t max = MIN(*bytes, ((s->l2_size - l2_index) << s->cluster_bits) - in_cluster);
    uint64_t nb = (in_cluster + max + cs - 1) >> s->cluster_bits;
    uint64_t l2_offset, e0, h0 = 0, n = 1;
    uint64_t *t;
    int ret;

    ret = l2_offset_of(bs, l1_index, &l2_offset);
    if (ret < 0) {
        return ret;
    }
    if (!l2_offset) {
        *type = QCOW2_CLUSTER_UNALLOCATED;
        *host = 0;
        *bytes = max;
        return 0;
    }
    ret = qcow2_cache_get(bs, s->l2_cache, l2_offset, (void **)&t);
    if (ret < 0) {
        return ret;
    }
    e0 = GUINT64_FROM_BE(t[l2_index]);
    *type = qcow2_cluster_type(s, e0);
    switch (*type) {
    case QCOW2_CLUSTER_COMPRESSED:
        *host = e0;
        break;
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        h0 = e0 & L2E_OFFSET_MASK;
        if (qcow2_offset_into_cluster(s, h0)) {
            qcow2_cache_put(s->l2_cache, (void **)&t);
            return unaligned_data(bs, h0, l2_offset, l2_index);
        }
        while (n < nb) {
            uint64_t e = GUINT64_FROM_BE(t[l2_index + n]);
            if (qcow2_cluster_type(s, e) != *type || (e & L2E_OFFSET_MASK) != h0 + n * cs) {
                break;
            }
            n++;
        }
        *host = h0 + in_cluster;
        break;
    default:
        while (n < nb && qcow2_cluster_type(s, GUINT64_FROM_BE(t[l2_index + n])) == *type) {
            n++;
        }
        *host = 0;
        break;
    }
    qcow2_cache_put(s->l2_cache, (void **)&t);
    if (*type == QCOW2_CLUSTER_NORMAL) {
        ret = check_data_range(bs, h0, n, l2_offset, l2_index);
        if (ret < 0) {
            return ret;
        }
    }
    *bytes = MIN(max, n * cs - in_cluster);
    return 0;
}

/* ---- L2 for writing ---- */

/*
 * Pins the L2 table covering guest offset for modification: allocates it if
 * missing, copies it if shared (no COPIED flag in the L1 entry).
 */
static int coroutine_fn get_l2_for_write(BlockDriverState *bs, uint64_t offset, uint64_t **table,
                                         uint64_t *l2_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
    uint64_t old_offset, old_entry;
    int64_t new_offset;
    void *old_table, *new_table;
    int ret;

    *l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    if (l1_index >= s->l1_size) {
        ret = qcow2_grow_l1_table(bs, l1_index + 1);
        if (ret < 0) {
            return ret;
        }
    }
    ret = l2_offset_of(bs, l1_index, &old_offset);
    if (ret < 0) {
        return ret;
    }
    old_entry = s->l1_table[l1_index];
    if (old_offset && (old_entry & QCOW_OFLAG_COPIED)) {
        return qcow2_cache_get(bs, s->l2_cache, old_offset, (void **)table);
    }

    new_offset = qcow2_alloc_clusters(bs, cs);
    if (new_offset < 0) {
        return new_offset;
    }
    ret = qcow2_cache_get_empty(bs, s->l2_cache, new_offset, &new_table);
    if (ret < 0) {
        goto fail_free;
    }
    if (old_offset) {
        BLKDBG_EVENT(bs->file, BLKDBG_L2_ALLOC_COW_READ);
        ret = qcow2_cache_get(bs, s->l2_cache, old_offset, &old_table);
        if (ret < 0) {
            qcow2_cache_put(s->l2_cache, &new_table);
            goto fail_discard;
        }
        memcpy(new_table, old_table, cs);
        qcow2_cache_put(s->l2_cache, &old_table);
    } else {
        memset(new_table, 0, cs);
    }
    qcow2_cache_mark_dirty(s->l2_cache, new_table);

    /* Refcount, then table, then the L1 entry pointing at it. */
    BLKDBG_EVENT(bs->file, BLKDBG_L2_ALLOC_WRITE);
    ret = qcow2_cache_flush(bs, s->refcount_cache);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->l2_cache);
    }
    if (ret < 0) {
        qcow2_cache_put(s->l2_cache, &new_table);
        goto fail_discard;
    }
    s->l1_table[l1_index] = (uint64_t)new_offset | QCOW_OFLAG_COPIED;
    ret = qcow2_write_l1_entry(bs, l1_index);
    if (ret < 0) {
        s->l1_table[l1_index] = old_entry;
        qcow2_cache_put(s->l2_cache, &new_table);
        goto fail_discard;
    }
    if (old_offset) {
        /* The old table is still some snapshot's: drop our reference only. */
        qcow2_free_clusters(bs, old_offset, cs, QCOW2_DISCARD_OTHER);
    }
    *table = new_table;
    return 0;

fail_discard:
    qcow2_cache_discard(s->l2_cache, new_offset);
fail_free:
    qcow2_free_clusters(bs, new_offset, cs, QCOW2_DISCARD_OTHER);
    return ret;
}

static bool entry_writable_in_place(const BDRVQcow2State *s, uint64_t e)
{
    Qcow2ClusterType t = qcow2_cluster_type(s, e);

    return (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) && (e & QCOW_OFLAG_COPIED);
}

int coroutine_fn qcow2_alloc_host_range(BlockDriverState *bs, uint64_t offset, uint64_t *bytes,
                                        uint64_t *host, Qcow2Alloc *m)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
    uint64_t cstart = offset - in_cluster;
    uint64_t l2_index, max, nb, e0, n = 1;
    uint64_t *t;
    int ret;

again:
    l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
    max = MIN(*bytes, ((s->l2_size - l2_index) << s->cluster_bits) - in_cluster);
    for (Qcow2Alloc *a = s->inflight; a; a = a->next) {
        if (a->guest_offset >= offset + max || alloc_end(s, a) <= cstart) {
            continue;
        }
        if (a->guest_offset <= cstart) {
            wait_for(s, a);
            goto again;
        }
        max = a->guest_offset - offset; /* stop where the other allocation starts */
    }
    nb = (in_cluster + max + cs - 1) >> s->cluster_bits;

    ret = get_l2_for_write(bs, offset, &t, &l2_index);
    if (ret < 0) {
        return ret;
    }
    e0 = GUINT64_FROM_BE(t[l2_index]);
    if (entry_writable_in_place(s, e0)) {
        uint64_t h0 = e0 & L2E_OFFSET_MASK;
        Qcow2ClusterType type = qcow2_cluster_type(s, e0);
        uint64_t l2_offset =
            s->l1_table[offset >> (s->cluster_bits + s->l2_bits)] & L1E_OFFSET_MASK;

        if (qcow2_offset_into_cluster(s, h0)) {
            qcow2_cache_put(s->l2_cache, (void **)&t);
            return unaligned_data(bs, h0, l2_offset, l2_index);
        }
        while (n < nb) {
            uint64_t e = GUINT64_FROM_BE(t[l2_index + n]);
            if (!entry_writable_in_place(s, e) || qcow2_cluster_type(s, e) != type ||
                (e & L2E_OFFSET_MASK) != h0 + n * cs) {
                break;
            }
            n++;
        }
        qcow2_cache_put(s->l2_cache, (void **)&t);
        ret = check_data_range(bs, h0, n, l2_offset, l2_index);
        if (ret < 0) {
            return ret;
        }
        if (type == QCOW2_CLUSTER_NORMAL) {
            *host = h0 + in_cluster;
            *bytes = MIN(max, n * cs - in_cluster);
            return 0;
        }
        /* Preallocated zero clusters: write in place, but fill them whole. */
        m->keep_old = true;
        m->host_offset = h0;
    } else {
        while (n < nb && !entry_writable_in_place(s, GUINT64_FROM_BE(t[l2_index + n]))) {
            n++;
        }
        qcow2_cache_put(s->l2_cache, (void **)&t);
        int64_t h = qcow2_alloc_clusters(bs, n * cs);
        if (h < 0) {
            return h;
        }
        m->keep_old = false;
        m->host_offset = h;
    }
    m->guest_offset = cstart;
    m->nb_clusters = n;
    m->data_start = in_cluster;
    m->data_end = in_cluster + MIN(max, n * cs - in_cluster);
    *bytes = m->data_end - m->data_start;
    *host = m->host_offset + in_cluster;
    qcow2_inflight_add(s, m);
    return 1;
}

/* Lazy refcounts: refcounts may lag L2 once the dirty bit is on disk. */
static int coroutine_fn order_l2_after_refcounts(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->use_lazy_refcounts) {
        qcow2_mark_dirty(bs);
    }
    if (!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return qcow2_cache_set_dependency(bs, s->l2_cache, s->refcount_cache);
    }
    return 0;
}

static int coroutine_fn alloc_link(BlockDriverState *bs, Qcow2Alloc *m)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t l2_index;
    uint64_t *t;
    int ret;

    ret = order_l2_after_refcounts(bs);
    if (ret < 0) {
        return ret;
    }
    if (m->data_start > 0 || m->data_end < m->nb_clusters * cs) {
        /* Copied data must be stable before the entry exposes it. */
        qcow2_cache_depends_on_flush(s->l2_cache);
    }
    ret = get_l2_for_write(bs, m->guest_offset, &t, &l2_index);
    if (ret < 0) {
        return ret;
    }
    qcow2_cache_mark_dirty(s->l2_cache, t);
    for (uint64_t i = 0; i < m->nb_clusters; i++) {
        uint64_t old = GUINT64_FROM_BE(t[l2_index + i]);
        t[l2_index + i] = GUINT64_TO_BE((m->host_offset + i * cs) | QCOW_OFLAG_COPIED);
        if (!m->keep_old) {
            qcow2_free_any_cluster(bs, old, QCOW2_DISCARD_NEVER);
        }
    }
    qcow2_cache_put(s->l2_cache, (void **)&t);
    return 0;
}

int coroutine_fn qcow2_alloc_finish(BlockDriverState *bs, Qcow2Alloc *m, bool ok)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    if (ok) {
        ret = alloc_link(bs, m);
    }
    if ((!ok || ret < 0) && !m->keep_old) {
        qcow2_free_clusters(bs, m->host_offset, m->nb_clusters << s->cluster_bits,
                            QCOW2_DISCARD_NEVER);
    }
    qcow2_inflight_remove(s, m);
    return ret;
}

int coroutine_fn qcow2_set_l2_entry(BlockDriverState *bs, uint64_t offset, uint64_t entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l2_index, old;
    uint64_t *t;
    int ret;

    ret = order_l2_after_refcounts(bs);
    if (ret < 0) {
        return ret;
    }
    ret = get_l2_for_write(bs, offset, &t, &l2_index);
    if (ret < 0) {
        return ret;
    }
    old = GUINT64_FROM_BE(t[l2_index]);
    t[l2_index] = GUINT64_TO_BE(entry);
    qcow2_cache_mark_dirty(s->l2_cache, t);
    qcow2_cache_put(s->l2_cache, (void **)&t);
    qcow2_free_any_cluster(bs, old, QCOW2_DISCARD_NEVER);
    return 0;
}

/* ---- Zeroing and discarding ---- */

typedef uint64_t NewEntryFn(BlockDriverState *bs, uint64_t old, int flags);

/*
 * Rewrites the L2 entries of cluster-aligned [offset, offset + bytes) with
 * what fn computes, freeing what they referenced.  need_table: whether a
 * missing L2 table must be created (otherwise its range is skipped).
 */
static int coroutine_fn rewrite_entries(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                        NewEntryFn *fn, int flags, bool need_table,
                                        Qcow2DiscardType type)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    qcow2_wait_inflight(bs, offset, bytes);
    while (bytes > 0) {
        uint64_t l2_index = (offset >> s->cluster_bits) & (s->l2_size - 1);
        uint64_t n = MIN(bytes >> s->cluster_bits, s->l2_size - l2_index);
        uint64_t l2_offset;
        uint64_t *t;

        ret = l2_offset_of(bs, offset >> (s->cluster_bits + s->l2_bits), &l2_offset);
        if (ret < 0) {
            break;
        }
        if (l2_offset || need_table) {
            ret = order_l2_after_refcounts(bs);
            if (ret < 0) {
                break;
            }
            ret = get_l2_for_write(bs, offset, &t, &l2_index);
            if (ret < 0) {
                break;
            }
            for (uint64_t i = 0; i < n; i++) {
                uint64_t old = GUINT64_FROM_BE(t[l2_index + i]);
                uint64_t new = fn(bs, old, flags);
                if (new == old) {
                    continue;
                }
                t[l2_index + i] = GUINT64_TO_BE(new);
                qcow2_cache_mark_dirty(s->l2_cache, t);
                if ((old & ~QCOW_OFLAG_COPIED) != (new & ~QCOW_OFLAG_COPIED) &&
                    !(new &L2E_OFFSET_MASK)) {
                    qcow2_free_any_cluster(bs, old, type);
                }
            }
            qcow2_cache_put(s->l2_cache, (void **)&t);
        }
        offset += n << s->cluster_bits;
        bytes -= n << s->cluster_bits;
    }
    qcow2_process_discards(bs);
    return ret;
}

static uint64_t zero_entry(BlockDriverState *bs, uint64_t old, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType t = qcow2_cluster_type(s, old);

    /* Keeping the allocation is only possible for plain host clusters. */
    if ((flags & BDRV_REQ_MAY_UNMAP) ||
        (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC)) {
        return QCOW_OFLAG_ZERO;
    }
    return old | QCOW_OFLAG_ZERO;
}

int coroutine_fn qcow2_zero_clusters(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                     BdrvRequestFlags flags)
{
    /* Without a backing file, a missing L2 table already reads as zeroes. */
    return rewrite_entries(bs, offset, bytes, zero_entry, flags, bs->backing != NULL,
                           QCOW2_DISCARD_REQUEST);
}

static uint64_t discard_entry_full(BlockDriverState *bs, uint64_t old, int flags)
{
    return 0;
}

static uint64_t discard_entry(BlockDriverState *bs, uint64_t old, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType t = qcow2_cluster_type(s, old);

    /* Discarded data must not come back from the backing file (v3 can say so). */
    if (bs->backing || t != QCOW2_CLUSTER_UNALLOCATED) {
        return s->version >= 3 ? QCOW_OFLAG_ZERO : 0;
    }
    return 0;
}

int coroutine_fn qcow2_discard_clusters(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                        Qcow2DiscardType type, bool full)
{
    BDRVQcow2State *s = bs->opaque;
    bool need_table = !full && bs->backing && s->version >= 3;

    return rewrite_entries(bs, offset, bytes, full ? discard_entry_full : discard_entry, 0,
                           need_table, type);
}

int coroutine_fn qcow2_preallocate_metadata(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file->bs);
    uint64_t end = 0;
    int ret = 0;

    if (file_len < 0) {
        return file_len;
    }
    while (bytes > 0) {
        uint64_t cur = bytes, host;
        Qcow2Alloc m;

        ret = qcow2_alloc_host_range(bs, offset, &cur, &host, &m);
        if (ret < 0) {
            return ret;
        }
        if (ret == 1) {
            uint64_t len = m.nb_clusters << s->cluster_bits;
            ret = 0;
            /* Reused clusters may hold old data; fresh ones come from the truncate. */
            if (!m.keep_old && m.host_offset < (uint64_t)file_len) {
                uint64_t z = MIN(len, file_len - m.host_offset);
                ret = bdrv_co_pwrite_zeroes(bs->file, m.host_offset, z, 0);
            }
            m.data_start = 0;
            m.data_end = len;
            int r2 = qcow2_alloc_finish(bs, &m, ret == 0);
            if (ret == 0) {
                ret = r2;
            }
            if (ret < 0) {
                return ret;
            }
            end = MAX(end, m.host_offset + len);
        }
        offset += cur;
        bytes -= cur;
    }
    if (end > (uint64_t)file_len) {
        ret = bdrv_co_truncate(bs->file, end, false, PREALLOC_MODE_OFF, 0, NULL);
    }
    return ret;
}
