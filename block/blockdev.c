/*
 * -drive and -blockdev: QEMU's legacy drive options turned into a backend
 * over a node tree, the drive placement table a machine reads, and the
 * teardown at exit.
 */
#include "block/blockdev.h"
#include "block/block-core-int.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-json.h"
#include "qapi/qapi-visit.h"

static const char *const if_names[IF_COUNT] = {
    [IF_NONE] = "none",     [IF_IDE] = "ide",       [IF_SCSI] = "scsi",
    [IF_FLOPPY] = "floppy", [IF_PFLASH] = "pflash", [IF_MTD] = "mtd",
    [IF_SD] = "sd",         [IF_VIRTIO] = "virtio", [IF_XEN] = "xen",
};

/* Units per bus; 0: one unit per bus index, no bus numbering in names. */
static const int if_max_devs[IF_COUNT] = {
    [IF_IDE] = 2,
    [IF_SCSI] = 7,
};

/* The cache= modes: write cache, O_DIRECT, ignore flushes. */
static const struct {
    const char *name;
    bool writeback, direct, no_flush;
} cache_modes[] = {
    {"writeback", true, false, false},     {"none", true, true, false},
    {"writethrough", false, false, false}, {"directsync", false, true, false},
    {"unsafe", true, false, true},
};

static const struct {
    const char *name;
    int flag;
} aio_modes[] = {
    {"threads", 0},
    {"native", BDRV_O_NATIVE_AIO},
    {"io_uring", BDRV_O_IO_URING},
};

/* Keys -drive handles itself; everything else belongs to the nodes. */
static const char *const drive_keys[] = {
    "id",
    "if",
    "bus",
    "unit",
    "index",
    "media",
    "snapshot",
    "werror",
    "rerror",
    "copy-on-read",
    "file",
    "format",
    "cache",
    "aio",
    "readonly",
    "read-only",
    "stats-account-invalid",
    "stats-account-failed",
    "stats-intervals",
    "addr",
    "cache.writeback",
};

static GList *drives; /* DriveInfo *, command-line order */

const char *block_if_name(BlockInterfaceType type)
{
    return type < IF_COUNT ? if_names[type] : NULL;
}

DriveInfo *drive_get(BlockInterfaceType type, int bus, int unit)
{
    for (GList *l = drives; l; l = l->next) {
        DriveInfo *d = l->data;

        if (d->type == type && d->bus == bus && d->unit == unit) {
            return d;
        }
    }
    return NULL;
}

DriveInfo *drive_next(DriveInfo *dinfo)
{
    GList *l;

    if (!dinfo) {
        return drives ? drives->data : NULL;
    }
    l = g_list_find(drives, dinfo);
    return l && l->next ? l->next->data : NULL;
}

DriveInfo *blk_legacy_dinfo(BlockBackend *blk)
{
    for (GList *l = drives; l; l = l->next) {
        DriveInfo *d = l->data;

        if (d->blk == blk) {
            return d;
        }
    }
    return NULL;
}

static void drive_info_free(DriveInfo *d)
{
    g_free(d->id);
    g_free(d->addr);
    g_free(d);
}

/* ---------------------------------------------------------------- parsing */

static bool drive_take_bool(json_t *o, const char *key, bool def, bool *out, Error **errp)
{
    const char *v = json_string_value(json_object_get(o, key));

    *out = def;
    if (v && !qapi_keyval_parse_bool(v, out)) {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
        return false;
    }
    return true;
}

static bool drive_take_int(json_t *o, const char *key, int def, int *out, Error **errp)
{
    const char *v = json_string_value(json_object_get(o, key));
    int64_t n;

    *out = def;
    if (!v) {
        return true;
    }
    if (qapi_strtoi64(v, &n) < 0 || n < 0 || n > INT_MAX) {
        error_setg(errp, "Parameter '%s' expects a number", key);
        return false;
    }
    *out = (int)n;
    return true;
}

static bool drive_parse_error_action(const char *v, const char *what, BlockdevOnError *out,
                                     Error **errp)
{
    for (int i = 0; i < BLOCKDEV_ON_ERROR__MAX; i++) {
        if (!strcmp(v, BlockdevOnError_str(i))) {
            *out = i;
            return true;
        }
    }
    error_setg(errp, "'%s' invalid %s error action", v, what);
    return false;
}

/* "a.b=c" keys become nested objects; values stay strings. */
static json_t *drive_nest(json_t *flat)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;

    json_object_foreach(flat, key, v)
    {
        gchar **parts = g_strsplit(key, ".", -1);
        json_t *o = out;
        int n = g_strv_length(parts);

        for (int i = 0; i < n - 1; i++) {
            json_t *sub = json_object_get(o, parts[i]);

            if (!json_is_object(sub)) {
                sub = json_object();
                json_object_set_new(o, parts[i], sub);
            }
            o = sub;
        }
        json_object_set(o, parts[n - 1], v);
        g_strfreev(parts);
    }
    return out;
}

/* ---------------------------------------------------------------- legacy values */

/*
 * -drive hands driver options to each driver's QemuOpts, not to the QAPI
 * schema: sizes take suffixes, enums are checked with the drivers' own
 * words.  The values are turned into what the schema takes, by key.
 */
typedef enum { LEGACY_SIZE, LEGACY_NUMBER, LEGACY_ENUM } LegacyKind;

static const char *const aio_values[] = {"threads", "native", "io_uring", NULL};
static const char *const locking_values[] = {"auto", "on", "off", NULL};
static const char *const zeroes_values[] = {"off", "on", "unmap", NULL};
static const char *const overlap_values[] = {"none", "constant", "cached", "all", NULL};

static const struct {
    const char *key;
    LegacyKind kind;
    const char *const *values; /* LEGACY_ENUM */
} legacy_opts[] = {
    {"size", LEGACY_SIZE},
    {"offset", LEGACY_SIZE},
    {"cache-size", LEGACY_SIZE},
    {"l2-cache-size", LEGACY_SIZE},
    {"l2-cache-entry-size", LEGACY_SIZE},
    {"refcount-cache-size", LEGACY_SIZE},
    {"align", LEGACY_SIZE},
    {"max-transfer", LEGACY_SIZE},
    {"opt-write-zero", LEGACY_SIZE},
    {"max-write-zero", LEGACY_SIZE},
    {"opt-discard", LEGACY_SIZE},
    {"max-discard", LEGACY_SIZE},
    {"aio-max-batch", LEGACY_NUMBER},
    {"cache-clean-interval", LEGACY_NUMBER},
    {"latency-ns", LEGACY_NUMBER},
    {"aio", LEGACY_ENUM, aio_values},
    {"locking", LEGACY_ENUM, locking_values},
    {"detect-zeroes", LEGACY_ENUM, zeroes_values},
    {"overlap-check", LEGACY_ENUM, overlap_values},
};

/*
 * QemuOpts' size syntax: a number with an optional B/k/M/G/T/P/E suffix.
 * 0, -EINVAL (not a size) or -ERANGE (2^64 or more).
 */
static int legacy_parse_size(const char *str, uint64_t *out)
{
    static const char suffixes[] = "bkmgtpe";
    const char *sfx;
    char *end;
    double frac = 0;
    uint64_t n;
    int shift = 0;

    if (!g_ascii_isdigit(*str)) {
        return -EINVAL;
    }
    if (g_str_has_prefix(str, "0x") || g_str_has_prefix(str, "0X")) {
        errno = 0;
        n = g_ascii_strtoull(str, &end, 16);
        if (end == str + 2 || *end) {
            return -EINVAL;
        }
        *out = n;
        return errno ? -ERANGE : 0;
    }
    errno = 0;
    n = g_ascii_strtoull(str, &end, 10);
    if (errno) {
        return -ERANGE;
    }
    if (*end == '.') {
        const char *f = end;

        frac = g_ascii_strtod(f, &end);
    }
    sfx = *end ? strchr(suffixes, g_ascii_tolower(*end)) : NULL;
    if (sfx) {
        shift = 10 * (int)(sfx - suffixes);
        end++;
    } else if (frac != 0) {
        return -EINVAL; /* a fraction needs a unit */
    }
    if (*end) {
        return -EINVAL;
    }
    if (shift && n >> (64 - shift)) {
        return -ERANGE;
    }
    *out = (n << shift) + (uint64_t)(frac * (double)(1ULL << shift));
    return 0;
}

static bool drive_legacy_value(json_t *opts, const char *key, Error **errp)
{
    const char *leaf = strrchr(key, '.') ? strrchr(key, '.') + 1 : key;
    const char *v = json_string_value(json_object_get(opts, key));
    uint64_t n;
    char *end;
    int ret;

    if (!v) {
        return true;
    }
    if (!strcmp(leaf, "discard")) {
        if (!strcmp(v, "on") || !strcmp(v, "unmap")) {
            json_object_set_new(opts, key, json_string("unmap"));
        } else if (!strcmp(v, "off") || !strcmp(v, "ignore")) {
            json_object_set_new(opts, key, json_string("ignore"));
        } else {
            error_setg(errp, "Invalid discard option");
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(legacy_opts); i++) {
        if (strcmp(leaf, legacy_opts[i].key)) {
            continue;
        }
        switch (legacy_opts[i].kind) {
        case LEGACY_SIZE:
            ret = legacy_parse_size(v, &n);
            if (ret == -ERANGE) {
                error_setg(errp, "Value '%s' is out of range for parameter '%s'", v, leaf);
                return false;
            }
            if (ret < 0) {
                error_setg(errp, "Parameter '%s' expects a non-negative number below 2^64", leaf);
                error_append_hint(errp, "Optional suffix k, M, G, T, P or E means kilo-, mega-, "
                                        "giga-, tera-, peta-\nand exabytes, respectively.\n");
                return false;
            }
            json_object_set_new(opts, key, json_sprintf("%" PRIu64, n));
            return true;
        case LEGACY_NUMBER:
            n = g_ascii_strtoull(v, &end, 0);
            if (end == v || *end || *v == '-') {
                error_setg(errp, "Parameter '%s' expects a number", leaf);
                return false;
            }
            json_object_set_new(opts, key, json_sprintf("%" PRIu64, n));
            return true;
        case LEGACY_ENUM:
            for (const char *const *e = legacy_opts[i].values; *e; e++) {
                if (!strcmp(v, *e)) {
                    return true;
                }
            }
            if (!strcmp(leaf, "overlap-check")) {
                error_setg(errp,
                           "Unsupported value '%s' for qcow2 option 'overlap-check'. Allowed "
                           "are any of the following: none, constant, cached, all",
                           v);
            } else {
                error_setg(errp, "invalid parameter value: %s", v);
            }
            return false;
        }
    }
    return true;
}

static bool drive_legacy_values(json_t *opts, Error **errp)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(opts, tmp, key, v)
    {
        if (!drive_legacy_value(opts, key, errp)) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- -drive */

typedef struct DriveConf {
    BlockInterfaceType type;
    int bus, unit, index;
    bool media_cd, read_only, writeback, direct, no_flush;
    int aio_flag;
    const char *aio;
    BlockdevOnError rerror, werror;
    bool account_invalid, account_failed;
    const char *file, *format;
    char *id;
} DriveConf;

static bool drive_parse_placement(json_t *o, BlockInterfaceType default_if, DriveConf *dc,
                                  Error **errp)
{
    const char *v;
    int max_devs;
    bool have_bus = json_object_get(o, "bus"), have_unit = json_object_get(o, "unit");

    dc->type = default_if;
    v = json_string_value(json_object_get(o, "if"));
    if (v) {
        int i;

        for (i = 0; i < IF_COUNT && strcmp(v, if_names[i]); i++) {
        }
        if (i == IF_COUNT) {
            error_setg(errp, "unsupported bus type '%s'", v);
            return false;
        }
        dc->type = i;
    }
    if (!drive_take_int(o, "bus", 0, &dc->bus, errp) ||
        !drive_take_int(o, "unit", -1, &dc->unit, errp) ||
        !drive_take_int(o, "index", -1, &dc->index, errp)) {
        return false;
    }
    max_devs = if_max_devs[dc->type];
    if (dc->index != -1) {
        if (have_bus || have_unit) {
            error_setg(errp, "index cannot be used with bus and unit");
            return false;
        }
        dc->bus = max_devs ? dc->index / max_devs : 0;
        dc->unit = max_devs ? dc->index % max_devs : dc->index;
    }
    if (dc->unit == -1) {
        dc->unit = 0;
        while (drive_get(dc->type, dc->bus, dc->unit)) {
            dc->unit++;
            if (max_devs && dc->unit >= max_devs) {
                dc->unit -= max_devs;
                dc->bus++;
            }
        }
    }
    if (max_devs && dc->unit >= max_devs) {
        error_setg(errp, "unit %d too big (max is %d)", dc->unit, max_devs - 1);
        return false;
    }
    if (drive_get(dc->type, dc->bus, dc->unit)) {
        error_setg(errp, "drive with bus=%d, unit=%d (index=%d) exists", dc->bus, dc->unit,
                   dc->index);
        return false;
    }
    v = json_string_value(json_object_get(o, "media"));
    if (v) {
        if (!strcmp(v, "cdrom")) {
            dc->media_cd = true;
        } else if (strcmp(v, "disk")) {
            error_setg(errp, "'%s' invalid media", v);
            return false;
        }
    }
    return true;
}

static bool drive_parse_id(json_t *o, DriveConf *dc, Error **errp)
{
    const char *id = json_string_value(json_object_get(o, "id"));

    if (id) {
        if (!block_id_wellformed(id)) {
            error_setg(errp, "Parameter 'id' expects an identifier");
            error_append_hint(errp, "Identifiers consist of letters, digits, '-', '.', '_', "
                                    "starting with a letter.\n");
            return false;
        }
        for (GList *l = drives; l; l = l->next) {
            if (!strcmp(((DriveInfo *)l->data)->id, id)) {
                error_setg(errp, "Duplicate ID '%s' for drive", id);
                return false;
            }
        }
        dc->id = g_strdup(id);
    } else if (if_max_devs[dc->type]) {
        dc->id =
            g_strdup_printf("%s%d%s%d", if_names[dc->type], dc->bus,
                            dc->type == IF_IDE ? (dc->media_cd ? "-cd" : "-hd") : "", dc->unit);
    } else {
        dc->id =
            g_strdup_printf("%s%s%d", if_names[dc->type],
                            dc->type == IF_IDE ? (dc->media_cd ? "-cd" : "-hd") : "", dc->unit);
    }
    return true;
}

static bool drive_parse_access(json_t *o, DriveConf *dc, Error **errp)
{
    const char *v;
    bool snapshot, cor;

    /* "readonly" is the old spelling; QEMU reports it as read-only. */
    if (json_object_get(o, "readonly") && !json_object_get(o, "read-only")) {
        json_object_set(o, "read-only", json_object_get(o, "readonly"));
    }
    if (!drive_take_bool(o, "read-only", false, &dc->read_only, errp) ||
        !drive_take_bool(o, "snapshot", false, &snapshot, errp) ||
        !drive_take_bool(o, "copy-on-read", false, &cor, errp) ||
        !drive_take_bool(o, "stats-account-invalid", true, &dc->account_invalid, errp) ||
        !drive_take_bool(o, "stats-account-failed", true, &dc->account_failed, errp)) {
        return false;
    }
    if (snapshot) {
        error_setg(errp, "snapshot=on is not supported by minivm");
        return false;
    }
    if (cor) {
        error_setg(errp, "copy-on-read=on is not supported by minivm");
        return false;
    }
    if (json_object_get(o, "stats-intervals")) {
        error_setg(errp, "stats-intervals is not supported by minivm");
        return false;
    }
    if (dc->media_cd) {
        dc->read_only = true;
    }

    dc->writeback = true;
    v = json_string_value(json_object_get(o, "cache"));
    if (v) {
        size_t i;

        for (i = 0; i < ARRAY_SIZE(cache_modes) && strcmp(v, cache_modes[i].name); i++) {
        }
        if (i == ARRAY_SIZE(cache_modes)) {
            error_setg(errp, "invalid cache option");
            return false;
        }
        dc->writeback = cache_modes[i].writeback;
        dc->direct = cache_modes[i].direct;
        dc->no_flush = cache_modes[i].no_flush;
    }
    if (!drive_take_bool(o, "cache.writeback", dc->writeback, &dc->writeback, errp)) {
        return false;
    }
    v = json_string_value(json_object_get(o, "aio"));
    if (v) {
        size_t i;

        for (i = 0; i < ARRAY_SIZE(aio_modes) && strcmp(v, aio_modes[i].name); i++) {
        }
        if (i == ARRAY_SIZE(aio_modes)) {
            error_setg(errp, "invalid aio option");
            return false;
        }
        dc->aio = aio_modes[i].name;
        dc->aio_flag = aio_modes[i].flag;
    }

    dc->werror = BLOCKDEV_ON_ERROR_ENOSPC;
    dc->rerror = BLOCKDEV_ON_ERROR_REPORT;
    v = json_string_value(json_object_get(o, "werror"));
    if (v) {
        if (dc->type != IF_IDE && dc->type != IF_VIRTIO && dc->type != IF_SCSI &&
            dc->type != IF_NONE) {
            error_setg(errp, "werror is not supported by this bus type");
            return false;
        }
        if (!drive_parse_error_action(v, "write", &dc->werror, errp)) {
            return false;
        }
    }
    v = json_string_value(json_object_get(o, "rerror"));
    if (v) {
        if (dc->type != IF_IDE && dc->type != IF_VIRTIO && dc->type != IF_SCSI &&
            dc->type != IF_NONE) {
            error_setg(errp, "rerror is not supported by this bus type");
            return false;
        }
        if (!drive_parse_error_action(v, "read", &dc->rerror, errp)) {
            return false;
        }
    }
    v = json_string_value(json_object_get(o, "detect-zeroes"));
    if (v && qapi_enum_parse(&BlockdevDetectZeroesOptions_lookup, v, -1, errp) < 0) {
        return false;
    }
    dc->file = json_string_value(json_object_get(o, "file"));
    dc->format = json_string_value(json_object_get(o, "format"));
    return true;
}

/* Opens the node tree of a -drive with a file (or a 'driver'). */
static BlockDriverState *drive_open(DriveConf *dc, json_t *node_opts, Error **errp)
{
    json_t *nested = drive_nest(node_opts);
    const char *driver = json_string_value(json_object_get(nested, "driver"));
    const char *format = dc->format;
    int flags = (dc->read_only ? 0 : BDRV_O_RDWR) | (dc->direct ? BDRV_O_NOCACHE : 0) |
                (dc->no_flush ? BDRV_O_NO_FLUSH : 0) | dc->aio_flag;
    BlockDriverState *bs;

    if (!json_object_get(nested, "auto-read-only")) {
        flags |= BDRV_O_AUTO_RDONLY;
    }
    if (driver) {
        if (format) {
            error_setg(errp, "Cannot specify both 'driver' and 'format'");
            json_decref(nested);
            return NULL;
        }
        format = driver;
        json_object_del(nested, "driver");
    }
    if (dc->file && json_is_object(json_object_get(nested, "file")) &&
        json_object_get(json_object_get(nested, "file"), "filename")) {
        error_setg(errp, "Can't specify 'file' and 'filename' options at the same time");
        json_decref(nested);
        return NULL;
    }
    if (dc->aio && !dc->aio_flag && dc->file && !strchr(dc->file, ':')) {
        /* threads is no flag: tell the file node itself. */
        json_t *file = json_object_get(nested, "file");

        if (!json_is_object(file)) {
            file = json_object();
            json_object_set_new(nested, "file", file);
        }
        if (!json_object_get(file, "aio")) {
            json_object_set_new(file, "aio", json_string(dc->aio));
        }
    }
    bs = bdrv_open_image(dc->file, format, nested, flags, errp);
    json_decref(nested);
    return bs;
}

BlockBackend *drive_new(json_t *opts, BlockInterfaceType default_if, Error **errp)
{
    DriveConf dc = {0};
    const char *detect_zeroes;
    int zeroes_mode = BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF;
    json_t *node_opts = json_object();
    BlockDriverState *bs = NULL;
    BlockBackend *blk = NULL;
    DriveInfo *dinfo;
    const char *key;
    json_t *v;

    if (!json_is_object(opts)) {
        error_setg(errp, "drive options must be an object");
        goto out;
    }
    json_object_foreach(opts, key, v)
    {
        bool legacy = false;

        for (size_t i = 0; i < ARRAY_SIZE(drive_keys); i++) {
            legacy |= !strcmp(key, drive_keys[i]);
        }
        if (g_str_has_prefix(key, "throttling.")) {
            error_setg(errp, "I/O throttling is not supported by minivm");
            goto out;
        }
        if (!legacy) {
            json_object_set(node_opts, key, v);
        }
    }
    if (!drive_parse_placement(opts, default_if, &dc, errp) || !drive_parse_id(opts, &dc, errp) ||
        !drive_parse_access(opts, &dc, errp) || !drive_legacy_values(node_opts, errp)) {
        goto out;
    }
    /* QEMU sets the top node's detect-zeroes after opening it, unchecked
     * against its discard mode (as a node option it would be). */
    detect_zeroes = json_string_value(json_object_get(node_opts, "detect-zeroes"));
    if (detect_zeroes) {
        zeroes_mode = qapi_enum_parse(&BlockdevDetectZeroesOptions_lookup, detect_zeroes,
                                      BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF, NULL);
        json_object_del(node_opts, "detect-zeroes");
    }

    if ((dc.file && *dc.file) || json_object_get(node_opts, "driver")) {
        if (dc.file && !*dc.file) {
            dc.file = NULL;
        }
        bs = drive_open(&dc, node_opts, errp);
        if (!bs) {
            goto out;
        }
        bs->detect_zeroes = zeroes_mode;
    } else if (json_object_size(node_opts) > 0 || dc.format) {
        error_setg(errp, "Must specify either driver or file");
        goto out;
    }

    /* As QEMU's -drive: reading only, whatever the node's mode, until a
     * device attaches and asks for what it needs (blk_set_perm); HMP
     * qemu-io does the same. */
    blk = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    if (bs) {
        bool ok = blk_insert_bs(blk, bs, errp);

        bdrv_unref(bs);
        if (!ok) {
            blk_unref(blk);
            blk = NULL;
            goto out;
        }
    }
    if (!monitor_add_blk(blk, dc.id, errp)) {
        blk_unref(blk);
        blk = NULL;
        goto out;
    }
    blk_set_enable_write_cache(blk, dc.writeback);
    blk_get_stats(blk)->account_invalid = dc.account_invalid;
    blk_get_stats(blk)->account_failed = dc.account_failed;

    dinfo = g_new0(DriveInfo, 1);
    dinfo->id = g_steal_pointer(&dc.id);
    dinfo->type = dc.type;
    dinfo->bus = dc.bus;
    dinfo->unit = dc.unit;
    dinfo->index = dc.index;
    dinfo->media_cd = dc.media_cd;
    dinfo->addr = g_strdup(json_string_value(json_object_get(opts, "addr")));
    dinfo->on_read_error = dc.rerror;
    dinfo->on_write_error = dc.werror;
    dinfo->blk = blk;
    drives = g_list_append(drives, dinfo);

out:
    g_free(dc.id);
    json_decref(node_opts);
    return blk;
}

/* ---------------------------------------------------------------- -blockdev */

/* keyval_parse() leaves only strings; JSON has typed values. */
static bool json_only_strings(json_t *v)
{
    const char *key;
    json_t *m;

    if (json_is_object(v)) {
        json_object_foreach(v, key, m)
        {
            if (!json_only_strings(m)) {
                return false;
            }
        }
        return true;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (!json_only_strings(json_array_get(v, i))) {
                return false;
            }
        }
        return true;
    }
    return json_is_string(v);
}

bool blockdev_add_cmdline(json_t *opts, Error **errp)
{
    return blockdev_add_cmdline_from(opts, json_only_strings(opts), errp);
}

bool blockdev_add_cmdline_from(json_t *opts, bool keyval, Error **errp)
{
    BlockdevOptions *options = NULL;
    Error *local_err = NULL;

    if (!qapi_parse_BlockdevOptions(opts, keyval, &options, errp)) {
        return false;
    }
    qmp_blockdev_add(options, &local_err);
    qapi_free_BlockdevOptions(options);
    if (local_err) {
        error_propagate(errp, local_err);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- exit */

void blockdev_close_all(void)
{
    BlockDriverState *bs;
    BlockBackend *blk;

    bdrv_drain_all_begin();
    for (bs = bdrv_next_all(NULL); bs; bs = bdrv_next_all(bs)) {
        bdrv_flush(bs);
    }
    bdrv_drain_all_end();

    while (drives) {
        DriveInfo *d = drives->data;

        drives = g_list_delete_link(drives, drives);
        if (d->blk && blk_name(d->blk)[0]) {
            monitor_remove_blk(d->blk);
            blk_unref(d->blk);
        }
        drive_info_free(d);
    }
    /* Backends created by name elsewhere lose their medium. */
    for (blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        blk_remove_bs(blk);
    }
    for (bs = bdrv_next_node(NULL); bs;) {
        BlockDriverState *next = bdrv_next_node(bs);

        if (bdrv_is_monitor_owned(bs)) {
            bdrv_monitor_disown(bs);
            bdrv_unref(bs);
            next = bdrv_next_node(NULL);
        }
        bs = next;
    }
}
