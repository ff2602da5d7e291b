/*
 * Graph changes: attaching and detaching edges, swapping the node under a
 * set of edges (snapshots, job completion), the backing chain, freezing it,
 * and switching a node between read-only and read-write.  Every change goes
 * through the permission model and is undone when it refuses.
 */
#include "block/block-core-int.h"

/* ---------------------------------------------------------------- node parents */

static char *child_of_bds_desc(BdrvChild *c)
{
    BlockDriverState *parent = c->opaque;

    return g_strdup_printf("node '%s'", parent->node_name);
}

/* A drained child stops its parent node, which stops that node's parents. */
static void child_of_bds_drained_begin(BdrvChild *c)
{
    BlockDriverState *parent = c->opaque;

    parent->quiesce_counter++;
    for (GList *l = parent->parents; l; l = l->next) {
        BdrvChild *pc = l->data;

        pc->parent_quiesce_counter++;
        if (pc->klass->drained_begin) {
            pc->klass->drained_begin(pc);
        }
    }
}

static void child_of_bds_drained_end(BdrvChild *c)
{
    BlockDriverState *parent = c->opaque;

    for (GList *l = parent->parents; l; l = l->next) {
        BdrvChild *pc = l->data;

        pc->parent_quiesce_counter--;
        if (pc->klass->drained_end) {
            pc->klass->drained_end(pc);
        }
    }
    parent->quiesce_counter--;
}

static bool child_of_bds_drained_poll(BdrvChild *c)
{
    BlockDriverState *parent = c->opaque;

    if (parent->in_flight) {
        return true;
    }
    for (GList *l = parent->parents; l; l = l->next) {
        BdrvChild *pc = l->data;

        if (pc->klass->drained_poll && pc->klass->drained_poll(pc)) {
            return true;
        }
    }
    return false;
}

static void child_of_bds_resize(BdrvChild *c)
{
    BlockDriverState *parent = c->opaque;

    /* Only a node that shows its child's data changes size with it. */
    if (c->role & BDRV_CHILD_FILTERED) {
        parent->total_bytes = -1;
        bdrv_getlength(parent);
        bdrv_parent_cb_resize(parent);
    }
}

static int child_of_bds_update_filename(BdrvChild *c, BlockDriverState *base, const char *filename,
                                        Error **errp)
{
    BlockDriverState *parent = c->opaque;

    if (!(c->role & BDRV_CHILD_COW)) {
        return 0;
    }
    return bdrv_change_backing_file(parent, filename, base->drv ? base->drv->format_name : NULL,
                                    errp);
}

const BdrvChildClass child_of_bds = {
    .parent_is_bds = true,
    .get_parent_desc = child_of_bds_desc,
    .drained_begin = child_of_bds_drained_begin,
    .drained_end = child_of_bds_drained_end,
    .drained_poll = child_of_bds_drained_poll,
    .resize = child_of_bds_resize,
    .update_filename = child_of_bds_update_filename,
};

void bdrv_parent_cb_resize(BlockDriverState *bs)
{
    for (GList *l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->klass->resize) {
            c->klass->resize(c);
        }
    }
}

/* ---------------------------------------------------------------- edges */

/* Makes the parent of c as drained as the node it now points to. */
void bdrv_child_apply_quiesce(BdrvChild *c, BlockDriverState *old_bs, BlockDriverState *new_bs)
{
    int want = new_bs ? new_bs->quiesce_counter : 0;

    (void)old_bs;
    while (c->parent_quiesce_counter < want) {
        c->parent_quiesce_counter++;
        if (c->klass->drained_begin) {
            c->klass->drained_begin(c);
        }
    }
    while (c->parent_quiesce_counter > want) {
        c->parent_quiesce_counter--;
        if (c->klass->drained_end) {
            c->klass->drained_end(c);
        }
    }
}

static void edge_link(BdrvChild *c, BlockDriverState *parent)
{
    c->bs->parents = g_list_prepend(c->bs->parents, c);
    if (parent) {
        parent->children = g_list_append(parent->children, c);
    }
}

static void edge_unlink(BdrvChild *c, BlockDriverState *parent)
{
    c->bs->parents = g_list_remove(c->bs->parents, c);
    if (parent) {
        parent->children = g_list_remove(parent->children, c);
        if (parent->file == c) {
            parent->file = NULL;
        }
        if (parent->backing == c) {
            parent->backing = NULL;
        }
    }
}

static BdrvChild *bdrv_attach_common(BlockDriverState *child_bs, const char *name,
                                     const BdrvChildClass *klass, unsigned role, uint64_t perm,
                                     uint64_t shared, void *opaque, BlockDriverState *parent,
                                     Error **errp)
{
    BdrvChild *c = g_new0(BdrvChild, 1);

    c->bs = child_bs;
    c->name = g_strdup(name);
    c->klass = klass;
    c->role = role;
    c->opaque = opaque;
    if (parent) {
        uint64_t pperm, pshared;

        bdrv_get_cumulative_perm(parent, &pperm, &pshared);
        bdrv_child_needed_perm(parent, c, pperm, pshared, &perm, &shared);
    }
    c->perm = perm;
    c->shared_perm = shared;

    bdrv_ref(child_bs);
    edge_link(c, parent);
    if (bdrv_refresh_perms(&child_bs, 1, NULL, errp) < 0) {
        edge_unlink(c, parent);
        g_free(c->name);
        g_free(c);
        bdrv_unref(child_bs);
        return NULL;
    }
    if (klass->attach) {
        klass->attach(c);
    }
    bdrv_child_apply_quiesce(c, NULL, child_bs);
    return c;
}

static bool bdrv_reaches(BlockDriverState *from, BlockDriverState *target)
{
    if (from == target) {
        return true;
    }
    for (GList *l = from->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (bdrv_reaches(c->bs, target)) {
            return true;
        }
    }
    return false;
}

BdrvChild *bdrv_attach_child(BlockDriverState *parent, BlockDriverState *child, const char *name,
                             unsigned role, Error **errp)
{
    /* A reference may name the node being opened, or one above it. */
    if (bdrv_reaches(child, parent)) {
        error_setg(errp, "Making '%s' a %s child of '%s' would create a cycle", child->node_name,
                   name, parent->node_name);
        return NULL;
    }
    return bdrv_attach_common(child, name, &child_of_bds, role, 0, BLK_PERM_ALL, parent, parent,
                              errp);
}

BdrvChild *bdrv_root_attach_child(BlockDriverState *child, const char *name,
                                  const BdrvChildClass *klass, unsigned role, uint64_t perm,
                                  uint64_t shared_perm, void *opaque, Error **errp)
{
    return bdrv_attach_common(child, name, klass, role, perm, shared_perm, opaque, NULL, errp);
}

static void bdrv_detach_common(BdrvChild *c, BlockDriverState *parent)
{
    BlockDriverState *child_bs = c->bs;
    Error *local_err = NULL;

    bdrv_child_apply_quiesce(c, child_bs, NULL);
    if (c->klass->detach) {
        c->klass->detach(c);
    }
    edge_unlink(c, parent);
    /* Fewer users never conflict; only a driver lock could complain. */
    bdrv_refresh_perms(&child_bs, 1, NULL, &local_err);
    error_free(local_err);
    g_free(c->name);
    g_free(c);
    bdrv_unref(child_bs);
}

void bdrv_root_unref_child(BdrvChild *child)
{
    if (child) {
        bdrv_detach_common(child, NULL);
    }
}

void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child)
{
    if (child) {
        bdrv_detach_common(child, parent);
    }
}

/* ---------------------------------------------------------------- backing chain */

static bool bdrv_is_backing_chain_frozen(BlockDriverState *bs, BlockDriverState *base, Error **errp)
{
    for (BlockDriverState *p = bs; p && p != base; p = bdrv_cow_bs(p)) {
        BdrvChild *c = bdrv_cow_child(p);

        if (c && c->frozen) {
            error_setg(errp, "Cannot change '%s' link from '%s' to '%s'", c->name, p->node_name,
                       c->bs->node_name);
            return true;
        }
    }
    return false;
}

int bdrv_set_backing_hd(BlockDriverState *bs, BlockDriverState *backing_hd, Error **errp)
{
    BdrvChild *old = bs->backing, *c = NULL;

    if (!bs->drv || !bs->drv->supports_backing) {
        error_setg(errp, "Driver '%s' of node '%s' does not support backing files",
                   bs->drv ? bs->drv->format_name : "", bs->node_name);
        return -ENOTSUP;
    }
    if (old && old->frozen) {
        error_setg(errp, "Cannot change '%s' link from '%s' to '%s'", old->name, bs->node_name,
                   old->bs->node_name);
        return -EPERM;
    }
    if (backing_hd && bdrv_chain_contains(backing_hd, bs)) {
        error_setg(errp, "Making '%s' a backing child of '%s' would create a cycle",
                   backing_hd->node_name, bs->node_name);
        return -EINVAL;
    }
    if (old && old->bs == backing_hd) {
        return 0;
    }
    /* Attach the new one first, so a refusal leaves the old chain intact. */
    if (backing_hd) {
        c = bdrv_attach_child(bs, backing_hd, "backing", BDRV_CHILD_COW, errp);
        if (!c) {
            return -EPERM;
        }
    }
    if (old) {
        bdrv_unref_child(bs, old);
    }
    bs->backing = c;
    return 0;
}

int bdrv_freeze_backing_chain(BlockDriverState *bs, BlockDriverState *base, Error **errp)
{
    if (bdrv_is_backing_chain_frozen(bs, base, errp)) {
        return -EPERM;
    }
    for (BlockDriverState *p = bs; p && p != base; p = bdrv_cow_bs(p)) {
        BdrvChild *c = bdrv_cow_child(p);

        if (c) {
            c->frozen = true;
        }
    }
    return 0;
}

void bdrv_unfreeze_backing_chain(BlockDriverState *bs, BlockDriverState *base)
{
    for (BlockDriverState *p = bs; p && p != base; p = bdrv_cow_bs(p)) {
        BdrvChild *c = bdrv_cow_child(p);

        if (c) {
            c->frozen = false;
        }
    }
}

/* ---------------------------------------------------------------- replacing nodes */

/* Points the given edges at 'to' (permissions checked), all or none. */
static int bdrv_retarget_edges(GPtrArray *edges, BlockDriverState *to, Error **errp)
{
    g_autoptr(GPtrArray) old = g_ptr_array_new();
    BlockDriverState *roots[2] = {to, NULL};
    int ret;

    for (guint i = 0; i < edges->len; i++) {
        BdrvChild *c = g_ptr_array_index(edges, i);

        g_ptr_array_add(old, c->bs);
        roots[1] = c->bs;
        c->bs->parents = g_list_remove(c->bs->parents, c);
        c->bs = to;
        to->parents = g_list_prepend(to->parents, c);
    }
    ret = bdrv_refresh_perms(roots, edges->len ? 2 : 1, NULL, errp);
    if (ret < 0) {
        for (guint i = 0; i < edges->len; i++) {
            BdrvChild *c = g_ptr_array_index(edges, i);

            to->parents = g_list_remove(to->parents, c);
            c->bs = g_ptr_array_index(old, i);
            c->bs->parents = g_list_prepend(c->bs->parents, c);
        }
        return ret;
    }
    for (guint i = 0; i < edges->len; i++) {
        BdrvChild *c = g_ptr_array_index(edges, i);
        BlockDriverState *from = g_ptr_array_index(old, i);

        bdrv_ref(to);
        bdrv_child_apply_quiesce(c, from, to);
        if (from != to) {
            /* Other old nodes may still need their parents refreshed. */
            BlockDriverState *r = from;

            bdrv_refresh_perms(&r, 1, NULL, NULL);
        }
        bdrv_unref(from);
    }
    return 0;
}

int bdrv_replace_node(BlockDriverState *from, BlockDriverState *to, Error **errp)
{
    g_autoptr(GPtrArray) edges = g_ptr_array_new();

    if (from == to) {
        return 0;
    }
    bdrv_ref(from);
    for (GList *l = from->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        /* An edge from inside 'to's subgraph (e.g. the overlay's own backing
         * link) would make a loop: leave it. */
        if (c->klass->parent_is_bds && bdrv_reaches(to, c->opaque)) {
            continue;
        }
        if (c->frozen) {
            error_setg(errp, "Cannot change '%s' link from '%s' to '%s'", c->name,
                       c->klass->parent_is_bds ? ((BlockDriverState *)c->opaque)->node_name : "",
                       from->node_name);
            bdrv_unref(from);
            return -EPERM;
        }
        g_ptr_array_add(edges, c);
    }
    int ret = bdrv_retarget_edges(edges, to, errp);

    bdrv_unref(from);
    return ret;
}

int bdrv_append(BlockDriverState *overlay, BlockDriverState *bs, Error **errp)
{
    int ret;

    if (overlay->backing) {
        error_setg(errp, "The overlay already has a backing file");
        return -EINVAL;
    }
    ret = bdrv_set_backing_hd(overlay, bs, errp);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_replace_node(bs, overlay, errp);
    if (ret < 0) {
        bdrv_set_backing_hd(overlay, NULL, NULL);
    }
    return ret;
}

int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, Error **errp)
{
    int ret;

    if (!bs->drv || !bs->drv->bdrv_change_backing_file) {
        error_setg(errp, "Driver '%s' does not support changing the backing file name",
                   bs->drv ? bs->drv->format_name : "");
        return -ENOTSUP;
    }
    ret = bs->drv->bdrv_change_backing_file(bs, backing_file, backing_fmt);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update backing file link");
        return ret;
    }
    g_strlcpy(bs->backing_file, backing_file ? backing_file : "", sizeof(bs->backing_file));
    g_strlcpy(bs->auto_backing_file, bs->backing_file, sizeof(bs->auto_backing_file));
    g_strlcpy(bs->backing_format, backing_file && backing_fmt ? backing_fmt : "",
              sizeof(bs->backing_format));
    return 0;
}

int bdrv_drop_intermediate(BlockDriverState *top, BlockDriverState *base,
                           const char *backing_file_str, Error **errp)
{
    g_autoptr(GPtrArray) edges = g_ptr_array_new();
    const char *name = backing_file_str ? backing_file_str : base->filename;
    int ret;

    if (!bdrv_chain_contains(top, base)) {
        error_setg(errp, "'%s' is not in the backing chain of '%s'", base->node_name,
                   top->node_name);
        return -EINVAL;
    }
    if (bdrv_is_backing_chain_frozen(top, base, errp)) {
        return -EPERM;
    }
    bdrv_ref(top);
    for (GList *l = top->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        if (!(c->role & (BDRV_CHILD_COW | BDRV_CHILD_FILTERED))) {
            continue;
        }
        if (c->klass->update_filename) {
            ret = c->klass->update_filename(c, base, name, errp);
            if (ret < 0) {
                bdrv_unref(top);
                return ret;
            }
        }
        g_ptr_array_add(edges, c);
    }
    ret = bdrv_retarget_edges(edges, base, errp);
    bdrv_unref(top);
    return ret;
}

/* ---------------------------------------------------------------- read-only switch */

int bdrv_apply_auto_read_only(BlockDriverState *bs, const char *errmsg, Error **errp)
{
    if (!(bs->open_flags & BDRV_O_AUTO_RDONLY) || !(bs->open_flags & BDRV_O_RDWR)) {
        error_setg(errp, "%s", errmsg ? errmsg : "Permission denied");
        return -EACCES;
    }
    bs->read_only = true;
    bs->open_flags &= ~BDRV_O_RDWR;
    return 0;
}

static bool bdrv_child_inherits_read_only(BdrvChild *c)
{
    return (c->role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA | BDRV_CHILD_FILTERED)) &&
           !(c->role & BDRV_CHILD_COW) && c->bs->options && !c->bs->options->has_read_only;
}

static void bdrv_read_only_apply(BlockDriverState *bs, bool read_only)
{
    bs->read_only = read_only;
    if (read_only) {
        bs->open_flags &= ~BDRV_O_RDWR;
    } else {
        bs->open_flags |= BDRV_O_RDWR;
    }
}

int bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only, Error **errp)
{
    g_autoptr(GPtrArray) switched = g_ptr_array_new();
    BlockDriverState *root = bs;
    int ret;

    if (bs->read_only == read_only) {
        return 0;
    }
    if (!bs->drv) {
        error_setg(errp, "No medium");
        return -ENOMEDIUM;
    }
    /* A writable format needs writable storage it opened with itself. */
    if (!read_only) {
        for (GList *l = bs->children; l; l = l->next) {
            BdrvChild *c = l->data;

            if (c->bs->read_only && bdrv_child_inherits_read_only(c)) {
                ret = bdrv_reopen_set_read_only(c->bs, false, errp);
                if (ret < 0) {
                    goto undo_children;
                }
                g_ptr_array_add(switched, c->bs);
            }
        }
    }
    if (bs->drv->bdrv_reopen_prepare) {
        ret = bs->drv->bdrv_reopen_prepare(bs, read_only, errp);
        if (ret < 0) {
            goto undo_children;
        }
    }
    bdrv_read_only_apply(bs, read_only);
    ret = bdrv_refresh_perms(&root, 1, NULL, errp);
    if (ret < 0) {
        bdrv_read_only_apply(bs, !read_only);
        if (bs->drv->bdrv_reopen_abort) {
            bs->drv->bdrv_reopen_abort(bs);
        }
        goto undo_children;
    }
    if (bs->drv->bdrv_reopen_commit) {
        bs->drv->bdrv_reopen_commit(bs);
    }
    return 0;

undo_children:
    for (guint i = 0; i < switched->len; i++) {
        bdrv_reopen_set_read_only(g_ptr_array_index(switched, i), true, NULL);
    }
    return ret;
}
