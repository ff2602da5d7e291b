/*
 * -machine, -accel, -m, -smp, -boot and the options QEMU turns into machine
 * properties (-kernel, -initrd, -append, -bios).  As in QEMU 7.2 they are
 * collected into one machine dictionary and checked once all options are in,
 * so most of their errors carry no location.
 */
#include "system/cmdline-internal.h"

#define MiB (1ULL << 20)
#define RAM_DEFAULT_SIZE (128 * MiB)
/* QEMU rounds the RAM size up to this. */
#define RAM_ALIGN 8192
/* Memory hotplug slots a pc machine offers (its ACPI tables' limit). */
#define PC_MAX_RAM_SLOTS 256

typedef enum { PROP_STR, PROP_BOOL, PROP_ONOFFAUTO } MachinePropType;

typedef struct MachineProp {
    const char *name;
    MachinePropType type;
} MachineProp;

/* Properties every machine type has (besides the smp/memory/boot objects,
 * handled on their own). */
static const MachineProp machine_common_props[] = {
    {"append", PROP_STR},
    {"confidential-guest-support", PROP_STR},
    {"dt-compatible", PROP_STR},
    {"dtb", PROP_STR},
    {"dump-guest-core", PROP_BOOL},
    {"dumpdtb", PROP_STR},
    {"firmware", PROP_STR},
    {"graphics", PROP_BOOL},
    {"initrd", PROP_STR},
    {"kernel", PROP_STR},
    {"mem-merge", PROP_BOOL},
    {"memory-backend", PROP_STR},
    {"memory-encryption", PROP_STR},
    {"phandle-start", PROP_STR},
    {"suppress-vmdesc", PROP_BOOL},
    {"usb", PROP_BOOL},
    {NULL},
};

static const MachineProp machine_pc_props[] = {
    {"acpi", PROP_ONOFFAUTO},
    {"bus-lock-ratelimit", PROP_STR},
    {"default-bus-bypass-iommu", PROP_BOOL},
    {"hpet", PROP_BOOL},
    {"i8042", PROP_BOOL},
    {"max-fw-size", PROP_STR},
    {"max-ram-below-4g", PROP_STR},
    {"pic", PROP_ONOFFAUTO},
    {"pit", PROP_ONOFFAUTO},
    {"sata", PROP_BOOL},
    {"sgx-epc", PROP_STR},
    {"smbios-entry-point-type", PROP_STR},
    {"smbus", PROP_BOOL},
    {"smm", PROP_ONOFFAUTO},
    {"vmport", PROP_ONOFFAUTO},
    {"x-oem-id", PROP_STR},
    {"x-oem-table-id", PROP_STR},
    /* instance properties: flash images, and accelerator settings QEMU
     * still takes on -machine */
    {"pflash0", PROP_STR},
    {"pflash1", PROP_STR},
    {"kernel-irqchip", PROP_STR},
    {"kvm-shadow-mem", PROP_STR},
    {NULL},
};

typedef struct MachineType {
    const char *name;
    const char *alias; /* also accepted as the type name */
    const MachineProp *props;
    unsigned max_cpus;
    bool dies_supported;
} MachineType;

static const MachineType machine_types[] = {
    {"pc-i440fx-7.2", "pc", machine_pc_props, 255, true},
    {"none", NULL, NULL, 1, false},
};

static const MachineType *machine_type_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(machine_types); i++) {
        if (!strcmp(machine_types[i].name, name) ||
            (machine_types[i].alias && !strcmp(machine_types[i].alias, name))) {
            return &machine_types[i];
        }
    }
    return NULL;
}

const char *cmdline_machine_resolve(const char *name)
{
    const MachineType *mt = machine_type_find(name);

    return mt ? mt->name : NULL;
}

static const MachineProp *machine_prop_find(const MachineProp *props, const char *name)
{
    for (; props && props->name; props++) {
        if (!strcmp(props->name, name)) {
            return props;
        }
    }
    return NULL;
}

/* ---- option handlers ---- */

bool cmdline_opt_machine(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts = keyval_parse(arg, "type", errp);
    const char *type;

    if (!opts) {
        return false;
    }
    type = opts_get_str(opts, "type");
    if (cmdline_is_help(type)) {
        json_decref(opts);
        cmdline_set_exit_text(st, cmdline_help_machines());
        st->stop = true;
        return true;
    }
    cmdline_json_merge(st->machine, opts);
    json_decref(opts);
    return true;
}

static bool machine_set_str(CmdlineState *st, const char *key, const char *value)
{
    json_object_set_new(st->machine, key, json_string(value));
    return true;
}

bool cmdline_opt_enable_kvm(CmdlineState *st, const char *arg, Error **errp)
{
    return machine_set_str(st, "accel", "kvm");
}

bool cmdline_opt_kernel(CmdlineState *st, const char *arg, Error **errp)
{
    return machine_set_str(st, "kernel", arg);
}

bool cmdline_opt_initrd(CmdlineState *st, const char *arg, Error **errp)
{
    return machine_set_str(st, "initrd", arg);
}

bool cmdline_opt_append(CmdlineState *st, const char *arg, Error **errp)
{
    return machine_set_str(st, "append", arg);
}

bool cmdline_opt_bios(CmdlineState *st, const char *arg, Error **errp)
{
    return machine_set_str(st, "firmware", arg);
}

/* -smp and -boot replace the machine's smp/boot object as a whole. */
static bool machine_set_object(CmdlineState *st, const char *key, const char *arg,
                               const char *implied)
{
    json_object_set_new(st->machine, key, opts_parse(arg, implied, NULL));
    return true;
}

bool cmdline_opt_smp(CmdlineState *st, const char *arg, Error **errp)
{
    return machine_set_object(st, "smp", arg, "cpus");
}

bool cmdline_opt_boot(CmdlineState *st, const char *arg, Error **errp)
{
    return machine_set_object(st, "boot", arg, "order");
}

typedef struct AccelType {
    const char *name;
    const char *const props[8];
} AccelType;

static const AccelType accel_types[] = {
    {"kvm",
     {"kernel-irqchip", "kvm-shadow-mem", "dirty-ring-size", "notify-vmexit", "notify-window"}},
    {"qtest", {NULL}},
    {"tcg", {"thread", "tb-size", "split-wx"}},
};

static const AccelType *accel_type_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(accel_types); i++) {
        if (!strcmp(accel_types[i].name, name)) {
            return &accel_types[i];
        }
    }
    return NULL;
}

bool cmdline_opt_accel(CmdlineState *st, const char *arg, Error **errp)
{
    json_t *opts = opts_parse(arg, "accel", errp);
    const char *name = opts_get_str(opts, "accel");
    const AccelType *at;
    const char *key;
    json_t *val;

    /* QEMU answers "-accel help" (and an -accel without a name) at once. */
    if (!name || cmdline_is_help(name)) {
        json_decref(opts);
        cmdline_set_exit_text(st, cmdline_help_accels());
        st->stop = true;
        return true;
    }
    at = accel_type_find(name);
    if (!at) {
        error_setg(errp, "invalid accelerator %s", name);
        json_decref(opts);
        return false;
    }
    json_object_foreach(opts, key, val)
    {
        if (strcmp(key, "accel") != 0 && !g_strv_contains(at->props, key)) {
            error_setg(errp, "Property '%s-accel.%s' not found", name, key);
            json_decref(opts);
            return false;
        }
    }
    g_ptr_array_add(st->cfg->accels, g_strdup(name));
    json_object_del(opts, "accel");
    g_ptr_array_add(st->cfg->accel_opts, opts);
    st->accel_option = true;
    return true;
}

bool cmdline_opt_m(CmdlineState *st, const char *arg, Error **errp)
{
    static const char *const keys[] = {"size", "slots", "maxmem", NULL};
    json_t *opts = opts_parse(arg, "size", errp);
    uint64_t dummy;
    bool ok;

    ok = opts_check_keys(opts, keys, errp) && opts_get_size(opts, "size", 0, &dummy, errp) &&
         opts_get_number(opts, "slots", 0, &dummy, errp) &&
         opts_get_size(opts, "maxmem", 0, &dummy, errp);
    if (ok) {
        cmdline_json_merge(st->memory, opts);
    }
    json_decref(opts);
    return ok;
}

/* ---- checks once all options are in ---- */

/* The integer rules of QEMU's keyval input: strtoll with base prefixes. */
static bool machine_get_int(json_t *obj, const char *prefix, const char *key, bool *present,
                            int64_t *out, Error **errp)
{
    const char *s = opts_get_str(obj, key);
    char *end;

    *present = s != NULL;
    if (!s) {
        return true;
    }
    errno = 0;
    *out = strtoll(s, &end, 0);
    if (!*s || *end || errno) {
        error_setg(errp, "Parameter '%s.%s' expects integer", prefix, key);
        return false;
    }
    return true;
}

static bool machine_get_bool(json_t *obj, const char *name, const char *key, bool *out,
                             Error **errp)
{
    if (!opts_get_bool(obj, key, *out, out, NULL)) {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
        return false;
    }
    return true;
}

static bool machine_check_props(const MachineType *mt, json_t *machine, Error **errp)
{
    static const char *const onoffauto[] = {"on", "off", "auto", NULL};
    const char *key;
    json_t *val;

    json_object_foreach(machine, key, val)
    {
        const MachineProp *p = machine_prop_find(machine_common_props, key);
        bool b = false;

        if (!p) {
            p = machine_prop_find(mt->props, key);
        }
        if (!p) {
            error_setg(errp, "Property '%s-machine.%s' not found", mt->name, key);
            return false;
        }
        if (!json_is_string(val)) {
            error_setg(errp, "Invalid parameter type for '%s', expected: %s", key,
                       p->type == PROP_BOOL ? "boolean" : "string");
            return false;
        }
        if (p->type == PROP_BOOL && !machine_get_bool(machine, key, key, &b, errp)) {
            return false;
        }
        if (p->type == PROP_ONOFFAUTO && !g_strv_contains(onoffauto, json_string_value(val))) {
            error_setg(errp, "Parameter '%s' does not accept value '%s'", key,
                       json_string_value(val));
            return false;
        }
    }
    return true;
}

static bool machine_finish_accel(CmdlineState *st, json_t *machine, Error **errp)
{
    VmConfig *cfg = st->cfg;
    const char *list = opts_get_str(machine, "accel");

    if (list) {
        char **names;

        if (st->accel_option) {
            error_setg(errp, "The -accel and \"-machine accel=\" options are incompatible");
            return false;
        }
        /* Unknown names are skipped (QEMU warns and falls back). */
        names = g_strsplit(list, ":", -1);
        for (char **n = names; *n; n++) {
            if (accel_type_find(*n)) {
                g_ptr_array_add(cfg->accels, g_strdup(*n));
                g_ptr_array_add(cfg->accel_opts, json_object());
            }
        }
        g_strfreev(names);
        json_object_del(machine, "accel");
        if (cfg->accels->len == 0) {
            error_setg(errp, "no accelerator found");
            return false;
        }
    }
    cfg->accel_given = cfg->accels->len > 0;
    if (!cfg->accel_given) {
        g_ptr_array_add(cfg->accels, g_strdup(cfg->qtest ? "qtest" : "kvm"));
        g_ptr_array_add(cfg->accel_opts, json_object());
    }
    return true;
}

static void smp_topology_text(GString *s, const MachineType *mt, const SmpConfig *smp)
{
    g_string_append_printf(s, "sockets (%u)", smp->sockets);
    if (mt->dies_supported) {
        g_string_append_printf(s, " * dies (%u)", smp->dies);
    }
    g_string_append_printf(s, " * cores (%u) * threads (%u)", smp->cores, smp->threads);
}

/* total / (a * b * c), with a product that cannot overflow (all >= 1). */
static unsigned smp_divide(unsigned total, unsigned a, unsigned b, unsigned c)
{
    unsigned __int128 product = (unsigned __int128)a * b * c;

    return (unsigned)(total / product);
}

/* QEMU 7.2's topology rules: omitted values are derived, preferring cores
 * over sockets; zero counts as omitted. */
static bool machine_finish_smp(const MachineType *mt, json_t *smpopts, SmpConfig *smp, Error **errp)
{
    static const char *const keys[] = {"cpus",  "sockets", "dies",    "clusters",
                                       "cores", "threads", "maxcpus", NULL};
    unsigned v[7] = {0};
    const char *key;
    json_t *val;

    json_object_foreach(smpopts, key, val)
    {
        if (!g_strv_contains(keys, key)) {
            error_setg(errp, "Parameter 'smp.%s' is unexpected", key);
            return false;
        }
    }
    for (size_t i = 0; keys[i]; i++) {
        bool present;
        int64_t n = 0;

        if (!machine_get_int(smpopts, "smp", keys[i], &present, &n, errp)) {
            return false;
        }
        v[i] = (unsigned)n; /* QEMU keeps the low 32 bits */
    }
    unsigned cpus = v[0], sockets = v[1], dies = v[2], clusters = v[3], cores = v[4],
             threads = v[5], maxcpus = v[6];

    if (!mt->dies_supported && dies > 1) {
        error_setg(errp, "dies not supported by this machine's CPU topology");
        return false;
    }
    if (clusters > 1) {
        error_setg(errp, "clusters not supported by this machine's CPU topology");
        return false;
    }
    dies = dies ? dies : 1;
    clusters = 1;
    if (cpus == 0 && maxcpus == 0) {
        sockets = sockets ? sockets : 1;
        cores = cores ? cores : 1;
        threads = threads ? threads : 1;
    } else {
        maxcpus = maxcpus ? maxcpus : cpus;
        if (cores == 0) {
            sockets = sockets ? sockets : 1;
            threads = threads ? threads : 1;
            cores = smp_divide(maxcpus, sockets, dies, threads);
        } else if (sockets == 0) {
            threads = threads ? threads : 1;
            sockets = smp_divide(maxcpus, dies, cores, threads);
        }
        if (threads == 0) {
            threads = smp_divide(maxcpus, sockets, dies, cores);
        }
    }
    maxcpus = maxcpus ? maxcpus : sockets * dies * cores * threads;
    cpus = cpus ? cpus : maxcpus;

    *smp = (SmpConfig){cpus, sockets, dies, cores, threads, maxcpus};

    GString *topo = g_string_new(NULL);
    smp_topology_text(topo, mt, smp);
    if ((unsigned __int128)sockets * dies * cores * threads != maxcpus) {
        error_setg(errp,
                   "Invalid CPU topology: product of the hierarchy must match maxcpus: "
                   "%s != maxcpus (%u)",
                   topo->str, maxcpus);
        g_string_free(topo, TRUE);
        return false;
    }
    if (maxcpus < cpus) {
        error_setg(errp,
                   "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
                   "%s == maxcpus (%u) < smp_cpus (%u)",
                   topo->str, maxcpus, cpus);
        g_string_free(topo, TRUE);
        return false;
    }
    g_string_free(topo, TRUE);
    if (maxcpus > mt->max_cpus) {
        error_setg(errp, "Invalid SMP CPUs %d. The max CPUs supported by machine '%s' is %u",
                   (int)maxcpus, mt->name, mt->max_cpus);
        return false;
    }
    return true;
}

static bool machine_finish_memory(CmdlineState *st, const MachineType *mt, Error **errp)
{
    VmConfig *cfg = st->cfg;
    const char *size = opts_get_str(st->memory, "size");
    uint64_t sz = 0, slots = 0, maxmem = 0;
    bool has_maxmem = json_object_get(st->memory, "maxmem") != NULL;
    bool has_slots = json_object_get(st->memory, "slots") != NULL;

    /* Values were checked when -m was parsed. */
    opts_get_number(st->memory, "slots", 0, &slots, NULL);
    opts_get_size(st->memory, "maxmem", 0, &maxmem, NULL);
    if (size && *size) {
        /* A size without a suffix is in MiB (QEMU appends 'M'). */
        if (g_ascii_isdigit(size[strlen(size) - 1])) {
            char *with_unit = g_strdup_printf("%sM", size);
            bool ok = parse_size(with_unit, 1, &sz, NULL);

            g_free(with_unit);
            if (!ok) {
                error_setg(errp, "Parameter 'memory.size' expects size");
                return false;
            }
        } else {
            parse_size(size, 1, &sz, NULL);
        }
    }
    if (sz == 0) {
        sz = RAM_DEFAULT_SIZE;
    }
    if (sz > UINT64_MAX - (RAM_ALIGN - 1)) {
        error_setg(errp, "ram size too large");
        return false;
    }
    sz = QEMU_ALIGN_UP(sz, RAM_ALIGN);

    if (has_slots && !has_maxmem) {
        error_setg(errp, "slots specified but no max-size");
        return false;
    }
    if (has_maxmem) {
        if (maxmem < sz) {
            error_setg(errp,
                       "invalid value of maxmem: maximum memory size (0x%" PRIx64
                       ") must be at least the initial memory size (0x%" PRIx64 ")",
                       maxmem, sz);
            return false;
        }
        if (slots && maxmem == sz) {
            error_setg(errp,
                       "invalid value of maxmem: memory slots were specified but maximum "
                       "memory size (0x%" PRIx64 ") is equal to the initial memory size (0x%" PRIx64
                       ")",
                       maxmem, sz);
            return false;
        }
        if (mt->props == machine_pc_props && slots > PC_MAX_RAM_SLOTS) {
            error_setg(errp, "unsupported amount of memory slots: %" PRIu64, slots);
            return false;
        }
    }
    cfg->ram_size = sz;
    cfg->maxmem = has_maxmem ? maxmem : 0;
    cfg->ram_slots = (unsigned)slots;
    return true;
}

static bool machine_boot_device_ok(const char *devs, bool check_twice, Error **errp)
{
    unsigned seen = 0;

    for (const char *c = devs; *c; c++) {
        if (*c < 'a' || *c > 'p') {
            error_setg(errp, "Invalid boot device '%c'", *c);
            return false;
        }
        if (check_twice && (seen & (1u << (*c - 'a')))) {
            error_setg(errp, "Boot device '%c' was given twice", *c);
            return false;
        }
        seen |= 1u << (*c - 'a');
    }
    return true;
}

static bool machine_finish_boot(CmdlineState *st, json_t *boot, Error **errp)
{
    static const char *const keys[] = {"order",       "once",           "menu",   "splash",
                                       "splash-time", "reboot-timeout", "strict", NULL};
    const char *key;
    json_t *val;
    bool b = false, present;
    int64_t n = 0;

    json_object_foreach(boot, key, val)
    {
        if (!g_strv_contains(keys, key)) {
            error_setg(errp, "Parameter 'boot.%s' is unexpected", key);
            return false;
        }
    }
    if (!machine_get_bool(boot, "boot.menu", "menu", &b, errp) ||
        !machine_get_bool(boot, "boot.strict", "strict", &b, errp) ||
        !machine_get_int(boot, "boot", "splash-time", &present, &n, errp) ||
        !machine_get_int(boot, "boot", "reboot-timeout", &present, &n, errp)) {
        return false;
    }
    if (present && (n < -1 || n > 65535)) {
        error_setg(errp, "reboot timeout is invalid,it should be a value between -1 and 65535");
        return false;
    }
    if (opts_get_str(boot, "order") &&
        !machine_boot_device_ok(opts_get_str(boot, "order"), true, errp)) {
        return false;
    }
    if (opts_get_str(boot, "once") &&
        !machine_boot_device_ok(opts_get_str(boot, "once"), false, errp)) {
        return false;
    }
    cmdline_json_merge(st->cfg->boot_opts, boot);
    return true;
}

/* Moves machine.key (a string) into *field. */
static void machine_take_str(json_t *machine, const char *key, char **field)
{
    const char *v = opts_get_str(machine, key);

    if (v) {
        g_free(*field);
        *field = g_strdup(v);
    }
}

/* -machine memory.size=,max-size=,slots= as a base that -m overrides. */
static void machine_take_memory(CmdlineState *st, json_t *mem)
{
    json_t *base = json_object();
    json_t *v;

    if ((v = json_object_get(mem, "size"))) {
        json_object_set(base, "size", v);
    }
    if ((v = json_object_get(mem, "max-size"))) {
        json_object_set(base, "maxmem", v);
    }
    if ((v = json_object_get(mem, "slots"))) {
        json_object_set(base, "slots", v);
    }
    cmdline_json_merge(base, st->memory);
    json_decref(st->memory);
    st->memory = base;
}

bool cmdline_finish_machine(CmdlineState *st, Error **errp)
{
    VmConfig *cfg = st->cfg;
    json_t *machine = json_deep_copy(st->machine);
    const char *type = opts_get_str(machine, "type");
    const MachineType *mt = machine_type_find(type ? type : "pc");
    json_t *sub;
    bool ok = false;

    if (!mt) {
        error_setg(errp, "unsupported machine type");
        error_append_hint(errp, "Use -machine help to list supported machines\n");
        goto out;
    }
    cfg->machine_type = g_strdup(mt->name);
    json_object_del(machine, "type");
    if (!machine_finish_accel(st, machine, errp)) {
        goto out;
    }

    sub = json_object_get(machine, "smp");
    if (!machine_finish_smp(mt, json_is_object(sub) ? sub : NULL, &cfg->smp, errp)) {
        goto out;
    }
    json_object_del(machine, "smp");

    sub = json_object_get(machine, "memory");
    if (json_is_object(sub)) {
        machine_take_memory(st, sub);
    }
    json_object_del(machine, "memory");
    if (!machine_finish_memory(st, mt, errp)) {
        goto out;
    }

    sub = json_object_get(machine, "boot");
    if (json_is_object(sub) && !machine_finish_boot(st, sub, errp)) {
        goto out;
    }
    json_object_del(machine, "boot");

    if (!machine_check_props(mt, machine, errp)) {
        goto out;
    }
    machine_take_str(machine, "kernel", &cfg->kernel);
    machine_take_str(machine, "initrd", &cfg->initrd);
    machine_take_str(machine, "append", &cfg->append);
    machine_take_str(machine, "firmware", &cfg->bios);
    json_object_del(machine, "kernel");
    json_object_del(machine, "initrd");
    json_object_del(machine, "append");
    json_object_del(machine, "firmware");

    json_decref(cfg->machine_opts);
    cfg->machine_opts = machine;
    machine = NULL;
    ok = true;
out:
    json_decref(machine);
    return ok;
}
