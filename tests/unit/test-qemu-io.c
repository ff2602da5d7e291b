/*
 * The qemu-io interpreter library (tools/qemu-io*.c) on its own: number
 * syntax and size rendering, option parsing, dispatch and its messages,
 * permissions commands take, asynchronous requests outliving their
 * session, and the blkdebug breakpoint reports.  What it prints is
 * captured from the session's sink.
 */
#include <check.h>

#include "block/block-backend.h"
#include "tools/qemu-io-int.h"
#include "util/main-loop.h"

typedef struct Capture {
    GString *out, *err;
} Capture;

static Capture cap;
static QemuIOSession *s;
static char *dir;

static void capture_sink(void *opaque, QemuIOStream stream, const char *text)
{
    Capture *c = opaque;

    g_string_append(stream == QEMUIO_STDOUT ? c->out : c->err, text);
}

static void setup(void)
{
    main_loop_init();
    cap.out = g_string_new(NULL);
    cap.err = g_string_new(NULL);
    s = qemuio_session_new(capture_sink, &cap, "prog");
    dir = g_dir_make_tmp("test-qemu-io-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

    if (s) {
        qemuio_session_free(s);
    }
    g_string_free(cap.out, true);
    g_string_free(cap.err, true);
    ck_assert_int_eq(system(cmd), 0);
    g_free(dir);
}

static void clear(void)
{
    g_string_truncate(cap.out, 0);
    g_string_truncate(cap.err, 0);
}

/* Runs a command line; checks its result and exactly what it printed. */
static void run(const char *line, int ret, const char *out, const char *err)
{
    clear();
    ck_assert_int_eq(qemuio_command(s, line), ret);
    ck_assert_str_eq(cap.out->str, out);
    ck_assert_str_eq(cap.err->str, err);
}

/* The statistics lines with the clock-dependent figures cut off. */
static char *stats_of(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *r = g_string_new(NULL);

    for (int i = 0; lines[i] && *lines[i]; i++) {
        char *cut = strstr(lines[i], " ops; ");

        if (cut) {
            cut[5] = '\0';
        }
        g_string_append_printf(r, "%s\n", lines[i]);
    }
    return g_string_free(r, false);
}

static BlockBackend *open_blk(const char *json, int flags, uint64_t perm)
{
    json_error_t jerr;
    json_t *opts = json_loads(json, 0, &jerr);
    Error *err = NULL;
    BlockDriverState *bs;
    BlockBackend *blk;

    ck_assert_ptr_nonnull(opts);
    bs = bdrv_open_image(NULL, json_string_value(json_object_get(opts, "driver")), opts, flags,
                         &err);
    json_decref(opts);
    ck_assert_msg(bs, "open: %s", err ? error_get_pretty(err) : "?");
    blk = blk_new(perm, BLK_PERM_ALL);
    ck_assert(blk_insert_bs(blk, bs, NULL));
    bdrv_unref(bs);
    return blk;
}

static BlockBackend *open_null(void)
{
    return open_blk("{\"driver\": \"null-co\", \"size\": 4194304, \"read-zeroes\": true}",
                    BDRV_O_RDWR, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
}

/* ---------------------------------------------------------------- numbers */

START_TEST(test_cvtnum)
{
    static const struct {
        const char *in;
        int64_t val;
    } cases[] = {
        {"0", 0},
        {"512", 512},
        {"010", 10},
        {"+1", 1},
        {"0x10", 16},
        {"0X1f", 31},
        {"1k", 1024},
        {"1K", 1024},
        {"1b", 1},
        {"2M", 2 << 20},
        {"1.5k", 1536},
        {"1.k", 1024},
        {"3.0", 3},
        {"1.0b", 1},
        {"1.2k", 1229}, /* 1228.8 rounds to nearest */
        {"0.00048828125k", 1},
        {"0.00048828124k", 0},
        {"1e", 1LL << 60},
        {"1.5e", 3LL << 59},
        {"9223372036854775807", INT64_MAX},
        {"", -EINVAL},
        {"k", -EINVAL},
        {".5k", -EINVAL},
        {"1.5", -EINVAL},
        {"1.5b", -EINVAL},
        {"1kB", -EINVAL},
        {"1e-3", -EINVAL},
        {"1.5e3k", -EINVAL},
        {"0x", -EINVAL},
        {"0x1.8", -EINVAL},
        {"00x10", -EINVAL},
        {"-1", -EINVAL},
        {"abc", -EINVAL},
        {"9223372036854775808", -ERANGE},
        {"18446744073709551616", -ERANGE},
        {"8E", -ERANGE},
        {"16E", -ERANGE},
        {"0x8000000000000000", -ERANGE},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ck_assert_msg(qemuio_cvtnum(s, cases[i].in) == cases[i].val, "%s: %" PRId64, cases[i].in,
                      qemuio_cvtnum(s, cases[i].in));
    }
    ck_assert_str_eq(cap.err->str, "");

    /* hex with a suffix still works, with a warning */
    ck_assert_int_eq(qemuio_cvtnum(s, "0x10k"), 16384);
    ck_assert_str_eq(cap.err->str,
                     "prog: warning: Using a multiplier suffix on hex numbers is deprecated: "
                     "0x10k\n");

    clear();
    qemuio_print_cvtnum_err(s, -EINVAL, "x");
    qemuio_print_cvtnum_err(s, -ERANGE, "9E");
    qemuio_print_cvtnum_err(s, -EIO, "y");
    ck_assert_str_eq(cap.out->str,
                     "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- x\n"
                     "Parsing error: argument too large -- 9E\n"
                     "Parsing error: y\n");
}
END_TEST

START_TEST(test_cvtstr)
{
    static const struct {
        double in;
        const char *out;
    } cases[] = {
        {0, "0 bytes"},
        {512, "512 bytes"},
        {236.501723, "236.501723 bytes"},
        {1023, "1023 bytes"},
        {1024, "1 KiB"},
        {1536, "1.500 KiB"},
        {65536, "64 KiB"},
        {1048576, "1 MiB"},
        {1.125 * 1048576, "1.125 MiB"},
        {2.0625 * 1048576, "2.062 MiB"},
        {536870912, "512 MiB"},
        {1073741824.0 * 4, "4 GiB"},
        {1099511627776.0 * 1.239, "1.239 TiB"},
        {1125899906842624.0, "1 PiB"},
        {1152921504606846976.0 * 2, "2 EiB"},
    };
    char buf[64];

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        qemuio_cvtstr(cases[i].in, buf, sizeof(buf));
        ck_assert_str_eq(buf, cases[i].out);
    }
}
END_TEST

START_TEST(test_report)
{
    qemuio_print_report(s, "read", 10000000, 0, 65536, 65536, 1, false);
    ck_assert_str_eq(cap.out->str,
                     "read 65536/65536 bytes at offset 0\n"
                     "64 KiB, 1 ops; 00.01 sec (6.250 MiB/sec and 100.0000 ops/sec)\n");
    clear();
    qemuio_print_report(s, "wrote", 3723500000000LL, 7, 3, 3, 1, false);
    ck_assert_str_eq(cap.out->str, "wrote 3/3 bytes at offset 7\n"
                                   "3 bytes, 1 ops; 1:02:03.50 (0 bytes/sec and 0.0003 ops/sec)\n");
    clear();
    qemuio_print_report(s, "read", 500000000, 0, 512, 512, 1, true);
    ck_assert_str_eq(cap.out->str, "512,1,0:00:00.50,1024.000,2.000\n");
    clear();
    qemuio_dump_buffer(s, "ab\x01+cdefghijklmnopq", 0x1f0, 18);
    ck_assert_str_eq(
        cap.out->str,
        "000001f0:  61 62 01 2b 63 64 65 66 67 68 69 6a 6b 6c 6d 6e  ab..cdefghijklmn\n"
        "00000200:  6f 70  op\n");
}
END_TEST

START_TEST(test_parse_pattern)
{
    ck_assert_int_eq(qemuio_parse_pattern(s, "0xab"), 0xab);
    ck_assert_int_eq(qemuio_parse_pattern(s, "010"), 8);
    ck_assert_int_eq(qemuio_parse_pattern(s, "255"), 255);
    ck_assert_str_eq(cap.out->str, "");
    ck_assert_int_eq(qemuio_parse_pattern(s, "256"), -1);
    ck_assert_int_eq(qemuio_parse_pattern(s, "-1"), -1);
    ck_assert_int_eq(qemuio_parse_pattern(s, "1x"), -1);
    ck_assert_str_eq(cap.out->str, "256 is not a valid pattern byte\n"
                                   "-1 is not a valid pattern byte\n"
                                   "1x is not a valid pattern byte\n");
}
END_TEST

/* ---------------------------------------------------------------- getopt */

START_TEST(test_getopt)
{
    char *argv[] = {"cmd", "0", "-vq", "-P", "5", "-l7", "1", "--", "-z", NULL};
    g_auto(QemuIOGetopt) g;
    GString *seen = g_string_new(NULL);
    int c;

    qemuio_getopt_init(&g, 9, argv);
    while ((c = qemuio_getopt(s, &g, "l:P:qvz")) != -1) {
        g_string_append_printf(seen, "%c=%s;", c, g.optarg ? g.optarg : "");
    }
    ck_assert_str_eq(seen->str, "v=;q=;P=5;l=7;");
    ck_assert_int_eq(g.nrest, 3);
    ck_assert_str_eq(g.rest[0], "0");
    ck_assert_str_eq(g.rest[1], "1");
    ck_assert_str_eq(g.rest[2], "-z"); /* after "--" */
    ck_assert_str_eq(cap.err->str, "");
    g_string_free(seen, true);
}
END_TEST

START_TEST(test_getopt_errors)
{
    char *argv[] = {"read", "-x", "-", "-P", NULL};
    g_auto(QemuIOGetopt) g;

    qemuio_getopt_init(&g, 4, argv);
    ck_assert_int_eq(qemuio_getopt(s, &g, "P:"), '?');
    ck_assert_int_eq(qemuio_getopt(s, &g, "P:"), '?');
    ck_assert_int_eq(qemuio_getopt(s, &g, "P:"), -1);
    ck_assert_int_eq(g.nrest, 1);
    ck_assert_str_eq(g.rest[0], "-"); /* a lone dash is an operand */
    ck_assert_str_eq(cap.err->str, "read: invalid option -- 'x'\n"
                                   "read: option requires an argument -- 'P'\n");
}
END_TEST

/* ---------------------------------------------------------------- dispatch */

START_TEST(test_dispatch_errors)
{
    run("", 0, "", "");
    run("   ", 0, "", "");
    run("bogus 1", -EINVAL, "", "command \"bogus\" not found\n");
    run("read 0 1", -EINVAL, "", "no file open, try 'help open'\n");
    run("sleep 1", 0, "", ""); /* needs no file */
    run("sleep", -EINVAL, "", "bad argument count 0 to sleep, expected 1 arguments\n");
    run("sleep x", -EINVAL, "x is not a valid number\n", "");
    run("sleep -1", -EINVAL, "-1 is not a valid number\n", "");
    run("help 1 2", -EINVAL, "",
        "bad argument count 2 to help, expected between 0 and 1 "
        "arguments\n");
    run("help nope", -EINVAL, "command nope not found\n", "");
    run("help l", 0, "l -- gets the length of the current file\n", "");
    run("? map", 0, "map  -- prints the allocated areas of a file\n", "");
}
END_TEST

START_TEST(test_help_lists_added_commands)
{
    static const QemuIOCommand extra[] = {
        {.name = "aaa", .fn = NULL, .flags = QEMUIO_CMD_GLOBAL, .oneline = "first"},
        {NULL},
    };
    g_auto(GStrv) lines = NULL;
    int n;

    qemuio_session_add_commands(s, extra);
    ck_assert_int_eq(qemuio_command(s, "help"), 0);
    lines = g_strsplit(cap.out->str, "\n", -1);
    n = (int)g_strv_length(lines);
    ck_assert_str_eq(lines[0], "aaa -- first");
    ck_assert_str_eq(lines[1], "abort -- simulate a program crash using abort(3)");
    ck_assert_str_eq(lines[n - 2], "Use 'help commandname' for extended help.");
    for (int i = 1; i < n - 4; i++) {
        ck_assert_msg(strcmp(lines[i - 1], lines[i]) < 0, "%s / %s", lines[i - 1], lines[i]);
    }
}
END_TEST

/* ---------------------------------------------------------------- I/O */

START_TEST(test_io_on_null)
{
    BlockBackend *blk = open_null();
    g_autofree char *st = NULL;

    qemuio_session_set_blk(s, blk);
    run("read -q -P 0 0 64k", 0, "", "");
    clear();
    ck_assert_int_eq(qemuio_command(s, "r 512 1k"), 0);
    st = stats_of(cap.out->str);
    ck_assert_str_eq(st, "read 1024/1024 bytes at offset 512\n1 KiB, 1 ops;\n");
    run("read 4M 1", -EIO, "read failed: Input/output error\n", "");
    run("read 0 2G", -EINVAL, "length cannot exceed 2147483136, given 2G\n", "");
    run("read -x 0 1", -EINVAL,
        "read [-abCqv] [-P pattern [-s off] [-l len]] off len -- reads a number of bytes at a "
        "specified offset\n",
        "read: invalid option -- 'x'\n");
    run("write -q -z -u 0 4k", 0, "", "");
    run("write -z 0 4G", -EINVAL, "length cannot exceed 2147483136 without -n, given 4G\n", "");
    run("length", 0, "4 MiB\n", "");
    /* null-co has no driver info: qemu-io stops there and fails */
    run("info", -ENOTSUP, "format name: null-co\nformat name: null-co\n", "");
    /* reads defined as zeroes count as allocated, as in QEMU */
    run("map", 0, "4 MiB (0x400000) bytes     allocated at offset 0 bytes (0x0)\n", "");
    run("alloc 0 1M", 0, "1048576/1048576 bytes allocated at offset 0 bytes\n", "");
    run("alloc 3M 4M", 0, "1048576/1048576 bytes allocated at offset 3 MiB\n", "");
    run("flush", 0, "", "");
    run("break pwritev A", -ENOTSUP, "Could not set breakpoint: Operation not supported\n", "");
    qemuio_session_set_blk(s, NULL);
    blk_unref(blk);
}
END_TEST

START_TEST(test_write_takes_permission)
{
    g_autofree char *img = g_build_filename(dir, "p.raw", NULL);
    g_autofree char *json =
        g_strdup_printf("{\"driver\": \"raw\", \"file\": {\"driver\": \"file\", "
                        "\"filename\": \"%s\"}}",
                        img);
    BlockBackend *blk;
    uint64_t perm, shared;

    ck_assert(g_file_set_contents(img, "", 0, NULL));
    ck_assert_int_eq(truncate(img, 4 << 20), 0);
    blk = open_blk(json, BDRV_O_RDWR, BLK_PERM_CONSISTENT_READ);

    /* a backend that asked for nothing gets WRITE when a command needs it */
    ck_assert_int_eq(blk_set_perm(blk, 0, BLK_PERM_ALL, NULL), 0);
    blk_get_perm(blk, &perm, &shared);
    ck_assert_int_eq(perm, 0);
    qemuio_session_set_blk(s, blk);
    run("read -q 0 1", 0, "", "");
    blk_get_perm(blk, &perm, &shared);
    ck_assert_int_eq(perm, 0);
    run("write -q 0 1", 0, "", "");
    blk_get_perm(blk, &perm, &shared);
    ck_assert_int_eq(perm, BLK_PERM_WRITE);
    run("truncate 8M", 0, "", "");
    blk_get_perm(blk, &perm, &shared);
    ck_assert_int_eq(perm, BLK_PERM_WRITE | BLK_PERM_RESIZE);
    run("length", 0, "8 MiB\n", "");
    qemuio_session_set_blk(s, NULL);
    blk_unref(blk);

    /* a read-only node refuses */
    blk = open_blk("{\"driver\": \"null-co\", \"size\": 1024}", 0, BLK_PERM_CONSISTENT_READ);
    qemuio_session_set_blk(s, blk);
    run("write 0 1", -EPERM, "", "prog: Block node is read-only\n");
    run("aio_write 0 1", -EPERM, "", "prog: Block node is read-only\n");
    qemuio_session_set_blk(s, NULL);
    blk_unref(blk);
}
END_TEST

START_TEST(test_aio_outlives_session)
{
    BlockBackend *blk = open_null();

    qemuio_session_set_blk(s, blk);
    run("aio_write -P 1 0 4k", 0, "", "");
    run("aio_read -P 0 0 4k", 0, "", "");
    /* the caller goes away; the requests finish without printing */
    qemuio_session_free(s);
    s = NULL;
    blk_drain(blk);
    ck_assert_str_eq(cap.out->str, "");
    blk_unref(blk);
}
END_TEST

START_TEST(test_aio_reports_on_completion)
{
    BlockBackend *blk = open_null();
    g_autofree char *st = NULL;

    qemuio_session_set_blk(s, blk);
    run("aio_write -P 1 0 4k 4k", 0, "", "");
    run("aio_read -q -P 1 0 1k", 0, "", ""); /* null-co reads zeroes */
    run("aio_write -z 0 4k 4k", -EINVAL, "-z supports only a single length parameter\n", "");
    run("aio_write -u 0 4k", -EINVAL, "-u requires -z to be specified\n", "");
    clear();
    ck_assert_int_eq(qemuio_command(s, "aio_flush"), 0);
    st = stats_of(cap.out->str);
    ck_assert_str_eq(st, "wrote 8192/8192 bytes at offset 0\n8 KiB, 1 ops;\n"
                         "Pattern verification failed at offset 0, 1024 bytes\n");
    qemuio_session_set_blk(s, NULL);
    blk_unref(blk);
}
END_TEST

/* ---------------------------------------------------------------- blkdebug */

START_TEST(test_blkdebug_reports)
{
    g_autofree char *img = g_build_filename(dir, "d.raw", NULL);
    g_autofree char *json =
        g_strdup_printf("{\"driver\": \"raw\", \"file\": {\"driver\": \"blkdebug\", \"image\": "
                        "{\"driver\": \"file\", \"filename\": \"%s\"}}}",
                        img);
    BlockBackend *blk;

    ck_assert(g_file_set_contents(img, "", 0, NULL));
    ck_assert_int_eq(truncate(img, 1 << 20), 0);
    blk = open_blk(json, BDRV_O_RDWR, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
    qemuio_session_set_blk(s, blk);
    qemuio_session_set_flags(s, QEMUIO_REPORT_BLKDEBUG | QEMUIO_QUIET);

    run("break pwritev A", 0, "", "");
    run("aio_write -P 7 0 4k", 0, "blkdebug: Suspended request 'A'\n", "");
    run("wait_break A", 0, "", "");
    run("read -P 0 0 4k", 0, "", "");
    run("resume A", 0, "blkdebug: Resuming request 'A'\n", "");
    run("aio_flush", 0, "", "");
    run("read -P 7 0 4k", 0, "", "");
    run("resume A", -ENOENT, "Could not resume request: No such file or directory\n", "");
    run("break nonsense B", -ENOENT, "Could not set breakpoint: No such file or directory\n", "");

    /* without the flag (HMP) nothing is reported */
    qemuio_session_set_flags(s, QEMUIO_QUIET);
    run("break pwritev C", 0, "", "");
    run("aio_write -P 8 0 4k", 0, "", "");
    run("resume C", 0, "", "");
    run("aio_flush", 0, "", "");
    run("read -P 8 0 4k", 0, "", "");
    qemuio_session_set_blk(s, NULL);
    blk_unref(blk);
}
END_TEST

static Suite *qemu_io_suite(void)
{
    Suite *suite = suite_create("qemu-io");
    TCase *tc = tcase_create("interpreter");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cvtnum);
    tcase_add_test(tc, test_cvtstr);
    tcase_add_test(tc, test_report);
    tcase_add_test(tc, test_parse_pattern);
    tcase_add_test(tc, test_getopt);
    tcase_add_test(tc, test_getopt_errors);
    tcase_add_test(tc, test_dispatch_errors);
    tcase_add_test(tc, test_help_lists_added_commands);
    tcase_add_test(tc, test_io_on_null);
    tcase_add_test(tc, test_write_takes_permission);
    tcase_add_test(tc, test_aio_outlives_session);
    tcase_add_test(tc, test_aio_reports_on_completion);
    tcase_add_test(tc, test_blkdebug_reports);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    SRunner *sr = srunner_create(qemu_io_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
