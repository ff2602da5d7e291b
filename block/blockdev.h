/*
 * The command line's block options: -drive (a backend with its node tree
 * and the legacy interface/bus/unit placement a machine turns into devices)
 * and -blockdev (a node, as blockdev-add), and the teardown at exit.
 */
#ifndef BLOCK_BLOCKDEV_H
#define BLOCK_BLOCKDEV_H

#include <jansson.h>

#include "block/block-backend.h"

/* -drive if=...; names and per-bus unit counts as QEMU's. */
typedef enum BlockInterfaceType {
    IF_NONE,
    IF_IDE,
    IF_SCSI,
    IF_FLOPPY,
    IF_PFLASH,
    IF_MTD,
    IF_SD,
    IF_VIRTIO,
    IF_XEN,
    IF_COUNT,
} BlockInterfaceType;

/* Where a -drive goes (for the machine), and its device-level options. */
typedef struct DriveInfo {
    char *id;
    BlockInterfaceType type;
    int bus, unit;
    int index;     /* as given, -1 if not */
    bool media_cd; /* media=cdrom */
    bool claimed;  /* a device took it (machine's business) */
    char *addr;    /* addr= (PCI address for if=virtio), or NULL */
    BlockdevOnError on_read_error, on_write_error;
    BlockBackend *blk;
} DriveInfo;

/*
 * Creates what one -drive option describes.  'opts' is the flat object of
 * opts_parse() (every value a string).  QEMU's keys: file, format, if, bus,
 * unit, index, media, id, cache, aio, readonly/read-only, werror, rerror,
 * discard, detect-zeroes, node-name, auto-read-only, force-share, cache.*,
 * stats-account-invalid/-failed, and any driver option as given (format
 * options at the top, protocol options as "file.<key>").  Without a file
 * the backend is empty (a removable drive).  Errors carry QEMU's texts; the
 * caller adds the "-drive ...: " location.  default_if is the machine's
 * default interface (IF_NONE for -machine none, IF_IDE for pc).
 */
BlockBackend *drive_new(json_t *opts, BlockInterfaceType default_if, Error **errp);

const char *block_if_name(BlockInterfaceType type);
DriveInfo *blk_legacy_dinfo(BlockBackend *blk);
DriveInfo *drive_get(BlockInterfaceType type, int bus, int unit);
/* Iterates the -drive entries in command-line order; start with NULL. */
DriveInfo *drive_next(DriveInfo *dinfo);

/*
 * Creates the node one -blockdev option describes: 'opts' from
 * keyval_parse() (string leaves) or from JSON (typed values), with
 * blockdev-add's rules ("'node-name' must be specified for the root node").
 */
bool blockdev_add_cmdline(json_t *opts, Error **errp);
/*
 * The same, told the syntax: key=value text (keyval, every leaf a string
 * to convert) or JSON text (typed: "read-only": "on" is refused).  The
 * guess above cannot tell a JSON object of strings from keyval.
 */
bool blockdev_add_cmdline_from(json_t *opts, bool keyval, Error **errp);

/*
 * At exit: drains and flushes everything, then releases the backends
 * created from the command line and the nodes the monitor owns, so formats
 * write their metadata back (qcow2 clears its dirty flag).
 */
void blockdev_close_all(void);

#endif
