/*
 * The request path: bounds and permission checks, read-modify-write of
 * unaligned requests on a node with a 4096-byte request alignment (and
 * serialisation of overlapping ones: concurrent unaligned writes into one
 * block all land), splitting at max_transfer, zero writes and their
 * fallback, detect-zeroes, discard, flush and FUA emulation, truncate,
 * drain, and block status through a three-layer backing chain.
 *
 * The nodes are run by in-test drivers: "testmem" keeps its data in memory,
 * records every call and fails the test on a request that breaks its
 * alignment; "testcow" adds a per-cluster allocation map and a backing file.
 */
#include "block-test-util.h"

#define MEM_SIZE (256 * 1024)
#define CLUSTER 4096

typedef struct MemState {
    uint8_t *data;
    int64_t size;
    uint32_t align;
    uint64_t max_transfer;
    bool zeroes_supported;
    bool fua_supported;
    int64_t delay_ns; /* each request sleeps this long */
    /* observations */
    int reads, writes, zero_calls, discards, flushes;
    int64_t max_request;
    bool misaligned;
    int in_driver, max_in_driver;
    uint64_t last_write_flags;
    /* testcow */
    bool alloc[MEM_SIZE / CLUSTER];
} MemState;

static MemState *mem(BlockDriverState *bs)
{
    return bs->opaque;
}

static void mem_check(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    MemState *s = mem(bs);

    if (offset % s->align || bytes % s->align) {
        s->misaligned = true;
    }
    if (s->max_transfer && (uint64_t)bytes > s->max_transfer) {
        s->misaligned = true;
    }
    s->max_request = MAX(s->max_request, bytes);
}

static void coroutine_fn mem_enter(BlockDriverState *bs)
{
    MemState *s = mem(bs);

    s->in_driver++;
    s->max_in_driver = MAX(s->max_in_driver, s->in_driver);
    /* Let other requests run meanwhile, as real I/O would. */
    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, s->delay_ns ? s->delay_ns : 1000);
}

static void mem_leave(BlockDriverState *bs)
{
    mem(bs)->in_driver--;
}

static int coroutine_fn mem_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    MemState *s = mem(bs);
    int64_t n = MAX(0, MIN(bytes, s->size - offset));

    mem_check(bs, offset, bytes);
    s->reads++;
    mem_enter(bs);
    qemu_iovec_from_buf(qiov, 0, s->data + offset, n);
    qemu_iovec_memset(qiov, n, 0, bytes - n);
    mem_leave(bs);
    return 0;
}

static int coroutine_fn mem_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                       QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    MemState *s = mem(bs);

    mem_check(bs, offset, bytes);
    s->writes++;
    s->last_write_flags = flags;
    ck_assert_int_le(offset + bytes, s->size);
    mem_enter(bs);
    qemu_iovec_to_buf(qiov, 0, s->data + offset, bytes);
    mem_leave(bs);
    return 0;
}

static int coroutine_fn mem_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                             BdrvRequestFlags flags)
{
    MemState *s = mem(bs);

    if (!s->zeroes_supported) {
        return -ENOTSUP;
    }
    mem_check(bs, offset, bytes);
    s->zero_calls++;
    mem_enter(bs);
    memset(s->data + offset, 0, bytes);
    mem_leave(bs);
    return 0;
}

static int coroutine_fn mem_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    MemState *s = mem(bs);

    mem_check(bs, offset, bytes);
    s->discards++;
    memset(s->data + offset, 0, bytes);
    return 0;
}

static int coroutine_fn mem_co_flush(BlockDriverState *bs)
{
    mem(bs)->flushes++;
    return 0;
}

static int coroutine_fn mem_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                        PreallocMode prealloc, BdrvRequestFlags flags, Error **errp)
{
    MemState *s = mem(bs);

    if (offset > MEM_SIZE) {
        error_setg(errp, "too big for the test");
        return -EINVAL;
    }
    if (offset > s->size) {
        memset(s->data + s->size, 0, offset - s->size);
    }
    s->size = offset;
    return 0;
}

static int64_t mem_getlength(BlockDriverState *bs)
{
    return mem(bs)->size;
}

static void mem_refresh_limits(BlockDriverState *bs, Error **errp)
{
    MemState *s = mem(bs);

    bs->bl.request_alignment = s->align ? s->align : 1;
    bs->bl.max_transfer = s->max_transfer;
}

static void mem_close(BlockDriverState *bs)
{
    g_free(mem(bs)->data);
}

static BlockDriver mem_drv = {
    .format_name = "testmem",
    .instance_size = sizeof(MemState),
    .bdrv_co_preadv = mem_co_preadv,
    .bdrv_co_pwritev = mem_co_pwritev,
    .bdrv_co_pwrite_zeroes = mem_co_pwrite_zeroes,
    .bdrv_co_pdiscard = mem_co_pdiscard,
    .bdrv_co_flush_to_disk = mem_co_flush,
    .bdrv_co_truncate = mem_co_truncate,
    .bdrv_getlength = mem_getlength,
    .bdrv_refresh_limits = mem_refresh_limits,
    .bdrv_close = mem_close,
};

/* A memory node of 'size' bytes, filled with a pattern. */
static BlockDriverState *mem_node(const char *name, int64_t size, uint32_t align)
{
    BlockDriverState *bs = bt_node(&mem_drv, name, true);
    MemState *s = mem(bs);

    s->data = g_malloc(MEM_SIZE);
    for (int i = 0; i < MEM_SIZE; i++) {
        s->data[i] = (uint8_t)(i * 13 + 7);
    }
    s->size = size;
    s->align = align;
    bdrv_refresh_limits(bs);
    bs->total_bytes = size;
    return bs;
}

static BlockBackend *backend_on(BlockDriverState *bs)
{
    BlockBackend *blk =
        blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_RESIZE, BLK_PERM_ALL);

    ck_assert(blk_insert_bs(blk, bs, &error_abort));
    return blk;
}

static void setup(void)
{
    main_loop_init();
}

static void teardown(void)
{
}

/* ---------------------------------------------------------------- coroutine helpers */

typedef struct Req {
    BlockBackend *blk;
    BdrvChild *child;
    int64_t offset, bytes;
    uint8_t *buf;
    BdrvRequestFlags flags;
    int op; /* 0 read, 1 write, 2 zeroes, 3 discard, 4 flush */
    int ret;
    bool done;
} Req;

static void coroutine_fn req_entry(void *opaque)
{
    Req *r = opaque;

    if (r->blk) {
        QEMUIOVector qiov;

        if (r->buf) {
            qemu_iovec_init_buf(&qiov, r->buf, r->bytes);
        }
        switch (r->op) {
        case 0:
            r->ret = blk_co_preadv(r->blk, r->offset, r->bytes, &qiov, r->flags);
            break;
        case 1:
            r->ret = blk_co_pwritev(r->blk, r->offset, r->bytes, &qiov, r->flags);
            break;
        case 2:
            r->ret = blk_co_pwrite_zeroes(r->blk, r->offset, r->bytes, r->flags);
            break;
        case 3:
            r->ret = blk_co_pdiscard(r->blk, r->offset, r->bytes);
            break;
        default:
            r->ret = blk_co_flush(r->blk);
        }
    } else {
        switch (r->op) {
        case 0:
            r->ret = bdrv_co_pread(r->child, r->offset, r->bytes, r->buf, r->flags);
            break;
        case 1:
            r->ret = bdrv_co_pwrite(r->child, r->offset, r->bytes, r->buf, r->flags);
            break;
        case 2:
            r->ret = bdrv_co_pwrite_zeroes(r->child, r->offset, r->bytes, r->flags);
            break;
        case 3:
            r->ret = bdrv_co_pdiscard(r->child, r->offset, r->bytes);
            break;
        default:
            r->ret = bdrv_co_flush(r->child->bs);
        }
    }
    r->done = true;
}

/* Runs one request to completion. */
static int run(Req r)
{
    coroutine_run_sync(req_entry, &r);
    return r.ret;
}

static int blk_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes, BdrvRequestFlags flags)
{
    return run((Req){.blk = blk, .op = 2, .offset = offset, .bytes = bytes, .flags = flags});
}

/* ---------------------------------------------------------------- bounds */

static const BdrvChildClass test_parent = {
    .parent_is_bds = false,
};

START_TEST(test_bounds_and_perms)
{
    BlockDriverState *bs = mem_node("m", 8192, 1);
    BlockBackend *blk = backend_on(bs);
    BdrvChild *reader;
    uint8_t buf[200];

    ck_assert_int_eq(blk_pread(blk, -1, 10, buf, 0), -EIO);
    ck_assert_int_eq(blk_pread(blk, 8190, 10, buf, 0), -EIO);
    ck_assert_int_eq(blk_pwrite(blk, 8192, 1, buf, 0), -EIO);
    ck_assert_int_eq(blk_pread(blk, 8192, 0, buf, 0), 0);
    ck_assert_int_eq(blk_get_stats(blk)->invalid_ops[BLOCK_ACCT_READ], 2);
    ck_assert_int_eq(blk_get_stats(blk)->invalid_ops[BLOCK_ACCT_WRITE], 1);

    /* On a node edge: past the end reads as zeroes; no write permission,
     * no write. */
    reader = bdrv_root_attach_child(bs, "reader", &test_parent, 0, BLK_PERM_CONSISTENT_READ,
                                    BLK_PERM_ALL, NULL, &error_abort);
    memset(buf, 0xff, sizeof(buf));
    ck_assert_int_eq(bdrv_pread(reader, 8100, 200, buf, 0), 0);
    ck_assert_mem_eq(buf, mem(bs)->data + 8100, 92);
    for (int i = 92; i < 200; i++) {
        ck_assert_uint_eq(buf[i], 0);
    }
    ck_assert_int_eq(bdrv_pwrite(reader, 0, 10, buf, 0), -EPERM);
    ck_assert_int_eq(bdrv_pread(reader, -5, 10, buf, 0), -EIO);
    ck_assert_int_eq(bdrv_pread(reader, BDRV_MAX_LENGTH, 10, buf, 0), -EIO);
    bdrv_root_unref_child(reader);

    /* A read-only node takes no write. */
    ck_assert_int_eq(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, &error_abort), 0);
    ck_assert_int_eq(bdrv_reopen_set_read_only(bs, true, &error_abort), 0);
    ck_assert_int_eq(blk_pwrite(blk, 0, 10, buf, 0), -EPERM);
    ck_assert_int_eq(blk_get_stats(blk)->failed_ops[BLOCK_ACCT_WRITE], 1);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* ---------------------------------------------------------------- alignment */

START_TEST(test_unaligned_rmw)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 4096);
    BlockBackend *blk = backend_on(bs);
    uint8_t *shadow = g_memdup2(mem(bs)->data, MEM_SIZE);
    uint8_t *buf = g_malloc(3 * 4096 + 100);
    GRand *rand = g_rand_new_with_seed(42);

    /* Writes and reads at every kind of offset and length. */
    for (int i = 0; i < 300; i++) {
        int64_t len = g_rand_int_range(rand, 1, 3 * 4096 + 100);
        int64_t off = g_rand_int_range(rand, 0, MEM_SIZE - len);

        if (i % 2) {
            for (int k = 0; k < len; k++) {
                buf[k] = (uint8_t)g_rand_int(rand);
            }
            ck_assert_int_eq(blk_pwrite(blk, off, len, buf, 0), 0);
            memcpy(shadow + off, buf, len);
        } else {
            ck_assert_int_eq(blk_pread(blk, off, len, buf, 0), 0);
            ck_assert_mem_eq(buf, shadow + off, len);
        }
    }
    ck_assert_mem_eq(mem(bs)->data, shadow, MEM_SIZE);
    ck_assert(!mem(bs)->misaligned);

    /* One byte in the middle of a block: one read, one write of the block. */
    mem(bs)->reads = mem(bs)->writes = 0;
    ck_assert_int_eq(blk_pwrite(blk, 5000, 1, "x", 0), 0);
    ck_assert_int_eq(mem(bs)->reads, 1);
    ck_assert_int_eq(mem(bs)->writes, 1);
    ck_assert_uint_eq(mem(bs)->data[5000], 'x');
    /* Straddling two blocks: both read, one write of both. */
    mem(bs)->reads = mem(bs)->writes = 0;
    mem(bs)->max_request = 0;
    ck_assert_int_eq(blk_pwrite(blk, 4090, 12, "abcdefghijkl", 0), 0);
    ck_assert_int_eq(mem(bs)->reads, 2);
    ck_assert_int_eq(mem(bs)->writes, 1);
    ck_assert_int_eq(mem(bs)->max_request, 8192);
    ck_assert_mem_eq(mem(bs)->data + 4090, "abcdefghijkl", 12);
    ck_assert(!mem(bs)->misaligned);

    g_rand_free(rand);
    g_free(buf);
    g_free(shadow);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_concurrent_unaligned_writes)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 4096);
    BlockBackend *blk = backend_on(bs);
    enum { N = 32 };
    Req reqs[N];
    uint8_t bufs[N][64];

    /* N writers, each to its own bytes of the same two blocks, all in
     * flight at once: every read-modify-write must see the others. */
    mem(bs)->delay_ns = 200 * 1000;
    for (int i = 0; i < N; i++) {
        memset(bufs[i], 'A' + i % 26, sizeof(bufs[i]));
        reqs[i] = (Req){
            .blk = blk, .op = 1, .offset = 4096 - N * 32 + i * 64 + 3, .bytes = 60, .buf = bufs[i]};
        bt_co_start(req_entry, &reqs[i]);
    }
    for (int i = 0; i < N; i++) {
        MAIN_LOOP_WAIT_WHILE(!reqs[i].done);
        ck_assert_int_eq(reqs[i].ret, 0);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_mem_eq(mem(bs)->data + reqs[i].offset, bufs[i], 60);
    }
    /* The bytes between the writers are untouched. */
    for (int i = 0; i < N; i++) {
        int64_t gap = reqs[i].offset - 3;

        for (int k = 0; k < 3; k++) {
            ck_assert_uint_eq(mem(bs)->data[gap + k], (uint8_t)((gap + k) * 13 + 7));
        }
    }
    ck_assert(!mem(bs)->misaligned);
    ck_assert_int_eq(bs->in_flight, 0);
    ck_assert_ptr_null(bs->tracked_requests);

    /* Aligned writes to distinct blocks do run concurrently. */
    mem(bs)->max_in_driver = 0;
    for (int i = 0; i < 8; i++) {
        reqs[i] =
            (Req){.blk = blk, .op = 1, .offset = 65536 + i * 4096, .bytes = 64, .buf = bufs[i]};
        reqs[i].bytes = 4096;
        reqs[i].buf = g_malloc0(4096);
        bt_co_start(req_entry, &reqs[i]);
    }
    for (int i = 0; i < 8; i++) {
        MAIN_LOOP_WAIT_WHILE(!reqs[i].done);
        g_free(reqs[i].buf);
    }
    ck_assert_int_gt(mem(bs)->max_in_driver, 1);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_max_transfer)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 512);
    BlockBackend *blk;
    uint8_t *buf = g_malloc(100000), *back = g_malloc(100000);

    mem(bs)->max_transfer = 8192;
    bdrv_refresh_limits(bs);
    blk = backend_on(bs);
    for (int i = 0; i < 100000; i++) {
        buf[i] = (uint8_t)(i ^ (i >> 8));
    }
    ck_assert_int_eq(blk_pwrite(blk, 1000, 100000, buf, 0), 0);
    ck_assert_int_eq(mem(bs)->max_request, 8192);
    ck_assert_int_ge(mem(bs)->writes, 100000 / 8192);
    ck_assert_int_eq(blk_pread(blk, 1000, 100000, back, 0), 0);
    ck_assert_mem_eq(buf, back, 100000);
    ck_assert(!mem(bs)->misaligned);
    ck_assert_uint_eq(blk_get_max_transfer(blk), 8192);
    ck_assert_uint_eq(blk_get_request_alignment(blk), 512);
    g_free(buf);
    g_free(back);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* ---------------------------------------------------------------- zeroes */

static bool all_zero(const uint8_t *p, size_t n)
{
    return buffer_is_zero(p, n);
}

START_TEST(test_write_zeroes)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 4096);
    BlockBackend *blk = backend_on(bs);
    MemState *s = mem(bs);

    /* No driver support: zeroes are written as data. */
    ck_assert_int_eq(blk_zeroes(blk, 8192, 3 * 4096, 0), 0);
    ck_assert(all_zero(s->data + 8192, 3 * 4096));
    ck_assert_int_eq(s->zero_calls, 0);
    ck_assert_int_eq(s->writes, 1);
    ck_assert_int_eq(blk_zeroes(blk, 65536, 4096, BDRV_REQ_NO_FALLBACK), -ENOTSUP);
    ck_assert(!all_zero(s->data + 65536, 4096));

    /* With support, unaligned: edges by read-modify-write, middle natively. */
    s->zeroes_supported = true;
    s->writes = s->reads = 0;
    ck_assert_int_eq(blk_zeroes(blk, 65536 + 100, 3 * 4096, 0), 0);
    ck_assert(all_zero(s->data + 65536 + 100, 3 * 4096));
    ck_assert_uint_eq(s->data[65536 + 99], (uint8_t)((65536 + 99) * 13 + 7));
    ck_assert_uint_eq(s->data[65536 + 100 + 3 * 4096],
                      (uint8_t)((65536 + 100 + 3 * 4096) * 13 + 7));
    ck_assert_int_eq(s->zero_calls, 1);
    ck_assert_int_eq(s->reads, 2);
    ck_assert_int_eq(s->writes, 2);
    /* Inside one block. */
    ck_assert_int_eq(blk_zeroes(blk, 100000, 10, 0), 0);
    ck_assert(all_zero(s->data + 100000, 10));
    ck_assert_uint_ne(s->data[100010], 0);
    ck_assert(!s->misaligned);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_detect_zeroes)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 1);
    BlockBackend *blk = backend_on(bs);
    uint8_t zeroes[4096] = {0};

    mem(bs)->zeroes_supported = true;
    ck_assert_int_eq(blk_pwrite(blk, 0, 4096, zeroes, 0), 0);
    ck_assert_int_eq(mem(bs)->zero_calls, 0);
    ck_assert_int_eq(mem(bs)->writes, 1);

    bs->detect_zeroes = BLOCKDEV_DETECT_ZEROES_OPTIONS_ON;
    ck_assert_int_eq(blk_pwrite(blk, 8192, 4096, zeroes, 0), 0);
    ck_assert_int_eq(mem(bs)->zero_calls, 1);
    ck_assert_int_eq(mem(bs)->writes, 1);
    ck_assert(all_zero(mem(bs)->data + 8192, 4096));
    /* Non-zero data still goes as data. */
    ck_assert_int_eq(blk_pwrite(blk, 8192, 3, "abc", 0), 0);
    ck_assert_int_eq(mem(bs)->writes, 2);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_discard)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 4096);
    BlockBackend *blk = backend_on(bs);

    /* discard=ignore (no BDRV_O_UNMAP): accepted, nothing happens. */
    ck_assert_int_eq(run((Req){.blk = blk, .op = 3, .offset = 0, .bytes = 65536}), 0);
    ck_assert_int_eq(mem(bs)->discards, 0);
    ck_assert_int_eq(blk_get_stats(blk)->nr_ops[BLOCK_ACCT_UNMAP], 1);

    bs->open_flags |= BDRV_O_UNMAP;
    /* Only the whole blocks inside the range are discarded. */
    ck_assert_int_eq(run((Req){.blk = blk, .op = 3, .offset = 100, .bytes = 3 * 4096}), 0);
    ck_assert_int_eq(mem(bs)->discards, 1);
    ck_assert(all_zero(mem(bs)->data + 4096, 2 * 4096));
    ck_assert_uint_ne(mem(bs)->data[4095], 0);
    ck_assert(!mem(bs)->misaligned);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* ---------------------------------------------------------------- flush */

START_TEST(test_flush_and_fua)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 1);
    BlockBackend *blk = backend_on(bs);

    /* Nothing written since open: nothing to flush. */
    ck_assert_int_eq(blk_flush(blk), 0);
    ck_assert_int_eq(mem(bs)->flushes, 0);
    ck_assert_int_eq(blk_pwrite(blk, 0, 3, "abc", 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);
    ck_assert_int_eq(mem(bs)->flushes, 1);
    ck_assert_int_eq(blk_flush(blk), 0);
    ck_assert_int_eq(mem(bs)->flushes, 1);
    ck_assert_int_eq(blk_get_stats(blk)->nr_ops[BLOCK_ACCT_FLUSH], 3);

    /* FUA on a driver without it: a flush after the write. */
    ck_assert_int_eq(blk_pwrite(blk, 0, 3, "def", BDRV_REQ_FUA), 0);
    ck_assert_int_eq(mem(bs)->flushes, 2);
    ck_assert_uint_eq(mem(bs)->last_write_flags & BDRV_REQ_FUA, 0);
    /* Write cache off: every write is FUA. */
    blk_set_enable_write_cache(blk, false);
    ck_assert(!blk_enable_write_cache(blk));
    ck_assert_int_eq(blk_pwrite(blk, 0, 3, "ghi", 0), 0);
    ck_assert_int_eq(mem(bs)->flushes, 3);
    blk_set_enable_write_cache(blk, true);

    /* cache.no-flush: data is never forced to the disk. */
    bs->open_flags |= BDRV_O_NO_FLUSH;
    ck_assert_int_eq(blk_pwrite(blk, 0, 3, "jkl", 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);
    ck_assert_int_eq(mem(bs)->flushes, 3);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* ---------------------------------------------------------------- truncate */

static int resize_calls;

static void on_resize(void *opaque)
{
    resize_calls++;
}

static const BlockDevOps resize_ops = {.resize_cb = on_resize};

START_TEST(test_truncate)
{
    BlockDriverState *bs = mem_node("m", 8192, 1);
    BlockBackend *blk = backend_on(bs);
    BlockBackend *ro = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;
    int dev;

    blk_attach_dev(blk, &dev, "dev");
    blk_set_dev_ops(blk, &resize_ops, NULL);
    ck_assert_int_eq(blk_truncate(blk, 65536, false, PREALLOC_MODE_OFF, 0, &error_abort), 0);
    ck_assert_int_eq(blk_getlength(blk), 65536);
    ck_assert_int_eq(resize_calls, 1);
    ck_assert_int_eq(blk_truncate(blk, -1, false, PREALLOC_MODE_OFF, 0, &err), -EINVAL);
    bt_assert_error(err, "Image size cannot be negative");
    ck_assert_int_eq(blk_truncate(blk, MEM_SIZE * 2, false, PREALLOC_MODE_OFF, 0, &err), -EINVAL);
    bt_assert_error(err, "too big for the test");
    ck_assert_int_eq(blk_getlength(blk), 65536);
    /* Without the resize permission. */
    ck_assert(blk_insert_bs(ro, bs, &error_abort));
    ck_assert_int_eq(blk_truncate(ro, 4096, false, PREALLOC_MODE_OFF, 0, &err), -EPERM);
    bt_assert_error(err, "Permission 'resize' is not held on node 'm'");
    blk_unref(ro);
    blk_detach_dev(blk, &dev);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* ---------------------------------------------------------------- drain */

typedef struct AioResult {
    int done;
    int ret;
} AioResult;

static void aio_cb(void *opaque, int ret)
{
    AioResult *r = opaque;

    r->done++;
    r->ret = ret;
}

START_TEST(test_drain)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 1);
    BlockBackend *blk = backend_on(bs);
    uint8_t buf[3][512];
    QEMUIOVector qiov[3];
    AioResult r[3] = {{0}};

    mem(bs)->delay_ns = 20 * 1000 * 1000;
    for (int i = 0; i < 3; i++) {
        memset(buf[i], 'a' + i, 512);
        qemu_iovec_init_buf(&qiov[i], buf[i], 512);
    }
    blk_aio_pwritev(blk, 0, &qiov[0], 0, aio_cb, &r[0]);
    blk_aio_pwritev(blk, 4096, &qiov[1], 0, aio_cb, &r[1]);
    ck_assert_int_eq(bs->in_flight, 2);
    ck_assert_int_eq(r[0].done + r[1].done, 0);

    /* drained_begin returns only when both are done, callbacks included. */
    bdrv_drained_begin(bs);
    ck_assert_int_eq(r[0].done, 1);
    ck_assert_int_eq(r[1].done, 1);
    ck_assert_int_eq(bs->in_flight, 0);
    ck_assert(bdrv_is_drained(bs));
    ck_assert_int_eq(mem(bs)->writes, 2);

    /* New requests wait for drained_end, through nested drains. */
    bdrv_drained_begin(bs);
    blk_aio_pwritev(blk, 8192, &qiov[2], 0, aio_cb, &r[2]);
    for (int i = 0; i < 50; i++) {
        main_loop_iterate(false);
    }
    g_usleep(30 * 1000);
    for (int i = 0; i < 50; i++) {
        main_loop_iterate(false);
    }
    ck_assert_int_eq(mem(bs)->writes, 2);
    ck_assert_int_eq(r[2].done, 0);
    bdrv_drained_end(bs);
    for (int i = 0; i < 50; i++) {
        main_loop_iterate(false);
    }
    ck_assert_int_eq(mem(bs)->writes, 2);
    bdrv_drained_end(bs);
    ck_assert(!bdrv_is_drained(bs));
    MAIN_LOOP_WAIT_WHILE(!r[2].done);
    ck_assert_int_eq(r[2].ret, 0);
    ck_assert_int_eq(mem(bs)->writes, 3);
    ck_assert_mem_eq(mem(bs)->data + 8192, buf[2], 512);

    /* drain_all and blk_drain wait as well. */
    blk_aio_pwritev(blk, 0, &qiov[0], 0, aio_cb, &r[0]);
    bdrv_drain_all_begin();
    ck_assert_int_eq(r[0].done, 2);
    bdrv_drain_all_end();
    blk_aio_pwritev(blk, 0, &qiov[1], 0, aio_cb, &r[1]);
    blk_drain(blk);
    ck_assert_int_eq(r[1].done, 2);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

typedef struct DrainInCo {
    BlockDriverState *bs;
    AioResult *r;
    bool checked, done;
} DrainInCo;

static void coroutine_fn drain_in_co_entry(void *opaque)
{
    DrainInCo *d = opaque;

    bdrv_drained_begin(d->bs);
    d->checked = d->r->done == 1 && d->bs->in_flight == 0 && bdrv_is_drained(d->bs);
    bdrv_drained_end(d->bs);
    d->done = true;
}

/* Draining from a coroutine waits the same way (from the main loop). */
START_TEST(test_drain_in_coroutine)
{
    BlockDriverState *bs = mem_node("m", MEM_SIZE, 1);
    BlockBackend *blk = backend_on(bs);
    uint8_t buf[512] = {0};
    QEMUIOVector qiov;
    AioResult r = {0};
    DrainInCo d = {.bs = bs, .r = &r};

    mem(bs)->delay_ns = 10 * 1000 * 1000;
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_cb, &r);
    bt_co_start(drain_in_co_entry, &d);
    MAIN_LOOP_WAIT_WHILE(!d.done);
    ck_assert(d.checked);
    ck_assert(!bdrv_is_drained(bs));
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* A node-level drain quiesces the parent node's users too. */
START_TEST(test_drain_parent_chain)
{
    BlockDriverState *lower = mem_node("lower", MEM_SIZE, 1);
    BlockDriverState *upper = bt_open("{\"driver\": \"raw\", \"node-name\": \"upper\", "
                                      "\"file\": \"lower\"}",
                                      &error_abort);
    BlockBackend *blk = backend_on(upper);
    uint8_t buf[512] = {1};
    QEMUIOVector qiov;
    AioResult r = {0};

    mem(lower)->delay_ns = 10 * 1000 * 1000;
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_cb, &r);
    bdrv_drained_begin(lower);
    ck_assert_int_eq(r.done, 1);
    ck_assert(upper->quiesce_counter > 0);
    blk_aio_pwritev(blk, 512, &qiov, 0, aio_cb, &r);
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(false);
    }
    ck_assert_int_eq(mem(lower)->writes, 1);
    bdrv_drained_end(lower);
    ck_assert_int_eq(upper->quiesce_counter, 0);
    MAIN_LOOP_WAIT_WHILE(r.done < 2);
    ck_assert_int_eq(mem(lower)->writes, 2);
    blk_unref(blk);
    bdrv_unref(upper);
    bdrv_unref(lower);
}
END_TEST

/* ---------------------------------------------------------------- block status */

static int coroutine_fn cow_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    MemState *s = mem(bs);

    for (int64_t done = 0; done < bytes;) {
        int64_t pos = offset + done;
        int64_t n = MIN(bytes - done, CLUSTER - pos % CLUSTER);
        int ret = 0;

        if (pos < s->size && s->alloc[pos / CLUSTER]) {
            qemu_iovec_from_buf(qiov, done, s->data + pos, n);
        } else if (bs->backing) {
            QEMUIOVector part;

            qemu_iovec_init(&part, 2);
            qemu_iovec_concat(&part, qiov, done, n);
            ret = bdrv_co_preadv(bs->backing, pos, n, &part, 0);
            qemu_iovec_destroy(&part);
        } else {
            qemu_iovec_memset(qiov, done, 0, n);
        }
        if (ret < 0) {
            return ret;
        }
        done += n;
    }
    return 0;
}

static int coroutine_fn cow_co_block_status(BlockDriverState *bs, bool want_zero, int64_t offset,
                                            int64_t bytes, int64_t *pnum, int64_t *map,
                                            BlockDriverState **file)
{
    MemState *s = mem(bs);
    bool first = s->alloc[offset / CLUSTER];
    int64_t n = 0;

    while (n < bytes && s->alloc[(offset + n) / CLUSTER] == first) {
        n += CLUSTER - (offset + n) % CLUSTER;
    }
    *pnum = MIN(n, bytes);
    if (!first) {
        return 0;
    }
    *map = offset;
    *file = bs;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
}

static BlockDriver cow_drv = {
    .format_name = "testcow",
    .instance_size = sizeof(MemState),
    .supports_backing = true,
    .bdrv_co_preadv = cow_co_preadv,
    .bdrv_co_block_status = cow_co_block_status,
    .bdrv_getlength = mem_getlength,
    .bdrv_close = mem_close,
};

static BlockDriverState *cow_node(const char *name, int64_t size, const int *clusters, int n,
                                  uint8_t fill)
{
    BlockDriverState *bs = bt_node(&cow_drv, name, false);
    MemState *s = mem(bs);

    s->data = g_malloc(MEM_SIZE);
    memset(s->data, fill, MEM_SIZE);
    s->size = size;
    for (int i = 0; i < n; i++) {
        s->alloc[clusters[i]] = true;
    }
    bs->total_bytes = size;
    return bs;
}

typedef struct StatusCo {
    BlockDriverState *bs, *base;
    int64_t offset, bytes, pnum, map;
    BlockDriverState *file;
    int depth, ret;
    bool allocated_query, include_base;
} StatusCo;

static void coroutine_fn status_entry(void *opaque)
{
    StatusCo *sc = opaque;

    if (sc->allocated_query) {
        sc->ret = bdrv_co_is_allocated_above(sc->bs, sc->base, sc->include_base, sc->offset,
                                             sc->bytes, &sc->pnum);
    } else {
        sc->ret = bdrv_co_block_status_above(sc->bs, sc->base, sc->offset, sc->bytes, &sc->pnum,
                                             &sc->map, &sc->file, &sc->depth);
    }
}

static StatusCo status(BlockDriverState *bs, BlockDriverState *base, int64_t offset, int64_t bytes)
{
    StatusCo sc = {.bs = bs, .base = base, .offset = offset, .bytes = bytes};

    coroutine_run_sync(status_entry, &sc);
    return sc;
}

START_TEST(test_block_status_chain)
{
    static const int base_clusters[] = {0, 1};
    static const int mid_clusters[] = {1, 2};
    static const int top_clusters[] = {3};
    BlockDriverState *base = cow_node("base", 16 * CLUSTER, base_clusters, 2, 'b');
    BlockDriverState *mid = cow_node("mid", 16 * CLUSTER, mid_clusters, 2, 'm');
    BlockDriverState *top = cow_node("top", 32 * CLUSTER, top_clusters, 1, 't');
    BlockBackend *blk;
    uint8_t *buf = g_malloc(32 * CLUSTER);
    StatusCo sc;

    ck_assert_int_eq(bdrv_set_backing_hd(mid, base, &error_abort), 0);
    ck_assert_int_eq(bdrv_set_backing_hd(top, mid, &error_abort), 0);
    blk = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    ck_assert(blk_insert_bs(blk, top, &error_abort));

    /* Cluster 0: only the base has it. */
    sc = status(top, NULL, 0, 32 * CLUSTER);
    ck_assert_int_eq(sc.ret, BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID | BDRV_BLOCK_ALLOCATED);
    ck_assert_int_eq(sc.pnum, CLUSTER);
    ck_assert_ptr_eq(sc.file, base);
    ck_assert_int_eq(sc.depth, 2);
    /* Clusters 1-2: mid hides base's cluster 1. */
    sc = status(top, NULL, CLUSTER, 31 * CLUSTER);
    ck_assert(sc.ret & BDRV_BLOCK_ALLOCATED);
    ck_assert_int_eq(sc.pnum, 2 * CLUSTER);
    ck_assert_ptr_eq(sc.file, mid);
    ck_assert_int_eq(sc.depth, 1);
    ck_assert_int_eq(sc.map, CLUSTER);
    /* Cluster 3: the top's own; a request inside it is answered inside it. */
    sc = status(top, NULL, 3 * CLUSTER + 100, 100);
    ck_assert(sc.ret & BDRV_BLOCK_DATA);
    ck_assert_int_eq(sc.pnum, 100);
    ck_assert_ptr_eq(sc.file, top);
    ck_assert_int_eq(sc.depth, 0);
    ck_assert_int_eq(sc.map, 3 * CLUSTER + 100);
    /* Clusters 4-15: nowhere; the base has no backing, so zeroes. */
    sc = status(top, NULL, 4 * CLUSTER, 28 * CLUSTER);
    ck_assert_int_eq(sc.ret & (BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_DATA), 0);
    ck_assert(sc.ret & BDRV_BLOCK_ZERO);
    ck_assert_int_eq(sc.pnum, 12 * CLUSTER);
    /* Beyond the shorter backing files: zeroes defined by mid. */
    sc = status(top, NULL, 16 * CLUSTER, 16 * CLUSTER);
    ck_assert_int_eq(sc.ret, BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_EOF);
    ck_assert_int_eq(sc.pnum, 16 * CLUSTER);
    ck_assert_ptr_eq(sc.file, mid);
    /* Past the end. */
    sc = status(top, NULL, 32 * CLUSTER, CLUSTER);
    ck_assert_int_eq(sc.ret, BDRV_BLOCK_EOF);
    ck_assert_int_eq(sc.pnum, 0);

    /* Down to (not including) mid: cluster 0 is just unallocated in top. */
    sc = status(top, mid, 0, 32 * CLUSTER);
    ck_assert_int_eq(sc.ret & (BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_ZERO), 0);
    ck_assert_int_eq(sc.pnum, 3 * CLUSTER);
    sc = status(mid, base, 0, 16 * CLUSTER);
    ck_assert_int_eq(sc.ret & BDRV_BLOCK_ALLOCATED, 0);
    ck_assert_int_eq(sc.pnum, CLUSTER);

    /* is_allocated_above: 1 + depth of the layer, 0 for none. */
    sc = (StatusCo){
        .bs = top, .base = NULL, .offset = 0, .bytes = 32 * CLUSTER, .allocated_query = true};
    coroutine_run_sync(status_entry, &sc);
    ck_assert_int_eq(sc.ret, 3);
    ck_assert_int_eq(sc.pnum, CLUSTER);
    sc = (StatusCo){
        .bs = top, .base = base, .offset = 0, .bytes = 32 * CLUSTER, .allocated_query = true};
    coroutine_run_sync(status_entry, &sc);
    ck_assert_int_eq(sc.ret, 0);
    ck_assert_int_eq(sc.pnum, CLUSTER);
    sc = (StatusCo){.bs = top,
                    .base = base,
                    .include_base = true,
                    .offset = 0,
                    .bytes = 32 * CLUSTER,
                    .allocated_query = true};
    coroutine_run_sync(status_entry, &sc);
    ck_assert_int_eq(sc.ret, 3);

    /* Reads agree with the status. */
    ck_assert_int_eq(blk_pread(blk, 0, 32 * CLUSTER, buf, 0), 0);
    for (int c = 0; c < 32; c++) {
        uint8_t want = c == 0 ? 'b' : (c == 1 || c == 2) ? 'm' : c == 3 ? 't' : 0;

        for (int k = 0; k < CLUSTER; k += 511) {
            ck_assert_uint_eq(buf[c * CLUSTER + k], want);
        }
    }
    g_free(buf);
    blk_unref(blk);
    bdrv_unref(top);
    bdrv_unref(mid);
    bdrv_unref(base);
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("block-io");
    TCase *tc = tcase_create("io");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bounds_and_perms);
    tcase_add_test(tc, test_unaligned_rmw);
    tcase_add_test(tc, test_concurrent_unaligned_writes);
    tcase_add_test(tc, test_max_transfer);
    tcase_add_test(tc, test_write_zeroes);
    tcase_add_test(tc, test_detect_zeroes);
    tcase_add_test(tc, test_discard);
    tcase_add_test(tc, test_flush_and_fua);
    tcase_add_test(tc, test_truncate);
    suite_add_tcase(s, tc);

    tc = tcase_create("drain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_drain);
    tcase_add_test(tc, test_drain_parent_chain);
    tcase_add_test(tc, test_drain_in_coroutine);
    suite_add_tcase(s, tc);

    tc = tcase_create("status");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_block_status_chain);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(io_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
