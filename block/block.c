/*
 * The node registry: drivers, node lifetime and names, lookups along the
 * graph, and the node-level queries (length, info, filename).
 */
#include "block/block-core-int.h"
#include "qapi/qapi-json.h"
#include "qapi/qapi-visit.h"

/* ---------------------------------------------------------------- drivers */

static GPtrArray *block_drivers;

void bdrv_register(const BlockDriver *drv)
{
    if (!block_drivers) {
        block_drivers = g_ptr_array_new();
    }
    g_ptr_array_add(block_drivers, (gpointer)drv);
}

const BlockDriver *bdrv_find_format(const char *format_name)
{
    for (guint i = 0; block_drivers && i < block_drivers->len; i++) {
        const BlockDriver *drv = g_ptr_array_index(block_drivers, i);

        if (!strcmp(drv->format_name, format_name)) {
            return drv;
        }
    }
    return NULL;
}

/* Drivers (in registration order) for probing; NULL past the end. */
const BlockDriver *bdrv_driver_at(guint i)
{
    return block_drivers && i < block_drivers->len ? g_ptr_array_index(block_drivers, i) : NULL;
}

void bdrv_init(void)
{
    /* Drivers register from constructors; nothing else to set up. */
}

static const char *const perm_names[] = {
    "consistent read", "write", "write unchanged", "resize", "change children",
};

char *bdrv_perm_names(uint64_t perm)
{
    GString *s = g_string_new("");

    for (size_t i = 0; i < ARRAY_SIZE(perm_names); i++) {
        if (perm & (1ULL << i)) {
            if (s->len) {
                g_string_append(s, ", ");
            }
            g_string_append(s, perm_names[i]);
        }
    }
    return g_string_free(s, false);
}

/* ---------------------------------------------------------------- node lists */

/* Every node, in creation order. */
static GList *all_nodes;
/* Nodes that finished opening and have a name, in naming order. */
static GList *graph_nodes;
/* Nodes blockdev-add created, each holding one reference. */
static GList *monitor_nodes;

BlockDriverState *bdrv_new(void)
{
    BlockDriverState *bs = g_new0(BlockDriverState, 1);

    bs->refcnt = 1;
    bs->total_bytes = -1;
    bs->bl.request_alignment = 1;
    qemu_co_mutex_init(&bs->flush_lock);
    all_nodes = g_list_append(all_nodes, bs);
    return bs;
}

void bdrv_ref(BlockDriverState *bs)
{
    bs->refcnt++;
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    g_assert(bs->refcnt > 0);
    if (--bs->refcnt == 0) {
        bdrv_delete(bs);
    }
}

void bdrv_delete(BlockDriverState *bs)
{
    g_assert(bs->refcnt == 0 && !bs->parents);

    if (bs->drv) {
        bdrv_drained_begin(bs);
        if (bs->drv->bdrv_close) {
            bs->drv->bdrv_close(bs);
        }
        bdrv_release_perms(bs);
        while (bs->children) {
            BdrvChild *c = bs->children->data;

            bdrv_unref_child(bs, c);
        }
        bdrv_drained_end(bs);
    }
    for (int i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        g_assert(!bs->op_blockers[i]);
    }
    all_nodes = g_list_remove(all_nodes, bs);
    graph_nodes = g_list_remove(graph_nodes, bs);
    qapi_free_BlockdevOptions(bs->options);
    g_free(bs->opaque);
    g_free(bs);
}

void bdrv_monitor_own(BlockDriverState *bs)
{
    monitor_nodes = g_list_append(monitor_nodes, bs);
}

bool bdrv_is_monitor_owned(BlockDriverState *bs)
{
    return g_list_find(monitor_nodes, bs) != NULL;
}

void bdrv_monitor_disown(BlockDriverState *bs)
{
    monitor_nodes = g_list_remove(monitor_nodes, bs);
}

/* ---------------------------------------------------------------- names */

bool block_id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

bool bdrv_check_node_name(const char *name, Error **errp)
{
    if (!block_id_wellformed(name)) {
        error_setg(errp, "Invalid node-name: '%s'", name);
        return false;
    }
    if (blk_by_name(name)) {
        error_setg(errp, "node-name=%s is conflicting with a device id", name);
        return false;
    }
    if (bdrv_find_node(name)) {
        error_setg(errp, "Duplicate nodes with node-name='%s'", name);
        return false;
    }
    if (strlen(name) >= BLOCK_NODE_NAME_MAX) {
        error_setg(errp, "Node name too long");
        return false;
    }
    return true;
}

bool bdrv_assign_node_name(BlockDriverState *bs, const char *name, Error **errp)
{
    static uint64_t counter;

    if (name) {
        if (!bdrv_check_node_name(name, errp)) {
            return false;
        }
        g_strlcpy(bs->node_name, name, sizeof(bs->node_name));
    } else {
        /* Unique by the counter; the random tail keeps users from relying
         * on the numbering (QEMU's scheme). */
        do {
            snprintf(bs->node_name, sizeof(bs->node_name), "#block%" PRIu64 "%02d", counter++,
                     g_random_int_range(0, 100));
        } while (bdrv_find_node(bs->node_name));
    }
    graph_nodes = g_list_append(graph_nodes, bs);
    return true;
}

BlockDriverState *bdrv_find_node(const char *node_name)
{
    for (GList *l = graph_nodes; l; l = l->next) {
        BlockDriverState *bs = l->data;

        if (!strcmp(bs->node_name, node_name)) {
            return bs;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name, Error **errp)
{
    if (device) {
        BlockBackend *blk = blk_by_name(device);

        if (blk) {
            BlockDriverState *bs = blk_bs(blk);

            if (!bs) {
                error_setg(errp, "Device '%s' has no medium", device);
            }
            return bs;
        }
    }
    if (node_name) {
        BlockDriverState *bs = bdrv_find_node(node_name);

        if (bs) {
            return bs;
        }
    }
    error_setg(errp, "Cannot find device='%s' nor node-name='%s'", device ? device : "",
               node_name ? node_name : "");
    return NULL;
}

static BlockDriverState *list_next(GList *list, BlockDriverState *bs)
{
    GList *l;

    if (!bs) {
        return list ? list->data : NULL;
    }
    l = g_list_find(list, bs);
    return l && l->next ? l->next->data : NULL;
}

BlockDriverState *bdrv_next_node(BlockDriverState *bs)
{
    return list_next(graph_nodes, bs);
}

BlockDriverState *bdrv_next_all(BlockDriverState *bs)
{
    return list_next(all_nodes, bs);
}

const char *bdrv_get_node_name(const BlockDriverState *bs)
{
    return bs->node_name;
}

const char *bdrv_get_format_name(const BlockDriverState *bs)
{
    return bs->drv ? bs->drv->format_name : NULL;
}

bool bdrv_is_read_only(BlockDriverState *bs)
{
    return bs->read_only;
}

/* ---------------------------------------------------------------- chain walks */

BdrvChild *bdrv_find_child(BlockDriverState *parent, const char *name)
{
    for (GList *l = parent->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_backing_bs(BlockDriverState *bs)
{
    return bs->backing ? bs->backing->bs : NULL;
}

static BdrvChild *bdrv_filtered_child(BlockDriverState *bs)
{
    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->role & BDRV_CHILD_FILTERED) {
            return c;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_filter_bs(BlockDriverState *bs)
{
    BdrvChild *c = bs ? bdrv_filtered_child(bs) : NULL;

    return c ? c->bs : NULL;
}

BdrvChild *bdrv_cow_child(BlockDriverState *bs)
{
    if (!bs) {
        return NULL;
    }
    if (bs->backing) {
        return bs->backing;
    }
    return bdrv_filtered_child(bs);
}

BlockDriverState *bdrv_cow_bs(BlockDriverState *bs)
{
    BdrvChild *c = bdrv_cow_child(bs);

    return c ? c->bs : NULL;
}

BlockDriverState *bdrv_skip_filters(BlockDriverState *bs)
{
    while (bs && bs->implicit && bs->drv && bs->drv->is_filter && bdrv_filter_bs(bs)) {
        bs = bdrv_filter_bs(bs);
    }
    return bs;
}

BlockDriverState *bdrv_find_overlay(BlockDriverState *active, BlockDriverState *bs)
{
    for (BlockDriverState *p = active; p; p = bdrv_cow_bs(p)) {
        if (bdrv_cow_bs(p) == bs) {
            return p;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_find_base(BlockDriverState *bs)
{
    while (bs && bdrv_cow_bs(bs)) {
        bs = bdrv_cow_bs(bs);
    }
    return bs;
}

bool bdrv_chain_contains(BlockDriverState *bs, BlockDriverState *base)
{
    for (BlockDriverState *p = bs; p; p = bdrv_cow_bs(p)) {
        if (p == base) {
            return true;
        }
    }
    return false;
}

static bool same_file(const char *a, const char *b)
{
    g_autofree char *ra = realpath(a, NULL);
    g_autofree char *rb = realpath(b, NULL);

    return ra && rb && !strcmp(ra, rb);
}

BlockDriverState *bdrv_find_backing_image(BlockDriverState *bs, const char *filename)
{
    for (BlockDriverState *p = bs; p && bdrv_backing_bs(p); p = bdrv_backing_bs(p)) {
        BlockDriverState *back = bdrv_backing_bs(p);
        g_autofree char *resolved = NULL;

        if (!strcmp(p->backing_file, filename) || !strcmp(back->filename, filename)) {
            return back;
        }
        /* A relative name is relative to the overlay, as in the header. */
        if (!g_path_is_absolute(filename)) {
            resolved = bdrv_backing_path(p, filename, NULL);
        }
        if (same_file(resolved ? resolved : filename, back->filename)) {
            return back;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- queries */

/* A node's length, in bytes but counted in whole sectors as QEMU does. */
int64_t bdrv_getlength(BlockDriverState *bs)
{
    int64_t len;

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->bdrv_getlength) {
        len = bs->drv->bdrv_getlength(bs);
        if (len >= 0) {
            bs->total_bytes = len;
        }
    } else if (bs->total_bytes >= 0) {
        len = bs->total_bytes;
    } else if (bdrv_filter_bs(bs)) {
        return bdrv_getlength(bdrv_filter_bs(bs));
    } else {
        return -ENOMEDIUM;
    }
    return len < 0 ? len : QEMU_ALIGN_UP(len, (int64_t)BDRV_SECTOR_SIZE);
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    int64_t sum = 0;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->bdrv_get_allocated_file_size) {
        return bs->drv->bdrv_get_allocated_file_size(bs);
    }
    if (bs->drv->protocol_name) {
        /* A protocol's data is not (only) in its children: no way to tell. */
        return -ENOTSUP;
    }
    /* What the node stores lives in its storage children. */
    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA | BDRV_CHILD_FILTERED)) {
            int64_t n = bdrv_get_allocated_file_size(c->bs);

            if (n < 0) {
                return n;
            }
            sum += n;
        }
    }
    return sum;
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (!bs->drv->bdrv_get_info) {
        BlockDriverState *filtered = bdrv_filter_bs(bs);

        return filtered ? bdrv_get_info(filtered, bdi) : -ENOTSUP;
    }
    return bs->drv->bdrv_get_info(bs, bdi);
}

static void limits_merge(BlockLimits *dst, const BlockLimits *src)
{
    if (src->max_transfer && (!dst->max_transfer || src->max_transfer < dst->max_transfer)) {
        dst->max_transfer = src->max_transfer;
    }
    dst->opt_transfer = MAX(dst->opt_transfer, src->opt_transfer);
    dst->min_mem_alignment = MAX(dst->min_mem_alignment, src->min_mem_alignment);
    dst->opt_mem_alignment = MAX(dst->opt_mem_alignment, src->opt_mem_alignment);
}

void bdrv_refresh_limits(BlockDriverState *bs)
{
    BlockDriverState *primary = bs->file ? bs->file->bs : bdrv_filter_bs(bs);

    memset(&bs->bl, 0, sizeof(bs->bl));
    bs->bl.request_alignment = 1;
    /* Transfer and buffer limits of the storage below bind this node too;
     * its own request alignment does not (requests to the child are aligned
     * on the child's edge). */
    if (primary) {
        limits_merge(&bs->bl, &primary->bl);
    }
    if (bs->drv && bs->drv->bdrv_refresh_limits) {
        bs->drv->bdrv_refresh_limits(bs, NULL);
    }
    if (!bs->bl.request_alignment) {
        bs->bl.request_alignment = 1;
    }
    if (!bs->bl.min_mem_alignment) {
        bs->bl.min_mem_alignment = 1;
    }
    if (!bs->bl.opt_mem_alignment) {
        bs->bl.opt_mem_alignment = MAX(bs->bl.min_mem_alignment, 4096);
    }
}

/* ---------------------------------------------------------------- filenames */

/* Options that do not change what a node shows (left out of json: names). */
static const char *const weak_base_options[] = {
    "node-name", "discard", "cache", "read-only", "auto-read-only", "force-share", "detect-zeroes",
};
static const struct {
    const char *driver;
    const char *const keys[12];
} weak_driver_options[] = {
    {"file", {"locking", "aio", "aio-max-batch", "drop-cache", "x-check-cache-dropped"}},
    {"null-co", {"latency-ns"}},
    {"qcow2",
     {"lazy-refcounts", "pass-discard-request", "pass-discard-snapshot", "pass-discard-other",
      "overlap-check", "cache-size", "l2-cache-size", "l2-cache-entry-size", "refcount-cache-size",
      "cache-clean-interval"}},
};

/*
 * True when bs's backing link is not what its image header implies: another
 * node than the header names, or none although the header names one.
 */
static bool bdrv_backing_overridden(BlockDriverState *bs)
{
    if (!bs->drv || !bs->drv->supports_backing) {
        return false;
    }
    if (!bs->backing) {
        return bs->auto_backing_file[0] != '\0';
    }
    return strcmp(bs->auto_backing_file, bs->backing->bs->filename) != 0;
}

json_t *bdrv_options_json(BlockDriverState *bs)
{
    json_t *given = bs->options ? qapi_to_json_BlockdevOptions(bs->options) : json_object();
    json_t *o = json_object();
    const char *key;
    json_t *v;

    /* In the order QEMU builds it, so that the QDict ordering matches. */
    if (bs->drv) {
        json_object_set_new(o, "driver", json_string(bs->drv->format_name));
    }
    for (size_t i = 0; i < ARRAY_SIZE(weak_base_options); i++) {
        json_object_del(given, weak_base_options[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(weak_driver_options); i++) {
        if (bs->drv && !strcmp(bs->drv->format_name, weak_driver_options[i].driver)) {
            for (size_t k = 0; weak_driver_options[i].keys[k]; k++) {
                json_object_del(given, weak_driver_options[i].keys[k]);
            }
        }
    }
    json_object_foreach(given, key, v)
    {
        if (strcmp(key, "driver") && !bdrv_find_child(bs, key) && strcmp(key, "backing")) {
            json_object_set(o, key, v);
        }
    }
    json_decref(given);
    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c != bs->backing) {
            json_object_set_new(o, c->name, bdrv_options_json(c->bs));
        }
    }
    if (bdrv_backing_overridden(bs)) {
        json_object_set_new(o, "backing",
                            bs->backing ? bdrv_options_json(bs->backing->bs) : json_null());
    }
    return o;
}

/* "json:{...}" with the members in QEMU's printing order. */
void bdrv_json_filename(BlockDriverState *bs, char *out, size_t size)
{
    json_t *o = bdrv_options_json(bs);
    json_t *ordered = qapi_json_qdict_order(o);
    g_autofree char *text = json_dumps(ordered, JSON_PRESERVE_ORDER);

    json_decref(o);
    json_decref(ordered);
    snprintf(out, size, "json:%s", text);
}

static bool bdrv_is_leaf(BlockDriverState *bs)
{
    return bs->children == NULL;
}

/* True when the node's own options say more than its file's name does. */
static bool bdrv_has_strong_options(BlockDriverState *bs)
{
    json_t *o = bdrv_options_json(bs);
    const char *key;
    json_t *v;
    bool strong = false;

    json_object_foreach(o, key, v)
    {
        if (strcmp(key, "driver") && (strcmp(key, "file") || bs->file == NULL)) {
            strong = true;
        }
    }
    json_decref(o);
    return strong;
}

void bdrv_refresh_filename(BlockDriverState *bs)
{
    BlockDriverState *storage;

    if (!bs->drv || bdrv_is_leaf(bs)) {
        return; /* protocol drivers name their nodes themselves */
    }
    if (bs->drv->bdrv_refresh_filename && bs->drv->bdrv_refresh_filename(bs)) {
        return;
    }
    storage = bs->file ? bs->file->bs : bdrv_filter_bs(bs);
    /* QEMU reuses the name only of a protocol node (blkdebug is one). */
    if (storage && storage->filename[0] && strncmp(storage->filename, "json:", 5) && storage->drv &&
        storage->drv->protocol_name && !bs->drv->is_filter && !bdrv_has_strong_options(bs)) {
        g_strlcpy(bs->filename, storage->filename, sizeof(bs->filename));
        return;
    }
    bdrv_json_filename(bs, bs->filename, sizeof(bs->filename));
}

/* ---------------------------------------------------------------- op blockers */

static const char *bdrv_device_or_node_name(BlockDriverState *bs)
{
    BlockBackend *blk = blk_by_root(bs);

    return blk && blk_name(blk)[0] ? blk_name(blk) : bs->node_name;
}

void bdrv_op_block(BlockDriverState *bs, BlockOpType op, Error *reason)
{
    bs->op_blockers[op] = g_slist_prepend(bs->op_blockers[op], reason);
}

void bdrv_op_unblock(BlockDriverState *bs, BlockOpType op, Error *reason)
{
    bs->op_blockers[op] = g_slist_remove(bs->op_blockers[op], reason);
}

void bdrv_op_block_all(BlockDriverState *bs, Error *reason)
{
    for (int i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        bdrv_op_block(bs, i, reason);
    }
}

void bdrv_op_unblock_all(BlockDriverState *bs, Error *reason)
{
    for (int i = 0; i < BLOCK_OP_TYPE_MAX; i++) {
        bdrv_op_unblock(bs, i, reason);
    }
}

bool bdrv_op_is_blocked(BlockDriverState *bs, BlockOpType op, Error **errp)
{
    if (!bs->op_blockers[op]) {
        return false;
    }
    error_setg(errp, "Node '%s' is busy: %s", bdrv_device_or_node_name(bs),
               error_get_pretty(bs->op_blockers[op]->data));
    return true;
}

/* ---------------------------------------------------------------- creation */

typedef struct BdrvCreateCo {
    const BlockDriver *drv;
    BlockdevCreateOptions *opts;
    Error **errp;
    int ret;
} BdrvCreateCo;

static void coroutine_fn bdrv_create_entry(void *opaque)
{
    BdrvCreateCo *cc = opaque;

    cc->ret = cc->drv->bdrv_co_create(cc->opts, cc->errp);
}

int bdrv_create(BlockdevCreateOptions *opts, Error **errp)
{
    BdrvCreateCo cc = {.opts = opts, .errp = errp};

    cc.drv = bdrv_find_format(BlockdevDriver_str(opts->driver));
    if (!cc.drv || !cc.drv->bdrv_co_create) {
        error_setg(errp, "Driver does not support blockdev-create");
        return -ENOTSUP;
    }
    coroutine_run_sync(bdrv_create_entry, &cc);
    return cc.ret;
}
