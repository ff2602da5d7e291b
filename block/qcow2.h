/*
 * qcow2: on-disk layout constants and the per-node driver state shared by the
 * qcow2*.c files.
 *
 * Locking: every function here that touches metadata (L1/L2 tables, refcounts,
 * caches, the in-flight allocation list) runs in a coroutine with s->lock held,
 * unless its comment says otherwise.  The lock is dropped only around guest
 * data I/O, so metadata updates are atomic with respect to each other even
 * though they yield for I/O.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <assert.h>

#include "block/block_int.h"

/* ---- On-disk format (docs/interop/qcow2.txt) ---- */

#define QCOW2_MAGIC 0x514649fbU /* "QFI\xfb" */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_DEFAULT_CLUSTER_BITS 16
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_MIN_HEADER_LEN 104
#define QCOW2_V3_HEADER_LEN 112 /* what we write: through compression_type, padded */
#define QCOW2_MAX_L1_BYTES (32 * 1024 * 1024)
#define QCOW2_MAX_REFTABLE_BYTES (8 * 1024 * 1024)
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_SNAPSHOT_TABLE_BYTES (64 * 1024 * 1024)
/* L1/L2 entries can only hold host offsets below 2^56. */
#define QCOW2_MAX_HOST_OFFSET ((1ULL << 56) - 1)

/* Byte offsets of header fields. */
enum {
    QCOW2_HDR_MAGIC = 0,
    QCOW2_HDR_VERSION = 4,
    QCOW2_HDR_BACKING_OFFSET = 8,
    QCOW2_HDR_BACKING_SIZE = 16,
    QCOW2_HDR_CLUSTER_BITS = 20,
    QCOW2_HDR_SIZE = 24,
    QCOW2_HDR_CRYPT = 32,
    QCOW2_HDR_L1_SIZE = 36,
    QCOW2_HDR_L1_OFFSET = 40,
    QCOW2_HDR_REFT_OFFSET = 48,
    QCOW2_HDR_REFT_CLUSTERS = 56,
    QCOW2_HDR_NB_SNAPSHOTS = 60,
    QCOW2_HDR_SNAPSHOTS_OFFSET = 64,
    QCOW2_HDR_INCOMPAT = 72,
    QCOW2_HDR_COMPAT = 80,
    QCOW2_HDR_AUTOCLEAR = 88,
    QCOW2_HDR_REFCOUNT_ORDER = 96,
    QCOW2_HDR_HEADER_LENGTH = 100,
    QCOW2_HDR_COMPRESSION_TYPE = 104,
};

/* Feature bits. */
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
/* Incompatible bits this driver implements. */
#define QCOW2_INCOMPAT_SUPPORTED (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_AUTOCLEAR_BITMAPS (1ULL << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)
/* Autoclear bits we keep consistent (none yet: bitmaps are only preserved). */
#define QCOW2_AUTOCLEAR_SUPPORTED 0ULL

/* Header extension magics. */
#define QCOW2_EXT_END 0x00000000U
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857U
#define QCOW2_EXT_BITMAPS 0x23852875U
#define QCOW2_EXT_CRYPTO 0x0537be77U
#define QCOW2_EXT_DATA_FILE 0x44415441U

/* L1, L2 and refcount table entries. */
#define QCOW_OFLAG_COPIED (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO (1ULL << 0)
#define L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define REFT_OFFSET_MASK 0xfffffffffffffe00ULL

/* ---- Big-endian helpers ---- */

static inline uint64_t qcow2_be64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT64_FROM_BE(v);
}

static inline uint32_t qcow2_be32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_BE(v);
}

static inline uint16_t qcow2_be16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT16_FROM_BE(v);
}

static inline void qcow2_put_be64(void *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

static inline void qcow2_put_be32(void *p, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

/* ---- Driver state ---- */

typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED, /* backing file or zeroes */
    QCOW2_CLUSTER_ZERO_PLAIN,  /* reads as zeroes, no host cluster */
    QCOW2_CLUSTER_ZERO_ALLOC,  /* reads as zeroes, host cluster preallocated */
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

/* Why a cluster is freed: decides whether the discard reaches the file. */
typedef enum Qcow2DiscardType {
    QCOW2_DISCARD_NEVER,
    QCOW2_DISCARD_ALWAYS,
    QCOW2_DISCARD_REQUEST,  /* guest discard (pass-discard-request) */
    QCOW2_DISCARD_SNAPSHOT, /* pass-discard-snapshot */
    QCOW2_DISCARD_OTHER,    /* pass-discard-other */
    QCOW2_DISCARD_MAX,
} Qcow2DiscardType;

/* Metadata kinds for the pre-write overlap check (overlap-check option). */
enum {
    QCOW2_OL_MAIN_HEADER = 1 << 0,
    QCOW2_OL_ACTIVE_L1 = 1 << 1,
    QCOW2_OL_ACTIVE_L2 = 1 << 2,
    QCOW2_OL_REFCOUNT_TABLE = 1 << 3,
    QCOW2_OL_REFCOUNT_BLOCK = 1 << 4,
    QCOW2_OL_SNAPSHOT_TABLE = 1 << 5,
    QCOW2_OL_INACTIVE_L1 = 1 << 6,
    QCOW2_OL_INACTIVE_L2 = 1 << 7,
    QCOW2_OL_BITMAP_DIRECTORY = 1 << 8,
    QCOW2_OL_KINDS = 9,
};
#define QCOW2_OL_CONSTANT                                                                          \
    (QCOW2_OL_MAIN_HEADER | QCOW2_OL_ACTIVE_L1 | QCOW2_OL_REFCOUNT_TABLE |                         \
     QCOW2_OL_SNAPSHOT_TABLE | QCOW2_OL_BITMAP_DIRECTORY)
#define QCOW2_OL_CACHED                                                                            \
    (QCOW2_OL_CONSTANT | QCOW2_OL_ACTIVE_L2 | QCOW2_OL_REFCOUNT_BLOCK | QCOW2_OL_INACTIVE_L1)
#define QCOW2_OL_ALL (QCOW2_OL_CACHED | QCOW2_OL_INACTIVE_L2)

typedef struct Qcow2Cache Qcow2Cache;

/* A header extension we do not interpret, kept for header rewrites. */
typedef struct Qcow2Extension {
    uint32_t magic;
    uint32_t len;
    uint8_t data[];
} Qcow2Extension;

/* What we need of an internal snapshot: its L1 table (refcounts, overlaps). */
typedef struct Qcow2Snapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
} Qcow2Snapshot;

/*
 * A write that is allocating host clusters for guest clusters
 * [guest_offset, guest_offset + nb_clusters * cluster_size).  It lives on the
 * writer's stack from allocation until its L2 entries are linked; a second
 * request touching one of its clusters waits on 'waiters' and then looks the
 * cluster up again.
 */
typedef struct Qcow2Alloc {
    uint64_t guest_offset;
    uint64_t host_offset;
    uint64_t nb_clusters;
    /* The request's data covers [data_start, data_end) relative to guest_offset;
     * the rest is copied from the clusters' previous content. */
    uint64_t data_start, data_end;
    bool keep_old; /* host clusters were ours already (preallocated zero clusters) */
    CoQueue waiters;
    struct Qcow2Alloc *prev, *next;
} Qcow2Alloc;

typedef uint64_t Qcow2RefcountGet(const void *block, uint64_t index);
typedef void Qcow2RefcountSet(void *block, uint64_t index, uint64_t value);

typedef struct BDRVQcow2State {
    /* Geometry */
    int cluster_bits;
    uint32_t cluster_size;
    int l2_bits;      /* log2 of entries per L2 table */
    uint32_t l2_size; /* entries per L2 table */
    int refcount_order;
    uint64_t refcount_max;
    int refcount_block_bits; /* log2 of entries per refcount block */
    Qcow2RefcountGet *get_refcount;
    Qcow2RefcountSet *set_refcount;
    int csize_shift;              /* compressed descriptor: sector count position */
    uint64_t csize_mask;          /* ... and width mask */
    uint64_t cluster_offset_mask; /* ... host offset part */

    /* Header */
    int version;
    uint64_t size; /* virtual disk size */
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t header_length;
    uint8_t *unknown_header_fields; /* header bytes beyond what we know, preserved */
    uint32_t unknown_header_fields_size;
    char *image_backing_file;   /* NULL if none */
    char *image_backing_format; /* NULL if none */
    GList *unknown_exts;        /* Qcow2Extension *, in image order */
    bool has_bitmaps_ext;
    uint8_t bitmaps_ext[24];                                 /* preserved as read */
    uint64_t bitmap_directory_offset, bitmap_directory_size; /* 0 unless consistent */

    /* Active L1 table (host byte order) */
    uint64_t *l1_table;
    uint32_t l1_size;
    uint64_t l1_table_offset;

    /* Refcounts */
    uint64_t *refcount_table;     /* host byte order */
    uint64_t refcount_table_size; /* entries */
    uint64_t refcount_table_offset;
    uint64_t max_refcount_table_index; /* highest used entry, bounds overlap scans */
    uint64_t free_cluster_index;       /* no free cluster below this */
    uint64_t free_byte_offset;         /* compressed data: next free byte, 0 = none */
    GArray *discards;                  /* pending (offset, bytes) pairs, uint64_t */

    /* Internal snapshots (read only) */
    Qcow2Snapshot *snapshots;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset, snapshots_size;

    Qcow2Cache *l2_cache;
    Qcow2Cache *refcount_cache;

    /* Runtime */
    CoMutex lock;
    Qcow2Alloc *inflight; /* list of allocating writes */
    int overlap_check;    /* QCOW2_OL_* checked before metadata/data writes */
    bool discard_passthrough[QCOW2_DISCARD_MAX];
    bool use_lazy_refcounts;
    bool writable;
    bool corruption_signaled;
    bool broken;           /* a fatal corruption was found: no more I/O */
    bool repair_pending;   /* reopened read-write with the dirty bit set */
    bool in_check;         /* repairing: allocations stay above referenced clusters */
    bool reopen_read_only; /* what the pending reopen asks for */
    uint64_t file_size;    /* end of the image file as far as we know */
    bool prealloc_checked, metadata_prealloc;

    /* Last decompressed cluster (compressed reads of one cluster in pieces) */
    uint64_t decomp_entry;
    uint8_t *decomp_buf;
} BDRVQcow2State;

/* ---- Small helpers ---- */

static inline uint64_t qcow2_offset_into_cluster(const BDRVQcow2State *s, uint64_t offset)
{
    return offset & (s->cluster_size - 1);
}

static inline uint64_t qcow2_start_of_cluster(const BDRVQcow2State *s, uint64_t offset)
{
    return offset & ~(uint64_t)(s->cluster_size - 1);
}

static inline uint64_t qcow2_size_to_clusters(const BDRVQcow2State *s, uint64_t size)
{
    return (size + s->cluster_size - 1) >> s->cluster_bits;
}

/* L1 entries needed to map a disk of 'size' bytes. */
static inline uint64_t qcow2_size_to_l1(const BDRVQcow2State *s, uint64_t size)
{
    int shift = s->cluster_bits + s->l2_bits;
    return (size + (1ULL << shift) - 1) >> shift;
}

static inline Qcow2ClusterType qcow2_cluster_type(const BDRVQcow2State *s, uint64_t entry)
{
    if (entry & QCOW_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    if (entry & QCOW_OFLAG_ZERO) {
        return (entry & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    return (entry & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_NORMAL : QCOW2_CLUSTER_UNALLOCATED;
}

/* Host byte range [*start, *start + *len) holding a compressed cluster's data. */
static inline void qcow2_compressed_range(const BDRVQcow2State *s, uint64_t entry, uint64_t *start,
                                          uint64_t *len)
{
    uint64_t sectors = ((entry >> s->csize_shift) & s->csize_mask) + 1;
    *start = entry & s->cluster_offset_mask;
    *len = sectors * 512 - (*start & 511);
}

/* ---- qcow2.c: header, features, corruption ---- */

/*
 * Reports a corruption of bs's image (naming it).  fatal: the image is marked
 * corrupt on disk and the node refuses all further I/O.  Any context.
 */
void qcow2_signal_corruption(BlockDriverState *bs, bool fatal, int64_t offset, int64_t size,
                             const char *fmt, ...) MINIVM_PRINTF(5, 6);
int coroutine_fn qcow2_update_header(BlockDriverState *bs);
int coroutine_fn qcow2_mark_dirty(BlockDriverState *bs);
int coroutine_fn qcow2_mark_clean(BlockDriverState *bs);
int coroutine_fn qcow2_mark_consistent(BlockDriverState *bs);
/*
 * Called (without the lock) at the start of every modifying request: refuses
 * writes to broken or corrupt images and runs a pending dirty-image repair.
 */
int coroutine_fn qcow2_write_allowed(BlockDriverState *bs);
/* Writes both caches (in dependency order); flush_file adds a flush of the file. */
int coroutine_fn qcow2_write_caches(BlockDriverState *bs, bool flush_file);
/* True if [offset, offset + len) lies within the image file as we know it. */
bool qcow2_within_file(BlockDriverState *bs, uint64_t offset, uint64_t len);
/* Records that the file now extends to at least 'end' (we allocated there). */
void qcow2_note_file_end(BlockDriverState *bs, uint64_t end);

/* ---- qcow2-cache.c: L2 table / refcount block cache ---- */

Qcow2Cache *qcow2_cache_create(int entries, uint32_t table_size, int overlap_ign);
void qcow2_cache_destroy(Qcow2Cache *c);
/* Pins the table at offset (reading it if not cached) and returns it. */
int coroutine_fn qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                                 void **table);
/* Like qcow2_cache_get for a table that is about to be overwritten whole. */
int coroutine_fn qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                                       void **table);
void qcow2_cache_put(Qcow2Cache *c, void **table);
void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table);
/* Writes dirty tables (after their dependencies); does not flush the file. */
int coroutine_fn qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c);
/* qcow2_cache_write plus a flush of the file. */
int coroutine_fn qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c);
/* Before any table of c is written, every dirty table of dep must be stable. */
int coroutine_fn qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c, Qcow2Cache *dep);
/* Before any table of c is written, the file must be flushed (data before metadata). */
void qcow2_cache_depends_on_flush(Qcow2Cache *c);
/* Forgets the table at offset (its cluster was freed); drops unwritten changes. */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);
/* Drops every clean, unpinned table (after a failed operation or reopen). */
void qcow2_cache_drop_clean(Qcow2Cache *c);
bool qcow2_cache_is_dirty(Qcow2Cache *c);

/* ---- qcow2-refcount.c: refcounts, allocation, overlap checks ---- */

int coroutine_fn qcow2_refcount_init(BlockDriverState *bs, Error **errp);
void qcow2_refcount_close(BlockDriverState *bs);
bool qcow2_refcount_order_valid(int order);
void qcow2_refcount_set_order(BDRVQcow2State *s, int order);
int coroutine_fn qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                                    uint64_t *refcount);
/* Stored refcounts of clusters [first, first + n) into out (one block read per block). */
int coroutine_fn qcow2_read_refcounts(BlockDriverState *bs, uint64_t first, uint64_t n,
                                      uint64_t *out);
/* Allocates 'size' bytes of contiguous clusters with refcount 1; host offset or -errno. */
int64_t coroutine_fn qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size);
/* Allocates 'size' (< cluster size) bytes for compressed data; host offset or -errno. */
int64_t coroutine_fn qcow2_alloc_bytes(BlockDriverState *bs, uint32_t size);
/* Adds delta (may be negative) to the refcount of every cluster touched by the range. */
int coroutine_fn qcow2_update_refcount(BlockDriverState *bs, uint64_t offset, uint64_t length,
                                       int64_t delta, Qcow2DiscardType type);
/* Decrements; failures are reported, not returned (the cluster leaks). */
void coroutine_fn qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t size,
                                      Qcow2DiscardType type);
/* Frees what an L2 entry references (normal, preallocated zero or compressed). */
void coroutine_fn qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry,
                                         Qcow2DiscardType type);
/* Passes queued discards of freed clusters down to the file. */
void coroutine_fn qcow2_process_discards(BlockDriverState *bs);
/* Sets the refcount of one cluster (check repairs); may allocate refcount blocks. */
int coroutine_fn qcow2_set_cluster_refcount(BlockDriverState *bs, uint64_t cluster_index,
                                            uint64_t refcount);
/*
 * Pre-write overlap check of [offset, offset + size) against the metadata
 * kinds enabled in s->overlap_check minus 'ign'.  On overlap the image is
 * marked corrupt and -EIO returned.
 */
int coroutine_fn qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign, uint64_t offset,
                                               uint64_t size);
/* Returns the QCOW2_OL_* kind overlapping, 0 for none, -errno on I/O error. */
int coroutine_fn qcow2_check_metadata_overlap(BlockDriverState *bs, int ign, uint64_t offset,
                                              uint64_t size);

/* ---- qcow2-cluster.c: L1/L2 mapping and allocation ---- */

/*
 * Maps guest [offset, offset + *bytes): returns in *type and *host the kind of
 * the first cluster and the host offset of 'offset' (normal and preallocated
 * zero clusters; the raw L2 entry for compressed ones) and shortens *bytes to
 * the run of clusters of the same kind (contiguous on the host for normal
 * ones) within one L2 table.
 */
int coroutine_fn qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *bytes,
                                       uint64_t *host, Qcow2ClusterType *type);
/*
 * Finds where to write guest [offset, offset + *bytes): either clusters that
 * can be written in place (returns 0, *host set) or newly allocated clusters
 * (returns 1, *m describes the allocation and is on the in-flight list; the
 * caller writes the data and the copied parts, then calls qcow2_alloc_finish).
 * Shortens *bytes to what one contiguous host range covers.
 */
int coroutine_fn qcow2_alloc_host_range(BlockDriverState *bs, uint64_t offset, uint64_t *bytes,
                                        uint64_t *host, Qcow2Alloc *m);
/* Links (ok) or releases (!ok) an allocation and wakes requests waiting on it. */
int coroutine_fn qcow2_alloc_finish(BlockDriverState *bs, Qcow2Alloc *m, bool ok);
/* Registers m as in flight / takes it off the list and wakes its waiters. */
void qcow2_inflight_add(BDRVQcow2State *s, Qcow2Alloc *m);
void qcow2_inflight_remove(BDRVQcow2State *s, Qcow2Alloc *m);
/* Waits (dropping the lock) until no allocation overlaps [offset, offset + bytes). */
void coroutine_fn qcow2_wait_inflight(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int coroutine_fn qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size);
int coroutine_fn qcow2_write_l1_entry(BlockDriverState *bs, uint64_t l1_index);
/* Makes cluster-aligned [offset, offset + bytes) read as zeroes (v3). */
int coroutine_fn qcow2_zero_clusters(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                     BdrvRequestFlags flags);
/*
 * Deallocates cluster-aligned [offset, offset + bytes).  full: entries become
 * unallocated (shrink); otherwise they read as zeroes where a backing file or
 * an allocation existed (v3), as a guest discard must.
 */
int coroutine_fn qcow2_discard_clusters(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                        Qcow2DiscardType type, bool full);
/* Points the L2 entry of the guest cluster at offset to 'entry', freeing the old one. */
int coroutine_fn qcow2_set_l2_entry(BlockDriverState *bs, uint64_t offset, uint64_t entry);
/* Allocates and links clusters for [offset, offset + bytes) without writing data. */
int coroutine_fn qcow2_preallocate_metadata(BlockDriverState *bs, uint64_t offset, uint64_t bytes);

/* ---- qcow2-rw.c: guest reads and writes ---- */

/* Reads guest data of this layer (backing / zeroes where unallocated); no lock held. */
int coroutine_fn qcow2_read_guest(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                  QEMUIOVector *qiov, size_t qiov_offset);
int coroutine_fn qcow2_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn qcow2_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                  QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                        BdrvRequestFlags flags);
int coroutine_fn qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes);
/* Builds dst as the [offset, offset + bytes) slice of src (allocates). */
void qcow2_qiov_slice(QEMUIOVector *dst, QEMUIOVector *src, size_t offset, size_t bytes);

/* ---- qcow2-status.c: block status, resize, info ---- */

int coroutine_fn qcow2_co_block_status(BlockDriverState *bs, bool want_zero, int64_t offset,
                                       int64_t bytes, int64_t *pnum, int64_t *map,
                                       BlockDriverState **file);
int coroutine_fn qcow2_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                   PreallocMode prealloc, BdrvRequestFlags flags, Error **errp);

/* ---- qcow2-compress.c ---- */

int coroutine_fn qcow2_read_compressed(BlockDriverState *bs, uint64_t l2_entry,
                                       uint64_t offset_in_cluster, uint64_t bytes,
                                       QEMUIOVector *qiov, size_t qiov_offset);
int coroutine_fn qcow2_co_pwritev_compressed(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov);

/* ---- qcow2-snapshot.c ---- */

int coroutine_fn qcow2_read_snapshots(BlockDriverState *bs, uint64_t offset, uint32_t count,
                                      Error **errp);

/* ---- qcow2-check.c ---- */

int coroutine_fn qcow2_co_check(BlockDriverState *bs, BdrvCheckResult *result, int fix);
/* qcow2_co_check with s->lock held; quiet: no per-cluster report on stderr. */
int coroutine_fn qcow2_check_locked(BlockDriverState *bs, BdrvCheckResult *result, int fix,
                                    bool quiet);

/* ---- qcow2-create.c ---- */

int coroutine_fn qcow2_co_create(BlockdevCreateOptions *opts, Error **errp);

#endif
