/*
 * The 'pc' machine (i440FX + PIIX3, as QEMU's pc-i440fx-7.2): the pieces
 * hw/i386/pc.c assembles, each implemented in its own file.
 *
 * Layout (as QEMU's, so guests and firmware-free direct boot agree):
 *   00.0 i440FX host bridge   01.0 PIIX3 ISA bridge   01.1 PIIX3 IDE
 *   01.3 PIIX4 power management (ACPI PM I/O at 0x600)
 *   -device / -drive if=virtio PCI devices from slot 2 up.
 *   RAM below 4 GiB up to 3 GiB (0xc0000000) when it does not all fit below
 *   0xe0000000, the rest at 4 GiB; the PCI hole above.
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include "hw/core/machine.h"
#include "hw/pci/pci.h"

#define PC_PCI_HOLE_START 0xc0000000ULL
#define PC_PM_IO_BASE 0x600
/* Where the BIOS would have put PCI BARs: minivm boots without firmware,
 * so the machine assigns BARs itself (pc_pci_assign_bars). */
#define PC_PCI_MMIO_BASE 0xe0000000ULL
#define PC_PCI_MMIO_END 0xfec00000ULL
#define PC_PCI_IO_BASE 0xc000

/* hw/pci/i440fx.c: host bridge, PIIX3 ISA bridge and INTx routing; the bus "pci.0". */
PCIBus *pc_pci_init(MachineState *ms, Error **errp);
/* hw/pci/pci-assign.c: programs every BAR and enables decoding, as firmware would. */
void pc_pci_assign_bars(PCIBus *bus);

/* hw/ide/piix.c: PIIX3 IDE at 01.1 with buses ide.0 and ide.1, and the
 * disks of -drive if=ide (index / bus / unit). */
bool pc_ide_init(MachineState *ms, PCIBus *bus, Error **errp);

/* hw/virtio/virtio-blk-pci.c: a virtio-blk-pci for each -drive if=virtio. */
bool pc_virtio_drives_init(MachineState *ms, PCIBus *bus, Error **errp);

/* hw/i386/pc-isa.c: the ISA devices (serial ports of -serial, RTC/CMOS,
 * i8042 reset line, port 0x92, the ISA bus "isa.0" for -device isa-*). */
bool pc_isa_init(MachineState *ms, Error **errp);

/* hw/i386/acpi-pm.c: PIIX4 PM function with PM1 registers (poweroff, the
 * power button) and hw/i386/acpi-build.c: the ACPI tables in guest RAM. */
bool pc_acpi_init(MachineState *ms, PCIBus *bus, Error **errp);
void pc_acpi_powerdown(void);

/* hw/i386/loader.c: -kernel (bzImage or PVH ELF), -initrd, -append, e820;
 * sets the boot vCPU state the accelerator loads on (re)start. */
bool pc_load_kernel(MachineState *ms, Error **errp);

#endif
