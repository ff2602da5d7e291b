/*
 * Option-string syntax: QemuOpts-style flat options, keyval dotted keys,
 * the JSON form, typed getters and sizes, with QEMU's error texts.
 */
#include <check.h>

#include "system/opts.h"

/* Compares a JSON value with the JSON text 'expect'. */
static void assert_json(json_t *got, const char *expect)
{
    json_error_t jerr;
    json_t *want = json_loads(expect, 0, &jerr);
    char *got_text = got ? json_dumps(got, JSON_SORT_KEYS) : g_strdup("NULL");

    ck_assert_msg(want, "bad expectation %s", expect);
    ck_assert_msg(got && json_equal(got, want), "got %s, want %s", got_text, expect);
    free(got_text);
    json_decref(want);
}

static void assert_opts(const char *str, const char *implied, const char *expect)
{
    Error *err = NULL;
    json_t *got = opts_parse(str, implied, &err);

    ck_assert_msg(!err, "%s: unexpected error %s", str, err ? error_get_pretty(err) : "");
    assert_json(got, expect);
    json_decref(got);
}

static void assert_keyval(const char *str, const char *implied, const char *expect)
{
    Error *err = NULL;
    json_t *got = keyval_parse(str, implied, &err);

    ck_assert_msg(!err, "%s: unexpected error %s", str, err ? error_get_pretty(err) : "");
    assert_json(got, expect);
    json_decref(got);
}

static void assert_keyval_error(const char *str, const char *implied, const char *msg)
{
    Error *err = NULL;
    json_t *got = keyval_parse(str, implied, &err);

    ck_assert_msg(!got, "%s: parse should fail", str);
    ck_assert_msg(err, "%s: no error set", str);
    ck_assert_str_eq(error_get_pretty(err), msg);
    error_free(err);
}

/* ---- opts_parse ---- */

START_TEST(test_opts_basic)
{
    assert_opts("a=1,b=two", NULL, "{\"a\":\"1\",\"b\":\"two\"}");
    assert_opts("", NULL, "{}");
    assert_opts("", "type", "{}");
    assert_opts("a=1,", NULL, "{\"a\":\"1\"}");
    assert_opts("a=b=c", NULL, "{\"a\":\"b=c\"}");
    assert_opts("a=", NULL, "{\"a\":\"\"}");
    assert_opts("=x", NULL, "{\"\":\"x\"}");
    /* keys are not checked here: any text before '=' */
    assert_opts("a b=1", NULL, "{\"a b\":\"1\"}");
}
END_TEST

START_TEST(test_opts_escape)
{
    assert_opts("file=a,,b", NULL, "{\"file\":\"a,b\"}");
    assert_opts("file=a,,b,x=1", NULL, "{\"file\":\"a,b\",\"x\":\"1\"}");
    assert_opts("file=a,,", NULL, "{\"file\":\"a,\"}");
    assert_opts("file=a,,,x=1", NULL, "{\"file\":\"a,\",\"x\":\"1\"}");
    assert_opts("file=,,,,", NULL, "{\"file\":\",,\"}");
    /* -drive if=none,,file=x: the comma belongs to the value */
    assert_opts("if=none,,file=x", NULL, "{\"if\":\"none,file=x\"}");
}
END_TEST

START_TEST(test_opts_implied)
{
    assert_opts("pc,accel=kvm", "type", "{\"type\":\"pc\",\"accel\":\"kvm\"}");
    assert_opts("socket,id=x", "backend", "{\"backend\":\"socket\",\"id\":\"x\"}");
    assert_opts("foo,,bar", "guest", "{\"guest\":\"foo,bar\"}");
    assert_opts("type=pc", "type", "{\"type\":\"pc\"}");
    /* an empty first element is still the implied value */
    assert_opts(",id=x", "backend", "{\"backend\":\"\",\"id\":\"x\"}");
    /* only the first element can be implied */
    assert_opts("a,b", "type", "{\"type\":\"a\",\"b\":\"on\"}");
}
END_TEST

START_TEST(test_opts_bool_shorthand)
{
    assert_opts("if=none,read-only", NULL, "{\"if\":\"none\",\"read-only\":\"on\"}");
    assert_opts("foo", NULL, "{\"foo\":\"on\"}");
    assert_opts("timestamp", NULL, "{\"timestamp\":\"on\"}");
    /* "nokey" is not the negation (QEMU deprecated that) */
    assert_opts("noro", NULL, "{\"noro\":\"on\"}");
    assert_opts(",a=1", NULL, "{\"\":\"on\",\"a\":\"1\"}");
}
END_TEST

START_TEST(test_opts_repeated)
{
    assert_opts("id=a,id=b", NULL, "{\"id\":\"b\"}");
    assert_opts("pc,type=none", "type", "{\"type\":\"none\"}");
}
END_TEST

/* ---- keyval_parse ---- */

START_TEST(test_keyval_basic)
{
    assert_keyval("driver=qcow2,file.driver=file,file.filename=a.qcow2", NULL,
                  "{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\","
                  "\"filename\":\"a.qcow2\"}}");
    assert_keyval("a.b.c=1,a.b.d=2,a.e=3", NULL,
                  "{\"a\":{\"b\":{\"c\":\"1\",\"d\":\"2\"},\"e\":\"3\"}}");
    assert_keyval("", NULL, "{}");
    assert_keyval("", "driver", "{}");
    assert_keyval("a=1,", NULL, "{\"a\":\"1\"}");
    assert_keyval("a=1,a=2", NULL, "{\"a\":\"2\"}");
    assert_keyval("a.b=1,a.b=2", NULL, "{\"a\":{\"b\":\"2\"}}");
    assert_keyval("A-b_9=x", NULL, "{\"A-b_9\":\"x\"}");
    assert_keyval("a=b=c", NULL, "{\"a\":\"b=c\"}");
}
END_TEST

START_TEST(test_keyval_escape)
{
    assert_keyval("driver=null-co,,node-name=a", NULL, "{\"driver\":\"null-co,node-name=a\"}");
    assert_keyval("node-name=n,,", NULL, "{\"node-name\":\"n,\"}");
    assert_keyval("a=1,,2", NULL, "{\"a\":\"1,2\"}");
}
END_TEST

START_TEST(test_keyval_implied)
{
    assert_keyval("null-co,node-name=n", "driver", "{\"driver\":\"null-co\",\"node-name\":\"n\"}");
    assert_keyval("x", "driver", "{\"driver\":\"x\"}");
    /* the implied value is any text without '=' */
    assert_keyval("a b", "driver", "{\"driver\":\"a b\"}");
    assert_keyval("a.b", "driver", "{\"driver\":\"a.b\"}");
    assert_keyval("0", "driver", "{\"driver\":\"0\"}");
    assert_keyval("[\"a\"]", "driver", "{\"driver\":\"[\\\"a\\\"]\"}");
    assert_keyval("iothread,id=io0", "qom-type", "{\"qom-type\":\"iothread\",\"id\":\"io0\"}");
    assert_keyval("a,,b=c", "driver", "{\"driver\":\"a,b=c\"}");
}
END_TEST

START_TEST(test_keyval_lists)
{
    assert_keyval("a.0=x,a.1=y", NULL, "{\"a\":[\"x\",\"y\"]}");
    assert_keyval("a.1=y,a.0=x", NULL, "{\"a\":[\"x\",\"y\"]}");
    assert_keyval("a.0.b=1,a.1.b=2", NULL, "{\"a\":[{\"b\":\"1\"},{\"b\":\"2\"}]}");
    assert_keyval("a.00=1", NULL, "{\"a\":[\"1\"]}");
    assert_keyval("x.a.0=1,x.a.1=2", NULL, "{\"x\":{\"a\":[\"1\",\"2\"]}}");
}
END_TEST

START_TEST(test_keyval_errors)
{
    assert_keyval_error("driver=null-co,y", NULL, "Expected '=' after parameter 'y'");
    assert_keyval_error("x,y", "driver", "Expected '=' after parameter 'y'");
    assert_keyval_error("x", NULL, "Expected '=' after parameter 'x'");
    assert_keyval_error("=x", NULL, "Invalid parameter ''");
    assert_keyval_error(",driver=x", "driver", "Invalid parameter ''");
    assert_keyval_error("a..b=1", NULL, "Invalid parameter 'a..b'");
    assert_keyval_error(".a=1", NULL, "Invalid parameter '.a'");
    assert_keyval_error("a.=1", NULL, "Invalid parameter 'a.'");
    assert_keyval_error("a b=1", NULL, "Invalid parameter 'a b'");
    assert_keyval_error("d=1,a@b=1", NULL, "Invalid parameter 'a@b'");
    assert_keyval_error("d=1,a@b", NULL, "Invalid parameter 'a@b'");
    assert_keyval_error("d=1,0=1", NULL, "Invalid parameter '0'");
    assert_keyval_error("a.1x=1", NULL, "Invalid parameter 'a.1x'");
    assert_keyval_error("a.-b=1", NULL, "Invalid parameter 'a.-b'");
    assert_keyval_error("a._b=1", NULL, "Invalid parameter 'a._b'");
    assert_keyval_error("a=1,a.b=2", NULL, "Parameters 'a.*' used inconsistently");
    assert_keyval_error("a.b=2,a=1", NULL, "Parameters 'a.*' used inconsistently");
    assert_keyval_error("a.b=1,a.b.c=2", NULL, "Parameters 'a.b.*' used inconsistently");
    assert_keyval_error("x.a.b=1,x.a=2", NULL, "Parameters 'x.a.*' used inconsistently");
    assert_keyval_error("a.0=x,a.b=y", NULL, "Parameters 'a.*' used inconsistently");
    assert_keyval_error("x.a.0=1,x.a.x=2", NULL, "Parameters 'x.a.*' used inconsistently");
    assert_keyval_error("a.0=x,a.2=y", NULL, "Parameter 'a.1' missing");
    assert_keyval_error("a.01=1", NULL, "Parameter 'a.0' missing");
}
END_TEST

START_TEST(test_keyval_too_long)
{
    char *frag127 = g_strnfill(127, 'a');
    char *frag128 = g_strnfill(128, 'a');
    char *s, *msg;

    s = g_strdup_printf("%s.%s=1", frag127, frag127);
    msg = g_strdup_printf("{\"%s\":{\"%s\":\"1\"}}", frag127, frag127);
    assert_keyval(s, NULL, msg);
    g_free(s);
    g_free(msg);
    g_free(frag127);

    s = g_strdup_printf("d=1,%s=1", frag128);
    msg = g_strdup_printf("Parameter '%s' is too long", frag128);
    assert_keyval_error(s, NULL, msg);
    g_free(s);
    g_free(msg);

    s = g_strdup_printf("d=1,%s", frag128);
    msg = g_strdup_printf("Parameter '%s' is too long", frag128);
    assert_keyval_error(s, NULL, msg);
    g_free(s);
    g_free(msg);

    s = g_strdup_printf("x.%s=1", frag128);
    msg = g_strdup_printf("Parameter fragment '%s' is too long", frag128);
    assert_keyval_error(s, NULL, msg);
    g_free(s);

    s = g_strdup_printf("%s.x=1", frag128);
    assert_keyval_error(s, NULL, msg);
    g_free(s);
    g_free(msg);
    g_free(frag128);
}
END_TEST

START_TEST(test_keyval_json)
{
    assert_keyval("{\"driver\":\"file\",\"filename\":\"/x\",\"auto-read-only\":true}", "driver",
                  "{\"driver\":\"file\",\"filename\":\"/x\",\"auto-read-only\":true}");
    assert_keyval("{\"a\":{\"b\":[1,2]},\"backing\":null}", NULL,
                  "{\"a\":{\"b\":[1,2]},\"backing\":null}");
    /* QEMU's JSON also takes single-quoted strings */
    assert_keyval("{'driver':'null-co','x':'it\\'s \"q\"'}", NULL,
                  "{\"driver\":\"null-co\",\"x\":\"it's \\\"q\\\"\"}");
    assert_keyval("{\"s\":\"a'b\"}", NULL, "{\"s\":\"a'b\"}");

    assert_keyval_error("{\"driver\":", NULL, "JSON parse error, premature EOI");
    assert_keyval_error("{", NULL, "JSON parse error, premature EOI");
    assert_keyval_error("{\"a\":1", NULL, "JSON parse error, premature EOI");
    assert_keyval_error("{\"a\":1} x", NULL, "Expecting at most one JSON value");
    assert_keyval_error("{\"a\":1}{\"b\":2}", NULL, "Expecting at most one JSON value");
    assert_keyval_error("{\"driver\":nul}", NULL, "JSON parse error, invalid keyword 'nul'");
    assert_keyval_error("{\"a\":1,}", NULL, "JSON parse error, expecting value");
    assert_keyval_error("{\"a\":[1,]}", NULL, "JSON parse error, expecting value");
    assert_keyval_error("{\"a\":\"x\" \"b\":1}", NULL,
                        "JSON parse error, expected separator in dict");
}
END_TEST

/* ---- getters ---- */

START_TEST(test_get_str)
{
    json_t *o = opts_parse("a=1", NULL, NULL);

    ck_assert_str_eq(opts_get_str(o, "a"), "1");
    ck_assert_ptr_null(opts_get_str(o, "b"));
    ck_assert_ptr_null(opts_get_str(NULL, "b"));
    json_decref(o);
}
END_TEST

START_TEST(test_get_bool)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};
    static const char *const bad[] = {"1", "0", "YES", "On", "", "x"};
    json_t *o = json_object();
    Error *err = NULL;
    bool b;

    for (size_t i = 0; i < 4; i++) {
        json_object_set_new(o, "k", json_string(yes[i]));
        ck_assert(opts_get_bool(o, "k", false, &b, &error_abort) && b);
        json_object_set_new(o, "k", json_string(no[i]));
        ck_assert(opts_get_bool(o, "k", true, &b, &error_abort) && !b);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_object_set_new(o, "k", json_string(bad[i]));
        ck_assert(!opts_get_bool(o, "k", false, &b, &err));
        ck_assert_str_eq(error_get_pretty(err), "Parameter 'k' expects 'on' or 'off'");
        error_free(err);
        err = NULL;
    }
    json_object_set_new(o, "k", json_true());
    ck_assert(opts_get_bool(o, "k", false, &b, &error_abort) && b);
    ck_assert(opts_get_bool(o, "absent", true, &b, &error_abort) && b);
    ck_assert(opts_get_bool(o, "absent", false, &b, &error_abort) && !b);
    json_decref(o);
}
END_TEST

START_TEST(test_get_number)
{
    static const struct {
        const char *in;
        uint64_t out;
    } good[] = {
        {"0", 0},
        {"42", 42},
        {"0x10", 16},
        {"010", 8},
        {" 1", 1},
        {"-1", UINT64_MAX},
        {"18446744073709551615", UINT64_MAX},
    };
    static const char *const bad[] = {"", "x", "1k", "1 ", "0x", "1.5"};
    json_t *o = json_object();
    Error *err = NULL;
    uint64_t n;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        json_object_set_new(o, "slots", json_string(good[i].in));
        ck_assert_msg(opts_get_number(o, "slots", 0, &n, &error_abort), "%s", good[i].in);
        ck_assert_uint_eq(n, good[i].out);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_object_set_new(o, "slots", json_string(bad[i]));
        ck_assert_msg(!opts_get_number(o, "slots", 0, &n, &err), "%s", bad[i]);
        ck_assert_str_eq(error_get_pretty(err), "Parameter 'slots' expects a number");
        error_free(err);
        err = NULL;
    }
    json_object_set_new(o, "slots", json_string("99999999999999999999"));
    ck_assert(!opts_get_number(o, "slots", 0, &n, &err));
    ck_assert_str_eq(error_get_pretty(err),
                     "Value '99999999999999999999' is too large for parameter 'slots'");
    error_free(err);
    ck_assert(opts_get_number(o, "absent", 7, &n, &error_abort) && n == 7);
    json_decref(o);
}
END_TEST

/* ---- sizes ---- */

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define PiB (1ULL << 50)
#define EiB (1ULL << 60)

START_TEST(test_parse_size_good)
{
    static const struct {
        const char *in;
        uint64_t unit;
        uint64_t out;
    } cases[] = {
        {"0", 1, 0},
        {"512", 1, 512},
        {"512", MiB, 512 * MiB},
        {"1b", MiB, 1},
        {"1B", MiB, 1},
        {"1k", 1, KiB},
        {"1K", 1, KiB},
        {"1m", 1, MiB},
        {"1M", 1, MiB},
        {"1G", 1, GiB},
        {"1g", 1, GiB},
        {"2T", 1, 2 * TiB},
        {"3P", 1, 3 * PiB},
        {"4E", 1, 4 * EiB},
        {"15E", 1, 15 * EiB},
        {"1.5G", 1, GiB + GiB / 2},
        {"1.5k", 1, 1536},
        {"0.5k", 1, 512},
        {"1.k", 1, KiB},
        {"1.0", 1, 1},
        {"1.5", MiB, MiB + MiB / 2},
        {"1.00001k", 1, 1024},
        {"0x10", 1, 16},
        {"0X10", 1, 16},
        {"0x1k", 1, KiB},
        {"010", 1, 10},
        {" 1", 1, 1},
        {"+1", 1, 1},
        {"18446744073709551615", 1, UINT64_MAX},
        {"12345678901234567890b", 1, 12345678901234567890ULL},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t out = 0;

        ck_assert_msg(parse_size(cases[i].in, cases[i].unit, &out, &error_abort), "%s",
                      cases[i].in);
        ck_assert_msg(out == cases[i].out, "%s: got %" PRIu64, cases[i].in, out);
    }
}
END_TEST

START_TEST(test_parse_size_bad)
{
    static const char *const junk[] = {"",   "foo",    "1Z", "1.5", "1e3", "1 ",   "1kB", ".5G",
                                       "0x", "0x1.5k", "-1", "-0",  "k",   "1.5b", "1,5"};
    static const char *const range[] = {"16E", "17E", "99999999999999999999",
                                        "18446744073709551616", "16384P"};

    for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
        Error *err = NULL;
        uint64_t out;

        ck_assert_msg(!parse_size(junk[i], 1, &out, &err), "%s accepted", junk[i]);
        ck_assert_str_eq(error_get_pretty(err),
                         "Parameter 'size' expects a non-negative number below 2^64");
        error_free(err);
    }
    for (size_t i = 0; i < ARRAY_SIZE(range); i++) {
        Error *err = NULL;
        uint64_t out;
        char *msg = g_strdup_printf("Value '%s' is out of range for parameter 'size'", range[i]);

        ck_assert_msg(!parse_size(range[i], 1, &out, &err), "%s accepted", range[i]);
        ck_assert_str_eq(error_get_pretty(err), msg);
        g_free(msg);
        error_free(err);
    }
    {
        /* 2^44 MiB = 2^64 bytes */
        Error *err = NULL;
        uint64_t out;

        ck_assert(!parse_size("17592186044416", MiB, &out, &err));
        ck_assert_str_eq(error_get_pretty(err),
                         "Value '17592186044416' is out of range for parameter 'size'");
        error_free(err);
        ck_assert(parse_size("17592186044415", MiB, &out, &error_abort));
        ck_assert(out == 17592186044415ULL * MiB);
    }
}
END_TEST

START_TEST(test_get_size)
{
    json_t *o = opts_parse("maxmem=2G,bad=x,big=17E", NULL, NULL);
    Error *err = NULL;
    uint64_t n;

    ck_assert(opts_get_size(o, "maxmem", 0, &n, &error_abort) && n == 2 * GiB);
    ck_assert(opts_get_size(o, "absent", 5, &n, &error_abort) && n == 5);
    ck_assert(!opts_get_size(o, "bad", 0, &n, &err));
    ck_assert_str_eq(error_get_pretty(err),
                     "Parameter 'bad' expects a non-negative number below 2^64");
    error_free(err);
    err = NULL;
    ck_assert(!opts_get_size(o, "big", 0, &n, &err));
    ck_assert_str_eq(error_get_pretty(err), "Value '17E' is out of range for parameter 'big'");
    error_free(err);
    json_decref(o);
}
END_TEST

START_TEST(test_check_keys)
{
    static const char *const allowed[] = {"a", "b", NULL};
    json_t *o = opts_parse("a=1,b=2", NULL, NULL);
    Error *err = NULL;

    ck_assert(opts_check_keys(o, allowed, &error_abort));
    json_object_set_new(o, "foo", json_string("1"));
    ck_assert(!opts_check_keys(o, allowed, &err));
    ck_assert_str_eq(error_get_pretty(err), "Invalid parameter 'foo'");
    error_free(err);
    json_decref(o);
}
END_TEST

static Suite *opts_suite(void)
{
    Suite *s = suite_create("opts");
    TCase *tc = tcase_create("opts");

    tcase_add_test(tc, test_opts_basic);
    tcase_add_test(tc, test_opts_escape);
    tcase_add_test(tc, test_opts_implied);
    tcase_add_test(tc, test_opts_bool_shorthand);
    tcase_add_test(tc, test_opts_repeated);
    tcase_add_test(tc, test_keyval_basic);
    tcase_add_test(tc, test_keyval_escape);
    tcase_add_test(tc, test_keyval_implied);
    tcase_add_test(tc, test_keyval_lists);
    tcase_add_test(tc, test_keyval_errors);
    tcase_add_test(tc, test_keyval_too_long);
    tcase_add_test(tc, test_keyval_json);
    tcase_add_test(tc, test_get_str);
    tcase_add_test(tc, test_get_bool);
    tcase_add_test(tc, test_get_number);
    tcase_add_test(tc, test_parse_size_good);
    tcase_add_test(tc, test_parse_size_bad);
    tcase_add_test(tc, test_get_size);
    tcase_add_test(tc, test_check_keys);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(opts_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
