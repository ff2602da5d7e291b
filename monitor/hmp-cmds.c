/*
 * The HMP command tables, and the commands about the monitor and the VM
 * as a whole.
 *
 * Adding commands for an area (block, devices, ...): create
 * monitor/hmp-cmds-<area>.c defining
 *     const HMPCommand hmp_cmds_<area>[] = { {...}, ..., {NULL} };
 *     const HMPCommand hmp_info_cmds_<area>[] = { {...}, ..., {NULL} };
 * (either may be omitted), declare them at the end of this file and add
 * them to the two lists there.  "help" shows the union sorted by name, as QEMU does.  Handlers
 * call the QMP implementation (qmp_<command>()) and report failures with
 * hmp_handle_error(), so both monitors behave the same.
 */
#include "util/osdep.h"

#include "monitor/hmp.h"
#include "monitor/monitor-internal.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-types.h"

/* ---------------------------------------------------------------- commands */

static void hmp_help_cmd(Monitor *mon, const json_t *args)
{
    hmp_help(mon, hmp_arg_str(args, "name"));
}

/* "info" alone lists the info subcommands. */
static void hmp_info_help(Monitor *mon, const json_t *args)
{
    hmp_help(mon, "info");
}

static void hmp_quit(Monitor *mon, const json_t *args)
{
    /* no prompt and no more commands while the process winds down */
    mon->suspended = true;
    qmp_quit(NULL);
}

static void hmp_stop(Monitor *mon, const json_t *args)
{
    Error *err = NULL;

    qmp_stop(&err);
    hmp_handle_error(mon, err);
}

static void hmp_cont(Monitor *mon, const json_t *args)
{
    Error *err = NULL;

    qmp_cont(&err);
    hmp_handle_error(mon, err);
}

static void hmp_system_reset(Monitor *mon, const json_t *args)
{
    Error *err = NULL;

    qmp_system_reset(&err);
    hmp_handle_error(mon, err);
}

static void hmp_system_powerdown(Monitor *mon, const json_t *args)
{
    Error *err = NULL;

    qmp_system_powerdown(&err);
    hmp_handle_error(mon, err);
}

/* ---------------------------------------------------------------- info */

static void hmp_info_status(Monitor *mon, const json_t *args)
{
    StatusInfo *info = qmp_query_status(NULL);

    monitor_printf(mon, "VM status: %s%s", info->running ? "running" : "paused",
                   info->singlestep ? " (single step mode)" : "");
    /* the reason for being stopped, unless it is a plain "stop" */
    if (!info->running && info->status != RUN_STATE_PAUSED) {
        monitor_printf(mon, " (%s)", RunState_str(info->status));
    }
    monitor_printf(mon, "\n");
    qapi_free_StatusInfo(info);
}

static void hmp_info_version(Monitor *mon, const json_t *args)
{
    VersionInfo *info = qmp_query_version(NULL);

    /* QEMU prints the package right after the version, without a blank */
    monitor_printf(mon, "%" PRId64 ".%" PRId64 ".%" PRId64 "%s\n", info->qemu->major,
                   info->qemu->minor, info->qemu->micro, info->package);
    qapi_free_VersionInfo(info);
}

static void hmp_info_name(Monitor *mon, const json_t *args)
{
    NameInfo *info = qmp_query_name(NULL);

    if (info->has_name) {
        monitor_printf(mon, "%s\n", info->name);
    }
    qapi_free_NameInfo(info);
}

static void hmp_info_uuid(Monitor *mon, const json_t *args)
{
    UuidInfo *info = qmp_query_uuid(NULL);

    monitor_printf(mon, "%s\n", info->UUID);
    qapi_free_UuidInfo(info);
}

static void hmp_info_kvm(Monitor *mon, const json_t *args)
{
    KvmInfo *info = qmp_query_kvm(NULL);

    monitor_printf(mon, "kvm support: ");
    if (info->present) {
        monitor_printf(mon, "%s\n", info->enabled ? "enabled" : "disabled");
    } else {
        monitor_printf(mon, "not compiled\n");
    }
    qapi_free_KvmInfo(info);
}

static void hmp_info_chardev(Monitor *mon, const json_t *args)
{
    ChardevInfoList *list = qmp_query_chardev(NULL);

    for (ChardevInfoList *l = list; l; l = l->next) {
        monitor_printf(mon, "%s: filename=%s\n", l->value->label, l->value->filename);
    }
    qapi_free_ChardevInfoList(list);
}

static void hmp_info_history(Monitor *mon, const json_t *args)
{
    const char *line;

    /* a capture monitor (human-monitor-command) has no history */
    if (!mon->rl) {
        return;
    }
    for (int i = 0; (line = readline_get_history(mon->rl, i)); i++) {
        monitor_printf(mon, "%d: '%s'\n", i, line);
    }
}

/* ---------------------------------------------------------------- tables */

static const HMPCommand hmp_cmds_misc[] = {
    {"help|?", "name:S?", "[cmd]", "show the help", hmp_help_cmd},
    {"info", "item:s?", "[subcommand]", "show various information about the system state",
     hmp_info_help, .has_info_subcommands = true},
    {"quit|q", "", "", "quit the emulator", hmp_quit},
    {"stop|s", "", "", "stop emulation", hmp_stop},
    {"cont|c", "", "", "resume emulation", hmp_cont},
    {"system_reset", "", "", "reset the system", hmp_system_reset},
    {"system_powerdown", "", "", "send system power down event", hmp_system_powerdown},
    {NULL},
};

static const HMPCommand hmp_info_cmds_misc[] = {
    {"chardev", "", "", "show the character devices", hmp_info_chardev},
    {"history", "", "", "show the command line history", hmp_info_history},
    {"kvm", "", "", "show KVM information", hmp_info_kvm},
    {"name", "", "", "show the current VM name", hmp_info_name},
    {"status", "", "", "show the current VM status (running|paused)", hmp_info_status},
    {"uuid", "", "", "show the current VM UUID", hmp_info_uuid},
    {"version", "", "", "show the version of QEMU", hmp_info_version},
    {NULL},
};

/* ---------------------------------------------------------------- areas */

extern const HMPCommand hmp_cmds_block[];
extern const HMPCommand hmp_info_cmds_block[];
extern const HMPCommand hmp_cmds_qemu_io[];

const HMPCommand *const hmp_command_areas[] = {
    hmp_cmds_misc,
    hmp_cmds_block,
    hmp_cmds_qemu_io,
    NULL,
};

const HMPCommand *const hmp_info_areas[] = {
    hmp_info_cmds_misc,
    hmp_info_cmds_block,
    NULL,
};
