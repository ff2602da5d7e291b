/*
 * Opening nodes: from typed options (blockdev-add, -blockdev, inline
 * children), from a file name with or without a format (-drive, backing
 * files, tools), with format probing, and the backing chain that an image
 * header names.
 */
#include <sys/stat.h>

#include "block/block-core-int.h"
#include "qapi/qapi-visit.h"

/* Internal open flag: the format was guessed (raw then guards block 0). */
#define BDRV_O_INTERNAL_PROBED (1 << 28)
/* Internal open flag: force-share, which children inherit unless told. */
#define BDRV_O_INTERNAL_FORCE_SHARE (1 << 29)

/* Applies a node's own options on top of the flags it inherits. */
static bool bdrv_flags_from_options(BlockdevOptions *o, int *flags, Error **errp)
{
    int f = *flags;

    if (o->has_read_only) {
        f = o->read_only ? f & ~BDRV_O_RDWR : f | BDRV_O_RDWR;
    }
    if (o->has_auto_read_only) {
        f = o->auto_read_only ? f | BDRV_O_AUTO_RDONLY : f & ~BDRV_O_AUTO_RDONLY;
    }
    if (o->has_cache && o->cache->has_direct) {
        f = o->cache->direct ? f | BDRV_O_NOCACHE : f & ~BDRV_O_NOCACHE;
    }
    if (o->has_cache && o->cache->has_no_flush) {
        f = o->cache->no_flush ? f | BDRV_O_NO_FLUSH : f & ~BDRV_O_NO_FLUSH;
    }
    if (o->has_discard) {
        f = o->discard == BLOCKDEV_DISCARD_OPTIONS_UNMAP ? f | BDRV_O_UNMAP : f & ~BDRV_O_UNMAP;
    }
    if (o->has_force_share) {
        f = o->force_share ? f | BDRV_O_INTERNAL_FORCE_SHARE : f & ~BDRV_O_INTERNAL_FORCE_SHARE;
    }
    if ((f & BDRV_O_INTERNAL_FORCE_SHARE) && (f & BDRV_O_RDWR)) {
        error_setg(errp, "force-share=on can only be used with read-only images");
        return false;
    }
    if (o->has_detect_zeroes && o->detect_zeroes == BLOCKDEV_DETECT_ZEROES_OPTIONS_UNMAP &&
        !(f & BDRV_O_UNMAP)) {
        error_setg(errp, "setting detect-zeroes to unmap is not allowed without setting "
                         "discard operation to unmap");
        return false;
    }
    *flags = f;
    return true;
}

/* The backing option of formats that have one; NULL when not given. */
static BlockdevRefOrNull *bdrv_backing_option(BlockdevOptions *o)
{
    if (o->driver == BLOCKDEV_DRIVER_QCOW2 && o->u.qcow2.has_backing) {
        return o->u.qcow2.backing;
    }
    return NULL;
}

/* Undoes a node whose driver open (or a later step) failed. */
static void bdrv_open_abandon(BlockDriverState *bs, bool close)
{
    if (close && bs->drv->bdrv_close) {
        bs->drv->bdrv_close(bs);
    }
    while (bs->children) {
        bdrv_unref_child(bs, bs->children->data);
    }
    bs->drv = NULL;
    bdrv_unref(bs);
}

/* What a child inherits from its parent's flags, by the role it plays. */
static int bdrv_child_flags(int parent_flags, unsigned role)
{
    int f = parent_flags & (BDRV_O_RDWR | BDRV_O_AUTO_RDONLY | BDRV_O_NOCACHE | BDRV_O_NO_FLUSH |
                            BDRV_O_NATIVE_AIO | BDRV_O_IO_URING | BDRV_O_INTERNAL_FORCE_SHARE);

    if (role & BDRV_CHILD_COW) {
        /* Backing files are only read. */
        f &= ~(BDRV_O_RDWR | BDRV_O_AUTO_RDONLY);
    } else if (role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA)) {
        /* The format decides what to pass down; its storage obeys. */
        f |= BDRV_O_UNMAP;
    } else {
        f |= parent_flags & BDRV_O_UNMAP;
    }
    return f;
}

/* The node a child option names or defines, with a reference for the caller. */
static BlockDriverState *bdrv_child_bs_get(QType type, BlockdevOptions *definition,
                                           const char *reference, unsigned role, int flags,
                                           Error **errp)
{
    BlockDriverState *child_bs;

    if (type == QTYPE_QSTRING) {
        child_bs = bdrv_lookup_bs(reference, reference, errp);
        if (child_bs) {
            bdrv_ref(child_bs);
        }
        return child_bs;
    }
    return bdrv_open_node(definition, bdrv_child_flags(flags, role), errp);
}

static BdrvChild *bdrv_open_child_common(QType type, BlockdevOptions *definition,
                                         const char *reference, BlockDriverState *parent,
                                         const char *name, unsigned role, int flags, Error **errp)
{
    BlockDriverState *child_bs;
    BdrvChild *c;

    child_bs = bdrv_child_bs_get(type, definition, reference, role, flags, errp);
    if (!child_bs) {
        return NULL;
    }
    c = bdrv_attach_child(parent, child_bs, name, role, errp);
    bdrv_unref(child_bs);
    return c;
}

BdrvChild *bdrv_open_child(BlockdevRef *ref, BlockDriverState *parent, const char *name,
                           unsigned role, bool allow_none, int flags, Error **errp)
{
    if (!ref) {
        if (!allow_none) {
            error_setg(errp, "A block device must be specified for \"%s\"", name);
        }
        return NULL;
    }
    return bdrv_open_child_common(ref->type, &ref->u.definition, ref->u.reference, parent, name,
                                  role, flags, errp);
}

char *bdrv_backing_path(BlockDriverState *bs, const char *backing, Error **errp)
{
    g_autofree char *dir = NULL;

    BlockDriverState *storage = bs;

    const char *colon = strchr(backing, ':');
    const char *slash = strchr(backing, '/');

    /* Absolute, or "proto:..." (json: included): taken as it is. */
    if (g_path_is_absolute(backing) || (colon && (!slash || colon < slash))) {
        return g_strdup(backing);
    }
    /* The directory is that of the file holding the image. */
    while (storage && storage->children) {
        storage = storage->file ? storage->file->bs : bdrv_filter_bs(storage);
    }
    if (!storage || !storage->filename[0] || !strncmp(storage->filename, "json:", 5) ||
        strstr(storage->filename, "://")) {
        error_setg(errp, "Cannot use relative backing file names for '%s'",
                   bs->filename[0] ? bs->filename : bs->node_name);
        return NULL;
    }
    dir = g_path_get_dirname(storage->filename);
    return g_build_filename(dir, backing, NULL);
}

/*
 * The files of the backing chain being opened right now, innermost last:
 * opening a chain recurses once per layer, so a header that points back up
 * the chain (a cycle) would recurse forever.  Compared by device and inode,
 * so different spellings of one path are caught.
 */
typedef struct ChainFile {
    dev_t dev;
    ino_t ino;
} ChainFile;

static GArray *chain_files;
#define BACKING_CHAIN_MAX_DEPTH 1000

static bool bdrv_backing_chain_enter(BlockDriverState *bs, const char *path, Error **errp)
{
    ChainFile cf = { 0 };
    struct stat st;
    BlockDriverState *storage = bs;
    const char *top;

    /* Name the overlay by the file that holds it: bs is still being opened. */
    while (storage->file && !storage->filename[0]) {
        storage = storage->file->bs;
    }
    top = storage->filename[0] ? storage->filename : bs->node_name;

    if (!chain_files) {
        chain_files = g_array_new(FALSE, FALSE, sizeof(ChainFile));
    }
    if (chain_files->len >= BACKING_CHAIN_MAX_DEPTH) {
        error_setg(errp, "Backing chain of '%s' is deeper than %d images", top,
                   BACKING_CHAIN_MAX_DEPTH);
        return false;
    }
    /* Protocol and json: names have no inode; they cannot form a file cycle. */
    if (stat(path, &st) == 0) {
        cf.dev = st.st_dev;
        cf.ino = st.st_ino;
        for (guint i = 0; i < chain_files->len; i++) {
            ChainFile *seen = &g_array_index(chain_files, ChainFile, i);

            if (seen->dev == cf.dev && seen->ino == cf.ino) {
                error_setg(errp, "Backing file '%s' of '%s' makes the backing chain a cycle",
                           path, top);
                return false;
            }
        }
        /* The overlay itself: its own file, if it has one. */
        if (bs->filename[0] && stat(bs->filename, &st) == 0 && st.st_dev == cf.dev &&
            st.st_ino == cf.ino) {
            error_setg(errp, "Backing file '%s' of '%s' makes the backing chain a cycle", path,
                       top);
            return false;
        }
    }
    g_array_append_val(chain_files, cf);
    return true;
}

static void bdrv_backing_chain_leave(void)
{
    g_array_set_size(chain_files, chain_files->len - 1);
}

int bdrv_open_backing(BlockDriverState *bs, int flags, Error **errp)
{
    g_autofree char *path = NULL;
    BlockDriverState *back;
    Error *local_err = NULL;
    BdrvChild *c;

    if (!bs->backing_file[0] || bs->backing) {
        return 0;
    }
    path = bdrv_backing_path(bs, bs->backing_file, &local_err);
    if (path && !bdrv_backing_chain_enter(bs, path, &local_err)) {
        g_clear_pointer(&path, g_free);
    }
    if (path) {
        back = bdrv_open_image(path, bs->backing_format[0] ? bs->backing_format : NULL, NULL,
                               bdrv_child_flags(flags, BDRV_CHILD_COW), &local_err);
        bdrv_backing_chain_leave();
    } else {
        back = NULL;
    }
    if (!back) {
        error_propagate_prepend(errp, local_err, "Could not open backing file: ");
        return -EINVAL;
    }
    c = bdrv_attach_child(bs, back, "backing", BDRV_CHILD_COW, errp);
    if (c) {
        g_strlcpy(bs->auto_backing_file, back->filename, sizeof(bs->auto_backing_file));
    }
    bdrv_unref(back);
    if (!c) {
        return -EPERM;
    }
    bs->backing = c;
    return 0;
}

static int bdrv_open_backing_from_options(BlockDriverState *bs, BlockdevOptions *opts, int flags,
                                          Error **errp)
{
    BlockdevRefOrNull *ref = bdrv_backing_option(opts);
    BlockDriverState *back;
    Error *local_err = NULL;
    BdrvChild *c;

    if (!bs->drv->supports_backing || (flags & BDRV_O_NO_BACKING)) {
        return 0;
    }
    if (!ref) {
        return bdrv_open_backing(bs, flags, errp);
    }
    if (ref->type == QTYPE_QSTRING && !ref->u.reference[0]) {
        warn_report("Use of \"backing\": \"\" is deprecated; use \"backing\": null instead");
        return 0;
    }
    if (ref->type == QTYPE_QNULL) {
        return 0;
    }
    back = bdrv_child_bs_get(ref->type, &ref->u.definition, ref->u.reference, BDRV_CHILD_COW, flags,
                             &local_err);
    if (!back) {
        /* As for a backing file named by the header; attaching is not opening. */
        error_propagate_prepend(errp, local_err, "Could not open backing file: ");
        return -EINVAL;
    }
    c = bdrv_attach_child(bs, back, "backing", BDRV_CHILD_COW, errp);
    bdrv_unref(back);
    if (!c) {
        return -EINVAL;
    }
    bs->backing = c;
    return 0;
}

/* The "file" option of the formats that have one. */
static BlockdevRef **bdrv_file_option(BlockdevOptions *o)
{
    switch (o->driver) {
    case BLOCKDEV_DRIVER_QCOW2:
        return &o->u.qcow2.file;
    case BLOCKDEV_DRIVER_RAW:
        return &o->u.raw.file;
    default:
        return NULL;
    }
}

/*
 * Resolves a format's "file" before the format node is named, as QEMU
 * does: an inline definition is opened (and replaced in 'o' by a
 * reference to it), a reference is looked up.  *file_bs holds a reference
 * until the driver has attached the node (NULL without a file option).
 */
static bool bdrv_preopen_file(BlockdevOptions *o, int flags, BlockDriverState **file_bs,
                              Error **errp)
{
    BlockdevRef **ref = bdrv_file_option(o);

    *file_bs = NULL;
    if (!ref || !*ref) {
        return true;
    }
    *file_bs = bdrv_child_bs_get((*ref)->type, &(*ref)->u.definition, (*ref)->u.reference,
                                 BDRV_CHILD_IMAGE, flags, errp);
    if (!*file_bs) {
        return false;
    }
    if ((*ref)->type != QTYPE_QSTRING) {
        qapi_free_BlockdevRef(*ref);
        *ref = g_new0(BlockdevRef, 1);
        (*ref)->type = QTYPE_QSTRING;
        (*ref)->u.reference = g_strdup((*file_bs)->node_name);
    }
    return true;
}

BlockDriverState *bdrv_open_node(BlockdevOptions *opts, int flags, Error **errp)
{
    const char *drv_name = BlockdevDriver_str(opts->driver);
    const BlockDriver *drv = drv_name ? bdrv_find_format(drv_name) : NULL;
    const char *node_name = opts->has_node_name ? opts->node_name : NULL;
    BlockDriverState *bs, *file_bs;
    Error *local_err = NULL;
    int ret;

    if (!drv) {
        error_setg(errp, "Unknown driver '%s'", drv_name ? drv_name : "");
        return NULL;
    }
    if (!bdrv_flags_from_options(opts, &flags, errp)) {
        return NULL;
    }

    bs = bdrv_new();
    bs->drv = drv;
    bs->opaque = drv->instance_size ? g_malloc0(drv->instance_size) : NULL;
    bs->options = qapi_clone_BlockdevOptions(opts);
    bs->probed = flags & BDRV_O_INTERNAL_PROBED;
    flags &= ~BDRV_O_INTERNAL_PROBED;
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    bs->auto_read_only = flags & BDRV_O_AUTO_RDONLY;
    bs->detect_zeroes =
        opts->has_detect_zeroes ? opts->detect_zeroes : BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF;
    bs->force_share = flags & BDRV_O_INTERNAL_FORCE_SHARE;
    bs->committed_shared = BLK_PERM_ALL;

    /*
     * QEMU's order, which decides both the node list and which error wins:
     * a format's storage first, then the node's name (so that conflicts
     * met while attaching children name it), then the driver, then the
     * backing chain.
     */
    if (!bdrv_preopen_file(bs->options, flags, &file_bs, errp) ||
        !bdrv_assign_node_name(bs, node_name, errp)) {
        bdrv_unref(file_bs);
        bdrv_open_abandon(bs, false);
        return NULL;
    }
    ret = drv->bdrv_open ? drv->bdrv_open(bs, bs->options, flags, &local_err) : 0;
    bdrv_unref(file_bs);
    if (ret < 0) {
        if (!local_err) {
            error_setg_errno(&local_err, -ret, "Could not open '%s'",
                             bs->filename[0] ? bs->filename : drv_name);
        }
        error_propagate(errp, local_err);
        bdrv_open_abandon(bs, false);
        return NULL;
    }
    bdrv_refresh_limits(bs);
    bdrv_getlength(bs);
    g_strlcpy(bs->auto_backing_file, bs->backing_file, sizeof(bs->auto_backing_file));
    if (bdrv_open_backing_from_options(bs, opts, bs->open_flags, errp) < 0) {
        bdrv_open_abandon(bs, true);
        return NULL;
    }
    bdrv_refresh_filename(bs);
    return bs;
}

BlockDriverState *bdrv_open_blockdev(BlockdevOptions *opts, int flags, Error **errp)
{
    return bdrv_open_node(opts, flags, errp);
}

/* ---------------------------------------------------------------- by file name */

static const BdrvChildClass child_probe = {
    .parent_is_bds = false,
};

typedef struct ProbeRead {
    BdrvChild *c;
    uint8_t *buf;
    int64_t bytes;
    int ret;
} ProbeRead;

static void coroutine_fn bdrv_probe_read_entry(void *opaque)
{
    ProbeRead *pr = opaque;

    pr->ret = bdrv_co_pread(pr->c, 0, pr->bytes, pr->buf, 0);
}

/* Guesses the format of the image held by the protocol node bs. */
static const char *bdrv_probe_format(BlockDriverState *bs, const char *filename, Error **errp)
{
    uint8_t buf[2048] = {0};
    ProbeRead pr = {.buf = buf};
    const BlockDriver *best = NULL;
    int64_t len = bdrv_getlength(bs);
    int best_score = 0;

    if (len < 0) {
        error_setg_errno(errp, -len, "Could not determine the image size of '%s'", filename);
        return NULL;
    }
    pr.bytes = MIN(len, (int64_t)sizeof(buf));
    if (pr.bytes > 0) {
        pr.c = bdrv_root_attach_child(bs, "probe", &child_probe, BDRV_CHILD_FILTERED,
                                      BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, NULL, errp);
        if (!pr.c) {
            return NULL;
        }
        coroutine_run_sync(bdrv_probe_read_entry, &pr);
        bdrv_root_unref_child(pr.c);
        if (pr.ret < 0) {
            error_setg_errno(errp, -pr.ret, "Could not read image for determining its format");
            return NULL;
        }
    }
    for (guint i = 0; bdrv_driver_at(i); i++) {
        const BlockDriver *drv = bdrv_driver_at(i);
        int score;

        if (!drv->bdrv_probe || pr.bytes == 0) {
            continue;
        }
        score = drv->bdrv_probe(buf, (int)pr.bytes, filename);
        if (score > best_score) {
            best_score = score;
            best = drv;
        }
    }
    return best ? best->format_name : "raw";
}

/* The driver of a "proto:rest" file name, or NULL for a plain path. */
static const BlockDriver *bdrv_find_protocol(const char *filename, Error **errp)
{
    const char *colon = strchr(filename, ':');
    const char *slash = strchr(filename, '/');
    g_autofree char *proto = NULL;

    if (!colon || (slash && slash < colon)) {
        return bdrv_find_format("file");
    }
    proto = g_strndup(filename, colon - filename);
    for (guint i = 0; bdrv_driver_at(i); i++) {
        const BlockDriver *drv = bdrv_driver_at(i);

        if (drv->protocol_name && !strcmp(drv->protocol_name, proto)) {
            return drv;
        }
    }
    error_setg(errp, "Unknown protocol '%s'", proto);
    return NULL;
}

/* Merges src's members into dst where dst has none (objects recursively). */
static void json_merge_defaults(json_t *dst, json_t *src)
{
    const char *key;
    json_t *v;

    json_object_foreach(src, key, v)
    {
        json_t *have = json_object_get(dst, key);

        if (!have) {
            json_object_set(dst, key, v);
        } else if (json_is_object(have) && json_is_object(v)) {
            json_merge_defaults(have, v);
        }
    }
}

static const char *const inherited_options[] = {"read-only", "auto-read-only", "cache"};

/*
 * An option no driver knows, in the words of QEMU's file-name opens:
 * "Block format 'qcow2' does not support the option 'x'" (or protocol).
 */
static void bdrv_reword_unexpected(Error **errp, Error *err, json_t *o)
{
    const char *msg = error_get_pretty(err);
    const char *prefix = "Parameter '", *suffix = "' is unexpected";
    const char *driver = json_string_value(json_object_get(o, "driver"));
    const BlockDriver *drv = driver ? bdrv_find_format(driver) : NULL;
    size_t len = strlen(msg);

    if (drv && g_str_has_prefix(msg, prefix) && g_str_has_suffix(msg, suffix) &&
        len > strlen(prefix) + strlen(suffix)) {
        g_autofree char *name =
            g_strndup(msg + strlen(prefix), len - strlen(prefix) - strlen(suffix));

        if (!strchr(name, '.')) {
            if (drv->is_format || drv->is_filter) {
                error_setg(errp, "Block format '%s' does not support the option '%s'", driver,
                           name);
            } else {
                error_setg(errp, "Block protocol '%s' doesn't support the option '%s'", driver,
                           name);
            }
            error_free(err);
            return;
        }
    }
    error_propagate(errp, err);
}

static BlockDriverState *bdrv_open_json(json_t *o, int flags, Error **errp)
{
    BlockdevOptions *opts = NULL;
    BlockDriverState *bs;
    Error *local_err = NULL;

    if (!qapi_parse_BlockdevOptions(o, true, &opts, &local_err)) {
        bdrv_reword_unexpected(errp, local_err, o);
        return NULL;
    }
    bs = bdrv_open_node(opts, flags, errp);
    qapi_free_BlockdevOptions(opts);
    return bs;
}

/* The options of the protocol node for filename (plus extra's "file"). */
static json_t *bdrv_protocol_options(const char *filename, json_t *extra_file, Error **errp)
{
    json_t *popts = json_is_object(extra_file) ? json_deep_copy(extra_file) : json_object();
    const BlockDriver *proto;

    const char *given = json_string_value(json_object_get(popts, "driver"));

    if (given && strcmp(given, "file")) {
        /* An explicit protocol driver interprets the name itself, if at all. */
        proto = bdrv_find_format(given);
        if (proto && proto->bdrv_parse_filename) {
            Error *local_err = NULL;

            proto->bdrv_parse_filename(filename, popts, &local_err);
            if (local_err) {
                error_propagate(errp, local_err);
                json_decref(popts);
                return NULL;
            }
        }
        return popts;
    }
    proto = bdrv_find_protocol(filename, errp);
    if (!proto) {
        json_decref(popts);
        return NULL;
    }
    if (proto->bdrv_parse_filename && strcmp(proto->format_name, "file")) {
        Error *local_err = NULL;

        proto->bdrv_parse_filename(filename, popts, &local_err);
        if (local_err) {
            error_propagate(errp, local_err);
            json_decref(popts);
            return NULL;
        }
    } else if (!json_object_get(popts, "filename")) {
        json_object_set_new(popts, "filename", json_string(filename));
    }
    json_object_set_new(popts, "driver", json_string(proto->format_name));
    return popts;
}

/* Nested objects for dotted keys ({"file.filename": x}), as QEMU reads them. */
static json_t *json_crumple(json_t *flat)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;

    json_object_foreach(flat, key, v)
    {
        gchar **parts = g_strsplit(key, ".", -1);
        guint n = g_strv_length(parts);
        json_t *o = out;

        for (guint i = 0; i + 1 < n; i++) {
            json_t *sub = json_object_get(o, parts[i]);

            if (!json_is_object(sub)) {
                sub = json_object();
                json_object_set_new(o, parts[i], sub);
            }
            o = sub;
        }
        json_object_set_new(o, parts[n - 1], json_is_object(v) ? json_crumple(v) : json_incref(v));
        g_strfreev(parts);
    }
    return out;
}

/* jansson's complaints in the words of QEMU's JSON parser. */
static void bdrv_json_parse_error(const char *text, const json_error_t *jerr, Error **errp)
{
    const char *t = jerr->text, *near = strstr(t, "near '");
    const char *what;

    if (!*text) {
        what = "Expecting a JSON value";
    } else if (strstr(t, "end of file expected")) {
        what = "Expecting at most one JSON value";
    } else if (strstr(t, "near end of file")) {
        what = "JSON parse error, premature EOI";
    } else if (near && g_ascii_isalpha(near[6])) {
        error_setg(errp,
                   "Could not parse the JSON options: JSON parse error, invalid keyword '%.*s'",
                   (int)strcspn(near + 6, "'"), near + 6);
        return;
    } else if (g_str_has_prefix(t, "'}' expected")) {
        what = "JSON parse error, expected separator in dict";
    } else if (g_str_has_prefix(t, "']' expected")) {
        what = "JSON parse error, expected separator in list";
    } else if (g_str_has_prefix(t, "':' expected")) {
        what = "JSON parse error, missing : in object pair";
    } else {
        what = "JSON parse error, expecting value";
    }
    error_setg(errp, "Could not parse the JSON options: %s", what);
}

static json_t *bdrv_parse_json_filename(const char *text, Error **errp)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    json_t *out;

    if (!j) {
        bdrv_json_parse_error(text, &jerr, errp);
        return NULL;
    }
    if (!json_is_object(j)) {
        error_setg(errp, "Invalid JSON object given");
        json_decref(j);
        return NULL;
    }
    out = json_crumple(j);
    json_decref(j);
    return out;
}

BlockDriverState *bdrv_open_image(const char *filename, const char *format, json_t *extra,
                                  int flags, Error **errp)
{
    json_t *fopts = json_is_object(extra) ? json_deep_copy(extra) : json_object();
    g_autofree char *json_filename = NULL;
    json_t *popts = NULL;
    const BlockDriver *fmt_drv = NULL;
    BlockDriverState *proto_bs = NULL, *bs = NULL;
    int fmt_flags = flags;

    /* "json:{...}" names carry the whole option tree. */
    if (filename && !strncmp(filename, "json:", 5)) {
        json_t *named = bdrv_parse_json_filename(filename + 5, errp);
        json_t *file;

        if (!named) {
            goto out;
        }
        json_merge_defaults(fopts, named);
        json_decref(named);
        if (format && !json_object_get(fopts, "driver")) {
            json_object_set_new(fopts, "driver", json_string(format));
        }
        file = json_object_get(fopts, "file");
        filename =
            json_is_object(file) ? json_string_value(json_object_get(file, "filename")) : NULL;
        if (json_object_get(fopts, "driver") || !filename) {
            if (filename && !json_object_get(file, "driver")) {
                /* The storage's protocol follows from its name. */
                popts = bdrv_protocol_options(filename, file, errp);
                if (!popts) {
                    goto out;
                }
                json_object_set(fopts, "file", popts);
            }
            bs = bdrv_open_json(fopts, flags, errp);
            goto out;
        }
        /* No format: probe it on the storage "file" describes. */
        filename = json_filename = g_strdup(filename);
    }
    if (format) {
        fmt_drv = bdrv_find_format(format);
        if (!fmt_drv) {
            error_setg(errp, "Unknown driver '%s'", format);
            goto out;
        }
    }
    if (!filename) {
        /* A driver that needs no file (null-co) is opened from extra alone. */
        if (!fmt_drv) {
            error_setg(errp, "A file name or a driver is required");
            goto out;
        }
        json_object_set_new(fopts, "driver", json_string(format));
        bs = bdrv_open_json(fopts, flags, errp);
        goto out;
    }
    if (fmt_drv && !fmt_drv->is_format && !fmt_drv->is_filter) {
        /* The "format" is the protocol itself: one node. */
        json_object_set_new(fopts, "driver", json_string(format));
        json_object_del(fopts, "file");
        if (!fmt_drv->bdrv_parse_filename || !strcmp(format, "file")) {
            json_object_set_new(fopts, "filename", json_string(filename));
        } else {
            Error *local_err = NULL;

            fmt_drv->bdrv_parse_filename(filename, fopts, &local_err);
            if (local_err) {
                error_propagate(errp, local_err);
                goto out;
            }
        }
        bs = bdrv_open_json(fopts, flags, errp);
        goto out;
    }

    popts = bdrv_protocol_options(filename, json_object_get(fopts, "file"), errp);
    if (!popts) {
        goto out;
    }
    /* The storage inherits what the format was told about access. */
    for (size_t i = 0; i < ARRAY_SIZE(inherited_options); i++) {
        json_t *v = json_object_get(fopts, inherited_options[i]);

        if (v && !json_object_get(popts, inherited_options[i])) {
            json_object_set(popts, inherited_options[i], v);
        }
    }
    proto_bs = bdrv_open_json(popts, bdrv_child_flags(flags, BDRV_CHILD_IMAGE), errp);
    if (!proto_bs) {
        goto out;
    }
    if (!format) {
        format = bdrv_probe_format(proto_bs, filename, errp);
        if (!format) {
            goto out;
        }
        fmt_flags |= BDRV_O_INTERNAL_PROBED;
    }
    json_object_set_new(fopts, "driver", json_string(format));
    json_object_set_new(fopts, "file", json_string(proto_bs->node_name));
    bs = bdrv_open_json(fopts, fmt_flags, errp);

out:
    bdrv_unref(proto_bs);
    json_decref(popts);
    json_decref(fopts);
    return bs;
}
