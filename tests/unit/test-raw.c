/*
 * The 'raw' format: a window [offset, offset + size) of its file, bounds
 * checks, block status pointing into the file, resizing rules, the
 * guard on block 0 of probed images, and QEMU's error texts.
 */
#include "bfile-test-util.h"

#define MB (1 << 20)

static char *dir;
static char *img;

static void setup(void)
{
    uint8_t *buf = g_malloc(MB);

    main_loop_init();
    dir = bt_tmpdir();
    img = g_build_filename(dir, "raw.img", NULL);
    bt_fill(buf, MB, 3, 0);
    bt_host_pwrite(img, 0, buf, MB);
    g_free(buf);
}

static void teardown(void)
{
    g_free(img);
    bt_rmtree(dir);
}

/*
 * A backend that holds the node: without a parent taking permissions, the
 * core refuses the raw node's own writes to its file.
 */
static BlockBackend *holder;

static BlockDriverState *open_raw(const char *extra)
{
    BlockDriverState *bs = bt_open_ok(
        BDRV_O_RDWR,
        "{\"driver\": \"raw\", %s \"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}", extra,
        img);

    ck_assert_ptr_null(holder);
    holder = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    return bs;
}

static void close_raw(BlockDriverState *bs)
{
    blk_unref(holder);
    holder = NULL;
    bdrv_unref(bs);
}

START_TEST(test_window_io)
{
    BlockDriverState *bs = open_raw("\"offset\": 4096, \"size\": 65536,");
    uint8_t *buf = g_malloc(MB), *host = g_malloc(MB);
    int64_t pnum, map;
    BlockDriverState *file;

    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), 65536);
    ck_assert_int_eq(drv_rw(bs, false, 0, buf, 65536), 0);
    ck_assert(bt_check(buf, 65536, 3, 4096));

    /* writes land at offset + 4096 in the file, nothing else changes */
    bt_fill(buf, 1024, 4, 0);
    ck_assert_int_eq(drv_rw(bs, true, 512, buf, 1024), 0);
    bt_host_pread(img, 0, host, MB);
    ck_assert(bt_check(host, 4096 + 512, 3, 0));
    ck_assert(bt_check(host + 4096 + 512, 1024, 4, 0));
    ck_assert(bt_check(host + 4096 + 1536, MB - 4096 - 1536, 3, 4096 + 1536));

    /* nothing outside the window is reachable */
    ck_assert_int_eq(drv_rw(bs, false, 65536 - 512, buf, 1024), -EINVAL);
    ck_assert_int_eq(drv_rw(bs, false, 65536 + 512, buf, 512), -EINVAL);
    ck_assert_int_eq(drv_rw(bs, true, 65536 - 512, buf, 1024), -ENOSPC);
    ck_assert_int_eq(drv_simple(bs, co_zeroes, 65536, 512, 0), -ENOSPC);
    ck_assert_int_eq(drv_simple(bs, co_discard, 60000, 8192, 0), -ENOSPC);
    ck_assert_int_eq(drv_rw(bs, false, 65536 - 512, buf, 512), 0);
    bt_host_pread(img, 65536 + 4096, host, 8192);
    ck_assert(bt_check(host, 8192, 3, 65536 + 4096));

    /* zeroes and discards are shifted too */
    ck_assert_int_eq(drv_simple(bs, co_zeroes, 8192, 4096, 0), 0);
    bt_host_pread(img, 8192 + 4096, host, 4096);
    ck_assert(bt_all(host, 4096, 0));
    ck_assert_int_eq(drv_simple(bs, co_discard, 16384, 8192, 0), 0);
    bt_host_pread(img, 16384 + 4096, host, 8192);
    ck_assert(bt_all(host, 8192, 0));
    bt_host_pread(img, 16384, host, 4096);
    ck_assert(bt_check(host, 4096, 3, 16384));

    /* block status: "ask the file, at offset + 4096" */
    ck_assert_int_eq(drv_status(bs, true, 1024, 4096, &pnum, &map, &file),
                     BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, 4096);
    ck_assert_int_eq(map, 1024 + 4096);
    ck_assert_ptr_eq(file, bs->file->bs);

    close_raw(bs);
    g_free(buf);
    g_free(host);
}
END_TEST

typedef struct StatusCall {
    BlockDriverState *bs;
    int64_t off, bytes, pnum, map;
    BlockDriverState *file;
    int ret;
} StatusCall;

static void coroutine_fn co_core_status(void *o)
{
    StatusCall *c = o;
    c->ret = bdrv_co_block_status(c->bs, c->off, c->bytes, &c->pnum, &c->map, &c->file);
}

/* Through the core, raw's status is its file's. */
START_TEST(test_status_through_core)
{
    BlockDriverState *bs;
    StatusCall c;

    /* a hole at [512K, 1M) of the file, the window starts at 256K */
    bt_host_truncate(img, MB / 2);
    bt_host_truncate(img, MB);
    bs = open_raw("\"offset\": 262144,");
    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), MB - 262144);
    c = (StatusCall){.bs = bs, .off = 0, .bytes = MB - 262144};
    bt_co_run(co_core_status, &c);
    ck_assert_int_ge(c.ret, 0);
    ck_assert(c.ret & BDRV_BLOCK_DATA);
    ck_assert(c.ret & BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(c.map, 262144);
    ck_assert_int_eq(c.pnum, 262144);
    ck_assert_ptr_eq(c.file, bs->file->bs);
    c = (StatusCall){.bs = bs, .off = 262144, .bytes = MB - 2 * 262144};
    bt_co_run(co_core_status, &c);
    ck_assert_int_ge(c.ret, 0);
    ck_assert(c.ret & BDRV_BLOCK_ZERO);
    ck_assert_int_eq(c.map, 2 * 262144);
    close_raw(bs);
}
END_TEST

START_TEST(test_resize)
{
    BlockDriverState *bs = open_raw("\"offset\": 4096, \"size\": 65536,");
    Error *err = NULL;

    ck_assert_int_eq(drv_truncate(bs, 2 * MB, PREALLOC_MODE_OFF, &err), -ENOTSUP);
    ck_assert_str_eq(error_get_pretty(err), "Cannot resize fixed-size raw disks");
    error_free(err);
    ck_assert_int_eq(bt_host_size(img), MB);
    close_raw(bs);

    /* with only an offset, the file follows: offset + new size */
    bs = open_raw("\"offset\": 4096,");
    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), MB - 4096);
    ck_assert_int_eq(drv_truncate(bs, 2 * MB, PREALLOC_MODE_OFF, &error_abort), 0);
    ck_assert_int_eq(bt_host_size(img), 2 * MB + 4096);
    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), 2 * MB);
    err = NULL;
    ck_assert_int_eq(drv_truncate(bs, INT64_MAX - 100, PREALLOC_MODE_OFF, &err), -EINVAL);
    ck_assert_str_eq(error_get_pretty(err), "Disk size too large for the chosen offset");
    error_free(err);
    close_raw(bs);

    /* a plain raw image: the file's size is the disk's */
    bs = open_raw("");
    ck_assert_int_eq(drv_truncate(bs, 3 * MB, PREALLOC_MODE_OFF, &error_abort), 0);
    ck_assert_int_eq(bt_host_size(img), 3 * MB);
    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), 3 * MB);
    /* the file may change under us */
    bt_host_truncate(img, MB);
    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), MB);
    close_raw(bs);
}
END_TEST

START_TEST(test_open_errors)
{
    g_autofree char *json_tail = g_strdup_printf("\"file\": {\"driver\": \"file\", \"filename\": "
                                                 "\"%s\"}}",
                                                 img);

    bt_open_fails("Offset (2000000) cannot be greater than size of the containing file (1048576)",
                  BDRV_O_RDWR, "{\"driver\": \"raw\", \"offset\": 2000000, %s", json_tail);
    bt_open_fails("The sum of offset (1000) and size (1048000) has to be smaller or equal to the "
                  " actual size of the containing file (1048576)",
                  BDRV_O_RDWR, "{\"driver\": \"raw\", \"offset\": 1000, \"size\": 1048000, %s",
                  json_tail);
    bt_open_fails("Specified size is not multiple of 512", BDRV_O_RDWR,
                  "{\"driver\": \"raw\", \"offset\": 1000, \"size\": 1000, %s", json_tail);
    bt_open_fails("Parameter 'offset' expects a non-negative number below 2^64", BDRV_O_RDWR,
                  "{\"driver\": \"raw\", \"offset\": -1, %s", json_tail);
    /* the window may end exactly at the end of the file */
    close_raw(open_raw("\"offset\": 1024, \"size\": 1047552,"));
}
END_TEST

START_TEST(test_probe)
{
    const BlockDriver *raw = bdrv_find_format("raw");
    uint8_t buf[512] = {0};

    ck_assert_ptr_nonnull(raw);
    ck_assert(raw->is_format);
    ck_assert_int_eq(raw->bdrv_probe(buf, sizeof(buf), "x.img"), 1);
    memcpy(buf, "QFI\xfb", 4);
    ck_assert_int_eq(raw->bdrv_probe(buf, sizeof(buf), "x.qcow2"), 1);
}
END_TEST

/* A qcow2 header, as qemu-img writes it, for the block-0 guard. */
static void qcow2_header(uint8_t *buf, size_t len)
{
    g_autofree char *q = g_build_filename(dir, "h.qcow2", NULL);
    g_autofree char *out = NULL, *err = NULL;

    ck_assert_int_eq(bt_run(&out, &err, "qemu-img create -f qcow2 '%s' 1M", q), 0);
    bt_host_pread(q, 0, buf, len);
}

static int fake_qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return buf_size >= 4 && !memcmp(buf, "QFI\xfb", 4) ? 100 : 0;
}

static const BlockDriver fake_qcow2 = {
    .format_name = "qcow2",
    .is_format = true,
    .bdrv_probe = fake_qcow2_probe,
};

/* A guest must not turn a probed raw image into another format. */
START_TEST(test_probed_block0_guard)
{
    BlockDriverState *bs = open_raw("");
    uint8_t *buf = g_malloc(4096), *host = g_malloc(4096);

    /* what the core does when it guessed the format */
    bs->probed = true;
    bs->drv->bdrv_refresh_limits(bs, NULL);
    ck_assert_uint_ge(bs->bl.request_alignment, 512);

    bt_fill(buf, 4096, 8, 0);
    ck_assert_int_eq(drv_rw(bs, true, 0, buf, 4096), 0);
    bt_host_pread(img, 0, host, 4096);
    ck_assert(bt_check(host, 4096, 8, 0));

    if (!bdrv_find_format("qcow2")) {
        /* no qcow2 driver linked: a stand-in that only probes */
        bdrv_register(&fake_qcow2);
    }
    {
        qcow2_header(buf, 4096);
        ck_assert_int_eq(drv_rw(bs, true, 0, buf, 4096), -EPERM);
        bt_host_pread(img, 0, host, 4096);
        ck_assert(bt_check(host, 4096, 8, 0));
        /* the same bytes elsewhere are just data */
        ck_assert_int_eq(drv_rw(bs, true, 4096, buf, 4096), 0);
        /* and an explicitly raw image may hold anything */
        bs->probed = false;
        ck_assert_int_eq(drv_rw(bs, true, 0, buf, 4096), 0);
        bt_host_pread(img, 0, host, 4096);
        ck_assert_int_eq(memcmp(host, buf, 4096), 0);
    }
    close_raw(bs);
    g_free(buf);
    g_free(host);
}
END_TEST

/* Opening by file name without a format: the core probes, raw warns and guards block 0. */
START_TEST(test_probed_by_core)
{
    char path[] = "/var/tmp/minivm-bfile-warn-XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    g_autofree char *warning = NULL, *expect = NULL;
    uint8_t *hdr = g_malloc(4096);
    BlockDriverState *bs;
    BlockBackend *blk;
    Error *err = NULL;

    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    bs = bdrv_open_image(img, NULL, NULL, BDRV_O_RDWR, &err);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    ck_assert_msg(bs, "%s", err ? error_get_pretty(err) : "?");
    ck_assert(g_file_get_contents(path, &warning, NULL, NULL));
    unlink(path);
    expect = g_strdup_printf(
        "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
        "         Automatically detecting the format is dangerous for raw images, write "
        "operations on block 0 will be restricted.\n"
        "         Specify the 'raw' format explicitly to remove the restrictions.\n",
        img);
    ck_assert_str_eq(warning, expect);
    ck_assert_str_eq(bs->drv->format_name, "raw");
    ck_assert(bs->probed);

    blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    qcow2_header(hdr, 4096);
    ck_assert_int_eq(blk_pwrite(blk, 0, 4096, hdr, 0), -EPERM);
    ck_assert_int_eq(blk_pwrite(blk, 0, 8, hdr, 0), -EPERM); /* read-modify-write of block 0 */
    ck_assert_int_eq(blk_pwrite(blk, 512, 4096, hdr, 0), 0);
    bt_fill(hdr, 4096, 3, 0);
    ck_assert_int_eq(blk_pwrite(blk, 0, 4096, hdr, 0), 0);
    blk_unref(blk);
    bdrv_unref(bs);
    g_free(hdr);
}
END_TEST

/* Through a BlockBackend, with Debian's qemu-img comparing against the expected image. */
START_TEST(test_backend_and_qemu_compare)
{
    g_autofree char *ref = g_build_filename(dir, "ref.img", NULL);
    g_autofree char *out = NULL, *err = NULL;
    BlockDriverState *bs = open_raw("");
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    uint8_t *buf = g_malloc(MB);

    bt_fill(buf, 300000, 11, 0);
    ck_assert_int_eq(blk_pwrite(blk, 12345, 300000, buf, 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);
    blk_unref(blk);
    close_raw(bs);

    /* the expected image, built on the host */
    bt_fill(buf, MB, 3, 0);
    bt_host_pwrite(ref, 0, buf, MB);
    bt_fill(buf, 300000, 11, 0);
    bt_host_pwrite(ref, 12345, buf, 300000);
    ck_assert_msg(bt_run(&out, &err, "qemu-img compare -f raw -F raw '%s' '%s'", img, ref) == 0,
                  "%s%s", out, err);
    g_free(buf);
}
END_TEST

static Suite *raw_suite(void)
{
    Suite *s = suite_create("raw");
    TCase *tc = tcase_create("raw");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_window_io);
    tcase_add_test(tc, test_status_through_core);
    tcase_add_test(tc, test_resize);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_probe);
    tcase_add_test(tc, test_probed_block0_guard);
    tcase_add_test(tc, test_probed_by_core);
    tcase_add_test(tc, test_backend_and_qemu_compare);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(raw_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
