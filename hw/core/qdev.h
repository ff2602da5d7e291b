/*
 * Devices: a class table per device type (its name, bus, properties and
 * realize/reset), instances created by the machine or by -device /
 * device_add, plugged into a bus ("pci.0", "ide.0", "isa.0"), reset
 * together on system_reset.  A device type registers itself from its own
 * file with DEVICE_CLASS_REGISTER(), so adding a device touches one file.
 *
 * Main thread (BQL) only.
 */
#ifndef HW_CORE_QDEV_H
#define HW_CORE_QDEV_H

#include <jansson.h>

#include "util/error.h"
#include "util/osdep.h"

typedef struct DeviceState DeviceState;
typedef struct BusState BusState;
typedef struct DeviceClass DeviceClass;

/*
 * Property kinds.  Values come from -device (strings in keyval form, JSON
 * types in JSON form) and are stored into the instance at 'offset'.
 *   PROP_STR       char *            (owned by the device)
 *   PROP_BOOL      bool              on/off/true/false/yes/no
 *   PROP_U8/16/32  uint8_t/16/32_t   decimal or 0x hex
 *   PROP_U64       uint64_t
 *   PROP_SIZE      uint64_t          with k/M/G/T suffixes
 *   PROP_DRIVE     BlockBackend *    a -drive id or a node name (as QEMU:
 *                                    a node gets an anonymous backend);
 *                                    the device owns the reference
 *   PROP_CHR       Chardev *         a -chardev id
 *   PROP_PCI_DEVFN int32_t           "slot" or "slot.fn", -1 when absent
 *   PROP_ON_OFF_AUTO OnOffAuto       on/off/auto
 */
typedef enum PropType {
    PROP_STR,
    PROP_BOOL,
    PROP_U8,
    PROP_U16,
    PROP_U32,
    PROP_U64,
    PROP_SIZE,
    PROP_DRIVE,
    PROP_CHR,
    PROP_PCI_DEVFN,
    PROP_ON_OFF_AUTO,
} PropType;

typedef struct Property {
    const char *name;
    PropType type;
    size_t offset;
    const char *defval; /* NULL: zero / NULL / -1 for devfn */
} Property;

#define DEFINE_PROP(_name, _state, _field, _type, _def)                                            \
    { .name = (_name), .type = (_type), .offset = offsetof(_state, _field), .defval = (_def) }

struct DeviceClass {
    const char *name;        /* "virtio-blk-pci": the -device driver name */
    const char *parent;      /* QOM parent type, for qom-list-types ("pci-device") */
    const char *bus_type;    /* "PCI", "IDE", "ISA", or NULL: no bus */
    const char *desc;        /* -device help */
    const char *category;    /* "Storage devices", "Input devices", ... */
    size_t instance_size;    /* >= sizeof(DeviceState): the state embeds it first */
    bool user_creatable;     /* may be given to -device / device_add */
    const Property *props;   /* NULL-name terminated; the bus adds its own */
    /* Builds the device once its properties are set and it has a bus. */
    bool (*realize)(DeviceState *dev, Error **errp);
    /* system_reset: back to the state after realize. */
    void (*reset)(DeviceState *dev);
    void (*unrealize)(DeviceState *dev);
};

struct DeviceState {
    const DeviceClass *klass;
    char *id;          /* id=, or NULL */
    BusState *parent_bus;
    bool realized;
    char *canonical_path; /* /machine/peripheral/ID, /machine/peripheral-anon/device[N], ... */
};

/* A bus: the machine creates them; a device of the bus's type plugs in. */
typedef struct BusClass {
    const char *type;  /* "PCI", "IDE", "ISA" */
    /* Checks and records the bus-specific address (PCI addr=, IDE unit=). */
    bool (*plug)(BusState *bus, DeviceState *dev, json_t *opts, Error **errp);
    void (*unplug)(BusState *bus, DeviceState *dev);
    const Property *props; /* properties every device on this bus has ("addr", "unit") */
} BusClass;

struct BusState {
    const BusClass *klass;
    char *name;        /* "pci.0", "ide.0" */
    DeviceState *parent; /* the controller, or NULL */
    void *opaque;      /* the bus implementation's state */
    GPtrArray *children; /* DeviceState * */
};

void device_class_register(const DeviceClass *dc);
#define DEVICE_CLASS_REGISTER(dc)                                                                  \
    static void __attribute__((constructor)) dc##_register(void)                                  \
    {                                                                                              \
        device_class_register(&(dc));                                                              \
    }
const DeviceClass *device_class_find(const char *name);
/* Iterates registered classes in name order; i from 0 until NULL. */
const DeviceClass *device_class_nth(unsigned i);

BusState *qbus_new(const BusClass *bc, const char *name, DeviceState *parent, void *opaque);
BusState *qbus_find(const char *name);
/* The first bus of a type with room for another device (-device without bus=). */
BusState *qbus_find_free(const char *type);

/*
 * Creates, configures and realizes a device from an option object
 * {"driver": "virtio-blk-pci", "id": ..., "bus": ..., props...}: -device
 * and device_add.  Unknown properties and bad values get QEMU's errors
 * ("Property 'virtio-blk-pci.foo' not found").  'json_types' tells whether
 * values carry JSON types (JSON -device form) or are strings (keyval).
 */
DeviceState *qdev_device_add(json_t *opts, bool json_types, Error **errp);
/* The machine's own devices: same, with a class name and a property object. */
DeviceState *qdev_create(const char *type, BusState *bus, json_t *props, Error **errp);
void qdev_unplug(DeviceState *dev, Error **errp);
DeviceState *qdev_find_id(const char *id);
/* Iterates every realized device; start with NULL. */
DeviceState *qdev_next(DeviceState *dev);

/* system_reset: resets every device (children after their bus's parent). */
void qdev_reset_all(void);
/* Non-device state that must be reset too (the CPUs, the kernel image). */
void qemu_register_reset(void (*fn)(void *opaque), void *opaque);
void qemu_devices_reset(void);

#endif
