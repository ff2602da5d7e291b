/*
 * The 'pc' machine: builds RAM, the accelerator, the chipset and the
 * devices in the order their dependencies need, then loads the kernel.
 * Each piece lives in its own file (see pc.h).
 */
#include "hw/i386/pc.h"
#include "system/runstate.h"
#include "system/sysemu.h"

MachineState *current_machine;

static const AccelOps *pc_accel_ops(void)
{
    return sysemu.kvm_enabled ? &accel_kvm_ops : &accel_qtest_ops;
}

/* QEMU's split: all RAM below 4 GiB if it fits under 0xe0000000, else 3 GiB. */
static void pc_ram_split(MachineState *ms)
{
    if (ms->ram_size >= 0xe0000000ULL) {
        ms->below_4g = PC_PCI_HOLE_START;
    } else {
        ms->below_4g = ms->ram_size;
    }
    ms->above_4g = ms->ram_size - ms->below_4g;
}

static bool pc_devices_init(MachineState *ms, Error **errp)
{
    const VmConfig *cfg = ms->cfg;

    for (guint i = 0; i < cfg->devices->len; i++) {
        json_t *opts = g_ptr_array_index(cfg->devices, i);
        const char *loc = vmconfig_location(cfg, opts);
        const char *arg = loc ? strchr(loc, ' ') : NULL;

        /* "-device ARG": an ARG that starts with '{' is JSON, as for -blockdev. */
        if (!qdev_device_add(opts, arg && arg[1] == '{', errp)) {
            error_prepend(errp, "%s: ", loc ? loc : "-device");
            return false;
        }
    }
    return true;
}

static void pc_machine_reset(void)
{
    const AccelOps *accel = pc_accel_ops();
    Error *err = NULL;

    qemu_devices_reset();
    if (current_machine->kernel && !pc_load_kernel(current_machine, &err)) {
        error_report_err(err);
    }
    accel->vcpus_reset();
}

static void pc_pause_all(void)
{
    pc_accel_ops()->vcpus_pause();
}

static void pc_resume_all(void)
{
    pc_accel_ops()->vcpus_start();
}

static const RunstateHooks pc_runstate_hooks = {
    .pause_all_vcpus = pc_pause_all,
    .resume_all_vcpus = pc_resume_all,
    .machine_reset = pc_machine_reset,
    .powerdown = pc_acpi_powerdown,
};

bool machine_create(const VmConfig *cfg, Error **errp)
{
    MachineState *ms = g_new0(MachineState, 1);
    const AccelOps *accel = pc_accel_ops();
    PCIBus *bus;

    ms->cfg = cfg;
    ms->ram_size = cfg->ram_size;
    ms->smp_cpus = cfg->smp.cpus;
    ms->kernel = cfg->kernel;
    ms->initrd = cfg->initrd;
    ms->append = cfg->append;
    ms->qtest = !sysemu.kvm_enabled;
    current_machine = ms;
    pc_ram_split(ms);

    if (!guest_ram_init(ms->below_4g, ms->above_4g, errp) || !accel->init(ms, errp)) {
        return false;
    }
    bus = pc_pci_init(ms, errp);
    if (!bus || !pc_isa_init(ms, errp) || !pc_ide_init(ms, bus, errp) ||
        !pc_acpi_init(ms, bus, errp) || !pc_virtio_drives_init(ms, bus, errp) ||
        !pc_devices_init(ms, errp)) {
        return false;
    }
    pc_pci_assign_bars(bus);
    if (ms->kernel && !pc_load_kernel(ms, errp)) {
        return false;
    }
    if (!accel->vcpus_create(ms, errp)) {
        return false;
    }
    runstate_set_hooks(&pc_runstate_hooks);
    return true;
}

const AccelOps *machine_accel(void)
{
    return current_machine ? pc_accel_ops() : NULL;
}

void machine_start(void)
{
    if (current_machine && runstate_is_running()) {
        pc_accel_ops()->vcpus_start();
    }
}

void machine_destroy(void)
{
    if (current_machine) {
        if (pc_accel_ops()->cleanup) {
            pc_accel_ops()->cleanup();
        }
    }
}
