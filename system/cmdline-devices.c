/*
 * Options that describe backends, devices and monitors.  They are only
 * recorded (with their command-line text, for error locations); main
 * creates them in QEMU's order once everything is parsed.
 */
#include "system/cmdline-internal.h"

static void cmdline_add_item(CmdlineState *st, GPtrArray *list, json_t *item)
{
    g_ptr_array_add(list, item);
    cmdline_note_location(st, item);
}

/* ---- drives ---- */

bool cmdline_opt_drive(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts = opts_parse(arg, NULL, errp);

    if (cmdline_is_help(opts_get_str(opts, "format"))) {
        json_decref(opts);
        cmdline_set_exit_text(st, cmdline_help_drive_formats());
        return true;
    }
    if (!cmdline_check_id(st, opts, "drive", errp)) {
        json_decref(opts);
        return false;
    }
    cmdline_add_item(st, st->cfg->drives, opts);
    return true;
}

/* The legacy shorthands: an IDE unit given by index (QEMU's drive_add). */
static bool cmdline_add_ide(CmdlineState *st, const char *file, int index, const char *media)
{
    json_t *opts = json_pack("{s:s, s:o, s:s}", "file", file, "index", json_sprintf("%d", index),
                             "media", media);

    cmdline_add_item(st, st->cfg->drives, opts);
    return true;
}

bool cmdline_add_disk_image(CmdlineState *st, const char *file, Error **errp)
{
    return cmdline_add_ide(st, file, 0, "disk");
}

bool cmdline_opt_hda(CmdlineState *st, const char *arg, Error **errp)
{
    return cmdline_add_ide(st, arg, 0, "disk");
}

bool cmdline_opt_hdb(CmdlineState *st, const char *arg, Error **errp)
{
    return cmdline_add_ide(st, arg, 1, "disk");
}

bool cmdline_opt_hdc(CmdlineState *st, const char *arg, Error **errp)
{
    return cmdline_add_ide(st, arg, 2, "disk");
}

bool cmdline_opt_hdd(CmdlineState *st, const char *arg, Error **errp)
{
    return cmdline_add_ide(st, arg, 3, "disk");
}

bool cmdline_opt_cdrom(CmdlineState *st, const char *arg, Error **errp)
{
    return cmdline_add_ide(st, arg, 2, "cdrom");
}

/* ---- -blockdev, -device, -object, -chardev, -audiodev ---- */

static bool cmdline_require(json_t *opts, const char *key, Error **errp)
{
    if (!json_object_get(opts, key)) {
        error_setg(errp, "Parameter '%s' is missing", key);
        return false;
    }
    return true;
}

bool cmdline_opt_blockdev(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts;

    if (cmdline_is_help(arg)) {
        error_setg(errp, "Help is not available for this option");
        return false;
    }
    opts = keyval_parse(arg, "driver", errp);
    if (!opts) {
        return false;
    }
    if (!cmdline_require(opts, "driver", errp)) {
        json_decref(opts);
        return false;
    }
    cmdline_add_item(st, st->cfg->blockdevs, opts);
    return true;
}

bool cmdline_opt_device(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts;
    bool json_form = arg[0] == '{';

    if (cmdline_is_help(arg)) {
        cmdline_set_exit_text(st, cmdline_help_devices());
        return true;
    }
    /* The JSON form is checked by the device code; the flat one is QemuOpts. */
    opts = json_form ? keyval_parse(arg, NULL, errp) : opts_parse(arg, "driver", errp);
    if (!opts) {
        return false;
    }
    if (!cmdline_require(opts, "driver", errp) ||
        (!json_form && !cmdline_check_id(st, opts, "device", errp))) {
        json_decref(opts);
        return false;
    }
    /* As in QEMU, a serial device on the command line replaces the default. */
    if (!g_strcmp0(opts_get_str(opts, "driver"), "isa-serial")) {
        st->cfg->default_serial = false;
    }
    cmdline_add_item(st, st->cfg->devices, opts);
    return true;
}

bool cmdline_opt_object(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts;

    if (cmdline_is_help(arg)) {
        cmdline_set_exit_text(st, cmdline_help_objects());
        return true;
    }
    opts = keyval_parse(arg, "qom-type", errp);
    if (!opts) {
        return false;
    }
    if (!cmdline_require(opts, "qom-type", errp) || !cmdline_require(opts, "id", errp) ||
        !cmdline_check_id(st, opts, NULL, errp)) {
        json_decref(opts);
        return false;
    }
    cmdline_add_item(st, st->cfg->objects, opts);
    return true;
}

bool cmdline_opt_chardev(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts;

    if (cmdline_is_help(arg)) {
        cmdline_set_exit_text(st, cmdline_help_chardevs());
        return true;
    }
    opts = opts_parse(arg, "backend", errp);
    if (!cmdline_check_id(st, opts, "chardev", errp)) {
        json_decref(opts);
        return false;
    }
    cmdline_add_item(st, st->cfg->chardevs, opts);
    return true;
}

bool cmdline_opt_audiodev(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts = keyval_parse(arg, "driver", errp);

    if (!opts) {
        return false;
    }
    if (!cmdline_require(opts, "id", errp) || !cmdline_require(opts, "driver", errp)) {
        json_decref(opts);
        return false;
    }
    cmdline_add_item(st, st->cfg->audiodevs, opts);
    return true;
}

/*
 * -global driver.property=value, or the long form
 * -global driver=D,property=P,value=V.
 */
bool cmdline_opt_global(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"driver", "property", "value", NULL};
    size_t dlen = strcspn(arg, ".=");
    const char *prop = arg[dlen] == '.' ? arg + dlen + 1 : "";
    size_t plen = strcspn(prop, "=");
    json_t *opts;

    if (dlen > 0 && plen > 0 && prop[plen] == '=') {
        opts = json_object();
        json_object_set_new(opts, "driver", json_stringn(arg, dlen));
        json_object_set_new(opts, "property", json_stringn(prop, plen));
        json_object_set_new(opts, "value", json_string(prop + plen + 1));
    } else {
        opts = opts_parse(arg, NULL, errp);
        if (!opts_check_keys(opts, keys, errp)) {
            json_decref(opts);
            return false;
        }
        if (!json_object_get(opts, "driver") || !json_object_get(opts, "property") ||
            !json_object_get(opts, "value")) {
            error_setg(errp, "options 'driver', 'property', and 'value' are required");
            json_decref(opts);
            return false;
        }
    }
    cmdline_add_item(st, st->cfg->globals, opts);
    return true;
}

/* ---- monitors and serial ports ---- */

static void cmdline_add_monitor(CmdlineState *st, MonitorConfig *mon)
{
    g_ptr_array_add(st->cfg->monitors, mon);
    cmdline_note_location(st, mon);
    st->monitor_given = true;
}

bool cmdline_opt_mon(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"id", "mode", "chardev", "pretty", NULL};
    json_t *opts = opts_parse(arg, "chardev", errp);
    const char *mode;
    bool pretty;
    MonitorConfig *mon;

    if (!opts_check_keys(opts, keys, errp) ||
        !opts_get_bool(opts, "pretty", false, &pretty, errp)) {
        goto fail;
    }
    mode = opts_get_str(opts, "mode");
    if (mode && strcmp(mode, "control") != 0 && strcmp(mode, "readline") != 0) {
        error_setg(errp, "Parameter 'mode' does not accept value '%s'", mode);
        goto fail;
    }
    if (!cmdline_require(opts, "chardev", errp) || !cmdline_check_id(st, opts, "mon", errp)) {
        goto fail;
    }
    mon = g_new0(MonitorConfig, 1);
    mon->id = g_strdup(opts_get_str(opts, "id"));
    mon->chardev_id = g_strdup(opts_get_str(opts, "chardev"));
    mon->qmp = mode && !strcmp(mode, "control");
    mon->pretty = pretty;
    cmdline_add_monitor(st, mon);
    json_decref(opts);
    return true;

fail:
    json_decref(opts);
    return false;
}

/* -qmp, -qmp-pretty, -monitor: a monitor on a chardev from the compact
 * syntax, labelled compat_monitorN (N counts these options). */
static bool cmdline_compat_monitor(CmdlineState *st, const char *spec, bool qmp, bool pretty,
                                   Error **errp)
{
    MonitorConfig *mon;

    if (!strcmp(spec, "none")) {
        error_setg(errp, "'none' is not a valid char driver");
        return false;
    }
    mon = g_new0(MonitorConfig, 1);
    if (g_str_has_prefix(spec, "chardev:")) {
        mon->chardev_id = g_strdup(spec + strlen("chardev:"));
    } else {
        mon->chardev_id = g_strdup_printf("compat_monitor%u", st->monitor_index);
        mon->compat_spec = g_strdup(spec);
    }
    st->monitor_index++;
    mon->qmp = qmp;
    mon->pretty = pretty;
    cmdline_add_monitor(st, mon);
    return true;
}

bool cmdline_opt_qmp(CmdlineState *st, const char *arg, Error **errp)
{
    return cmdline_compat_monitor(st, arg, true, false, errp);
}

bool cmdline_opt_qmp_pretty(CmdlineState *st, const char *arg, Error **errp)
{
    return cmdline_compat_monitor(st, arg, true, true, errp);
}

bool cmdline_opt_monitor(CmdlineState *st, const char *arg, Error **errp)
{
    if (!strcmp(arg, "none")) {
        st->monitor_given = true;
        return true;
    }
    return cmdline_compat_monitor(st, arg, false, false, errp);
}

bool cmdline_opt_serial(CmdlineState *st, const char *arg, Error **errp)
{
    char *spec;

    st->serial_given = true;
    /* "none" only suppresses the default serial port; it takes no index. */
    if (!strcmp(arg, "none")) {
        return true;
    }
    spec = g_strdup(arg);
    g_ptr_array_add(st->cfg->serials, spec);
    cmdline_note_location(st, spec);
    return true;
}
