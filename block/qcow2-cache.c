/*
 * qcow2 metadata cache: a fixed set of cluster-sized table slots (L2 tables or
 * refcount blocks) kept in on-disk byte order, written back lazily.
 *
 * Crash safety comes from ordering, expressed as dependencies: an L2 table
 * that points at freshly allocated clusters must not reach the disk before
 * the refcount blocks counting them (L2 depends on refcounts), and a refcount
 * decrease must not reach the disk before the L2 entry that stopped using the
 * cluster (refcounts depend on L2).  A cache whose tables must follow guest
 * data (copy-on-write) depends on a flush of the file.
 */
#include "block/qcow2.h"

typedef struct Qcow2CacheEntry {
    uint64_t offset; /* 0: slot unused */
    uint64_t last_use;
    int ref;
    bool dirty;
} Qcow2CacheEntry;

struct Qcow2Cache {
    Qcow2CacheEntry *entries;
    uint8_t *tables;
    int size;
    uint32_t table_size;
    int overlap_ign;     /* the metadata kind these tables are */
    GHashTable *index;   /* &entry->offset -> slot + 1 */
    Qcow2Cache *depends; /* must be stable before our tables are written */
    bool depends_on_flush;
    uint64_t use_counter;
};

Qcow2Cache *qcow2_cache_create(int entries, uint32_t table_size, int overlap_ign)
{
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);

    c->size = entries;
    c->table_size = table_size;
    c->overlap_ign = overlap_ign;
    c->entries = g_new0(Qcow2CacheEntry, entries);
    c->tables = g_aligned_alloc((gsize)entries, table_size, 4096);
    c->index = g_hash_table_new(g_int64_hash, g_int64_equal);
    return c;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    g_hash_table_destroy(c->index);
    g_aligned_free(c->tables);
    g_free(c->entries);
    g_free(c);
}

static inline void *cache_table(Qcow2Cache *c, int i)
{
    return c->tables + (size_t)i * c->table_size;
}

static int cache_slot_of(Qcow2Cache *c, const void *table)
{
    ptrdiff_t d = (const uint8_t *)table - c->tables;

    assert(d >= 0 && d % c->table_size == 0 && d / c->table_size < c->size);
    return d / c->table_size;
}

static int cache_lookup(Qcow2Cache *c, uint64_t offset)
{
    gpointer v = g_hash_table_lookup(c->index, &offset);

    return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

static void cache_unuse(Qcow2Cache *c, int i)
{
    if (c->entries[i].offset && cache_lookup(c, c->entries[i].offset) == i) {
        g_hash_table_remove(c->index, &c->entries[i].offset);
    }
    c->entries[i].offset = 0;
    c->entries[i].dirty = false;
}

/* Makes everything c depends on stable on disk. */
static int coroutine_fn cache_flush_dependency(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = 0;

    if (c->depends) {
        ret = qcow2_cache_flush(bs, c->depends);
        if (ret < 0) {
            return ret;
        }
        c->depends = NULL;
        c->depends_on_flush = false;
    } else if (c->depends_on_flush) {
        ret = bdrv_co_flush(bs->file->bs);
        if (ret < 0) {
            return ret;
        }
        c->depends_on_flush = false;
    }
    return 0;
}

static int coroutine_fn cache_write_entry(BlockDriverState *bs, Qcow2Cache *c, int i)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CacheEntry *e = &c->entries[i];
    int ret;

    if (!e->dirty || !e->offset) {
        return 0;
    }
    if (s->broken) {
        return -EIO;
    }
    ret = cache_flush_dependency(bs, c);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_pre_write_overlap_check(bs, c->overlap_ign, e->offset, c->table_size);
    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, c->overlap_ign == QCOW2_OL_ACTIVE_L2 ? BLKDBG_L2_UPDATE
                                                                : BLKDBG_REFBLOCK_UPDATE_PART);
    ret = bdrv_co_pwrite(bs->file, e->offset, c->table_size, cache_table(c, i), 0);
    if (ret < 0) {
        return ret;
    }
    e->dirty = false;
    return 0;
}

/* Picks a slot for a new table: a free one, else the least recently used unpinned one. */
static int coroutine_fn cache_pick_victim(BlockDriverState *bs, Qcow2Cache *c)
{
    int victim = -1;
    int ret;

    for (int i = 0; i < c->size; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (!e->offset) {
            if (e->ref == 0) {
                return i;
            }
            continue; /* discarded while pinned: free once put */
        }
        if (e->ref == 0 && (victim < 0 || e->last_use < c->entries[victim].last_use)) {
            victim = i;
        }
    }
    if (victim < 0) {
        return -ENOSPC; /* every table pinned: a caller leaked a reference */
    }
    ret = cache_write_entry(bs, c, victim);
    if (ret < 0) {
        return ret;
    }
    cache_unuse(c, victim);
    return victim;
}

static int coroutine_fn cache_do_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                                     void **table, bool read)
{
    int i;
    int ret;

    if (offset == 0 || offset % c->table_size) {
        return -EIO; /* callers validate; never trust an offset blindly */
    }
    i = cache_lookup(c, offset);
    if (i < 0) {
        i = cache_pick_victim(bs, c);
        if (i < 0) {
            return i;
        }
        /* Writing the victim may have yielded; someone could have loaded it. */
        int again = cache_lookup(c, offset);
        if (again >= 0) {
            i = again;
        } else {
            if (read) {
                BLKDBG_EVENT(bs->file, c->overlap_ign == QCOW2_OL_ACTIVE_L2 ? BLKDBG_L2_LOAD
                                                                            : BLKDBG_REFBLOCK_LOAD);
                ret = bdrv_co_pread(bs->file, offset, c->table_size, cache_table(c, i), 0);
                if (ret < 0) {
                    return ret;
                }
            } else {
                memset(cache_table(c, i), 0, c->table_size);
            }
            c->entries[i].offset = offset;
            c->entries[i].dirty = false;
            c->entries[i].ref = 0;
            g_hash_table_insert(c->index, &c->entries[i].offset, GINT_TO_POINTER(i + 1));
        }
    }
    c->entries[i].ref++;
    c->entries[i].last_use = ++c->use_counter;
    *table = cache_table(c, i);
    return 0;
}

int coroutine_fn qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset, void **table)
{
    return cache_do_get(bs, c, offset, table, true);
}

int coroutine_fn qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                                       void **table)
{
    return cache_do_get(bs, c, offset, table, false);
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    int i = cache_slot_of(c, *table);

    assert(c->entries[i].ref > 0);
    c->entries[i].ref--;
    *table = NULL;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table)
{
    Qcow2CacheEntry *e = &c->entries[cache_slot_of(c, table)];

    e->dirty = e->offset != 0;
}

bool qcow2_cache_is_dirty(Qcow2Cache *c)
{
    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].dirty) {
            return true;
        }
    }
    return false;
}

static int cache_cmp_offset(gconstpointer a, gconstpointer b, gpointer opaque)
{
    Qcow2Cache *c = opaque;
    uint64_t oa = c->entries[*(const int *)a].offset;
    uint64_t ob = c->entries[*(const int *)b].offset;

    return oa < ob ? -1 : oa > ob;
}

int coroutine_fn qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c)
{
    g_autofree int *order = NULL;
    int n = 0;
    int result = 0;

    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].dirty) {
            n++;
        }
    }
    if (!n) {
        return 0;
    }
    /* In offset order: sequential writes for the file below. */
    order = g_new(int, n);
    n = 0;
    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].dirty) {
            order[n++] = i;
        }
    }
    g_qsort_with_data(order, n, sizeof(int), cache_cmp_offset, c);
    for (int k = 0; k < n; k++) {
        int ret = cache_write_entry(bs, c, order[k]);
        if (ret < 0 && result == 0) {
            result = ret;
        }
    }
    return result;
}

int coroutine_fn qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_write(bs, c);

    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    return ret;
}

int coroutine_fn qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c, Qcow2Cache *dep)
{
    int ret;

    if (c->depends == dep) {
        return 0;
    }
    /* Only one level of dependency is tracked: settle older ones first. */
    if (dep->depends) {
        ret = cache_flush_dependency(bs, dep);
        if (ret < 0) {
            return ret;
        }
    }
    if (c->depends) {
        ret = cache_flush_dependency(bs, c);
        if (ret < 0) {
            return ret;
        }
    }
    c->depends = dep;
    return 0;
}

void qcow2_cache_depends_on_flush(Qcow2Cache *c)
{
    c->depends_on_flush = true;
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    int i = cache_lookup(c, offset);

    /* A pinned table stays readable for its holder but is never written again. */
    if (i >= 0) {
        cache_unuse(c, i);
    }
}

void qcow2_cache_drop_clean(Qcow2Cache *c)
{
    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].ref == 0 && !c->entries[i].dirty) {
            cache_unuse(c, i);
        }
    }
}
