/*
 * Helpers shared by the qcow2 tests: a scratch directory per test, running
 * Debian's qemu-img / qemu-io, and opening images through the block layer.
 */
#ifndef TESTS_UNIT_QCOW2_TEST_UTIL_H
#define TESTS_UNIT_QCOW2_TEST_UTIL_H

#include <check.h>
#include <sys/wait.h>

#include "block/block-backend.h"
#include "block/block.h"
#include "block/block_int.h"
#include "block/qcow2.h"

static char *qt_dir;

static MINIVM_UNUSED void qt_setup(void)
{
    main_loop_init();
    bdrv_init();
    qt_dir = g_dir_make_tmp("test-qcow2-XXXXXX", NULL);
    ck_assert_ptr_nonnull(qt_dir);
}

static MINIVM_UNUSED void qt_teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", qt_dir);

    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", qt_dir);
    }
    g_free(qt_dir);
    qt_dir = NULL;
}

/* A path in the test's scratch directory (freed at the end of the test). */
static MINIVM_UNUSED const char *qt_path(const char *name)
{
    static GPtrArray *paths;

    if (!paths) {
        paths = g_ptr_array_new_with_free_func(g_free);
    }
    char *p = g_build_filename(qt_dir, name, NULL);
    g_ptr_array_add(paths, p);
    return p;
}

/* Runs a shell command; returns its exit status, *out gets stdout + stderr. */
static MINIVM_UNUSED int MINIVM_PRINTF(2, 3) qt_sh(char **out, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *cmd = NULL;
    g_autofree char *sout = NULL;
    g_autofree char *serr = NULL;
    int status = -1;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    if (!g_spawn_sync(qt_dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &sout, &serr, &status,
                      NULL)) {
        return -1;
    }
    if (out) {
        *out = g_strconcat(sout ? sout : "", serr ? serr : "", NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs a command that must succeed. */
#define qt_run(...)                                                                                \
    do {                                                                                           \
        g_autofree char *qt_out_ = NULL;                                                           \
        int qt_rc_ = qt_sh(&qt_out_, __VA_ARGS__);                                                 \
        ck_assert_msg(qt_rc_ == 0, "command failed (%d): %s", qt_rc_, qt_out_);                    \
    } while (0)

/* qemu-img check finds nothing wrong. */
#define qt_check_clean(img)                                                                        \
    do {                                                                                           \
        g_autofree char *qt_out_ = NULL;                                                           \
        int qt_rc_ = qt_sh(&qt_out_, "qemu-img check -f qcow2 '%s'", (img));                       \
        ck_assert_msg(qt_rc_ == 0 && strstr(qt_out_, "No errors were found"),                      \
                      "qemu-img check: %s", qt_out_);                                              \
    } while (0)

/* qemu-io commands (e.g. "read -P 0x11 0 4k") all succeed on img. */
#define qt_io(img, ...)                                                                            \
    do {                                                                                           \
        g_autofree char *qt_cmds_ = g_strdup_printf(__VA_ARGS__);                                  \
        g_autofree char *qt_out_ = NULL;                                                           \
        int qt_rc_ = qt_sh(&qt_out_, "qemu-io -f qcow2 %s '%s'", qt_cmds_, (img));                 \
        ck_assert_msg(qt_rc_ == 0 && !strstr(qt_out_, "failed"), "qemu-io %s: %s", qt_cmds_,       \
                      qt_out_);                                                                    \
    } while (0)

/* The image as a raw file's contents. */
static MINIVM_UNUSED uint8_t *qt_slurp(const char *path, gsize *len)
{
    char *data = NULL;

    ck_assert(g_file_get_contents(path, &data, len, NULL));
    return (uint8_t *)data;
}

static MINIVM_UNUSED char *qt_md5(const char *path)
{
    gsize len;
    g_autofree uint8_t *data = qt_slurp(path, &len);

    return g_compute_checksum_for_data(G_CHECKSUM_MD5, data, len);
}

/* Overwrites bytes of a file in place (hex editing images). */
static MINIVM_UNUSED void qt_poke(const char *path, uint64_t offset, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "r+b");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
    ck_assert_int_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

static MINIVM_UNUSED void qt_poke_be64(const char *path, uint64_t offset, uint64_t v)
{
    uint8_t b[8];

    qcow2_put_be64(b, v);
    qt_poke(path, offset, b, 8);
}

static MINIVM_UNUSED void qt_poke_be32(const char *path, uint64_t offset, uint32_t v)
{
    uint8_t b[4];

    qcow2_put_be32(b, v);
    qt_poke(path, offset, b, 4);
}

static MINIVM_UNUSED uint64_t qt_peek_be64(const char *path, uint64_t offset)
{
    gsize len;
    g_autofree uint8_t *d = qt_slurp(path, &len);

    ck_assert_uint_ge(len, offset + 8);
    return qcow2_be64(d + offset);
}

static MINIVM_UNUSED uint32_t qt_peek_be32(const char *path, uint64_t offset)
{
    gsize len;
    g_autofree uint8_t *d = qt_slurp(path, &len);

    ck_assert_uint_ge(len, offset + 4);
    return qcow2_be32(d + offset);
}

/* Opens an image through the block layer; NULL with *errp on failure. */
static MINIVM_UNUSED BlockBackend *qt_open_opts(const char *path, bool rw, const char *json_opts,
                                                Error **errp)
{
    json_t *extra = NULL;
    BlockDriverState *bs;
    BlockBackend *blk;

    if (json_opts) {
        extra = json_loads(json_opts, 0, NULL);
        ck_assert_ptr_nonnull(extra);
    }
    bs = bdrv_open_image(path, "qcow2", extra, rw ? BDRV_O_RDWR : 0, errp);
    json_decref(extra);
    if (!bs) {
        return NULL;
    }
    blk = blk_new(BLK_PERM_CONSISTENT_READ | (rw ? BLK_PERM_WRITE | BLK_PERM_RESIZE : 0),
                  BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        bdrv_unref(bs);
        return NULL;
    }
    bdrv_unref(bs);
    return blk;
}

static MINIVM_UNUSED BlockBackend *qt_open(const char *path, bool rw)
{
    Error *err = NULL;
    BlockBackend *blk = qt_open_opts(path, rw, NULL, &err);

    ck_assert_msg(blk, "open %s: %s", path, err ? error_get_pretty(err) : "?");
    return blk;
}

/* Error message of a failing open (caller frees). */
static MINIVM_UNUSED char *qt_open_error(const char *path, bool rw, const char *json_opts)
{
    Error *err = NULL;
    BlockBackend *blk = qt_open_opts(path, rw, json_opts, &err);

    if (blk) {
        blk_unref(blk);
        return NULL;
    }
    char *msg = g_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

static MINIVM_UNUSED void qt_write(BlockBackend *blk, int64_t off, int64_t len, int pat)
{
    g_autofree uint8_t *buf = g_malloc(len);

    memset(buf, pat, len);
    ck_assert_int_eq(blk_pwrite(blk, off, len, buf, 0), 0);
}

/* Reads [off, off + len) and checks every byte is pat. */
static MINIVM_UNUSED void qt_expect(BlockBackend *blk, int64_t off, int64_t len, int pat)
{
    g_autofree uint8_t *buf = g_malloc(len);

    ck_assert_int_eq(blk_pread(blk, off, len, buf, 0), 0);
    /* One assertion, not one per byte: each costs a message to the test runner. */
    int64_t i = 0;
    while (i < len && buf[i] == (uint8_t)pat) {
        i++;
    }
    ck_assert_msg(i == len, "byte %" PRId64 " is %#x, expected %#x", off + i, i < len ? buf[i] : 0,
                  pat);
}

static MINIVM_UNUSED BDRVQcow2State *qt_state(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    ck_assert_str_eq(bs->drv->format_name, "qcow2");
    return bs->opaque;
}

typedef struct QtReq {
    BlockBackend *blk;
    int64_t off, len;
    int flags;
    int kind; /* 0 zeroes, 1 discard, 2 flush */
    int ret;
} QtReq;

static MINIVM_UNUSED void coroutine_fn qt_req_entry(void *opaque)
{
    QtReq *r = opaque;

    switch (r->kind) {
    case 0:
        r->ret = blk_co_pwrite_zeroes(r->blk, r->off, r->len, r->flags);
        break;
    case 1:
        r->ret = blk_co_pdiscard(r->blk, r->off, r->len);
        break;
    default:
        r->ret = blk_co_flush(r->blk);
        break;
    }
}

static MINIVM_UNUSED int qt_zero(BlockBackend *blk, int64_t off, int64_t len, int flags)
{
    QtReq r = {.blk = blk, .off = off, .len = len, .flags = flags, .kind = 0};

    coroutine_run_sync(qt_req_entry, &r);
    return r.ret;
}

static MINIVM_UNUSED int qt_discard(BlockBackend *blk, int64_t off, int64_t len)
{
    QtReq r = {.blk = blk, .off = off, .len = len, .kind = 1};

    coroutine_run_sync(qt_req_entry, &r);
    return r.ret;
}

typedef struct QtStatus {
    BlockDriverState *bs;
    int64_t off, bytes, pnum, map;
    BlockDriverState *file;
    int ret;
} QtStatus;

static MINIVM_UNUSED void coroutine_fn qt_status_entry(void *opaque)
{
    QtStatus *st = opaque;

    st->ret = st->bs->drv->bdrv_co_block_status(st->bs, true, st->off, st->bytes, &st->pnum,
                                                &st->map, &st->file);
}

/* The driver's own block status of [off, off + bytes). */
static MINIVM_UNUSED int qt_status(BlockBackend *blk, int64_t off, int64_t bytes, int64_t *pnum,
                                   int64_t *map)
{
    QtStatus st = {.bs = blk_bs(blk), .off = off, .bytes = bytes, .map = -1};

    coroutine_run_sync(qt_status_entry, &st);
    *pnum = st.pnum;
    *map = st.map;
    return st.ret;
}

typedef struct QtCheck {
    BlockDriverState *bs;
    BdrvCheckResult res;
    int fix;
    int ret;
} QtCheck;

static MINIVM_UNUSED void coroutine_fn qt_check_entry(void *opaque)
{
    QtCheck *c = opaque;

    c->ret = c->bs->drv->bdrv_co_check(c->bs, &c->res, c->fix);
}

/* Runs our driver's check on an open image; returns its return value. */
static MINIVM_UNUSED int qt_our_check_ret(BlockBackend *blk, int fix, BdrvCheckResult *res)
{
    QtCheck c = {.bs = blk_bs(blk), .fix = fix};

    coroutine_run_sync(qt_check_entry, &c);
    *res = c.res;
    return c.ret;
}

/* Runs our driver's check on an open image, which must succeed. */
static MINIVM_UNUSED BdrvCheckResult qt_our_check(BlockBackend *blk, int fix)
{
    BdrvCheckResult res;

    ck_assert_int_ge(qt_our_check_ret(blk, fix, &res), 0);
    return res;
}

#endif
