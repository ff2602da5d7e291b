/*
 * QMP commands about the monitor protocol and the emulator as a whole:
 * negotiation, versions, the command list, the VM's identity, machines
 * and command-line options.  What is returned describes minivm itself:
 * managers decide what to use from these answers.
 */
#include "util/osdep.h"

#include "chardev/char.h"
#include "config-host.h"
#include "monitor/hmp.h"
#include "monitor/monitor-internal.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-json.h"
#include "qapi/qmp-dispatch.h"
#include "system/sysemu.h"

/* The QEMU release whose interface minivm reproduces. */
#define COMPAT_QEMU_MAJOR 7
#define COMPAT_QEMU_MINOR 2
#define COMPAT_QEMU_MICRO 0

void qmp_qmp_capabilities(bool has_enable, QMPCapabilityList *enable, Error **errp)
{
    Monitor *mon = monitor_cur();

    /* The greeting offers nothing: minivm has no out-of-band execution. */
    for (QMPCapabilityList *c = has_enable ? enable : NULL; c; c = c->next) {
        error_setg(errp, "Capability %s not available", QMPCapability_str(c->value));
        return;
    }
    monitor_qmp_set_negotiated(mon);
}

VersionInfo *qmp_query_version(Error **errp)
{
    VersionInfo *info = g_new0(VersionInfo, 1);

    info->qemu = g_new0(VersionTriple, 1);
    info->qemu->major = COMPAT_QEMU_MAJOR;
    info->qemu->minor = COMPAT_QEMU_MINOR;
    info->qemu->micro = COMPAT_QEMU_MICRO;
    info->package = g_strdup(MINIVM_PKGVERSION);
    return info;
}

static void add_command_info(const QmpCommand *cmd, void *opaque)
{
    CommandInfoList ***tail = opaque;
    CommandInfo *info = g_new0(CommandInfo, 1);

    info->name = g_strdup(cmd->name);
    QAPI_LIST_APPEND(*tail, info);
}

CommandInfoList *qmp_query_commands(Error **errp)
{
    CommandInfoList *list = NULL, **tail = &list;

    qmp_command_foreach(add_command_info, &tail);
    return list;
}

NameInfo *qmp_query_name(Error **errp)
{
    NameInfo *info = g_new0(NameInfo, 1);

    if (sysemu.name) {
        info->has_name = true;
        info->name = g_strdup(sysemu.name);
    }
    return info;
}

UuidInfo *qmp_query_uuid(Error **errp)
{
    const uint8_t *u = sysemu.uuid;
    UuidInfo *info = g_new0(UuidInfo, 1);

    info->UUID = g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                                 "%02x%02x%02x%02x%02x%02x",
                                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
                                 u[11], u[12], u[13], u[14], u[15]);
    return info;
}

TargetInfo *qmp_query_target(Error **errp)
{
    TargetInfo *info = g_new0(TargetInfo, 1);

    info->arch = SYS_EMU_TARGET_X86_64;
    return info;
}

KvmInfo *qmp_query_kvm(Error **errp)
{
    KvmInfo *info = g_new0(KvmInfo, 1);

    info->enabled = sysemu.kvm_enabled;
    info->present = sysemu.kvm_present;
    return info;
}

/* ---------------------------------------------------------------- machines */

typedef struct MachineDesc {
    const char *name;
    const char *alias;
    bool is_default;
    int cpu_max;
    bool hotpluggable_cpus;
    const char *default_cpu_type;
    const char *default_ram_id;
} MachineDesc;

static const MachineDesc machines[] = {
    {"pc-i440fx-7.2", "pc", true, 255, true, "qemu64-x86_64-cpu", "pc.ram"},
    {"none", NULL, false, 1, false, NULL, "ram"},
};

MachineInfoList *qmp_query_machines(Error **errp)
{
    MachineInfoList *list = NULL, **tail = &list;

    for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
        const MachineDesc *m = &machines[i];
        MachineInfo *info = g_new0(MachineInfo, 1);

        info->name = g_strdup(m->name);
        info->has_alias = m->alias != NULL;
        info->alias = g_strdup(m->alias);
        info->has_is_default = m->is_default;
        info->is_default = m->is_default;
        info->cpu_max = m->cpu_max;
        info->hotpluggable_cpus = m->hotpluggable_cpus;
        info->numa_mem_supported = false;
        info->deprecated = false;
        info->has_default_cpu_type = m->default_cpu_type != NULL;
        info->default_cpu_type = g_strdup(m->default_cpu_type);
        info->has_default_ram_id = m->default_ram_id != NULL;
        info->default_ram_id = g_strdup(m->default_ram_id);
        QAPI_LIST_APPEND(tail, info);
    }
    return list;
}

/* ---------------------------------------------------------------- chardevs */

static void add_chardev_info(Chardev *chr, void *opaque)
{
    ChardevInfoList ***tail = opaque;
    ChardevInfo *info = g_new0(ChardevInfo, 1);

    info->label = g_strdup(chardev_get_label(chr));
    info->filename = g_strdup(chardev_get_filename(chr));
    info->frontend_open = chardev_frontend_open(chr);
    QAPI_LIST_APPEND(*tail, info);
}

ChardevInfoList *qmp_query_chardev(Error **errp)
{
    ChardevInfoList *list = NULL, **tail = &list;

    chardev_foreach(add_chardev_info, &tail);
    return list;
}

/* ---------------------------------------------------------------- HMP passthrough */

char *qmp_human_monitor_command(const char *command_line, bool has_cpu_index, int64_t cpu_index,
                                Error **errp)
{
    /* HMP commands here never act on a particular vCPU, but an index
     * that names no vCPU is refused as QEMU refuses it */
    if (has_cpu_index && (cpu_index != 0 || !sysemu.machine || !strcmp(sysemu.machine, "none"))) {
        error_setg(errp, "Parameter 'cpu-index' expects a CPU number");
        return NULL;
    }
    return hmp_run_command_line(command_line, errp);
}

/* ---------------------------------------------------------------- command line */

typedef struct OptParam {
    const char *name;
    CommandLineParameterType type;
    const char *help;
    const char *def;
} OptParam;

typedef struct OptDesc {
    const char *option;
    const OptParam *params; /* ends with a NULL name */
} OptDesc;

#define P_STR COMMAND_LINE_PARAMETER_TYPE_STRING
#define P_BOOL COMMAND_LINE_PARAMETER_TYPE_BOOLEAN
#define P_NUM COMMAND_LINE_PARAMETER_TYPE_NUMBER

/* The options minivm accepts as key=value lists, with QEMU's texts and
 * QEMU's (reverse-declaration) order. */
static const OptParam machine_params[] = {
    {"usb", P_BOOL, "Set on/off to enable/disable usb"},
    {"mem-merge", P_BOOL, "enable/disable memory merge support"},
    {"dump-guest-core", P_BOOL, "Include guest memory in  a core dump"},
    {"accel", P_STR, "accelerator list"},
    {"type", P_STR, "emulated machine"},
    {NULL},
};

static const OptParam name_params[] = {
    {"debug-threads", P_BOOL,
     "When enabled, name the individual threads; defaults off.\nNOTE: The thread names are for "
     "debugging and not a\nstable API."},
    {"process", P_STR, "Sets the name of the QEMU process, as shown in top etc"},
    {"guest", P_STR,
     "Sets the name of the guest.\nThis name will be displayed in the SDL window caption.\nThe "
     "name will also be used for the VNC server"},
    {NULL},
};

static const OptParam msg_params[] = {
    {"guest-name", P_BOOL,
     "Prepends guest name for error messages but only if -name guest is set otherwise option is "
     "ignored\n"},
    {"timestamp", P_BOOL},
    {NULL},
};

static const OptParam boot_params[] = {
    {"strict", P_BOOL}, {"reboot-timeout", P_NUM}, {"splash-time", P_NUM}, {"splash", P_STR},
    {"menu", P_BOOL},   {"once", P_STR},           {"order", P_STR},       {NULL},
};

static const OptParam smp_params[] = {
    {"maxcpus", P_NUM}, {"threads", P_NUM}, {"cores", P_NUM}, {"clusters", P_NUM},
    {"dies", P_NUM},    {"sockets", P_NUM}, {"cpus", P_NUM},  {NULL},
};

static const OptParam mon_params[] = {
    {"pretty", P_BOOL},
    {"chardev", P_STR},
    {"mode", P_STR},
    {NULL},
};

static const OptParam no_params[] = {
    {NULL},
};

static const OptParam chardev_params[] = {
    {"append", P_BOOL}, {"signal", P_BOOL}, {"reconnect", P_NUM}, {"nodelay", P_BOOL},
    {"server", P_BOOL}, {"wait", P_BOOL},   {"fd", P_STR},        {"port", P_STR},
    {"host", P_STR},    {"path", P_STR},    {"backend", P_STR},   {NULL},
};

static const OptParam drive_params[] = {
    {"copy-on-read", P_BOOL, "copy read data from backing file into image file"},
    {"werror", P_STR, "write error action"},
    {"rerror", P_STR, "read error action"},
    {"read-only", P_BOOL, "open drive file as read-only"},
    {"file", P_STR, "file name"},
    {"if", P_STR, "interface (ide, scsi, sd, mtd, floppy, pflash, virtio)"},
    {"media", P_STR, "media type (disk, cdrom)"},
    {"index", P_NUM, "index number"},
    {"unit", P_NUM, "unit number (i.e. lun for scsi)"},
    {"bus", P_NUM, "bus number"},
    {"detect-zeroes", P_STR, "try to optimize zero writes (off, on, unmap)"},
    {"format", P_STR, "disk format (raw, qcow2, ...)"},
    {"cache.writeback", P_BOOL, "Enable writeback mode"},
    {"aio", P_STR, "host AIO implementation (threads, native, io_uring)"},
    {"snapshot", P_BOOL, "enable/disable snapshot mode"},
    {"force-share", P_BOOL, "always accept other writers (default: off)"},
    {"discard", P_STR, "discard operation (ignore/off, unmap/on)"},
    {"auto-read-only", P_BOOL, "Node can become read-only if opening read-write fails"},
    {"cache.no-flush", P_BOOL, "Ignore flush requests"},
    {"cache.direct", P_BOOL, "Bypass software writeback cache on the host"},
    {"driver", P_STR, "Block driver to use for the node"},
    {"node-name", P_STR, "Node name of the block device node"},
    {NULL},
};

static const OptDesc cmdline_options[] = {
    {"machine", machine_params}, {"name", name_params},    {"msg", msg_params},
    {"boot-opts", boot_params},  {"smp-opts", smp_params}, {"accel", no_params},
    {"mon", mon_params},         {"device", no_params},    {"chardev", chardev_params},
    {"drive", drive_params},
};

static CommandLineOptionInfo *option_info(const OptDesc *o)
{
    CommandLineOptionInfo *info = g_new0(CommandLineOptionInfo, 1);
    CommandLineParameterInfoList **tail = &info->parameters;

    info->option = g_strdup(o->option);
    for (const OptParam *p = o->params; p->name; p++) {
        CommandLineParameterInfo *pi = g_new0(CommandLineParameterInfo, 1);

        pi->name = g_strdup(p->name);
        pi->type = p->type;
        pi->has_help = p->help != NULL;
        pi->help = g_strdup(p->help);
        pi->has_q_default = p->def != NULL;
        pi->q_default = g_strdup(p->def);
        QAPI_LIST_APPEND(tail, pi);
    }
    return info;
}

CommandLineOptionInfoList *qmp_query_command_line_options(bool has_option, const char *option,
                                                          Error **errp)
{
    CommandLineOptionInfoList *list = NULL, **tail = &list;

    for (size_t i = 0; i < ARRAY_SIZE(cmdline_options); i++) {
        if (!has_option || !strcmp(option, cmdline_options[i].option)) {
            QAPI_LIST_APPEND(tail, option_info(&cmdline_options[i]));
        }
    }
    if (!list) {
        error_setg(errp, "invalid option name: %s", option);
    }
    return list;
}

/* ---------------------------------------------------------------- migration */

MigrationCapabilityStatusList *qmp_query_migrate_capabilities(Error **errp)
{
    /* minivm does not migrate: no capability to report */
    return NULL;
}
