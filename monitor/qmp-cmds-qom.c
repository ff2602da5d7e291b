/*
 * The QOM view of minivm for managers: which types exist (machines,
 * devices, chardev backends), their properties, and a minimal object
 * tree.  minivm has no QOM; this is a description, kept as data, of the
 * types it implements, named as QEMU names them so that a manager's
 * probing finds what it expects.
 */
#include "util/osdep.h"

#include "qapi/qapi-commands.h"
#include "qapi/qapi-json.h"
#include "system/sysemu.h"

typedef struct PropDesc {
    const char *name;
    const char *type;
    const char *description;
    const char *default_json; /* JSON text of the default, or NULL */
} PropDesc;

typedef struct TypeDesc {
    const char *name;
    const char *parent;
    bool abstract;
    const PropDesc *props; /* own properties, ending with a NULL name */
} TypeDesc;

#define BACKEND_DRIVE "Node name or ID of a block device to use as a backend"
#define BACKEND_CHARDEV "ID of a chardev to use as a backend"
#define BLOCK_SIZE_DESC "A power of two between 512 B and 2 MiB"

static const PropDesc object_props[] = {
    {"type", "string"},
    {NULL},
};

static const PropDesc machine_props[] = {
    {"kernel", "string", "Linux kernel image file"},
    {"initrd", "string", "Linux initial ramdisk file"},
    {"append", "string", "Linux kernel command line"},
    {"usb", "bool", "Set on/off to enable/disable usb"},
    {"dump-guest-core", "bool", "Include guest memory in a core dump"},
    {"mem-merge", "bool", "Enable/disable memory merge support"},
    {NULL},
};

static const PropDesc pci_props[] = {
    {"addr", "int32", "Slot and optional function number, example: 06.0 or 06", "-1"},
    {"rombar", "uint32", NULL, "1"},
    {"multifunction", "bool", "on/off", "false"},
    {NULL},
};

static const PropDesc virtio_blk_props[] = {
    {"drive", "str", BACKEND_DRIVE},
    {"serial", "str"},
    {"bootindex", "int32"},
    {"num-queues", "uint16", NULL, "65535"},
    {"logical_block_size", "size", BLOCK_SIZE_DESC, "0"},
    {"physical_block_size", "size", BLOCK_SIZE_DESC, "0"},
    {"write-cache", "OnOffAuto", "on/off/auto", "\"auto\""},
    {"share-rw", "bool", NULL, "false"},
    {"discard", "bool", "on/off", "true"},
    {NULL},
};

static const PropDesc ide_hd_props[] = {
    {"unit", "uint32", NULL, "4294967295"},
    {"drive", "str", BACKEND_DRIVE},
    {"serial", "str"},
    {"model", "str"},
    {"bootindex", "int32"},
    {"logical_block_size", "size", BLOCK_SIZE_DESC, "0"},
    {"physical_block_size", "size", BLOCK_SIZE_DESC, "0"},
    {"write-cache", "OnOffAuto", "on/off/auto", "\"auto\""},
    {"share-rw", "bool", NULL, "false"},
    {NULL},
};

static const PropDesc isa_serial_props[] = {
    {"index", "uint32", NULL, "4294967295"},
    {"iobase", "uint32", NULL, "4294967295"},
    {"irq", "uint32", NULL, "4294967295"},
    {"chardev", "str", BACKEND_CHARDEV},
    {NULL},
};

static const PropDesc isa_debugcon_props[] = {
    {"iobase", "uint32", NULL, "233"},
    {"readback", "uint32", NULL, "233"},
    {"chardev", "str", BACKEND_CHARDEV},
    {NULL},
};

static const TypeDesc types[] = {
    {"object", NULL, true, object_props},
    {"container", "object"},
    /* machines */
    {"machine", "object", true, machine_props},
    {"x86-machine", "machine", true},
    {"generic-pc-machine", "x86-machine", true},
    {"pc-i440fx-7.2-machine", "generic-pc-machine"},
    {"none-machine", "machine"},
    /* devices */
    {"device", "object", true},
    {"pci-device", "device", true, pci_props},
    {"virtio-pci", "pci-device", true},
    {"virtio-blk-pci-base", "virtio-pci", true},
    {"virtio-blk-pci", "virtio-blk-pci-base", false, virtio_blk_props},
    {"pci-ide", "pci-device", true},
    {"piix3-ide", "pci-ide"},
    {"ide-device", "device", true},
    {"ide-hd", "ide-device", false, ide_hd_props},
    {"isa-device", "device", true},
    {"isa-serial", "isa-device", false, isa_serial_props},
    {"isa-debugcon", "isa-device", false, isa_debugcon_props},
    /* chardev backends */
    {"chardev", "object", true},
    {"chardev-fd", "chardev", true},
    {"chardev-socket", "chardev"},
    {"chardev-stdio", "chardev-fd"},
    {"chardev-file", "chardev-fd"},
    {"chardev-pipe", "chardev-fd"},
    {"chardev-pty", "chardev"},
    {"chardev-null", "chardev"},
};

/*
 * Types libvirt 9.0 asks qom-list-properties about while probing; it
 * cannot cope with an error there, so they get an empty list.
 */
static const char *const probed_types[] = {
    "memory-backend-file",
    "memory-backend-memfd",
    "max-x86_64-cpu",
};

static const TypeDesc *type_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        if (!strcmp(types[i].name, name)) {
            return &types[i];
        }
    }
    return NULL;
}

static bool type_is_a(const TypeDesc *t, const char *ancestor)
{
    for (; t; t = t->parent ? type_find(t->parent) : NULL) {
        if (!strcmp(t->name, ancestor)) {
            return true;
        }
    }
    return false;
}

ObjectTypeInfoList *qmp_qom_list_types(bool has_implements, const char *implements,
                                       bool has_abstract, bool abstract, Error **errp)
{
    ObjectTypeInfoList *list = NULL, **tail = &list;

    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        const TypeDesc *t = &types[i];
        ObjectTypeInfo *info;

        if ((has_implements && !type_is_a(t, implements)) || (t->abstract && !abstract)) {
            continue;
        }
        info = g_new0(ObjectTypeInfo, 1);
        info->name = g_strdup(t->name);
        info->has_abstract = t->abstract;
        info->abstract = t->abstract;
        info->has_parent = t->parent != NULL;
        info->parent = g_strdup(t->parent);
        QAPI_LIST_APPEND(tail, info);
    }
    return list;
}

static void append_props(ObjectPropertyInfoList ***tail, const PropDesc *props)
{
    for (const PropDesc *p = props; p && p->name; p++) {
        ObjectPropertyInfo *info = g_new0(ObjectPropertyInfo, 1);

        info->name = g_strdup(p->name);
        info->type = g_strdup(p->type);
        info->has_description = p->description != NULL;
        info->description = g_strdup(p->description);
        if (p->default_json) {
            info->has_default_value = true;
            info->default_value = json_loads(p->default_json, JSON_DECODE_ANY, NULL);
            g_assert(info->default_value);
        }
        QAPI_LIST_APPEND(*tail, info);
    }
}

/* Properties of t and its ancestors below 'stop', ancestors first. */
static void append_type_props(ObjectPropertyInfoList ***tail, const TypeDesc *t, const char *stop)
{
    if (!t || (stop && !strcmp(t->name, stop))) {
        return;
    }
    append_type_props(tail, t->parent ? type_find(t->parent) : NULL, stop);
    append_props(tail, t->props);
}

ObjectPropertyInfoList *qmp_qom_list_properties(const char *q_typename, Error **errp)
{
    ObjectPropertyInfoList *list = NULL, **tail = &list;
    const TypeDesc *t = type_find(q_typename);

    if (!t) {
        for (size_t i = 0; i < ARRAY_SIZE(probed_types); i++) {
            if (!strcmp(probed_types[i], q_typename)) {
                return NULL;
            }
        }
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Class '%s' not found", q_typename);
        return NULL;
    }
    append_type_props(&tail, t, NULL);
    return list;
}

ObjectPropertyInfoList *qmp_device_list_properties(const char *q_typename, Error **errp)
{
    ObjectPropertyInfoList *list = NULL, **tail = &list;
    const TypeDesc *t = type_find(q_typename);

    if (!t) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", q_typename);
        return NULL;
    }
    if (t->abstract || !type_is_a(t, "device")) {
        error_setg(errp, "Parameter 'typename' expects a non-abstract device type");
        return NULL;
    }
    /* the generic object and device properties are not device options */
    append_type_props(&tail, t, "device");
    return list;
}

/* ---------------------------------------------------------------- the tree */

static const char *machine_type_name(void)
{
    return sysemu.machine && !strcmp(sysemu.machine, "pc") ? "pc-i440fx-7.2-machine"
                                                           : "none-machine";
}

typedef struct TreeNode {
    const char *path;
    const char *type; /* NULL: the machine's type */
    const char *children[4];
} TreeNode;

/* Just the containers every QEMU has; devices are not listed (yet). */
static const TreeNode tree[] = {
    {"/", "container", {"machine", "chardevs"}},
    {"/machine", NULL, {"peripheral-anon", "peripheral", "unattached"}},
    {"/machine/peripheral", "container"},
    {"/machine/peripheral-anon", "container"},
    {"/machine/unattached", "container"},
    {"/chardevs", "container"},
};

static const TreeNode *tree_find(const char *path, Error **errp)
{
    for (size_t i = 0; i < ARRAY_SIZE(tree); i++) {
        if (!strcmp(tree[i].path, path)) {
            return &tree[i];
        }
    }
    error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", path);
    return NULL;
}

static const char *node_type(const TreeNode *n)
{
    return n->type ? n->type : machine_type_name();
}

ObjectPropertyInfoList *qmp_qom_list(const char *path, Error **errp)
{
    const TreeNode *n = tree_find(path, errp);
    ObjectPropertyInfoList *list = NULL, **tail = &list;
    ObjectPropertyInfo *info;

    if (!n) {
        return NULL;
    }
    info = g_new0(ObjectPropertyInfo, 1);
    info->name = g_strdup("type");
    info->type = g_strdup("string");
    QAPI_LIST_APPEND(tail, info);
    for (size_t i = 0; i < ARRAY_SIZE(n->children) && n->children[i]; i++) {
        g_autofree char *child = g_strcmp0(path, "/")
                                     ? g_strdup_printf("%s/%s", path, n->children[i])
                                     : g_strdup_printf("/%s", n->children[i]);
        const TreeNode *c = tree_find(child, &error_abort);

        info = g_new0(ObjectPropertyInfo, 1);
        info->name = g_strdup(n->children[i]);
        info->type = g_strdup_printf("child<%s>", node_type(c));
        QAPI_LIST_APPEND(tail, info);
    }
    return list;
}

json_t *qmp_qom_get(const char *path, const char *property, Error **errp)
{
    const TreeNode *n = tree_find(path, errp);

    if (!n) {
        return NULL;
    }
    if (!strcmp(property, "type")) {
        return json_string(node_type(n));
    }
    error_setg(errp, "Property '%s.%s' not found", node_type(n), property);
    return NULL;
}
