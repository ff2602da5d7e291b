/*
 * QMP queries about the machine's CPUs and threads (query-cpus-fast,
 * query-hotpluggable-cpus, query-iothreads), answered as QEMU's pc machine
 * does so that managers (libvirt) find what they look for.
 */
#include <sys/syscall.h>

#include "hw/core/machine.h"
#include "qapi/qapi-commands.h"

/* QEMU's type name of the default x86 CPU model. */
#define MACHINE_CPU_TYPE "qemu64-x86_64-cpu"

static CpuInstanceProperties *machine_cpu_props(unsigned index)
{
    const SmpConfig *smp = &current_machine->cfg->smp;
    unsigned threads = MAX(smp->threads, 1), cores = MAX(smp->cores, 1),
             dies = MAX(smp->dies, 1);
    CpuInstanceProperties *p = g_new0(CpuInstanceProperties, 1);

    p->has_socket_id = true;
    p->socket_id = index / (threads * cores * dies);
    if (dies > 1) {
        p->has_die_id = true;
        p->die_id = index / (threads * cores) % dies;
    }
    p->has_core_id = true;
    p->core_id = index / threads % cores;
    p->has_thread_id = true;
    p->thread_id = index % threads;
    return p;
}

static char *machine_cpu_path(unsigned index)
{
    /* As in QEMU: the first CPU is the first unattached device, then
     * comes the kvmvapic device, then the other CPUs. */
    return g_strdup_printf("/machine/unattached/device[%u]", index ? index + 1 : 0);
}

CpuInfoFastList *qmp_query_cpus_fast(Error **errp)
{
    const AccelOps *accel = machine_accel();
    CpuInfoFastList *head = NULL, **tail = &head;

    if (!current_machine) {
        return NULL; /* machine 'none' has no CPU */
    }
    for (unsigned i = 0; i < current_machine->smp_cpus; i++) {
        CpuInfoFast *info = g_new0(CpuInfoFast, 1);
        int tid = accel && accel->vcpu_thread_id ? accel->vcpu_thread_id(i) : -1;

        info->cpu_index = i;
        info->qom_path = machine_cpu_path(i);
        info->thread_id = tid >= 0 ? tid : (int64_t)syscall(SYS_gettid);
        info->has_props = true;
        info->props = machine_cpu_props(i);
        info->target = SYS_EMU_TARGET_X86_64;
        *tail = g_new0(CpuInfoFastList, 1);
        (*tail)->value = info;
        tail = &(*tail)->next;
    }
    return head;
}

HotpluggableCPUList *qmp_query_hotpluggable_cpus(Error **errp)
{
    HotpluggableCPUList *head = NULL;
    unsigned max;

    if (!current_machine) {
        error_setg(errp, "The feature 'query-hotpluggable-cpus' is not enabled");
        return NULL;
    }
    max = MAX(current_machine->cfg->smp.maxcpus, current_machine->smp_cpus);
    /* QEMU lists the slots from the last one down. */
    for (unsigned i = 0; i < max; i++) {
        HotpluggableCPU *cpu = g_new0(HotpluggableCPU, 1);
        HotpluggableCPUList *elem = g_new0(HotpluggableCPUList, 1);

        cpu->type = g_strdup(MACHINE_CPU_TYPE);
        cpu->vcpus_count = 1;
        cpu->props = machine_cpu_props(i);
        if (i < current_machine->smp_cpus) {
            cpu->has_qom_path = true;
            cpu->qom_path = machine_cpu_path(i);
        }
        elem->value = cpu;
        elem->next = head;
        head = elem;
    }
    return head;
}

IOThreadInfoList *qmp_query_iothreads(Error **errp)
{
    /* No -object iothread: every block request runs on the main loop. */
    return NULL;
}
