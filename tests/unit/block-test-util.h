/*
 * Helpers shared by the block-core unit tests (test-block-graph,
 * test-block-io, test-block-backend): opening nodes from JSON, building
 * nodes of in-test drivers by hand, and error text checks.
 */
#ifndef TESTS_UNIT_BLOCK_TEST_UTIL_H
#define TESTS_UNIT_BLOCK_TEST_UTIL_H

#include <check.h>

#include "block/block-core-int.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-visit.h"

static inline BlockdevOptions *bt_options(const char *json)
{
    json_error_t jerr;
    json_t *j = json_loads(json, 0, &jerr);
    BlockdevOptions *opts = NULL;
    Error *err = NULL;

    ck_assert_msg(j, "bad test JSON: %s", json);
    if (!qapi_parse_BlockdevOptions(j, false, &opts, &err)) {
        ck_abort_msg("options rejected: %s", error_get_pretty(err));
    }
    json_decref(j);
    return opts;
}

/* Opens a node as blockdev-add would (read-write unless told otherwise). */
static inline BlockDriverState *bt_open(const char *json, Error **errp)
{
    BlockdevOptions *opts = bt_options(json);
    BlockDriverState *bs = bdrv_open_blockdev(opts, BDRV_O_RDWR, errp);

    qapi_free_BlockdevOptions(opts);
    return bs;
}

static inline void bt_qmp_add(const char *json, Error **errp)
{
    BlockdevOptions *opts = bt_options(json);

    qmp_blockdev_add(opts, errp);
    qapi_free_BlockdevOptions(opts);
}

/* Asserts that err is set with exactly 'text', and frees it. */
#define bt_assert_error(err, text)                                                                 \
    do {                                                                                           \
        ck_assert_msg((err) != NULL, "expected error: %s", (text));                                \
        ck_assert_str_eq(error_get_pretty(err), (text));                                           \
        error_free(err);                                                                           \
        (err) = NULL;                                                                              \
    } while (0)

/* A node of an in-test driver, named, as if its driver had opened it. */
static inline BlockDriverState *bt_node(const BlockDriver *drv, const char *name, bool writable)
{
    BlockDriverState *bs = bdrv_new();

    bs->drv = drv;
    bs->opaque = g_malloc0(drv->instance_size ? drv->instance_size : 1);
    bs->open_flags = writable ? BDRV_O_RDWR : 0;
    bs->read_only = !writable;
    bs->committed_shared = BLK_PERM_ALL;
    ck_assert(bdrv_assign_node_name(bs, name, &error_abort));
    bdrv_refresh_limits(bs);
    return bs;
}

/* Runs fn(opaque) in a coroutine; returns at once (it may yield). */
static inline void bt_co_start(CoroutineEntry *fn, void *opaque)
{
    qemu_coroutine_enter(qemu_coroutine_create(fn, opaque));
}

#endif
