/*
 * Drain: quiesce a node so that no request is in flight on it and none is
 * started until the matching drained_end.  The node's parents are told to
 * stop (a BlockBackend queues its requests, a job pauses, a parent node
 * tells its own parents), then the main loop runs until the node and
 * everything below it are idle and no parent still has requests of its own
 * in flight.  Drains nest; each begin needs its end.
 */
#include "block/block-core-int.h"

static void bdrv_parents_drained_begin(BlockDriverState *bs)
{
    for (GList *l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        c->parent_quiesce_counter++;
        if (c->klass->drained_begin) {
            c->klass->drained_begin(c);
        }
    }
}

static void bdrv_parents_drained_end(BlockDriverState *bs)
{
    for (GList *l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        g_assert(c->parent_quiesce_counter > 0);
        c->parent_quiesce_counter--;
        if (c->klass->drained_end) {
            c->klass->drained_end(c);
        }
    }
}

static bool bdrv_parents_busy(BlockDriverState *bs)
{
    for (GList *l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->klass->drained_poll && c->klass->drained_poll(c)) {
            return true;
        }
    }
    return false;
}

/* True while a request is in flight on bs or below it. */
bool bdrv_drain_poll_subtree(BlockDriverState *bs)
{
    if (bs->in_flight) {
        return true;
    }
    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (bdrv_drain_poll_subtree(c->bs)) {
            return true;
        }
    }
    return false;
}

static bool bdrv_drain_busy(BlockDriverState *bs)
{
    return bdrv_drain_poll_subtree(bs) || bdrv_parents_busy(bs);
}

/* The caller holds a reference on bs for the whole drained section. */
static void bdrv_do_drained_begin(BlockDriverState *bs)
{
    bs->quiesce_counter++;
    bdrv_parents_drained_begin(bs);
    MAIN_LOOP_WAIT_WHILE(bdrv_drain_busy(bs));
}

static void bdrv_do_drained_end(BlockDriverState *bs)
{
    g_assert(bs->quiesce_counter > 0);
    bdrv_parents_drained_end(bs);
    bs->quiesce_counter--;
}

/*
 * Waiting means running the main loop, which must not happen inside a
 * coroutine: a coroutine hands the work to a bottom half and sleeps.
 */
typedef struct OutsideCo {
    void (*fn)(void *opaque);
    void *opaque;
    Coroutine *co;
    bool done;
} OutsideCo;

static void outside_co_bh(void *opaque)
{
    OutsideCo *o = opaque;

    o->fn(o->opaque);
    o->done = true;
    aio_co_wake(o->co);
}

void bdrv_run_outside_coroutine(void (*fn)(void *opaque), void *opaque)
{
    OutsideCo o = {.fn = fn, .opaque = opaque};

    if (!qemu_in_coroutine()) {
        fn(opaque);
        return;
    }
    o.co = qemu_coroutine_self();
    main_loop_schedule_oneshot(outside_co_bh, &o);
    while (!o.done) {
        qemu_coroutine_yield();
    }
}

static void drained_begin_cb(void *opaque)
{
    bdrv_do_drained_begin(opaque);
}

static void drained_end_cb(void *opaque)
{
    bdrv_do_drained_end(opaque);
}

void bdrv_drained_begin(BlockDriverState *bs)
{
    bdrv_run_outside_coroutine(drained_begin_cb, bs);
}

void bdrv_drained_end(BlockDriverState *bs)
{
    bdrv_run_outside_coroutine(drained_end_cb, bs);
}

bool bdrv_is_drained(BlockDriverState *bs)
{
    return bs->quiesce_counter > 0;
}

static bool bdrv_drain_all_busy(void)
{
    for (BlockDriverState *bs = bdrv_next_all(NULL); bs; bs = bdrv_next_all(bs)) {
        if (bs->in_flight || bdrv_parents_busy(bs)) {
            return true;
        }
    }
    return false;
}

/* The nodes each (nested) drain_all quiesced, newest last. */
static GPtrArray *drain_all_stack;

static void drain_all_begin_cb(void *opaque)
{
    GPtrArray *nodes;

    if (!drain_all_stack) {
        drain_all_stack = g_ptr_array_new();
    }
    nodes = g_ptr_array_new();
    /* Quiesce everything first, then wait once for all of it. */
    for (BlockDriverState *bs = bdrv_next_all(NULL); bs; bs = bdrv_next_all(bs)) {
        bdrv_ref(bs);
        g_ptr_array_add(nodes, bs);
        bs->quiesce_counter++;
        bdrv_parents_drained_begin(bs);
    }
    g_ptr_array_add(drain_all_stack, nodes);
    MAIN_LOOP_WAIT_WHILE(bdrv_drain_all_busy());
}

static void drain_all_end_cb(void *opaque)
{
    GPtrArray *nodes;

    g_assert(drain_all_stack && drain_all_stack->len > 0);
    nodes = g_ptr_array_steal_index(drain_all_stack, drain_all_stack->len - 1);
    for (guint i = 0; i < nodes->len; i++) {
        BlockDriverState *bs = g_ptr_array_index(nodes, i);

        bdrv_do_drained_end(bs);
        bdrv_unref(bs);
    }
    g_ptr_array_free(nodes, true);
}

void bdrv_drain_all_begin(void)
{
    bdrv_run_outside_coroutine(drain_all_begin_cb, NULL);
}

void bdrv_drain_all_end(void)
{
    bdrv_run_outside_coroutine(drain_all_end_cb, NULL);
}
