/*
 * Image creation options: the tables of what each format takes, in the
 * order qemu-img lists them on its "Formatting" line (the format's options,
 * then the protocol's), and their translation into BlockdevCreateOptions.
 */
#include "tools/img-create-opts.h"

#include "qapi/qapi-json.h"
#include "qapi/qapi-visit.h"

typedef enum ImgOptType {
    OPT_STRING,
    OPT_BOOL,
    OPT_NUMBER,
    OPT_SIZE,
} ImgOptType;

typedef struct ImgOptDesc {
    const char *name;
    ImgOptType type;
    const char *help;
    const char *def; /* listed on the "Formatting" line even when not given */
} ImgOptDesc;

static const ImgOptDesc qcow2_opts[] = {
    {"encryption", OPT_BOOL,
     "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)"},
    {"encrypt.format", OPT_STRING, "Encrypt the image, format choices: 'aes', 'luks'"},
    {"encrypt.key-secret", OPT_STRING, "ID of secret providing qcow AES key or LUKS passphrase"},
    {"encrypt.cipher-alg", OPT_STRING, "Name of encryption cipher algorithm"},
    {"encrypt.cipher-mode", OPT_STRING, "Name of encryption cipher mode"},
    {"encrypt.ivgen-alg", OPT_STRING, "Name of IV generator algorithm"},
    {"encrypt.ivgen-hash-alg", OPT_STRING, "Name of IV generator hash algorithm"},
    {"encrypt.hash-alg", OPT_STRING, "Name of encryption hash algorithm"},
    {"encrypt.iter-time", OPT_NUMBER, "Time to spend in PBKDF in milliseconds"},
    {"cluster_size", OPT_SIZE, "qcow2 cluster size", "65536"},
    {"extended_l2", OPT_BOOL, "Extended L2 tables", "off"},
    {"preallocation", OPT_STRING,
     "Preallocation mode (allowed values: off, metadata, falloc, full)"},
    {"compression_type", OPT_STRING, "Compression method used for image cluster compression",
     "zlib"},
    {"size", OPT_SIZE, "Virtual disk size"},
    {"compat", OPT_STRING, "Compatibility level (v2 [0.10] or v3 [1.1])"},
    {"backing_file", OPT_STRING, "File name of a base image"},
    {"backing_fmt", OPT_STRING, "Image format of the base image"},
    {"data_file", OPT_STRING, "File name of an external data file"},
    {"data_file_raw", OPT_BOOL, "The external data file must stay valid as a raw image"},
    {"lazy_refcounts", OPT_BOOL, "Postpone refcount updates", "off"},
    {"refcount_bits", OPT_NUMBER, "Width of a reference count entry in bits", "16"},
    {NULL},
};

static const ImgOptDesc raw_opts[] = {
    {"size", OPT_SIZE, "Virtual disk size"},
    {NULL},
};

static const ImgOptDesc file_opts[] = {
    {"size", OPT_SIZE, "Virtual disk size"},
    {"nocow", OPT_BOOL, "Turn off copy-on-write (valid only on btrfs)"},
    {"preallocation", OPT_STRING, "Preallocation mode (allowed values: off, falloc, full)"},
    {"extent_size_hint", OPT_SIZE, "Extent size hint for the image file, 0 to disable"},
    {NULL},
};

static const struct {
    const char *fmt;
    const ImgOptDesc *opts;
} create_formats[] = {
    {"qcow2", qcow2_opts},
    {"raw", raw_opts},
    {"file", file_opts},
};

static const ImgOptDesc *fmt_opts(const char *fmt)
{
    for (size_t i = 0; i < ARRAY_SIZE(create_formats); i++) {
        if (!strcmp(create_formats[i].fmt, fmt)) {
            return create_formats[i].opts;
        }
    }
    return NULL;
}

/* The merged list: the format's options, then the protocol's it lacks. */
static GPtrArray *merged_opts(const char *fmt, bool with_protocol)
{
    GPtrArray *all = g_ptr_array_new();
    const ImgOptDesc *d = fmt_opts(fmt);

    for (; d && d->name; d++) {
        g_ptr_array_add(all, (gpointer)d);
    }
    if (!with_protocol) {
        return all;
    }
    for (d = file_opts; d->name; d++) {
        bool dup = false;

        for (guint i = 0; i < all->len; i++) {
            dup |= !strcmp(((const ImgOptDesc *)g_ptr_array_index(all, i))->name, d->name);
        }
        if (!dup) {
            g_ptr_array_add(all, (gpointer)d);
        }
    }
    return all;
}

static const ImgOptDesc *find_desc(GPtrArray *all, const char *name)
{
    for (guint i = 0; i < all->len; i++) {
        const ImgOptDesc *d = g_ptr_array_index(all, i);

        if (!strcmp(d->name, name)) {
            return d;
        }
    }
    return NULL;
}

/* A format minivm has a driver for. */
static bool fmt_known(const char *fmt)
{
    return qapi_enum_parse(&BlockdevDriver_lookup, fmt, -1, NULL) >= 0;
}

bool img_create_fmt_check(const char *fmt, Error **errp)
{
    if (!fmt_known(fmt)) {
        error_setg(errp, "Unknown file format '%s'", fmt);
        return false;
    }
    if (!fmt_opts(fmt)) {
        error_setg(errp, "Format driver '%s' does not support image creation", fmt);
        return false;
    }
    return true;
}

static gint help_line_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int img_create_opts_help(const char *fmt, const char *filename)
{
    static const char *const type_names[] = {"str", "bool (on/off)", "num", "size"};
    g_autoptr(GPtrArray) all = NULL;
    GPtrArray *lines;

    if (!fmt_known(fmt)) {
        error_report("Unknown file format '%s'", fmt);
        return 1;
    }
    all = merged_opts(fmt, filename != NULL);
    lines = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < all->len; i++) {
        const ImgOptDesc *d = g_ptr_array_index(all, i);
        GString *s = g_string_new(NULL);

        g_string_append_printf(s, "  %s=<%s>", d->name, type_names[d->type]);
        if (s->len < 24) {
            g_string_append_printf(s, "%*s", (int)(24 - s->len), "");
        }
        g_string_append_printf(s, " - %s", d->help);
        g_ptr_array_add(lines, g_string_free(s, false));
    }
    g_ptr_array_sort(lines, help_line_cmp);
    if (filename) {
        printf("Supported options:\n");
    } else {
        printf("Supported %s options:\n", fmt);
    }
    for (guint i = 0; i < lines->len; i++) {
        printf("%s\n", (char *)g_ptr_array_index(lines, i));
    }
    if (!filename) {
        printf("\nThe protocol level may support further options.\n"
               "Specify the target filename to include those options.\n");
    }
    g_ptr_array_free(lines, true);
    return 0;
}

/* Whether value suits the option's type; numbers and sizes are parsed into *num. */
static bool opt_value_ok(const ImgOptDesc *d, const char *value, uint64_t *num)
{
    switch (d->type) {
    case OPT_BOOL:
        return qapi_keyval_is_bool(value);
    case OPT_NUMBER:
        return qapi_strtou64(value, num) == 0;
    case OPT_SIZE:
        return qapi_strtosz(value, num) == 0;
    default:
        return true;
    }
}

bool img_create_opts_validate(const char *fmt, const ImgOptList *l, Error **errp)
{
    g_autoptr(GPtrArray) all = merged_opts(fmt, true);

    for (guint i = 0; l->opts && i < l->opts->len; i++) {
        const ImgOpt *o = g_ptr_array_index(l->opts, i);
        const ImgOptDesc *d = find_desc(all, o->name);
        const char *value = o->value ? o->value : "on";
        uint64_t num;

        if (!d) {
            error_setg(errp, "Invalid parameter '%s'", o->name);
            return false;
        }
        if (opt_value_ok(d, value, &num)) {
            continue;
        }
        switch (d->type) {
        case OPT_BOOL:
            error_setg(errp, "Parameter '%s' expects 'on' or 'off'", o->name);
            break;
        case OPT_NUMBER:
            error_setg(errp, "Parameter '%s' expects a number", o->name);
            break;
        default:
            error_setg(errp, "Parameter '%s' expects a non-negative number below 2^64", o->name);
            error_append_hint(errp, "Optional suffix k, M, G, T, P or E means kilo-, mega-, "
                                    "giga-, tera-, peta-\nand exabytes, respectively.\n");
            break;
        }
        return false;
    }
    return true;
}

/* Commas in values are doubled, so the listing parses back. */
static void append_escaped(GString *s, const char *v)
{
    for (; *v; v++) {
        g_string_append_c(s, *v);
        if (*v == ',') {
            g_string_append_c(s, ',');
        }
    }
}

char *img_create_opts_string(const char *fmt, const ImgOptList *l)
{
    g_autoptr(GPtrArray) all = merged_opts(fmt, true);
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < all->len; i++) {
        const ImgOptDesc *d = g_ptr_array_index(all, i);
        const char *value = img_opts_get(l, d->name);
        uint64_t num;

        if (!value && !d->def) {
            continue;
        }
        if (s->len) {
            g_string_append_c(s, ' ');
        }
        g_string_append_printf(s, "%s=", d->name);
        if (value && (d->type == OPT_NUMBER || d->type == OPT_SIZE) &&
            opt_value_ok(d, value, &num)) {
            /* Numbers show as parsed, in decimal ("4k" is 4096). */
            g_string_append_printf(s, "%" PRId64, (int64_t)num);
        } else {
            append_escaped(s, value ? value : d->def);
        }
    }
    return g_string_free(s, false);
}

int64_t img_create_opts_size(const ImgOptList *l)
{
    const char *v = img_opts_get(l, "size");
    uint64_t num;

    if (!v || qapi_strtosz(v, &num) < 0) {
        return -1;
    }
    return (int64_t)num;
}

/* ---------------------------------------------------------------- creation */

/* Legacy option name -> blockdev-create member (qcow2). */
static const struct {
    const char *opt, *member;
} qcow2_renames[] = {
    {"size", "size"},
    {"compat", "version"},
    {"backing_file", "backing-file"},
    {"backing_fmt", "backing-fmt"},
    {"cluster_size", "cluster-size"},
    {"preallocation", "preallocation"},
    {"lazy_refcounts", "lazy-refcounts"},
    {"refcount_bits", "refcount-bits"},
    {"extended_l2", "extended-l2"},
    {"compression_type", "compression-type"},
};

static const struct {
    const char *opt, *member;
} file_renames[] = {
    {"size", "size"},
    {"preallocation", "preallocation"},
    {"nocow", "nocow"},
    {"extent_size_hint", "extent-size-hint"},
};

/* Sets a keyval-style member ("a.b" nests). */
static void put_member(json_t *o, const char *member, const char *value)
{
    const char *dot = strchr(member, '.');

    if (dot) {
        g_autofree char *head = g_strndup(member, dot - member);
        json_t *sub = json_object_get(o, head);

        if (!json_is_object(sub)) {
            sub = json_object();
            json_object_set_new(o, head, sub);
        }
        put_member(sub, dot + 1, value);
        return;
    }
    json_object_set_new(o, member, json_string(value));
}

/* Numbers and sizes in decimal, sizes rounded up to whole sectors. */
static char *member_value(const char *opt, const char *value)
{
    uint64_t num;

    if (!strcmp(opt, "size") && qapi_strtosz(value, &num) == 0) {
        return g_strdup_printf("%" PRIu64, (uint64_t)QEMU_ALIGN_UP(num, BDRV_SECTOR_SIZE));
    }
    if (!strcmp(opt, "compat")) {
        if (!strcmp(value, "0.10")) {
            return g_strdup("v2");
        }
        if (!strcmp(value, "1.1")) {
            return g_strdup("v3");
        }
    }
    return g_strdup(value);
}

static int create_run(json_t *request, Error **errp)
{
    BlockdevCreateOptions *opts = NULL;
    int ret;

    if (!qapi_parse_BlockdevCreateOptions(request, true, &opts, errp)) {
        return -EINVAL;
    }
    ret = bdrv_create(opts, errp);
    qapi_free_BlockdevCreateOptions(opts);
    return ret;
}

/* The protocol file: the whole image for raw, an empty file under a format. */
static int create_file(const char *filename, const ImgOptList *l, bool whole, Error **errp)
{
    json_t *req;
    int ret;

    const char *prealloc = img_opts_get(l, "preallocation");

    /* The protocol parses this one itself, with the enum parser's words. */
    if (whole && prealloc && qapi_enum_parse(&PreallocMode_lookup, prealloc, -1, NULL) < 0) {
        error_setg(errp, "invalid parameter value: %s", prealloc);
        return -EINVAL;
    }
    req = json_object();
    json_object_set_new(req, "driver", json_string("file"));
    json_object_set_new(req, "filename", json_string(filename));
    for (size_t i = 0; i < ARRAY_SIZE(file_renames); i++) {
        const char *v = img_opts_get(l, file_renames[i].opt);
        bool format_level =
            !strcmp(file_renames[i].opt, "size") || !strcmp(file_renames[i].opt, "preallocation");

        if (v && (whole || !format_level)) {
            g_autofree char *mv = member_value(file_renames[i].opt, v);

            put_member(req, file_renames[i].member, mv);
        }
    }
    if (!whole) {
        json_object_set_new(req, "size", json_string("0"));
    }
    ret = create_run(req, errp);
    json_decref(req);
    return ret;
}

/* What qcow2 can do in QEMU but not here; better refused than ignored. */
static bool create_qcow2_supported(const ImgOptList *l, Error **errp)
{
    const char *enc = img_opts_get(l, "encryption");
    bool on = false;

    for (guint i = 0; l->opts && i < l->opts->len; i++) {
        const ImgOpt *o = g_ptr_array_index(l->opts, i);

        if (g_str_has_prefix(o->name, "encrypt.")) {
            on = true;
        }
    }
    if (on || (enc && qapi_keyval_parse_bool(enc, &on) && on)) {
        error_setg(errp, "Encrypted qcow2 images are not supported");
        return false;
    }
    if (img_opts_has(l, "data_file") || img_opts_has(l, "data_file_raw")) {
        error_setg(errp, "External data files are not supported");
        return false;
    }
    return true;
}

static int create_qcow2(const char *filename, const ImgOptList *l, Error **errp)
{
    json_t *req = json_object();
    json_t *file = json_object();
    int ret;

    json_object_set_new(req, "driver", json_string("qcow2"));
    json_object_set_new(file, "driver", json_string("file"));
    json_object_set_new(file, "filename", json_string(filename));
    json_object_set_new(req, "file", file);
    for (size_t i = 0; i < ARRAY_SIZE(qcow2_renames); i++) {
        const char *v = img_opts_get(l, qcow2_renames[i].opt);

        if (v) {
            g_autofree char *mv = member_value(qcow2_renames[i].opt, v);

            put_member(req, qcow2_renames[i].member, mv);
        }
    }
    ret = create_run(req, errp);
    json_decref(req);
    return ret;
}

int img_create_image(const char *filename, const char *fmt, const ImgOptList *l, Error **errp)
{
    int ret;

    if (!strcmp(fmt, "qcow2")) {
        if (!create_qcow2_supported(l, errp)) {
            return -ENOTSUP;
        }
        ret = create_file(filename, l, false, errp);
        return ret < 0 ? ret : create_qcow2(filename, l, errp);
    }
    return create_file(filename, l, true, errp);
}
