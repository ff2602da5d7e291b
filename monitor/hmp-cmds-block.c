/*
 * HMP commands of the block layer: "info block", "info blockstats" and
 * "block_resize", printed as QEMU 7.2 prints them, from the same QAPI data
 * the QMP commands return.
 */
#include "util/osdep.h"

#include "monitor/hmp.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-json.h"
#include "qapi/qapi-visit.h"

/* "196 KiB", "2 MiB", "512 B": three significant digits, binary units,
 * switching unit once the number reaches 1000. */
static char *hmp_size_str(uint64_t val)
{
    static const char *const units[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int i = 0;

    while (i < 6 && (double)val >= 1000.0 * (double)(1ULL << (10 * i))) {
        i++;
    }
    return g_strdup_printf("%0.3g %sB", (double)val / (double)(1ULL << (10 * i)), units[i]);
}

/* ---------------------------------------------------------------- image dump */

static void hmp_dump_value(Monitor *mon, int indent, json_t *v);

static bool json_is_composite(json_t *v)
{
    return json_is_object(v) || json_is_array(v);
}

static void hmp_dump_scalar(Monitor *mon, json_t *v)
{
    if (json_is_string(v)) {
        monitor_printf(mon, "%s", json_string_value(v));
    } else if (json_is_boolean(v)) {
        monitor_printf(mon, "%s", json_is_true(v) ? "true" : "false");
    } else if (json_is_integer(v)) {
        monitor_printf(mon, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        monitor_printf(mon, "%.17g", json_real_value(v));
    } else if (json_is_null(v)) {
        monitor_printf(mon, "null");
    }
}

/* Members as "key with spaces: value", nested values one level deeper. */
static void hmp_dump_object(Monitor *mon, int indent, json_t *o)
{
    const char *key;
    json_t *v;

    json_object_foreach(o, key, v)
    {
        g_autofree char *name = g_strdup(key);

        g_strdelimit(name, "-", ' ');
        monitor_printf(mon, "%*s%s:%c", indent * 4, "", name, json_is_composite(v) ? '\n' : ' ');
        hmp_dump_value(mon, indent + 1, v);
    }
}

static void hmp_dump_array(Monitor *mon, int indent, json_t *a)
{
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);

        monitor_printf(mon, "%*s[%zu]:%c", indent * 4, "", i, json_is_composite(v) ? '\n' : ' ');
        hmp_dump_value(mon, indent + 1, v);
    }
}

static void hmp_dump_value(Monitor *mon, int indent, json_t *v)
{
    if (json_is_object(v)) {
        hmp_dump_object(mon, indent, v);
    } else if (json_is_array(v)) {
        hmp_dump_array(mon, indent, v);
    } else {
        hmp_dump_scalar(mon, v);
        monitor_printf(mon, "\n");
    }
}

/* The format-specific part, members in the order QEMU's QDict yields. */
static void hmp_dump_specific(Monitor *mon, ImageInfoSpecific *spec)
{
    json_t *j = qapi_to_json_ImageInfoSpecific(spec);
    json_t *data = json_object_get(j, "data");
    json_t *ordered = qapi_json_qdict_order(data ? data : j);

    monitor_printf(mon, "Format specific information:\n");
    hmp_dump_object(mon, 1, ordered);
    json_decref(ordered);
    json_decref(j);
}

static void hmp_dump_image_info(Monitor *mon, ImageInfo *info)
{
    g_autofree char *vsize = hmp_size_str(info->virtual_size);
    g_autofree char *dsize =
        info->has_actual_size ? hmp_size_str(info->actual_size) : g_strdup("unavailable");

    monitor_printf(mon, "image: %s\nfile format: %s\nvirtual size: %s (%" PRId64 " bytes)\n",
                   info->filename, info->format, vsize, info->virtual_size);
    monitor_printf(mon, "disk size: %s\n", dsize);
    if (info->has_encrypted && info->encrypted) {
        monitor_printf(mon, "encrypted: yes\n");
    }
    if (info->has_cluster_size) {
        monitor_printf(mon, "cluster_size: %" PRId64 "\n", info->cluster_size);
    }
    if (info->has_dirty_flag && info->dirty_flag) {
        monitor_printf(mon, "cleanly shut down: no\n");
    }
    if (info->has_backing_filename) {
        monitor_printf(mon, "backing file: %s", info->backing_filename);
        if (!info->has_full_backing_filename) {
            monitor_printf(mon, " (cannot determine actual path)");
        } else if (strcmp(info->backing_filename, info->full_backing_filename)) {
            monitor_printf(mon, " (actual path: %s)", info->full_backing_filename);
        }
        monitor_printf(mon, "\n");
        if (info->has_backing_filename_format) {
            monitor_printf(mon, "backing file format: %s\n", info->backing_filename_format);
        }
    }
    if (info->has_format_specific) {
        hmp_dump_specific(mon, info->format_specific);
    }
}

/* ---------------------------------------------------------------- info block */

/* One backend (info != NULL) or one node (info == NULL). */
static void hmp_print_block_info(Monitor *mon, BlockInfo *info, BlockDeviceInfo *inserted,
                                 bool verbose)
{
    if (info) {
        monitor_printf(mon, "%s", info->device);
        if (inserted && inserted->has_node_name) {
            monitor_printf(mon, " (%s)", inserted->node_name);
        }
    } else {
        monitor_printf(mon, "%s", inserted->node_name);
    }
    if (inserted) {
        monitor_printf(mon, ": %s (%s%s%s)\n", inserted->file, inserted->drv,
                       inserted->ro ? ", read-only" : "", inserted->encrypted ? ", encrypted" : "");
    } else {
        monitor_printf(mon, ": [not inserted]\n");
    }
    if (info) {
        if (info->has_qdev) {
            monitor_printf(mon, "    Attached to:      %s\n", info->qdev);
        }
        if (info->has_io_status && info->io_status != BLOCK_DEVICE_IO_STATUS_OK) {
            monitor_printf(mon, "    I/O status:       %s\n",
                           BlockDeviceIoStatus_str(info->io_status));
        }
        if (info->removable) {
            monitor_printf(mon, "    Removable device: %slocked, tray %s\n",
                           info->locked ? "" : "not ",
                           info->has_tray_open && info->tray_open ? "open" : "closed");
        }
    }
    if (!inserted) {
        return;
    }
    monitor_printf(mon, "    Cache mode:       %s%s%s\n",
                   inserted->cache->writeback ? "writeback" : "writethrough",
                   inserted->cache->direct ? ", direct" : "",
                   inserted->cache->no_flush ? ", ignore flushes" : "");
    if (inserted->has_backing_file) {
        monitor_printf(mon, "    Backing file:     %s (chain depth: %" PRId64 ")\n",
                       inserted->backing_file, inserted->backing_file_depth);
    }
    if (inserted->detect_zeroes != BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF) {
        monitor_printf(mon, "    Detect zeroes:    %s\n",
                       BlockdevDetectZeroesOptions_str(inserted->detect_zeroes));
    }
    if (verbose) {
        monitor_printf(mon, "\nImages:\n");
        for (ImageInfo *image = inserted->image; image;
             image = image->has_backing_image ? image->backing_image : NULL) {
            hmp_dump_image_info(mon, image);
        }
    }
}

static void hmp_info_block(Monitor *mon, const json_t *args)
{
    bool nodes = hmp_arg_bool(args, "nodes", false);
    bool verbose = hmp_arg_bool(args, "verbose", false);
    const char *device = hmp_arg_str(args, "device");
    BlockInfoList *block_list = NULL;
    BlockDeviceInfoList *node_list;
    bool printed = false;

    if (!nodes) {
        block_list = qmp_query_block(NULL);
        for (BlockInfoList *l = block_list; l; l = l->next) {
            if (device && strcmp(device, l->value->device)) {
                continue;
            }
            if (l != block_list) {
                monitor_printf(mon, "\n");
            }
            hmp_print_block_info(mon, l->value, l->value->has_inserted ? l->value->inserted : NULL,
                                 verbose);
            printed = true;
        }
        qapi_free_BlockInfoList(block_list);
    }
    /* Nodes are listed with -n, or when a name matched no device.  The
     * separating blank line goes by list position, as QEMU's does. */
    if ((!nodes && !device) || printed) {
        return;
    }
    node_list = qmp_query_named_block_nodes(false, false, NULL);
    for (BlockDeviceInfoList *l = node_list; l; l = l->next) {
        if (device && strcmp(device, l->value->node_name)) {
            continue;
        }
        if (l != node_list) {
            monitor_printf(mon, "\n");
        }
        hmp_print_block_info(mon, NULL, l->value, verbose);
    }
    qapi_free_BlockDeviceInfoList(node_list);
}

static void hmp_info_blockstats(Monitor *mon, const json_t *args)
{
    BlockStatsList *list = qmp_query_blockstats(false, false, NULL);

    for (BlockStatsList *l = list; l; l = l->next) {
        BlockDeviceStats *s = l->value->stats;

        if (!l->value->has_device) {
            continue;
        }
        monitor_printf(mon, "%s:", l->value->device);
        monitor_printf(
            mon,
            " rd_bytes=%" PRId64 " wr_bytes=%" PRId64 " rd_operations=%" PRId64
            " wr_operations=%" PRId64 " flush_operations=%" PRId64 " wr_total_time_ns=%" PRId64
            " rd_total_time_ns=%" PRId64 " flush_total_time_ns=%" PRId64 " rd_merged=%" PRId64
            " wr_merged=%" PRId64 " idle_time_ns=%" PRId64 "\n",
            s->rd_bytes, s->wr_bytes, s->rd_operations, s->wr_operations, s->flush_operations,
            s->wr_total_time_ns, s->rd_total_time_ns, s->flush_total_time_ns, s->rd_merged,
            s->wr_merged, s->has_idle_time_ns ? s->idle_time_ns : 0);
    }
    qapi_free_BlockStatsList(list);
}

/* ---------------------------------------------------------------- commands */

static void hmp_block_resize(Monitor *mon, const json_t *args)
{
    Error *err = NULL;

    qmp_block_resize(true, hmp_arg_str(args, "device"), false, NULL, hmp_arg_int(args, "size", 0),
                     &err);
    hmp_handle_error(mon, err);
}

/* ---------------------------------------------------------------- tables */

const HMPCommand hmp_cmds_block[] = {
    {"block_resize", "device:B,size:o", "device size", "resize a block image", hmp_block_resize},
    {NULL},
};

const HMPCommand hmp_info_cmds_block[] = {
    {"block", "nodes:-n,verbose:-v,device:B?", "[-n] [-v] [device]",
     "show info of one block device or all block devices (-n: show named nodes; -v: show "
     "details)",
     hmp_info_block},
    {"blockstats", "", "", "show block device statistics", hmp_info_blockstats},
    {NULL},
};
