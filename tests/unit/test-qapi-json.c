/*
 * The QAPI runtime: member paths, object/array frames, scalar conversion in
 * JSON and keyval mode with QEMU's error texts, C -> JSON, number parsers,
 * enum tables and QEMU's QDict member order.
 */
#include "util/osdep.h"

#include <check.h>
#include <math.h>

#include "qapi/qapi-json.h"

static json_t *J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    ck_assert_msg(v, "bad test JSON %s: %s", text, jerr.text);
    return v;
}

static void assert_err(Error *err, const char *msg)
{
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(error_get_pretty(err), msg);
    error_free(err);
}

static void assert_text(const json_t *v, const char *text)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

    ck_assert_str_eq(s, text);
    free(s);
}

START_TEST(test_path)
{
    QapiInput ctx;
    QapiFrame root, list, elem;
    json_t *v = J("{\"a\":[{\"b\":1}]}");
    char *p;

    qapi_input_init(&ctx, false);
    p = qapi_input_path(&ctx, NULL);
    ck_assert_str_eq(p, "<anonymous>");
    g_free(p);
    p = qapi_input_path(&ctx, "top");
    ck_assert_str_eq(p, "top");
    g_free(p);

    ck_assert(qapi_input_start_object(&ctx, &root, v, NULL, &error_abort));
    p = qapi_input_path(&ctx, "a");
    ck_assert_str_eq(p, "a");
    g_free(p);
    p = qapi_input_path(&ctx, NULL);
    ck_assert_str_eq(p, "<anonymous>");
    g_free(p);
    ck_assert(qapi_input_start_array(&ctx, &list, qapi_input_member(&ctx, "a"), "a", &error_abort));
    qapi_input_set_index(&ctx, 0);
    p = qapi_input_path(&ctx, NULL);
    ck_assert_str_eq(p, "a[0]");
    g_free(p);
    ck_assert(qapi_input_start_object(&ctx, &elem, json_array_get(json_object_get(v, "a"), 0), NULL,
                                      &error_abort));
    p = qapi_input_path(&ctx, "b");
    ck_assert_str_eq(p, "a[0].b");
    g_free(p);
    ctx.keyval = true;
    p = qapi_input_path(&ctx, "b");
    ck_assert_str_eq(p, "a.0.b");
    g_free(p);
    ctx.keyval = false;
    qapi_input_end(&ctx, &elem);
    qapi_input_end(&ctx, &list);
    ck_assert(qapi_input_check_object(&ctx, &error_abort));
    qapi_input_end(&ctx, &root);
    qapi_input_end(&ctx, &root); /* harmless when already popped */
    ck_assert_ptr_null(ctx.top);
    json_decref(v);
}
END_TEST

START_TEST(test_frames)
{
    QapiInput ctx;
    QapiFrame fr;
    Error *err = NULL;
    json_t *v = J("{\"x\":1,\"y\":2,\"z\":3}"), *arr = J("[1]");

    qapi_input_init(&ctx, false);
    ck_assert(!qapi_input_start_object(&ctx, &fr, NULL, "obj", &err));
    assert_err(err, "Parameter 'obj' is missing");
    err = NULL;
    ck_assert_ptr_null(ctx.top);
    qapi_input_end(&ctx, &fr);
    ck_assert(!qapi_input_start_object(&ctx, &fr, arr, "obj", &err));
    assert_err(err, "Invalid parameter type for 'obj', expected: object");
    err = NULL;
    ck_assert(!qapi_input_start_array(&ctx, &fr, v, "arr", &err));
    assert_err(err, "Invalid parameter type for 'arr', expected: array");
    err = NULL;
    ck_assert(!qapi_input_start_array(&ctx, &fr, v, NULL, &err));
    assert_err(err, "Invalid parameter type for '<anonymous>', expected: array");
    err = NULL;

    /* The first member nobody looked up, in input order, is reported. */
    ck_assert(qapi_input_start_object(&ctx, &fr, v, NULL, &error_abort));
    ck_assert_ptr_nonnull(qapi_input_member(&ctx, "x"));
    ck_assert_ptr_nonnull(qapi_input_member(&ctx, "x"));
    ck_assert_ptr_null(qapi_input_member(&ctx, "w"));
    ck_assert(!qapi_input_check_object(&ctx, &err));
    assert_err(err, "Parameter 'y' is unexpected");
    err = NULL;
    ck_assert_ptr_nonnull(qapi_input_member(&ctx, "z"));
    ck_assert(!qapi_input_check_object(&ctx, &err));
    assert_err(err, "Parameter 'y' is unexpected");
    err = NULL;
    ck_assert_ptr_nonnull(qapi_input_member(&ctx, "y"));
    ck_assert(qapi_input_check_object(&ctx, &error_abort));
    qapi_input_end(&ctx, &fr);

    ck_assert(qapi_input_check_no_args(NULL, &error_abort));
    json_decref(arr);
    arr = J("{}");
    ck_assert(qapi_input_check_no_args(arr, &error_abort));
    ck_assert(!qapi_input_check_no_args(v, &err));
    assert_err(err, "Parameter 'x' is unexpected");
    json_decref(arr);
    json_decref(v);
}
END_TEST

/* Runs one scalar conversion of JSON 'text' (NULL: missing) as member "m". */
#define CONVERT(fn, type, text, keyval, okp, errp)                                                 \
    ({                                                                                             \
        QapiInput ctx_;                                                                            \
        json_t *in_ = (text) ? J(text) : NULL;                                                     \
        type out_ = 0;                                                                             \
                                                                                                   \
        qapi_input_init(&ctx_, keyval);                                                            \
        *(okp) = fn(in_, "m", &out_, &ctx_, errp);                                                 \
        json_decref(in_);                                                                          \
        out_;                                                                                      \
    })

#define EXPECT_OK(fn, type, text, keyval, value)                                                   \
    do {                                                                                           \
        bool ok_;                                                                                  \
        type v_ = CONVERT(fn, type, text, keyval, &ok_, &error_abort);                             \
                                                                                                   \
        ck_assert(ok_);                                                                            \
        ck_assert_msg(v_ == (value), "%s of %s", #fn, text);                                       \
    } while (0)

#define EXPECT_FAIL(fn, type, text, keyval, msg)                                                   \
    do {                                                                                           \
        bool ok_;                                                                                  \
        Error *err_ = NULL;                                                                        \
                                                                                                   \
        CONVERT(fn, type, text, keyval, &ok_, &err_);                                              \
        ck_assert(!ok_);                                                                           \
        assert_err(err_, msg);                                                                     \
    } while (0)

START_TEST(test_integers)
{
    EXPECT_OK(qapi_from_json_int, int64_t, "-5", false, -5);
    EXPECT_OK(qapi_from_json_int64, int64_t, "9223372036854775807", false, INT64_MAX);
    EXPECT_FAIL(qapi_from_json_int, int64_t, NULL, false, "Parameter 'm' is missing");
    EXPECT_FAIL(qapi_from_json_int, int64_t, "1.0", false,
                "Invalid parameter type for 'm', expected: integer");
    EXPECT_FAIL(qapi_from_json_int, int64_t, "\"1\"", false,
                "Invalid parameter type for 'm', expected: integer");
    EXPECT_OK(qapi_from_json_int8, int8_t, "127", false, 127);
    EXPECT_FAIL(qapi_from_json_int8, int8_t, "-129", false, "Parameter 'm' expects int8_t");
    EXPECT_OK(qapi_from_json_int16, int16_t, "-32768", false, INT16_MIN);
    EXPECT_FAIL(qapi_from_json_int16, int16_t, "32768", false, "Parameter 'm' expects int16_t");
    EXPECT_OK(qapi_from_json_int32, int32_t, "2147483647", false, INT32_MAX);
    EXPECT_FAIL(qapi_from_json_int32, int32_t, "-2147483649", false,
                "Parameter 'm' expects int32_t");
    EXPECT_OK(qapi_from_json_uint8, uint8_t, "255", false, 255);
    EXPECT_FAIL(qapi_from_json_uint8, uint8_t, "256", false, "Parameter 'm' expects uint8_t");
    EXPECT_FAIL(qapi_from_json_uint8, uint8_t, "-1", false, "Parameter 'm' expects uint8_t");
    EXPECT_FAIL(qapi_from_json_uint8, uint8_t, "\"1\"", false, "Parameter 'm' expects uint64");
    EXPECT_OK(qapi_from_json_uint16, uint16_t, "65535", false, UINT16_MAX);
    EXPECT_FAIL(qapi_from_json_uint16, uint16_t, "65536", false, "Parameter 'm' expects uint16_t");
    EXPECT_OK(qapi_from_json_uint32, uint32_t, "4294967295", false, UINT32_MAX);
    EXPECT_FAIL(qapi_from_json_uint32, uint32_t, "4294967296", false,
                "Parameter 'm' expects uint32_t");
    EXPECT_OK(qapi_from_json_uint64, uint64_t, "-2", false, UINT64_MAX - 1);
    EXPECT_OK(qapi_from_json_uint64, uint64_t, "1e19", false, UINT64_C(10000000000000000000));
    EXPECT_FAIL(qapi_from_json_uint64, uint64_t, "1e20", false, "Parameter 'm' expects uint64");
    EXPECT_FAIL(qapi_from_json_uint64, uint64_t, "null", false, "Parameter 'm' expects uint64");
    EXPECT_FAIL(qapi_from_json_uint64, uint64_t, NULL, false, "Parameter 'm' is missing");
    EXPECT_OK(qapi_from_json_size, uint64_t, "4096", false, 4096);
    EXPECT_FAIL(qapi_from_json_size, uint64_t, "\"4k\"", false, "Parameter 'm' expects uint64");

    /* keyval */
    EXPECT_OK(qapi_from_json_int, int64_t, "\"0x1f\"", true, 31);
    EXPECT_OK(qapi_from_json_int, int64_t, "\"-010\"", true, -8);
    EXPECT_OK(qapi_from_json_int, int64_t, "7", true, 7);
    EXPECT_FAIL(qapi_from_json_int, int64_t, "\"1 \"", true, "Parameter 'm' expects integer");
    EXPECT_FAIL(qapi_from_json_int8, int8_t, "\"200\"", true, "Parameter 'm' expects int8_t");
    EXPECT_OK(qapi_from_json_uint64, uint64_t, "\"-1\"", true, UINT64_MAX);
    EXPECT_FAIL(qapi_from_json_uint64, uint64_t, "\"1.5\"", true, "Parameter 'm' expects integer");
    EXPECT_OK(qapi_from_json_size, uint64_t, "\"4k\"", true, 4096);
    EXPECT_FAIL(qapi_from_json_size, uint64_t, "\"4q\"", true, "Parameter 'm' expects size");
    EXPECT_FAIL(qapi_from_json_int, int64_t, "{\"a\":\"1\"}", true,
                "Parameters 'm.*' are unexpected");
    EXPECT_FAIL(qapi_from_json_size, uint64_t, "[]", true, "Parameters 'm.*' are unexpected");
    EXPECT_FAIL(qapi_from_json_int, int64_t, "true", true,
                "Invalid parameter type for 'm', expected: integer");
}
END_TEST

START_TEST(test_other_scalars)
{
    bool ok;
    char *s;
    json_t *j;
    Error *err = NULL;
    QapiInput ctx;
    int e;
    static const char *const names[] = {"red", "green"};
    const QEnumLookup lookup = {names, 2};

    EXPECT_OK(qapi_from_json_number, double, "1.5", false, 1.5);
    EXPECT_OK(qapi_from_json_number, double, "-3", false, -3.0);
    EXPECT_FAIL(qapi_from_json_number, double, "\"1\"", false,
                "Invalid parameter type for 'm', expected: number");
    EXPECT_OK(qapi_from_json_number, double, "\"1e3\"", true, 1000.0);
    EXPECT_FAIL(qapi_from_json_number, double, "\"inf\"", true,
                "Invalid parameter type for 'm', expected: number");
    EXPECT_OK(qapi_from_json_bool, bool, "true", false, true);
    EXPECT_FAIL(qapi_from_json_bool, bool, "\"on\"", false,
                "Invalid parameter type for 'm', expected: boolean");
    EXPECT_OK(qapi_from_json_bool, bool, "\"off\"", true, false);
    EXPECT_FAIL(qapi_from_json_bool, bool, "\"On\"", true, "Parameter 'm' expects 'on' or 'off'");
    EXPECT_FAIL(qapi_from_json_bool, bool, NULL, true, "Parameter 'm' is missing");

    s = CONVERT(qapi_from_json_str, char *, "\"abc\"", false, &ok, &error_abort);
    ck_assert(ok);
    ck_assert_str_eq(s, "abc");
    g_free(s);
    s = CONVERT(qapi_from_json_str, char *, "1", false, &ok, &err);
    ck_assert(!ok && !s);
    assert_err(err, "Invalid parameter type for 'm', expected: string");
    err = NULL;
    s = CONVERT(qapi_from_json_str, char *, "{}", true, &ok, &err);
    ck_assert(!ok && !s);
    assert_err(err, "Parameters 'm.*' are unexpected");
    err = NULL;

    j = CONVERT(qapi_from_json_any, json_t *, "[1,{}]", false, &ok, &error_abort);
    ck_assert(ok);
    assert_text(j, "[1,{}]");
    json_decref(j);
    j = CONVERT(qapi_from_json_any, json_t *, NULL, false, &ok, &err);
    ck_assert(!ok && !j);
    assert_err(err, "Parameter 'm' is missing");
    err = NULL;
    j = CONVERT(qapi_from_json_null, json_t *, "null", false, &ok, &error_abort);
    ck_assert(ok && json_is_null(j));
    j = CONVERT(qapi_from_json_null, json_t *, "\"\"", true, &ok, &error_abort);
    ck_assert(ok && json_is_null(j));
    j = CONVERT(qapi_from_json_null, json_t *, "0", false, &ok, &err);
    ck_assert(!ok && !j);
    assert_err(err, "Invalid parameter type for 'm', expected: null");
    err = NULL;

    qapi_input_init(&ctx, false);
    j = J("\"green\"");
    ck_assert(qapi_from_json_enum(j, "m", &e, &lookup, &ctx, &error_abort));
    ck_assert_int_eq(e, 1);
    json_decref(j);
    j = J("\"blue\"");
    ck_assert(!qapi_from_json_enum(j, "m", &e, &lookup, &ctx, &err));
    assert_err(err, "Parameter 'm' does not accept value 'blue'");
    err = NULL;
    ck_assert(!qapi_from_json_enum(j, NULL, &e, &lookup, &ctx, &err));
    assert_err(err, "Parameter 'null' does not accept value 'blue'");
    err = NULL;
    json_decref(j);
    j = J("3");
    ck_assert(!qapi_from_json_enum(j, "m", &e, &lookup, &ctx, &err));
    assert_err(err, "Invalid parameter type for 'm', expected: string");
    json_decref(j);

    ck_assert_str_eq(qapi_enum_lookup(&lookup, 0), "red");
    ck_assert_ptr_null(qapi_enum_lookup(&lookup, 2));
    ck_assert_ptr_null(qapi_enum_lookup(&lookup, -1));
    ck_assert_int_eq(qapi_enum_parse(&lookup, "green", 0, &error_abort), 1);
    err = NULL;
    ck_assert_int_eq(qapi_enum_parse(&lookup, "x", 5, &err), 5);
    assert_err(err, "invalid parameter value: x");

    err = NULL;
    qapi_error_alternate(NULL, "Alt", &err);
    assert_err(err, "Invalid parameter type for 'null', expected: Alt");
}
END_TEST

START_TEST(test_to_json)
{
    json_t *j;
    static const char *const names[] = {"red", "green"};
    const QEnumLookup lookup = {names, 2};

    j = qapi_to_json_str(NULL);
    assert_text(j, "\"\"");
    json_decref(j);
    j = qapi_to_json_str("a\xff"
                         "b");
    assert_text(j, "\"a\xef\xbf\xbd"
                   "b\"");
    json_decref(j);
    j = qapi_to_json_uint64(UINT64_C(9223372036854775807));
    ck_assert(json_is_integer(j));
    json_decref(j);
    j = qapi_to_json_size(UINT64_MAX);
    ck_assert(json_is_real(j) && json_real_value(j) == 0x1p64);
    json_decref(j);
    j = qapi_to_json_uint8(255);
    assert_text(j, "255");
    json_decref(j);
    j = qapi_to_json_int8(-128);
    assert_text(j, "-128");
    json_decref(j);
    j = qapi_to_json_int16(-1);
    json_decref(j);
    j = qapi_to_json_int32(-1);
    json_decref(j);
    j = qapi_to_json_int64(INT64_MIN);
    ck_assert(json_integer_value(j) == INT64_MIN);
    json_decref(j);
    j = qapi_to_json_uint16(1);
    json_decref(j);
    j = qapi_to_json_uint32(UINT32_MAX);
    ck_assert(json_integer_value(j) == UINT32_MAX);
    json_decref(j);
    j = qapi_to_json_int(1);
    json_decref(j);
    j = qapi_to_json_number(0.5);
    assert_text(j, "0.5");
    json_decref(j);
    j = qapi_to_json_number(INFINITY);
    ck_assert(json_is_null(j));
    j = qapi_to_json_bool(true);
    ck_assert(json_is_true(j));
    j = qapi_to_json_any(NULL);
    ck_assert(json_is_null(j));
    j = qapi_to_json_null(NULL);
    ck_assert(json_is_null(j));
    j = qapi_to_json_enum(1, &lookup);
    assert_text(j, "\"green\"");
    json_decref(j);
    j = qapi_to_json_enum(7, &lookup);
    ck_assert(json_is_null(j));
    ck_assert_ptr_null(qapi_clone_any(NULL));
    {
        json_t *orig = J("{\"a\":[1]}"), *copy = qapi_clone_any(orig),
               *ref = qapi_to_json_any(orig);

        ck_assert_ptr_ne(copy, orig);
        ck_assert(json_equal(copy, orig));
        ck_assert_ptr_eq(ref, orig);
        json_decref(ref);
        json_decref(copy);
        json_decref(orig);
    }
}
END_TEST

START_TEST(test_strtosz)
{
    static const struct {
        const char *in;
        int ret;
        uint64_t val;
    } cases[] = {
        {"0", 0, 0},
        {"1", 0, 1},
        {"1B", 0, 1},
        {"1b", 0, 1},
        {"1k", 0, 1024},
        {"1K", 0, 1024},
        {"2M", 0, 2 << 20},
        {"3G", 0, UINT64_C(3) << 30},
        {"1T", 0, UINT64_C(1) << 40},
        {"1P", 0, UINT64_C(1) << 50},
        {"1E", 0, UINT64_C(1) << 60},
        {"15E", 0, UINT64_C(15) << 60},
        {"1.5k", 0, 1536},
        {"0.5M", 0, 512 << 10},
        {"1.k", 0, 1024},
        {"1.", 0, 1},
        {"1.0", 0, 1},
        {"1.5E", 0, UINT64_C(3) << 59},
        {"0.0009765625k", 0, 1},
        {"0.0004k", 0, 0},
        {"0.0005k", 0, 1},
        {"0x10", 0, 16},
        {"0X1f", 0, 31},
        {"18446744073709551615", 0, UINT64_MAX},
        {"16E", -ERANGE, 0},
        {"18446744073709551616", -ERANGE, 0},
        {"17179869184G", -ERANGE, 0},
        {"0x10k", -EINVAL, 0},
        {"0x1.5", -EINVAL, 0},
        {"1.5", -EINVAL, 0},
        {"1.5e3", -EINVAL, 0},
        {"1.5e", 0, UINT64_C(3) << 59},
        {"-1", -EINVAL, 0},
        {"", -EINVAL, 0},
        {"k", -EINVAL, 0},
        {".5k", -EINVAL, 0},
        {"1kB", -EINVAL, 0},
        {"1x", -EINVAL, 0},
        {"0x", -EINVAL, 0},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t v = 12345;
        int ret = qapi_strtosz(cases[i].in, &v);

        ck_assert_msg(ret == cases[i].ret, "'%s': ret %d, expected %d", cases[i].in, ret,
                      cases[i].ret);
        if (ret == 0) {
            ck_assert_msg(v == cases[i].val, "'%s': %" PRIu64 ", expected %" PRIu64, cases[i].in, v,
                          cases[i].val);
        } else {
            ck_assert(v == 12345);
        }
    }
}
END_TEST

START_TEST(test_strtonum)
{
    int64_t i;
    uint64_t u;
    double d;
    bool b;

    ck_assert_int_eq(qapi_strtoi64("0x10", &i), 0);
    ck_assert_int_eq(i, 16);
    ck_assert_int_eq(qapi_strtoi64("010", &i), 0);
    ck_assert_int_eq(i, 8);
    ck_assert_int_eq(qapi_strtoi64("-9223372036854775808", &i), 0);
    ck_assert(i == INT64_MIN);
    ck_assert_int_eq(qapi_strtoi64("9223372036854775808", &i), -ERANGE);
    ck_assert_int_eq(qapi_strtoi64("08", &i), -EINVAL);
    ck_assert_int_eq(qapi_strtoi64("1x", &i), -EINVAL);
    ck_assert_int_eq(qapi_strtoi64("", &i), -EINVAL);
    ck_assert_int_eq(qapi_strtou64("-1", &u), 0);
    ck_assert(u == UINT64_MAX);
    ck_assert_int_eq(qapi_strtou64("0xffffffffffffffff", &u), 0);
    ck_assert(u == UINT64_MAX);
    ck_assert_int_eq(qapi_strtou64("18446744073709551616", &u), -ERANGE);
    ck_assert_int_eq(qapi_strtou64("", &u), -EINVAL);
    ck_assert_int_eq(qapi_strtod("1.25", &d), 0);
    ck_assert(d == 1.25);
    ck_assert_int_eq(qapi_strtod("-2e-1", &d), 0);
    ck_assert(d == -0.2);
    ck_assert_int_eq(qapi_strtod("nan", &d), -EINVAL);
    ck_assert_int_eq(qapi_strtod("1e999", &d), -EINVAL);
    ck_assert_int_eq(qapi_strtod("1,5", &d), -EINVAL);
    ck_assert_int_eq(qapi_strtod("", &d), -EINVAL);

    ck_assert(qapi_keyval_parse_bool("y", &b) && b);
    ck_assert(qapi_keyval_parse_bool("no", &b) && !b);
    ck_assert(!qapi_keyval_parse_bool("1", &b));
    ck_assert(!qapi_keyval_parse_bool("", &b));
    ck_assert(qapi_keyval_is_bool("true"));
    ck_assert(!qapi_keyval_is_bool("True"));
}
END_TEST

START_TEST(test_qdict_order)
{
    json_t *v = J("{\"running\":true,\"singlestep\":false,\"status\":\"running\"}"), *o;

    ck_assert_uint_eq(qapi_qdict_bucket("execute"), 299);
    ck_assert_uint_eq(qapi_qdict_bucket("arguments"), 447);
    ck_assert_uint_eq(qapi_qdict_bucket("id"), 486);
    ck_assert_uint_eq(qapi_qdict_bucket("error"), 489);
    ck_assert_uint_eq(qapi_qdict_bucket("return"), 401);
    /* QEMU 7.2 prints query-status as {"status", "singlestep", "running"}. */
    o = qapi_json_qdict_order(v);
    assert_text(o, "{\"status\":\"running\",\"singlestep\":false,\"running\":true}");
    json_decref(o);
    json_decref(v);
    v = J("[{\"return\":{},\"id\":1},{\"error\":{\"desc\":\"d\",\"class\":\"c\"},\"id\":2},3]");
    o = qapi_json_qdict_order(v);
    assert_text(
        o, "[{\"return\":{},\"id\":1},{\"id\":2,\"error\":{\"class\":\"c\",\"desc\":\"d\"}},3]");
    json_decref(o);
    json_decref(v);
}
END_TEST

typedef struct IntList {
    struct IntList *next;
    int64_t value;
} IntList;

START_TEST(test_list_helpers)
{
    IntList *list = NULL, **tail = &list;

    QAPI_LIST_APPEND(tail, 2);
    QAPI_LIST_PREPEND(list, 1);
    QAPI_LIST_APPEND(tail, 3);
    ck_assert_int_eq(QAPI_LIST_LENGTH(list), 3);
    ck_assert_int_eq(list->value, 1);
    ck_assert_int_eq(list->next->next->value, 3);
    while (list) {
        IntList *next = list->next;

        g_free(list);
        list = next;
    }
}
END_TEST

static Suite *qapi_json_suite(void)
{
    Suite *s = suite_create("qapi-json");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_path);
    tcase_add_test(tc, test_frames);
    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_other_scalars);
    tcase_add_test(tc, test_to_json);
    tcase_add_test(tc, test_strtosz);
    tcase_add_test(tc, test_strtonum);
    tcase_add_test(tc, test_qdict_order);
    tcase_add_test(tc, test_list_helpers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(qapi_json_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
