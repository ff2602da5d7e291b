/*
 * The permission model.  Each edge states what its parent takes on the child
 * node and what it lets others take.  A node's needs on its own children
 * follow from what its parents take (the driver's bdrv_child_perm or the
 * default for the child's role).  Every change is computed over the whole
 * subgraph below it, checked against every pair of users of each node and
 * against the drivers (file locks), and only then committed; a failure leaves
 * every edge as it was.
 */
#include "block/block-core-int.h"

/* What passes through a node to the child that provides its data. */
#define PERM_PASSTHROUGH                                                                           \
    (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE)
#define PERM_UNCHANGED (BLK_PERM_ALL & ~PERM_PASSTHROUGH)

void bdrv_get_cumulative_perm(BlockDriverState *bs, uint64_t *perm, uint64_t *shared)
{
    uint64_t p = 0, s = BLK_PERM_ALL;

    for (GList *l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        p |= c->perm;
        s &= c->shared_perm;
    }
    *perm = p;
    *shared = s;
}

void bdrv_default_perms(BlockDriverState *bs, BdrvChild *c, unsigned role, uint64_t perm,
                        uint64_t shared, uint64_t *nperm, uint64_t *nshared)
{
    /* Start from a filter's view: what the parents do reaches the child. */
    uint64_t p = perm & PERM_PASSTHROUGH;
    uint64_t s = (shared & PERM_PASSTHROUGH) | PERM_UNCHANGED;

    if (role & BDRV_CHILD_COW) {
        /* A backing file is only ever read; it may change under us only if
         * our parents accept changing data. */
        p &= BLK_PERM_CONSISTENT_READ;
        s = (shared & BLK_PERM_WRITE) ? BLK_PERM_WRITE | BLK_PERM_RESIZE : 0;
        s |= BLK_PERM_CONSISTENT_READ | BLK_PERM_GRAPH_MOD | BLK_PERM_WRITE_UNCHANGED;
    } else if (role & (BDRV_CHILD_DATA | BDRV_CHILD_METADATA)) {
        if (role & BDRV_CHILD_METADATA) {
            /* Metadata is read and updated regardless of guest activity, and
             * nobody else may change it behind our back. */
            if (!bs->read_only) {
                p |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
            }
            p |= BLK_PERM_CONSISTENT_READ;
            s &= ~(BLK_PERM_WRITE | BLK_PERM_RESIZE);
        }
        if (role & BDRV_CHILD_DATA) {
            /* Our idea of the file size must hold; an unchanged-data write
             * above may still be a real write below (COW clusters). */
            s &= ~BLK_PERM_RESIZE;
            if (p & BLK_PERM_WRITE_UNCHANGED) {
                p |= BLK_PERM_WRITE;
            }
            if (p & BLK_PERM_WRITE) {
                p |= BLK_PERM_RESIZE;
            }
        }
    }
    *nperm = p;
    *nshared = s;
}

void bdrv_child_needed_perm(BlockDriverState *bs, BdrvChild *c, uint64_t perm, uint64_t shared,
                            uint64_t *nperm, uint64_t *nshared)
{
    if (bs->drv && bs->drv->bdrv_child_perm) {
        bs->drv->bdrv_child_perm(bs, c, c->role, perm, shared, nperm, nshared);
    } else {
        bdrv_default_perms(bs, c, c->role, perm, shared, nperm, nshared);
    }
    /* force-share on a node: whoever uses it lets everyone else in. */
    if (c->bs && c->bs->force_share) {
        *nshared = BLK_PERM_ALL;
    }
}

static char *bdrv_parent_desc(BdrvChild *c)
{
    if (c->klass && c->klass->get_parent_desc) {
        return c->klass->get_parent_desc(c);
    }
    return g_strdup("another user");
}

/* Does every other user of bs accept what each user takes? */
static bool bdrv_check_parent_conflicts(BlockDriverState *bs, Error **errp)
{
    for (GList *la = bs->parents; la; la = la->next) {
        BdrvChild *a = la->data;

        for (GList *lb = bs->parents; lb; lb = lb->next) {
            BdrvChild *b = lb->data;
            uint64_t conflict = b->perm & ~a->shared_perm;

            if (a == b || !conflict) {
                continue;
            }
            g_autofree char *names = bdrv_perm_names(conflict);
            g_autofree char *bdesc = bdrv_parent_desc(b);
            g_autofree char *adesc = bdrv_parent_desc(a);

            error_setg(errp,
                       "Permission conflict on node '%s': permissions '%s' are both required "
                       "by %s (uses node '%s' as '%s' child) and unshared by %s (uses node "
                       "'%s' as '%s' child).",
                       bs->node_name, names, bdesc, bs->node_name, b->name, adesc, bs->node_name,
                       a->name);
            return false;
        }
    }
    return true;
}

static void topo_visit(BlockDriverState *bs, GHashTable *seen, GPtrArray *post)
{
    if (g_hash_table_contains(seen, bs)) {
        return;
    }
    g_hash_table_add(seen, bs);
    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        topo_visit(c->bs, seen, post);
    }
    g_ptr_array_add(post, bs);
}

static void undo_record(GArray *undo, BdrvChild *c)
{
    for (guint i = 0; i < undo->len; i++) {
        if (g_array_index(undo, BdrvPermUndo, i).c == c) {
            return;
        }
    }
    BdrvPermUndo u = {.c = c, .perm = c->perm, .shared = c->shared_perm};

    g_array_append_val(undo, u);
}

static void undo_apply(GArray *undo)
{
    for (guint i = undo->len; i-- > 0;) {
        BdrvPermUndo *u = &g_array_index(undo, BdrvPermUndo, i);

        u->c->perm = u->perm;
        u->c->shared_perm = u->shared;
    }
}

int bdrv_refresh_perms(BlockDriverState **roots, int nroots, GArray *undo, Error **errp)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) post = g_ptr_array_new();
    g_autoptr(GPtrArray) checked = g_ptr_array_new();
    GArray *my_undo = undo ? undo : g_array_new(false, false, sizeof(BdrvPermUndo));
    int ret = 0;

    for (int i = 0; i < nroots; i++) {
        if (roots[i]) {
            topo_visit(roots[i], seen, post);
        }
    }
    /* Reverse post-order: every node comes after all its parents here. */
    for (guint i = post->len; i-- > 0;) {
        BlockDriverState *bs = g_ptr_array_index(post, i);
        uint64_t perm, shared;

        bdrv_get_cumulative_perm(bs, &perm, &shared);
        if (!bdrv_check_parent_conflicts(bs, errp)) {
            ret = -EPERM;
            break;
        }
        if ((perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) && bs->read_only) {
            error_setg(errp, "Block node is read-only");
            ret = -EPERM;
            break;
        }
        if (bs->drv && bs->drv->bdrv_check_perm &&
            (perm != bs->committed_perm || shared != bs->committed_shared)) {
            ret = bs->drv->bdrv_check_perm(bs, perm, shared, errp);
            if (ret < 0) {
                break;
            }
            g_ptr_array_add(checked, bs);
        }
        for (GList *l = bs->children; l; l = l->next) {
            BdrvChild *c = l->data;
            uint64_t nperm, nshared;

            bdrv_child_needed_perm(bs, c, perm, shared, &nperm, &nshared);
            if (nperm != c->perm || nshared != c->shared_perm) {
                undo_record(my_undo, c);
                c->perm = nperm;
                c->shared_perm = nshared;
            }
        }
    }
    if (ret < 0) {
        for (guint i = 0; i < checked->len; i++) {
            BlockDriverState *bs = g_ptr_array_index(checked, i);

            if (bs->drv->bdrv_abort_perm_update) {
                bs->drv->bdrv_abort_perm_update(bs);
            }
        }
        undo_apply(my_undo);
    } else {
        for (guint i = post->len; i-- > 0;) {
            BlockDriverState *bs = g_ptr_array_index(post, i);
            uint64_t perm, shared;

            bdrv_get_cumulative_perm(bs, &perm, &shared);
            if (g_ptr_array_find(checked, bs, NULL) && bs->drv->bdrv_set_perm) {
                bs->drv->bdrv_set_perm(bs, perm, shared);
            }
            bs->committed_perm = perm;
            bs->committed_shared = shared;
        }
    }
    if (!undo) {
        g_array_free(my_undo, true);
    }
    return ret;
}

int bdrv_child_try_set_perm(BdrvChild *c, uint64_t perm, uint64_t shared, Error **errp)
{
    g_autoptr(GArray) undo = g_array_new(false, false, sizeof(BdrvPermUndo));
    BlockDriverState *root = c->bs;

    undo_record(undo, c);
    c->perm = perm;
    c->shared_perm = shared;
    return bdrv_refresh_perms(&root, 1, undo, errp);
}

void bdrv_release_perms(BlockDriverState *bs)
{
    /* With no parent left nothing is taken; forget what was committed so a
     * reused driver state starts clean. */
    bs->committed_perm = 0;
    bs->committed_shared = BLK_PERM_ALL;
}
