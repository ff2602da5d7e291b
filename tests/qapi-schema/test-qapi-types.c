/*
 * Exercises the C generated from tests/qapi-schema/qapi-schema-test.json:
 * JSON -> C -> JSON round trips, every conversion error text, keyval input,
 * deep free and copy (run under ASan to catch leaks), marshallers, events
 * and introspection.
 */
#include "util/osdep.h"

#include <check.h>

#include "qapi/qmp-dispatch.h"
#include "test-qapi-commands.h"
#include "test-qapi-events.h"
#include "test-qapi-visit.h"

static json_t *J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    ck_assert_msg(v, "bad test JSON %s: %s", text, jerr.text);
    return v;
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void assert_json_eq(const json_t *actual, const char *expected)
{
    json_t *e = J(expected);
    char *a = dump(actual);

    ck_assert_msg(json_equal(e, actual), "got %s, expected %s", a, expected);
    free(a);
    json_decref(e);
}

/* Same text, so member order counts too. */
static void assert_json_text(const json_t *actual, const char *expected)
{
    json_t *e = J(expected);
    char *a = dump(actual), *x = dump(e);

    ck_assert_str_eq(a, x);
    free(a);
    free(x);
    json_decref(e);
}

#define EXPECT_ERROR(Type, text, keyval, msg)                                                      \
    do {                                                                                           \
        json_t *in_ = J(text);                                                                     \
        Type *obj_ = (Type *)&in_;                                                                 \
        Error *err_ = NULL;                                                                        \
                                                                                                   \
        ck_assert(!qapi_parse_##Type(in_, keyval, &obj_, &err_));                                  \
        ck_assert_ptr_null(obj_);                                                                  \
        ck_assert_ptr_nonnull(err_);                                                               \
        ck_assert_str_eq(error_get_pretty(err_), msg);                                             \
        error_free(err_);                                                                          \
        json_decref(in_);                                                                          \
    } while (0)

/* Parses, converts back (must give the input again), clones, frees. */
#define ROUND_TRIP(Type, text)                                                                     \
    do {                                                                                           \
        json_t *in_ = J(text), *out_, *out2_;                                                      \
        Type *obj_ = NULL, *copy_;                                                                 \
                                                                                                   \
        ck_assert(qapi_parse_##Type(in_, false, &obj_, &error_abort));                             \
        out_ = qapi_to_json_##Type(obj_);                                                          \
        assert_json_eq(out_, text);                                                                \
        copy_ = qapi_clone_##Type(obj_);                                                           \
        qapi_free_##Type(obj_);                                                                    \
        out2_ = qapi_to_json_##Type(copy_);                                                        \
        assert_json_eq(out2_, text);                                                               \
        qapi_free_##Type(copy_);                                                                   \
        json_decref(out_);                                                                         \
        json_decref(out2_);                                                                        \
        json_decref(in_);                                                                          \
    } while (0)

static const char full_struct[] =
    "{\"id\":\"x\",\"tag\":\"t\",\"count\":5,\"flag\":true,\"color\":\"blue-ish\","
    "\"extra\":{\"a\":[1,null]},\"nested\":{\"value\":-3,\"note\":\"n\"},"
    "\"names\":[\"a\",\"b\"],\"inners\":[{\"value\":1},{\"value\":2,\"note\":\"z\"}],"
    "\"default\":7,\"unix\":\"u\",\"new-style\":\"ns\"}";

static const char minimal_struct[] =
    "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0}}";

START_TEST(test_struct_round_trip)
{
    json_t *in = J(full_struct), *out;
    TestStruct *s = NULL;

    ck_assert(qapi_parse_TestStruct(in, false, &s, &error_abort));
    ck_assert_str_eq(s->id, "x");
    ck_assert(s->has_tag);
    ck_assert_str_eq(s->tag, "t");
    ck_assert_int_eq(s->count, 5);
    ck_assert(s->has_flag && s->flag);
    ck_assert_int_eq(s->color, TEST_COLOR_BLUE_ISH);
    ck_assert(s->has_extra);
    assert_json_eq(s->extra, "{\"a\":[1,null]}");
    ck_assert_int_eq(s->nested->value, -3);
    ck_assert(s->nested->has_note);
    ck_assert_str_eq(s->names->value, "a");
    ck_assert_str_eq(s->names->next->value, "b");
    ck_assert_ptr_null(s->names->next->next);
    ck_assert_int_eq(s->inners->next->value->value, 2);
    ck_assert(s->has_q_default);
    ck_assert_int_eq(s->q_default, 7);
    ck_assert_str_eq(s->q_unix, "u");
    ck_assert_str_eq(s->new_style, "ns");
    ck_assert_str_eq(qapi_TestStruct_base(s)->id, "x");
    /* Members come out in schema order. */
    out = qapi_to_json_TestStruct(s);
    assert_json_text(out, full_struct);
    json_decref(out);
    qapi_free_TestStruct(s);
    json_decref(in);

    ROUND_TRIP(TestStruct, full_struct);
}
END_TEST

START_TEST(test_struct_minimal)
{
    json_t *in = J(minimal_struct), *out;
    TestStruct *s = NULL;

    ck_assert(qapi_parse_TestStruct(in, false, &s, &error_abort));
    ck_assert(!s->has_tag && !s->has_flag && !s->has_extra && !s->has_names);
    ck_assert_ptr_null(s->tag);
    out = qapi_to_json_TestStruct(s);
    assert_json_text(out, minimal_struct);
    json_decref(out);
    qapi_free_TestStruct(s);
    json_decref(in);
    qapi_free_TestStruct(NULL);
}
END_TEST

START_TEST(test_struct_errors)
{
    EXPECT_ERROR(TestStruct, "{\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0}}", false,
                 "Parameter 'id' is missing");
    EXPECT_ERROR(TestStruct, "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{}}", false,
                 "Parameter 'nested.value' is missing");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0},\"foo\":1}",
                 false, "Parameter 'foo' is unexpected");
    EXPECT_ERROR(
        TestStruct,
        "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0,\"bogus\":1}}", false,
        "Parameter 'nested.bogus' is unexpected");
    /* A missing member is reported before an unexpected one. */
    EXPECT_ERROR(TestStruct, "{\"foo\":1,\"id\":\"x\",\"color\":\"red\",\"nested\":{\"value\":0}}",
                 false, "Parameter 'count' is missing");
    EXPECT_ERROR(TestStruct, "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":5}", false,
                 "Invalid parameter type for 'nested', expected: object");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0},"
                 "\"names\":\"a\"}",
                 false, "Invalid parameter type for 'names', expected: array");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0},"
                 "\"names\":[\"a\",1]}",
                 false, "Invalid parameter type for 'names[1]', expected: string");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0},"
                 "\"inners\":[{\"value\":1},{}]}",
                 false, "Parameter 'inners[1].value' is missing");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0},"
                 "\"inners\":[{\"value\":1,\"x\":{}}]}",
                 false, "Parameter 'inners[0].x' is unexpected");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":0,\"color\":\"red\",\"nested\":{\"value\":0},"
                 "\"inners\":[5]}",
                 false, "Invalid parameter type for 'inners[0]', expected: object");
    EXPECT_ERROR(TestStruct, "{\"id\":\"x\",\"count\":0,\"color\":\"x\",\"nested\":{\"value\":0}}",
                 false, "Parameter 'color' does not accept value 'x'");
    EXPECT_ERROR(TestStruct, "{\"id\":\"x\",\"count\":0,\"color\":5,\"nested\":{\"value\":0}}",
                 false, "Invalid parameter type for 'color', expected: string");
    EXPECT_ERROR(TestStruct, "{\"id\":\"x\",\"count\":true,\"color\":\"red\"}", false,
                 "Invalid parameter type for 'count', expected: integer");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":0,\"flag\":\"yes\",\"color\":\"red\","
                 "\"nested\":{\"value\":0}}",
                 false, "Invalid parameter type for 'flag', expected: boolean");
    EXPECT_ERROR(TestStruct, "{\"id\":null}", false,
                 "Invalid parameter type for 'id', expected: string");
    EXPECT_ERROR(TestStruct, "[]", false,
                 "Invalid parameter type for '<anonymous>', expected: object");
    EXPECT_ERROR(TestEmpty, "{\"a\":1}", false, "Parameter 'a' is unexpected");
}
END_TEST

static const char ints_base[] =
    "{\"i8\":-128,\"i16\":32767,\"i32\":-2147483648,\"i64\":-9223372036854775808,"
    "\"u8\":255,\"u16\":65535,\"u32\":4294967295,\"u64\":9223372036854775807,"
    "\"sz\":0,\"num\":1.5,\"i\":9223372036854775807,\"b\":false,\"s\":\"\",\"n\":null}";

START_TEST(test_ints_limits)
{
    json_t *in = J(ints_base), *out;
    TestInts *t = NULL;

    ck_assert(qapi_parse_TestInts(in, false, &t, &error_abort));
    ck_assert_int_eq(t->i8, INT8_MIN);
    ck_assert_int_eq(t->i16, INT16_MAX);
    ck_assert_int_eq(t->i32, INT32_MIN);
    ck_assert(t->i64 == INT64_MIN);
    ck_assert_uint_eq(t->u8, UINT8_MAX);
    ck_assert_uint_eq(t->u16, UINT16_MAX);
    ck_assert_uint_eq(t->u32, UINT32_MAX);
    ck_assert(t->u64 == INT64_MAX);
    ck_assert(t->num == 1.5);
    ck_assert(t->has_n && json_is_null(t->n));
    out = qapi_to_json_TestInts(t);
    assert_json_text(out, ints_base);
    json_decref(out);
    qapi_free_TestInts(t);

    /* Negative numbers wrap for unsigned members; big ones travel as reals. */
    json_object_set_new(in, "u64", json_integer(-1));
    json_object_set_new(in, "sz", json_real(9.5e18));
    json_object_set_new(in, "num", json_integer(3));
    ck_assert(qapi_parse_TestInts(in, false, &t, &error_abort));
    ck_assert(t->u64 == UINT64_MAX);
    ck_assert(t->sz == UINT64_C(9500000000000000000));
    ck_assert(t->num == 3.0);
    out = qapi_to_json_TestInts(t);
    ck_assert(json_is_real(json_object_get(out, "u64")));
    ck_assert(json_real_value(json_object_get(out, "u64")) == 0x1p64);
    ck_assert(json_is_real(json_object_get(out, "num")));
    json_decref(out);
    qapi_free_TestInts(t);
    json_decref(in);
}
END_TEST

static void ints_error(const char *member, json_t *value, bool keyval, const char *msg)
{
    json_t *in = J(ints_base);
    TestInts *t = NULL;
    Error *err = NULL;

    if (keyval) {
        /* Every scalar a string, as keyval_parse() makes them. */
        const char *key;
        json_t *v, *in2 = json_object();

        json_object_foreach(in, key, v)
        {
            char *text = json_is_string(v)    ? g_strdup(json_string_value(v))
                         : json_is_null(v)    ? g_strdup("")
                         : json_is_boolean(v) ? g_strdup(json_is_true(v) ? "on" : "off")
                                              : dump(v);

            json_object_set_new(in2, key, json_string(text));
            g_free(text);
        }
        json_decref(in);
        in = in2;
    }
    json_object_set_new(in, member, value);
    ck_assert(!qapi_parse_TestInts(in, keyval, &t, &err));
    ck_assert_ptr_null(t);
    ck_assert_msg(err && !strcmp(error_get_pretty(err), msg), "%s: got '%s', expected '%s'", member,
                  err ? error_get_pretty(err) : "(no error)", msg);
    error_free(err);
    json_decref(in);
}

START_TEST(test_ints_errors)
{
    ints_error("i8", json_integer(128), false, "Parameter 'i8' expects int8_t");
    ints_error("i8", json_integer(-129), false, "Parameter 'i8' expects int8_t");
    ints_error("i16", json_integer(32768), false, "Parameter 'i16' expects int16_t");
    ints_error("i16", json_integer(-32769), false, "Parameter 'i16' expects int16_t");
    ints_error("i32", json_integer(2147483648), false, "Parameter 'i32' expects int32_t");
    ints_error("u8", json_integer(256), false, "Parameter 'u8' expects uint8_t");
    ints_error("u8", json_integer(-1), false, "Parameter 'u8' expects uint8_t");
    ints_error("u16", json_integer(65536), false, "Parameter 'u16' expects uint16_t");
    ints_error("u32", json_integer(4294967296), false, "Parameter 'u32' expects uint32_t");
    ints_error("i64", json_string("1"), false,
               "Invalid parameter type for 'i64', expected: integer");
    ints_error("i", json_real(1.5), false, "Invalid parameter type for 'i', expected: integer");
    ints_error("i8", json_real(1.0), false, "Invalid parameter type for 'i8', expected: integer");
    ints_error("i", json_real(9.3e18), false, "Invalid parameter type for 'i', expected: integer");
    ints_error("u64", json_string("x"), false, "Parameter 'u64' expects uint64");
    ints_error("u64", json_real(1.5), false, "Parameter 'u64' expects uint64");
    ints_error("u64", json_real(0x1p64), false, "Parameter 'u64' expects uint64");
    ints_error("u8", json_true(), false, "Parameter 'u8' expects uint64");
    ints_error("sz", json_true(), false, "Parameter 'sz' expects uint64");
    ints_error("num", json_string("1"), false,
               "Invalid parameter type for 'num', expected: number");
    ints_error("b", json_integer(1), false, "Invalid parameter type for 'b', expected: boolean");
    ints_error("s", json_integer(1), false, "Invalid parameter type for 's', expected: string");
    ints_error("n", json_integer(0), false, "Invalid parameter type for 'n', expected: null");
    ints_error("n", json_string(""), false, "Invalid parameter type for 'n', expected: null");
}
END_TEST

START_TEST(test_keyval)
{
    json_t *in = J("{\"i8\":\"-128\",\"i16\":\"0x7fff\",\"i32\":\"010\","
                   "\"i64\":\"-9223372036854775808\",\"u8\":\"255\",\"u16\":\"0xffff\","
                   "\"u32\":\"4294967295\",\"u64\":\"18446744073709551615\",\"sz\":\"1.5k\","
                   "\"num\":\"2.5e3\",\"i\":\"42\",\"b\":\"on\",\"s\":\"str\",\"n\":\"\"}");
    TestInts *t = NULL;
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};

    ck_assert(qapi_parse_TestInts(in, true, &t, &error_abort));
    ck_assert_int_eq(t->i8, -128);
    ck_assert_int_eq(t->i16, 0x7fff);
    ck_assert_int_eq(t->i32, 8);
    ck_assert(t->i64 == INT64_MIN);
    ck_assert(t->u64 == UINT64_MAX);
    ck_assert(t->sz == 1536);
    ck_assert(t->num == 2500);
    ck_assert_int_eq(t->i, 42);
    ck_assert(t->b);
    ck_assert_str_eq(t->s, "str");
    ck_assert(t->has_n && json_is_null(t->n));
    qapi_free_TestInts(t);
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        json_object_set_new(in, "b", json_string(yes[i]));
        ck_assert(qapi_parse_TestInts(in, true, &t, &error_abort));
        ck_assert(t->b);
        qapi_free_TestInts(t);
        json_object_set_new(in, "b", json_string(no[i]));
        ck_assert(qapi_parse_TestInts(in, true, &t, &error_abort));
        ck_assert(!t->b);
        qapi_free_TestInts(t);
    }
    /* Native JSON scalars are fine in keyval mode too. */
    json_object_set_new(in, "i8", json_integer(5));
    json_object_set_new(in, "b", json_true());
    ck_assert(qapi_parse_TestInts(in, true, &t, &error_abort));
    ck_assert_int_eq(t->i8, 5);
    qapi_free_TestInts(t);
    json_decref(in);

    ints_error("i8", json_string("128"), true, "Parameter 'i8' expects int8_t");
    ints_error("u8", json_string("-1"), true, "Parameter 'u8' expects uint8_t");
    ints_error("i", json_string("abc"), true, "Parameter 'i' expects integer");
    ints_error("i", json_string(""), true, "Parameter 'i' expects integer");
    ints_error("i", json_string("08"), true, "Parameter 'i' expects integer");
    ints_error("i", json_string("9223372036854775808"), true, "Parameter 'i' expects integer");
    ints_error("u64", json_string("x"), true, "Parameter 'u64' expects integer");
    ints_error("u64", json_string("18446744073709551616"), true, "Parameter 'u64' expects integer");
    ints_error("sz", json_string("1x"), true, "Parameter 'sz' expects size");
    ints_error("sz", json_string("-1"), true, "Parameter 'sz' expects size");
    ints_error("sz", json_string("1.5"), true, "Parameter 'sz' expects size");
    ints_error("num", json_string("abc"), true,
               "Invalid parameter type for 'num', expected: number");
    ints_error("b", json_string("TRUE"), true, "Parameter 'b' expects 'on' or 'off'");
    ints_error("n", json_string("x"), true, "Invalid parameter type for 'n', expected: null");
    ints_error("s", J("{\"a\":\"b\"}"), true, "Parameters 's.*' are unexpected");
    ints_error("i", J("[\"1\"]"), true, "Parameters 'i.*' are unexpected");

    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":\"0\",\"color\":\"red\",\"nested\":{\"value\":\"0\"},"
                 "\"inners\":[{\"value\":\"1\"},{\"value\":\"x\"}]}",
                 true, "Parameter 'inners.1.value' expects integer");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":\"0\",\"color\":\"red\",\"nested\":{\"value\":\"0\"},"
                 "\"inners\":[{}]}",
                 true, "Parameter 'inners.0.value' is missing");
    EXPECT_ERROR(TestStruct, "{\"id\":\"x\",\"count\":\"0\",\"color\":\"red\",\"nested\":\"a\"}",
                 true, "Invalid parameter type for 'nested', expected: object");
    EXPECT_ERROR(TestStruct, "{\"id\":\"x\",\"count\":\"0\",\"color\":\"pink\"}", true,
                 "Parameter 'color' does not accept value 'pink'");
    EXPECT_ERROR(TestStruct,
                 "{\"id\":\"x\",\"count\":\"0\",\"color\":\"red\",\"nested\":{\"value\":\"0\"},"
                 "\"x\":\"1\"}",
                 true, "Parameter 'x' is unexpected");
}
END_TEST

START_TEST(test_union)
{
    json_t *in;
    TestUnion *u = NULL;
    TestUnion2 *u2 = NULL;

    ROUND_TRIP(TestUnion, "{\"kind\":\"alpha\",\"common\":\"c\",\"a\":1}");
    ROUND_TRIP(TestUnion, "{\"kind\":\"beta\",\"value\":2,\"note\":\"n\",\"b\":[\"red\"]}");
    ROUND_TRIP(TestUnion, "{\"kind\":\"gamma\"}");
    ROUND_TRIP(TestUnion2, "{\"mode\":\"fast\",\"x\":3,\"a\":4}");
    ROUND_TRIP(TestUnion2, "{\"mode\":\"slow\",\"kind\":\"alpha\",\"a\":5}");
    ROUND_TRIP(TestUnion2, "{\"mode\":\"slow\",\"kind\":\"gamma\"}");

    in = J("{\"kind\":\"beta\",\"value\":2,\"b\":[\"red\",\"green\"]}");
    ck_assert(qapi_parse_TestUnion(in, false, &u, &error_abort));
    ck_assert_int_eq(u->kind, TEST_KIND_BETA);
    ck_assert(!u->has_common);
    ck_assert_int_eq(u->u.beta.value, 2);
    ck_assert(u->u.beta.has_b);
    ck_assert_int_eq(u->u.beta.b->next->value, TEST_COLOR_GREEN);
    qapi_free_TestUnion(u);
    json_decref(in);

    in = J("{\"mode\":\"slow\",\"x\":1,\"kind\":\"alpha\",\"a\":5}");
    ck_assert(qapi_parse_TestUnion2(in, false, &u2, &error_abort));
    ck_assert_int_eq(qapi_TestUnion2_base(u2)->mode, TMODE_SLOW);
    ck_assert_int_eq(u2->u.slow.kind, TEST_KIND_ALPHA);
    ck_assert_int_eq(u2->u.slow.u.alpha.a, 5);
    qapi_free_TestUnion2(u2);
    json_decref(in);

    EXPECT_ERROR(TestUnion, "{}", false, "Parameter 'kind' is missing");
    EXPECT_ERROR(TestUnion, "{\"kind\":\"delta\"}", false,
                 "Parameter 'kind' does not accept value 'delta'");
    EXPECT_ERROR(TestUnion, "{\"kind\":7}", false,
                 "Invalid parameter type for 'kind', expected: string");
    EXPECT_ERROR(TestUnion, "{\"kind\":\"alpha\"}", false, "Parameter 'a' is missing");
    EXPECT_ERROR(TestUnion, "{\"kind\":\"gamma\",\"a\":1}", false, "Parameter 'a' is unexpected");
    EXPECT_ERROR(TestUnion, "{\"kind\":\"alpha\",\"a\":1,\"value\":2}", false,
                 "Parameter 'value' is unexpected");
    EXPECT_ERROR(TestUnion, "{\"kind\":\"beta\",\"value\":1,\"b\":[\"red\",\"x\"]}", false,
                 "Parameter 'null' does not accept value 'x'");
    EXPECT_ERROR(TestUnion2, "{\"mode\":\"slow\",\"kind\":\"alpha\"}", false,
                 "Parameter 'a' is missing");
    EXPECT_ERROR(TestUnion2, "{\"mode\":\"slow\"}", false, "Parameter 'kind' is missing");
}
END_TEST

static TestHolder *holder_parse(const char *extra, bool keyval, Error **errp)
{
    g_autofree char *text = g_strdup_printf("{\"un\":{\"kind\":\"gamma\"},\"alt\":1%s%s}",
                                            extra ? "," : "", extra ? extra : "");
    json_t *in = J(text);
    TestHolder *h = NULL;

    if (keyval) {
        json_object_set_new(in, "alt", json_string("red"));
    }
    qapi_parse_TestHolder(in, keyval, &h, errp);
    json_decref(in);
    return h;
}

static void holder_error(const char *extra, bool keyval, const char *msg)
{
    Error *err = NULL;
    TestHolder *h = holder_parse(extra, keyval, &err);

    ck_assert_ptr_null(h);
    ck_assert_msg(err && !strcmp(error_get_pretty(err), msg), "%s: got '%s', expected '%s'", extra,
                  err ? error_get_pretty(err) : "(no error)", msg);
    error_free(err);
}

START_TEST(test_alternate)
{
    TestHolder *h;
    json_t *out;

    ROUND_TRIP(TestAlt, "5");
    ROUND_TRIP(TestAlt, "{\"value\":1,\"note\":\"x\"}");
    ROUND_TRIP(TestAlt, "\"green\"");
    ROUND_TRIP(TestAlt, "true");
    ROUND_TRIP(TestAlt, "null");
    ROUND_TRIP(TestRef, "\"node0\"");
    ROUND_TRIP(TestRef, "{\"kind\":\"alpha\",\"a\":1}");
    ROUND_TRIP(TestAltNum, "2.5");
    ROUND_TRIP(TestAltNum, "{}");
    ROUND_TRIP(TestAltScalar, "200");
    ROUND_TRIP(TestAltScalar, "false");

    h = holder_parse("\"alts\":[1,{\"value\":2},\"blue-ish\",false,null],\"ref\":\"n\","
                     "\"num\":3,\"scalar\":true",
                     false, &error_abort);
    ck_assert_int_eq(h->alt->type, QTYPE_QNUM);
    ck_assert_int_eq(h->alt->u.i, 1);
    ck_assert_int_eq(h->alts->value->type, QTYPE_QNUM);
    ck_assert_int_eq(h->alts->next->value->type, QTYPE_QDICT);
    ck_assert_int_eq(h->alts->next->value->u.o.value, 2);
    ck_assert_int_eq(h->alts->next->next->value->type, QTYPE_QSTRING);
    ck_assert_int_eq(h->alts->next->next->value->u.e, TEST_COLOR_BLUE_ISH);
    ck_assert_int_eq(h->alts->next->next->next->value->type, QTYPE_QBOOL);
    ck_assert_int_eq(h->alts->next->next->next->next->value->type, QTYPE_QNULL);
    ck_assert_int_eq(h->ref->type, QTYPE_QSTRING);
    ck_assert_str_eq(h->ref->u.reference, "n");
    ck_assert_int_eq(h->num->type, QTYPE_QNUM);
    ck_assert(h->num->u.d == 3.0);
    ck_assert_int_eq(h->scalar->type, QTYPE_QBOOL);
    out = qapi_to_json_TestHolder(h);
    assert_json_eq(out, "{\"un\":{\"kind\":\"gamma\"},\"alt\":1,\"alts\":[1,{\"value\":2},"
                        "\"blue-ish\",false,null],\"ref\":\"n\",\"num\":3.0,\"scalar\":true}");
    json_decref(out);
    qapi_free_TestHolder(h);

    holder_error("\"alts\":[1,[]]", false, "Invalid parameter type for 'null', expected: TestAlt");
    holder_error("\"ref\":5", false, "Invalid parameter type for 'ref', expected: TestRef");
    holder_error("\"ref\":{\"kind\":\"alpha\"}", false, "Parameter 'ref.a' is missing");
    holder_error("\"scalar\":300", false, "Parameter 'scalar' expects uint8_t");
    holder_error("\"scalar\":\"1\"", false,
                 "Invalid parameter type for 'scalar', expected: TestAltScalar");
    holder_error("\"num\":\"1\"", false, "Invalid parameter type for 'num', expected: TestAltNum");
    holder_error("\"num\":{\"x\":1}", false, "Parameter 'num.x' is unexpected");
    holder_error("\"alts\":[{\"value\":\"x\"}]", false,
                 "Invalid parameter type for 'alts[0].value', expected: integer");
    holder_error("\"alts\":[\"purple\"]", false, "Parameter 'null' does not accept value 'purple'");
    holder_error("\"alts\":[1.5]", false,
                 "Invalid parameter type for 'alts[0]', expected: integer");

    EXPECT_ERROR(TestHolder, "{\"un\":{\"kind\":\"gamma\"}}", false, "Parameter 'alt' is missing");
    EXPECT_ERROR(TestHolder, "{\"un\":{\"kind\":\"gamma\"},\"alt\":[]}", false,
                 "Invalid parameter type for 'alt', expected: TestAlt");
    EXPECT_ERROR(TestHolder, "{\"un\":{\"kind\":\"gamma\"},\"alt\":\"purple\"}", false,
                 "Parameter 'alt' does not accept value 'purple'");
    EXPECT_ERROR(TestHolder, "{\"un\":{\"kind\":\"gamma\"},\"alt\":{\"value\":1,\"x\":2}}", false,
                 "Parameter 'alt.x' is unexpected");
    EXPECT_ERROR(TestAlt, "[]", false, "Invalid parameter type for 'null', expected: TestAlt");

    /* Command line: a string picks the branch it can be read as. */
    h = holder_parse("\"scalar\":\"on\",\"num\":\"2.5\",\"ref\":\"r\"", true, &error_abort);
    ck_assert_int_eq(h->alt->type, QTYPE_QSTRING);
    ck_assert_int_eq(h->alt->u.e, TEST_COLOR_RED);
    ck_assert_int_eq(h->scalar->type, QTYPE_QBOOL);
    ck_assert(h->scalar->u.b);
    ck_assert_int_eq(h->num->type, QTYPE_QNUM);
    ck_assert(h->num->u.d == 2.5);
    qapi_free_TestHolder(h);
    h = holder_parse("\"scalar\":\"17\"", true, &error_abort);
    ck_assert_int_eq(h->scalar->type, QTYPE_QNUM);
    ck_assert_int_eq(h->scalar->u.i, 17);
    qapi_free_TestHolder(h);
    holder_error("\"scalar\":\"x\"", true, "Parameter 'scalar' expects integer");
    holder_error("\"scalar\":\"256\"", true, "Parameter 'scalar' expects uint8_t");
    holder_error("\"num\":\"x\"", true, "Invalid parameter type for 'num', expected: number");
}
END_TEST

START_TEST(test_lists)
{
    TestHolder *h;
    strList *sl = NULL;
    intList *il = NULL;
    json_t *in, *out;
    Error *err = NULL;

    h = holder_parse("\"ints\":[1,2,3],\"u8s\":[0,255],\"colors\":[\"red\",\"green\"],"
                     "\"nums\":[1,2.5],\"anys\":[1,\"x\",{},null,[true]],\"sizes\":[0,1024],"
                     "\"bools\":[true,false],\"empty\":{},\"u2\":{\"mode\":\"fast\",\"a\":1}",
                     false, &error_abort);
    ck_assert_int_eq(QAPI_LIST_LENGTH(h->ints), 3);
    ck_assert_int_eq(h->ints->next->next->value, 3);
    ck_assert_uint_eq(h->u8s->next->value, 255);
    ck_assert_int_eq(h->colors->next->value, TEST_COLOR_GREEN);
    ck_assert(h->nums->next->value == 2.5);
    ck_assert(json_is_null(h->anys->next->next->next->value));
    ck_assert(h->sizes->next->value == 1024);
    ck_assert(!h->bools->next->value);
    ck_assert(h->has_empty && h->empty);
    out = qapi_to_json_TestHolder(h);
    assert_json_eq(out, "{\"un\":{\"kind\":\"gamma\"},\"alt\":1,\"ints\":[1,2,3],\"u8s\":[0,255],"
                        "\"colors\":[\"red\",\"green\"],\"nums\":[1.0,2.5],"
                        "\"anys\":[1,\"x\",{},null,[true]],\"sizes\":[0,1024],"
                        "\"bools\":[true,false],\"empty\":{},\"u2\":{\"mode\":\"fast\",\"a\":1}}");
    json_decref(out);
    qapi_free_TestHolder(h);

    holder_error("\"u8s\":[256]", false, "Parameter 'null' expects uint8_t");
    holder_error("\"ints\":[1,\"2\"]", false,
                 "Invalid parameter type for 'ints[1]', expected: integer");
    holder_error("\"colors\":\"red\"", false,
                 "Invalid parameter type for 'colors', expected: array");
    holder_error("\"sizes\":[\"1k\"]", false, "Parameter 'sizes[0]' expects uint64");

    /* Built-in lists. */
    in = J("[\"a\",\"b\"]");
    ck_assert(qapi_parse_strList(in, false, &sl, &error_abort));
    ck_assert_str_eq(sl->next->value, "b");
    out = qapi_to_json_strList(sl);
    assert_json_text(out, "[\"a\",\"b\"]");
    json_decref(out);
    qapi_free_strList(sl);
    json_decref(in);
    in = J("[1,\"x\"]");
    ck_assert(!qapi_parse_intList(in, false, &il, &err));
    ck_assert_ptr_null(il);
    ck_assert_str_eq(error_get_pretty(err), "Invalid parameter type for '[1]', expected: integer");
    error_free(err);
    json_decref(in);
    out = qapi_to_json_intList(NULL);
    assert_json_text(out, "[]");
    json_decref(out);
}
END_TEST

START_TEST(test_list_macros)
{
    strList *list = NULL, **tail = &list;
    strList *copy;

    QAPI_LIST_APPEND(tail, g_strdup("b"));
    QAPI_LIST_APPEND(tail, g_strdup("c"));
    QAPI_LIST_PREPEND(list, g_strdup("a"));
    ck_assert_int_eq(QAPI_LIST_LENGTH(list), 3);
    ck_assert_str_eq(list->value, "a");
    ck_assert_str_eq(list->next->next->value, "c");
    copy = QAPI_CLONE(strList, list);
    qapi_free_strList(list);
    ck_assert_str_eq(copy->next->value, "b");
    qapi_free_strList(copy);
    ck_assert_int_eq(QAPI_LIST_LENGTH(NULL), 0);
}
END_TEST

START_TEST(test_clone)
{
    TestHolder *h, *c;
    json_t *a, *b;

    h = holder_parse("\"alts\":[1,{\"value\":2},\"red\",true,null],\"ref\":{\"kind\":\"beta\","
                     "\"value\":1,\"b\":[\"red\"]},\"anys\":[{\"deep\":[1]}],"
                     "\"u2\":{\"mode\":\"slow\",\"kind\":\"alpha\",\"a\":9}",
                     false, &error_abort);
    c = QAPI_CLONE(TestHolder, h);
    ck_assert_ptr_ne(c->alts, h->alts);
    ck_assert_ptr_ne(c->anys->value, h->anys->value);
    a = qapi_to_json_TestHolder(h);
    qapi_free_TestHolder(h);
    b = qapi_to_json_TestHolder(c);
    ck_assert(json_equal(a, b));
    qapi_free_TestHolder(c);
    json_decref(a);
    json_decref(b);
    ck_assert_ptr_null(QAPI_CLONE(TestHolder, NULL));
}
END_TEST

START_TEST(test_enums)
{
    Error *err = NULL;

    ck_assert_str_eq(TestColor_str(TEST_COLOR_BLUE_ISH), "blue-ish");
    ck_assert_int_eq(TestColor_lookup.size, TEST_COLOR__MAX);
    ck_assert_int_eq(TEST_COLOR__MAX, 3);
    ck_assert_str_eq(TestMode_str(TMODE_SLOW), "slow");
    ck_assert_str_eq(QType_str(QTYPE_QDICT), "qdict");
    ck_assert_ptr_null(TestColor_str(TEST_COLOR__MAX));
    ck_assert_int_eq(qapi_enum_parse(&TestColor_lookup, "green", -1, &error_abort),
                     TEST_COLOR_GREEN);
    ck_assert_int_eq(qapi_enum_parse(&TestColor_lookup, NULL, 7, &error_abort), 7);
    ck_assert_int_eq(qapi_enum_parse(&TestColor_lookup, "pink", -1, &err), -1);
    ck_assert_str_eq(error_get_pretty(err), "invalid parameter value: pink");
    error_free(err);
}
END_TEST

/* ---------------------------------------------------------------- commands */

static int64_t last_a;
static bool fail_next;

TestStruct *qmp_test_cmd(int64_t a, bool has_b, const char *b, bool has_c, TestInner *c,
                         TestColorList *d, Error **errp)
{
    TestStruct *s = g_new0(TestStruct, 1);

    last_a = a;
    s->id = g_strdup(has_b ? b : "none");
    s->count = a + QAPI_LIST_LENGTH(d);
    s->color = d ? d->value : TEST_COLOR_RED;
    s->nested = g_new0(TestInner, 1);
    s->nested->value = has_c ? c->value : -1;
    return s;
}

void qmp_test_boxed(TestUnion *arg, Error **errp)
{
    last_a = arg->kind == TEST_KIND_ALPHA ? arg->u.alpha.a : -1;
}

TestInnerList *qmp_test_list(bool has_n, int64_t n, Error **errp)
{
    TestInnerList *list = NULL;

    for (int64_t i = has_n ? n : 0; i > 0; i--) {
        TestInner *t = g_new0(TestInner, 1);

        t->value = i;
        QAPI_LIST_PREPEND(list, t);
    }
    return list;
}

TestInner *qmp_test_named_args(int64_t value, bool has_note, const char *note, Error **errp)
{
    TestInner *t = g_new0(TestInner, 1);

    t->value = value * 2;
    t->has_note = has_note;
    t->note = g_strdup(note);
    return t;
}

void qmp_test_noargs(Error **errp)
{
    if (fail_next) {
        fail_next = false;
        error_setg(errp, "noargs failed");
    }
}

int64_t qmp_test_ret_int(Error **errp)
{
    return 42;
}

char *qmp_test_ret_str(Error **errp)
{
    if (fail_next) {
        fail_next = false;
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "no such thing");
        return NULL;
    }
    return g_strdup("hello");
}

json_t *qmp_test_ret_any(json_t *v, Error **errp)
{
    return json_incref(v);
}

TestColor qmp_test_ret_enum(Error **errp)
{
    return TEST_COLOR_BLUE_ISH;
}

void qmp_test_underscore(bool q_if, Error **errp)
{
    last_a = q_if;
}

static void expect_dispatch(const char *request, const char *response)
{
    json_t *req = J(request);
    json_t *rsp = qmp_dispatch(req, false);

    assert_json_text(rsp, response);
    json_decref(rsp);
    json_decref(req);
}

START_TEST(test_commands)
{
    test_qmp_init_marshal();
    test_qmp_init_marshal();

    expect_dispatch("{\"execute\":\"test-cmd\",\"arguments\":{\"a\":1,\"b\":\"x\","
                    "\"c\":{\"value\":2},\"d\":[\"green\",\"red\"]}}",
                    "{\"return\":{\"id\":\"x\",\"count\":3,\"color\":\"green\","
                    "\"nested\":{\"value\":2}}}");
    ck_assert_int_eq(last_a, 1);
    expect_dispatch("{\"execute\":\"test-cmd\",\"arguments\":{\"a\":5,\"d\":[]}}",
                    "{\"return\":{\"id\":\"none\",\"count\":5,\"color\":\"red\","
                    "\"nested\":{\"value\":-1}}}");
    expect_dispatch("{\"execute\":\"test-cmd\",\"arguments\":{\"d\":[]}}",
                    "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"Parameter 'a' is missing\"}}");
    expect_dispatch("{\"execute\":\"test-cmd\",\"arguments\":{\"a\":1,\"d\":[\"x\"]}}",
                    "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"Parameter 'null' does not accept value 'x'\"}}");
    expect_dispatch("{\"execute\":\"test-cmd\",\"arguments\":{\"a\":1,\"d\":[],"
                    "\"c\":{\"value\":\"2\"}}}",
                    "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"Invalid parameter type for 'c.value', expected: integer\"}}");
    expect_dispatch("{\"execute\":\"test-cmd\",\"arguments\":{\"a\":1,\"d\":[],\"e\":1}}",
                    "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"Parameter 'e' is unexpected\"}}");
    expect_dispatch("{\"execute\":\"test-boxed\",\"arguments\":{\"kind\":\"alpha\",\"a\":3}}",
                    "{\"return\":{}}");
    ck_assert_int_eq(last_a, 3);
    expect_dispatch("{\"execute\":\"test-boxed\",\"arguments\":{\"kind\":\"alpha\"}}",
                    "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"Parameter 'a' is missing\"}}");
    expect_dispatch("{\"execute\":\"test-list\",\"arguments\":{\"n\":2}}",
                    "{\"return\":[{\"value\":1},{\"value\":2}]}");
    expect_dispatch("{\"execute\":\"test-list\"}", "{\"return\":[]}");
    expect_dispatch("{\"execute\":\"test-named-args\",\"arguments\":{\"value\":5,\"note\":\"n\"}}",
                    "{\"return\":{\"value\":10,\"note\":\"n\"}}");
    expect_dispatch("{\"execute\":\"test-noargs\",\"arguments\":{}}", "{\"return\":{}}");
    expect_dispatch("{\"execute\":\"test-noargs\",\"arguments\":{\"x\":1}}",
                    "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"Parameter 'x' is unexpected\"}}");
    fail_next = true;
    expect_dispatch("{\"execute\":\"test-noargs\",\"id\":1}",
                    "{\"id\":1,\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"noargs failed\"}}");
    expect_dispatch("{\"execute\":\"test-ret-int\"}", "{\"return\":42}");
    expect_dispatch("{\"execute\":\"test-ret-str\"}", "{\"return\":\"hello\"}");
    fail_next = true;
    expect_dispatch("{\"execute\":\"test-ret-str\"}",
                    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"no such thing\"}}");
    expect_dispatch("{\"execute\":\"test-ret-any\",\"arguments\":{\"v\":[1,{\"a\":null}]}}",
                    "{\"return\":[1,{\"a\":null}]}");
    expect_dispatch("{\"execute\":\"test-ret-any\",\"arguments\":{}}",
                    "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"Parameter 'v' is missing\"}}");
    expect_dispatch("{\"execute\":\"test-ret-enum\"}", "{\"return\":\"blue-ish\"}");
    expect_dispatch("{\"execute\":\"test_underscore\",\"arguments\":{\"if\":true}}",
                    "{\"return\":{}}");
    ck_assert_int_eq(last_a, 1);
    expect_dispatch("{\"execute\":\"test-not-generated\"}",
                    "{\"error\":{\"class\":\"CommandNotFound\","
                    "\"desc\":\"The command test-not-generated has not been found\"}}");

    ck_assert_uint_eq(qmp_find_command("test-noargs")->flags, QCO_ALLOW_PRECONFIG | QCO_COROUTINE);
    ck_assert_uint_eq(qmp_find_command("test-ret-enum")->flags, QCO_ALLOW_OOB);
    ck_assert_uint_eq(qmp_find_command("test-cmd")->flags, QCO_NO_FLAGS);
    ck_assert_uint_eq(qmp_find_command("query-qmp-schema")->flags, QCO_ALLOW_PRECONFIG);
}
END_TEST

START_TEST(test_marshal_direct)
{
    json_t *args = J("{\"value\":1}"), *ret = NULL;
    Error *err = NULL;

    /* Outside qmp_dispatch() (as HMP uses them) marshallers just run. */
    qmp_marshal_test_named_args(args, &ret, &error_abort);
    assert_json_text(ret, "{\"value\":2}");
    json_decref(ret);
    ret = NULL;
    json_decref(args);
    args = J("{\"value\":true}");
    qmp_marshal_test_named_args(args, &ret, &err);
    ck_assert_ptr_null(ret);
    ck_assert_str_eq(error_get_pretty(err),
                     "Invalid parameter type for 'value', expected: integer");
    error_free(err);
    json_decref(args);
}
END_TEST

/* ---------------------------------------------------------------- events */

static char *event_name;
static json_t *event_data;

void qapi_event_emit(const char *name, json_t *data)
{
    g_free(event_name);
    json_decref(event_data);
    event_name = g_strdup(name);
    event_data = data;
}

static void expect_event(const char *name, const char *data)
{
    ck_assert_str_eq(event_name, name);
    if (data) {
        assert_json_text(event_data, data);
    } else {
        ck_assert_ptr_null(event_data);
    }
}

START_TEST(test_events)
{
    TestInner inner = {.value = 4, .has_note = true, .note = (char *)"x"};
    TestUnion u = {.kind = TEST_KIND_ALPHA, .u.alpha.a = 6};

    qapi_event_send_test_event(1, true, "b", TEST_COLOR_GREEN, false, NULL);
    expect_event("TEST_EVENT", "{\"a\":1,\"b\":\"b\",\"c\":\"green\"}");
    qapi_event_send_test_event(2, false, NULL, TEST_COLOR_RED, true, &inner);
    expect_event("TEST_EVENT", "{\"a\":2,\"c\":\"red\",\"d\":{\"value\":4,\"note\":\"x\"}}");
    qapi_event_send_test_empty();
    expect_event("TEST_EMPTY", NULL);
    qapi_event_send_test_boxed(&u);
    expect_event("TEST_BOXED", "{\"kind\":\"alpha\",\"a\":6}");
    qapi_event_send_test_named(3, false, NULL);
    expect_event("TEST_NAMED", "{\"value\":3}");
    ck_assert_str_eq(test_QAPIEvent_lookup.array[TEST_QAPI_EVENT_TEST_BOXED], "TEST_BOXED");
    ck_assert_int_eq(TEST_QAPI_EVENT__MAX, 4);
    g_clear_pointer(&event_name, g_free);
    g_clear_pointer(&event_data, json_decref);
}
END_TEST

/* ---------------------------------------------------------------- introspection */

static json_t *schema_entry(json_t *schema, const char *name)
{
    size_t i;
    json_t *e;

    json_array_foreach(schema, i, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "name")), name)) {
            return e;
        }
    }
    ck_abort_msg("no schema entry %s", name);
    return NULL;
}

START_TEST(test_introspection)
{
    json_t *schema = json_loads(test_qmp_schema_json, 0, NULL), *req, *rsp, *e, *args, *members;
    SchemaInfoList *infos = NULL;

    ck_assert(json_is_array(schema));
    /* Commands and events come first, in definition order. */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(schema, 0), "name")),
                     "query-qmp-schema");
    e = schema_entry(schema, "test-cmd");
    ck_assert_str_eq(json_string_value(json_object_get(e, "meta-type")), "command");
    args = schema_entry(schema, json_string_value(json_object_get(e, "arg-type")));
    members = json_object_get(args, "members");
    ck_assert_int_eq(json_array_size(members), 4);
    assert_json_text(json_array_get(members, 0), "{\"name\":\"a\",\"type\":\"int\"}");
    assert_json_text(json_array_get(members, 1),
                     "{\"name\":\"b\",\"default\":null,\"type\":\"str\"}");
    e = schema_entry(schema,
                     json_string_value(json_object_get(json_array_get(members, 2), "type")));
    assert_json_text(json_object_get(e, "members"), "[{\"name\":\"value\",\"type\":\"int\"},"
                                                    "{\"name\":\"note\",\"default\":null,"
                                                    "\"type\":\"str\"}]");
    e = schema_entry(schema,
                     json_string_value(json_object_get(json_array_get(members, 3), "type")));
    ck_assert_str_eq(json_string_value(json_object_get(e, "meta-type")), "array");
    e = schema_entry(schema, json_string_value(json_object_get(e, "element-type")));
    assert_json_text(json_object_get(e, "values"), "[\"red\",\"green\",\"blue-ish\"]");
    /* All integer types are reported as 'int'. */
    e = schema_entry(schema, "TEST_EVENT");
    ck_assert_ptr_nonnull(e);
    e = schema_entry(schema, "test-ret-enum");
    ck_assert(json_is_true(json_object_get(e, "allow-oob")));
    e = schema_entry(schema, "test_underscore");
    assert_json_text(json_object_get(e, "features"), "[\"unstable\"]");
    /* Every entry converts to SchemaInfo. */
    ck_assert(qapi_parse_SchemaInfoList(schema, false, &infos, &error_abort));
    ck_assert_int_eq(QAPI_LIST_LENGTH(infos), json_array_size(schema));
    qapi_free_SchemaInfoList(infos);

    test_qmp_init_marshal();
    req = J("{\"execute\":\"query-qmp-schema\"}");
    rsp = qmp_dispatch(req, false);
    ck_assert(json_equal(json_object_get(rsp, "return"), schema));
    json_decref(rsp);
    json_decref(req);
    json_decref(schema);
}
END_TEST

static Suite *qapi_types_suite(void)
{
    Suite *s = suite_create("qapi-types");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_struct_round_trip);
    tcase_add_test(tc, test_struct_minimal);
    tcase_add_test(tc, test_struct_errors);
    tcase_add_test(tc, test_ints_limits);
    tcase_add_test(tc, test_ints_errors);
    tcase_add_test(tc, test_keyval);
    tcase_add_test(tc, test_union);
    tcase_add_test(tc, test_alternate);
    tcase_add_test(tc, test_lists);
    tcase_add_test(tc, test_list_macros);
    tcase_add_test(tc, test_clone);
    tcase_add_test(tc, test_enums);
    tcase_add_test(tc, test_commands);
    tcase_add_test(tc, test_marshal_direct);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_introspection);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(qapi_types_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
