/*
 * blkdebug: a filter for tests.  It passes requests to its 'image' child
 * unchanged, except that
 *  - it can make requests fail with a chosen errno (inject-error rules armed
 *    by events that formats and the core report through BLKDBG_EVENT),
 *  - it can stop a request at an event until a test resumes it
 *    (breakpoints: qemu-io's break / wait_break / resume / remove_break),
 *  - it can impose alignment and size limits (align, max-transfer, ...) so
 *    the core's splitting and read-modify-write paths get exercised; it
 *    asserts that the core honours them.
 *
 * Filename syntax: blkdebug:[CONFIG]:IMAGE.
 */
#include "block/blkdebug.h"

#include <jansson.h>
#include <limits.h>

/* A request stopped at a breakpoint, until resumed by tag. */
typedef struct BlkdebugSuspended {
    Coroutine *co;
    char *tag;
    bool resumed;
} BlkdebugSuspended;

/* ---- breakpoints ------------------------------------------------------ */

static int blkdebug_debug_breakpoint(BlockDriverState *bs, const char *event, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;
    int ev = blkdebug_event_parse(event);
    BlkdebugRule *rule;

    if (ev < 0) {
        return -ENOENT;
    }
    rule = g_new0(BlkdebugRule, 1);
    rule->event = ev;
    rule->action = BLKDEBUG_ACTION_SUSPEND;
    rule->state = 0;
    rule->u.suspend.tag = g_strdup(tag);
    blkdebug_rule_add(s, rule);
    return 0;
}

/* Wakes the first request suspended under tag; false if none is. */
static bool blkdebug_resume_one(BDRVBlkdebugState *s, const char *tag)
{
    for (GList *l = s->suspended; l; l = l->next) {
        BlkdebugSuspended *r = l->data;

        if (!strcmp(r->tag, tag)) {
            s->suspended = g_list_delete_link(s->suspended, l);
            r->resumed = true;
            qemu_coroutine_enter(r->co);
            return true;
        }
    }
    return false;
}

static int blkdebug_debug_resume(BlockDriverState *bs, const char *tag)
{
    return blkdebug_resume_one(bs->opaque, tag) ? 0 : -ENOENT;
}

static int blkdebug_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;
    bool found = false;

    for (int i = 0; i < BLKDBG__MAX; i++) {
        GList *next;

        for (GList *l = s->rules[i]; l; l = next) {
            BlkdebugRule *rule = l->data;

            next = l->next;
            if (rule->action == BLKDEBUG_ACTION_SUSPEND && !strcmp(rule->u.suspend.tag, tag)) {
                blkdebug_rule_remove(s, rule);
                found = true;
            }
        }
    }
    while (blkdebug_resume_one(s, tag)) {
        found = true;
    }
    return found ? 0 : -ENOENT;
}

static bool blkdebug_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;

    for (GList *l = s->suspended; l; l = l->next) {
        BlkdebugSuspended *r = l->data;

        if (!strcmp(r->tag, tag)) {
            return true;
        }
    }
    return false;
}

/* ---- events ------------------------------------------------------------ */

static void blkdebug_debug_event(BlockDriverState *bs, BlkdebugEvent event)
{
    BDRVBlkdebugState *s = bs->opaque;
    g_autoptr(GPtrArray) stops = g_ptr_array_new_with_free_func(g_free);
    bool armed_here = false;
    int64_t new_state = s->state;
    GList *next;

    if ((int)event < 0 || event >= BLKDBG__MAX) {
        return;
    }
    for (GList *l = s->rules[event]; l; l = next) {
        BlkdebugRule *rule = l->data;

        next = l->next;
        if (rule->state && rule->state != s->state) {
            continue;
        }
        switch (rule->action) {
        case BLKDEBUG_ACTION_INJECT_ERROR:
            /* the rules of the latest arming event replace the armed set */
            if (!armed_here) {
                g_list_free(s->armed);
                s->armed = NULL;
                armed_here = true;
            }
            s->armed = g_list_prepend(s->armed, rule);
            break;
        case BLKDEBUG_ACTION_SET_STATE:
            new_state = rule->u.set_state.new_state;
            break;
        case BLKDEBUG_ACTION_SUSPEND:
            /* only a coroutine can wait; elsewhere the breakpoint stays armed */
            if (qemu_in_coroutine()) {
                BlkdebugSuspended *r = g_new0(BlkdebugSuspended, 1);

                r->co = qemu_coroutine_self();
                r->tag = g_strdup(rule->u.suspend.tag);
                g_ptr_array_add(stops, r);
                s->suspended = g_list_append(s->suspended, r);
                blkdebug_rule_remove(s, rule); /* a breakpoint stops one request */
            }
            break;
        }
    }
    s->state = new_state;

    for (guint i = 0; i < stops->len; i++) {
        BlkdebugSuspended *r = stops->pdata[i];

        while (!r->resumed) {
            qemu_coroutine_yield();
        }
        g_free(r->tag);
    }
}

/*
 * Fails the request if an armed rule covers it.  Not 'immediately': the
 * failure comes after a trip through the main loop, like a real I/O error.
 */
static int coroutine_fn blkdebug_check_rules(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                             BlkdebugIOType iotype)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlkdebugRule *hit = NULL;
    bool immediately;
    int error;

    for (GList *l = s->armed; l; l = l->next) {
        BlkdebugRule *rule = l->data;
        int64_t at = rule->u.inject.offset;

        if (!(rule->u.inject.iotype_mask & (1ULL << iotype))) {
            continue;
        }
        if (at == -1 || (bytes && at >= offset && at - offset < bytes)) {
            hit = rule;
            break;
        }
    }
    if (!hit || !hit->u.inject.error) {
        return 0;
    }
    error = hit->u.inject.error;
    immediately = hit->u.inject.immediately;
    if (hit->u.inject.once) {
        blkdebug_rule_remove(s, hit);
    }
    if (!immediately) {
        aio_co_wake(qemu_coroutine_self());
        qemu_coroutine_yield();
    }
    return -error;
}

/* ---- opening ---------------------------------------------------------- */

static const uint64_t blkdebug_perm_bits[BLOCK_PERMISSION__MAX] = {
    [BLOCK_PERMISSION_CONSISTENT_READ] = BLK_PERM_CONSISTENT_READ,
    [BLOCK_PERMISSION_WRITE] = BLK_PERM_WRITE,
    [BLOCK_PERMISSION_WRITE_UNCHANGED] = BLK_PERM_WRITE_UNCHANGED,
    [BLOCK_PERMISSION_RESIZE] = BLK_PERM_RESIZE,
};

static uint64_t blkdebug_perm_mask(bool present, BlockPermissionList *list)
{
    uint64_t mask = 0;

    for (; present && list; list = list->next) {
        mask |= blkdebug_perm_bits[list->value];
    }
    return mask;
}

/* A limit that must be below INT_MAX and a multiple of 'unit' (0: unset). */
static bool blkdebug_limit_ok(const char *name, bool present, int64_t value, uint64_t unit,
                              uint64_t *out, Error **errp)
{
    *out = present ? (uint64_t)value : 0;
    if (*out && (*out >= INT_MAX || !QEMU_IS_ALIGNED(*out, unit))) {
        error_setg(errp, "Cannot meet constraints with %s %" PRIu64, name, *out);
        return false;
    }
    return true;
}

static int blkdebug_read_limits(BlockDriverState *bs, BlockdevOptionsBlkdebug *o, Error **errp)
{
    BDRVBlkdebugState *s = bs->opaque;
    uint64_t align;

    s->align = o->has_align ? (uint64_t)o->align : 0;
    if (s->align && (s->align >= INT_MAX || (s->align & (s->align - 1)))) {
        error_setg(errp, "Cannot meet constraints with align %" PRIu64, s->align);
        return -EINVAL;
    }
    align = MAX(s->align, bs->file->bs->bl.request_alignment);
    align = MAX(align, 1);
    if (!blkdebug_limit_ok("max-transfer", o->has_max_transfer, o->max_transfer, align,
                           &s->max_transfer, errp) ||
        !blkdebug_limit_ok("opt-write-zero", o->has_opt_write_zero, o->opt_write_zero, align,
                           &s->opt_write_zero, errp) ||
        !blkdebug_limit_ok("max-write-zero", o->has_max_write_zero, o->max_write_zero,
                           MAX(s->opt_write_zero, align), &s->max_write_zero, errp) ||
        !blkdebug_limit_ok("opt-discard", o->has_opt_discard, o->opt_discard, align,
                           &s->opt_discard, errp) ||
        !blkdebug_limit_ok("max-discard", o->has_max_discard, o->max_discard,
                           MAX(s->opt_discard, align), &s->max_discard, errp)) {
        return -EINVAL;
    }
    return 0;
}

static void blkdebug_close(BlockDriverState *bs)
{
    BDRVBlkdebugState *s = bs->opaque;

    /* let stopped requests finish rather than leak their coroutines */
    while (s->suspended) {
        BlkdebugSuspended *r = s->suspended->data;

        blkdebug_resume_one(s, r->tag);
    }
    blkdebug_rules_free(s);
}

static int blkdebug_open(BlockDriverState *bs, BlockdevOptions *opts, int flags, Error **errp)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlockdevOptionsBlkdebug *o = &opts->u.blkdebug;
    int ret;

    s->state = 1;
    if (o->has_config && o->config) {
        ret = blkdebug_rules_from_config(s, o->config, errp);
        if (ret < 0) {
            goto fail;
        }
    }
    ret = blkdebug_rules_from_options(s, o, errp);
    if (ret < 0) {
        goto fail;
    }
    bs->file = bdrv_open_child(o->image, bs, "image", BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY,
                               false, flags, errp);
    if (!bs->file) {
        ret = -EINVAL;
        goto fail;
    }
    g_strlcpy(bs->filename, bs->file->bs->filename, sizeof(bs->filename));
    ret = blkdebug_read_limits(bs, o, errp);
    if (ret < 0) {
        goto fail;
    }
    s->take_child_perms = blkdebug_perm_mask(o->has_take_child_perms, o->take_child_perms);
    s->unshare_child_perms = blkdebug_perm_mask(o->has_unshare_child_perms, o->unshare_child_perms);
    return 0;

fail:
    blkdebug_rules_free(s);
    return ret;
}

/*
 * "blkdebug:CONFIG:IMAGE" (CONFIG may be empty).  The image is opened with
 * the 'file' protocol.
 */
static void blkdebug_parse_filename(const char *filename, json_t *options, Error **errp)
{
    const char *rest, *colon, *image;

    if (!g_str_has_prefix(filename, "blkdebug:")) {
        image = filename;
    } else {
        rest = filename + strlen("blkdebug:");
        colon = strchr(rest, ':');
        if (!colon) {
            error_setg(errp, "blkdebug requires both config file and image path");
            return;
        }
        if (colon != rest) {
            json_object_set_new(options, "config", json_stringn(rest, colon - rest));
        }
        image = colon + 1;
    }
    if (g_str_has_prefix(image, "file:")) {
        image += strlen("file:");
    }
    json_object_set_new(options, "image",
                        json_pack("{s:s, s:s}", "driver", "file", "filename", image));
}

/*
 * "blkdebug:CONFIG:IMAGE" as QEMU names it, when the config file and the
 * image say everything; rules or limits given as options need json:{...}.
 */
static bool blkdebug_refresh_filename(BlockDriverState *bs)
{
    BlockdevOptionsBlkdebug *o = bs->options ? &bs->options->u.blkdebug : NULL;
    const char *image = bs->file ? bs->file->bs->filename : "";

    if (!o || !image[0] || g_str_has_prefix(image, "json:") || o->has_align ||
        o->has_max_transfer || o->has_opt_write_zero || o->has_max_write_zero ||
        o->has_opt_discard || o->has_max_discard || o->has_inject_error || o->has_set_state ||
        o->has_take_child_perms || o->has_unshare_child_perms) {
        return false;
    }
    g_autofree char *name =
        g_strdup_printf("blkdebug:%s:%s", o->has_config ? o->config : "", image);

    g_strlcpy(bs->filename, name, sizeof(bs->filename));
    return true;
}

static int blkdebug_reopen_prepare(BlockDriverState *bs, bool read_only, Error **errp)
{
    return 0;
}

static void blkdebug_reopen_commit(BlockDriverState *bs)
{
}

static void blkdebug_reopen_abort(BlockDriverState *bs)
{
}

static void blkdebug_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVBlkdebugState *s = bs->opaque;

    if (s->align) {
        bs->bl.request_alignment = s->align;
    }
    if (s->max_transfer) {
        bs->bl.max_transfer = s->max_transfer;
    }
    if (s->opt_write_zero) {
        bs->bl.pwrite_zeroes_alignment = s->opt_write_zero;
    }
    if (s->max_write_zero) {
        bs->bl.max_pwrite_zeroes = s->max_write_zero;
    }
    if (s->opt_discard) {
        bs->bl.pdiscard_alignment = s->opt_discard;
    }
    if (s->max_discard) {
        bs->bl.max_pdiscard = s->max_discard;
    }
}

static void blkdebug_child_perm(BlockDriverState *bs, BdrvChild *c, unsigned role, uint64_t perm,
                                uint64_t shared, uint64_t *nperm, uint64_t *nshared)
{
    BDRVBlkdebugState *s = bs->opaque;

    bdrv_default_perms(bs, c, role, perm, shared, nperm, nshared);
    *nperm |= s->take_child_perms;
    *nshared &= ~s->unshare_child_perms;
}

/* ---- requests --------------------------------------------------------- */

/* The core must have applied our limits before calling us. */
static void blkdebug_assert_rw_limits(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    assert(QEMU_IS_ALIGNED(offset, bs->bl.request_alignment));
    assert(QEMU_IS_ALIGNED(bytes, bs->bl.request_alignment));
    if (bs->bl.max_transfer) {
        assert((uint64_t)bytes <= bs->bl.max_transfer);
    }
}

static int coroutine_fn blkdebug_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    int ret;

    blkdebug_assert_rw_limits(bs, offset, bytes);
    ret = blkdebug_check_rules(bs, offset, bytes, BLKDEBUG_IO_TYPE_READ);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_preadv(bs->file, offset, bytes, qiov, flags);
}

static int coroutine_fn blkdebug_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    int ret;

    blkdebug_assert_rw_limits(bs, offset, bytes);
    ret = blkdebug_check_rules(bs, offset, bytes, BLKDEBUG_IO_TYPE_WRITE);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwritev(bs->file, offset, bytes, qiov, flags);
}

/*
 * Zeroing and discard: pieces smaller than the preferred alignment are
 * refused with -ENOTSUP so the core's fallback for unaligned heads and tails
 * runs; such a piece must not cross an alignment boundary.
 */
static bool blkdebug_small_piece(int64_t offset, int64_t bytes, uint64_t align)
{
    if ((uint64_t)bytes >= align) {
        assert(QEMU_IS_ALIGNED(offset, align));
        assert(QEMU_IS_ALIGNED(bytes, align));
        return false;
    }
    assert(QEMU_IS_ALIGNED(offset, align) || QEMU_IS_ALIGNED(offset + bytes, align) ||
           DIV_ROUND_UP(offset, align) == DIV_ROUND_UP(offset + bytes, align));
    return true;
}

static int coroutine_fn blkdebug_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                                  int64_t bytes, BdrvRequestFlags flags)
{
    uint64_t align = MAX(bs->bl.request_alignment, bs->bl.pwrite_zeroes_alignment);
    int ret;

    if (blkdebug_small_piece(offset, bytes, align)) {
        return -ENOTSUP;
    }
    if (bs->bl.max_pwrite_zeroes) {
        assert((uint64_t)bytes <= bs->bl.max_pwrite_zeroes);
    }
    ret = blkdebug_check_rules(bs, offset, bytes, BLKDEBUG_IO_TYPE_WRITE_ZEROES);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn blkdebug_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    uint64_t align = MAX(bs->bl.request_alignment, bs->bl.pdiscard_alignment);
    int ret;

    if (blkdebug_small_piece(offset, bytes, align)) {
        return -ENOTSUP;
    }
    if (bs->bl.max_pdiscard) {
        assert((uint64_t)bytes <= bs->bl.max_pdiscard);
    }
    ret = blkdebug_check_rules(bs, offset, bytes, BLKDEBUG_IO_TYPE_DISCARD);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

static int coroutine_fn blkdebug_co_flush_to_disk(BlockDriverState *bs)
{
    int ret = blkdebug_check_rules(bs, 0, 0, BLKDEBUG_IO_TYPE_FLUSH);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_flush(bs->file->bs);
}

static int coroutine_fn blkdebug_co_block_status(BlockDriverState *bs, bool want_zero,
                                                 int64_t offset, int64_t bytes, int64_t *pnum,
                                                 int64_t *map, BlockDriverState **file)
{
    int ret;

    assert(QEMU_IS_ALIGNED(offset | bytes, bs->bl.request_alignment));
    ret = blkdebug_check_rules(bs, offset, bytes, BLKDEBUG_IO_TYPE_BLOCK_STATUS);
    if (ret < 0) {
        return ret;
    }
    *pnum = bytes;
    *map = offset;
    *file = bs->file->bs;
    return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
}

static int coroutine_fn blkdebug_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                             PreallocMode prealloc, BdrvRequestFlags flags,
                                             Error **errp)
{
    return bdrv_co_truncate(bs->file, offset, exact, prealloc, flags, errp);
}

static int64_t blkdebug_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file->bs);
}

static const BlockDriver bdrv_blkdebug = {
    .format_name = "blkdebug",
    .protocol_name = "blkdebug",
    .instance_size = sizeof(BDRVBlkdebugState),
    .is_filter = true,
    .supported_write_flags = BDRV_REQ_WRITE_UNCHANGED | BDRV_REQ_FUA,
    .supported_zero_flags =
        BDRV_REQ_WRITE_UNCHANGED | BDRV_REQ_FUA | BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK,

    .bdrv_parse_filename = blkdebug_parse_filename,
    .bdrv_refresh_filename = blkdebug_refresh_filename,
    .bdrv_open = blkdebug_open,
    .bdrv_close = blkdebug_close,
    .bdrv_reopen_prepare = blkdebug_reopen_prepare,
    .bdrv_reopen_commit = blkdebug_reopen_commit,
    .bdrv_reopen_abort = blkdebug_reopen_abort,

    .bdrv_co_preadv = blkdebug_co_preadv,
    .bdrv_co_pwritev = blkdebug_co_pwritev,
    .bdrv_co_pwrite_zeroes = blkdebug_co_pwrite_zeroes,
    .bdrv_co_pdiscard = blkdebug_co_pdiscard,
    .bdrv_co_flush_to_disk = blkdebug_co_flush_to_disk,
    .bdrv_co_block_status = blkdebug_co_block_status,
    .bdrv_co_truncate = blkdebug_co_truncate,

    .bdrv_getlength = blkdebug_getlength,
    .bdrv_refresh_limits = blkdebug_refresh_limits,
    .bdrv_child_perm = blkdebug_child_perm,

    .bdrv_debug_event = blkdebug_debug_event,
    .bdrv_debug_breakpoint = blkdebug_debug_breakpoint,
    .bdrv_debug_remove_breakpoint = blkdebug_debug_remove_breakpoint,
    .bdrv_debug_resume = blkdebug_debug_resume,
    .bdrv_debug_is_suspended = blkdebug_debug_is_suspended,
};

block_init(bdrv_blkdebug);

/* ---- the public hooks (block/block.h) ------------------------------- */

/* The child a debug request travels down to: the primary (or filtered) one. */
static BlockDriverState *debug_next(BlockDriverState *bs)
{
    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->role & (BDRV_CHILD_PRIMARY | BDRV_CHILD_FILTERED)) {
            return c->bs;
        }
    }
    return bs->file ? bs->file->bs : NULL;
}

typedef bool DebugHookPresent(const BlockDriver *drv);

static bool has_breakpoint(const BlockDriver *drv)
{
    return drv->bdrv_debug_breakpoint;
}

static bool has_remove_breakpoint(const BlockDriver *drv)
{
    return drv->bdrv_debug_remove_breakpoint;
}

static bool has_resume(const BlockDriver *drv)
{
    return drv->bdrv_debug_resume;
}

static bool has_is_suspended(const BlockDriver *drv)
{
    return drv->bdrv_debug_is_suspended;
}

/* The first node from bs down whose driver has the hook. */
static BlockDriverState *debug_find(BlockDriverState *bs, DebugHookPresent *has_hook)
{
    while (bs && bs->drv) {
        if (has_hook(bs->drv)) {
            return bs;
        }
        bs = debug_next(bs);
    }
    return NULL;
}

void bdrv_debug_event(BlockDriverState *bs, BlkdebugEvent event)
{
    if (bs && bs->drv && bs->drv->bdrv_debug_event) {
        bs->drv->bdrv_debug_event(bs, event);
    }
}

int bdrv_debug_breakpoint(BlockDriverState *bs, const char *event, const char *tag)
{
    bs = debug_find(bs, has_breakpoint);
    return bs ? bs->drv->bdrv_debug_breakpoint(bs, event, tag) : -ENOTSUP;
}

int bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    bs = debug_find(bs, has_remove_breakpoint);
    return bs ? bs->drv->bdrv_debug_remove_breakpoint(bs, tag) : -ENOTSUP;
}

int bdrv_debug_resume(BlockDriverState *bs, const char *tag)
{
    bs = debug_find(bs, has_resume);
    return bs ? bs->drv->bdrv_debug_resume(bs, tag) : -ENOTSUP;
}

bool bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    bs = debug_find(bs, has_is_suspended);
    return bs ? bs->drv->bdrv_debug_is_suspended(bs, tag) : false;
}
