/*
 * Private glue between the files of the block-layer core (block.c, open.c,
 * graph.c, perm.c, io.c, drain.c, block-status.c, block-backend.c,
 * qapi-block.c, blockdev.c).  Drivers use block/block_int.h only.
 */
#ifndef BLOCK_BLOCK_CORE_INT_H
#define BLOCK_BLOCK_CORE_INT_H

#include "block/block-backend.h"
#include "block/block_int.h"

/* block.c: node lifetime and the node lists. */
BlockDriverState *bdrv_new(void);
/* Frees a node whose refcount reached zero (closes it first if opened). */
void bdrv_delete(BlockDriverState *bs);
/* "Invalid node-name: 'x'", "node-name=x is conflicting with a device id",
 * "Duplicate nodes with node-name='x'", "Node name too long". */
bool bdrv_check_node_name(const char *name, Error **errp);
/* Gives bs its name (generated "#blockNNN" when name is NULL) and lists it. */
bool bdrv_assign_node_name(BlockDriverState *bs, const char *name, Error **errp);
/* QEMU's identifier rule: a letter, then letters, digits, '-', '.', '_'. */
bool block_id_wellformed(const char *id);
void bdrv_refresh_limits(BlockDriverState *bs);
/* Recomputes bs->filename for nodes that take it from their children. */
void bdrv_refresh_filename(BlockDriverState *bs);
/* The node's strong options as JSON (what a json: filename shows). */
json_t *bdrv_options_json(BlockDriverState *bs);
/* Writes "json:{...}" for bs, members in QEMU's order. */
void bdrv_json_filename(BlockDriverState *bs, char *out, size_t size);
/* Registered drivers by index (probing order); NULL past the end. */
const BlockDriver *bdrv_driver_at(guint i);
BdrvChild *bdrv_find_child(BlockDriverState *parent, const char *name);

/* Monitor-owned nodes (blockdev-add). */
void bdrv_monitor_own(BlockDriverState *bs);
bool bdrv_is_monitor_owned(BlockDriverState *bs);
void bdrv_monitor_disown(BlockDriverState *bs);

/* open.c */
BlockDriverState *bdrv_open_node(BlockdevOptions *opts, int flags, Error **errp);
/* Resolves a backing file name relative to the overlay's file name. */
char *bdrv_backing_path(BlockDriverState *bs, const char *backing, Error **errp);

/* perm.c */
/*
 * Recomputes the permissions of every edge below the given nodes after an
 * edge changed (new values already stored), checks them and the drivers'
 * locks, and commits; on failure every edge listed in 'undo' and visited on
 * the way is restored.  'undo' holds BdrvPermUndo records of edges the
 * caller already modified.
 */
typedef struct BdrvPermUndo {
    BdrvChild *c;
    uint64_t perm, shared;
} BdrvPermUndo;
int bdrv_refresh_perms(BlockDriverState **roots, int nroots, GArray *undo, Error **errp);
/* Cumulative permissions the parents of bs take / share. */
void bdrv_get_cumulative_perm(BlockDriverState *bs, uint64_t *perm, uint64_t *shared);
/* The permissions bs needs on its child c for the given parent totals. */
void bdrv_child_needed_perm(BlockDriverState *bs, BdrvChild *c, uint64_t perm, uint64_t shared,
                            uint64_t *nperm, uint64_t *nshared);
/* Drops every lock the driver took (node closing). */
void bdrv_release_perms(BlockDriverState *bs);

/* graph.c */
/* Quiesce bookkeeping when an edge gets or loses a drained child. */
void bdrv_child_apply_quiesce(BdrvChild *c, BlockDriverState *old_bs, BlockDriverState *new_bs);

/* drain.c */
bool bdrv_drain_poll_subtree(BlockDriverState *bs);
/* Calls fn(opaque) now, or from a bottom half when in a coroutine (which
 * then sleeps until it has run): for code that runs the main loop. */
void bdrv_run_outside_coroutine(void (*fn)(void *opaque), void *opaque);

/* io.c */
typedef struct BdrvRequestPadding BdrvRequestPadding;

/* block-backend.c */
BlockBackend *blk_all_next(BlockBackend *blk);
bool blk_is_available(BlockBackend *blk);
BlockBackend *blk_new_with_bs(BlockDriverState *bs, uint64_t perm, uint64_t shared_perm,
                              Error **errp);

#endif
