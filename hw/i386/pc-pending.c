/*
 * TEMPORARY during integration: weak fallbacks for the machine pieces other
 * files provide, so the tree links while they are written.  Each fails
 * with a clear error.  The lead removes this file before the pieces land.
 */
#include "hw/i386/pc.h"

#define PENDING(what) error_setg(errp, "%s is not implemented yet", what)

__attribute__((weak)) PCIBus *pc_pci_init(MachineState *ms, Error **errp)
{
    PENDING("the PCI host bridge");
    return NULL;
}
__attribute__((weak)) void pc_pci_assign_bars(PCIBus *bus) {}
__attribute__((weak)) bool pc_ide_init(MachineState *ms, PCIBus *bus, Error **errp)
{
    return true;
}
__attribute__((weak)) bool pc_virtio_drives_init(MachineState *ms, PCIBus *bus, Error **errp)
{
    return true;
}
__attribute__((weak)) bool pc_isa_init(MachineState *ms, Error **errp)
{
    return true;
}
__attribute__((weak)) bool pc_acpi_init(MachineState *ms, PCIBus *bus, Error **errp)
{
    return true;
}
__attribute__((weak)) void pc_acpi_powerdown(void) {}
__attribute__((weak)) bool pc_load_kernel(MachineState *ms, Error **errp)
{
    PENDING("-kernel");
    return false;
}
__attribute__((weak)) DeviceState *qdev_device_add(json_t *opts, bool json_types, Error **errp)
{
    PENDING("-device");
    return NULL;
}
__attribute__((weak)) void qemu_devices_reset(void) {}

static bool pending_init(MachineState *ms, Error **errp)
{
    PENDING("this accelerator");
    return false;
}
__attribute__((weak)) const AccelOps accel_kvm_ops = { .name = "kvm", .init = pending_init };
__attribute__((weak)) const AccelOps accel_qtest_ops = { .name = "qtest", .init = pending_init };
