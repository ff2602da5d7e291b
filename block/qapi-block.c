/*
 * The block layer's QMP commands and the QAPI views of nodes and backends:
 * blockdev-add, blockdev-del, query-block, query-named-block-nodes,
 * query-blockstats, block_resize.
 */
#include "block/block-core-int.h"
#include "qapi/qapi-commands.h"

/* ---------------------------------------------------------------- views */

/* Where QEMU's image chain goes on: a format's backing file, a filter's child. */
static BlockDriverState *bdrv_info_next(BlockDriverState *bs)
{
    if (bs->backing) {
        return bs->backing->bs;
    }
    return bs->drv && bs->drv->is_filter ? bdrv_filter_bs(bs) : NULL;
}

ImageInfo *bdrv_query_image_info(BlockDriverState *bs, bool with_backing, Error **errp)
{
    ImageInfo *info;
    BlockDriverInfo bdi;
    int64_t size = bdrv_getlength(bs), actual;

    if (size < 0) {
        error_setg_errno(errp, (int)-size, "Can't get image size '%s'", bs->filename);
        return NULL;
    }
    info = g_new0(ImageInfo, 1);
    info->filename = g_strdup(bs->filename);
    info->format = g_strdup(bdrv_get_format_name(bs));
    info->virtual_size = size;
    actual = bdrv_get_allocated_file_size(bs);
    if (actual >= 0) {
        info->has_actual_size = true;
        info->actual_size = actual;
    }
    if (bdrv_get_info(bs, &bdi) >= 0) {
        if (bdi.cluster_size) {
            info->has_cluster_size = true;
            info->cluster_size = bdi.cluster_size;
        }
        info->has_dirty_flag = true;
        info->dirty_flag = bdi.is_dirty;
    }
    if (bs->drv->bdrv_get_specific_info) {
        Error *local_err = NULL;
        ImageInfoSpecific *spec = bs->drv->bdrv_get_specific_info(bs, &local_err);

        if (local_err) {
            error_propagate(errp, local_err);
            qapi_free_ImageInfo(info);
            return NULL;
        }
        if (spec) {
            info->has_format_specific = true;
            info->format_specific = spec;
        }
    }
    if (bs->backing_file[0]) {
        char *full = bdrv_backing_path(bs, bs->backing_file, NULL);

        info->has_backing_filename = true;
        info->backing_filename = g_strdup(bs->backing_file);
        if (full) {
            info->has_full_backing_filename = true;
            info->full_backing_filename = full;
        }
        if (bs->backing_format[0]) {
            info->has_backing_filename_format = true;
            info->backing_filename_format = g_strdup(bs->backing_format);
        }
    }
    if (with_backing && bdrv_info_next(bs)) {
        info->backing_image = bdrv_query_image_info(bdrv_info_next(bs), true, errp);
        if (!info->backing_image) {
            qapi_free_ImageInfo(info);
            return NULL;
        }
        info->has_backing_image = true;
    }
    return info;
}

BlockDeviceInfo *bdrv_block_device_info(BlockDriverState *bs, bool flat, Error **errp)
{
    BlockDeviceInfo *info;
    ImageInfo *image = bdrv_query_image_info(bs, !flat, errp);
    int64_t depth = 0;

    if (!image) {
        return NULL;
    }
    info = g_new0(BlockDeviceInfo, 1);
    info->file = g_strdup(bs->filename);
    if (bs->node_name[0]) {
        info->has_node_name = true;
        info->node_name = g_strdup(bs->node_name);
    }
    info->ro = bs->read_only;
    info->drv = g_strdup(bdrv_get_format_name(bs));
    /* The node actually below, not the header's wish ("backing": null). */
    if (bs->backing) {
        info->has_backing_file = true;
        info->backing_file = g_strdup(bs->backing->bs->filename);
    }
    /* Flat listings describe one node: QEMU leaves the depth at 0 there. */
    for (BlockDriverState *p = flat ? NULL : bdrv_info_next(bs); p; p = bdrv_info_next(p)) {
        depth++;
    }
    info->backing_file_depth = depth;
    info->encrypted = false;
    info->detect_zeroes = bs->detect_zeroes;
    info->image = image;
    info->cache = g_new0(BlockdevCacheInfo, 1);
    info->cache->writeback = true;
    info->cache->direct = bs->open_flags & BDRV_O_NOCACHE;
    info->cache->no_flush = bs->open_flags & BDRV_O_NO_FLUSH;
    info->write_threshold = 0;
    return info;
}

/* A backend shows up in queries if it has a name or a device. */
static bool blk_is_listed(BlockBackend *blk)
{
    return blk_name(blk)[0] || blk_get_attached_dev(blk);
}

/* The node a backend's user sees (implicit filters skipped). */
static BlockDriverState *blk_visible_bs(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    return bs && bs->drv ? bdrv_skip_filters(bs) : NULL;
}

static BlockInfo *blk_query_info(BlockBackend *blk, Error **errp)
{
    BlockInfo *info = g_new0(BlockInfo, 1);
    BlockDriverState *bs = blk_visible_bs(blk);
    const char *dev_id = blk_get_attached_dev_id(blk);

    info->device = g_strdup(blk_name(blk));
    if (blk_get_attached_dev(blk)) {
        info->has_qdev = true;
        info->qdev = g_strdup(dev_id);
    }
    info->type = g_strdup("unknown");
    info->removable = blk_dev_has_removable_media(blk);
    info->locked = blk_dev_is_medium_locked(blk);
    if (info->removable && blk_dev_has_tray(blk)) {
        info->has_tray_open = true;
        info->tray_open = blk_dev_is_tray_open(blk);
    }
    if (blk_iostatus_is_enabled(blk)) {
        info->has_io_status = true;
        info->io_status = blk_iostatus(blk);
    }
    if (bs) {
        info->inserted = bdrv_block_device_info(bs, false, errp);
        if (!info->inserted) {
            qapi_free_BlockInfo(info);
            return NULL;
        }
        info->has_inserted = true;
        info->inserted->cache->writeback = blk_enable_write_cache(blk);
    }
    return info;
}

static BlockStats *bdrv_query_bds_stats(BlockDriverState *bs, bool blk_level)
{
    BlockStats *s = g_new0(BlockStats, 1);

    s->stats = g_new0(BlockDeviceStats, 1);
    if (!bs) {
        return s;
    }
    if (blk_level) {
        bs = bdrv_skip_filters(bs);
    }
    if (bs->node_name[0]) {
        s->has_node_name = true;
        s->node_name = g_strdup(bs->node_name);
    }
    s->stats->wr_highest_offset = bs->wr_highest_offset;
    if (bs->drv && bs->drv->bdrv_get_specific_stats) {
        s->driver_specific = bs->drv->bdrv_get_specific_stats(bs);
        s->has_driver_specific = s->driver_specific != NULL;
    }
    if (bs->file) {
        s->has_parent = true;
        s->parent = bdrv_query_bds_stats(bs->file->bs, blk_level);
    }
    if (blk_level && bs->backing) {
        s->has_backing = true;
        s->backing = bdrv_query_bds_stats(bs->backing->bs, blk_level);
    }
    return s;
}

static void blk_query_stats(BlockDeviceStats *ds, BlockBackend *blk)
{
    BlockAcctStats *st = blk_get_stats(blk);

    ds->rd_bytes = st->nr_bytes[BLOCK_ACCT_READ];
    ds->wr_bytes = st->nr_bytes[BLOCK_ACCT_WRITE];
    ds->unmap_bytes = st->nr_bytes[BLOCK_ACCT_UNMAP];
    ds->rd_operations = st->nr_ops[BLOCK_ACCT_READ];
    ds->wr_operations = st->nr_ops[BLOCK_ACCT_WRITE];
    ds->flush_operations = st->nr_ops[BLOCK_ACCT_FLUSH];
    ds->unmap_operations = st->nr_ops[BLOCK_ACCT_UNMAP];
    ds->rd_total_time_ns = st->total_time_ns[BLOCK_ACCT_READ];
    ds->wr_total_time_ns = st->total_time_ns[BLOCK_ACCT_WRITE];
    ds->flush_total_time_ns = st->total_time_ns[BLOCK_ACCT_FLUSH];
    ds->unmap_total_time_ns = st->total_time_ns[BLOCK_ACCT_UNMAP];
    ds->rd_merged = st->merged[BLOCK_ACCT_READ];
    ds->wr_merged = st->merged[BLOCK_ACCT_WRITE];
    ds->unmap_merged = st->merged[BLOCK_ACCT_UNMAP];
    ds->failed_rd_operations = st->failed_ops[BLOCK_ACCT_READ];
    ds->failed_wr_operations = st->failed_ops[BLOCK_ACCT_WRITE];
    ds->failed_flush_operations = st->failed_ops[BLOCK_ACCT_FLUSH];
    ds->failed_unmap_operations = st->failed_ops[BLOCK_ACCT_UNMAP];
    ds->invalid_rd_operations = st->invalid_ops[BLOCK_ACCT_READ];
    ds->invalid_wr_operations = st->invalid_ops[BLOCK_ACCT_WRITE];
    ds->invalid_flush_operations = st->invalid_ops[BLOCK_ACCT_FLUSH];
    ds->invalid_unmap_operations = st->invalid_ops[BLOCK_ACCT_UNMAP];
    ds->account_invalid = st->account_invalid;
    ds->account_failed = st->account_failed;
    if (st->last_access_time_ns) {
        ds->has_idle_time_ns = true;
        ds->idle_time_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - st->last_access_time_ns;
    }
}

/* ---------------------------------------------------------------- commands */

void qmp_blockdev_add(BlockdevOptions *arg, Error **errp)
{
    BlockDriverState *bs;

    if (!arg->has_node_name) {
        error_setg(errp, "'node-name' must be specified for the root node");
        return;
    }
    bs = bdrv_open_blockdev(arg, BDRV_O_RDWR, errp);
    if (bs) {
        bdrv_monitor_own(bs);
    }
}

void qmp_blockdev_del(const char *node_name, Error **errp)
{
    BlockDriverState *bs = bdrv_find_node(node_name);

    if (!bs) {
        error_setg(errp, "Failed to find node with node-name='%s'", node_name);
        return;
    }
    if (blk_by_root(bs)) {
        error_setg(errp, "Node %s is in use", node_name);
        return;
    }
    if (bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_DRIVE_DEL, errp)) {
        return;
    }
    if (!bdrv_is_monitor_owned(bs)) {
        error_setg(errp, "Node %s is not owned by the monitor", node_name);
        return;
    }
    if (bs->refcnt > 1) {
        error_setg(errp, "Block device %s is in use", node_name);
        return;
    }
    bdrv_monitor_disown(bs);
    bdrv_unref(bs);
}

BlockInfoList *qmp_query_block(Error **errp)
{
    BlockInfoList *head = NULL, **tail = &head;

    for (BlockBackend *blk = blk_all_next(NULL); blk; blk = blk_all_next(blk)) {
        BlockInfo *info;

        if (!blk_is_listed(blk)) {
            continue;
        }
        info = blk_query_info(blk, errp);
        if (!info) {
            qapi_free_BlockInfoList(head);
            return NULL;
        }
        QAPI_LIST_APPEND(tail, info);
    }
    return head;
}

BlockDeviceInfoList *qmp_query_named_block_nodes(bool has_flat, bool flat, Error **errp)
{
    BlockDeviceInfoList *list = NULL;

    /* Newest first, as QEMU lists them. */
    for (BlockDriverState *bs = bdrv_next_node(NULL); bs; bs = bdrv_next_node(bs)) {
        BlockDeviceInfo *info = bdrv_block_device_info(bs, has_flat && flat, errp);

        if (!info) {
            qapi_free_BlockDeviceInfoList(list);
            return NULL;
        }
        QAPI_LIST_PREPEND(list, info);
    }
    return list;
}

BlockStatsList *qmp_query_blockstats(bool has_query_nodes, bool query_nodes, Error **errp)
{
    BlockStatsList *head = NULL, **tail = &head;

    if (has_query_nodes && query_nodes) {
        for (BlockDriverState *bs = bdrv_next_node(NULL); bs; bs = bdrv_next_node(bs)) {
            QAPI_LIST_APPEND(tail, bdrv_query_bds_stats(bs, false));
        }
        return head;
    }
    for (BlockBackend *blk = blk_all_next(NULL); blk; blk = blk_all_next(blk)) {
        BlockStats *s;

        if (!blk_is_listed(blk)) {
            continue;
        }
        s = bdrv_query_bds_stats(blk_visible_bs(blk), true);
        s->has_device = true;
        s->device = g_strdup(blk_name(blk));
        if (blk_get_attached_dev(blk)) {
            s->has_qdev = true;
            s->qdev = g_strdup(blk_get_attached_dev_id(blk));
        }
        blk_query_stats(s->stats, blk);
        QAPI_LIST_APPEND(tail, s);
    }
    return head;
}

void qmp_block_resize(bool has_device, const char *device, bool has_node_name,
                      const char *node_name, int64_t size, Error **errp)
{
    BlockDriverState *bs =
        bdrv_lookup_bs(has_device ? device : NULL, has_node_name ? node_name : NULL, errp);
    BlockBackend *blk;

    if (!bs) {
        return;
    }
    if (size < 0) {
        error_setg(errp, "Parameter 'size' expects a >0 size");
        return;
    }
    if (bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_RESIZE, NULL)) {
        error_setg(errp, "Device '%s' is in use", has_device ? device : node_name);
        return;
    }
    blk = blk_new_with_bs(bs, BLK_PERM_RESIZE, BLK_PERM_ALL, errp);
    if (!blk) {
        return;
    }
    blk_set_disable_request_queuing(blk, true);
    bdrv_drained_begin(bs);
    blk_truncate(blk, size, false, PREALLOC_MODE_OFF, 0, errp);
    bdrv_drained_end(bs);
    blk_unref(blk);
}
