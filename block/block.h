/*
 * The block layer's public interface for the monitor, jobs, tools and
 * (through block/block-backend.h) devices.
 *
 * Model: a graph of nodes (BlockDriverState), each run by a driver, linked by
 * edges (BdrvChild) with a role ("file", "backing").  Users hold a node through
 * a parent edge that states the permissions it takes and shares; a conflicting
 * user is refused.  Graph changes happen only with the affected nodes drained.
 * Main loop only.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include "qapi/qapi-types.h"
#include "util/coroutine.h"
#include "util/error.h"
#include "util/iov.h"

typedef struct BlockDriverState BlockDriverState;
typedef struct BdrvChild BdrvChild;

#define BDRV_SECTOR_BITS 9
#define BDRV_SECTOR_SIZE (1ULL << BDRV_SECTOR_BITS)
/* Largest request the core hands to a driver in one piece. */
#define BDRV_REQUEST_MAX_BYTES (1LL << 30)
/* Largest image size: keeps offset + bytes from overflowing int64_t. */
#define BDRV_MAX_LENGTH (INT64_MAX / 2)

/* Open flags. */
enum {
    BDRV_O_RDWR = 1 << 1,
    BDRV_O_NOCACHE = 1 << 5,      /* O_DIRECT (cache.direct) */
    BDRV_O_NO_FLUSH = 1 << 9,     /* cache.no-flush (cache=unsafe) */
    BDRV_O_NATIVE_AIO = 1 << 7,   /* aio=native */
    BDRV_O_IO_URING = 1 << 10,    /* aio=io_uring */
    BDRV_O_NO_BACKING = 1 << 8,   /* do not open the backing chain */
    BDRV_O_UNMAP = 1 << 14,       /* discard=unmap: pass discards down */
    BDRV_O_AUTO_RDONLY = 1 << 15, /* auto-read-only */
    BDRV_O_PROTOCOL = 1 << 16,    /* the filename names a protocol node */
};

/* Request flags. */
typedef enum {
    BDRV_REQ_COPY_ON_READ = 1 << 0,
    BDRV_REQ_ZERO_WRITE = 1 << 1,
    BDRV_REQ_MAY_UNMAP = 1 << 2,     /* a zero write may deallocate */
    BDRV_REQ_FUA = 1 << 4,           /* write through to stable storage */
    BDRV_REQ_WRITE_COMPRESSED = 1 << 5,
    BDRV_REQ_WRITE_UNCHANGED = 1 << 6, /* data is what is already there (COR, stream) */
    BDRV_REQ_SERIALISING = 1 << 7,   /* no overlapping request runs concurrently */
    BDRV_REQ_NO_FALLBACK = 1 << 8,   /* fail rather than write zeroes as data */
    BDRV_REQ_PREFETCH = 1 << 9,      /* read into cache only */
    BDRV_REQ_NO_WAIT = 1 << 10,
} BdrvRequestFlags;

/* Permissions a user takes on a node, and shares with others. */
enum {
    BLK_PERM_CONSISTENT_READ = 0x01,
    BLK_PERM_WRITE = 0x02,
    BLK_PERM_WRITE_UNCHANGED = 0x04,
    BLK_PERM_RESIZE = 0x08,
    BLK_PERM_GRAPH_MOD = 0x10,
    BLK_PERM_ALL = 0x1f,
};
/* "consistent read", "write", "write unchanged", "resize", "change children" */
char *bdrv_perm_names(uint64_t perm);

/* Roles of a child edge (combinable). */
enum {
    BDRV_CHILD_DATA = 1 << 0,     /* holds guest data */
    BDRV_CHILD_METADATA = 1 << 1, /* holds format metadata */
    BDRV_CHILD_FILTERED = 1 << 2, /* the child of a filter */
    BDRV_CHILD_COW = 1 << 3,      /* the backing file */
    BDRV_CHILD_PRIMARY = 1 << 4,  /* the main child */
    BDRV_CHILD_IMAGE = BDRV_CHILD_DATA | BDRV_CHILD_METADATA,
};

/* Block status flags. */
#define BDRV_BLOCK_DATA 0x01         /* reads return data from a layer */
#define BDRV_BLOCK_ZERO 0x02         /* reads return zeroes */
#define BDRV_BLOCK_OFFSET_VALID 0x04 /* *map is meaningful */
#define BDRV_BLOCK_RAW 0x08          /* driver: ask *file instead */
#define BDRV_BLOCK_ALLOCATED 0x10    /* this layer defines the content */
#define BDRV_BLOCK_EOF 0x20          /* the range reaches end of file */
#define BDRV_BLOCK_RECURSE 0x40      /* driver: ask *file for zero detection */

/* Operations a job or user can block on a node ("Node 'x' is busy: ..."). */
typedef enum BlockOpType {
    BLOCK_OP_TYPE_BACKUP_SOURCE,
    BLOCK_OP_TYPE_BACKUP_TARGET,
    BLOCK_OP_TYPE_CHANGE,
    BLOCK_OP_TYPE_COMMIT_SOURCE,
    BLOCK_OP_TYPE_COMMIT_TARGET,
    BLOCK_OP_TYPE_DATAPLANE,
    BLOCK_OP_TYPE_DRIVE_DEL,
    BLOCK_OP_TYPE_EJECT,
    BLOCK_OP_TYPE_EXTERNAL_SNAPSHOT,
    BLOCK_OP_TYPE_INTERNAL_SNAPSHOT,
    BLOCK_OP_TYPE_INTERNAL_SNAPSHOT_DELETE,
    BLOCK_OP_TYPE_MIRROR_SOURCE,
    BLOCK_OP_TYPE_MIRROR_TARGET,
    BLOCK_OP_TYPE_RESIZE,
    BLOCK_OP_TYPE_STREAM,
    BLOCK_OP_TYPE_REPLACE,
    BLOCK_OP_TYPE_MAX,
} BlockOpType;

typedef struct BlockDriverInfo {
    int cluster_size;             /* 0 if the format has no clusters */
    int64_t vm_state_offset;
    bool is_dirty;
    bool unallocated_blocks_are_zero;
} BlockDriverInfo;

typedef struct BdrvCheckResult {
    int corruptions;
    int leaks;
    int check_errors;
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;
    uint64_t allocated_clusters, total_clusters, fragmented_clusters, compressed_clusters;
} BdrvCheckResult;
enum { BDRV_FIX_LEAKS = 1, BDRV_FIX_ERRORS = 2 };

/* Opening and closing. */
void bdrv_init(void);
/*
 * Opens a node (and, unless options say otherwise, its children and backing
 * chain) from typed options: blockdev-add, -blockdev, and everything else.
 * The node gets opts->node_name or a generated "#blockNNN".  Returns a new
 * reference.  'flags' are the defaults the options override (blockdev-add
 * passes BDRV_O_RDWR: read-write unless "read-only": true).
 */
BlockDriverState *bdrv_open_blockdev(BlockdevOptions *opts, int flags, Error **errp);
/*
 * Opens an image by file name: format NULL probes it (a warning-free probe
 * only for 'raw' is refused for writable images, as QEMU).  'extra' may hold
 * further options as JSON (keyval-style strings allowed).  Tools, -drive and
 * backing files use this.
 */
BlockDriverState *bdrv_open_image(const char *filename, const char *format, json_t *extra,
                                  int flags, Error **errp);
void bdrv_ref(BlockDriverState *bs);
void bdrv_unref(BlockDriverState *bs);

BlockDriverState *bdrv_find_node(const char *node_name);
/* By device (BlockBackend) name or node name; QEMU's DeviceNotFound-style errors. */
BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name, Error **errp);
/* Iterates named nodes (monitor-owned or named); start with NULL. */
BlockDriverState *bdrv_next_node(BlockDriverState *bs);
/* Iterates every node in the graph; start with NULL. */
BlockDriverState *bdrv_next_all(BlockDriverState *bs);
const char *bdrv_get_node_name(const BlockDriverState *bs);
const char *bdrv_get_format_name(const BlockDriverState *bs);
bool bdrv_is_read_only(BlockDriverState *bs);
BlockDriverState *bdrv_backing_bs(BlockDriverState *bs); /* NULL if none */
/* Skips implicit filter nodes upward (for naming what a user sees). */
BlockDriverState *bdrv_skip_filters(BlockDriverState *bs);
/* The node of the chain below 'active' whose backing is 'bs'. */
BlockDriverState *bdrv_find_overlay(BlockDriverState *active, BlockDriverState *bs);
/* The base of the chain (the last node with no backing). */
BlockDriverState *bdrv_find_base(BlockDriverState *bs);
/* True if 'base' is in bs's backing chain (bs itself included). */
bool bdrv_chain_contains(BlockDriverState *bs, BlockDriverState *base);
BlockDriverState *bdrv_find_backing_image(BlockDriverState *bs, const char *filename);

int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);

/* I/O on a child edge, in coroutines.  Return 0 or -errno. */
int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                                       BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes);
int coroutine_fn bdrv_co_flush(BlockDriverState *bs);
int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset, bool exact,
                                  PreallocMode prealloc, BdrvRequestFlags flags, Error **errp);
int coroutine_fn bdrv_co_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
                               BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                                const void *buf, BdrvRequestFlags flags);
/* Synchronous wrappers (outside coroutines: run the main loop until done). */
int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags);
int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes, const void *buf,
                BdrvRequestFlags flags);
int bdrv_flush(BlockDriverState *bs);

/*
 * Block status of one node: BDRV_BLOCK_* for [offset, offset + *pnum).
 * _above: through the backing chain down to (not including) base; *file is
 * the node that holds the data, *depth its distance from bs.
 */
int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      int64_t *pnum, int64_t *map, BlockDriverState **file);
int coroutine_fn bdrv_co_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                                            int64_t offset, int64_t bytes, int64_t *pnum,
                                            int64_t *map, BlockDriverState **file,
                                            int *depth);
/* 1 if [offset, offset+*pnum) is allocated in bs itself, 0 if not, -errno. */
int coroutine_fn bdrv_co_is_allocated(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      int64_t *pnum);
/* Allocated anywhere in top..base (base excluded unless include_base). */
int coroutine_fn bdrv_co_is_allocated_above(BlockDriverState *top, BlockDriverState *base,
                                            bool include_base, int64_t offset, int64_t bytes,
                                            int64_t *pnum);

/* Drain: no request in flight and none started until _end. Main loop only. */
void bdrv_drained_begin(BlockDriverState *bs);
void bdrv_drained_end(BlockDriverState *bs);
void bdrv_drain_all_begin(void);
void bdrv_drain_all_end(void);
bool bdrv_is_drained(BlockDriverState *bs);

/* Graph changes (callers drain first). */
int bdrv_set_backing_hd(BlockDriverState *bs, BlockDriverState *backing_hd, Error **errp);
/* Makes every parent of 'from' point to 'to' instead (permissions checked). */
int bdrv_replace_node(BlockDriverState *from, BlockDriverState *to, Error **errp);
/* Inserts overlay above bs for all of bs's parents (snapshots). */
int bdrv_append(BlockDriverState *overlay, BlockDriverState *bs, Error **errp);
/* Rewrites the backing file name recorded in bs's image header. */
int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, Error **errp);
/* Removes top..base's overlay-of-base from the chain: top's overlay now backs on base. */
int bdrv_drop_intermediate(BlockDriverState *top, BlockDriverState *base,
                           const char *backing_file_str, Error **errp);
/* Forbids (a job) / allows changing the backing edges from bs down to base. */
int bdrv_freeze_backing_chain(BlockDriverState *bs, BlockDriverState *base, Error **errp);
void bdrv_unfreeze_backing_chain(BlockDriverState *bs, BlockDriverState *base);
/* Switches bs read-only <-> read-write (e.g. commit's base). */
int bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only, Error **errp);

/* Operation blockers: "Node 'x' is busy: <reason>". */
void bdrv_op_block(BlockDriverState *bs, BlockOpType op, Error *reason);
void bdrv_op_unblock(BlockDriverState *bs, BlockOpType op, Error *reason);
void bdrv_op_block_all(BlockDriverState *bs, Error *reason);
void bdrv_op_unblock_all(BlockDriverState *bs, Error *reason);
bool bdrv_op_is_blocked(BlockDriverState *bs, BlockOpType op, Error **errp);

/*
 * blkdebug test hooks (qemu-io's break, remove_break, resume, wait_break).
 * Each looks for the first node from bs down its primary children whose
 * driver handles it; with none they return -ENOTSUP / false.  'event' is a
 * BlkdebugEvent name ("read_aio"); unknown names give -ENOENT, as do unknown
 * tags.  Implemented in block/blkdebug.c.
 */
void bdrv_debug_event(BlockDriverState *bs, BlkdebugEvent event);
int bdrv_debug_breakpoint(BlockDriverState *bs, const char *event, const char *tag);
int bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag);
int bdrv_debug_resume(BlockDriverState *bs, const char *tag);
bool bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag);

/* Image creation (blockdev-create, minivm-img create). */
int bdrv_create(BlockdevCreateOptions *opts, Error **errp);

/* Monitor support: the QAPI views of a node (query-block / query-named-block-nodes). */
BlockDeviceInfo *bdrv_block_device_info(BlockDriverState *bs, bool flat, Error **errp);
ImageInfo *bdrv_query_image_info(BlockDriverState *bs, bool with_backing, Error **errp);

#endif
