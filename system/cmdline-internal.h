/*
 * Shared between the system/cmdline*.c files only.
 */
#ifndef SYSTEM_CMDLINE_INTERNAL_H
#define SYSTEM_CMDLINE_INTERNAL_H

#include "system/cmdline.h"
#include "system/opts.h"

typedef struct CmdlineState {
    VmConfig *cfg;
    /* The option being handled, as typed ("-m", "--machine"), and its
     * argument (NULL for flags): the location prefix of its errors. */
    const char *optname;
    const char *optarg;
    const CmdlineOption *opt;
    /* Set by a handler whose error QEMU reports without a location. */
    bool no_location;
    /* -help / -version: stop at once. */
    bool stop;

    /* -machine (merged, nested: smp, memory, boot are objects) */
    json_t *machine;
    /* -accel given (as opposed to -machine accel= / -enable-kvm) */
    bool accel_option;
    /* -m, merged */
    json_t *memory;
    /* -name, -rtc, merged */
    json_t *name, *rtc;
    /* -qmp/-monitor counter for the compat_monitorN labels */
    unsigned monitor_index;
    /* ids already used, per QemuOpts-style list ("drive", "chardev", ...) */
    GHashTable *ids;
    /* -monitor none / -serial none count as given */
    bool monitor_given, serial_given;
} CmdlineState;

typedef bool CmdlineHandler(CmdlineState *st, const char *arg, Error **errp);

struct CmdlineOption {
    const char *name;
    const char *argname; /* NULL: the option takes no argument */
    CmdlineHandler *handler;
    /* For the generic handlers: the VmConfig member (bool for flags,
     * char * for strings) they set. */
    size_t offset;
    const char *help;
};

/* Records where an item came from (the current option). */
void cmdline_note_location(CmdlineState *st, const void *item);
/* "help" or "?", QEMU's help requests. */
bool cmdline_is_help(const char *arg);
/* Sets cfg->exit_text unless an earlier help request already did. */
void cmdline_set_exit_text(CmdlineState *st, char *text);
/* QemuOpts' checks on "id": well-formed, and unique within 'list'. */
bool cmdline_check_id(CmdlineState *st, json_t *opts, const char *list, Error **errp);
/* Merges src into dst, recursing into objects (later keys win). */
void cmdline_json_merge(json_t *dst, json_t *src);

/* The option table (cmdline.c). */
extern const CmdlineOption cmdline_options[];
extern const size_t cmdline_options_count;

/* cmdline-machine.c: -machine, -accel, -m, -smp and their post-checks. */
CmdlineHandler cmdline_opt_machine, cmdline_opt_accel, cmdline_opt_enable_kvm, cmdline_opt_m,
    cmdline_opt_smp, cmdline_opt_kernel, cmdline_opt_initrd, cmdline_opt_append, cmdline_opt_bios,
    cmdline_opt_boot;
bool cmdline_finish_machine(CmdlineState *st, Error **errp);

/* cmdline-devices.c: the options that create backends and devices. */
CmdlineHandler cmdline_opt_drive, cmdline_opt_hda, cmdline_opt_hdb, cmdline_opt_hdc,
    cmdline_opt_hdd, cmdline_opt_cdrom, cmdline_opt_blockdev, cmdline_opt_device,
    cmdline_opt_chardev, cmdline_opt_object, cmdline_opt_global, cmdline_opt_audiodev,
    cmdline_opt_mon, cmdline_opt_qmp, cmdline_opt_qmp_pretty, cmdline_opt_monitor,
    cmdline_opt_serial;
/* A bare argument (not an option): a disk image for IDE disk 0. */
bool cmdline_add_disk_image(CmdlineState *st, const char *file, Error **errp);

/* cmdline-help.c: the texts printed for help and version requests. */
char *cmdline_help_usage(void);
char *cmdline_help_version(void);
char *cmdline_help_machines(void);
char *cmdline_help_devices(void);
char *cmdline_help_drive_formats(void);
char *cmdline_help_accels(void);
char *cmdline_help_chardevs(void);
char *cmdline_help_objects(void);
char *cmdline_help_displays(void);
char *cmdline_help_vga(void);

/* The machine types: canonical name, or NULL if unknown. */
const char *cmdline_machine_resolve(const char *name);

#endif
