/*
 * blkdebug: error injection (errno, sector, once, immediately, iotype,
 * states), the config file and its error texts, alignment and limit
 * options (unaligned I/O through the core lands correctly), permissions
 * on the child, breakpoints that suspend and resume requests, and the
 * blkdebug:CONFIG:IMAGE filename syntax.
 */
#include "bfile-test-util.h"
#include "block/blkdebug.h"

#define MB (1 << 20)

static char *dir;
static char *img;

static void setup(void)
{
    uint8_t *buf = g_malloc(MB);

    main_loop_init();
    dir = bt_tmpdir();
    img = g_build_filename(dir, "dbg.img", NULL);
    bt_fill(buf, MB, 21, 0);
    bt_host_pwrite(img, 0, buf, MB);
    g_free(buf);
}

static void teardown(void)
{
    g_free(img);
    bt_rmtree(dir);
}

/* Holds the stack with write permissions, for requests sent to the drivers directly. */
static BlockBackend *holder;

/* raw -> blkdebug (with 'opts' inside) -> file */
static BlockDriverState *open_stack_unheld(const char *opts)
{
    return bt_open_ok(BDRV_O_RDWR,
                      "{\"driver\": \"raw\", \"file\": {\"driver\": \"blkdebug\", %s \"image\":"
                      " {\"driver\": \"file\", \"filename\": \"%s\"}}}",
                      opts, img);
}

static BlockDriverState *open_stack(const char *opts)
{
    BlockDriverState *bs = open_stack_unheld(opts);

    ck_assert_ptr_null(holder);
    holder = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    return bs;
}

static void close_stack(BlockDriverState *bs)
{
    if (holder) {
        blk_unref(holder);
        holder = NULL;
    }
    bdrv_unref(bs);
}

static BlockDriverState *dbg_node(BlockDriverState *raw)
{
    BlockDriverState *bs = raw->file->bs;

    ck_assert_str_eq(bs->drv->format_name, "blkdebug");
    return bs;
}

static int blk_read(BlockBackend *blk, int64_t off, int64_t len)
{
    uint8_t *buf = g_malloc(len);
    int ret = blk_pread(blk, off, len, buf, 0);

    if (ret == 0) {
        ck_assert(bt_check(buf, len, 21, off));
    }
    g_free(buf);
    return ret;
}

static int blk_write(BlockBackend *blk, int64_t off, int64_t len)
{
    uint8_t *buf = g_malloc(len);
    int ret;

    bt_fill(buf, len, 21, off); /* same contents: the image stays checkable */
    ret = blk_pwrite(blk, off, len, buf, 0);
    g_free(buf);
    return ret;
}

/* ---- error injection ------------------------------------------------------- */

START_TEST(test_inject_read)
{
    BlockDriverState *bs = open_stack("\"inject-error\": [{\"event\": \"read_aio\"}],");
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);

    /* nothing is armed until a read reports read_aio */
    ck_assert_int_eq(blk_write(blk, 0, 4096), 0);
    ck_assert_int_eq(blk_read(blk, 0, 4096), -EIO);
    ck_assert_int_eq(blk_read(blk, 8192, 512), -EIO);
    /* the default iotypes include writes: the armed rule fails them too */
    ck_assert_int_eq(blk_write(blk, 0, 4096), -EIO);
    blk_unref(blk);
    close_stack(bs);
}
END_TEST

START_TEST(test_inject_errno_once_sector)
{
    BlockDriverState *bs =
        open_stack("\"inject-error\": [{\"event\": \"read_aio\", \"errno\": 28, \"sector\": 8,"
                   " \"once\": true, \"iotype\": \"read\"}],");
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);

    ck_assert_int_eq(blk_read(blk, 0, 4096), 0);          /* sectors 0-7 */
    ck_assert_int_eq(blk_read(blk, 4608, 512), 0);        /* sector 9 */
    ck_assert_int_eq(blk_write(blk, 4096, 512), 0);       /* a write: not its iotype */
    ck_assert_int_eq(blk_read(blk, 2048, 4096), -ENOSPC); /* covers sector 8 */
    ck_assert_int_eq(blk_read(blk, 2048, 4096), 0);       /* once */
    blk_unref(blk);
    close_stack(bs);
}
END_TEST

typedef struct ImmCall {
    BlockDriverState *bs;
    bool done;
    int ret;
} ImmCall;

static void coroutine_fn co_dbg_read(void *o)
{
    ImmCall *c = o;
    uint8_t buf[512];
    QEMUIOVector qiov;

    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    c->ret = c->bs->drv->bdrv_co_preadv(c->bs, 0, sizeof(buf), &qiov, 0);
    c->done = true;
}

/* 'immediately' fails before the request ever yields; otherwise after a trip through the loop. */
START_TEST(test_inject_immediately)
{
    for (int imm = 0; imm < 2; imm++) {
        g_autofree char *opts =
            g_strdup_printf("\"inject-error\": [{\"event\": \"l2_load\", \"immediately\": %s}],",
                            imm ? "true" : "false");
        BlockDriverState *raw = open_stack(opts);
        BlockDriverState *bs = dbg_node(raw);
        ImmCall c = {.bs = bs};

        bdrv_debug_event(bs, BLKDBG_L2_LOAD);
        qemu_coroutine_enter(qemu_coroutine_create(co_dbg_read, &c));
        ck_assert_int_eq(c.done, imm);
        MAIN_LOOP_WAIT_WHILE(!c.done);
        ck_assert_int_eq(c.ret, -EIO);
        close_stack(raw);
    }
}
END_TEST

typedef struct OpCall {
    BlockDriverState *bs;
    int op;
    int ret;
} OpCall;

static void coroutine_fn co_dbg_op(void *o)
{
    OpCall *c = o;
    int64_t pnum, map;
    BlockDriverState *file;

    switch (c->op) {
    case BLKDEBUG_IO_TYPE_WRITE_ZEROES:
        c->ret = c->bs->drv->bdrv_co_pwrite_zeroes(c->bs, 0, 4096, 0);
        break;
    case BLKDEBUG_IO_TYPE_DISCARD:
        c->ret = c->bs->drv->bdrv_co_pdiscard(c->bs, 0, 4096);
        break;
    case BLKDEBUG_IO_TYPE_FLUSH:
        c->ret = c->bs->drv->bdrv_co_flush_to_disk(c->bs);
        break;
    case BLKDEBUG_IO_TYPE_BLOCK_STATUS:
        c->ret = c->bs->drv->bdrv_co_block_status(c->bs, true, 0, 4096, &pnum, &map, &file);
        break;
    }
}

static int dbg_op(BlockDriverState *bs, int op)
{
    OpCall c = {.bs = bs, .op = op};

    bt_co_run(co_dbg_op, &c);
    return c.ret;
}

/* Each iotype fails only its own kind of request; block-status only when asked for. */
START_TEST(test_inject_iotypes)
{
    static const int ops[] = {BLKDEBUG_IO_TYPE_WRITE_ZEROES, BLKDEBUG_IO_TYPE_DISCARD,
                              BLKDEBUG_IO_TYPE_FLUSH, BLKDEBUG_IO_TYPE_BLOCK_STATUS};

    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        g_autofree char *opts = g_strdup_printf(
            "\"inject-error\": [{\"event\": \"flush_to_os\", \"errno\": 22, \"iotype\": \"%s\"}],",
            BlkdebugIOType_str(ops[i]));
        BlockDriverState *raw = open_stack(opts);
        BlockDriverState *bs = dbg_node(raw);

        bdrv_debug_event(bs, BLKDBG_FLUSH_TO_OS);
        for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
            int ret = dbg_op(bs, ops[k]);

            if (k == i) {
                ck_assert_int_eq(ret, -EINVAL);
            } else {
                ck_assert_int_ge(ret, 0);
            }
        }
        close_stack(raw);
    }

    /* no iotype: everything but block-status */
    BlockDriverState *raw = open_stack("\"inject-error\": [{\"event\": \"flush_to_os\"}],");
    bdrv_debug_event(dbg_node(raw), BLKDBG_FLUSH_TO_OS);
    ck_assert_int_eq(dbg_op(dbg_node(raw), BLKDEBUG_IO_TYPE_FLUSH), -EIO);
    ck_assert_int_eq(dbg_op(dbg_node(raw), BLKDEBUG_IO_TYPE_DISCARD), -EIO);
    ck_assert_int_ge(dbg_op(dbg_node(raw), BLKDEBUG_IO_TYPE_BLOCK_STATUS), 0);
    close_stack(raw);
}
END_TEST

/* set-state rules and rules bound to a state. */
START_TEST(test_states)
{
    BlockDriverState *bs = open_stack(
        "\"inject-error\": [{\"event\": \"read_aio\", \"state\": 2, \"iotype\": \"read\"}],"
        " \"set-state\": [{\"event\": \"write_aio\", \"state\": 1, \"new_state\": 2},"
        "                 {\"event\": \"flush_to_disk\", \"new_state\": 3}],");
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    BDRVBlkdebugState *s = dbg_node(bs)->opaque;

    ck_assert_int_eq(s->state, 1);
    ck_assert_int_eq(blk_read(blk, 0, 512), 0);
    ck_assert_int_eq(blk_write(blk, 0, 512), 0);
    ck_assert_int_eq(s->state, 2);
    ck_assert_int_eq(blk_read(blk, 0, 512), -EIO);
    bdrv_debug_event(dbg_node(bs), BLKDBG_FLUSH_TO_DISK);
    ck_assert_int_eq(s->state, 3);
    /* in state 3 read_aio arms nothing new: the armed rule stays armed */
    ck_assert_int_eq(blk_read(blk, 0, 512), -EIO);
    blk_unref(blk);
    close_stack(bs);
}
END_TEST

/* ---- config file ----------------------------------------------------------- */

static char *write_conf(const char *text)
{
    char *path = g_build_filename(dir, "blkdebug.conf", NULL);

    ck_assert(g_file_set_contents(path, text, -1, NULL));
    return path;
}

START_TEST(test_config_file)
{
    g_autofree char *conf = write_conf("# injected errors\n"
                                       "[inject-error]\n"
                                       "event = \"read_aio\"\n"
                                       "errno = \"28\"\n"
                                       "  state = \"2\"\n"
                                       "iotype = \"read\"\n"
                                       "once = \"on\"\n"
                                       "\n"
                                       "[set-state \"s1\"]\n"
                                       "event = \"write_aio\"\n"
                                       "new_state = \"2\"\n");
    g_autofree char *opts = g_strdup_printf("\"config\": \"%s\",", conf);
    BlockDriverState *bs = open_stack(opts);
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);

    ck_assert_int_eq(blk_read(blk, 0, 512), 0);
    ck_assert_int_eq(blk_write(blk, 0, 512), 0);
    ck_assert_int_eq(blk_read(blk, 0, 512), -ENOSPC);
    ck_assert_int_eq(blk_read(blk, 0, 512), 0);
    blk_unref(blk);
    close_stack(bs);
}
END_TEST

/* The texts are QEMU 7.2's for the same files (checked with qemu-io). */
static const struct {
    const char *text;
    const char *error;
} bad_configs[] = {
    {"[bogus]\n", "There is no option group 'bogus'"},
    {"event = \"read_aio\"\n", "no group defined"},
    {"[inject-error]\nfoo = \"1\"\n", "Invalid parameter 'foo'"},
    {"[inject-error]\nevent = \"nope\"\n", "invalid parameter value: nope"},
    {"[inject-error]\nevent = read_aio\n", "invalid parameter value: "},
    {"[inject-error]\nerrno = \"5\"\n", "Missing event name for rule"},
    {"[set-state]\nnew_state = \"5\"\n", "Missing event name for rule"},
    {"[inject-error]\nevent = \"read_aio\"\nonce = \"maybe\"\n",
     "Parameter 'once' expects 'on' or 'off'"},
    {"[inject-error]\nevent = \"read_aio\"\nerrno = \"x5\"\n",
     "Parameter 'errno' expects a number"},
    {"[inject-error]\nevent = \"read_aio\"\niotype = \"bad\"\n", "invalid parameter value: bad"},
    {"[inject-error]\n   \nevent = \"read_aio\"\n", "parse error"},
    {"[inject-error]\nevent = \"read_aio\"\n   # indented\n", "Invalid parameter '#'"},
};

START_TEST(test_config_errors)
{
    g_autofree char *conf = write_conf(bad_configs[_i].text);
    g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);

    bt_open_fails(bad_configs[_i].error, BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"config\": \"%s\", \"image\":"
                  " {\"driver\": \"file\", \"filename\": \"%s\"}}",
                  conf, img);
    bt_open_fails("Could not read blkdebug config file: No such file or directory", BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"config\": \"%s\", \"image\":"
                  " {\"driver\": \"file\", \"filename\": \"%s\"}}",
                  missing, img);
}
END_TEST

/* ---- limits ------------------------------------------------------------------- */

START_TEST(test_align_rmw)
{
    BlockDriverState *bs = open_stack("\"align\": 4096, \"max-transfer\": 8192,");
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    uint8_t *buf = g_malloc(MB), *host = g_malloc(MB);

    ck_assert_uint_eq(dbg_node(bs)->bl.request_alignment, 4096);
    ck_assert_uint_eq(dbg_node(bs)->bl.max_transfer, 8192);
    /* unaligned, larger than max-transfer: the core aligns and splits (blkdebug asserts) */
    bt_fill(buf, 30000, 33, 0);
    ck_assert_int_eq(blk_pwrite(blk, 1000, 30000, buf, 0), 0);
    memset(buf, 0, 30000);
    ck_assert_int_eq(blk_pread(blk, 1000, 30000, buf, 0), 0);
    ck_assert(bt_check(buf, 30000, 33, 0));
    bt_host_pread(img, 0, host, MB);
    ck_assert(bt_check(host, 1000, 21, 0));
    ck_assert(bt_check(host + 1000, 30000, 33, 0));
    ck_assert(bt_check(host + 31000, MB - 31000, 21, 31000));
    ck_assert_int_eq(blk_read(blk, 40000, 100000), 0);
    blk_unref(blk);
    close_stack(bs);
    g_free(buf);
    g_free(host);
}
END_TEST

START_TEST(test_limit_errors)
{
    g_autofree char *tail = g_strdup_printf("\"image\": {\"driver\": \"file\", \"filename\": "
                                            "\"%s\"}}",
                                            img);

    bt_open_fails("Cannot meet constraints with align 3", BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"align\": 3, %s", tail);
    bt_open_fails("Cannot meet constraints with max-transfer 1000", BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"align\": 512, \"max-transfer\": 1000, %s", tail);
    bt_open_fails("Cannot meet constraints with opt-write-zero 100", BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"align\": 512, \"opt-write-zero\": 100, %s", tail);
    bt_open_fails("Cannot meet constraints with max-write-zero 4096", BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"opt-write-zero\": 8192,"
                  " \"max-write-zero\": 4096, %s",
                  tail);
    bt_open_fails("Cannot meet constraints with opt-discard 7", BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"opt-discard\": 7, \"align\": 4, %s", tail);
    bt_open_fails("Cannot meet constraints with max-discard 6144", BDRV_O_RDWR,
                  "{\"driver\": \"blkdebug\", \"opt-discard\": 4096, \"max-discard\": 6144, %s",
                  tail);
}
END_TEST

START_TEST(test_zero_discard_limits)
{
    BlockDriverState *bs = open_stack("\"opt-write-zero\": 8192, \"max-write-zero\": 16384,"
                                      " \"opt-discard\": 8192, \"max-discard\": 16384,");
    BlockDriverState *dbg = dbg_node(bs);

    ck_assert_uint_eq(dbg->bl.pwrite_zeroes_alignment, 8192);
    ck_assert_uint_eq(dbg->bl.max_pwrite_zeroes, 16384);
    ck_assert_uint_eq(dbg->bl.pdiscard_alignment, 8192);
    ck_assert_uint_eq(dbg->bl.max_pdiscard, 16384);
    /* pieces below the preferred alignment are left to the core's fallback */
    ck_assert_int_eq(drv_simple(dbg, co_zeroes, 8192, 4096, 0), -ENOTSUP);
    ck_assert_int_eq(drv_simple(dbg, co_discard, 4096, 4096, 0), -ENOTSUP);
    ck_assert_int_eq(drv_simple(dbg, co_zeroes, 8192, 16384, 0), 0);
    ck_assert_int_eq(drv_simple(dbg, co_discard, 32768, 8192, 0), 0);
    close_stack(bs);
}
END_TEST

/* take-child-perms / unshare-child-perms reach the file (and its locks). */
START_TEST(test_child_perms)
{
    BlockDriverState *bs = open_stack_unheld("\"take-child-perms\": [\"resize\"],"
                                             " \"unshare-child-perms\": [\"write\"],");
    BlockBackend *blk = bt_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    BdrvChild *image = dbg_node(bs)->file;

    ck_assert(image->perm & BLK_PERM_RESIZE);
    ck_assert(!(image->shared_perm & BLK_PERM_WRITE));
    ck_assert(image->shared_perm & BLK_PERM_CONSISTENT_READ);
    blk_unref(blk);
    close_stack(bs);
}
END_TEST

/* ---- breakpoints ---------------------------------------------------------------- */

typedef struct BlkRead {
    BlockBackend *blk;
    int64_t off;
    bool done;
    int ret;
} BlkRead;

static void coroutine_fn co_blk_read(void *o)
{
    BlkRead *r = o;
    uint8_t *buf = g_malloc(4096);
    QEMUIOVector qiov;

    qemu_iovec_init_buf(&qiov, buf, 4096);
    r->ret = blk_co_preadv(r->blk, r->off, 4096, &qiov, 0);
    if (r->ret == 0 && !bt_check(buf, 4096, 21, r->off)) {
        r->ret = -EILSEQ;
    }
    g_free(buf);
    r->done = true;
}

static void wait_suspended(BlockDriverState *bs, const char *tag)
{
    int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!bdrv_debug_is_suspended(bs, tag)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "request never reached '%s'", tag);
        main_loop_iterate(false);
    }
}

START_TEST(test_breakpoints)
{
    BlockDriverState *bs = open_stack("");
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    BlkRead a = {.blk = blk, .off = 4096}, b = {.blk = blk, .off = 8192};

    ck_assert_int_eq(bdrv_debug_breakpoint(bs, "read_aio", "A"), 0);
    ck_assert(!bdrv_debug_is_suspended(bs, "A"));
    qemu_coroutine_enter(qemu_coroutine_create(co_blk_read, &a));
    wait_suspended(bs, "A");
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(false);
    }
    ck_assert(!a.done);

    /* a breakpoint stops one request: the next one passes */
    qemu_coroutine_enter(qemu_coroutine_create(co_blk_read, &b));
    MAIN_LOOP_WAIT_WHILE(!b.done);
    ck_assert_int_eq(b.ret, 0);
    ck_assert(!a.done);

    ck_assert_int_eq(bdrv_debug_resume(bs, "A"), 0);
    MAIN_LOOP_WAIT_WHILE(!a.done);
    ck_assert_int_eq(a.ret, 0);
    ck_assert(!bdrv_debug_is_suspended(bs, "A"));
    ck_assert_int_eq(bdrv_debug_resume(bs, "A"), -ENOENT);

    /* remove_break drops the breakpoint and releases what it holds */
    a = (BlkRead){.blk = blk, .off = 0};
    ck_assert_int_eq(bdrv_debug_breakpoint(bs, "read_aio", "B"), 0);
    ck_assert_int_eq(bdrv_debug_breakpoint(bs, "write_aio", "B"), 0);
    qemu_coroutine_enter(qemu_coroutine_create(co_blk_read, &a));
    wait_suspended(bs, "B");
    ck_assert_int_eq(bdrv_debug_remove_breakpoint(bs, "B"), 0);
    MAIN_LOOP_WAIT_WHILE(!a.done);
    ck_assert_int_eq(a.ret, 0);
    ck_assert_int_eq(blk_write(blk, 0, 512), 0); /* the write_aio one is gone too */
    ck_assert_int_eq(bdrv_debug_remove_breakpoint(bs, "B"), -ENOENT);

    /* unknown events and tags */
    ck_assert_int_eq(bdrv_debug_breakpoint(bs, "no_such_event", "C"), -ENOENT);
    ck_assert_int_eq(bdrv_debug_resume(bs, "C"), -ENOENT);
    blk_unref(blk);
    close_stack(bs);

    /* without blkdebug in the chain */
    bs = bt_open_ok(BDRV_O_RDWR, "{\"driver\": \"file\", \"filename\": \"%s\"}", img);
    ck_assert_int_eq(bdrv_debug_breakpoint(bs, "read_aio", "A"), -ENOTSUP);
    ck_assert_int_eq(bdrv_debug_remove_breakpoint(bs, "A"), -ENOTSUP);
    ck_assert_int_eq(bdrv_debug_resume(bs, "A"), -ENOTSUP);
    ck_assert(!bdrv_debug_is_suspended(bs, "A"));
    bdrv_debug_event(bs, BLKDBG_READ_AIO); /* no-op */
    bdrv_debug_event(NULL, BLKDBG_READ_AIO);
    bdrv_unref(bs);
}
END_TEST

/* Two breakpoints on one event: the request waits for both. */
START_TEST(test_breakpoints_two_tags)
{
    BlockDriverState *bs = open_stack("");
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    BlkRead a = {.blk = blk, .off = 0};

    ck_assert_int_eq(bdrv_debug_breakpoint(bs, "read_aio", "X"), 0);
    ck_assert_int_eq(bdrv_debug_breakpoint(bs, "read_aio", "Y"), 0);
    qemu_coroutine_enter(qemu_coroutine_create(co_blk_read, &a));
    wait_suspended(bs, "X");
    ck_assert(bdrv_debug_is_suspended(bs, "Y"));
    ck_assert_int_eq(bdrv_debug_resume(bs, "Y"), 0);
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(false);
    }
    ck_assert(!a.done);
    ck_assert_int_eq(bdrv_debug_resume(bs, "X"), 0);
    MAIN_LOOP_WAIT_WHILE(!a.done);
    ck_assert_int_eq(a.ret, 0);
    blk_unref(blk);
    close_stack(bs);
}
END_TEST

/* ---- filename syntax -------------------------------------------------------------- */

START_TEST(test_parse_filename)
{
    const BlockDriver *drv = bdrv_find_format("blkdebug");
    json_t *o = json_object(), *want;
    Error *err = NULL;

    ck_assert_ptr_nonnull(drv);
    ck_assert_str_eq(drv->protocol_name, "blkdebug");
    ck_assert(drv->is_filter);
    drv->bdrv_parse_filename("blkdebug:/etc/x.conf:/var/img.raw", o, &error_abort);
    want = json_pack("{s:s, s:{s:s, s:s}}", "config", "/etc/x.conf", "image", "driver", "file",
                     "filename", "/var/img.raw");
    ck_assert(json_equal(o, want));
    json_decref(want);
    json_decref(o);

    o = json_object();
    drv->bdrv_parse_filename("blkdebug::file:/a:b.img", o, &error_abort);
    want = json_pack("{s:{s:s, s:s}}", "image", "driver", "file", "filename", "/a:b.img");
    ck_assert(json_equal(o, want));
    json_decref(want);
    json_decref(o);

    o = json_object();
    drv->bdrv_parse_filename("blkdebug:img.raw", o, &err);
    ck_assert_str_eq(error_get_pretty(err), "blkdebug requires both config file and image path");
    error_free(err);
    json_decref(o);
}
END_TEST

/* The core opens "blkdebug:CONFIG:IMAGE" names through the filename hook. */
START_TEST(test_open_by_filename)
{
    g_autofree char *conf = write_conf("[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\n");
    g_autofree char *name = g_strdup_printf("blkdebug:%s:%s", conf, img);
    BlockDriverState *bs;
    BlockBackend *blk;
    Error *err = NULL;

    bs = bdrv_open_image(name, "raw", NULL, BDRV_O_RDWR, &err);
    ck_assert_msg(bs, "%s", err ? error_get_pretty(err) : "?");
    ck_assert_str_eq(bs->drv->format_name, "raw");
    ck_assert_str_eq(bs->file->bs->drv->format_name, "blkdebug");
    ck_assert_str_eq(bs->file->bs->file->bs->drv->format_name, "file");
    blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    ck_assert_int_eq(blk_write(blk, 0, 4096), 0);
    ck_assert_int_eq(blk_read(blk, 0, 4096), -EIO);
    blk_unref(blk);
    bdrv_unref(bs);

    g_free(name);
    name = g_strdup_printf("blkdebug:%s", img);
    ck_assert_ptr_null(bdrv_open_image(name, "raw", NULL, BDRV_O_RDWR, &err));
    ck_assert_str_eq(error_get_pretty(err), "blkdebug requires both config file and image path");
    error_free(err);
}
END_TEST

static Suite *blkdebug_suite(void)
{
    Suite *s = suite_create("blkdebug");
    TCase *tc = tcase_create("inject");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_inject_read);
    tcase_add_test(tc, test_inject_errno_once_sector);
    tcase_add_test(tc, test_inject_immediately);
    tcase_add_test(tc, test_inject_iotypes);
    tcase_add_test(tc, test_states);
    tcase_add_test(tc, test_config_file);
    tcase_add_loop_test(tc, test_config_errors, 0, ARRAY_SIZE(bad_configs));
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_align_rmw);
    tcase_add_test(tc, test_limit_errors);
    tcase_add_test(tc, test_zero_discard_limits);
    tcase_add_test(tc, test_child_perms);
    suite_add_tcase(s, tc);

    tc = tcase_create("breakpoints");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_breakpoints);
    tcase_add_test(tc, test_breakpoints_two_tags);
    tcase_add_test(tc, test_parse_filename);
    tcase_add_test(tc, test_open_by_filename);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(blkdebug_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
