/*
 * Helpers shared by the tests of the file, raw and blkdebug drivers
 * (test-file-posix.c, test-raw.c, test-blkdebug.c): scratch directories on a
 * real disk, opening nodes from JSON options, host-side file access to check
 * what landed where, and running Debian's QEMU tools.
 */
#ifndef TESTS_UNIT_BFILE_TEST_UTIL_H
#define TESTS_UNIT_BFILE_TEST_UTIL_H

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <sys/stat.h>

#include "block/block-backend.h"
#include "block/block_int.h"
#include "qapi/qapi-visit.h"

/*
 * A fresh directory under /var/tmp: unlike a tmpfs /tmp it is on a disk
 * file system, with O_DIRECT and holes as images see them.
 */
static inline char *bt_tmpdir(void)
{
    char *dir = g_strdup("/var/tmp/minivm-bfile-XXXXXX");

    ck_assert_ptr_nonnull(g_mkdtemp(dir));
    return dir;
}

static MINIVM_UNUSED int bt_rm_one(const char *path, const struct stat *st, int flag,
                                   struct FTW *ftw)
{
    return remove(path);
}

static inline void bt_rmtree(char *dir)
{
    nftw(dir, bt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    g_free(dir);
}

/* Opens a node from JSON -blockdev options (printf-style).  NULL + errp on failure. */
static inline MINIVM_PRINTF(3, 4) BlockDriverState *bt_open(int flags, Error **errp,
                                                            const char *fmt, ...)
{
    BlockdevOptions *opts = NULL;
    BlockDriverState *bs;
    json_error_t jerr;
    va_list ap;
    char *text;
    json_t *j;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    j = json_loads(text, 0, &jerr);
    ck_assert_msg(j, "bad JSON in test: %s (%s)", text, jerr.text);
    if (!qapi_parse_BlockdevOptions(j, false, &opts, errp)) {
        json_decref(j);
        g_free(text);
        return NULL;
    }
    json_decref(j);
    g_free(text);
    bs = bdrv_open_blockdev(opts, flags, errp);
    qapi_free_BlockdevOptions(opts);
    return bs;
}

/* Opens, failing the test with the error text on failure. */
#define bt_open_ok(flags, ...)                                                                     \
    ({                                                                                             \
        Error *bt_err_ = NULL;                                                                     \
        BlockDriverState *bt_bs_ = bt_open((flags), &bt_err_, __VA_ARGS__);                        \
        ck_assert_msg(bt_bs_, "open failed: %s", bt_err_ ? error_get_pretty(bt_err_) : "?");       \
        bt_bs_;                                                                                    \
    })

/* Expects opening to fail with exactly 'msg'. */
#define bt_open_fails(msg, flags, ...)                                                             \
    do {                                                                                           \
        Error *bt_err_ = NULL;                                                                     \
        BlockDriverState *bt_bs_ = bt_open((flags), &bt_err_, __VA_ARGS__);                        \
        ck_assert_ptr_null(bt_bs_);                                                                \
        ck_assert_ptr_nonnull(bt_err_);                                                            \
        ck_assert_str_eq(error_get_pretty(bt_err_), (msg));                                        \
        error_free(bt_err_);                                                                       \
    } while (0)

/* A backend on bs taking perm and sharing shared; the test fails if refused. */
static inline BlockBackend *bt_blk(BlockDriverState *bs, uint64_t perm, uint64_t shared)
{
    BlockBackend *blk = blk_new(perm, shared);
    Error *err = NULL;

    ck_assert_msg(blk_insert_bs(blk, bs, &err), "blk_insert_bs: %s",
                  err ? error_get_pretty(err) : "?");
    return blk;
}

#define BT_PERM_RW (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_RESIZE)

/* Deterministic contents: byte i of a buffer seeded 'seed' at file offset 'off'. */
static inline uint8_t bt_pattern_byte(uint32_t seed, uint64_t off)
{
    uint64_t x = (off + 1) * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed << 32 | seed);

    x ^= x >> 29;
    return (uint8_t)(x * 0xBF58476D1CE4E5B9ULL >> 56);
}

static inline void bt_fill(void *buf, size_t len, uint32_t seed, uint64_t off)
{
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = bt_pattern_byte(seed, off + i);
    }
}

static inline bool bt_check(const void *buf, size_t len, uint32_t seed, uint64_t off)
{
    for (size_t i = 0; i < len; i++) {
        if (((const uint8_t *)buf)[i] != bt_pattern_byte(seed, off + i)) {
            return false;
        }
    }
    return true;
}

static inline bool bt_all(const void *buf, size_t len, uint8_t c)
{
    for (size_t i = 0; i < len; i++) {
        if (((const uint8_t *)buf)[i] != c) {
            return false;
        }
    }
    return true;
}

/* Host-side access to image files, bypassing minivm. */
static inline void bt_host_pwrite(const char *path, int64_t off, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, buf, len, off), (ssize_t)len);
    close(fd);
}

static inline void bt_host_pread(const char *path, int64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    n = pread(fd, buf, len, off);
    ck_assert_int_ge(n, 0);
    memset((char *)buf + n, 0, len - n);
    close(fd);
}

static inline void bt_host_truncate(const char *path, int64_t size)
{
    ck_assert_int_eq(truncate(path, size), 0);
}

static inline int64_t bt_host_size(const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

static inline int64_t bt_host_allocated(const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    return (int64_t)st.st_blocks * 512;
}

/* Runs a shell command line; returns the exit status, stdout/stderr in *out / *err. */
static inline int bt_run(char **out, char **err, const char *fmt, ...) MINIVM_PRINTF(3, 4);
static inline int bt_run(char **out, char **err, const char *fmt, ...)
{
    char *argv[] = {"/bin/sh", "-c", NULL, NULL};
    GError *gerr = NULL;
    int status = -1;
    va_list ap;

    va_start(ap, fmt);
    argv[2] = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ck_assert_msg(
        g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &gerr),
        "spawn: %s", gerr ? gerr->message : "?");
    g_free(argv[2]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The text error_report_err would print for err (message and hint); frees err. */
static inline char *bt_error_report_text(Error *err)
{
    char path[] = "/var/tmp/minivm-bfile-err-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    char *text = NULL;

    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    error_report_err(err);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    unlink(path);
    return text;
}

/* Runs fn(opaque) in a coroutine and waits for it. */
static inline void bt_co_run(CoroutineEntry *fn, void *opaque)
{
    coroutine_run_sync(fn, opaque);
}

/* Driver callbacks called directly, from a coroutine: the driver alone, without the core. */

typedef struct DrvCall {
    BlockDriverState *bs;
    int64_t off, bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    PreallocMode prealloc;
    Error **errp;
    int64_t pnum, map;
    BlockDriverState *file;
    bool want_zero;
    int ret;
} DrvCall;

static void coroutine_fn MINIVM_UNUSED co_read(void *o)
{
    DrvCall *c = o;
    c->ret = c->bs->drv->bdrv_co_preadv(c->bs, c->off, c->bytes, c->qiov, 0);
}

static void coroutine_fn MINIVM_UNUSED co_write(void *o)
{
    DrvCall *c = o;
    c->ret = c->bs->drv->bdrv_co_pwritev(c->bs, c->off, c->bytes, c->qiov, 0);
}

static void coroutine_fn MINIVM_UNUSED co_zeroes(void *o)
{
    DrvCall *c = o;
    c->ret = c->bs->drv->bdrv_co_pwrite_zeroes(c->bs, c->off, c->bytes, c->flags);
}

static void coroutine_fn MINIVM_UNUSED co_discard(void *o)
{
    DrvCall *c = o;
    c->ret = c->bs->drv->bdrv_co_pdiscard(c->bs, c->off, c->bytes);
}

static void coroutine_fn MINIVM_UNUSED co_flush(void *o)
{
    DrvCall *c = o;
    c->ret = c->bs->drv->bdrv_co_flush_to_disk(c->bs);
}

static void coroutine_fn MINIVM_UNUSED co_truncate(void *o)
{
    DrvCall *c = o;
    c->ret = c->bs->drv->bdrv_co_truncate(c->bs, c->off, true, c->prealloc, 0, c->errp);
}

static void coroutine_fn MINIVM_UNUSED co_status(void *o)
{
    DrvCall *c = o;
    c->ret = c->bs->drv->bdrv_co_block_status(c->bs, c->want_zero, c->off, c->bytes, &c->pnum,
                                              &c->map, &c->file);
}

static inline int drv_rw(BlockDriverState *bs, bool write, int64_t off, void *buf, int64_t len)
{
    QEMUIOVector qiov;
    DrvCall c = {.bs = bs, .off = off, .bytes = len, .qiov = &qiov};

    qemu_iovec_init_buf(&qiov, buf, len);
    bt_co_run(write ? co_write : co_read, &c);
    return c.ret;
}

static inline int drv_simple(BlockDriverState *bs, CoroutineEntry *fn, int64_t off, int64_t bytes,
                             BdrvRequestFlags flags)
{
    DrvCall c = {.bs = bs, .off = off, .bytes = bytes, .flags = flags};

    bt_co_run(fn, &c);
    return c.ret;
}

static inline int drv_truncate(BlockDriverState *bs, int64_t size, PreallocMode prealloc,
                               Error **errp)
{
    DrvCall c = {.bs = bs, .off = size, .prealloc = prealloc, .errp = errp};

    bt_co_run(co_truncate, &c);
    return c.ret;
}

static inline int drv_status(BlockDriverState *bs, bool want_zero, int64_t off, int64_t bytes,
                             int64_t *pnum, int64_t *map, BlockDriverState **file)
{
    DrvCall c = {.bs = bs, .off = off, .bytes = bytes, .want_zero = want_zero};

    bt_co_run(co_status, &c);
    *pnum = c.pnum;
    *map = c.map;
    *file = c.file;
    return c.ret;
}

#endif
