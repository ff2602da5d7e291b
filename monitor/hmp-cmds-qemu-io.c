/*
 * HMP "qemu-io [-d] DEVICE "COMMAND"": one qemu-io command (tools/qemu-io.h)
 * on a running VM's block device.
 *
 * DEVICE is a backend name (-drive id=) or, failing that, a node name, for
 * which a temporary backend is made that takes no permissions and shares
 * all (commands ask for what they need).  With -d it is the ID of the
 * guest device instead.  Requests an aio_ command starts on a named backend
 * run on after the command returns (tests write while a block job runs);
 * on a temporary backend they are waited for, since it goes away.
 *
 * QEMU 7.2 prints qemu-io's output on its own stdout/stderr; minivm prints
 * it on the monitor, so human-monitor-command returns it.  What completes
 * after the command has returned is not printed anywhere.
 */
#include "util/osdep.h"

#include "block/block-backend.h"
#include "monitor/hmp.h"
#include "tools/qemu-io.h"

static void hmp_qemu_io_sink(void *opaque, QemuIOStream stream, const char *text)
{
    monitor_puts(opaque, text);
}

/* The backend of the guest device whose ID is 'id'. */
static BlockBackend *hmp_qemu_io_blk_by_qdev(const char *id, Error **errp)
{
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        const char *dev = blk_get_attached_dev_id(blk);

        if (dev && !strcmp(dev, id)) {
            return blk;
        }
    }
    error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", id);
    return NULL;
}

static void hmp_qemu_io(Monitor *mon, const json_t *args)
{
    const char *device = hmp_arg_str(args, "device");
    const char *command = hmp_arg_str(args, "command");
    BlockBackend *blk, *local_blk = NULL;
    Error *err = NULL;

    if (hmp_arg_bool(args, "qdev", false)) {
        blk = hmp_qemu_io_blk_by_qdev(device, &err);
    } else {
        blk = blk_by_name(device);
        if (!blk) {
            BlockDriverState *bs = bdrv_lookup_bs(NULL, device, &err);

            if (bs) {
                blk = local_blk = blk_new(0, BLK_PERM_ALL);
                if (!blk_insert_bs(blk, bs, &err)) {
                    blk = NULL;
                }
            }
        }
    }
    if (blk) {
        QemuIOSession *s = qemuio_session_new(hmp_qemu_io_sink, mon, NULL);

        qemuio_session_set_blk(s, blk);
        qemuio_command(s, command);
        qemuio_session_free(s);
    }
    if (local_blk) {
        blk_drain(local_blk);
        blk_unref(local_blk);
    }
    hmp_handle_error(mon, err);
}

const HMPCommand hmp_cmds_qemu_io[] = {
    {"qemu-io", "qdev:-d,device:B,command:s", "[-d] [device] \"[command]\"",
     "run a qemu-io command on a block device\n\t\t\t-d: [device] is a device ID rather than a "
     "drive ID or node name",
     hmp_qemu_io},
    {NULL},
};
