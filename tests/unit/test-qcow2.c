/*
 * qcow2 driver interoperability with Debian's QEMU 7.2 tools: images made by
 * qemu-img/qemu-io are read and written through our driver and checked back
 * with qemu-img check and qemu-io; images we create are inspected by
 * qemu-img; backing chains, compressed and zero clusters, discard, resize,
 * header extensions, block status and image information.
 */
#include "qapi/qapi-visit.h"
#include "tests/unit/qcow2-test-util.h"

/* ---- Read/write matrix over image options ---- */

static const char *const rw_configs[] = {
    "cluster_size=65536",
    "cluster_size=512",
    "cluster_size=4096",
    "cluster_size=2M",
    "compat=0.10",
    "compat=0.10,cluster_size=4096",
    "lazy_refcounts=on",
    "refcount_bits=1,cluster_size=4096",
    "refcount_bits=2",
    "refcount_bits=4",
    "refcount_bits=8",
    "refcount_bits=32",
    "refcount_bits=64,cluster_size=4096",
};

START_TEST(test_rw_matrix)
{
    const char *img = qt_path("rw.qcow2");
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 -o %s '%s' 16M", rw_configs[_i], img);
    blk = qt_open(img, true);
    qt_write(blk, 0, 4096, 0x11);                     /* aligned, first cluster */
    qt_write(blk, 70000, 3000, 0x22);                 /* unaligned inside a cluster */
    qt_write(blk, 131000, 200000, 0x33);              /* spans several clusters */
    qt_write(blk, 16 * 1024 * 1024 - 700, 700, 0x44); /* the image's last bytes */
    qt_write(blk, 1024, 1024, 0x55);                  /* in place */
    qt_expect(blk, 0, 1024, 0x11);
    qt_expect(blk, 1024, 1024, 0x55);
    qt_expect(blk, 2048, 2048, 0x11);
    qt_expect(blk, 4096, 70000 - 4096, 0);
    qt_expect(blk, 70000, 3000, 0x22);
    qt_expect(blk, 131000, 200000, 0x33);
    qt_expect(blk, 16 * 1024 * 1024 - 700, 700, 0x44);
    blk_unref(blk);

    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x11 0 1024' -c 'read -P 0x55 1024 1024' -c 'read -P 0x11 2048 2048' "
               "-c 'read -P 0 4096 65904' -c 'read -P 0x22 70000 3000' -c 'read -P 0 73000 58000' "
               "-c 'read -P 0x33 131000 200000' -c 'read -P 0 331000 16445516' "
               "-c 'read -P 0x44 16776516 700'");
}
END_TEST

START_TEST(test_read_qemu_written)
{
    const char *img = qt_path("q.qcow2");
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 -o %s '%s' 8M", rw_configs[_i], img);
    qt_io(img, "-c 'write -P 0x61 0 100k' -c 'write -P 0x62 1M 4k' -c 'write -z 2M 128k' "
               "-c 'write -P 0x63 7M 1M'");
    blk = qt_open(img, false);
    qt_expect(blk, 0, 100 * 1024, 0x61);
    qt_expect(blk, 100 * 1024, 1024 * 1024 - 100 * 1024, 0);
    qt_expect(blk, 1024 * 1024, 4096, 0x62);
    qt_expect(blk, 2 * 1024 * 1024, 128 * 1024, 0);
    qt_expect(blk, 7 * 1024 * 1024, 1024 * 1024, 0x63);
    blk_unref(blk);
}
END_TEST

/* ---- Creation ---- */

static int create_image(const char *json, char **errmsg)
{
    json_t *j = json_loads(json, 0, NULL);
    BlockdevCreateOptions *opts = NULL;
    Error *err = NULL;
    int ret;

    ck_assert_ptr_nonnull(j);
    ck_assert_msg(qapi_parse_BlockdevCreateOptions(j, false, &opts, &err), "%s",
                  err ? error_get_pretty(err) : "");
    json_decref(j);
    ret = bdrv_create(opts, &err);
    qapi_free_BlockdevCreateOptions(opts);
    if (ret < 0 && errmsg) {
        *errmsg = g_strdup(err ? error_get_pretty(err) : "");
    }
    error_free(err);
    return ret;
}

static void create_qcow2(const char *img, const char *extra)
{
    g_autofree char *file =
        g_strdup_printf("{\"driver\": \"file\", \"filename\": \"%s\", \"size\": 0}", img);
    g_autofree char *q = g_strdup_printf(
        "{\"driver\": \"qcow2\", \"file\": {\"driver\": \"file\", \"filename\": \"%s\"}%s%s}", img,
        extra[0] ? ", " : "", extra);
    g_autofree char *msg = NULL;

    ck_assert_int_eq(create_image(file, NULL), 0);
    ck_assert_msg(create_image(q, &msg) == 0, "create: %s", msg);
}

static const struct {
    const char *opts;
    const char *expect[4]; /* substrings of qemu-img info --output=json */
} create_cases[] = {
    {"\"size\": 67108864",
     {"\"cluster-size\": 65536", "\"compat\": \"1.1\"", "\"refcount-bits\": 16",
      "\"virtual-size\": 67108864"}},
    {"\"size\": 1048576, \"cluster-size\": 512",
     {"\"cluster-size\": 512", "\"lazy-refcounts\": false"}},
    {"\"size\": 1073741824, \"cluster-size\": 2097152",
     {"\"cluster-size\": 2097152", "\"virtual-size\": 1073741824"}},
    {"\"size\": 10485760, \"version\": \"v2\"", {"\"compat\": \"0.10\""}},
    {"\"size\": 10485760, \"lazy-refcounts\": true", {"\"lazy-refcounts\": true"}},
    {"\"size\": 10485760, \"refcount-bits\": 1", {"\"refcount-bits\": 1"}},
    {"\"size\": 10485760, \"refcount-bits\": 64", {"\"refcount-bits\": 64"}},
    {"\"size\": 10485760, \"preallocation\": \"metadata\"", {"\"virtual-size\": 10485760"}},
    {"\"size\": 4294967296, \"cluster-size\": 4096, \"preallocation\": \"metadata\"",
     {"\"cluster-size\": 4096"}},
    {"\"size\": 10485760, \"backing-file\": \"base.qcow2\", \"backing-fmt\": \"qcow2\"",
     {"\"backing-filename\": \"base.qcow2\"", "\"backing-filename-format\": \"qcow2\""}},
};

START_TEST(test_create)
{
    const char *img = qt_path("new.qcow2");
    g_autofree char *out = NULL;
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 10M", qt_path("base.qcow2"));
    create_qcow2(img, create_cases[_i].opts);
    qt_check_clean(img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img info --output=json '%s'", img), 0);
    for (int i = 0; i < 4 && create_cases[_i].expect[i]; i++) {
        ck_assert_msg(strstr(out, create_cases[_i].expect[i]), "missing %s in %s",
                      create_cases[_i].expect[i], out);
    }
    /* Usable by us and by QEMU. */
    blk = qt_open(img, true);
    qt_write(blk, 512, 1000, 0x7e);
    blk_unref(blk);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0 0 512' -c 'read -P 0x7e 512 1000'");
}
END_TEST

START_TEST(test_create_prealloc_metadata_maps_everything)
{
    const char *img = qt_path("pre.qcow2");
    g_autofree char *out = NULL;

    create_qcow2(img, "\"size\": 4194304, \"preallocation\": \"metadata\"");
    qt_check_clean(img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img check '%s'", img), 0);
    ck_assert_msg(strstr(out, "64/64 = 100.00% allocated"), "%s", out);
    qt_io(img, "-c 'read -P 0 0 4M'");
}
END_TEST

static const struct {
    const char *opts;
    const char *error;
} create_errors[] = {
    {"\"size\": 1048576, \"cluster-size\": 1000",
     "Cluster size must be a power of two between 512 and 2048k"},
    {"\"size\": 1048576, \"cluster-size\": 4194304",
     "Cluster size must be a power of two between 512 and 2048k"},
    {"\"size\": 1048577", "Image size must be a multiple of 512 bytes"},
    {"\"size\": 1048576, \"refcount-bits\": 3",
     "Refcount width must be a power of two and may not exceed 64 bits"},
    {"\"size\": 1048576, \"refcount-bits\": 128",
     "Refcount width must be a power of two and may not exceed 64 bits"},
    {"\"size\": 1048576, \"version\": \"v2\", \"refcount-bits\": 8",
     "Different refcount widths than 16 bits require compatibility level 1.1 or above (use "
     "version=v3 or greater)"},
    {"\"size\": 1048576, \"version\": \"v2\", \"lazy-refcounts\": true",
     "Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or "
     "greater)"},
    {"\"size\": 1048576, \"backing-fmt\": \"qcow2\"",
     "Backing format cannot be used without backing file"},
    {"\"size\": 1048576, \"backing-file\": \"b\", \"preallocation\": \"metadata\"",
     "Backing file and preallocation can only be used at the same time if extended_l2 is on"},
    {"\"size\": 1048576, \"preallocation\": \"full\"", "Unsupported preallocation mode 'full'"},
};

START_TEST(test_create_errors)
{
    const char *img = qt_path("bad.qcow2");
    g_autofree char *file =
        g_strdup_printf("{\"driver\": \"file\", \"filename\": \"%s\", \"size\": 0}", img);
    g_autofree char *q = g_strdup_printf(
        "{\"driver\": \"qcow2\", \"file\": {\"driver\": \"file\", \"filename\": \"%s\"}, %s}", img,
        create_errors[_i].opts);
    g_autofree char *msg = NULL;

    ck_assert_int_eq(create_image(file, NULL), 0);
    ck_assert_int_lt(create_image(q, &msg), 0);
    ck_assert_str_eq(msg, create_errors[_i].error);
}
END_TEST

/* ---- Backing chains ---- */

START_TEST(test_backing_chain_cow)
{
    const char *b0 = qt_path("b0.qcow2"), *b1 = qt_path("b1.qcow2"), *b2 = qt_path("b2.qcow2");
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 4M", b0);
    qt_io(b0, "-c 'write -P 0x11 0 4M'");
    qt_run("qemu-img create -q -f qcow2 -b b0.qcow2 -F qcow2 '%s'", b1);
    qt_io(b1, "-c 'write -P 0x22 64k 128k'");
    qt_run("qemu-img create -q -f qcow2 -b b1.qcow2 -F qcow2 '%s'", b2);

    blk = qt_open(b2, true);
    qt_expect(blk, 0, 64 * 1024, 0x11);
    qt_expect(blk, 64 * 1024, 128 * 1024, 0x22);
    /* Partial-cluster writes: the rest of each cluster comes from the right layer. */
    qt_write(blk, 1000, 100, 0x33);
    qt_write(blk, 70000, 10, 0x33);
    qt_write(blk, 300000, 5000, 0x33);
    qt_write(blk, 4 * 1024 * 1024 - 10, 10, 0x33);
    qt_expect(blk, 0, 1000, 0x11);
    qt_expect(blk, 1000, 100, 0x33);
    qt_expect(blk, 1100, 65536 - 1100, 0x11);
    qt_expect(blk, 65536, 70000 - 65536, 0x22);
    qt_expect(blk, 70010, 196608 - 70010, 0x22);
    blk_unref(blk);

    qt_check_clean(b2);
    qt_check_clean(b1);
    qt_io(b2, "-c 'read -P 0x11 0 1000' -c 'read -P 0x33 1000 100' -c 'read -P 0x11 1100 64436' "
              "-c 'read -P 0x22 65536 4464' -c 'read -P 0x33 70000 10' "
              "-c 'read -P 0x22 70010 126598' -c 'read -P 0x11 196608 103392' "
              "-c 'read -P 0x33 300000 5000' -c 'read -P 0x11 305000 3889294' "
              "-c 'read -P 0x33 4194294 10'");
    /* Layers below are untouched. */
    qt_io(b1, "-c 'read -P 0x11 0 64k' -c 'read -P 0x22 64k 128k'");
}
END_TEST

START_TEST(test_backing_shorter_than_image)
{
    const char *base = qt_path("short.qcow2"), *top = qt_path("top.qcow2");
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 100k", base);
    qt_io(base, "-c 'write -P 0x5a 0 100k'");
    qt_run("qemu-img create -q -f qcow2 -b short.qcow2 -F qcow2 '%s' 1M", top);
    blk = qt_open(top, true);
    qt_expect(blk, 0, 100 * 1024, 0x5a);
    qt_expect(blk, 100 * 1024, 924 * 1024, 0);
    qt_write(blk, 99 * 1024, 2048, 0x6b); /* COW across the end of the backing file */
    qt_expect(blk, 64 * 1024, 35 * 1024, 0x5a);
    qt_expect(blk, 101 * 1024, 27 * 1024, 0);
    blk_unref(blk);
    qt_check_clean(top);
    qt_io(top, "-c 'read -P 0x5a 64k 35k' -c 'read -P 0x6b 99k 2k' -c 'read -P 0 101k 923k'");
}
END_TEST

START_TEST(test_missing_backing_file)
{
    const char *top = qt_path("orphan.qcow2");
    g_autofree char *msg = NULL;

    qt_run("qemu-img create -q -f qcow2 -u -b gone.qcow2 -F qcow2 '%s' 1M", top);
    msg = qt_open_error(top, false, NULL);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, "Could not open backing file: ") && strstr(msg, "gone.qcow2"), "%s",
                  msg);
}
END_TEST

START_TEST(test_change_backing_file)
{
    const char *img = qt_path("cb.qcow2");
    g_autofree char *out = NULL;
    BlockBackend *blk;
    Error *err = NULL;

    qt_run("qemu-img create -q -f qcow2 '%s' 1M", qt_path("x.qcow2"));
    qt_run("qemu-img create -q -f qcow2 '%s' 1M", img);
    blk = qt_open(img, true);
    ck_assert_int_eq(bdrv_change_backing_file(blk_bs(blk), "x.qcow2", "qcow2", &err), 0);
    ck_assert_str_eq(blk_bs(blk)->backing_file, "x.qcow2");
    blk_unref(blk);
    qt_check_clean(img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img info --output=json '%s'", img), 0);
    ck_assert_msg(strstr(out, "\"backing-filename\": \"x.qcow2\"") &&
                      strstr(out, "\"backing-filename-format\": \"qcow2\""),
                  "%s", out);

    /* And away again. */
    blk = qt_open_opts(img, true, "{\"backing\": null}", &err);
    ck_assert_ptr_nonnull(blk);
    ck_assert_int_eq(bdrv_change_backing_file(blk_bs(blk), NULL, NULL, &err), 0);
    blk_unref(blk);
    g_free(out);
    ck_assert_int_eq(qt_sh(&out, "qemu-img info --output=json '%s'", img), 0);
    ck_assert_msg(!strstr(out, "backing"), "%s", out);
}
END_TEST

/* ---- Header extensions ---- */

/* Appends an extension of our own to a fresh image's header (hex edit). */
static void add_unknown_extension(const char *img)
{
    gsize len;
    g_autofree uint8_t *d = qt_slurp(img, &len);
    uint32_t hlen = qcow2_be32(d + QCOW2_HDR_HEADER_LENGTH);
    uint64_t pos = hlen;
    uint8_t ext[8 + 24];

    /* Walk to the end marker and put ours there. */
    while (qcow2_be32(d + pos) != 0) {
        pos += 8 + QEMU_ALIGN_UP(qcow2_be32(d + pos + 4), 8);
    }
    qcow2_put_be32(ext, 0x0ddba11);
    qcow2_put_be32(ext + 4, 19);
    memset(ext + 8, 0, 24);
    memcpy(ext + 8, "keep me, I'm needed", 19);
    qt_poke(img, pos, ext, sizeof(ext));
    qt_poke(img, pos + sizeof(ext), "\0\0\0\0\0\0\0\0", 8);
}

START_TEST(test_unknown_extension_preserved)
{
    const char *img = qt_path("ext.qcow2");
    g_autofree uint8_t *d = NULL;
    gsize len;
    BlockBackend *blk;
    Error *err = NULL;

    qt_run("qemu-img create -q -f qcow2 '%s' 1M", qt_path("b.qcow2"));
    qt_run("qemu-img create -q -f qcow2 '%s' 1M", img);
    add_unknown_extension(img);
    qt_check_clean(img);

    blk = qt_open(img, true);
    ck_assert_int_eq(bdrv_change_backing_file(blk_bs(blk), "b.qcow2", "qcow2", &err), 0);
    qt_write(blk, 0, 512, 1);
    blk_unref(blk);

    d = qt_slurp(img, &len);
    ck_assert_ptr_nonnull(memmem(d, 65536, "keep me, I'm needed", 19));
    ck_assert_ptr_nonnull(memmem(d, 65536, "b.qcow2", 7));
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 1 0 512'");
}
END_TEST

/* ---- Compressed clusters ---- */

START_TEST(test_compressed_from_qemu)
{
    const char *src = qt_path("src.qcow2"), *img = qt_path("comp.qcow2");
    g_autofree char *out = NULL;
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 4M", src);
    qt_io(src, "-c 'write -P 0x11 0 1M' -c 'write -P 0x22 1M 100k' -c 'write -P 0x33 3M 64k'");
    qt_run("qemu-img convert -c -O qcow2 -o cluster_size=%d '%s' '%s'", _i ? 4096 : 65536, src,
           img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img check '%s'", img), 0);
    ck_assert_msg(strstr(out, "compressed clusters") && !strstr(out, " 0.00% compressed"), "%s",
                  out);

    blk = qt_open(img, false);
    qt_expect(blk, 0, 1024 * 1024, 0x11);
    qt_expect(blk, 1024 * 1024, 100 * 1024, 0x22);
    qt_expect(blk, 1150976, 3 * 1024 * 1024 - 1150976, 0);
    qt_expect(blk, 3 * 1024 * 1024, 64 * 1024, 0x33);
    qt_expect(blk, 5000, 7, 0x11);
    blk_unref(blk);

    /* Writing into compressed clusters copies them out first. */
    blk = qt_open(img, true);
    qt_write(blk, 1000, 10, 0x44);
    qt_write(blk, 1024 * 1024 + 4096, 4096, 0x55);
    blk_unref(blk);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x11 0 1000' -c 'read -P 0x44 1000 10' -c 'read -P 0x11 1010 1047566' "
               "-c 'read -P 0x22 1M 4k' -c 'read -P 0x55 1052672 4k' "
               "-c 'read -P 0x22 1056768 94208'");
}
END_TEST

START_TEST(test_compressed_write)
{
    const char *img = qt_path("cw.qcow2");
    g_autofree char *out = NULL;
    g_autofree uint8_t *buf = g_malloc(192 * 1024);
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 1M", img);
    blk = qt_open(img, true);
    memset(buf, 0x61, 64 * 1024);
    memset(buf + 64 * 1024, 0x62, 128 * 1024);
    ck_assert_int_eq(blk_pwrite(blk, 0, 192 * 1024, buf, BDRV_REQ_WRITE_COMPRESSED), 0);
    /* Incompressible data is stored normally. */
    for (int i = 0; i < 64 * 1024; i++) {
        buf[i] = g_random_int();
    }
    ck_assert_int_eq(blk_pwrite(blk, 256 * 1024, 64 * 1024, buf, BDRV_REQ_WRITE_COMPRESSED), 0);
    qt_expect(blk, 0, 64 * 1024, 0x61);
    qt_expect(blk, 64 * 1024, 128 * 1024, 0x62);
    blk_unref(blk);
    qt_check_clean(img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img check '%s'", img), 0);
    ck_assert_msg(strstr(out, "75.00% compressed"), "%s", out);
    qt_io(img, "-c 'read -P 0x61 0 64k' -c 'read -P 0x62 64k 128k' -c 'read -P 0 192k 64k'");
}
END_TEST

/* ---- Zero clusters, discard ---- */

START_TEST(test_zero_clusters)
{
    const char *base = qt_path("zb.qcow2"), *img = qt_path("z.qcow2");
    g_autofree char *out = NULL;
    int64_t pnum, map;
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 4M", base);
    qt_io(base, "-c 'write -P 0x77 0 4M'");
    qt_run("qemu-img create -q -f qcow2 -b zb.qcow2 -F qcow2 '%s'", img);
    blk = qt_open_opts(img, true, "{\"discard\": \"unmap\"}", NULL);
    ck_assert_ptr_nonnull(blk);
    qt_write(blk, 0, 1024 * 1024, 0x11);
    /* Aligned, allocated, no unmap: the clusters stay allocated and read zeroes. */
    ck_assert_int_eq(qt_zero(blk, 0, 128 * 1024, 0), 0);
    ck_assert_int_eq(qt_status(blk, 0, 128 * 1024, &pnum, &map),
                     BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID | BDRV_BLOCK_ALLOCATED);
    ck_assert_int_eq(pnum, 128 * 1024);
    /* With unmap: plain zero clusters. */
    ck_assert_int_eq(qt_zero(blk, 256 * 1024, 128 * 1024, BDRV_REQ_MAY_UNMAP), 0);
    ck_assert_int_eq(qt_status(blk, 256 * 1024, 128 * 1024, &pnum, &map),
                     BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED);
    /* Unallocated over a backing file: zero clusters hide the backing data. */
    ck_assert_int_eq(qt_zero(blk, 2 * 1024 * 1024, 64 * 1024, BDRV_REQ_MAY_UNMAP), 0);
    /* Unaligned: the partial clusters are written as data. */
    ck_assert_int_eq(qt_zero(blk, 500 * 1024 + 100, 200 * 1024, 0), 0);
    ck_assert_int_eq(qt_zero(blk, 3 * 1024 * 1024 + 10, 10, BDRV_REQ_MAY_UNMAP), 0);
    /* ... unless the caller wants no fallback. */
    ck_assert_int_eq(qt_zero(blk, 3 * 1024 * 1024 + 100, 10, BDRV_REQ_NO_FALLBACK), -ENOTSUP);
    qt_expect(blk, 0, 128 * 1024, 0);
    qt_expect(blk, 128 * 1024, 128 * 1024, 0x11);
    qt_expect(blk, 256 * 1024, 128 * 1024, 0);
    qt_expect(blk, 384 * 1024, 500 * 1024 + 100 - 384 * 1024, 0x11);
    qt_expect(blk, 500 * 1024 + 100, 200 * 1024, 0);
    qt_expect(blk, 700 * 1024 + 100, 324 * 1024 - 100, 0x11);
    qt_expect(blk, 1024 * 1024, 1024 * 1024, 0x77);
    qt_expect(blk, 2 * 1024 * 1024, 64 * 1024, 0);
    qt_expect(blk, 3 * 1024 * 1024, 10, 0x77);
    qt_expect(blk, 3 * 1024 * 1024 + 10, 10, 0);
    qt_expect(blk, 3 * 1024 * 1024 + 20, 1000, 0x77);
    blk_unref(blk);

    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0 0 128k' -c 'read -P 0x11 128k 128k' -c 'read -P 0 256k 128k' "
               "-c 'read -P 0x11 384k 116836' -c 'read -P 0 512100 204800' "
               "-c 'read -P 0x11 716900 331676' -c 'read -P 0x77 1M 1M' "
               "-c 'read -P 0 2M 64k' -c 'read -P 0x77 2162688 983040' "
               "-c 'read -P 0 3145738 10' -c 'read -P 0x77 3145748 1000'");
    ck_assert_int_eq(qt_sh(&out, "qemu-img map --output=json '%s'", img), 0);
    ck_assert_msg(strstr(out, "\"start\": 2097152, \"length\": 65536, \"depth\": 0, "
                              "\"present\": true, \"zero\": true, \"data\": false"),
                  "%s", out);
}
END_TEST

START_TEST(test_zero_v2_falls_back)
{
    const char *img = qt_path("z2.qcow2");
    g_autofree char *out = NULL;
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 -o compat=0.10 '%s' 1M", img);
    blk = qt_open(img, true);
    qt_write(blk, 0, 1024 * 1024, 0x11);
    ck_assert_int_eq(qt_zero(blk, 64 * 1024, 64 * 1024, BDRV_REQ_NO_FALLBACK), -ENOTSUP);
    ck_assert_int_eq(qt_zero(blk, 64 * 1024, 64 * 1024, BDRV_REQ_MAY_UNMAP), 0);
    qt_expect(blk, 64 * 1024, 64 * 1024, 0);
    blk_unref(blk);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x11 0 64k' -c 'read -P 0 64k 64k' -c 'read -P 0x11 128k 896k'");
    /* No zero flag may appear in a v2 image. */
    ck_assert_int_eq(qt_sh(&out, "qemu-img map --output=json '%s'", img), 0);
    ck_assert_msg(!strstr(out, "\"zero\": true, \"data\": false"), "%s", out);
}
END_TEST

START_TEST(test_discard)
{
    const char *img = qt_path("d.qcow2");
    g_autofree char *out = NULL;
    BlockBackend *blk;
    int64_t pnum, map;

    qt_run("qemu-img create -q -f qcow2 -o compat=%s '%s' 2M", _i ? "0.10" : "1.1", img);
    blk = qt_open_opts(img, true, "{\"discard\": \"unmap\"}", NULL);
    ck_assert_ptr_nonnull(blk);
    qt_write(blk, 0, 2 * 1024 * 1024, 0x11);
    /* Partial clusters are left alone; whole ones are freed. */
    ck_assert_int_eq(qt_discard(blk, 100, 256 * 1024), 0);
    ck_assert_int_eq(qt_discard(blk, 1024 * 1024, 1024 * 1024), 0);
    qt_expect(blk, 0, 64 * 1024, 0x11);
    qt_expect(blk, 64 * 1024, 192 * 1024, 0);
    qt_expect(blk, 256 * 1024, 100, 0x11);
    qt_expect(blk, 1024 * 1024, 1024 * 1024, 0);
    ck_assert_int_ge(qt_status(blk, 64 * 1024, 64 * 1024, &pnum, &map), 0);
    blk_unref(blk);
    qt_check_clean(img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img check '%s'", img), 0);
    ck_assert_msg(strstr(out, "13/32 = 40.62% allocated"), "%s", out);
    qt_io(img, "-c 'read -P 0x11 0 64k' -c 'read -P 0 64k 192k' -c 'read -P 0x11 256k 768k' "
               "-c 'read -P 0 1M 1M'");
    /* The freed clusters are reused. */
    blk = qt_open(img, true);
    qt_write(blk, 1024 * 1024, 1024 * 1024, 0x22);
    blk_unref(blk);
    qt_check_clean(img);
    g_free(out);
    ck_assert_int_eq(qt_sh(&out, "qemu-img check '%s'", img), 0);
    ck_assert_msg(strstr(out, "Image end offset: 2424832"), "%s", out);
}
END_TEST

/* ---- Resize ---- */

START_TEST(test_resize)
{
    const char *img = qt_path("r.qcow2");
    g_autofree char *out = NULL;
    Error *err = NULL;
    BlockBackend *blk;

    /* 512-byte clusters: one L1 cluster covers 2 GiB... of 64-entry L2s: 32 MiB. */
    qt_run("qemu-img create -q -f qcow2 -o cluster_size=512 '%s' 1000k", img);
    blk = qt_open(img, true);
    qt_write(blk, 0, 1000 * 1024, 0x11);
    ck_assert_int_eq(blk_truncate(blk, 100 * 1024 * 1024, false, PREALLOC_MODE_OFF, 0, &err), 0);
    ck_assert_int_eq(blk_getlength(blk), 100 * 1024 * 1024);
    qt_write(blk, 99 * 1024 * 1024, 1024 * 1024, 0x22);
    qt_expect(blk, 0, 1000 * 1024, 0x11);
    qt_expect(blk, 1000 * 1024, 1024 * 1024, 0);
    blk_unref(blk);
    qt_check_clean(img);
    ck_assert_int_eq(qt_sh(&out, "qemu-img info --output=json '%s'", img), 0);
    ck_assert_msg(strstr(out, "\"virtual-size\": 104857600"), "%s", out);
    qt_io(img, "-c 'read -P 0x11 0 1000k' -c 'read -P 0 1000k 98M' -c 'read -P 0x22 99M 1M'");

    /* Growing with metadata preallocation; then refused sizes. */
    blk = qt_open(img, true);
    ck_assert_int_eq(blk_truncate(blk, 101 * 1024 * 1024, false, PREALLOC_MODE_METADATA, 0, &err),
                     0);
    ck_assert_int_lt(blk_truncate(blk, 101 * 1024 * 1024 + 1, false, PREALLOC_MODE_OFF, 0, &err),
                     0);
    ck_assert_str_eq(error_get_pretty(err), "The new size must be a multiple of 512");
    error_free(err);
    err = NULL;
    qt_expect(blk, 100 * 1024 * 1024, 1024 * 1024, 0);
    blk_unref(blk);
    qt_check_clean(img);
}
END_TEST

START_TEST(test_resize_shrink_and_regrow)
{
    const char *img = qt_path("s.qcow2");
    Error *err = NULL;
    BlockBackend *blk;

    qt_run("qemu-img create -q -f qcow2 '%s' 2M", img);
    blk = qt_open(img, true);
    qt_write(blk, 0, 2 * 1024 * 1024, 0x11);
    ck_assert_int_eq(blk_truncate(blk, 100 * 1024, false, PREALLOC_MODE_OFF, 0, &err), 0);
    ck_assert_int_eq(blk_truncate(blk, 3 * 1024 * 1024, false, PREALLOC_MODE_OFF, 0, &err), 0);
    /* What was cut off does not come back. */
    qt_expect(blk, 0, 100 * 1024, 0x11);
    qt_expect(blk, 100 * 1024, 3 * 1024 * 1024 - 100 * 1024, 0);
    blk_unref(blk);
    qt_check_clean(img);
    qt_io(img, "-c 'read -P 0x11 0 100k' -c 'read -P 0 100k 2972k'");
}
END_TEST

/* ---- Information ---- */

START_TEST(test_info)
{
    const char *img = qt_path("i.qcow2");
    BlockDriverInfo bdi;
    ImageInfoSpecific *spec;
    BlockBackend *blk;
    Error *err = NULL;

    qt_run("qemu-img create -q -f qcow2 -o cluster_size=4096,lazy_refcounts=on,refcount_bits=8 "
           "'%s' 3M",
           img);
    blk = qt_open(img, false);
    ck_assert_int_eq(bdrv_get_info(blk_bs(blk), &bdi), 0);
    ck_assert_int_eq(bdi.cluster_size, 4096);
    ck_assert(!bdi.is_dirty);
    spec = blk_bs(blk)->drv->bdrv_get_specific_info(blk_bs(blk), &err);
    ck_assert_int_eq(spec->type, IMAGE_INFO_SPECIFIC_KIND_QCOW2);
    ck_assert_str_eq(spec->u.qcow2.data->compat, "1.1");
    ck_assert(spec->u.qcow2.data->has_lazy_refcounts && spec->u.qcow2.data->lazy_refcounts);
    ck_assert(spec->u.qcow2.data->has_corrupt && !spec->u.qcow2.data->corrupt);
    ck_assert(spec->u.qcow2.data->has_extended_l2 && !spec->u.qcow2.data->extended_l2);
    ck_assert_int_eq(spec->u.qcow2.data->refcount_bits, 8);
    ck_assert_int_eq(spec->u.qcow2.data->compression_type, QCOW2_COMPRESSION_TYPE_ZLIB);
    qapi_free_ImageInfoSpecific(spec);
    ck_assert_int_eq(blk_getlength(blk), 3 * 1024 * 1024);
    ck_assert_int_gt(bdrv_get_allocated_file_size(blk_bs(blk)), 0);
    blk_unref(blk);

    qt_run("qemu-img create -q -f qcow2 -o compat=0.10 '%s' 1M", img);
    blk = qt_open(img, false);
    spec = blk_bs(blk)->drv->bdrv_get_specific_info(blk_bs(blk), &err);
    ck_assert_str_eq(spec->u.qcow2.data->compat, "0.10");
    ck_assert(!spec->u.qcow2.data->has_lazy_refcounts && !spec->u.qcow2.data->has_corrupt);
    ck_assert_int_eq(spec->u.qcow2.data->refcount_bits, 16);
    qapi_free_ImageInfoSpecific(spec);
    blk_unref(blk);
}
END_TEST

START_TEST(test_block_status)
{
    const char *img = qt_path("bs.qcow2");
    BDRVQcow2State *s;
    BlockBackend *blk;
    int64_t pnum, map;
    int ret;

    qt_run("qemu-img create -q -f qcow2 '%s' 1M", img);
    qt_io(img, "-c 'write -P 1 0 128k' -c 'write -z 128k 64k' -c 'write -P 2 512k 64k'");
    blk = qt_open(img, false);
    s = qt_state(blk);
    ret = qt_status(blk, 0, 1024 * 1024, &pnum, &map);
    ck_assert_int_eq(ret, BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID | BDRV_BLOCK_ALLOCATED);
    ck_assert_int_eq(pnum, 128 * 1024);
    ck_assert_int_eq(map % s->cluster_size, 0);
    ret = qt_status(blk, 1000, 10, &pnum, &map);
    ck_assert_int_eq(pnum, 10);
    ck_assert_int_eq(map % s->cluster_size, 1000);
    ret = qt_status(blk, 128 * 1024, 1024 * 1024 - 128 * 1024, &pnum, &map);
    ck_assert_int_eq(ret, BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED);
    ck_assert_int_eq(pnum, 64 * 1024);
    ret = qt_status(blk, 192 * 1024, 1024 * 1024 - 192 * 1024, &pnum, &map);
    ck_assert_int_eq(ret, 0);
    ck_assert_int_eq(pnum, 320 * 1024);
    blk_unref(blk);
}
END_TEST

START_TEST(test_options)
{
    const char *img = qt_path("o.qcow2");
    BlockBackend *blk;
    g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL;

    qt_run("qemu-img create -q -f qcow2 -o compat=0.10 '%s' 64M", img);
    m1 = qt_open_error(img, true, "{\"lazy-refcounts\": true}");
    ck_assert_str_eq(m1, "Lazy refcounts require a qcow2 image with at least qemu 1.1 "
                         "compatibility level");
    m2 = qt_open_error(img, true,
                       "{\"cache-size\": 100000, \"l2-cache-size\": 1, "
                       "\"refcount-cache-size\": 1}");
    ck_assert_str_eq(m2, "cache-size, l2-cache-size and refcount-cache-size may not be set at "
                         "the same time");
    m3 = qt_open_error(img, true, "{\"cache-size\": 1000, \"l2-cache-size\": 2000}");
    ck_assert_str_eq(m3, "l2-cache-size may not exceed cache-size");
    m4 = qt_open_error(img, true, "{\"l2-cache-entry-size\": 1000}");
    ck_assert_str_eq(m4, "L2 cache entry size must be a power of two between 512 and the "
                         "cluster size (65536)");

    /* A tiny cache (evictions everywhere) and every overlap check still work. */
    blk = qt_open_opts(img, true,
                       "{\"l2-cache-size\": 1, \"refcount-cache-size\": 1, "
                       "\"overlap-check\": \"all\"}",
                       NULL);
    ck_assert_ptr_nonnull(blk);
    for (int i = 0; i < 64; i++) {
        qt_write(blk, i * 1024 * 1024 + i, 4096, i + 1);
    }
    for (int i = 0; i < 64; i++) {
        qt_expect(blk, i * 1024 * 1024 + i, 4096, i + 1);
    }
    blk_unref(blk);
    qt_check_clean(img);
    blk = qt_open_opts(img, true,
                       "{\"overlap-check\": {\"template\": \"none\", \"main-header\": "
                       "true}, \"cache-size\": 262144}",
                       NULL);
    ck_assert_ptr_nonnull(blk);
    ck_assert_int_eq(qt_state(blk)->overlap_check, QCOW2_OL_MAIN_HEADER);
    blk_unref(blk);
}
END_TEST

Suite *qcow2_suite(void);
Suite *qcow2_suite(void);
Suite *qcow2_suite(void)
{
    Suite *s = suite_create("qcow2");
    TCase *tc = tcase_create("interop");

    tcase_add_checked_fixture(tc, qt_setup, qt_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_rw_matrix, 0, ARRAY_SIZE(rw_configs));
    tcase_add_loop_test(tc, test_read_qemu_written, 0, ARRAY_SIZE(rw_configs));
    tcase_add_loop_test(tc, test_create, 0, ARRAY_SIZE(create_cases));
    tcase_add_test(tc, test_create_prealloc_metadata_maps_everything);
    tcase_add_loop_test(tc, test_create_errors, 0, ARRAY_SIZE(create_errors));
    tcase_add_test(tc, test_backing_chain_cow);
    tcase_add_test(tc, test_backing_shorter_than_image);
    tcase_add_test(tc, test_missing_backing_file);
    tcase_add_test(tc, test_change_backing_file);
    tcase_add_test(tc, test_unknown_extension_preserved);
    tcase_add_loop_test(tc, test_compressed_from_qemu, 0, 2);
    tcase_add_test(tc, test_compressed_write);
    tcase_add_test(tc, test_zero_clusters);
    tcase_add_test(tc, test_zero_v2_falls_back);
    tcase_add_loop_test(tc, test_discard, 0, 2);
    tcase_add_test(tc, test_resize);
    tcase_add_test(tc, test_resize_shrink_and_regrow);
    tcase_add_test(tc, test_info);
    tcase_add_test(tc, test_block_status);
    tcase_add_test(tc, test_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(qcow2_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
