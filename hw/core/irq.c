/*
 * Interrupt delivery through the accelerator's backend (see irq.h).
 */
#include "hw/core/irq.h"
#include "hw/core/memory.h"

static const IrqBackend *irq_backend;

void irq_set_backend(const IrqBackend *backend)
{
    irq_backend = backend;
}

void irq_set_level(unsigned gsi, bool level)
{
    if (gsi < IRQ_NUM_GSI && irq_backend && irq_backend->set_level) {
        irq_backend->set_level(gsi, level);
    }
}

void irq_pulse(unsigned gsi)
{
    irq_set_level(gsi, true);
    irq_set_level(gsi, false);
}

void msi_send(uint64_t address, uint32_t data)
{
    if (irq_backend && irq_backend->msi) {
        irq_backend->msi(address, data);
        return;
    }
    /* No interrupt controller (qtest): the message lands in memory. */
    guest_memory_write(address, &data, sizeof(data));
}

int irqfd_msi_add(uint64_t address, uint32_t data)
{
    if (!irq_backend || !irq_backend->irqfd_msi_add) {
        return -ENOTSUP;
    }
    return irq_backend->irqfd_msi_add(address, data);
}

void irqfd_msi_del(int fd)
{
    if (irq_backend && irq_backend->irqfd_msi_del && fd >= 0) {
        irq_backend->irqfd_msi_del(fd);
    }
}
