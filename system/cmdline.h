/*
 * The minivm command line: QEMU 7.2's option set (the subset a management
 * tool uses) parsed into a VmConfig.  Parsing only records and validates;
 * nothing is created here (system/main.c builds the VM from the VmConfig).
 */
#ifndef SYSTEM_CMDLINE_H
#define SYSTEM_CMDLINE_H

#include <jansson.h>

#include "util/error.h"

/*
 * One monitor to create, in command-line order (-mon, -qmp, -qmp-pretty,
 * -monitor).  For -qmp/-monitor, 'compat_spec' is the compact chardev syntax
 * ("unix:/p,server=on,wait=off", "stdio", ...) and chardev_id is
 * "compat_monitorN" (N counts -qmp/-qmp-pretty/-monitor options from 0):
 * main creates that chardev with chardev_new_compat(chardev_id, compat_spec),
 * then the monitor on it.  compat_spec is NULL for -mon and for
 * "-qmp chardev:ID"; chardev_id then names a -chardev.  "-monitor none"
 * adds no entry (it only suppresses the default monitor).
 */
typedef struct MonitorConfig {
    char *id; /* -mon id=..., else NULL */
    char *chardev_id;
    char *compat_spec; /* NULL for -mon */
    bool qmp;          /* mode=control (QMP) vs mode=readline (HMP) */
    bool pretty;
} MonitorConfig;

typedef struct SmpConfig {
    /* All filled in after parsing (omitted ones derived as QEMU 7.2 does):
     * sockets * dies * cores * threads == maxcpus >= cpus >= 1. */
    unsigned cpus, sockets, dies, cores, threads, maxcpus;
} SmpConfig;

typedef struct VmConfig {
    /* -machine TYPE,key=val (later -machine options merge, later keys win).
     * machine_type is the canonical name: "pc-i440fx-7.2" (also for the
     * alias "pc", the default) or "none".  machine_opts holds the remaining
     * machine properties as strings (usb, dump-guest-core, memory-backend,
     * hpet, ...); type, accel, smp, memory, boot, kernel, initrd, append and
     * firmware are moved to their own members below. */
    char *machine_type;
    json_t *machine_opts;

    /* Accelerators in order of preference ("kvm", "qtest", "tcg"), from
     * -accel, -machine accel=a:b, -enable-kvm; without any of them "qtest"
     * when -qtest is given, else "kvm".  Never empty after parsing.
     * accel_opts[i] is a JSON object of the -accel options for accels[i]
     * (without the "accel" key; empty for the other sources). */
    GPtrArray *accels;     /* char * */
    GPtrArray *accel_opts; /* json_t * */
    bool accel_given;

    /* -m [size=]N[,slots=N,maxmem=N]; bytes, default 128 MiB */
    uint64_t ram_size;
    uint64_t maxmem; /* 0: not given */
    unsigned ram_slots;

    SmpConfig smp;   /* default 1 cpu */
    char *cpu_model; /* -cpu, NULL: default */

    /* -kernel/-initrd/-append, -bios, -L (list), -k */
    char *kernel, *initrd, *append, *bios, *keyboard_layout;
    GPtrArray *firmware_dirs; /* char * */

    /* Each a list of json_t * objects, in command-line order.
     *   drives:    -drive, -hda/-hdb/-hdc/-hdd/-cdrom (flat strings, as
     *              opts_parse(); shorthands become {"file":F,"index":"N",
     *              "media":"disk"|"cdrom"})
     *   blockdevs: -blockdev (keyval_parse(), or JSON)
     *   devices:   -device ({"driver": ...}, keyval or JSON)
     *   chardevs:  -chardev (flat strings with "backend" and "id")
     *   objects:   -object ({"qom-type":..., "id":...}, keyval or JSON)
     *   globals:   -global ({"driver","property","value"})
     *   audiodevs: -audiodev ({"driver":..., "id":...}; accepted, unused)
     * Values of the flat/keyval forms are strings; the JSON forms
     * ('{...}') keep their JSON types, so consumers convert with the QAPI
     * input in keyval mode or in JSON mode accordingly (an argument starting
     * with '{' was JSON). */
    GPtrArray *drives, *blockdevs, *devices, *chardevs, *objects, *globals, *audiodevs;

    GPtrArray *monitors; /* MonitorConfig * */
    /* char *: -serial specs as given (compact syntax), one per serial
     * port in order; "-serial none" adds nothing. */
    GPtrArray *serials;

    char *qtest;     /* -qtest chardev spec */
    char *qtest_log; /* -qtest-log file */

    bool start_paused;   /* -S */
    bool no_shutdown;    /* -no-shutdown */
    bool no_reboot;      /* -no-reboot */
    bool daemonize;      /* -daemonize */
    bool nodefaults;     /* -nodefaults */
    bool no_user_config; /* -no-user-config */
    bool nographic;      /* -nographic */
    bool snapshot;       /* -snapshot */
    bool no_hpet;        /* -no-hpet */
    bool display_none;   /* -display none (the only display accepted) */
    bool vga_none;       /* -vga none (the only vga accepted) */
    /* Set after parsing: QEMU would create its default monitor (no
     * -monitor/-qmp/-mon, including "-monitor none") resp. default serial
     * port (no -serial, including "-serial none", and no -device isa-serial),
     * and there is no -nodefaults. */
    bool default_monitor, default_serial;

    char *pidfile;

    /* -name [guest=]NAME[,debug-threads=on][,process=P] */
    char *name;
    char *process_name;
    bool debug_threads;

    uint8_t uuid[16]; /* -uuid */
    bool uuid_set;

    bool msg_timestamp; /* -msg timestamp=on */

    /* -overcommit mem-lock=on|off,cpu-pm=on|off */
    bool mem_lock, cpu_pm;

    /* -rtc: the values as given, NULL when absent */
    char *rtc_base, *rtc_clock, *rtc_driftfix;

    /* -boot [order=]X,once=,menu=,strict=,reboot-timeout=,splash-time= ;
     * boot_opts keeps every given key (strings), merged. */
    json_t *boot_opts;

    json_t *sandbox_opts; /* -sandbox on|off,...: stored, NULL when absent */

    char *log_items; /* -d */
    char *log_file;  /* -D */

    /*
     * A help or version request (-version, -help, -machine help,
     * -device help, -drive format=help, -accel help, ...): the text to print
     * to stdout, after which the program exits 0.  As in QEMU, -version,
     * -help, -machine help and -accel help end parsing at once; the other
     * requests let parsing go on, so a later invalid option still fails
     * (but the configuration as a whole is not checked).
     */
    char *exit_text;

    /* Private: item -> "-option arg" text, see vmconfig_location(). */
    GHashTable *locations;
} VmConfig;

/*
 * Parses argv[1..argc-1] into *cfg (which this initializes; call
 * vmconfig_free() afterwards even on failure).  Options take one or two
 * leading dashes.  Errors carry QEMU's texts with QEMU's location prefix,
 * e.g. "-m foo: Parameter 'size' expects a non-negative number below 2^64",
 * "-foo: invalid option", "-m: requires an argument"; the caller prints them
 * with error_report_err() (which adds "minivm: ").
 */
bool cmdline_parse(int argc, char **argv, VmConfig *cfg, Error **errp);

void vmconfig_free(VmConfig *cfg);

/*
 * The command-line text an item of one of the lists came from, e.g.
 * "-chardev socket,id=x,path=/p" for an element of cfg->chardevs (also for
 * MonitorConfig and -serial entries), or NULL.  Errors found when main
 * creates the item carry it as QEMU's location prefix:
 *   error_prepend(errp, "%s: ", vmconfig_location(cfg, item));
 */
const char *vmconfig_location(const VmConfig *cfg, const void *item);

/* For tests and -help: the option table. */
typedef struct CmdlineOption CmdlineOption;
size_t cmdline_option_count(void);
const char *cmdline_option_name(size_t i);
bool cmdline_option_has_arg(size_t i);

#endif
