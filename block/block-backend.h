/*
 * BlockBackend: the only handle devices, jobs' users and the monitor hold on
 * the graph.  It owns the root edge to a node with the permissions its user
 * needs, carries the device name (-drive id=, the 'device' of QMP commands),
 * I/O statistics, the error policy's io-status, and queues requests while its
 * node is drained.
 */
#ifndef BLOCK_BLOCK_BACKEND_H
#define BLOCK_BLOCK_BACKEND_H

#include "block/block.h"

typedef struct BlockBackend BlockBackend;

/* What a device tells its backend about itself (all optional). */
typedef struct BlockDevOps {
    void (*resize_cb)(void *opaque);
    /* For query-block "removable"/"tray_open"; NULL: not removable. */
    bool (*is_tray_open)(void *opaque);
    bool (*is_medium_locked)(void *opaque);
} BlockDevOps;

BlockBackend *blk_new(uint64_t perm, uint64_t shared_perm);
void blk_ref(BlockBackend *blk);
void blk_unref(BlockBackend *blk);
/* Attaches bs as the root, taking the backend's permissions on it. */
bool blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, Error **errp);
void blk_remove_bs(BlockBackend *blk);
BlockDriverState *blk_bs(BlockBackend *blk);
int blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared_perm, Error **errp);
void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared_perm);
/* Lets requests run while the root is drained (jobs' own backends). */
void blk_set_allow_aio_context_change(BlockBackend *blk, bool allow);
void blk_set_disable_request_queuing(BlockBackend *blk, bool disable);

/* Monitor-visible backends (have a name). */
bool monitor_add_blk(BlockBackend *blk, const char *name, Error **errp);
void monitor_remove_blk(BlockBackend *blk);
const char *blk_name(const BlockBackend *blk);
BlockBackend *blk_by_name(const char *name);
/* Iterates named backends; start with NULL. */
BlockBackend *blk_next(BlockBackend *blk);
/* The backend whose root is bs, or NULL. */
BlockBackend *blk_by_root(BlockDriverState *bs);

/* Device attachment. */
int blk_attach_dev(BlockBackend *blk, void *dev, const char *qdev_id);
void blk_detach_dev(BlockBackend *blk, void *dev);
void *blk_get_attached_dev(BlockBackend *blk);
const char *blk_get_attached_dev_id(BlockBackend *blk);
void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *opaque);
/* What query-block reports: no device, or one whose medium can change. */
bool blk_dev_has_removable_media(BlockBackend *blk);
bool blk_dev_has_tray(BlockBackend *blk);
bool blk_dev_is_tray_open(BlockBackend *blk);
bool blk_dev_is_medium_locked(BlockBackend *blk);

/* I/O.  Return 0 (or bytes for the sync byte-count variants) or -errno. */
int coroutine_fn blk_co_preadv(BlockBackend *blk, int64_t offset, int64_t bytes,
                               QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn blk_co_pwritev(BlockBackend *blk, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn blk_co_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                                      BdrvRequestFlags flags);
int coroutine_fn blk_co_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes);
int coroutine_fn blk_co_flush(BlockBackend *blk);
int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags);
int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes, const void *buf,
               BdrvRequestFlags flags);
int blk_flush(BlockBackend *blk);
int blk_truncate(BlockBackend *blk, int64_t offset, bool exact, PreallocMode prealloc,
                 BdrvRequestFlags flags, Error **errp);

/*
 * Asynchronous requests for devices: start a coroutine and call cb(opaque,
 * ret) on the main loop when done, never before returning.
 */
typedef void BlockCompletionFunc(void *opaque, int ret);
typedef struct BlockAIOCB BlockAIOCB;
BlockAIOCB *blk_aio_preadv(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                           BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pwritev(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                            BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                                  BdrvRequestFlags flags, BlockCompletionFunc *cb,
                                  void *opaque);
BlockAIOCB *blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                             BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);
/* Drains the backend: waits for all its requests. */
void blk_drain(BlockBackend *blk);
void blk_drain_all(void);

int64_t blk_getlength(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
bool blk_is_inserted(BlockBackend *blk);
bool blk_enable_write_cache(BlockBackend *blk);
void blk_set_enable_write_cache(BlockBackend *blk, bool wce);
uint32_t blk_get_request_alignment(BlockBackend *blk);
uint64_t blk_get_max_transfer(BlockBackend *blk);

/* Error policy and io-status (devices' werror/rerror, query-block 'io-status'). */
void blk_iostatus_enable(BlockBackend *blk);
bool blk_iostatus_is_enabled(const BlockBackend *blk);
BlockDeviceIoStatus blk_iostatus(const BlockBackend *blk);
void blk_iostatus_set_err(BlockBackend *blk, int error);
void blk_iostatus_reset(BlockBackend *blk);

/* I/O accounting for query-blockstats. */
typedef enum { BLOCK_ACCT_READ, BLOCK_ACCT_WRITE, BLOCK_ACCT_FLUSH, BLOCK_ACCT_UNMAP,
               BLOCK_ACCT_MAX } BlockAcctType;
typedef struct BlockAcctStats {
    uint64_t nr_bytes[BLOCK_ACCT_MAX];
    uint64_t nr_ops[BLOCK_ACCT_MAX];
    uint64_t failed_ops[BLOCK_ACCT_MAX];
    uint64_t merged[BLOCK_ACCT_MAX];
    int64_t total_time_ns[BLOCK_ACCT_MAX];
    int64_t last_access_time_ns;
    /* Requests refused before reaching the node (out of bounds). */
    uint64_t invalid_ops[BLOCK_ACCT_MAX];
    /* Whether invalid / failed requests are counted (on for backends). */
    bool account_invalid, account_failed;
} BlockAcctStats;
BlockAcctStats *blk_get_stats(BlockBackend *blk);

#endif
