/*
 * The command-line driver: the option table, the argv walk, and the options
 * that only record a setting.  Machine, memory, CPU and accelerator options
 * live in cmdline-machine.c, backends and devices in cmdline-devices.c, help
 * texts in cmdline-help.c.
 */
#include "system/cmdline-internal.h"

#include <ctype.h>
#include <stdio.h>

/* ---- helpers shared by the cmdline files ---- */

void cmdline_note_location(CmdlineState *st, const void *item)
{
    char *text =
        st->optarg ? g_strdup_printf("%s %s", st->optname, st->optarg) : g_strdup(st->optname);

    g_hash_table_insert(st->cfg->locations, (gpointer)item, text);
}

bool cmdline_is_help(const char *arg)
{
    return arg && (!strcmp(arg, "help") || !strcmp(arg, "?"));
}

void cmdline_set_exit_text(CmdlineState *st, char *text)
{
    if (st->cfg->exit_text) {
        g_free(text);
        return;
    }
    st->cfg->exit_text = text;
}

static bool cmdline_id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(*id)) {
        return false;
    }
    for (const char *s = id + 1; *s; s++) {
        if (!g_ascii_isalnum(*s) && !strchr("-._", *s)) {
            return false;
        }
    }
    return true;
}

bool cmdline_check_id(CmdlineState *st, json_t *opts, const char *list, Error **errp)
{
    const char *id = opts_get_str(opts, "id");

    if (!id) {
        return true;
    }
    if (!cmdline_id_wellformed(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        error_append_hint(errp, "Identifiers consist of letters, digits, '-', '.', '_', "
                                "starting with a letter.\n");
        return false;
    }
    if (list) {
        char *key = g_strdup_printf("%s\n%s", list, id);

        if (g_hash_table_contains(st->ids, key)) {
            error_setg(errp, "Duplicate ID '%s' for %s", id, list);
            g_free(key);
            return false;
        }
        g_hash_table_add(st->ids, key);
    }
    return true;
}

void cmdline_json_merge(json_t *dst, json_t *src)
{
    const char *key;
    json_t *val;

    json_object_foreach(src, key, val)
    {
        json_t *old = json_object_get(dst, key);

        if (json_is_object(old) && json_is_object(val)) {
            cmdline_json_merge(old, val);
        } else {
            json_object_set(dst, key, val);
        }
    }
}

/* ---- generic handlers, driven by CmdlineOption.offset ---- */

static bool cmdline_opt_flag(CmdlineState *st, const char *arg, Error **errp)
{
    *(bool *)((char *)st->cfg + st->opt->offset) = true;
    return true;
}

static bool cmdline_opt_string(CmdlineState *st, const char *arg, Error **errp)
{
    char **field = (char **)((char *)st->cfg + st->opt->offset);

    g_free(*field);
    *field = g_strdup(arg);
    return true;
}

/* ---- help and version ---- */

static bool cmdline_opt_help(CmdlineState *st, const char *arg, Error **errp)
{
    g_free(st->cfg->exit_text);
    st->cfg->exit_text = cmdline_help_usage();
    st->stop = true;
    return true;
}

static bool cmdline_opt_version(CmdlineState *st, const char *arg, Error **errp)
{
    g_free(st->cfg->exit_text);
    st->cfg->exit_text = cmdline_help_version();
    st->stop = true;
    return true;
}

/* ---- display ---- */

static bool cmdline_opt_nographic(CmdlineState *st, const char *arg, Error **errp)
{
    st->cfg->nographic = true;
    st->cfg->display_none = true;
    return true;
}

/* Display back-ends QEMU has and minivm has not. */
static const char *const cmdline_qemu_displays[] = {
    "gtk", "sdl", "egl-headless", "curses", "cocoa", "dbus", "spice-app", "vnc", NULL,
};

static bool cmdline_opt_display(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts;
    const char *type;
    const char *key;
    json_t *val;

    if (cmdline_is_help(arg)) {
        cmdline_set_exit_text(st, cmdline_help_displays());
        return true;
    }
    opts = keyval_parse(arg, "type", errp);
    if (!opts) {
        return false;
    }
    type = opts_get_str(opts, "type");
    if (!type) {
        error_setg(errp, "Parameter 'type' is missing");
        goto fail;
    }
    if (strcmp(type, "none") != 0) {
        if (g_strv_contains(cmdline_qemu_displays, type)) {
            error_setg(errp, "minivm has no display; only '-display none' is supported");
        } else {
            error_setg(errp, "Parameter 'type' does not accept value '%s'", type);
        }
        goto fail;
    }
    json_object_foreach(opts, key, val)
    {
        if (strcmp(key, "type") != 0) {
            error_setg(errp, "Parameter '%s' is unexpected", key);
            goto fail;
        }
    }
    json_decref(opts);
    st->cfg->display_none = true;
    return true;

fail:
    json_decref(opts);
    return false;
}

static const char *const cmdline_qemu_vga_types[] = {
    "std", "cirrus", "vmware", "qxl", "xenfb", "tcx", "cg3", "virtio", NULL,
};

static bool cmdline_opt_vga(CmdlineState *st, const char *arg, Error **errp)
{
    if (cmdline_is_help(arg)) {
        cmdline_set_exit_text(st, cmdline_help_vga());
        return true;
    }
    if (!strcmp(arg, "none")) {
        st->cfg->vga_none = true;
        return true;
    }
    if (g_strv_contains(cmdline_qemu_vga_types, arg)) {
        error_setg(errp, "minivm has no display; only '-vga none' is supported");
        return false;
    }
    st->no_location = true;
    error_setg(errp, "unknown vga type: %s", arg);
    return false;
}

/* ---- identity ---- */

static bool cmdline_opt_name(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"guest", "process", "debug-threads", NULL};
    json_t *opts = opts_parse(arg, "guest", errp);
    bool dummy;

    if (!opts_check_keys(opts, keys, errp) ||
        !opts_get_bool(opts, "debug-threads", false, &dummy, errp)) {
        json_decref(opts);
        return false;
    }
    cmdline_json_merge(st->name, opts);
    json_decref(opts);
    return true;
}

static int cmdline_hexval(char c)
{
    return g_ascii_isdigit(c) ? c - '0' : g_ascii_tolower(c) - 'a' + 10;
}

static bool cmdline_opt_uuid(CmdlineState *st, const char *arg, Error **errp)
{
    /* 8-4-4-4-12 hex digits */
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    uint8_t *uuid = st->cfg->uuid;
    size_t n = 0;

    if (strlen(arg) != strlen(pattern)) {
        goto bad;
    }
    for (size_t i = 0; pattern[i]; i++) {
        if (pattern[i] == '-' ? arg[i] != '-' : !g_ascii_isxdigit(arg[i])) {
            goto bad;
        }
    }
    for (size_t i = 0; arg[i]; i++) {
        if (arg[i] == '-') {
            continue;
        }
        uuid[n / 2] = (uint8_t)((uuid[n / 2] << 4) | cmdline_hexval(arg[i]));
        n++;
    }
    st->cfg->uuid_set = true;
    return true;

bad:
    error_setg(errp, "failed to parse UUID string: wrong format");
    return false;
}

/* ---- misc settings ---- */

static bool cmdline_opt_msg(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"timestamp", "guest-name", NULL};
    json_t *opts = opts_parse(arg, NULL, errp);
    bool ok, dummy;

    ok = opts_check_keys(opts, keys, errp) &&
         opts_get_bool(opts, "timestamp", st->cfg->msg_timestamp, &st->cfg->msg_timestamp, errp) &&
         opts_get_bool(opts, "guest-name", false, &dummy, errp);
    json_decref(opts);
    return ok;
}

static bool cmdline_opt_overcommit(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"mem-lock", "cpu-pm", NULL};
    json_t *opts = opts_parse(arg, NULL, errp);
    bool ok;

    ok = opts_check_keys(opts, keys, errp) &&
         opts_get_bool(opts, "mem-lock", st->cfg->mem_lock, &st->cfg->mem_lock, errp) &&
         opts_get_bool(opts, "cpu-pm", st->cfg->cpu_pm, &st->cfg->cpu_pm, errp);
    json_decref(opts);
    return ok;
}

static bool cmdline_opt_rtc(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"base", "clock", "driftfix", NULL};
    json_t *opts = opts_parse(arg, NULL, errp);

    if (!opts_check_keys(opts, keys, errp)) {
        json_decref(opts);
        return false;
    }
    cmdline_json_merge(st->rtc, opts);
    json_decref(opts);
    return true;
}

/* QEMU validates -rtc values once all options are in, without a location. */
static bool cmdline_finish_rtc(CmdlineState *st, Error **errp)
{
    static const char *const clocks[] = {"host", "rt", "vm", NULL};
    static const char *const driftfixes[] = {"none", "slew", NULL};
    const char *base = opts_get_str(st->rtc, "base");
    const char *clock = opts_get_str(st->rtc, "clock");
    const char *driftfix = opts_get_str(st->rtc, "driftfix");
    VmConfig *cfg = st->cfg;

    if (base && strcmp(base, "utc") != 0 && strcmp(base, "localtime") != 0) {
        int y, m, d;

        if (sscanf(base, "%d-%d-%d", &y, &m, &d) != 3) {
            error_setg(errp, "invalid datetime format");
            error_append_hint(errp, "valid formats: '2006-06-17T16:01:21' or '2006-06-17'\n");
            return false;
        }
    }
    if (clock && !g_strv_contains(clocks, clock)) {
        error_setg(errp, "invalid option value '%s'", clock);
        return false;
    }
    if (driftfix && !g_strv_contains(driftfixes, driftfix)) {
        error_setg(errp, "invalid option value '%s'", driftfix);
        return false;
    }
    cfg->rtc_base = g_strdup(base);
    cfg->rtc_clock = g_strdup(clock);
    cfg->rtc_driftfix = g_strdup(driftfix);
    return true;
}

static const struct {
    const char *key;
    const char *const values[4];
} cmdline_sandbox_keys[] = {
    {"obsolete", {"allow", "deny"}},
    {"elevateprivileges", {"allow", "deny", "children"}},
    {"spawn", {"allow", "deny"}},
    {"resourcecontrol", {"allow", "deny"}},
};

static bool cmdline_opt_sandbox(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"enable", "obsolete",        "elevateprivileges",
                                       "spawn",  "resourcecontrol", NULL};
    json_t *opts = opts_parse(arg, "enable", errp);
    bool enable;

    if (!opts_check_keys(opts, keys, errp) ||
        !opts_get_bool(opts, "enable", false, &enable, errp)) {
        goto fail;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cmdline_sandbox_keys); i++) {
        const char *v = opts_get_str(opts, cmdline_sandbox_keys[i].key);
        bool ok = !v;

        for (size_t j = 0; v && cmdline_sandbox_keys[i].values[j]; j++) {
            ok |= !strcmp(v, cmdline_sandbox_keys[i].values[j]);
        }
        if (!ok) {
            error_setg(errp, "invalid argument for %s", cmdline_sandbox_keys[i].key);
            goto fail;
        }
    }
    json_decref(st->cfg->sandbox_opts);
    st->cfg->sandbox_opts = opts;
    return true;

fail:
    json_decref(opts);
    return false;
}

static bool cmdline_opt_firmware_dir(CmdlineState *st, const char *arg, Error **errp)
{
    g_ptr_array_add(st->cfg->firmware_dirs, g_strdup(arg));
    return true;
}

/* ---- the table ---- */

#define FLAG(n, member, h)                                                                         \
    {                                                                                              \
        n, NULL, cmdline_opt_flag, offsetof(VmConfig, member), h                                   \
    }
#define STR(n, a, member, h)                                                                       \
    {                                                                                              \
        n, a, cmdline_opt_string, offsetof(VmConfig, member), h                                    \
    }
#define OPT(n, a, fn, h)                                                                           \
    {                                                                                              \
        n, a, fn, 0, h                                                                             \
    }

const CmdlineOption cmdline_options[] = {
    OPT("h", NULL, cmdline_opt_help, "display this help and exit"),
    OPT("help", NULL, cmdline_opt_help, "display this help and exit"),
    OPT("version", NULL, cmdline_opt_version, "display version information and exit"),

    OPT("machine", "[type=]name[,prop=value,...]", cmdline_opt_machine,
        "select the machine ('-machine help' for a list); accel=kvm|qtest selects the "
        "accelerator"),
    OPT("M", "[type=]name[,prop=value,...]", cmdline_opt_machine, "same as -machine"),
    OPT("accel", "name[,prop=value,...]", cmdline_opt_accel,
        "select the accelerator ('-accel help' for a list)"),
    OPT("enable-kvm", NULL, cmdline_opt_enable_kvm, "use KVM (same as -machine accel=kvm)"),
    OPT("m", "[size=]megs[,slots=n,maxmem=size]", cmdline_opt_m,
        "guest RAM size; a bare number is in MiB, suffixes k, M, G, T, P, E"),
    OPT("smp", "[cpus=]n[,maxcpus=,sockets=,dies=,cores=,threads=]", cmdline_opt_smp,
        "number of virtual CPUs and their topology"),
    STR("cpu", "model", cpu_model, "CPU model"),
    OPT("kernel", "bzImage", cmdline_opt_kernel, "Linux kernel to boot"),
    OPT("initrd", "file", cmdline_opt_initrd, "initial ram disk"),
    OPT("append", "cmdline", cmdline_opt_append, "kernel command line"),
    OPT("bios", "file", cmdline_opt_bios, "BIOS image"),
    OPT("L", "path", cmdline_opt_firmware_dir, "directory for the BIOS and option ROMs"),
    STR("k", "language", keyboard_layout, "keyboard layout (accepted, unused)"),
    OPT("boot", "[order=]drives[,once=,menu=on|off,strict=on|off,reboot-timeout=ms]",
        cmdline_opt_boot, "boot order and options"),

    OPT("drive", "option[,option...]", cmdline_opt_drive, "define a drive (legacy syntax)"),
    OPT("hda", "file", cmdline_opt_hda, "IDE disk 0 image"),
    OPT("hdb", "file", cmdline_opt_hdb, "IDE disk 1 image"),
    OPT("hdc", "file", cmdline_opt_hdc, "IDE disk 2 image"),
    OPT("hdd", "file", cmdline_opt_hdd, "IDE disk 3 image"),
    OPT("cdrom", "file", cmdline_opt_cdrom, "IDE CD-ROM image (as IDE disk 2)"),
    FLAG("snapshot", snapshot, "write to temporary files instead of disk images"),
    OPT("blockdev", "[driver=]driver[,node-name=N][,...] | JSON", cmdline_opt_blockdev,
        "add a block node"),
    OPT("device", "driver[,prop=value][,...] | JSON", cmdline_opt_device,
        "add a device ('-device help' for a list)"),
    OPT("global", "driver.property=value", cmdline_opt_global, "set a default device property"),
    OPT("object", "type,id=ID[,prop=value...] | JSON", cmdline_opt_object,
        "create an object ('-object help' for a list)"),
    OPT("chardev", "backend,id=ID[,options]", cmdline_opt_chardev,
        "create a character device ('-chardev help' for a list)"),
    OPT("audiodev", "driver,id=ID | JSON", cmdline_opt_audiodev, "audio backend (accepted)"),
    OPT("serial", "dev", cmdline_opt_serial, "redirect the next serial port to chardev dev"),

    OPT("mon", "[chardev=]name[,mode=control|readline][,pretty=on|off]", cmdline_opt_mon,
        "monitor on chardev 'name'"),
    OPT("qmp", "dev", cmdline_opt_qmp, "QMP monitor on dev (e.g. unix:PATH,server=on,wait=off)"),
    OPT("qmp-pretty", "dev", cmdline_opt_qmp_pretty, "like -qmp, with indented replies"),
    OPT("monitor", "dev", cmdline_opt_monitor, "HMP monitor on dev ('none' for no monitor)"),
    STR("qtest", "dev", qtest, "qtest protocol on dev"),
    STR("qtest-log", "file", qtest_log, "log qtest traffic to file"),

    FLAG("S", start_paused, "do not start the CPUs (use 'cont' to start)"),
    FLAG("no-shutdown", no_shutdown, "stop instead of exiting when the guest shuts down"),
    FLAG("no-reboot", no_reboot, "exit instead of rebooting"),
    FLAG("daemonize", daemonize, "run in the background once started"),
    STR("pidfile", "file", pidfile, "write the process id to file"),
    FLAG("nodefaults", nodefaults, "create no default devices"),
    FLAG("no-user-config", no_user_config, "do not load user configuration files"),
    FLAG("no-hpet", no_hpet, "no HPET"),
    OPT("nographic", NULL, cmdline_opt_nographic, "no display (minivm never has one)"),
    OPT("display", "none", cmdline_opt_display, "display type: only 'none'"),
    OPT("vga", "none", cmdline_opt_vga, "VGA card: only 'none'"),

    OPT("name", "[guest=]name[,process=name][,debug-threads=on|off]", cmdline_opt_name,
        "guest name"),
    OPT("uuid", "%08x-%04x-%04x-%04x-%012x", cmdline_opt_uuid, "machine UUID"),
    OPT("msg", "timestamp=on|off", cmdline_opt_msg, "prefix messages with a timestamp"),
    OPT("overcommit", "mem-lock=on|off,cpu-pm=on|off", cmdline_opt_overcommit,
        "memory locking and CPU power management"),
    OPT("rtc", "base=utc|localtime|date[,clock=host|rt|vm][,driftfix=none|slew]", cmdline_opt_rtc,
        "real-time clock settings"),
    OPT("sandbox", "on|off[,obsolete=,elevateprivileges=,spawn=,resourcecontrol=]",
        cmdline_opt_sandbox, "seccomp sandbox settings (accepted)"),
    STR("D", "logfile", log_file, "log to logfile"),
    STR("d", "item1,...", log_items, "enable logging of the given items"),
};

#undef FLAG
#undef STR
#undef OPT

const size_t cmdline_options_count = ARRAY_SIZE(cmdline_options);

size_t cmdline_option_count(void)
{
    return cmdline_options_count;
}

const char *cmdline_option_name(size_t i)
{
    return i < cmdline_options_count ? cmdline_options[i].name : NULL;
}

bool cmdline_option_has_arg(size_t i)
{
    return i < cmdline_options_count && cmdline_options[i].argname;
}

static const CmdlineOption *cmdline_find_option(const char *name)
{
    for (size_t i = 0; i < cmdline_options_count; i++) {
        if (!strcmp(cmdline_options[i].name, name)) {
            return &cmdline_options[i];
        }
    }
    return NULL;
}

/* ---- VmConfig lifetime ---- */

static void monitor_config_free(gpointer p)
{
    MonitorConfig *mon = p;

    g_free(mon->id);
    g_free(mon->chardev_id);
    g_free(mon->compat_spec);
    g_free(mon);
}

static void json_item_free(gpointer p)
{
    json_decref(p);
}

static void vmconfig_init(VmConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->machine_opts = json_object();
    cfg->accels = g_ptr_array_new_with_free_func(g_free);
    cfg->accel_opts = g_ptr_array_new_with_free_func(json_item_free);
    cfg->firmware_dirs = g_ptr_array_new_with_free_func(g_free);
    cfg->drives = g_ptr_array_new_with_free_func(json_item_free);
    cfg->blockdevs = g_ptr_array_new_with_free_func(json_item_free);
    cfg->devices = g_ptr_array_new_with_free_func(json_item_free);
    cfg->chardevs = g_ptr_array_new_with_free_func(json_item_free);
    cfg->objects = g_ptr_array_new_with_free_func(json_item_free);
    cfg->globals = g_ptr_array_new_with_free_func(json_item_free);
    cfg->audiodevs = g_ptr_array_new_with_free_func(json_item_free);
    cfg->monitors = g_ptr_array_new_with_free_func(monitor_config_free);
    cfg->serials = g_ptr_array_new_with_free_func(g_free);
    cfg->boot_opts = json_object();
    cfg->locations = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
}

void vmconfig_free(VmConfig *cfg)
{
    GPtrArray **lists[] = {
        &cfg->accels,    &cfg->accel_opts, &cfg->firmware_dirs, &cfg->drives,
        &cfg->blockdevs, &cfg->devices,    &cfg->chardevs,      &cfg->objects,
        &cfg->globals,   &cfg->audiodevs,  &cfg->monitors,      &cfg->serials,
    };
    char **strings[] = {
        &cfg->machine_type,    &cfg->cpu_model, &cfg->kernel,
        &cfg->initrd,          &cfg->append,    &cfg->bios,
        &cfg->keyboard_layout, &cfg->qtest,     &cfg->qtest_log,
        &cfg->pidfile,         &cfg->name,      &cfg->process_name,
        &cfg->rtc_base,        &cfg->rtc_clock, &cfg->rtc_driftfix,
        &cfg->log_items,       &cfg->log_file,  &cfg->exit_text,
    };

    /* Items are keys of 'locations': drop it before the lists free them. */
    if (cfg->locations) {
        g_hash_table_destroy(cfg->locations);
        cfg->locations = NULL;
    }
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        if (*lists[i]) {
            g_ptr_array_free(*lists[i], TRUE);
            *lists[i] = NULL;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        g_free(*strings[i]);
        *strings[i] = NULL;
    }
    json_decref(cfg->machine_opts);
    json_decref(cfg->boot_opts);
    json_decref(cfg->sandbox_opts);
    cfg->machine_opts = cfg->boot_opts = cfg->sandbox_opts = NULL;
}

const char *vmconfig_location(const VmConfig *cfg, const void *item)
{
    return cfg->locations ? g_hash_table_lookup(cfg->locations, item) : NULL;
}

/* ---- the parse ---- */

static bool cmdline_finish(CmdlineState *st, Error **errp)
{
    VmConfig *cfg = st->cfg;
    const char *guest;
    bool debug_threads = false;

    if (!cmdline_finish_machine(st, errp) || !cmdline_finish_rtc(st, errp)) {
        return false;
    }
    guest = opts_get_str(st->name, "guest");
    cfg->name = g_strdup(guest);
    cfg->process_name = g_strdup(opts_get_str(st->name, "process"));
    /* Checked when the option was parsed. */
    opts_get_bool(st->name, "debug-threads", false, &debug_threads, NULL);
    cfg->debug_threads = debug_threads;

    cfg->default_monitor = !cfg->nodefaults && !st->monitor_given;
    cfg->default_serial = cfg->default_serial && !cfg->nodefaults && !st->serial_given;
    /* -nographic puts the default serial port and monitor on stdio, which a
     * daemon does not have. */
    if (cfg->daemonize && cfg->nographic && (cfg->default_serial || cfg->default_monitor)) {
        error_setg(errp, "-nographic cannot be used with -daemonize");
        return false;
    }
    return true;
}

bool cmdline_parse(int argc, char **argv, VmConfig *cfg, Error **errp)
{
    CmdlineState st = {.cfg = cfg};
    bool ok = false;

    vmconfig_init(cfg);
    /* Cleared by -serial and by a serial device (as QEMU's default_serial). */
    cfg->default_serial = true;
    st.machine = json_object();
    st.memory = json_object();
    st.name = json_object();
    st.rtc = json_object();
    st.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (int i = 1; i < argc && !st.stop; i++) {
        const char *word = argv[i];
        const char *name;
        const CmdlineOption *opt;
        Error *local_err = NULL;

        if (word[0] != '-') {
            st.optname = word;
            st.optarg = NULL;
            if (!cmdline_add_disk_image(&st, word, errp)) {
                goto out;
            }
            continue;
        }
        name = word + 1;
        if (*name == '-') {
            name++;
        }
        opt = cmdline_find_option(name);
        if (!opt) {
            error_setg(errp, "%s: invalid option", word);
            goto out;
        }
        st.opt = opt;
        st.optname = word;
        st.optarg = NULL;
        st.no_location = false;
        if (opt->argname) {
            if (i + 1 >= argc) {
                error_setg(errp, "%s: requires an argument", word);
                goto out;
            }
            st.optarg = argv[++i];
        }
        if (!opt->handler(&st, st.optarg, &local_err)) {
            if (st.no_location) {
                error_propagate(errp, local_err);
            } else if (st.optarg) {
                error_propagate_prepend(errp, local_err, "%s %s: ", word, st.optarg);
            } else {
                error_propagate_prepend(errp, local_err, "%s: ", word);
            }
            goto out;
        }
    }

    /* A help request answers before the configuration is checked as a
     * whole (QEMU prints it before creating the machine). */
    ok = cfg->exit_text || cmdline_finish(&st, errp);

out:
    json_decref(st.machine);
    json_decref(st.memory);
    json_decref(st.name);
    json_decref(st.rtc);
    g_hash_table_destroy(st.ids);
    return ok;
}
