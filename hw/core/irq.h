/*
 * Interrupts from devices to the interrupt controllers.  On KVM the
 * controllers are in the kernel (PIC, IOAPIC, LAPIC); under qtest there is
 * no CPU and the lines are reported to the qtest client instead.
 *
 * Any thread with the BQL, or the main thread.
 */
#ifndef HW_CORE_IRQ_H
#define HW_CORE_IRQ_H

#include "util/osdep.h"

/* GSIs of the pc machine: ISA IRQs 0..15 and PCI INTx routed to 16..23. */
#define IRQ_NUM_GSI 24

/* Sets the level of a line (level-triggered: PCI INTx, the UART, ...). */
void irq_set_level(unsigned gsi, bool level);
/* Raises and lowers a line (edge-triggered ISA devices: IDE legacy, RTC). */
void irq_pulse(unsigned gsi);

/*
 * Delivers one MSI (MSI-X table entry: address and data).  Under qtest the
 * message is written into guest memory at 'address' when that is RAM, which
 * is how qtest clients observe MSI-X.
 */
void msi_send(uint64_t address, uint32_t data);

/*
 * The accelerator's implementation.  An irqfd lets a main-loop device raise
 * an MSI by writing an eventfd without a trip through the VMM: irqfd_msi
 * returns such an fd (or -errno when unsupported; then use msi_send).
 */
typedef struct IrqBackend {
    void (*set_level)(unsigned gsi, bool level);
    void (*msi)(uint64_t address, uint32_t data);
    /* Optional. */
    int (*irqfd_msi_add)(uint64_t address, uint32_t data);
    void (*irqfd_msi_del)(int fd);
} IrqBackend;
void irq_set_backend(const IrqBackend *backend);

/* irqfds for MSI vectors; -ENOTSUP when the backend has none. */
int irqfd_msi_add(uint64_t address, uint32_t data);
void irqfd_msi_del(int fd);

#endif
