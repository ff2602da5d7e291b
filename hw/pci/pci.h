/*
 * PCI: the bus behind the host bridge (config mechanism #1 at 0xcf8/0xcfc),
 * functions with a 256-byte config space, BARs, capabilities, INTx and
 * MSI-X.  A PCI device embeds PCIDevice first (which embeds DeviceState
 * first) and has a PCIDeviceClass.
 *
 * Main thread or BQL.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include "hw/core/memory.h"
#include "hw/core/qdev.h"

#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_DEVFN(slot, fn) ((((slot) & 0x1f) << 3) | ((fn) & 7))

/* Config space offsets used across devices. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

/* BAR kinds. */
enum {
    PCI_BAR_IO = 0x1,
    PCI_BAR_MEM32 = 0x0,
    PCI_BAR_MEM64 = 0x4,
    PCI_BAR_PREFETCH = 0x8,
};

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

typedef struct PCIBar {
    uint64_t size;     /* power of two, 0: unused */
    uint8_t type;      /* PCI_BAR_* */
    IORegion *region;  /* mapped where the guest programs it, while decoding is on */
} PCIBar;

typedef struct MSIXState MSIXState;

struct PCIDevice {
    DeviceState qdev;
    PCIBus *bus;
    int32_t devfn;      /* the "addr" property; -1: first free slot */
    bool multifunction; /* the "multifunction" property */
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* guest-writable bits */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* write-1-to-clear bits */
    PCIBar bars[PCI_NUM_BARS];
    int irq_level;      /* INTx asserted */
    MSIXState *msix;
};

/*
 * A PCI device type.  The DeviceClass's realize/reset are the PCI core's
 * (set by PCI_DEVICE_CLASS_INIT); the device's own go here.
 */
typedef struct PCIDeviceClass {
    DeviceClass parent;
    uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
    uint8_t revision;
    uint16_t class_id;  /* base class << 8 | subclass */
    uint8_t prog_if;
    uint8_t header_type_multifunction;
    bool (*realize)(PCIDevice *d, Error **errp);
    void (*exit)(PCIDevice *d);
    void (*reset)(PCIDevice *d);
    /* Optional hooks on config accesses (after the core's handling). */
    uint32_t (*config_read)(PCIDevice *d, uint32_t addr, unsigned len);
    void (*config_write)(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len);
} PCIDeviceClass;

/* Fills in the DeviceClass part of a PCIDeviceClass (bus, realize, reset). */
void pci_device_class_init(PCIDeviceClass *pc);
#define PCI_DEVICE_CLASS_REGISTER(pc)                                                              \
    static void __attribute__((constructor)) pc##_register(void)                                  \
    {                                                                                              \
        pci_device_class_init(&(pc));                                                              \
        device_class_register(&(pc).parent);                                                       \
    }
static inline const PCIDeviceClass *pci_device_get_class(const PCIDevice *d)
{
    return (const PCIDeviceClass *)d->qdev.klass;
}

/*
 * The machine's PCI bus: i440FX host bridge at 00.0, the config ports,
 * INTx routed through the PIIX3 PIRQ registers to GSIs.  Returns the bus
 * ("pci.0").
 */
PCIBus *pci_bus_get(void);
BusState *pci_bus_qbus(PCIBus *bus);
PCIDevice *pci_find_device(PCIBus *bus, int devfn);

/* Config space accessors (little-endian). */
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, v);
    pci_set_word(p + 2, v >> 16);
}
static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return pci_get_word(p) | ((uint32_t)pci_get_word(p + 2) << 16);
}
uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, unsigned len);
void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len);

/*
 * Declares BAR 'bar' of 'size' bytes (a power of two) served by ops/opaque.
 * It is mapped while the command register enables its space and the guest
 * has programmed an address; a 64-bit BAR uses bar and bar + 1.
 */
void pci_register_bar(PCIDevice *d, int bar, uint8_t type, uint64_t size, const char *name,
                      const MemoryOps *ops, void *opaque);
/* The address a BAR is currently mapped at, or UINT64_MAX. */
uint64_t pci_bar_address(PCIDevice *d, int bar);

/* Adds a capability of 'size' bytes at 'offset' (0: first free); returns the offset or -errno. */
int pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t offset, uint8_t size, Error **errp);

/* INTx on the device's interrupt pin (config PCI_INTERRUPT_PIN, 1 = INTA). */
void pci_set_irq(PCIDevice *d, int level);

/*
 * Bus-master DMA: fails with -EFAULT when bus mastering is off or the range
 * is not guest memory.  pci_dma_map returns a pointer into guest RAM, or
 * NULL (same rules); the caller checks it.
 */
int pci_dma_read(PCIDevice *d, uint64_t addr, void *buf, uint64_t len);
int pci_dma_write(PCIDevice *d, uint64_t addr, const void *buf, uint64_t len);
void *pci_dma_map(PCIDevice *d, uint64_t addr, uint64_t len);

/*
 * MSI-X with its table at table_offset and PBA at pba_offset of BAR 'bar',
 * which the core registers (memory, 32-bit, size the next power of two
 * covering both, at least 4 KiB): the device uses that BAR for nothing
 * else.  cap_pos 0: first free.
 */
int msix_init(PCIDevice *d, unsigned nentries, int bar, uint32_t table_offset,
              uint32_t pba_offset, uint8_t cap_pos, Error **errp);
void msix_uninit(PCIDevice *d);
bool msix_enabled(PCIDevice *d);
/* Sends vector's message, or sets its pending bit while masked. */
void msix_notify(PCIDevice *d, unsigned vector);
/* Vector table entry access for irqfd users. */
bool msix_vector_message(PCIDevice *d, unsigned vector, uint64_t *address, uint32_t *data);
bool msix_is_masked(PCIDevice *d, unsigned vector);

#endif
