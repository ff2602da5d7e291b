/*
 * qcow2 under load: random mixes of concurrent writes, zero writes,
 * discards and reads checked against an in-memory model and then against
 * qemu-img compare/check; refcount table growth; writes into images with
 * internal snapshots (shared clusters are copied, the snapshot survives);
 * read-only/read-write switches.
 */
#include "tests/unit/qcow2-test-util.h"

typedef struct StressIo {
    int pending, errors;
} StressIo;

static void stress_done(void *opaque, int ret)
{
    StressIo *io = opaque;

    io->pending--;
    io->errors += ret < 0;
}

/* Runs 'ops' random operations on blk, mirroring them in model. */
static void stress(BlockBackend *blk, uint8_t *model, int64_t size, uint32_t seed, int ops,
                   int cluster_size, bool v3)
{
    GRand *r = g_rand_new_with_seed(seed);
    g_autofree uint8_t *rbuf = g_malloc(512 * 1024);

    for (int i = 0; i < ops; i++) {
        int kind = g_rand_int_range(r, 0, 10);
        int64_t off = g_rand_int_range(r, 0, size);
        int64_t len = g_rand_int_range(r, 1, g_rand_boolean(r) ? 8192 : 300000);

        len = MIN(len, size - off); /* MIN evaluates twice: no calls inside */

        if (kind < 6) {
            /* A batch of concurrent, non-overlapping writes. */
            enum { MAXN = 6 };
            QEMUIOVector q[MAXN];
            uint8_t *bufs[MAXN];
            StressIo io = {0};
            int n = g_rand_int_range(r, 1, MAXN + 1), k;
            int64_t o = off;

            for (k = 0; k < n; k++) {
                int64_t l = g_rand_int_range(r, 1, 70000);
                if (o + l > size) {
                    break;
                }
                bufs[k] = g_malloc(l);
                memset(bufs[k], g_rand_int_range(r, 1, 256), l);
                memcpy(model + o, bufs[k], l);
                qemu_iovec_init_buf(&q[k], bufs[k], l);
                io.pending++;
                blk_aio_pwritev(blk, o, &q[k], 0, stress_done, &io);
                o += l + g_rand_int_range(r, 0, 3) * 1000;
            }
            MAIN_LOOP_WAIT_WHILE(io.pending > 0);
            ck_assert_int_eq(io.errors, 0);
            for (int j = 0; j < k; j++) {
                g_free(bufs[j]);
            }
        } else if (kind < 8) {
            ck_assert_int_eq(qt_zero(blk, off, len, g_rand_boolean(r) ? BDRV_REQ_MAY_UNMAP : 0), 0);
            memset(model + off, 0, len);
        } else if (kind < 9 && v3) {
            /* Only whole clusters (and the image's tail) are discarded. */
            int64_t a = QEMU_ALIGN_UP(off, cluster_size);
            int64_t e = off + len >= size ? size : QEMU_ALIGN_DOWN(off + len, cluster_size);
            ck_assert_int_eq(qt_discard(blk, off, len), 0);
            if (e > a) {
                memset(model + a, 0, e - a);
            }
        } else {
            len = MIN(len, 512 * 1024);
            ck_assert_int_eq(blk_pread(blk, off, len, rbuf, 0), 0);
            ck_assert_msg(!memcmp(rbuf, model + off, len),
                          "op %d: read %" PRId64 "+%" PRId64 " differs from the model", i, off,
                          len);
        }
    }
    g_rand_free(r);
}

static const struct {
    const char *opts;
    int cluster_size;
    bool v3;
} stress_configs[] = {
    {"cluster_size=65536", 65536, true}, {"cluster_size=512", 512, true},
    {"cluster_size=4096", 4096, true},   {"compat=0.10", 65536, false},
    {"lazy_refcounts=on", 65536, true},  {"refcount_bits=1,cluster_size=4096", 4096, true},
    {"refcount_bits=64", 65536, true},   {"cluster_size=2M", 2 * 1024 * 1024, true},
};

START_TEST(test_stress)
{
    const char *img = qt_path("st.qcow2"), *raw = qt_path("st.raw");
    int64_t size = 12 * 1024 * 1024 + 512 * 7;
    g_autofree uint8_t *model = g_malloc0(size);
    g_autofree uint8_t *all = g_malloc(size);
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 -o %s '%s' %" PRId64, stress_configs[_i].opts, img, size);
    blk = qt_open_opts(img, true, "{\"discard\": \"unmap\", \"l2-cache-size\": 131072}", NULL);
    ck_assert_ptr_nonnull(blk);
    stress(blk, model, size, 100 + _i, 400, stress_configs[_i].cluster_size, stress_configs[_i].v3);
    ck_assert_int_eq(blk_pread(blk, 0, size, all, 0), 0);
    ck_assert(!memcmp(all, model, size));
    blk_unref(blk);

    ck_assert(g_file_set_contents(raw, (char *)model, size, NULL));
    qt_check_clean(img);
    qt_run("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", img, raw);
}
END_TEST

START_TEST(test_stress_on_backing_chain)
{
    const char *base = qt_path("sb.qcow2"), *img = qt_path("st.qcow2"), *raw = qt_path("st.raw");
    int64_t size = 8 * 1024 * 1024;
    g_autofree uint8_t *model = g_malloc(size);
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 -o cluster_size=4096 '%s' 8M", base);
    qt_io(base, "-c 'write -P 0xb0 0 8M'");
    qt_run("qemu-img create -q -f qcow2 -b sb.qcow2 -F qcow2 '%s'", img);
    memset(model, 0xb0, size);
    blk = qt_open_opts(img, true, "{\"discard\": \"unmap\"}", NULL);
    ck_assert_ptr_nonnull(blk);
    stress(blk, model, size, 7, 300, 65536, true);
    blk_unref(blk);
    ck_assert(g_file_set_contents(raw, (char *)model, size, NULL));
    qt_check_clean(img);
    qt_run("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", img, raw);
}
END_TEST

START_TEST(test_refcount_table_growth)
{
    const char *img = qt_path("grow.qcow2");
    g_autofree char *out = NULL;
    BlockBackend *blk;

    /* 512-byte clusters: one refcount table cluster describes 8 MiB. */
    qt_run("qemu-img create -q -f qcow2 -o cluster_size=512 '%s' 64M", img);
    ck_assert_uint_eq(qt_peek_be32(img, QCOW2_HDR_REFT_CLUSTERS), 1);
    blk = qt_open(img, true);
    qt_write(blk, 0, 30 * 1024 * 1024, 0x5c);
    qt_expect(blk, 0, 30 * 1024 * 1024, 0x5c);
    blk_unref(blk);
    ck_assert_uint_gt(qt_peek_be32(img, QCOW2_HDR_REFT_CLUSTERS), 1);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x5c 0 30M' -c 'read -P 0 30M 34M'");
    ck_assert_int_eq(qt_sh(&out, "qemu-img check '%s'", img), 0);
    ck_assert_msg(strstr(out, "61440/131072"), "%s", out);
}
END_TEST

START_TEST(test_internal_snapshot_cow)
{
    const char *img = qt_path("snap.qcow2"), *raw = qt_path("snap.raw");
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 4M", img);
    qt_io(img, "-c 'write -P 0x11 0 2M'");
    qt_run("qemu-img snapshot -c s1 '%s'", img);
    blk = qt_open(img, true);
    qt_write(blk, 1000, 10, 0x44);           /* shared data cluster */
    qt_write(blk, 1024 * 1024, 65536, 0x55); /* whole shared cluster */
    qt_write(blk, 3 * 1024 * 1024, 4096, 0x66);
    qt_zero(blk, 64 * 1024, 64 * 1024, 0);
    qt_expect(blk, 0, 1000, 0x11);
    blk_unref(blk);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x11 0 1000' -c 'read -P 0x44 1000 10' -c 'read -P 0 64k 64k' "
               "-c 'read -P 0x55 1M 64k' -c 'read -P 0x66 3M 4k'");
    /* The snapshot still holds the old data. */
    qt_run("qemu-img convert -l snapshot.name=s1 -O raw '%s' '%s'", img, raw);
    g_autofree char *out = NULL;
    qt_sh(&out, "qemu-io -f raw -c 'read -P 0x11 0 2M' -c 'read -P 0 2M 2M' '%s'", raw);
    ck_assert_msg(!strstr(out, "failed"), "%s", out);
}
END_TEST

START_TEST(test_reopen_read_only_and_back)
{
    const char *img = qt_path("ro.qcow2");
    Error *err = NULL;
    BlockBackend *blk;
    g_autofree uint8_t *buf = g_malloc0(4096);

    qt_run("qemu-img create -q -f qcow2 -o lazy_refcounts=on '%s' 1M", img);
    blk = qt_open(img, true);
    qt_write(blk, 0, 4096, 0x21);
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_INCOMPAT), QCOW2_INCOMPAT_DIRTY);
    /* Going read-only writes everything out and clears the dirty bit. */
    ck_assert_int_eq(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, &err), 0);
    ck_assert_int_eq(bdrv_reopen_set_read_only(blk_bs(blk), true, &err), 0);
    ck_assert_uint_eq(qt_peek_be64(img, QCOW2_HDR_INCOMPAT), 0);
    qt_check_clean(img);
    ck_assert_int_lt(blk_pwrite(blk, 0, 4096, buf, 0), 0);
    /* And back. */
    ck_assert_int_eq(bdrv_reopen_set_read_only(blk_bs(blk), false, &err), 0);
    ck_assert_int_eq(
        blk_set_perm(blk, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL, &err), 0);
    qt_write(blk, 8192, 4096, 0x22);
    blk_unref(blk);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x21 0 4k' -c 'read -P 0 4k 4k' -c 'read -P 0x22 8k 4k'");
}
END_TEST

Suite *qcow2_stress_suite(void);
Suite *qcow2_stress_suite(void)
{
    Suite *s = suite_create("qcow2-stress");
    TCase *tc = tcase_create("stress");

    tcase_add_checked_fixture(tc, qt_setup, qt_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_stress, 0, ARRAY_SIZE(stress_configs));
    tcase_add_test(tc, test_stress_on_backing_chain);
    tcase_add_test(tc, test_refcount_table_growth);
    tcase_add_test(tc, test_internal_snapshot_cow);
    tcase_add_test(tc, test_reopen_read_only_and_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(qcow2_stress_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
