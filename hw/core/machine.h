/*
 * The machine being built: what the command line asked for, and the pieces
 * the machine code, the accelerators and the devices share.  system/main.c
 * calls machine_create() once the block layer and chardevs exist and
 * before the monitors start; hw/i386/pc.c implements the 'pc' machine.
 */
#ifndef HW_CORE_MACHINE_H
#define HW_CORE_MACHINE_H

#include "system/cmdline.h"
#include "util/error.h"

typedef struct MachineState {
    const VmConfig *cfg;
    uint64_t ram_size;            /* -m */
    uint64_t below_4g, above_4g;  /* RAM split around the PCI hole */
    unsigned smp_cpus;
    const char *kernel, *initrd, *append;
    bool qtest;                   /* -accel qtest: no vCPUs */
} MachineState;

extern MachineState *current_machine;

/*
 * Builds the machine cfg->machine_type (not "none") with its default
 * devices, -drive if=virtio/ide disks, -device devices, loads the kernel,
 * and creates (but does not start) the vCPUs.
 */
bool machine_create(const VmConfig *cfg, Error **errp);
/* Starts the vCPUs unless -S (after the monitors exist). */
void machine_start(void);
void machine_destroy(void);

/*
 * The accelerator: KVM (accel/kvm) or qtest (accel/qtest).  init runs after
 * guest RAM exists and before devices are created (it installs the irq and
 * ioeventfd backends); vcpus_create runs once the machine is complete.
 */
typedef struct AccelOps {
    const char *name;
    bool (*init)(MachineState *ms, Error **errp);
    bool (*vcpus_create)(MachineState *ms, Error **errp);
    void (*vcpus_start)(void);   /* also: resume */
    void (*vcpus_pause)(void);   /* returns when every vCPU is out of the guest */
    void (*vcpus_reset)(void);   /* to the boot state (the machine reloads the kernel) */
    void (*cleanup)(void);
    /* Optional: the host thread id of vCPU 'index' (query-cpus-fast), or -1. */
    int (*vcpu_thread_id)(unsigned index);
} AccelOps;
/* The machine's accelerator (NULL for machine 'none'). */
const AccelOps *machine_accel(void);
extern const AccelOps accel_kvm_ops;
extern const AccelOps accel_qtest_ops;

#endif
