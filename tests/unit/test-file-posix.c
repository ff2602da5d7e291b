/*
 * The 'file' protocol driver: data path on both back-ends (threads and
 * io_uring) under many concurrent coroutines, end-of-file behaviour,
 * zeroing, discard, flush, resizing and creation, allocation status on
 * sparse files (checked against qemu-img map), O_DIRECT alignment probing,
 * error texts, and image locking against Debian's QEMU in both directions.
 */
#include "bfile-test-util.h"
#include "block/file-posix.h"

#include <sys/wait.h>

static char *dir;

/* block status of the file node itself: *file is always bs */
static int file_status(BlockDriverState *bs, bool want_zero, int64_t off, int64_t bytes,
                       int64_t *pnum, int64_t *map)
{
    BlockDriverState *file = NULL;
    int ret = drv_status(bs, want_zero, off, bytes, pnum, map, &file);

    ck_assert(ret < 0 || file == bs);
    return ret;
}

static void setup(void)
{
    main_loop_init();
    dir = bt_tmpdir();
}

static void teardown(void)
{
    g_autofree char *immutable = g_build_filename(dir, "immutable.img", NULL);

    if (g_file_test(immutable, G_FILE_TEST_EXISTS)) {
        /* a failed test_auto_read_only_immutable must not leave it undeletable */
        g_autofree char *out = NULL, *err = NULL;
        bt_run(&out, &err, "chattr -i '%s'", immutable);
    }
    bt_rmtree(dir);
    dir = NULL;
}

static char *path_in_dir(const char *name)
{
    return g_build_filename(dir, name, NULL);
}

static char *new_image(const char *name, int64_t size)
{
    char *path = path_in_dir(name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, size), 0);
    close(fd);
    return path;
}

/* aio back-ends of the loop tests */
static const struct {
    const char *aio;
    bool direct;
    FileAioBackend expect;
} backends[] = {
    {"threads", false, FILE_AIO_THREADS},
    {"io_uring", false, FILE_AIO_IO_URING},
    {"native", true, FILE_AIO_IO_URING},
};

static BlockDriverState *open_file(const char *path, int i)
{
    BlockDriverState *bs;

    bs = bt_open_ok(BDRV_O_RDWR | (backends[i].direct ? BDRV_O_NOCACHE : 0),
                    "{\"driver\": \"file\", \"filename\": \"%s\", \"aio\": \"%s\","
                    " \"cache\": {\"direct\": %s}}",
                    path, backends[i].aio, backends[i].direct ? "true" : "false");
    ck_assert_int_eq(((BDRVRawState *)bs->opaque)->aio, backends[i].expect);
    return bs;
}

/* ---- open errors -------------------------------------------------------- */

START_TEST(test_open_errors)
{
    g_autofree char *missing = path_in_dir("missing");
    g_autofree char *msg = NULL;
    g_autofree char *img = new_image("a.img", 4096);

    msg = g_strdup_printf("Could not open '%s': No such file or directory", missing);
    bt_open_fails(msg, BDRV_O_RDWR, "{\"driver\": \"file\", \"filename\": \"%s\"}", missing);
    g_free(msg);

    msg = g_strdup_printf("Could not open '%s': Is a directory", dir);
    bt_open_fails(msg, BDRV_O_RDWR, "{\"driver\": \"file\", \"filename\": \"%s\"}", dir);

    bt_open_fails("The 'file' block driver requires a file name", BDRV_O_RDWR,
                  "{\"driver\": \"file\", \"filename\": \"\"}");
    bt_open_fails("'file' driver requires '/dev/null' to be a regular file", 0,
                  "{\"driver\": \"file\", \"filename\": \"/dev/null\"}");
    bt_open_fails("aio=native was specified, but it requires cache.direct=on, which was not "
                  "specified.",
                  BDRV_O_RDWR, "{\"driver\": \"file\", \"filename\": \"%s\", \"aio\": \"native\"}",
                  img);
}
END_TEST

START_TEST(test_parse_filename)
{
    const BlockDriver *drv = bdrv_find_format("file");
    json_t *o = json_object();

    ck_assert_ptr_nonnull(drv);
    ck_assert_str_eq(drv->protocol_name, "file");
    drv->bdrv_parse_filename("file:/x/y.img", o, &error_abort);
    ck_assert_str_eq(json_string_value(json_object_get(o, "filename")), "/x/y.img");
    drv->bdrv_parse_filename("/a:b", o, &error_abort);
    ck_assert_str_eq(json_string_value(json_object_get(o, "filename")), "/a:b");
    json_decref(o);
}
END_TEST

/* ---- data path --------------------------------------------------------- */

START_TEST(test_rw_basic)
{
    g_autofree char *img = new_image("rw.img", 4 << 20);
    BlockDriverState *bs = open_file(img, _i);
    uint32_t align = bs->bl.request_alignment;
    int64_t off = backends[_i].direct ? 3 * align : 4096 + 7;
    int64_t len = (1 << 20) + (backends[_i].direct ? 0 : 13);
    uint8_t *buf = g_malloc(len), *back = g_malloc(len);

    bt_fill(buf, len, 1, off);
    ck_assert_int_eq(drv_rw(bs, true, off, buf, len), 0);
    ck_assert_int_eq(drv_rw(bs, false, off, back, len), 0);
    ck_assert(bt_check(back, len, 1, off));
    memset(back, 0, len);
    bt_host_pread(img, off, back, len);
    ck_assert(bt_check(back, len, 1, off));
    ck_assert_int_eq(drv_simple(bs, co_flush, 0, 0, 0), 0);
    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), 4 << 20);

    /* the data path through a BlockBackend as well */
    BlockBackend *blk = bt_blk(bs, BT_PERM_RW, BLK_PERM_ALL);
    bt_fill(buf, 65536, 2, 0);
    ck_assert_int_eq(blk_pwrite(blk, 0, 65536, buf, 0), 0);
    memset(back, 0, 65536);
    ck_assert_int_eq(blk_pread(blk, 0, 65536, back, 0), 0);
    ck_assert(bt_check(back, 65536, 2, 0));
    ck_assert_int_eq(blk_flush(blk), 0);
    blk_unref(blk);
    bdrv_unref(bs);
    g_free(buf);
    g_free(back);
}
END_TEST

/* Many coroutines, each writing and re-reading its own blocks with scattered buffers. */
#define CONC_WORKERS 128
#define CONC_ROUNDS 6
#define CONC_SLOT (192 * 1024)

typedef struct ConcWorker {
    BlockDriverState *bs;
    int idx;
    bool direct;
    int *running;
    int failures;
} ConcWorker;

static void coroutine_fn conc_worker(void *opaque)
{
    ConcWorker *w = opaque;

    for (int r = 0; r < CONC_ROUNDS; r++) {
        int64_t slot = (int64_t)(w->idx * CONC_ROUNDS + r) * CONC_SLOT;
        int64_t off = slot + (w->direct ? 4096 * (r % 3) : 511 * r);
        int64_t len =
            w->direct ? 4096 * (1 + (w->idx + r) % 32) : 1000 + 4093 * ((w->idx + r) % 32);
        uint32_t seed = w->idx * 100 + r;
        uint8_t *wbuf = file_memalign(4096, len), *rbuf = file_memalign(4096, len);
        QEMUIOVector wq, rq;
        int64_t cut1 = w->direct ? QEMU_ALIGN_DOWN(len / 3, 4096) : len / 3;
        int64_t cut2 = w->direct ? QEMU_ALIGN_DOWN(2 * len / 3, 4096) : 2 * len / 3;

        bt_fill(wbuf, len, seed, off);
        qemu_iovec_init(&wq, 3);
        qemu_iovec_add(&wq, wbuf, cut1);
        qemu_iovec_add(&wq, wbuf + cut1, cut2 - cut1);
        qemu_iovec_add(&wq, wbuf + cut2, len - cut2);
        if (w->bs->drv->bdrv_co_pwritev(w->bs, off, len, &wq, 0) < 0) {
            w->failures++;
        }
        qemu_iovec_init(&rq, 2);
        qemu_iovec_add(&rq, rbuf, cut2);
        qemu_iovec_add(&rq, rbuf + cut2, len - cut2);
        if (w->bs->drv->bdrv_co_preadv(w->bs, off, len, &rq, 0) < 0 ||
            !bt_check(rbuf, len, seed, off)) {
            w->failures++;
        }
        qemu_iovec_destroy(&wq);
        qemu_iovec_destroy(&rq);
        free(wbuf);
        free(rbuf);
    }
    (*w->running)--;
}

START_TEST(test_rw_concurrent)
{
    int64_t size = (int64_t)CONC_WORKERS * CONC_ROUNDS * CONC_SLOT;
    g_autofree char *img = new_image("conc.img", size);
    BlockDriverState *bs = open_file(img, _i);
    ConcWorker w[CONC_WORKERS];
    int running = CONC_WORKERS;
    uint8_t *buf;

    for (int i = 0; i < CONC_WORKERS; i++) {
        w[i] = (ConcWorker){.bs = bs, .idx = i, .direct = backends[_i].direct, .running = &running};
        qemu_coroutine_enter(qemu_coroutine_create(conc_worker, &w[i]));
    }
    MAIN_LOOP_WAIT_WHILE(running > 0);
    for (int i = 0; i < CONC_WORKERS; i++) {
        ck_assert_int_eq(w[i].failures, 0);
    }
    /* what the host sees: every worker's last round */
    buf = g_malloc(CONC_SLOT);
    for (int i = 0; i < CONC_WORKERS; i += 17) {
        int r = CONC_ROUNDS - 1;
        int64_t slot = (int64_t)(i * CONC_ROUNDS + r) * CONC_SLOT;
        int64_t off = slot + (backends[_i].direct ? 4096 * (r % 3) : 511 * r);
        int64_t len =
            backends[_i].direct ? 4096 * (1 + (i + r) % 32) : 1000 + 4093 * ((i + r) % 32);

        bt_host_pread(img, off, buf, len);
        ck_assert(bt_check(buf, len, i * 100 + r, off));
    }
    g_free(buf);
    bdrv_unref(bs);
}
END_TEST

/* Reads that run past the end of the file return zeroes there. */
START_TEST(test_read_eof)
{
    g_autofree char *img = new_image("eof.img", 0);
    uint8_t data[1000], *buf = file_memalign(4096, 8192);
    BlockDriverState *bs;

    bt_fill(data, sizeof(data), 9, 0);
    bt_host_pwrite(img, 0, data, sizeof(data));
    bs = open_file(img, _i);
    memset(buf, 0xcc, 8192);
    ck_assert_int_eq(drv_rw(bs, false, 0, buf, 4096), 0);
    ck_assert(bt_check(buf, 1000, 9, 0));
    ck_assert(bt_all(buf + 1000, 4096 - 1000, 0));

    /* the file shrinks under us */
    bt_host_truncate(img, 512);
    memset(buf, 0xcc, 8192);
    ck_assert_int_eq(drv_rw(bs, false, 0, buf, 8192), 0);
    ck_assert(bt_check(buf, 512, 9, 0));
    ck_assert(bt_all(buf + 512, 8192 - 512, 0));
    /* entirely beyond the end */
    memset(buf, 0xcc, 8192);
    ck_assert_int_eq(drv_rw(bs, false, 4096, buf, 4096), 0);
    ck_assert(bt_all(buf, 4096, 0));
    bdrv_unref(bs);
    free(buf);
}
END_TEST

/* ---- zeroes, discard, flush ------------------------------------------- */

START_TEST(test_write_zeroes)
{
    g_autofree char *img = new_image("z.img", 0);
    int64_t mb = 1 << 20;
    uint8_t *buf = g_malloc(mb);
    BlockDriverState *bs;
    int64_t pnum, map;

    memset(buf, 0xaa, mb);
    bt_host_pwrite(img, 0, buf, mb);
    bs = open_file(img, _i);

    /* plain zeroing keeps the range allocated */
    ck_assert_int_eq(drv_simple(bs, co_zeroes, 64 * 1024, 64 * 1024, 0), 0);
    bt_host_pread(img, 0, buf, mb);
    ck_assert(bt_all(buf, 64 * 1024, 0xaa));
    ck_assert(bt_all(buf + 64 * 1024, 64 * 1024, 0));
    ck_assert(bt_all(buf + 128 * 1024, mb - 128 * 1024, 0xaa));

    /* with MAY_UNMAP the range becomes a hole */
    ck_assert_int_eq(drv_simple(bs, co_zeroes, 256 * 1024, 256 * 1024, BDRV_REQ_MAY_UNMAP), 0);
    bt_host_pread(img, 0, buf, mb);
    ck_assert(bt_all(buf + 256 * 1024, 256 * 1024, 0));
    ck_assert(bt_all(buf + 512 * 1024, 512 * 1024, 0xaa));
    ck_assert_int_eq(file_status(bs, true, 256 * 1024, 512 * 1024, &pnum, &map),
                     BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, 256 * 1024);
    ck_assert_int_eq(map, 256 * 1024);

    /* zeroes past the end grow the file, with or without unmapping */
    ck_assert_int_eq(drv_simple(bs, co_zeroes, mb + 4096, 8192, BDRV_REQ_MAY_UNMAP), 0);
    ck_assert_int_eq(bt_host_size(img), mb + 4096 + 8192);
    ck_assert_int_eq(drv_simple(bs, co_zeroes, 2 * mb, 4096, 0), 0);
    ck_assert_int_eq(bt_host_size(img), 2 * mb + 4096);
    ck_assert_int_eq(drv_rw(bs, false, mb, buf, mb), 0);
    ck_assert(bt_all(buf, mb, 0));
    bdrv_unref(bs);
    g_free(buf);
}
END_TEST

START_TEST(test_discard_and_stats)
{
    g_autofree char *img = new_image("d.img", 0);
    int64_t mb = 1 << 20, before;
    uint8_t *buf = g_malloc(mb);
    BlockDriverState *bs;
    BlockStatsSpecific *st;

    memset(buf, 0x55, mb);
    bt_host_pwrite(img, 0, buf, mb);
    bs = open_file(img, _i);
    before = bs->drv->bdrv_get_allocated_file_size(bs);
    ck_assert_int_ge(before, mb);
    ck_assert_int_eq(drv_simple(bs, co_discard, 0, mb / 2, 0), 0);
    ck_assert_int_le(bs->drv->bdrv_get_allocated_file_size(bs), before - mb / 2);
    ck_assert_int_eq(bt_host_allocated(img), bs->drv->bdrv_get_allocated_file_size(bs));
    ck_assert_int_eq(bt_host_size(img), mb);
    ck_assert_int_eq(drv_rw(bs, false, 0, buf, mb), 0);
    ck_assert(bt_all(buf, mb / 2, 0));
    ck_assert(bt_all(buf + mb / 2, mb / 2, 0x55));

    st = bs->drv->bdrv_get_specific_stats(bs);
    ck_assert_int_eq(st->driver, BLOCKDEV_DRIVER_FILE);
    ck_assert_uint_eq(st->u.file.discard_nb_ok, 1);
    ck_assert_uint_eq(st->u.file.discard_nb_failed, 0);
    ck_assert_uint_eq(st->u.file.discard_bytes_ok, mb / 2);
    qapi_free_BlockStatsSpecific(st);
    bdrv_unref(bs);
    g_free(buf);
}
END_TEST

START_TEST(test_flush_modes)
{
    g_autofree char *img = new_image("f.img", 65536);
    BlockDriverState *bs;

    bs = bt_open_ok(BDRV_O_RDWR | BDRV_O_NO_FLUSH,
                    "{\"driver\": \"file\", \"filename\": \"%s\", \"cache\": {\"no-flush\": true}}",
                    img);
    ck_assert(((BDRVRawState *)bs->opaque)->no_flush);
    ck_assert_int_eq(drv_simple(bs, co_flush, 0, 0, 0), 0);
    bdrv_unref(bs);
    bs = open_file(img, 0);
    ck_assert(!((BDRVRawState *)bs->opaque)->no_flush);
    ck_assert_int_eq(drv_simple(bs, co_flush, 0, 0, 0), 0);
    bdrv_unref(bs);
}
END_TEST

/* ---- access mode: auto-read-only and reopen -------------------------------- */

static int fd_mode(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    return fcntl(s->fd, F_GETFL) & O_ACCMODE;
}

/* The fd is writable only while somebody holds the write permission. */
START_TEST(test_auto_read_only)
{
    g_autofree char *img = new_image("aro.img", 65536);
    BlockDriverState *bs;
    BlockBackend *reader, *writer;
    uint8_t buf[4096];

    bs = bt_open_ok(BDRV_O_RDWR | BDRV_O_AUTO_RDONLY,
                    "{\"driver\": \"file\", \"filename\": \"%s\", \"auto-read-only\": true}", img);
    ck_assert(!bs->read_only);
    ck_assert_int_eq(fd_mode(bs), O_RDONLY);
    reader = bt_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    ck_assert_int_eq(fd_mode(bs), O_RDONLY);
    writer = bt_blk(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    ck_assert_int_eq(fd_mode(bs), O_RDWR);
    bt_fill(buf, sizeof(buf), 12, 0);
    ck_assert_int_eq(blk_pwrite(writer, 0, sizeof(buf), buf, 0), 0);
    blk_unref(writer);
    ck_assert_int_eq(fd_mode(bs), O_RDONLY);
    memset(buf, 0, sizeof(buf));
    ck_assert_int_eq(blk_pread(reader, 0, sizeof(buf), buf, 0), 0);
    ck_assert(bt_check(buf, sizeof(buf), 12, 0));
    blk_unref(reader);
    bdrv_unref(bs);
}
END_TEST

/* A file that cannot be written still opens for readers; a writer is refused. */
START_TEST(test_auto_read_only_immutable)
{
    g_autofree char *img = new_image("immutable.img", 65536);
    g_autofree char *msg = NULL, *out = NULL, *err = NULL;
    BlockDriverState *bs;
    BlockBackend *blk;
    Error *local_err = NULL;

    /* root ignores file modes; the immutable attribute stops even root */
    if (bt_run(&out, &err, "chattr +i '%s'", img) != 0) {
        fprintf(stderr, "SKIP: test_auto_read_only_immutable: chattr +i failed: %s", err);
        return;
    }
    msg = g_strdup_printf("Could not open '%s': Operation not permitted", img);
    bt_open_fails(msg, BDRV_O_RDWR, "{\"driver\": \"file\", \"filename\": \"%s\"}", img);
    bs = bt_open(BDRV_O_RDWR | BDRV_O_AUTO_RDONLY, &local_err,
                 "{\"driver\": \"file\", \"filename\": \"%s\", \"auto-read-only\": true}", img);
    if (bs) {
        blk = bt_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
        blk_unref(blk);
        blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
        ck_assert(!blk_insert_bs(blk, bs, &local_err));
        blk_unref(blk);
        bdrv_unref(bs);
    }
    g_free(out);
    g_free(err);
    ck_assert_int_eq(bt_run(&out, &err, "chattr -i '%s'", img), 0);
    ck_assert_msg(local_err, "auto-read-only open or writer unexpectedly succeeded");
    ck_assert_str_eq(error_get_pretty(local_err), msg);
    error_free(local_err);
}
END_TEST

START_TEST(test_reopen)
{
    g_autofree char *img = new_image("ro.img", 65536);
    BlockDriverState *bs = open_file(img, _i);
    uint8_t buf[4096];

    bt_fill(buf, sizeof(buf), 13, 0);
    ck_assert_int_eq(fd_mode(bs), O_RDWR);
    ck_assert_int_eq(bs->drv->bdrv_reopen_prepare(bs, true, &error_abort), 0);
    bs->drv->bdrv_reopen_abort(bs);
    ck_assert_int_eq(fd_mode(bs), O_RDWR);
    ck_assert_int_eq(bs->drv->bdrv_reopen_prepare(bs, true, &error_abort), 0);
    bs->drv->bdrv_reopen_commit(bs);
    ck_assert_int_eq(fd_mode(bs), O_RDONLY);
    ck_assert_int_eq(drv_rw(bs, true, 0, buf, sizeof(buf)), -EBADF);
    ck_assert_int_eq(bs->drv->bdrv_reopen_prepare(bs, false, &error_abort), 0);
    bs->drv->bdrv_reopen_commit(bs);
    ck_assert_int_eq(fd_mode(bs), O_RDWR);
    ck_assert_int_eq(drv_rw(bs, true, 0, buf, sizeof(buf)), 0);
    memset(buf, 0, sizeof(buf));
    ck_assert_int_eq(drv_rw(bs, false, 0, buf, sizeof(buf)), 0);
    ck_assert(bt_check(buf, sizeof(buf), 13, 0));
    bdrv_unref(bs);
}
END_TEST

/* ---- resizing and creation ------------------------------------------- */

START_TEST(test_truncate)
{
    g_autofree char *img = new_image("t.img", 0);
    int64_t mb = 1 << 20;
    BlockDriverState *bs = open_file(img, 0);
    Error *err = NULL;

    /* growing without preallocation stays sparse */
    ck_assert_int_eq(drv_truncate(bs, 8 * mb, PREALLOC_MODE_OFF, &error_abort), 0);
    ck_assert_int_eq(bt_host_size(img), 8 * mb);
    ck_assert_int_le(bt_host_allocated(img), 64 * 1024);
    ck_assert_int_eq(bs->drv->bdrv_getlength(bs), 8 * mb);

    ck_assert_int_eq(drv_truncate(bs, 16 * mb, PREALLOC_MODE_FALLOC, &error_abort), 0);
    ck_assert_int_eq(bt_host_size(img), 16 * mb);
    ck_assert_int_ge(bt_host_allocated(img), 8 * mb);

    ck_assert_int_eq(drv_truncate(bs, 20 * mb, PREALLOC_MODE_FULL, &error_abort), 0);
    ck_assert_int_eq(bt_host_size(img), 20 * mb);
    ck_assert_int_ge(bt_host_allocated(img), 12 * mb);

    ck_assert_int_eq(drv_truncate(bs, 4 * mb, PREALLOC_MODE_FULL, &err), -ENOTSUP);
    ck_assert_str_eq(error_get_pretty(err), "Cannot use preallocation for shrinking files");
    error_free(err);
    err = NULL;
    ck_assert_int_eq(drv_truncate(bs, 30 * mb, PREALLOC_MODE_METADATA, &err), -ENOTSUP);
    ck_assert_str_eq(error_get_pretty(err), "Unsupported preallocation mode: metadata");
    error_free(err);
    ck_assert_int_eq(bt_host_size(img), 20 * mb);

    /* shrinking */
    ck_assert_int_eq(drv_truncate(bs, mb + 1, PREALLOC_MODE_OFF, &error_abort), 0);
    ck_assert_int_eq(bt_host_size(img), mb + 1);
    bdrv_unref(bs);
}
END_TEST

typedef struct CreateCall {
    BlockdevCreateOptions *opts;
    Error **errp;
    int ret;
} CreateCall;

static void coroutine_fn co_create(void *o)
{
    CreateCall *c = o;
    c->ret = bdrv_find_format("file")->bdrv_co_create(c->opts, c->errp);
}

static int create_file(const char *path, uint64_t size, const char *prealloc, Error **errp)
{
    BlockdevCreateOptions *opts = NULL;
    char *text = prealloc ? g_strdup_printf("{\"driver\": \"file\", \"filename\": \"%s\","
                                            " \"size\": %" PRIu64 ", \"preallocation\": \"%s\"}",
                                            path, size, prealloc)
                          : g_strdup_printf("{\"driver\": \"file\", \"filename\": \"%s\","
                                            " \"size\": %" PRIu64 "}",
                                            path, size);
    json_t *j = json_loads(text, 0, NULL);
    CreateCall c = {.errp = errp};

    ck_assert_ptr_nonnull(j);
    ck_assert(qapi_parse_BlockdevCreateOptions(j, false, &opts, &error_abort));
    c.opts = opts;
    bt_co_run(co_create, &c);
    qapi_free_BlockdevCreateOptions(opts);
    json_decref(j);
    g_free(text);
    return c.ret;
}

static int64_t qemu_img_info_int(const char *path, const char *key)
{
    g_autofree char *out = NULL, *err = NULL;
    json_t *j, *v;
    int64_t val;

    ck_assert_int_eq(bt_run(&out, &err, "qemu-img info -f raw --output=json '%s'", path), 0);
    j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    v = json_object_get(j, key);
    ck_assert_ptr_nonnull(v);
    val = json_integer_value(v);
    json_decref(j);
    return val;
}

START_TEST(test_create)
{
    g_autofree char *a = path_in_dir("c-off.img");
    g_autofree char *b = path_in_dir("c-full.img");
    g_autofree char *c = path_in_dir("c-falloc.img");
    g_autofree char *d = path_in_dir("no/such/dir.img");
    g_autofree char *msg = NULL;
    int64_t mb = 1 << 20;
    uint8_t buf[4096];
    Error *err = NULL;

    ck_assert_int_eq(create_file(a, 3 * mb, NULL, &error_abort), 0);
    ck_assert_int_eq(qemu_img_info_int(a, "virtual-size"), 3 * mb);
    /* like qemu-img create: only the first block is allocated */
    ck_assert_int_le(qemu_img_info_int(a, "actual-size"), 64 * 1024);

    ck_assert_int_eq(create_file(b, 2 * mb, "full", &error_abort), 0);
    ck_assert_int_eq(qemu_img_info_int(b, "virtual-size"), 2 * mb);
    ck_assert_int_ge(qemu_img_info_int(b, "actual-size"), 2 * mb);

    ck_assert_int_eq(create_file(c, 2 * mb, "falloc", &error_abort), 0);
    ck_assert_int_ge(bt_host_allocated(c), 2 * mb);

    /* creating over an image empties it */
    memset(buf, 0x77, sizeof(buf));
    bt_host_pwrite(b, 8192, buf, sizeof(buf));
    ck_assert_int_eq(create_file(b, mb, NULL, &error_abort), 0);
    ck_assert_int_eq(bt_host_size(b), mb);
    bt_host_pread(b, 8192, buf, sizeof(buf));
    ck_assert(bt_all(buf, sizeof(buf), 0));

    ck_assert_int_eq(create_file(a, mb, "metadata", &err), -ENOTSUP);
    ck_assert_str_eq(error_get_pretty(err), "Unsupported preallocation mode: metadata");
    error_free(err);
    err = NULL;
    ck_assert_int_eq(create_file(d, mb, NULL, &err), -ENOENT);
    msg = g_strdup_printf("Could not create '%s': No such file or directory", d);
    ck_assert_str_eq(error_get_pretty(err), msg);
    error_free(err);
}
END_TEST

/* ---- allocation status ------------------------------------------------- */

/* Walks the file with our block_status and compares with qemu-img map. */
static void compare_with_qemu_img_map(BlockDriverState *bs, const char *path)
{
    g_autofree char *out = NULL, *err = NULL;
    int64_t len = bs->drv->bdrv_getlength(bs);
    json_t *map, *e;
    size_t i;

    ck_assert_int_eq(bt_run(&out, &err, "qemu-img map -f raw --output=json '%s'", path), 0);
    map = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(map);
    json_array_foreach(map, i, e)
    {
        int64_t start = json_integer_value(json_object_get(e, "start"));
        int64_t length = json_integer_value(json_object_get(e, "length"));
        bool data = json_is_true(json_object_get(e, "data"));
        bool zero = json_is_true(json_object_get(e, "zero"));
        int64_t pos = start;

        while (pos < start + length) {
            int64_t pnum, m;
            int ret = file_status(bs, true, pos, MIN(start + length, len) - pos, &pnum, &m);

            ck_assert_int_ge(ret, 0);
            ck_assert_int_gt(pnum, 0);
            ck_assert_msg(!!(ret & BDRV_BLOCK_DATA) == data && !!(ret & BDRV_BLOCK_ZERO) == zero,
                          "at %" PRId64 ": ours %#x, qemu-img data=%d zero=%d", pos, ret, data,
                          zero);
            ck_assert_int_eq(m, pos);
            pos += pnum;
        }
    }
    json_decref(map);
}

START_TEST(test_block_status)
{
    g_autofree char *img = new_image("s.img", 0);
    int64_t mb = 1 << 20, pnum, map;
    uint8_t *buf = g_malloc(mb);
    BlockDriverState *bs;

    memset(buf, 0x11, mb);
    bt_host_pwrite(img, 0, buf, 64 * 1024);
    bt_host_pwrite(img, mb, buf, 4096);
    bt_host_pwrite(img, 3 * mb, buf, 128 * 1024);
    bt_host_truncate(img, 4 * mb);
    bs = open_file(img, _i);

    ck_assert_int_eq(file_status(bs, true, 0, 4 * mb, &pnum, &map),
                     BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, 64 * 1024);
    ck_assert_int_eq(map, 0);
    ck_assert_int_eq(file_status(bs, true, 64 * 1024, 4 * mb - 64 * 1024, &pnum, &map),
                     BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, mb - 64 * 1024);
    ck_assert_int_eq(map, 64 * 1024);
    ck_assert_int_eq(file_status(bs, true, mb, 3 * mb, &pnum, &map),
                     BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, 4096);
    /* pnum never exceeds the request */
    ck_assert_int_eq(file_status(bs, true, mb + 4096, 8192, &pnum, &map),
                     BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, 8192);
    /* without want_zero: all data */
    ck_assert_int_eq(file_status(bs, false, 64 * 1024, 4 * mb - 64 * 1024, &pnum, &map),
                     BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, 4 * mb - 64 * 1024);

    /* a trailing hole */
    bt_host_truncate(img, 8 * mb);
    ck_assert_int_eq(file_status(bs, true, 4 * mb, 4 * mb, &pnum, &map),
                     BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID);
    ck_assert_int_eq(pnum, 4 * mb);

    compare_with_qemu_img_map(bs, img);
    bdrv_unref(bs);
    g_free(buf);
}
END_TEST

/* ---- O_DIRECT ------------------------------------------------------------ */

static BlockDriverState *open_direct_or_skip(const char *img, int aio_idx)
{
    Error *err = NULL;
    BlockDriverState *bs = bt_open(BDRV_O_RDWR | BDRV_O_NOCACHE, &err,
                                   "{\"driver\": \"file\", \"filename\": \"%s\", \"aio\": \"%s\","
                                   " \"cache\": {\"direct\": true}}",
                                   img, backends[aio_idx].aio);

    if (!bs && strstr(error_get_pretty(err), "Invalid argument")) {
        fprintf(stderr, "SKIP: O_DIRECT refused on %s: %s\n", dir, error_get_pretty(err));
        error_free(err);
        return NULL;
    }
    ck_assert_msg(bs, "%s", err ? error_get_pretty(err) : "?");
    return bs;
}

START_TEST(test_direct)
{
    g_autofree char *img = new_image("direct.img", 0);
    BlockDriverState *bs;
    uint8_t *raw = g_malloc(3 * 65536), *buf = raw + 1; /* deliberately unaligned */
    uint8_t *back = g_malloc(65536);
    QEMUIOVector qiov;
    DrvCall c;
    uint8_t *seg;

    /* real data at the start, so alignment probing sees a real read */
    seg = g_malloc0(65536);
    bt_host_pwrite(img, 0, seg, 65536);
    g_free(seg);
    bs = open_direct_or_skip(img, _i);
    if (!bs) {
        g_free(raw);
        g_free(back);
        return;
    }
    ck_assert(((BDRVRawState *)bs->opaque)->use_direct);
    ck_assert_msg(bs->bl.request_alignment == 512 || bs->bl.request_alignment == 4096,
                  "request_alignment %u", bs->bl.request_alignment);
    ck_assert_uint_ge(bs->bl.min_mem_alignment, 512);
    ck_assert_uint_le(bs->bl.min_mem_alignment, 4096);
    ck_assert_uint_ge(bs->bl.opt_mem_alignment, bs->bl.min_mem_alignment);

    /* unaligned memory goes through a bounce buffer */
    bt_fill(buf, 65536, 5, 4096);
    ck_assert_int_eq(drv_rw(bs, true, 4096, buf, 65536), 0);
    ck_assert_int_eq(drv_rw(bs, false, 4096, back, 65536), 0);
    ck_assert(bt_check(back, 65536, 5, 4096));

    /* more segments than preadv takes */
    qemu_iovec_init(&qiov, 2048);
    for (int i = 0; i < 2048; i++) {
        qemu_iovec_add(&qiov, back + i * 32, 32);
    }
    memset(back, 0, 65536);
    c = (DrvCall){.bs = bs, .off = 4096, .bytes = 65536, .qiov = &qiov};
    bt_co_run(co_read, &c);
    ck_assert_int_eq(c.ret, 0);
    ck_assert(bt_check(back, 65536, 5, 4096));
    qemu_iovec_destroy(&qiov);
    bdrv_unref(bs);
    g_free(raw);
    g_free(back);
}
END_TEST

/* ---- locking -------------------------------------------------------------- */

/* Does some process hold a lock on 'byte' of path (seen from a fresh description)? */
static bool byte_locked(const char *path, int byte)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
    int fd = open(path, O_RDONLY);
    bool locked;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fcntl(fd, F_OFD_GETLK, &fl), 0);
    locked = fl.l_type != F_UNLCK;
    close(fd);
    return locked;
}

typedef struct QemuHolder {
    GPid pid;
    int stdin_fd;
} QemuHolder;

/* Starts qemu-io on path; it keeps the image open until its stdin closes. */
static QemuHolder qemu_io_hold(const char *fmt, const char *path, int wait_byte)
{
    char *argv[] = {"qemu-io", "-f", (char *)fmt, (char *)path, NULL};
    QemuHolder h = {0};
    GError *gerr = NULL;

    ck_assert_msg(g_spawn_async_with_pipes(NULL, argv, NULL,
                                           G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                               G_SPAWN_STDOUT_TO_DEV_NULL |
                                               G_SPAWN_STDERR_TO_DEV_NULL,
                                           NULL, NULL, &h.pid, &h.stdin_fd, NULL, NULL, &gerr),
                  "qemu-io: %s", gerr ? gerr->message : "?");
    for (int i = 0; i < 1000 && !byte_locked(path, wait_byte); i++) {
        g_usleep(10 * 1000);
    }
    ck_assert_msg(byte_locked(path, wait_byte), "qemu-io did not lock byte %d", wait_byte);
    return h;
}

static void qemu_io_release(QemuHolder *h)
{
    int status;

    close(h->stdin_fd);
    ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
    g_spawn_close_pid(h->pid);
}

static char *qcow2_image(const char *name)
{
    char *path = path_in_dir(name);
    g_autofree char *out = NULL, *err = NULL;

    ck_assert_int_eq(bt_run(&out, &err, "qemu-img create -f qcow2 '%s' 1M", path), 0);
    return path;
}

static BlockDriverState *open_for_lock(const char *path, const char *locking)
{
    return bt_open_ok(BDRV_O_RDWR,
                      "{\"driver\": \"file\", \"filename\": \"%s\", \"locking\": \"%s\"}", path,
                      locking);
}

/* QEMU holds the image for writing: we must not write, but may read. */
START_TEST(test_lock_qemu_holds)
{
    g_autofree char *img = qcow2_image("held.qcow2");
    g_autofree char *hint = NULL;
    QemuHolder h = qemu_io_hold("qcow2", img, 201);
    BlockDriverState *bs = open_for_lock(img, "auto");
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    Error *err = NULL;

    ck_assert(!blk_insert_bs(blk, bs, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(error_get_pretty(err), "Failed to get \"write\" lock");
    hint = bt_error_report_text(err);
    ck_assert_msg(strstr(hint, "Is another process using the image [") && strstr(hint, img), "%s",
                  hint);
    blk_unref(blk);

    /* a reader that shares writing is fine ... */
    blk = bt_blk(bs, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    blk_unref(blk);
    /* ... one that does not share it is not */
    blk = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED);
    err = NULL;
    ck_assert(!blk_insert_bs(blk, bs, &err));
    ck_assert_str_eq(error_get_pretty(err), "Failed to get shared \"write\" lock");
    error_free(err);
    blk_unref(blk);

    /* locking=off ignores QEMU (dangerous, but asked for) */
    BlockDriverState *nolock = open_for_lock(img, "off");
    blk = bt_blk(nolock, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    blk_unref(blk);
    bdrv_unref(nolock);

    qemu_io_release(&h);
    blk = bt_blk(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* We hold the image for writing: QEMU's tools must back off. */
START_TEST(test_lock_we_hold)
{
    g_autofree char *img = qcow2_image("ours.qcow2");
    g_autofree char *out = NULL, *err = NULL, *hint = NULL;
    BlockDriverState *bs = open_for_lock(img, "auto");
    BlockBackend *blk = bt_blk(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                               BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED);

    ck_assert(byte_locked(img, 100) && byte_locked(img, 101));
    ck_assert(byte_locked(img, 201) && byte_locked(img, 203));
    ck_assert(!byte_locked(img, 102) && !byte_locked(img, 103) && !byte_locked(img, 200));

    ck_assert_int_ne(bt_run(&out, &err, "qemu-img info '%s'", img), 0);
    hint = g_strdup_printf("Is another process using the image [%s]?", img);
    ck_assert_msg(strstr(err, "Failed to get shared \"write\" lock") && strstr(err, hint), "%s",
                  err);
    g_free(out);
    g_free(err);
    ck_assert_int_ne(bt_run(&out, &err, "qemu-io -f raw -c 'write 0 512' '%s'", img), 0);
    ck_assert_msg(strstr(err, "Failed to get \"write\" lock"), "%s", err);
    g_free(out);
    g_free(err);
    /* -U (force share) reads anyway */
    ck_assert_int_eq(bt_run(&out, &err, "qemu-img info -U '%s'", img), 0);
    g_free(out);
    g_free(err);

    /* giving up the write permission releases QEMU's tools */
    ck_assert_int_eq(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, &error_abort), 0);
    ck_assert(!byte_locked(img, 101) && !byte_locked(img, 201));
    ck_assert_int_eq(bt_run(&out, &err, "qemu-img info '%s'", img), 0);
    g_free(out);
    g_free(err);
    blk_unref(blk);
    bdrv_unref(bs);
    ck_assert(!byte_locked(img, 100));
    ck_assert_int_eq(bt_run(&out, &err, "qemu-io -f raw -c 'write 0 512' '%s'", img), 0);

    /* locking=off takes no locks at all */
    bs = open_for_lock(img, "off");
    blk = bt_blk(bs, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_CONSISTENT_READ);
    ck_assert(!byte_locked(img, 101) && !byte_locked(img, 201));
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* Two nodes of one process on one file are two users too. */
START_TEST(test_lock_same_process)
{
    g_autofree char *img = new_image("two.img", 65536);
    BlockDriverState *a = open_for_lock(img, "on"), *b = open_for_lock(img, "on");
    BlockBackend *ba =
        bt_blk(a, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_CONSISTENT_READ);
    BlockBackend *bb = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    Error *err = NULL;

    ck_assert(!blk_insert_bs(bb, b, &err));
    ck_assert_str_eq(error_get_pretty(err), "Failed to get \"write\" lock");
    error_free(err);
    err = NULL;
    blk_unref(bb);
    bb = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_CONSISTENT_READ);
    ck_assert(!blk_insert_bs(bb, b, &err));
    ck_assert_str_eq(error_get_pretty(err), "Failed to get shared \"write\" lock");
    error_free(err);
    /* a failed check leaves no lock behind */
    ck_assert_uint_eq(((BDRVRawState *)b->opaque)->locked_perm, 0);
    ck_assert_uint_eq(((BDRVRawState *)b->opaque)->locked_unshared, 0);
    blk_unref(ba);
    ck_assert(!byte_locked(img, 101));
    ck_assert(blk_insert_bs(bb, b, &error_abort));
    ck_assert(byte_locked(img, 201));
    blk_unref(bb);
    bdrv_unref(a);
    bdrv_unref(b);
    ck_assert(!byte_locked(img, 100) && !byte_locked(img, 201));
}
END_TEST

/* blockdev-create takes the locks a creator needs. */
START_TEST(test_lock_create)
{
    g_autofree char *img = qcow2_image("create.qcow2");
    QemuHolder h = qemu_io_hold("qcow2", img, 201);
    Error *err = NULL;

    ck_assert_int_lt(create_file(img, 1 << 20, NULL, &err), 0);
    ck_assert_str_eq(error_get_pretty(err), "Failed to get \"write\" lock");
    error_free(err);
    qemu_io_release(&h);
    ck_assert_int_eq(create_file(img, 1 << 20, NULL, &error_abort), 0);
}
END_TEST

static Suite *file_posix_suite(void)
{
    Suite *s = suite_create("file-posix");
    TCase *tc = tcase_create("open");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_parse_filename);
    suite_add_tcase(s, tc);

    tc = tcase_create("io");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_rw_basic, 0, ARRAY_SIZE(backends));
    tcase_add_loop_test(tc, test_rw_concurrent, 0, ARRAY_SIZE(backends));
    tcase_add_loop_test(tc, test_read_eof, 0, ARRAY_SIZE(backends));
    tcase_add_loop_test(tc, test_write_zeroes, 0, 2);
    tcase_add_loop_test(tc, test_discard_and_stats, 0, 2);
    tcase_add_test(tc, test_flush_modes);
    tcase_add_test(tc, test_auto_read_only);
    tcase_add_test(tc, test_auto_read_only_immutable);
    tcase_add_loop_test(tc, test_reopen, 0, ARRAY_SIZE(backends));
    suite_add_tcase(s, tc);

    tc = tcase_create("metadata");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_truncate);
    tcase_add_test(tc, test_create);
    tcase_add_loop_test(tc, test_block_status, 0, 2);
    tcase_add_loop_test(tc, test_direct, 0, ARRAY_SIZE(backends));
    suite_add_tcase(s, tc);

    tc = tcase_create("locking");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lock_qemu_holds);
    tcase_add_test(tc, test_lock_we_hold);
    tcase_add_test(tc, test_lock_same_process);
    tcase_add_test(tc, test_lock_create);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(file_posix_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
