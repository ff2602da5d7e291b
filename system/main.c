/*
 * minivm's main(): parse the command line, build what it asks for, run the
 * main loop, tear down.  Each step is one function; the subsystems do the
 * work.
 */
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>

#include "block/blockdev.h"
#include "chardev/char.h"
#include "hw/core/machine.h"
#include "monitor/monitor.h"
#include "qapi/qmp-dispatch.h"
#include "system/cmdline.h"
#include "system/daemonize.h"
#include "system/opts.h"
#include "system/runstate.h"
#include "system/sysemu.h"
#include "util/error.h"
#include "util/main-loop.h"

SysemuInfo sysemu;

/*
 * Termination signals: the handler only records the signal and its sender
 * in a pipe; the main loop reports it and requests the shutdown.
 */
typedef struct SignalRecord {
    int signo;
    pid_t pid;
} SignalRecord;

static int signal_pipe[2] = { -1, -1 };

static void main_signal_handler(int signo, siginfo_t *info, void *ctx)
{
    SignalRecord rec = { .signo = signo, .pid = info ? info->si_pid : 0 };
    int saved_errno = errno;

    if (write(signal_pipe[1], &rec, sizeof(rec)) < 0) {
        /* The pipe is full: a shutdown is already pending. */
    }
    errno = saved_errno;
}

static char *main_pid_name(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/comm", (int)pid);
    char *name = NULL;

    if (pid > 0 && g_file_get_contents(path, &name, NULL, NULL)) {
        g_strchomp(name);
        return name;
    }
    return g_strdup("<unknown process>");
}

static void main_on_signal(void *opaque)
{
    SignalRecord rec;

    while (read(signal_pipe[0], &rec, sizeof(rec)) == sizeof(rec)) {
        g_autofree char *name = main_pid_name(rec.pid);

        error_report("terminating on signal %d from pid %d (%s)", rec.signo, (int)rec.pid, name);
        qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_SIGNAL);
    }
}

static void main_setup_signals(void)
{
    struct sigaction sa = { .sa_sigaction = main_signal_handler, .sa_flags = SA_SIGINFO };

    signal(SIGPIPE, SIG_IGN);
    if (!g_unix_open_pipe(signal_pipe, FD_CLOEXEC, NULL)) {
        return;
    }
    g_unix_set_fd_nonblocking(signal_pipe[0], TRUE, NULL);
    g_unix_set_fd_nonblocking(signal_pipe[1], TRUE, NULL);
    qemu_set_fd_handler(signal_pipe[0], main_on_signal, NULL, NULL);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Picks the first usable accelerator of the preference list, as QEMU does. */
static bool main_select_accel(VmConfig *cfg, Error **errp)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    sysemu.kvm_present = fd >= 0;
    if (fd >= 0) {
        close(fd);
    }
    for (guint i = 0; i < cfg->accels->len; i++) {
        const char *accel = g_ptr_array_index(cfg->accels, i);

        if (!strcmp(accel, "kvm") && sysemu.kvm_present) {
            sysemu.accel = "kvm";
            sysemu.kvm_enabled = true;
            return true;
        }
        if (!strcmp(accel, "qtest")) {
            sysemu.accel = "qtest";
            return true;
        }
    }
    if (!sysemu.kvm_present) {
        error_setg_errno(errp, ENOENT, "Could not access KVM kernel module");
        error_prepend(errp, "-accel kvm: ");
        return false;
    }
    error_setg(errp, "-accel %s: accelerator not available in minivm",
               (const char *)g_ptr_array_index(cfg->accels, 0));
    return false;
}

static bool main_machine_is_none(const VmConfig *cfg)
{
    return !strcmp(cfg->machine_type, "none");
}

/* Rejects what the command line asked for that minivm cannot build. */
static bool main_check_supported(VmConfig *cfg, Error **errp)
{
    if (cfg->objects->len) {
        error_setg(errp, "-object: no object types are implemented yet");
        return false;
    }
    if (!main_machine_is_none(cfg)) {
        return true;
    }
    if (cfg->devices->len) {
        error_setg(errp, "-device: no devices can be added to machine 'none'");
        return false;
    }
    if (cfg->kernel || cfg->initrd) {
        error_setg(errp, "%s: machine 'none' cannot boot a kernel",
                   cfg->kernel ? "-kernel" : "-initrd");
        return false;
    }
    return true;
}

static const char *main_location(VmConfig *cfg, const void *item)
{
    const char *loc = vmconfig_location(cfg, item);

    return loc ? loc : "-nographic";
}

/* QEMU refuses stdio backends once stdio is going to be /dev/null. */
static bool main_check_stdio(VmConfig *cfg, const void *item, const char *backend, Error **errp)
{
    if (cfg->daemonize && backend && !strcmp(backend, "stdio")) {
        error_setg(errp, "%s: cannot use stdio with -daemonize", main_location(cfg, item));
        return false;
    }
    return true;
}

static bool main_create_chardevs(VmConfig *cfg, Error **errp)
{
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        json_t *opts = g_ptr_array_index(cfg->chardevs, i);

        if (!main_check_stdio(cfg, opts, opts_get_str(opts, "backend"), errp)) {
            return false;
        }
        if (!chardev_new_from_opts(opts, errp)) {
            error_prepend(errp, "%s: ", main_location(cfg, opts));
            return false;
        }
    }
    for (guint i = 0; i < cfg->serials->len; i++) {
        const char *spec = g_ptr_array_index(cfg->serials, i);
        g_autofree char *label = g_strdup_printf("serial%u", i);
        Error *local_err = NULL;

        if (!main_check_stdio(cfg, spec, spec, errp)) {
            return false;
        }
        /* Machine 'none' has no UART: the backend exists, as in QEMU. */
        if (!chardev_new_compat(label, spec, &local_err) && local_err) {
            error_propagate_prepend(errp, local_err, "%s: ", main_location(cfg, spec));
            return false;
        }
    }
    return true;
}

static bool main_create_monitor(VmConfig *cfg, MonitorConfig *mc, Error **errp)
{
    Chardev *chr;

    if (mc->compat_spec) {
        if (!main_check_stdio(cfg, mc, mc->compat_spec, errp)) {
            return false;
        }
        chr = chardev_new_compat(mc->chardev_id, mc->compat_spec, errp);
        if (!chr) {
            if (errp && *errp) {
                error_prepend(errp, "%s: ", main_location(cfg, mc));
            }
            return !(errp && *errp);
        }
    } else {
        chr = chardev_find(mc->chardev_id);
        if (!chr) {
            error_setg(errp, "%s: chardev \"%s\" not found", main_location(cfg, mc),
                       mc->chardev_id);
            return false;
        }
    }
    if (mc->qmp) {
        return monitor_new_qmp(chr, mc->pretty, errp) != NULL;
    }
    return monitor_new_hmp(chr, errp) != NULL;
}

static bool main_create_monitors(VmConfig *cfg, Error **errp)
{
    for (guint i = 0; i < cfg->monitors->len; i++) {
        if (!main_create_monitor(cfg, g_ptr_array_index(cfg->monitors, i), errp)) {
            return false;
        }
    }
    if (cfg->nographic && cfg->default_monitor) {
        /* QEMU multiplexes serial and monitor on stdio; with no UART yet,
         * stdio carries the monitor alone. */
        MonitorConfig mc = { .chardev_id = (char *)"compat_monitor0",
                             .compat_spec = (char *)"stdio" };
        return main_create_monitor(cfg, &mc, errp);
    }
    return true;
}

/*
 * -blockdev before -drive, as QEMU: a -drive may refer to a -blockdev node.
 * Machine 'none' has no buses, so a drive must be if=none; the pc machine
 * attaches if=ide and if=virtio drives itself.
 */
static bool main_create_block(VmConfig *cfg, Error **errp)
{
    for (guint i = 0; i < cfg->blockdevs->len; i++) {
        json_t *opts = g_ptr_array_index(cfg->blockdevs, i);
        /* "-blockdev ARG": QEMU takes an ARG that starts with '{' as JSON. */
        const char *arg = strchr(main_location(cfg, opts), ' ');
        bool ok;

        /* Warnings while opening carry the option, as QEMU's do. */
        error_set_location(main_location(cfg, opts));
        ok = blockdev_add_cmdline_from(opts, !arg || arg[1] != '{', errp);
        error_set_location(NULL);
        if (!ok) {
            error_prepend(errp, "%s: ", main_location(cfg, opts));
            return false;
        }
    }
    for (guint i = 0; i < cfg->drives->len; i++) {
        json_t *opts = g_ptr_array_index(cfg->drives, i);
        BlockBackend *blk;
        DriveInfo *dinfo;

        error_set_location(main_location(cfg, opts));
        blk = drive_new(opts, main_machine_is_none(cfg) ? IF_NONE : IF_IDE, errp);
        error_set_location(NULL);
        if (!blk) {
            error_prepend(errp, "%s: ", main_location(cfg, opts));
            return false;
        }
        dinfo = blk_legacy_dinfo(blk);
        if (!main_machine_is_none(cfg)) {
            continue; /* the machine attaches if=virtio and if=ide drives */
        }
        if (dinfo && dinfo->type == IF_VIRTIO) {
            error_setg(errp, "%s: No 'PCI' bus found for device 'virtio-blk-pci'",
                       main_location(cfg, opts));
            return false;
        }
        if (dinfo && dinfo->type != IF_NONE) {
            error_setg(errp, "%s: machine type does not support if=%s,bus=%d,unit=%d",
                       main_location(cfg, opts), block_if_name(dinfo->type), dinfo->bus,
                       dinfo->unit);
            return false;
        }
    }
    return true;
}

static bool main_setup(VmConfig *cfg, Error **errp)
{
    if (!main_select_accel(cfg, errp) || !main_check_supported(cfg, errp)) {
        return false;
    }
    sysemu.name = cfg->name;
    sysemu.machine = cfg->machine_type;
    sysemu.uuid_set = cfg->uuid_set;
    memcpy(sysemu.uuid, cfg->uuid, sizeof(sysemu.uuid));

    if (cfg->daemonize) {
        os_daemonize();
    }
    if (cfg->pidfile && !pidfile_create(cfg->pidfile, errp)) {
        return false;
    }
    main_loop_init();
    main_setup_signals();
    qmp_init_marshal();
    runstate_init(cfg->start_paused);
    runstate_set_no_shutdown(cfg->no_shutdown);
    if (!main_create_block(cfg, errp) || !main_create_chardevs(cfg, errp)) {
        return false;
    }
    if (!main_machine_is_none(cfg) && !machine_create(cfg, errp)) {
        return false;
    }
    return main_create_monitors(cfg, errp);
}

int main(int argc, char **argv)
{
    g_autofree char *progname = g_path_get_basename(argv[0]);
    VmConfig cfg;
    Error *err = NULL;
    int status = 1;

    error_set_progname(progname);
    if (!cmdline_parse(argc, argv, &cfg, &err)) {
        error_report_err(err);
        vmconfig_free(&cfg);
        return 1;
    }
    if (cfg.exit_text) {
        fputs(cfg.exit_text, stdout);
        vmconfig_free(&cfg);
        return 0;
    }
    error_set_timestamps(cfg.msg_timestamp);

    if (main_setup(&cfg, &err)) {
        os_setup_post();
        machine_start();
        status = main_loop_run();
    } else {
        error_report_err(err);
    }

    machine_destroy();
    blockdev_close_all();
    monitor_cleanup_all();
    chardev_cleanup_all();
    if (cfg.pidfile) {
        pidfile_remove();
    }
    vmconfig_free(&cfg);
    return status;
}
