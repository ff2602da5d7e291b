/*
 * Starting the block jobs: one function per job kind, called by the QMP
 * commands (block/block-jobs-qmp.c), HMP and transaction actions.  Each
 * checks its arguments with QEMU's errors, takes the permissions and op
 * blockers it needs, creates the job and starts it.  The job then runs on
 * the main loop; its events and verbs are the job core's (block/job.h).
 * Main loop only.
 *
 * Owners: stream.c and commit.c (block-stream, intermediate block-commit),
 * mirror.c (active commit and drive-mirror/blockdev-mirror).
 */
#ifndef BLOCK_BLOCK_JOBS_H
#define BLOCK_BLOCK_JOBS_H

#include "block/block.h"
#include "block/blockjob.h"

/* Common creation options every block job takes. */
typedef struct BlockJobStartOpts {
    const char *job_id;    /* NULL: the device's name (QEMU's default) */
    int64_t speed;         /* bytes/s, 0 = unlimited */
    BlockdevOnError on_error;
    bool auto_finalize;    /* defaults true */
    bool auto_dismiss;     /* defaults true */
    JobTxn *txn;           /* NULL: the job finishes on its own */
} BlockJobStartOpts;

/*
 * block-stream: copy into 'bs' what lies in its backing chain above
 * 'base' (exclusive; NULL = the whole chain), then make base bs's backing
 * file (backing_file_str, if given, is the name written into bs's header).
 * 'bottom' (exclusive of base) is the alternative way to name the lowest
 * node that is streamed.
 */
BlockJob *stream_start(const BlockJobStartOpts *o, BlockDriverState *bs,
                       BlockDriverState *base, const char *backing_file_str,
                       const char *filter_node_name, Error **errp);

/*
 * block-commit of an intermediate chain: copy top's data (and that of the
 * nodes between top and base) into base, then drop top..overlay-of-base
 * from the chain.  top must not be the active layer of its chain.
 */
BlockJob *commit_start(const BlockJobStartOpts *o, BlockDriverState *top,
                       BlockDriverState *base, const char *backing_file_str,
                       const char *filter_node_name, Error **errp);

/*
 * Active commit: 'bs' is the active layer (the root of a device).  Copies
 * bs..above-base into base while tracking the guest's writes, emits
 * BLOCK_JOB_READY once base has caught up; completing switches the
 * device to base (dropping the committed overlays).  Implemented on the
 * mirror core.
 */
BlockJob *commit_active_start(const BlockJobStartOpts *o, BlockDriverState *bs,
                              BlockDriverState *base, const char *filter_node_name,
                              Error **errp);

/* drive-mirror / blockdev-mirror, once the target node exists. */
typedef struct MirrorStartOpts {
    BlockJobStartOpts job;
    MirrorSyncMode sync;
    const char *replaces;  /* node name or NULL */
    int64_t granularity;   /* 0: default */
    int64_t buf_size;      /* 0: default */
    BlockdevOnError on_source_error, on_target_error;
    bool unmap;
    MirrorCopyMode copy_mode;
    const char *filter_node_name;
} MirrorStartOpts;
BlockJob *mirror_start(const MirrorStartOpts *o, BlockDriverState *bs,
                       BlockDriverState *target, Error **errp);

#endif
