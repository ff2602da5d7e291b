/*
 * qcow2 robustness: corrupted images (every offset read from the image is
 * validated, metadata overlaps are refused, the image is marked corrupt
 * exactly where QEMU does, nothing crashes and nothing more is written),
 * the dirty and corrupt bits, image check and repair against qemu-img,
 * concurrent allocating writes, I/O errors injected with blkdebug, and a
 * small fuzzer over headers and tables.
 */
#include <fcntl.h>

#include "tests/unit/qcow2-test-util.h"

/* ---- stderr capture (corruption reports go there) ---- */

static int saved_stderr = -1;

static void capture_begin(void)
{
    int fd = open(qt_path("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    fflush(stderr);
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

static char *capture_end(void)
{
    gsize len;

    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    return (char *)qt_slurp(qt_path("stderr.txt"), &len);
}

/*
 * A 1 MiB v3 image with 64 KiB clusters and one written cluster, laid out as
 * qemu-img makes it: header 0, refcount table 0x10000, refcount block
 * 0x20000, L1 0x30000, L2 0x40000, data 0x50000.
 */
static const char *make_base(void)
{
    const char *img = qt_path("base.qcow2");

    qt_run("qemu-img create -q -f qcow2 '%s' 1M", img);
    qt_io(img, "-c 'write -P 0x11 0 64k'");
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_L1_OFFSET), 0x30000);
    ck_assert_uint_eq(qt_peek_be64(img, 0x30000), 0x8000000000040000ULL);
    ck_assert_uint_eq(qt_peek_be64(img, 0x40000), 0x8000000000050000ULL);
    return img;
}

/* ---- Runtime corruption ---- */

typedef struct RuntimeCase {
    const char *name;
    uint64_t offset, value; /* the be64 poked into base.qcow2 */
    bool write;             /* a write triggers it (else a read) */
    bool fatal;             /* QEMU marks the image corrupt */
    const char *message;
} RuntimeCase;

static const RuntimeCase runtime_cases[] = {
    {"unaligned data cluster", 0x40000, 0x8000000000050200ULL, false, true,
     "qcow2: Marking image as corrupt: Cluster allocation offset 0x50200 unaligned (L2 offset: "
     "0x40000, L2 index: 0); further corruption events will be suppressed"},
    {"unaligned L2 table", 0x30000, 0x8000000000040200ULL, false, true,
     "qcow2: Marking image as corrupt: L2 table offset 0x40200 unaligned (L1 index: 0); "
     "further corruption events will be suppressed"},
    {"L2 table past EOF", 0x30000, 0x8000000010000000ULL, false, false,
     "qcow2: Image is corrupt: L2 table offset 0x10000000 is beyond the end of the image file "
     "(L1 index: 0)"},
    {"data cluster past EOF", 0x40000, 0x8000000010000000ULL, false, false,
     "Data cluster offset 0x10000000 is beyond the end of the image file and unallocated"},
    {"data cluster on the refcount table", 0x40000, 0x8000000000010000ULL, true, true,
     "qcow2: Marking image as corrupt: Preventing invalid write on metadata (overlaps with "
     "refcount table); further corruption events will be suppressed"},
    {"data cluster on the L1 table", 0x40000, 0x8000000000030000ULL, true, true,
     "Preventing invalid write on metadata (overlaps with active L1 table)"},
    {"data cluster on its L2 table", 0x40000, 0x8000000000040000ULL, true, true,
     "Preventing invalid write on metadata (overlaps with active L2 table)"},
    {"data cluster on a refcount block", 0x40000, 0x8000000000020000ULL, true, true,
     "Preventing invalid write on metadata (overlaps with refcount block)"},
    {"unaligned refcount block", 0x10000, 0x20200, true, true,
     "qcow2: Marking image as corrupt: Refblock offset 0x20200 unaligned (reftable index: 0)"},
    {"refcount block past EOF", 0x10000, 0x7000000, true, false,
     "Refblock offset 0x7000000 is beyond the end of the image file (reftable index: 0)"},
};

START_TEST(test_runtime_corruption)
{
    const RuntimeCase *c = &runtime_cases[_i];
    const char *base = make_base();
    g_autofree char *before = NULL, *after = NULL, *err = NULL, *info = NULL;
    g_autofree uint8_t *buf = g_malloc(4096);
    BlockBackend *blk;
    int ret;

    qt_poke_be64(base, c->offset, c->value);
    before = qt_md5(base);

    blk = qt_open(base, true);
    capture_begin();
    if (c->write) {
        /* Into a new cluster when the refcounts are the target. */
        ret = blk_pwrite(blk, c->offset == 0x10000 ? 512 * 1024 : 0, 4096, buf, 0);
    } else {
        ret = blk_pread(blk, 0, 4096, buf, 0);
    }
    err = capture_end();
    ck_assert_msg(ret == -EIO, "%s: %d", c->name, ret);
    ck_assert_msg(strstr(err, c->message), "%s: got '%s'", c->name, err);
    ck_assert_msg(strstr(err, base), "%s: image not named in '%s'", c->name, err);

    /* A fatal corruption stops all I/O, reads included; nothing is written any more. */
    ret = blk_pread(blk, 0, 4096, buf, 0);
    if (c->fatal) {
        ck_assert_int_lt(ret, 0);
    }
    blk_unref(blk);

    after = qt_md5(base);
    ck_assert_int_eq(qt_sh(&info, "qemu-img info --output=json '%s'", base), 0);
    if (c->fatal) {
        /* Exactly one change: the corrupt bit. */
        ck_assert_uint_eq(qt_peek_be64(base, QCOW2_HDR_INCOMPAT), QCOW2_INCOMPAT_CORRUPT);
        ck_assert_msg(strstr(info, "\"corrupt\": true"), "%s", info);
        qt_poke_be64(base, QCOW2_HDR_INCOMPAT, 0);
        g_free(after);
        after = qt_md5(base);
    } else {
        ck_assert_msg(strstr(info, "\"corrupt\": false"), "%s", info);
    }
    ck_assert_str_eq(before, after);
}
END_TEST

START_TEST(test_corrupt_bit)
{
    const char *base = make_base();
    g_autofree char *msg = NULL, *before = NULL, *after = NULL;
    BlockBackend *blk;
    g_autofree uint8_t *buf = g_malloc(4096);

    qt_poke_be64(base, QCOW2_HDR_INCOMPAT, QCOW2_INCOMPAT_CORRUPT);
    before = qt_md5(base);
    msg = qt_open_error(base, true, NULL);
    ck_assert_str_eq(msg, "qcow2: Image is corrupt; cannot be opened read/write");
    /* Read-only is fine, and reads work. */
    blk = qt_open(base, false);
    qt_expect(blk, 0, 65536, 0x11);
    ck_assert_int_lt(blk_pwrite(blk, 0, 4096, buf, 0), 0);
    blk_unref(blk);
    after = qt_md5(base);
    ck_assert_str_eq(before, after);
}
END_TEST

/* ---- Header corruption: refused at open with QEMU's message, file untouched ---- */

typedef struct HeaderCase {
    uint64_t offset;
    int width; /* 4 or 8 */
    uint64_t value;
    const char *message;
} HeaderCase;

static const HeaderCase header_cases[] = {
    {QCOW2_HDR_MAGIC, 4, 0x12345678, "Image is not in qcow2 format"},
    {QCOW2_HDR_VERSION, 4, 4, "Unsupported qcow2 version 4"},
    {QCOW2_HDR_CLUSTER_BITS, 4, 8, "Unsupported cluster size: 2^8"},
    {QCOW2_HDR_CLUSTER_BITS, 4, 22, "Unsupported cluster size: 2^22"},
    {QCOW2_HDR_BACKING_OFFSET, 8, 0x20000, "Invalid backing file offset"},
    {QCOW2_HDR_L1_OFFSET, 8, 0x30008, "Active L1 table offset invalid"},
    {QCOW2_HDR_L1_SIZE, 4, 0x1000000, "Active L1 table too large"},
    {QCOW2_HDR_L1_SIZE, 4, 0, "L1 table is too small"},
    {QCOW2_HDR_REFT_OFFSET, 8, 0x10010, "Reference count table offset invalid"},
    {QCOW2_HDR_REFT_CLUSTERS, 4, 0, "Image does not contain a reference count table"},
    {QCOW2_HDR_REFT_CLUSTERS, 4, 0x10000, "Reference count table too large"},
    {QCOW2_HDR_SNAPSHOTS_OFFSET, 8, 3, "Snapshot table offset invalid"},
    {QCOW2_HDR_INCOMPAT, 8, 1ULL << 8,
     "Unsupported qcow2 feature(s): Unknown incompatible feature: 100"},
    {QCOW2_HDR_INCOMPAT, 8, QCOW2_INCOMPAT_EXTL2,
     "Unsupported qcow2 feature(s): extended L2 entries"},
    {QCOW2_HDR_INCOMPAT, 8, QCOW2_INCOMPAT_DATA_FILE,
     "Unsupported qcow2 feature(s): external data file"},
    {QCOW2_HDR_REFCOUNT_ORDER, 4, 7,
     "Reference count entry width too large; may not exceed 64 bits"},
    {QCOW2_HDR_HEADER_LENGTH, 4, 96, "qcow2 header too short"},
    {QCOW2_HDR_HEADER_LENGTH, 4, 0x20000, "qcow2 header exceeds cluster size"},
    {QCOW2_HDR_CRYPT, 4, 3, "Unsupported encryption method 3"},
    {QCOW2_HDR_CRYPT, 4, 1,
     "Use of AES-CBC encrypted qcow2 images is no longer supported in system emulators"},
    {QCOW2_HDR_SIZE, 8, 0x7f00000000000000ULL, "Image is too big"},
    {0x74, 4, 0x10000, "Header extension too large"},
};

START_TEST(test_header_corruption)
{
    const HeaderCase *c = &header_cases[_i];
    const char *base = make_base();
    g_autofree char *msg = NULL, *before = NULL, *after = NULL;

    if (c->width == 8) {
        qt_poke_be64(base, c->offset, c->value);
    } else {
        qt_poke_be32(base, c->offset, c->value);
    }
    before = qt_md5(base);
    msg = qt_open_error(base, true, NULL);
    ck_assert_ptr_nonnull(msg);
    ck_assert_str_eq(msg, c->message);
    after = qt_md5(base);
    ck_assert_str_eq(before, after);
}
END_TEST

START_TEST(test_backing_name_too_long)
{
    const char *base = make_base();
    g_autofree char *msg = NULL;

    qt_poke_be64(base, QCOW2_HDR_BACKING_OFFSET, 0x200);
    qt_poke_be32(base, QCOW2_HDR_BACKING_SIZE, 1024);
    msg = qt_open_error(base, false, NULL);
    ck_assert_str_eq(msg, "Backing file name too long");
}
END_TEST

/* ---- Check and repair ---- */

/* qemu-img check --output=json's counters. */
static void qemu_check_counts(const char *img, int *corruptions, int *leaks)
{
    g_autofree char *out = NULL;
    json_t *j;

    qt_sh(&out, "qemu-img check --output=json '%s' 2>/dev/null", img);
    j = json_loads(out, 0, NULL);
    ck_assert_msg(j, "%s", out);
    *corruptions = json_integer_value(json_object_get(j, "corruptions"));
    *leaks = json_integer_value(json_object_get(j, "leaks"));
    json_decref(j);
}

START_TEST(test_check_leak_and_corruption)
{
    const char *img = make_base();
    int qc, ql;
    BdrvCheckResult r;
    BlockBackend *blk;

    /* Refcount block at 0x20000, 16-bit entries: the L2 table := 0, the data := 2. */
    qt_poke(img, 0x20000 + 2 * 4, "\0\0", 2);
    qt_poke(img, 0x20000 + 2 * 5, "\0\2", 2);
    qemu_check_counts(img, &qc, &ql);
    ck_assert_int_eq(qc, 3); /* L2 refcount, and two COPIED flags */
    ck_assert_int_eq(ql, 1);

    blk = qt_open(img, false);
    capture_begin();
    r = qt_our_check(blk, 0);
    g_autofree char *report = capture_end();
    ck_assert_int_eq(r.corruptions, qc);
    ck_assert_int_eq(r.leaks, ql);
    ck_assert_int_eq(r.check_errors, 0);
    ck_assert_int_eq(r.image_end_offset, 0x60000);
    ck_assert_int_eq(r.allocated_clusters, 1);
    ck_assert_int_eq(r.total_clusters, 16);
    ck_assert_msg(strstr(report, "ERROR cluster 4 refcount=0 reference=1") &&
                      strstr(report, "Leaked cluster 5 refcount=2 reference=1") &&
                      strstr(report, "ERROR OFLAG_COPIED L2 cluster: l1_index=0 "
                                     "l1_entry=8000000000040000 refcount=0") &&
                      strstr(report, "ERROR OFLAG_COPIED data cluster: l2_entry=8000000000050000 "
                                     "refcount=2"),
                  "%s", report);
    blk_unref(blk);

    /* Leaks only: the corruptions stay. */
    blk = qt_open(img, true);
    capture_begin();
    r = qt_our_check(blk, BDRV_FIX_LEAKS);
    g_free(capture_end());
    ck_assert_int_eq(r.leaks_fixed, 1);
    ck_assert_int_eq(r.leaks, 0);
    ck_assert_int_gt(r.corruptions, 0);
    blk_unref(blk);
    qemu_check_counts(img, &qc, &ql);
    ck_assert_int_eq(ql, 0);
    ck_assert_int_gt(qc, 0);

    blk = qt_open(img, true);
    capture_begin();
    r = qt_our_check(blk, BDRV_FIX_ERRORS | BDRV_FIX_LEAKS);
    g_free(capture_end());
    ck_assert_int_eq(r.corruptions, 0);
    ck_assert_int_gt(r.corruptions_fixed, 0);
    blk_unref(blk);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x11 0 64k'");
}
END_TEST

START_TEST(test_check_counts_match_qemu)
{
    const char *img = qt_path("cc.qcow2"), *comp = qt_path("cc-c.qcow2");
    int qc, ql;
    BlockBackend *blk;
    BdrvCheckResult r;
    g_autofree char *out = NULL;
    json_t *j;

    qt_run("qemu-img create -q -f qcow2 -o cluster_size=4096 '%s' 4M", img);
    qt_io(img, "-c 'write -P 1 0 1M' -c 'write -P 2 2M 100k' -c 'write -z 3M 64k'");
    qt_run("qemu-img convert -c -O qcow2 '%s' '%s'", img, comp);
    qt_run("qemu-img snapshot -c snap '%s'", img);
    qt_io(img, "-c 'write -P 3 512k 8k'");
    for (int i = 0; i < 2; i++) {
        const char *p = i ? comp : img;
        blk = qt_open(p, false);
        r = qt_our_check(blk, 0);
        blk_unref(blk);
        g_free(out);
        qt_sh(&out, "qemu-img check --output=json '%s'", p);
        j = json_loads(out, 0, NULL);
        ck_assert_ptr_nonnull(j);
        qemu_check_counts(p, &qc, &ql);
        ck_assert_int_eq(r.corruptions, qc);
        ck_assert_int_eq(r.leaks, ql);
        ck_assert_int_eq(r.image_end_offset,
                         json_integer_value(json_object_get(j, "image-end-offset")));
        ck_assert_int_eq(r.allocated_clusters,
                         json_integer_value(json_object_get(j, "allocated-clusters")));
        ck_assert_int_eq(r.total_clusters,
                         json_integer_value(json_object_get(j, "total-clusters")));
        ck_assert_int_eq(r.fragmented_clusters,
                         json_integer_value(json_object_get(j, "fragmented-clusters")));
        ck_assert_int_eq(r.compressed_clusters,
                         json_integer_value(json_object_get(j, "compressed-clusters")));
        json_decref(j);
    }
}
END_TEST

START_TEST(test_bitmaps_preserved_read_only_dropped_read_write)
{
    const char *img = qt_path("bm.qcow2");
    g_autofree char *out = NULL;
    BdrvCheckResult r;
    BlockBackend *blk;
    int qc, ql;

    qt_run("qemu-img create -q -f qcow2 '%s' 4M", img);
    qt_io(img, "-c 'write -P 1 0 1M'");
    qt_run("qemu-img bitmap --add '%s' b0", img);
    /* Read-only: the bitmaps' clusters count as used, as for qemu-img. */
    blk = qt_open(img, false);
    r = qt_our_check(blk, 0);
    ck_assert_int_eq(r.leaks, 0);
    ck_assert_int_eq(r.corruptions, 0);
    blk_unref(blk);
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_AUTOCLEAR), QCOW2_AUTOCLEAR_BITMAPS);

    /* Read-write: we cannot keep them up to date, so the consistency bit goes. */
    blk = qt_open(img, true);
    qt_write(blk, 2 * 1024 * 1024, 4096, 2);
    blk_unref(blk);
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_AUTOCLEAR), 0);
    qemu_check_counts(img, &qc, &ql);
    ck_assert_int_eq(qc, 0);
    blk = qt_open(img, false);
    capture_begin();
    r = qt_our_check(blk, 0);
    g_free(capture_end());
    ck_assert_int_eq(r.leaks, ql);
    blk_unref(blk);
    ck_assert_int_eq(qt_sh(&out, "qemu-img info '%s'", img), 0);
    ck_assert_msg(!strstr(out, "b0"), "%s", out);
    qt_io(img, "-c 'read -P 1 0 1M' -c 'read -P 2 2M 4k'");
}
END_TEST

/* ---- Dirty bit ---- */

typedef struct CacheWriteCo {
    BlockBackend *blk;
} CacheWriteCo;

static void coroutine_fn write_l2_only(void *opaque)
{
    CacheWriteCo *c = opaque;
    BlockDriverState *bs = blk_bs(c->blk);
    BDRVQcow2State *s = bs->opaque;

    qemu_co_mutex_lock(&s->lock);
    qcow2_cache_write(bs, s->l2_cache);
    qemu_co_mutex_unlock(&s->lock);
}

START_TEST(test_dirty_bit_and_repair)
{
    const char *img = qt_path("lazy.qcow2"), *crashed = qt_path("crashed.qcow2");
    int qc, ql;
    BlockBackend *blk;
    CacheWriteCo c;

    qt_run("qemu-img create -q -f qcow2 -o lazy_refcounts=on '%s' 16M", img);
    /* The dirty bit is set by the first allocating write and cleared on close. */
    blk = qt_open(img, true);
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_INCOMPAT), 0);
    qt_write(blk, 0, 4096, 0x11);
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_INCOMPAT), QCOW2_INCOMPAT_DIRTY);
    blk_unref(blk);
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_INCOMPAT), 0);
    qt_check_clean(img);

    /* A crash after the L2 tables but before the refcounts reached the disk: the file as
     * it is at that moment. */
    c.blk = qt_open(img, true);
    qt_write(c.blk, 1024 * 1024, 1024 * 1024, 0x22);
    qt_write(c.blk, 8 * 1024 * 1024, 100 * 1024, 0x33);
    coroutine_run_sync(write_l2_only, &c);
    qt_run("cp '%s' '%s'", img, crashed);
    blk_unref(c.blk);

    ck_assert_uint_eq(qt_peek_be64(crashed, QCOW2_HDR_INCOMPAT), QCOW2_INCOMPAT_DIRTY);
    qemu_check_counts(crashed, &qc, &ql);
    ck_assert_int_gt(qc, 0);

    /* Read-only: no repair, but the data is there. */
    blk = qt_open(crashed, false);
    qt_expect(blk, 1024 * 1024, 1024 * 1024, 0x22);
    blk_unref(blk);
    ck_assert_uint_eq(qt_peek_be64(crashed, QCOW2_HDR_INCOMPAT), QCOW2_INCOMPAT_DIRTY);

    /* Read-write: repaired on open, quietly. */
    capture_begin();
    blk = qt_open(crashed, true);
    g_autofree char *noise = capture_end();
    ck_assert_str_eq(noise, "");
    ck_assert_uint_eq(qt_peek_be64(crashed, QCOW2_HDR_INCOMPAT), 0);
    qt_write(blk, 12 * 1024 * 1024, 64 * 1024, 0x44);
    blk_unref(blk);
    qt_check_clean(crashed);
    qt_io(crashed, "-c 'read -P 0x11 0 4k' -c 'read -P 0x22 1M 1M' -c 'read -P 0x33 8M 100k' "
                   "-c 'read -P 0x44 12M 64k'");
}
END_TEST

/* ---- Concurrent allocating writes ---- */

typedef struct AioWait {
    int pending;
    int errors;
} AioWait;

static void aio_done(void *opaque, int ret)
{
    AioWait *w = opaque;

    w->pending--;
    if (ret < 0) {
        w->errors++;
    }
}

START_TEST(test_concurrent_writes_one_cluster)
{
    const char *base = qt_path("cb.qcow2"), *img = qt_path("conc.qcow2");
    enum { N = 12 };
    QEMUIOVector qiov[N];
    uint8_t *bufs[N];
    AioWait w = {0};
    BlockBackend *blk;
    g_autofree char *out = NULL;
    GString *cmds = g_string_new("");

    qt_run("qemu-img create -q -f qcow2 '%s' 1M", base);
    qt_io(base, "-c 'write -P 0xee 0 1M'");
    qt_run("qemu-img create -q -f qcow2 -b cb.qcow2 -F qcow2 '%s'", img);
    blk = qt_open(img, true);
    /* Unaligned pieces of one unallocated cluster (the second), gaps left to COW. */
    for (int i = 0; i < N; i++) {
        int64_t off = 65536 + 1000 + i * 5000;
        bufs[i] = g_malloc(3000 + i);
        memset(bufs[i], 0x20 + i, 3000 + i);
        qemu_iovec_init_buf(&qiov[i], bufs[i], 3000 + i);
        w.pending++;
        blk_aio_pwritev(blk, off, &qiov[i], 0, aio_done, &w);
        g_string_append_printf(cmds, "-c 'read -P %#x %" PRId64 " %d' ", 0x20 + i, off, 3000 + i);
        if (i) {
            g_string_append_printf(cmds, "-c 'read -P 0xee %" PRId64 " %d' ",
                                   off - 5000 + 3000 + i - 1, 2000 - i + 1);
        }
    }
    MAIN_LOOP_WAIT_WHILE(w.pending > 0);
    ck_assert_int_eq(w.errors, 0);
    blk_unref(blk);
    for (int i = 0; i < N; i++) {
        g_free(bufs[i]);
    }
    qt_check_clean(img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img check '%s'", img), 0);
    ck_assert_msg(strstr(out, "1/16 = 6.25% allocated"), "%s", out);
    qt_io(img, "-c 'read -P 0xee 0 66536' %s -c 'read -P 0xee 124547 924029'", cmds->str);
    g_string_free(cmds, true);
}
END_TEST

START_TEST(test_concurrent_overlapping_writes)
{
    const char *img = qt_path("ov.qcow2");
    enum { N = 8, LEN = 40000 };
    QEMUIOVector qiov[N];
    uint8_t *bufs[N];
    AioWait w = {0};
    BlockBackend *blk;
    g_autofree uint8_t *result = g_malloc(256 * 1024);

    qt_run("qemu-img create -q -f qcow2 -o cluster_size=4096 '%s' 1M", img);
    blk = qt_open(img, true);
    for (int i = 0; i < N; i++) {
        bufs[i] = g_malloc(LEN);
        memset(bufs[i], 0x40 + i, LEN);
        qemu_iovec_init_buf(&qiov[i], bufs[i], LEN);
        w.pending++;
        blk_aio_pwritev(blk, 1000 + i * 7777, &qiov[i], 0, aio_done, &w);
    }
    MAIN_LOOP_WAIT_WHILE(w.pending > 0);
    ck_assert_int_eq(w.errors, 0);
    ck_assert_int_eq(blk_pread(blk, 0, 256 * 1024, result, 0), 0);
    blk_unref(blk);
    /* Every byte is some writer's (one covering it), none is lost or mixed up. */
    for (int64_t b = 0; b < 256 * 1024; b++) {
        bool ok = false;
        for (int i = 0; i < N; i++) {
            int64_t s = 1000 + i * 7777;
            if (b >= s && b < s + LEN && result[b] == 0x40 + i) {
                ok = true;
            }
        }
        if (b < 1000 || b >= 1000 + (N - 1) * 7777 + LEN) {
            ok = result[b] == 0;
        }
        if (!ok) {
            ck_abort_msg("byte %" PRId64 " is %#x", b, result[b]);
        }
    }
    for (int i = 0; i < N; i++) {
        g_free(bufs[i]);
    }
    qt_check_clean(img);
}
END_TEST

/* ---- Injected I/O errors leave a consistent image ---- */

static const char *const inject_events[] = {
    "write_aio",      "cow_write",     "l2_update", "l2_alloc_write", "refblock_update_part",
    "refblock_alloc", "cluster_alloc", "l1_update",
};

START_TEST(test_injected_errors)
{
    const char *img = qt_path("inj.qcow2");
    g_autofree char *json = NULL;
    BlockDriverState *bs;
    BlockBackend *blk;
    Error *err = NULL;
    int qc, ql;

    qt_run("qemu-img create -q -f qcow2 -o cluster_size=512 '%s' 16M", img);
    qt_io(img, "-c 'write -P 0x11 0 64k'");
    json = g_strdup_printf("json:{\"driver\": \"qcow2\", \"file\": {\"driver\": \"blkdebug\", "
                           "\"image\": {\"driver\": \"file\", \"filename\": \"%s\"}, "
                           "\"inject-error\": [{\"event\": \"%s\", \"once\": true}]}}",
                           img, inject_events[_i]);
    bs = bdrv_open_image(json, NULL, NULL, BDRV_O_RDWR, &err);
    ck_assert_msg(bs, "%s", err ? error_get_pretty(err) : "");
    blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    ck_assert(blk_insert_bs(blk, bs, &err));
    bdrv_unref(bs);
    /* Some of these fail; whatever fails, the image stays consistent. */
    g_autofree uint8_t *buf = g_malloc(300 * 1024);
    memset(buf, 0x22, 300 * 1024);
    for (int i = 0; i < 4; i++) {
        blk_pwrite(blk, 1000 + i * 3000000, 300 * 1024, buf, 0);
    }
    blk_flush(blk);
    blk_unref(blk);
    qemu_check_counts(img, &qc, &ql);
    ck_assert_int_eq(qc, 0);
    qt_io(img, "-c 'read -P 0x11 0 1000'");
}
END_TEST

/* ---- Fuzzing the open and read path ---- */

START_TEST(test_fuzz)
{
    const char *src = qt_path("fsrc.qcow2"), *img = qt_path("fz.qcow2");
    gsize len;
    g_autofree uint8_t *orig = NULL;
    GRand *r = g_rand_new_with_seed(1234 + _i);
    g_autofree uint8_t *buf = g_malloc(2 * 1024 * 1024);

    qt_run("qemu-img create -q -f qcow2 '%s' 2M", qt_path("fs0.qcow2"));
    qt_io(qt_path("fs0.qcow2"), "-c 'write -P 0x11 0 512k' -c 'write -P 0x22 1M 100k'");
    qt_run("qemu-img convert -c -O qcow2 -o cluster_size=4096 '%s' '%s'", qt_path("fs0.qcow2"),
           src);
    qt_io(src, "-c 'write -P 0x33 600k 64k' -c 'write -z 700k 64k'");
    qt_run("qemu-img snapshot -c s1 '%s'", src);
    orig = qt_slurp(src, &len);
    uint64_t l1 = qcow2_be64(orig + QCOW2_HDR_L1_OFFSET);
    uint64_t reft = qcow2_be64(orig + QCOW2_HDR_REFT_OFFSET);
    uint64_t snap = qcow2_be64(orig + QCOW2_HDR_SNAPSHOTS_OFFSET);
    uint64_t rb = qcow2_be64(orig + reft);
    uint64_t l2 = qcow2_be64(orig + l1) & L1E_OFFSET_MASK;
    const uint64_t regions[][2] = {{0, 512},  {l1, 64},   {reft, 64},
                                   {rb, 512}, {l2, 4096}, {snap, 128}};

    for (int iter = 0; iter < 60; iter++) {
        g_autofree uint8_t *d = g_memdup2(orig, len);
        int flips = g_rand_int_range(r, 1, 6);
        for (int k = 0; k < flips; k++) {
            const uint64_t *reg = regions[g_rand_int_range(r, 0, ARRAY_SIZE(regions))];
            uint64_t p = reg[0] + g_rand_int_range(r, 0, reg[1]);
            if (p < len) {
                d[p] = g_rand_boolean(r) ? g_rand_int_range(r, 0, 256) : d[p] ^ (1 << (k & 7));
            }
        }
        ck_assert(g_file_set_contents(img, (char *)d, len, NULL));
        Error *err = NULL;
        capture_begin();
        BlockBackend *blk = qt_open_opts(img, true, NULL, &err);
        if (blk) {
            blk_pread(blk, 0, 2 * 1024 * 1024, buf, 0);
            memset(buf, 0x55, 300 * 1024);
            blk_pwrite(blk, 4096, 300 * 1024, buf, 0);
            qt_zero(blk, 0, 64 * 1024, BDRV_REQ_MAY_UNMAP);
            qt_discard(blk, 64 * 1024, 64 * 1024);
            BdrvCheckResult res;
            qt_our_check_ret(blk, 0, &res);
            blk_unref(blk);
        } else {
            error_free(err);
        }
        g_free(capture_end());
    }
    g_rand_free(r);
}
END_TEST

Suite *qcow2_corrupt_suite(void);
Suite *qcow2_corrupt_suite(void)
{
    Suite *s = suite_create("qcow2-corrupt");
    TCase *tc = tcase_create("robustness");

    tcase_add_checked_fixture(tc, qt_setup, qt_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_runtime_corruption, 0, ARRAY_SIZE(runtime_cases));
    tcase_add_test(tc, test_corrupt_bit);
    tcase_add_loop_test(tc, test_header_corruption, 0, ARRAY_SIZE(header_cases));
    tcase_add_test(tc, test_backing_name_too_long);
    tcase_add_test(tc, test_check_leak_and_corruption);
    tcase_add_test(tc, test_check_counts_match_qemu);
    tcase_add_test(tc, test_bitmaps_preserved_read_only_dropped_read_write);
    tcase_add_test(tc, test_dirty_bit_and_repair);
    tcase_add_test(tc, test_concurrent_writes_one_cluster);
    tcase_add_test(tc, test_concurrent_overlapping_writes);
    tcase_add_loop_test(tc, test_injected_errors, 0, ARRAY_SIZE(inject_events));
    tcase_add_loop_test(tc, test_fuzz, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(qcow2_corrupt_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
