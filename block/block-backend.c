/*
 * BlockBackend: the root edge users hold on the graph.  It checks requests
 * against the medium's size, queues them while its node is drained, turns
 * device requests into coroutines whose completion is reported from the main
 * loop, and keeps the statistics and io-status the monitor shows.
 */
#include "block/block-core-int.h"

struct BlockBackend {
    char *name;
    int refcnt;
    BdrvChild *root;
    uint64_t perm, shared_perm;

    void *dev;
    char *dev_id;
    const BlockDevOps *dev_ops;
    void *dev_opaque;

    bool enable_write_cache;
    bool iostatus_enabled;
    BlockDeviceIoStatus iostatus;
    BlockAcctStats stats;

    int quiesce_counter;
    CoQueue queued_requests;
    bool disable_request_queuing;
    bool allow_aio_context_change;
    unsigned in_flight;
};

/* Every backend; and the named ones in the monitor's order. */
static GList *all_blks;
static GList *monitor_blks;

/* ---------------------------------------------------------------- root edge */

static char *blk_root_get_parent_desc(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    if (blk->name && blk->name[0]) {
        return g_strdup_printf("block device '%s'", blk->name);
    }
    if (blk->dev_id && blk->dev_id[0]) {
        return g_strdup_printf("block device '%s'", blk->dev_id);
    }
    return g_strdup("an unnamed block device");
}

static void blk_root_drained_begin(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    blk->quiesce_counter++;
}

static void blk_root_drained_end(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    g_assert(blk->quiesce_counter > 0);
    if (--blk->quiesce_counter == 0) {
        qemu_co_queue_restart_all(&blk->queued_requests);
    }
}

static bool blk_root_drained_poll(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    return blk->in_flight > 0;
}

static void blk_root_resize(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    if (blk->dev_ops && blk->dev_ops->resize_cb) {
        blk->dev_ops->resize_cb(blk->dev_opaque);
    }
}

static const BdrvChildClass child_root = {
    .parent_is_bds = false,
    .get_parent_desc = blk_root_get_parent_desc,
    .drained_begin = blk_root_drained_begin,
    .drained_end = blk_root_drained_end,
    .drained_poll = blk_root_drained_poll,
    .resize = blk_root_resize,
};

/* ---------------------------------------------------------------- lifetime */

BlockBackend *blk_new(uint64_t perm, uint64_t shared_perm)
{
    BlockBackend *blk = g_new0(BlockBackend, 1);

    blk->refcnt = 1;
    blk->perm = perm;
    blk->shared_perm = shared_perm;
    blk->enable_write_cache = true;
    blk->stats.account_invalid = true;
    blk->stats.account_failed = true;
    qemu_co_queue_init(&blk->queued_requests);
    all_blks = g_list_append(all_blks, blk);
    return blk;
}

BlockBackend *blk_new_with_bs(BlockDriverState *bs, uint64_t perm, uint64_t shared_perm,
                              Error **errp)
{
    BlockBackend *blk = blk_new(perm, shared_perm);

    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        return NULL;
    }
    return blk;
}

void blk_ref(BlockBackend *blk)
{
    blk->refcnt++;
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    g_assert(blk->refcnt > 0);
    if (blk->refcnt > 1) {
        blk->refcnt--;
        return;
    }
    /* The last user: finish what is in flight before tearing down. */
    blk_drain(blk);
    g_assert(blk->refcnt == 1);
    blk->refcnt = 0;
    g_assert(!blk->name);
    blk_remove_bs(blk);
    all_blks = g_list_remove(all_blks, blk);
    g_free(blk->dev_id);
    g_free(blk);
}

bool blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, Error **errp)
{
    g_assert(!blk->root);
    blk->root =
        bdrv_root_attach_child(bs, "root", &child_root, BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY,
                               blk->perm, blk->shared_perm, blk, errp);
    return blk->root != NULL;
}

void blk_remove_bs(BlockBackend *blk)
{
    BdrvChild *root = blk->root;

    if (!root) {
        return;
    }
    blk_drain(blk);
    blk->root = NULL;
    bdrv_root_unref_child(root);
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->root ? blk->root->bs : NULL;
}

int blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared_perm, Error **errp)
{
    if (blk->root) {
        int ret = bdrv_child_try_set_perm(blk->root, perm, shared_perm, errp);

        if (ret < 0) {
            return ret;
        }
    }
    blk->perm = perm;
    blk->shared_perm = shared_perm;
    return 0;
}

void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared_perm)
{
    *perm = blk->perm;
    *shared_perm = blk->shared_perm;
}

void blk_set_allow_aio_context_change(BlockBackend *blk, bool allow)
{
    blk->allow_aio_context_change = allow;
}

void blk_set_disable_request_queuing(BlockBackend *blk, bool disable)
{
    blk->disable_request_queuing = disable;
}

/* ---------------------------------------------------------------- names */

bool monitor_add_blk(BlockBackend *blk, const char *name, Error **errp)
{
    g_assert(!blk->name);
    if (!block_id_wellformed(name)) {
        error_setg(errp, "Invalid device name");
        return false;
    }
    if (blk_by_name(name)) {
        error_setg(errp, "Device with id '%s' already exists", name);
        return false;
    }
    if (bdrv_find_node(name)) {
        error_setg(errp, "Device name '%s' conflicts with an existing node name", name);
        return false;
    }
    blk->name = g_strdup(name);
    monitor_blks = g_list_append(monitor_blks, blk);
    return true;
}

void monitor_remove_blk(BlockBackend *blk)
{
    if (!blk->name) {
        return;
    }
    monitor_blks = g_list_remove(monitor_blks, blk);
    g_free(blk->name);
    blk->name = NULL;
}

const char *blk_name(const BlockBackend *blk)
{
    return blk->name ? blk->name : "";
}

BlockBackend *blk_by_name(const char *name)
{
    for (GList *l = monitor_blks; l; l = l->next) {
        BlockBackend *blk = l->data;

        if (!strcmp(blk->name, name)) {
            return blk;
        }
    }
    return NULL;
}

BlockBackend *blk_next(BlockBackend *blk)
{
    GList *l;

    if (!blk) {
        return monitor_blks ? monitor_blks->data : NULL;
    }
    l = g_list_find(monitor_blks, blk);
    return l && l->next ? l->next->data : NULL;
}

BlockBackend *blk_all_next(BlockBackend *blk)
{
    GList *l;

    if (!blk) {
        return all_blks ? all_blks->data : NULL;
    }
    l = g_list_find(all_blks, blk);
    return l && l->next ? l->next->data : NULL;
}

BlockBackend *blk_by_root(BlockDriverState *bs)
{
    for (GList *l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->klass == &child_root) {
            return c->opaque;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- devices */

int blk_attach_dev(BlockBackend *blk, void *dev, const char *qdev_id)
{
    if (blk->dev) {
        return -EBUSY;
    }
    blk_ref(blk);
    blk->dev = dev;
    g_free(blk->dev_id);
    blk->dev_id = g_strdup(qdev_id ? qdev_id : "");
    blk_iostatus_reset(blk);
    return 0;
}

void blk_detach_dev(BlockBackend *blk, void *dev)
{
    g_assert(blk->dev == dev);
    blk->dev = NULL;
    blk->dev_ops = NULL;
    blk->dev_opaque = NULL;
    g_free(blk->dev_id);
    blk->dev_id = NULL;
    blk_unref(blk);
}

void *blk_get_attached_dev(BlockBackend *blk)
{
    return blk->dev;
}

const char *blk_get_attached_dev_id(BlockBackend *blk)
{
    return blk->dev_id ? blk->dev_id : "";
}

void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *opaque)
{
    blk->dev_ops = ops;
    blk->dev_opaque = opaque;
}

bool blk_dev_has_removable_media(BlockBackend *blk)
{
    return !blk->dev || (blk->dev_ops && blk->dev_ops->is_tray_open);
}

bool blk_dev_has_tray(BlockBackend *blk)
{
    return blk->dev_ops && blk->dev_ops->is_tray_open;
}

bool blk_dev_is_tray_open(BlockBackend *blk)
{
    return blk_dev_has_tray(blk) && blk->dev_ops->is_tray_open(blk->dev_opaque);
}

bool blk_dev_is_medium_locked(BlockBackend *blk)
{
    return blk->dev_ops && blk->dev_ops->is_medium_locked &&
           blk->dev_ops->is_medium_locked(blk->dev_opaque);
}

/* ---------------------------------------------------------------- properties */

bool blk_is_inserted(BlockBackend *blk)
{
    return blk->root && blk->root->bs->drv;
}

bool blk_is_available(BlockBackend *blk)
{
    if (!blk_is_inserted(blk)) {
        return false;
    }
    return !(blk->dev_ops && blk->dev_ops->is_tray_open &&
             blk->dev_ops->is_tray_open(blk->dev_opaque));
}

int64_t blk_getlength(BlockBackend *blk)
{
    if (!blk_is_inserted(blk)) {
        return -ENOMEDIUM;
    }
    return bdrv_getlength(blk_bs(blk));
}

bool blk_is_read_only(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    return bs ? bdrv_is_read_only(bs) : false;
}

bool blk_enable_write_cache(BlockBackend *blk)
{
    return blk->enable_write_cache;
}

void blk_set_enable_write_cache(BlockBackend *blk, bool wce)
{
    blk->enable_write_cache = wce;
}

uint32_t blk_get_request_alignment(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    return bs ? bs->bl.request_alignment : BDRV_SECTOR_SIZE;
}

uint64_t blk_get_max_transfer(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);
    uint64_t max = BDRV_REQUEST_MAX_BYTES;

    if (bs && bs->bl.max_transfer && bs->bl.max_transfer < max) {
        max = bs->bl.max_transfer;
    }
    return max;
}

/* ---------------------------------------------------------------- io-status */

void blk_iostatus_enable(BlockBackend *blk)
{
    blk->iostatus_enabled = true;
    blk->iostatus = BLOCK_DEVICE_IO_STATUS_OK;
}

bool blk_iostatus_is_enabled(const BlockBackend *blk)
{
    return blk->iostatus_enabled;
}

BlockDeviceIoStatus blk_iostatus(const BlockBackend *blk)
{
    return blk->iostatus;
}

void blk_iostatus_set_err(BlockBackend *blk, int error)
{
    /* The first error sticks until a reset (cont, device reset). */
    if (blk->iostatus_enabled && blk->iostatus == BLOCK_DEVICE_IO_STATUS_OK) {
        blk->iostatus =
            error == ENOSPC ? BLOCK_DEVICE_IO_STATUS_NOSPACE : BLOCK_DEVICE_IO_STATUS_FAILED;
    }
}

void blk_iostatus_reset(BlockBackend *blk)
{
    if (blk->iostatus_enabled) {
        blk->iostatus = BLOCK_DEVICE_IO_STATUS_OK;
    }
}

BlockAcctStats *blk_get_stats(BlockBackend *blk)
{
    return &blk->stats;
}

/* ---------------------------------------------------------------- requests */

static void blk_inc_in_flight(BlockBackend *blk)
{
    blk->in_flight++;
}

static void blk_dec_in_flight(BlockBackend *blk)
{
    g_assert(blk->in_flight > 0);
    blk->in_flight--;
    main_loop_wakeup();
}

/* While drained, new requests wait here (a request already counted as in
 * flight must not, or drain would wait for it forever). */
static void coroutine_fn blk_wait_while_drained(BlockBackend *blk)
{
    while (blk->quiesce_counter && !blk->disable_request_queuing) {
        blk_dec_in_flight(blk);
        qemu_co_queue_wait(&blk->queued_requests);
        blk_inc_in_flight(blk);
    }
}

static int blk_check_byte_request(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    int64_t len;

    if (bytes < 0 || offset < 0) {
        return -EIO;
    }
    if (!blk_is_available(blk)) {
        return -ENOMEDIUM;
    }
    len = blk_getlength(blk);
    if (len < 0) {
        return (int)len;
    }
    if (offset > len || len - offset < bytes) {
        return -EIO;
    }
    return 0;
}

static void blk_account(BlockBackend *blk, BlockAcctType type, int64_t bytes, int64_t start_ns,
                        int ret)
{
    BlockAcctStats *s = &blk->stats;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

    if (ret == -EIO && start_ns < 0) {
        if (s->account_invalid) {
            s->invalid_ops[type]++;
            s->last_access_time_ns = now;
        }
        return;
    }
    if (ret < 0) {
        if (s->account_failed) {
            s->failed_ops[type]++;
            s->last_access_time_ns = now;
        }
        return;
    }
    s->nr_bytes[type] += bytes;
    s->nr_ops[type]++;
    s->total_time_ns[type] += now - start_ns;
    s->last_access_time_ns = now;
}

typedef enum { BLK_OP_READ, BLK_OP_WRITE, BLK_OP_ZERO, BLK_OP_DISCARD, BLK_OP_FLUSH } BlkOp;

static const BlockAcctType blk_op_acct[] = {
    [BLK_OP_READ] = BLOCK_ACCT_READ,   [BLK_OP_WRITE] = BLOCK_ACCT_WRITE,
    [BLK_OP_ZERO] = BLOCK_ACCT_WRITE,  [BLK_OP_DISCARD] = BLOCK_ACCT_UNMAP,
    [BLK_OP_FLUSH] = BLOCK_ACCT_FLUSH,
};

/* One request of any kind through the backend, in a coroutine. */
static int coroutine_fn blk_co_do(BlockBackend *blk, BlkOp op, int64_t offset, int64_t bytes,
                                  QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    BlockAcctType acct = blk_op_acct[op];
    int64_t start;
    int ret;

    blk_inc_in_flight(blk);
    blk_wait_while_drained(blk);
    if (op == BLK_OP_FLUSH) {
        ret = blk_is_available(blk) ? 0 : -ENOMEDIUM;
    } else {
        ret = blk_check_byte_request(blk, offset, bytes);
    }
    if (ret < 0) {
        blk_account(blk, acct, 0, -1, ret);
        blk_dec_in_flight(blk);
        return ret;
    }
    start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    if (op != BLK_OP_READ && op != BLK_OP_FLUSH && !blk->enable_write_cache) {
        flags |= BDRV_REQ_FUA;
    }
    switch (op) {
    case BLK_OP_READ:
        ret = bdrv_co_preadv(blk->root, offset, bytes, qiov, flags);
        break;
    case BLK_OP_WRITE:
        ret = bdrv_co_pwritev(blk->root, offset, bytes, qiov, flags);
        break;
    case BLK_OP_ZERO:
        ret = bdrv_co_pwrite_zeroes(blk->root, offset, bytes, flags);
        break;
    case BLK_OP_DISCARD:
        ret = bdrv_co_pdiscard(blk->root, offset, bytes);
        break;
    case BLK_OP_FLUSH:
        ret = bdrv_co_flush(blk_bs(blk));
        break;
    }
    blk_account(blk, acct, bytes, start, ret);
    blk_dec_in_flight(blk);
    return ret;
}

int coroutine_fn blk_co_preadv(BlockBackend *blk, int64_t offset, int64_t bytes, QEMUIOVector *qiov,
                               BdrvRequestFlags flags)
{
    return blk_co_do(blk, BLK_OP_READ, offset, bytes, qiov, flags);
}

int coroutine_fn blk_co_pwritev(BlockBackend *blk, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return blk_co_do(blk, BLK_OP_WRITE, offset, bytes, qiov, flags);
}

int coroutine_fn blk_co_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                                      BdrvRequestFlags flags)
{
    return blk_co_do(blk, BLK_OP_ZERO, offset, bytes, NULL, flags);
}

int coroutine_fn blk_co_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    return blk_co_do(blk, BLK_OP_DISCARD, offset, bytes, NULL, 0);
}

int coroutine_fn blk_co_flush(BlockBackend *blk)
{
    return blk_co_do(blk, BLK_OP_FLUSH, 0, 0, NULL, 0);
}

/* ---------------------------------------------------------------- sync wrappers */

typedef struct BlkRwCo {
    BlockBackend *blk;
    BlkOp op;
    int64_t offset, bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    int ret;
} BlkRwCo;

static void coroutine_fn blk_rw_entry(void *opaque)
{
    BlkRwCo *rw = opaque;

    rw->ret = blk_co_do(rw->blk, rw->op, rw->offset, rw->bytes, rw->qiov, rw->flags);
}

static int blk_sync(BlockBackend *blk, BlkOp op, int64_t offset, int64_t bytes, void *buf,
                    BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    BlkRwCo rw = {.blk = blk, .op = op, .offset = offset, .bytes = bytes, .flags = flags};

    if (buf) {
        if (bytes < 0) {
            return -EIO;
        }
        qemu_iovec_init_buf(&qiov, buf, bytes);
        rw.qiov = &qiov;
    }
    coroutine_run_sync(blk_rw_entry, &rw);
    return rw.ret;
}

int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf, BdrvRequestFlags flags)
{
    return blk_sync(blk, BLK_OP_READ, offset, bytes, buf, flags);
}

int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes, const void *buf,
               BdrvRequestFlags flags)
{
    return blk_sync(blk, BLK_OP_WRITE, offset, bytes, (void *)buf, flags);
}

int blk_flush(BlockBackend *blk)
{
    return blk_sync(blk, BLK_OP_FLUSH, 0, 0, NULL, 0);
}

typedef struct BlkTruncateCo {
    BlockBackend *blk;
    int64_t offset;
    bool exact;
    PreallocMode prealloc;
    BdrvRequestFlags flags;
    Error **errp;
    int ret;
} BlkTruncateCo;

static void coroutine_fn blk_truncate_entry(void *opaque)
{
    BlkTruncateCo *t = opaque;

    /* Resizing is a graph-level operation done with the node drained
     * (block_resize): it never waits in the queue. */
    blk_inc_in_flight(t->blk);
    t->ret = bdrv_co_truncate(t->blk->root, t->offset, t->exact, t->prealloc, t->flags, t->errp);
    blk_dec_in_flight(t->blk);
}

int blk_truncate(BlockBackend *blk, int64_t offset, bool exact, PreallocMode prealloc,
                 BdrvRequestFlags flags, Error **errp)
{
    BlkTruncateCo t = {.blk = blk,
                       .offset = offset,
                       .exact = exact,
                       .prealloc = prealloc,
                       .flags = flags,
                       .errp = errp};

    if (!blk_is_available(blk)) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    coroutine_run_sync(blk_truncate_entry, &t);
    return t.ret;
}

/* ---------------------------------------------------------------- aio */

struct BlockAIOCB {
    BlockBackend *blk;
    BlockCompletionFunc *cb;
    void *opaque;
    BlkRwCo rw;
};

static void blk_aio_complete_bh(void *opaque)
{
    BlockAIOCB *acb = opaque;
    BlockBackend *blk = acb->blk;

    acb->cb(acb->opaque, acb->rw.ret);
    blk_dec_in_flight(blk);
    blk_unref(blk);
    g_free(acb);
}

static void coroutine_fn blk_aio_entry(void *opaque)
{
    BlockAIOCB *acb = opaque;

    blk_rw_entry(&acb->rw);
    /* Completion always comes from the main loop, never from the submitter. */
    main_loop_schedule_oneshot(blk_aio_complete_bh, acb);
}

static BlockAIOCB *blk_aio_start(BlockBackend *blk, BlkOp op, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags,
                                 BlockCompletionFunc *cb, void *opaque)
{
    BlockAIOCB *acb = g_new0(BlockAIOCB, 1);

    acb->blk = blk;
    acb->cb = cb;
    acb->opaque = opaque;
    acb->rw = (BlkRwCo){
        .blk = blk, .op = op, .offset = offset, .bytes = bytes, .qiov = qiov, .flags = flags};
    blk_ref(blk);
    /* Counted until the callback has run, so drain covers it. */
    blk_inc_in_flight(blk);
    qemu_coroutine_enter(qemu_coroutine_create(blk_aio_entry, acb));
    return acb;
}

BlockAIOCB *blk_aio_preadv(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                           BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_start(blk, BLK_OP_READ, offset, qiov->size, qiov, flags, cb, opaque);
}

BlockAIOCB *blk_aio_pwritev(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                            BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_start(blk, BLK_OP_WRITE, offset, qiov->size, qiov, flags, cb, opaque);
}

BlockAIOCB *blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                                  BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_start(blk, BLK_OP_ZERO, offset, bytes, NULL, flags, cb, opaque);
}

BlockAIOCB *blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                             BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_start(blk, BLK_OP_DISCARD, offset, bytes, NULL, 0, cb, opaque);
}

BlockAIOCB *blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_start(blk, BLK_OP_FLUSH, 0, 0, NULL, 0, cb, opaque);
}

/* ---------------------------------------------------------------- drain */

static void blk_drain_now(void *opaque)
{
    BlockBackend *blk = opaque;
    BlockDriverState *bs = blk_bs(blk);

    if (bs) {
        bdrv_ref(bs);
        bdrv_drained_begin(bs);
    }
    /* Also requests that never reached a node (queued, or completing). */
    MAIN_LOOP_WAIT_WHILE(blk->in_flight > 0);
    if (bs) {
        bdrv_drained_end(bs);
        bdrv_unref(bs);
    }
}

void blk_drain(BlockBackend *blk)
{
    bdrv_run_outside_coroutine(blk_drain_now, blk);
}

void blk_drain_all(void)
{
    bdrv_drain_all_begin();
    for (BlockBackend *blk = blk_all_next(NULL); blk; blk = blk_all_next(blk)) {
        MAIN_LOOP_WAIT_WHILE(blk->in_flight > 0);
    }
    bdrv_drain_all_end();
}
