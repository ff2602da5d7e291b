/*
 * Block layer internals: the node (BlockDriverState), the edge (BdrvChild)
 * and the driver interface (BlockDriver).  Drivers and the graph core include
 * this; devices, tools and the monitor use block/block.h and
 * block/block-backend.h only.
 *
 * All of it runs on the main loop.  I/O entry points marked coroutine_fn run
 * in coroutines; everything else is called outside them (or from a coroutine
 * only where said).
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "block/block.h"
#include "util/coroutine.h"
#include "util/iov.h"

typedef struct BdrvChildClass BdrvChildClass;

/* Alignment and size limits of a node; 0 means "no limit / default". */
typedef struct BlockLimits {
    uint32_t request_alignment;   /* bytes; power of two; 1 if byte-granular */
    uint64_t max_transfer;        /* largest single request the driver takes */
    uint32_t opt_transfer;
    uint32_t pwrite_zeroes_alignment;
    uint64_t max_pwrite_zeroes;
    uint32_t pdiscard_alignment;
    uint64_t max_pdiscard;
    size_t min_mem_alignment;     /* buffer alignment required (O_DIRECT) */
    size_t opt_mem_alignment;
} BlockLimits;

/* An in-flight request, tracked for overlap serialisation and drain. */
typedef struct BdrvTrackedRequest {
    BlockDriverState *bs;
    int64_t offset, bytes;
    int type;                     /* BdrvTrackedRequestType */
    bool serialising;             /* waits for and blocks overlapping requests */
    int64_t overlap_offset, overlap_bytes; /* range rounded to the serialising alignment */
    Coroutine *co;
    CoQueue wait_queue;           /* requests waiting for this one */
    struct BdrvTrackedRequest *waiting_for;
} BdrvTrackedRequest;

typedef enum {
    BDRV_TRACKED_READ,
    BDRV_TRACKED_WRITE,
    BDRV_TRACKED_DISCARD,
    BDRV_TRACKED_TRUNCATE,
} BdrvTrackedRequestType;

/*
 * How a parent relates to a child: which parent kind it is (node, backend,
 * job) and what it wants to hear about.  Every callback may be NULL.
 */
struct BdrvChildClass {
    bool parent_is_bds;
    /* "node 'x'", "block device 'virtio0'", "block job 'job0'" for errors */
    char *(*get_parent_desc)(BdrvChild *c);
    /* The child is being drained: stop submitting new requests. */
    void (*drained_begin)(BdrvChild *c);
    void (*drained_end)(BdrvChild *c);
    /* True while the parent still has requests of its own in flight. */
    bool (*drained_poll)(BdrvChild *c);
    void (*attach)(BdrvChild *c);
    void (*detach)(BdrvChild *c);
    /* The child node's size changed. */
    void (*resize)(BdrvChild *c);
    /* The backing file name of bs (a parent node) must be rewritten. */
    int (*update_filename)(BdrvChild *c, BlockDriverState *base, const char *filename,
                           Error **errp);
};

extern const BdrvChildClass child_of_bds;

struct BdrvChild {
    BlockDriverState *bs;         /* the child node */
    char *name;                   /* "file", "backing", "root", "target", ... */
    const BdrvChildClass *klass;
    unsigned role;                /* BdrvChildRole flags */
    void *opaque;                 /* the parent: BlockDriverState *, BlockBackend *, Job * */
    uint64_t perm;                /* BLK_PERM_* the parent takes */
    uint64_t shared_perm;         /* BLK_PERM_* the parent lets others take */
    bool frozen;                  /* a job forbids changing this edge */
    int parent_quiesce_counter;
};

/*
 * A driver: a table of operations plus the size of its per-node state
 * (bs->opaque).  Formats (qcow2, raw) sit on a "file" child; protocols
 * (file, null-co) touch the outside world; filters (blkdebug, and jobs'
 * filter nodes) pass requests through to one child.
 */
typedef struct BlockDriver {
    const char *format_name;      /* the "driver" value of -blockdev */
    size_t instance_size;
    bool is_format;               /* needs a 'file' child */
    bool is_filter;               /* data is that of its only child */
    bool supports_backing;        /* has a 'backing' child (qcow2) */
    /* Flags of BDRV_REQ_* the driver handles natively on writes / zeroes. */
    unsigned supported_write_flags;
    unsigned supported_zero_flags;

    /* Scores a format from the first bytes of an image (0 = not mine, 100 = sure). */
    int (*bdrv_probe)(const uint8_t *buf, int buf_size, const char *filename);
    /*
     * Opens bs from its typed options (opts->driver == this driver).  A format
     * attaches its 'file' child with bdrv_open_child(); the backing chain is
     * opened afterwards by the core (bdrv_open_backing) unless the options say
     * "backing": null.  flags: BDRV_O_*.
     */
    int (*bdrv_open)(BlockDriverState *bs, BlockdevOptions *opts, int flags, Error **errp);
    void (*bdrv_close)(BlockDriverState *bs);
    /* Prepare/commit/abort of a read-only <-> read-write switch (reopen). */
    int (*bdrv_reopen_prepare)(BlockDriverState *bs, bool read_only, Error **errp);
    void (*bdrv_reopen_commit)(BlockDriverState *bs);
    void (*bdrv_reopen_abort)(BlockDriverState *bs);

    /* Creates an image (blockdev-create's job body; minivm-img create). */
    int coroutine_fn (*bdrv_co_create)(BlockdevCreateOptions *opts, Error **errp);

    int coroutine_fn (*bdrv_co_preadv)(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                       QEMUIOVector *qiov, BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pwritev)(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                        QEMUIOVector *qiov, BdrvRequestFlags flags);
    /* Compressed cluster write (qcow2 'compress'); offset/bytes are cluster-aligned. */
    int coroutine_fn (*bdrv_co_pwritev_compressed)(BlockDriverState *bs, int64_t offset,
                                                   int64_t bytes, QEMUIOVector *qiov);
    int coroutine_fn (*bdrv_co_pwrite_zeroes)(BlockDriverState *bs, int64_t offset,
                                              int64_t bytes, BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pdiscard)(BlockDriverState *bs, int64_t offset, int64_t bytes);
    /* Flush the driver's own caches to the child (qcow2 metadata). */
    int coroutine_fn (*bdrv_co_flush_to_os)(BlockDriverState *bs);
    /* Make data stable on storage (file: fdatasync). */
    int coroutine_fn (*bdrv_co_flush_to_disk)(BlockDriverState *bs);
    /*
     * What [offset, offset+bytes) holds: returns BDRV_BLOCK_* flags for the
     * first *pnum bytes (*pnum > 0 unless at EOF); with BDRV_BLOCK_OFFSET_VALID
     * *map is the offset in *file.  want_zero: the caller cares about zero
     * detection, not only allocation.
     */
    int coroutine_fn (*bdrv_co_block_status)(BlockDriverState *bs, bool want_zero,
                                             int64_t offset, int64_t bytes, int64_t *pnum,
                                             int64_t *map, BlockDriverState **file);
    int coroutine_fn (*bdrv_co_truncate)(BlockDriverState *bs, int64_t offset, bool exact,
                                         PreallocMode prealloc, BdrvRequestFlags flags,
                                         Error **errp);

    int64_t (*bdrv_getlength)(BlockDriverState *bs);
    /* Bytes the image takes on the host (query-block 'actual-size'). */
    int64_t (*bdrv_get_allocated_file_size)(BlockDriverState *bs);
    int (*bdrv_get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    /*
     * Names a node whose name the generic rule (its storage's name, or
     * "json:{...}") would get wrong, e.g. "blkdebug::IMAGE".  Returns false
     * to leave it to the generic rule.
     */
    bool (*bdrv_refresh_filename)(BlockDriverState *bs);
    /* query-block / qemu-img info 'format-specific'. */
    ImageInfoSpecific *(*bdrv_get_specific_info)(BlockDriverState *bs, Error **errp);
    /* minivm-img check; fix is BDRV_FIX_LEAKS | BDRV_FIX_ERRORS. */
    int coroutine_fn (*bdrv_co_check)(BlockDriverState *bs, BdrvCheckResult *result, int fix);
    /* Rewrites the backing file name/format recorded in the image. */
    int (*bdrv_change_backing_file)(BlockDriverState *bs, const char *backing_file,
                                    const char *backing_fmt);
    void (*bdrv_refresh_limits)(BlockDriverState *bs, Error **errp);
    /*
     * The permissions bs needs on child c given what its own parents need
     * (perm/shared are the cumulative parent permissions of bs).  NULL means
     * the core's default for the child's role.
     */
    void (*bdrv_child_perm)(BlockDriverState *bs, BdrvChild *c, unsigned role, uint64_t perm,
                            uint64_t shared, uint64_t *nperm, uint64_t *nshared);
    /* The node becomes (in)active for writes: qcow2 dirty bit, bitmaps. */
    int (*bdrv_inactivate)(BlockDriverState *bs);

    /* Persistent dirty bitmaps (qcow2), issue "Block jobs II". */
    int (*bdrv_store_persistent_bitmaps)(BlockDriverState *bs, Error **errp);
    bool (*bdrv_can_store_new_bitmap)(BlockDriverState *bs, const char *name,
                                      uint32_t granularity, Error **errp);
    int coroutine_fn (*bdrv_co_remove_persistent_bitmap)(BlockDriverState *bs,
                                                         const char *name, Error **errp);

    /* Test hooks (blkdebug): a named point in a request was reached. */
    void (*bdrv_debug_event)(BlockDriverState *bs, BlkdebugEvent event);
    int (*bdrv_debug_breakpoint)(BlockDriverState *bs, const char *event, const char *tag);
    int (*bdrv_debug_remove_breakpoint)(BlockDriverState *bs, const char *tag);
    int (*bdrv_debug_resume)(BlockDriverState *bs, const char *tag);
    bool (*bdrv_debug_is_suspended)(BlockDriverState *bs, const char *tag);

    /*
     * Permission updates (file: image locking against other processes).
     * perm/shared are the cumulative permissions all parents of bs take and
     * share.  The core calls check on every node whose permissions change,
     * then set on all of them if every check passed, or abort on each node
     * already checked if one failed.  A successful check may already hold
     * resources (locks) that set keeps and abort releases.
     */
    int (*bdrv_check_perm)(BlockDriverState *bs, uint64_t perm, uint64_t shared, Error **errp);
    void (*bdrv_set_perm)(BlockDriverState *bs, uint64_t perm, uint64_t shared);
    void (*bdrv_abort_perm_update)(BlockDriverState *bs);

    /*
     * "prefix:rest" filenames (bdrv_open_image): the driver whose
     * protocol_name is the prefix turns the whole filename into its options,
     * adding members to the JSON object 'options' ("blkdebug:conf:img.raw"
     * gives {"config": "conf", "image": {...}}).
     */
    const char *protocol_name;
    void (*bdrv_parse_filename)(const char *filename, json_t *options, Error **errp);

    /* query-blockstats 'driver-specific' (file: discard counters); NULL: none. */
    BlockStatsSpecific *(*bdrv_get_specific_stats)(BlockDriverState *bs);
} BlockDriver;

/* Drivers register themselves from a constructor: block_init(my_driver). */
void bdrv_register(const BlockDriver *drv);
#define block_init(drv)                                                                            \
    static void __attribute__((constructor)) drv##_register(void)                               \
    {                                                                                              \
        bdrv_register(&(drv));                                                                     \
    }
const BlockDriver *bdrv_find_format(const char *format_name);

#define BLOCK_NODE_NAME_MAX 32

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;                 /* drv->instance_size bytes */
    char node_name[BLOCK_NODE_NAME_MAX];
    bool implicit;                /* created by the core (e.g. -drive's protocol node) */
    char filename[PATH_MAX];      /* what query-block shows as 'file' */
    char backing_file[PATH_MAX];  /* as recorded in the image header ("" if none) */
    /*
     * What opening the header's backing file by itself gives: the name of
     * the node so opened, else the header's text.  A backing link that
     * differs was chosen by the user (json:{...} names then say so).
     */
    char auto_backing_file[PATH_MAX];
    char backing_format[16];
    int open_flags;               /* BDRV_O_* */
    bool read_only;
    bool auto_read_only;
    bool probed;                  /* format guessed by probing (raw guards block 0) */
    BlockdevDetectZeroesOptions detect_zeroes;
    BlockdevOptions *options;     /* what it was opened with (query, reopen) */

    BdrvChild *file;              /* the 'file' child of a format, or NULL */
    BdrvChild *backing;           /* the 'backing' child, or NULL */
    GList *children;              /* BdrvChild * where this node is the parent */
    GList *parents;               /* BdrvChild * where this node is the child */
    int refcnt;

    BlockLimits bl;
    int64_t total_bytes;          /* cached length; -1 when unknown */

    /* Requests */
    GList *tracked_requests;      /* BdrvTrackedRequest * */
    unsigned serialising_in_flight;
    unsigned in_flight;           /* requests in flight, for drain */
    int quiesce_counter;          /* > 0 while drained */
    uint64_t write_gen;
    uint64_t flushed_gen;
    CoMutex flush_lock;

    GList *dirty_bitmaps;         /* BdrvDirtyBitmap * (block/dirty-bitmap.h) */
    bool force_share;             /* force-share=on: every user shares everything */
    uint64_t committed_perm;      /* cumulative parent permissions last committed */
    uint64_t committed_shared;
    uint64_t wr_highest_offset;   /* end of the highest write (query-blockstats) */
    GSList *op_blockers[BLOCK_OP_TYPE_MAX]; /* Error * per blocked operation */
};

/* Opens a child of parent from options (a reference or inline options). */
BdrvChild *bdrv_open_child(BlockdevRef *ref, BlockDriverState *parent, const char *name,
                           unsigned role, bool allow_none, int flags, Error **errp);
/*
 * Opens bs's backing chain from its header's backing_file/backing_format
 * (a relative name is relative to bs's own file); does nothing without one.
 */
int bdrv_open_backing(BlockDriverState *bs, int flags, Error **errp);

/* Makes child a child of parent (permissions checked); takes a reference on child. */
BdrvChild *bdrv_attach_child(BlockDriverState *parent, BlockDriverState *child, const char *name,
                             unsigned role, Error **errp);
/* Attaches a non-node parent (BlockBackend, job): takes a reference on child. */
BdrvChild *bdrv_root_attach_child(BlockDriverState *child, const char *name,
                                  const BdrvChildClass *klass, unsigned role, uint64_t perm,
                                  uint64_t shared_perm, void *opaque, Error **errp);
void bdrv_root_unref_child(BdrvChild *child);
void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child);
/* Recomputes the permissions of the graph below c; fails leaving nothing changed. */
int bdrv_child_try_set_perm(BdrvChild *c, uint64_t perm, uint64_t shared, Error **errp);
/* The core's default child permissions for a role (formats, filters). */
void bdrv_default_perms(BlockDriverState *bs, BdrvChild *c, unsigned role, uint64_t perm,
                        uint64_t shared, uint64_t *nperm, uint64_t *nshared);

/*
 * Tells blkdebug (or any driver with a bdrv_debug_event hook) on the child
 * that a request reached a named point; formats and the core call it where
 * QEMU does.  A NULL child is allowed.  May yield when called in a coroutine
 * (a blkdebug breakpoint suspends the request there).
 */
#define BLKDBG_EVENT(child, evt) bdrv_debug_event((child) ? (child)->bs : NULL, (evt))

/*
 * For drivers opened with BDRV_O_AUTO_RDONLY that cannot open read-write:
 * makes bs read-only and returns 0; without auto-read-only it fails with
 * errmsg (or "Permission denied" when NULL) and returns -EACCES.
 */
int bdrv_apply_auto_read_only(BlockDriverState *bs, const char *errmsg, Error **errp);

/* Calls the resize callbacks of bs's parents (its size changed). */
void bdrv_parent_cb_resize(BlockDriverState *bs);

/* Request tracking (block/io.c). */
void bdrv_inc_in_flight(BlockDriverState *bs);
void bdrv_dec_in_flight(BlockDriverState *bs);
/* Waits for overlapping serialising requests; coroutine only. */
void coroutine_fn bdrv_wait_serialising_requests(BdrvTrackedRequest *req);

/* The data child of a filter (or the file child of raw without offset). */
BlockDriverState *bdrv_filter_bs(BlockDriverState *bs);
/* The child whose data shows through unallocated ranges: backing, or a filter's child. */
BdrvChild *bdrv_cow_child(BlockDriverState *bs);
BlockDriverState *bdrv_cow_bs(BlockDriverState *bs);

#endif
