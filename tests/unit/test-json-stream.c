/*
 * The QMP JSON splitter, parser and writer.  Expected results were taken
 * from QEMU 7.2 (qemu-system-x86_64 -qmp stdio) fed the same bytes.
 */
#include <check.h>

#include "util/osdep.h"

#include "monitor/json-stream.h"

/* Every message becomes "V:<compact json>" or "E:<error text>". */
typedef struct Collect {
    GPtrArray *out;
    JsonStream *js;
} Collect;

static void collect_emit(void *opaque, json_t *value, Error *err)
{
    Collect *c = opaque;

    if (value) {
        char *s = json_stream_format_exact(value, false, json_stream_bigints(c->js));

        ck_assert_ptr_null(err);
        g_ptr_array_add(c->out, g_strdup_printf("V:%s", s));
        g_free(s);
        json_decref(value);
    } else {
        ck_assert_ptr_nonnull(err);
        g_ptr_array_add(c->out, g_strdup_printf("E:%s", error_get_pretty(err)));
        error_free(err);
    }
}

/* chunk 0: all at once; otherwise pieces of that many bytes. */
static GPtrArray *run_chunked(const char *in, size_t len, size_t chunk)
{
    Collect c = {g_ptr_array_new_with_free_func(g_free)};
    JsonStream *js = json_stream_new(collect_emit, &c);

    c.js = js;
    if (!chunk) {
        json_stream_feed(js, in, len);
    } else {
        for (size_t i = 0; i < len; i += chunk) {
            json_stream_feed(js, in + i, MIN(chunk, len - i));
        }
    }
    json_stream_free(js);
    return c.out;
}

/*
 * Feeds 'in' whole, byte by byte and in chunks of 3 and 7, checks that all
 * give the same messages and that they are the NULL-terminated 'expect'.
 */
static void check_stream_len(const char *in, size_t len, const char *const *expect)
{
    static const size_t chunks[] = {0, 1, 3, 7};

    for (size_t k = 0; k < ARRAY_SIZE(chunks); k++) {
        GPtrArray *got = run_chunked(in, len, chunks[k]);
        size_t n = 0;

        while (expect[n]) {
            ck_assert_msg(n < got->len, "chunk %zu: message %zu missing (want %s)", chunks[k], n,
                          expect[n]);
            ck_assert_str_eq(g_ptr_array_index(got, n), expect[n]);
            n++;
        }
        ck_assert_msg(got->len == n, "chunk %zu: %u messages, want %zu; extra: %s", chunks[k],
                      got->len, n, got->len > n ? (char *)g_ptr_array_index(got, n) : "");
        g_ptr_array_free(got, TRUE);
    }
}

#define check_stream(in, ...)                                                                      \
    do {                                                                                           \
        static const char *const exp_[] = {__VA_ARGS__, NULL};                                     \
        check_stream_len((in), strlen(in), exp_);                                                  \
    } while (0)

static void check_none(const char *in)
{
    static const char *const none[] = {NULL};

    check_stream_len(in, strlen(in), none);
}

START_TEST(test_values)
{
    check_stream("{\"execute\":\"query-status\",\"id\":1.5}",
                 "V:{\"execute\": \"query-status\", \"id\": 1.5}");
    check_stream("[1,2]\n\"str\"\n", "V:[1, 2]", "V:\"str\"");
    check_stream("{}[]", "V:{}", "V:[]");
    check_stream("true false null ", "V:true", "V:false", "V:null");
    check_stream("{\"a\":{\"b\":[{}, [], [[1]]]}}", "V:{\"a\": {\"b\": [{}, [], [[1]]]}}");
    /* numbers end where something else starts */
    check_stream("1}", "V:1", "E:JSON parse error, expecting value");
    check_stream("-0 0.5 1E5 1e-5 1.5e+3 -12 ", "V:0", "V:0.5", "V:100000",
                 "V:1.0000000000000001e-05", "V:1500", "V:-12");
    check_stream("{\"id\":1.0}{\"id\":0.1}", "V:{\"id\": 1}", "V:{\"id\": 0.10000000000000001}");
}
END_TEST

START_TEST(test_numbers)
{
    check_stream("9223372036854775807 -9223372036854775808 ", "V:9223372036854775807",
                 "V:-9223372036854775808");
    /* beyond int64 but within uint64: reals that print as the integer */
    check_stream("{\"id\":12345678901234567890} [18446744073709551615, 1.8446744073709552e+19]",
                 "V:{\"id\": 12345678901234567890}",
                 "V:[18446744073709551615, 18446744073709551615]");
    /* beyond uint64: reals, printed as QEMU prints them */
    check_stream("18446744073709551616 -9223372036854775809 ", "V:1.8446744073709552e+19",
                 "V:-9.2233720368547758e+18");
    /* QEMU: no exponent right after a lone 0, no leading zeros */
    check_stream("0e5\n", "V:0", "E:JSON parse error, invalid keyword 'e'", "V:5");
    check_stream("00\n", "E:JSON parse error, stray '00'");
    check_stream("-01\n", "E:JSON parse error, stray '-01'");
    check_stream("1.5.\n", "V:1.5", "E:JSON parse error, stray '.'");
    check_stream("{\"a\":-}", "E:JSON parse error, stray '-}'");
    check_stream("{\"a\":1.}", "E:JSON parse error, stray '1.}'");
    check_stream("{\"a\":1e}", "E:JSON parse error, stray '1e}'");
    check_stream("{\"a\":.5}", "E:JSON parse error, stray '.'",
                 "E:JSON parse error, expecting value");
    check_stream("{\"a\":+1}", "E:JSON parse error, stray '+'",
                 "E:JSON parse error, expecting value");
}
END_TEST

START_TEST(test_strings)
{
    check_stream("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "V:\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\"");
    /* braces and quotes inside strings do not count */
    check_stream("{\"a\":\"}{[\\\"\"}", "V:{\"a\": \"}{[\\\"\"}");
    /* QEMU's single-quoted strings and \' escapes */
    check_stream("{'execute':'query-status','id':'it\\'s \\\"x\\\" \"q\"'}",
                 "V:{\"execute\": \"query-status\", \"id\": \"it's \\\"x\\\" \\\"q\\\"\"}");
    check_stream("[\"a\",'b']", "V:[\"a\", \"b\"]");
    check_stream("\"a\\'b\"", "V:\"a'b\"");
    check_stream("\"a/b\\u00e9\\ud83d\\ude00\x7f\\u0001\\t\"",
                 "V:\"a/b\\u00E9\\uD83D\\uDE00\\u007F\\u0001\\t\"");
    check_stream("\"\xc3\xa9\" \"\xf0\x9f\x98\x80\"", "V:\"\\u00E9\"", "V:\"\\uD83D\\uDE00\"");
    /* U+0000 both escaped and as modified UTF-8 */
    check_stream("\"\\u0000\" \"\xc0\x80\"", "V:\"\\u0000\"", "V:\"\\u0000\"");
}
END_TEST

START_TEST(test_string_errors)
{
    check_stream("\"\\ud83d\"", "E:JSON parse error, \\ud83d is not a valid Unicode character");
    check_stream("\"\\ude00\"", "E:JSON parse error, \\ude00 is not a valid Unicode character");
    check_stream("\"\\ud83d\\u0041\"",
                 "E:JSON parse error, \\ud83d is not a valid Unicode character");
    check_stream("\"\\ud83dx\"", "E:JSON parse error, \\ud83d is not a valid Unicode character");
    check_stream("\"\\uffff\"", "E:JSON parse error, \\uffff is not a valid Unicode character");
    check_stream("\"\\ufdd0\"", "E:JSON parse error, \\ufdd0 is not a valid Unicode character");
    check_stream("\"\\u12G4\"", "E:JSON parse error, \\u12G4 is not a valid Unicode character");
    check_stream("\"\\u12\"", "E:JSON parse error, \\u12\" is not a valid Unicode character");
    check_stream("\"\\x\"", "E:JSON parse error, invalid escape sequence in string");
    check_stream("\"\xc3\"", "E:JSON parse error, invalid UTF-8 sequence in string");
    check_stream("\"\xe9x\"", "E:JSON parse error, invalid UTF-8 sequence in string");
    check_stream("\"\xed\xa0\x80\"", "E:JSON parse error, invalid UTF-8 sequence in string");
    check_stream("\"\xf4\x90\x80\x80\"", "E:JSON parse error, invalid UTF-8 sequence in string");
    check_stream("\"\xef\xbf\xbf\"", "E:JSON parse error, invalid UTF-8 sequence in string");
    check_stream("\"\xc1\xbf\"", "E:JSON parse error, invalid UTF-8 sequence in string");
    /* control characters and 0xFE/0xFF end a string with a lexical error */
    check_stream("\"a\tb\"\n\"x\"", "E:JSON parse error, stray '\"a\t'", "V:\"x\"");
    check_stream("\"a\xfe"
                 "b\"\n",
                 "E:JSON parse error, stray '\"a\xfe'");
    check_stream("{\"exec\n}\n", "E:JSON parse error, stray '\"exec\n'",
                 "E:JSON parse error, expecting value");
}
END_TEST

START_TEST(test_syntax_errors)
{
    check_stream("{\"a\" 1}", "E:JSON parse error, missing : in object pair");
    check_stream("{\"a\":1,}", "E:JSON parse error, expecting value");
    check_stream("{1:2}", "E:JSON parse error, key is not a string in object");
    check_stream("{\"a\":1 \"b\":2}", "E:JSON parse error, expected separator in dict");
    check_stream("[1 2]", "E:JSON parse error, expected separator in list");
    check_stream("[1,]", "E:JSON parse error, expecting value");
    check_stream("{\"a\":1,\"a\":2}", "E:JSON parse error, duplicate key");
    check_stream("{\"a\":}", "E:JSON parse error, expecting value");
    check_stream("[,]", "E:JSON parse error, expecting value");
    check_stream("{,}", "E:JSON parse error, expecting value");
    check_stream("[:]", "E:JSON parse error, expecting value");
    check_stream("{\"a\":tru}", "E:JSON parse error, invalid keyword 'tru'");
    check_stream("truex ", "E:JSON parse error, invalid keyword 'truex'");
    check_stream("nul1\n", "E:JSON parse error, invalid keyword 'nul'", "V:1");
    /* a message spans until its brackets balance */
    check_stream("{\"a\":[}{\"a\":]}", "E:JSON parse error, expecting value");
    /* an unmatched closer ends the message at once */
    check_stream("{\"a\":1}}", "V:{\"a\": 1}", "E:JSON parse error, expecting value");
    check_stream("]]", "E:JSON parse error, expecting value",
                 "E:JSON parse error, expecting value");
    check_stream("[}\n]\n", "E:JSON parse error, expecting value",
                 "E:JSON parse error, expecting value");
    check_stream("{\"a\":1]", "E:JSON parse error, expected separator in dict");
    check_stream("[1}", "E:JSON parse error, expected separator in list");
}
END_TEST

START_TEST(test_lexical_recovery)
{
    /* control characters and 0xFE/0xFF outside strings are stray bytes */
    check_stream("\x01{\"a\":1}", "E:JSON parse error, stray '\x01'", "V:{\"a\": 1}");
    check_stream("{\"a\":1\xff{\"b\":2}", "E:JSON parse error, stray '\xff'", "V:{\"b\": 2}");
    /* recovery skips to a structural character ... */
    check_stream(".,{\"a\":1}", "E:JSON parse error, stray '.'",
                 "E:JSON parse error, expecting value", "V:{\"a\": 1}");
    check_stream("T:\n{}", "E:JSON parse error, stray 'T'", "E:JSON parse error, expecting value",
                 "V:{}");
    check_stream("{\"a\":%d}", "E:JSON parse error, stray '%'",
                 "E:JSON parse error, expecting value");
    /* ... or a line end, skipping everything else, strings included */
    check_stream("True \"x\" 1\n2\n", "E:JSON parse error, stray 'T'", "V:2");
    /* 0xFE/0xFF end recovery, and are stray themselves */
    check_stream("@ a \xfe b\n", "E:JSON parse error, stray '@'",
                 "E:JSON parse error, stray '\xfe'");
    /* tab does not end recovery */
    check_stream("@\t1\n3\n", "E:JSON parse error, stray '@'", "V:3");
    check_stream("\"abc\x1b\"x\"\n\"y\"", "E:JSON parse error, stray '\"abc\x1b'", "V:\"y\"");
    /* whitespace alone produces nothing */
    check_none("  \t\r\n  ");
    check_none("");
}
END_TEST

START_TEST(test_stray_nul)
{
    /* a NUL byte is stray; the error text stops at it, as in C */
    static const char in[] = "\"ab\0\" {}";
    static const char *const want[] = {"E:JSON parse error, stray '\"ab'", "V:{}", NULL};

    check_stream_len(in, sizeof(in) - 1, want);
}
END_TEST

START_TEST(test_nesting_limit)
{
    GString *s = g_string_new(NULL);
    GPtrArray *got;

    /* 1024 levels are fine */
    for (int i = 0; i < JSON_MAX_NESTING; i++) {
        g_string_append_c(s, '[');
    }
    for (int i = 0; i < JSON_MAX_NESTING; i++) {
        g_string_append_c(s, ']');
    }
    got = run_chunked(s->str, s->len, 0);
    ck_assert_uint_eq(got->len, 1);
    ck_assert(g_str_has_prefix(g_ptr_array_index(got, 0), "V:[[[["));
    g_ptr_array_free(got, TRUE);

    /* 1025: an error, then (as QEMU) every unmatched ']' complains */
    g_string_truncate(s, 0);
    for (int i = 0; i < JSON_MAX_NESTING + 1; i++) {
        g_string_append_c(s, '[');
    }
    for (int i = 0; i < JSON_MAX_NESTING + 1; i++) {
        g_string_append_c(s, ']');
    }
    g_string_append(s, "\n{\"ok\":1}");
    got = run_chunked(s->str, s->len, 0);
    ck_assert_uint_eq(got->len, 1 + 1025 + 1);
    ck_assert_str_eq(g_ptr_array_index(got, 0), "E:JSON nesting depth limit exceeded");
    ck_assert_str_eq(g_ptr_array_index(got, 1), "E:JSON parse error, expecting value");
    ck_assert_str_eq(g_ptr_array_index(got, 1025), "E:JSON parse error, expecting value");
    ck_assert_str_eq(g_ptr_array_index(got, 1026), "V:{\"ok\": 1}");
    g_ptr_array_free(got, TRUE);
    g_string_free(s, TRUE);
}
END_TEST

START_TEST(test_token_count_limit)
{
    GString *s = g_string_new("[");
    GPtrArray *got;

    /* 2^21 tokens in total: '[', 1048574 x "0,", '[', ']', ']' */
    for (unsigned i = 0; i < 1048574; i++) {
        g_string_append(s, "0,");
    }
    g_string_append(s, "[]]");
    got = run_chunked(s->str, s->len, 4096);
    ck_assert_uint_eq(got->len, 1);
    ck_assert(g_str_has_prefix(g_ptr_array_index(got, 0), "V:[0, 0,"));
    g_ptr_array_free(got, TRUE);

    /* one more: the last ']' is token 2^21 + 1 */
    g_string_assign(s, "[");
    for (unsigned i = 0; i < 1048575; i++) {
        g_string_append(s, "0,");
    }
    g_string_append(s, "0]{\"next\":true}");
    got = run_chunked(s->str, s->len, 4096);
    ck_assert_uint_eq(got->len, 2);
    ck_assert_str_eq(g_ptr_array_index(got, 0), "E:JSON token count limit exceeded");
    ck_assert_str_eq(g_ptr_array_index(got, 1), "V:{\"next\": true}");
    g_ptr_array_free(got, TRUE);
    g_string_free(s, TRUE);
}
END_TEST

static GPtrArray *run_big_string(size_t n, const char *tail)
{
    GString *s = g_string_sized_new(n + 64);
    GPtrArray *got;

    g_string_append(s, "[\"");
    g_string_set_size(s, n + 2);
    memset(s->str + 2, 'a', n);
    g_string_append(s, "\"]");
    g_string_append(s, tail);
    got = run_chunked(s->str, s->len, 1 << 16);
    g_string_free(s, TRUE);
    return got;
}

START_TEST(test_token_size_limit)
{
    /* the token text of one message may total 64 MiB - 1 bytes */
    GPtrArray *got = run_big_string(JSON_MAX_TOKEN_SIZE - 5, "");

    ck_assert_uint_eq(got->len, 1);
    ck_assert(g_str_has_prefix(g_ptr_array_index(got, 0), "V:[\"aaaa"));
    g_ptr_array_free(got, TRUE);

    got = run_big_string(JSON_MAX_TOKEN_SIZE - 4, "{\"next\":1}");
    ck_assert_uint_eq(got->len, 2);
    ck_assert_str_eq(g_ptr_array_index(got, 0), "E:JSON token size limit exceeded");
    ck_assert_str_eq(g_ptr_array_index(got, 1), "V:{\"next\": 1}");
    g_ptr_array_free(got, TRUE);
}
END_TEST

START_TEST(test_single_token_too_big)
{
    /* a string longer than the limit is cut; its tail is lexed afresh:
     * the 'a's become a keyword, the closing quote opens a string */
    GPtrArray *got = run_big_string(JSON_MAX_TOKEN_SIZE + 10, "\n{}");

    ck_assert_uint_eq(got->len, 4);
    ck_assert_str_eq(g_ptr_array_index(got, 0), "E:JSON token size limit exceeded");
    ck_assert_str_eq(g_ptr_array_index(got, 1), "E:JSON parse error, invalid keyword 'aaaaaaaaaa'");
    ck_assert_str_eq(g_ptr_array_index(got, 2), "E:JSON parse error, stray '\"]\n'");
    ck_assert_str_eq(g_ptr_array_index(got, 3), "V:{}");
    g_ptr_array_free(got, TRUE);
}
END_TEST

START_TEST(test_reset)
{
    Collect c = {g_ptr_array_new_with_free_func(g_free)};
    JsonStream *js = json_stream_new(collect_emit, &c);

    c.js = js;
    json_stream_feed(js, "{\"a\":[1,", 8);
    json_stream_reset(js);
    json_stream_feed(js, "{\"b\":2}", 7);
    ck_assert_uint_eq(c.out->len, 1);
    ck_assert_str_eq(g_ptr_array_index(c.out, 0), "V:{\"b\": 2}");

    /* reset also leaves lexical recovery */
    json_stream_feed(js, "@ ", 2);
    json_stream_reset(js);
    json_stream_feed(js, "\"c\"", 3);
    ck_assert_uint_eq(c.out->len, 3);
    ck_assert_str_eq(g_ptr_array_index(c.out, 2), "V:\"c\"");
    json_stream_free(js);
    g_ptr_array_free(c.out, TRUE);
}
END_TEST

static void take_value(void *opaque, json_t *value, Error *err)
{
    ck_assert_ptr_null(err);
    *(json_t **)opaque = value;
}

static void check_format(const char *in, bool pretty, const char *want)
{
    json_t *v = NULL;
    JsonStream *js = json_stream_new(take_value, &v);
    char *s;

    json_stream_feed(js, in, strlen(in));
    json_stream_free(js);
    ck_assert_ptr_nonnull(v);
    s = json_stream_format(v, pretty);
    ck_assert_str_eq(s, want);
    g_free(s);
    json_decref(v);
}

START_TEST(test_format)
{
    check_format("{\"return\":{}}", true, "{\n    \"return\": {\n    }\n}");
    check_format("{\"a\":[[],\"a\\nb\",{}]}", true,
                 "{\n    \"a\": [\n        [\n        ],\n        \"a\\nb\",\n        {\n        "
                 "}\n    ]\n}");
    check_format("{\"a\":[1,{\"b\":null}],\"c\":false}", false,
                 "{\"a\": [1, {\"b\": null}], \"c\": false}");
    check_format("[]", true, "[\n]");
}
END_TEST

START_TEST(test_format_strings)
{
    json_t *v = json_stringn("a\0b\x01\x7f\xe2\x82\xac/", 9);
    char *s = json_stream_format(v, false);

    ck_assert_str_eq(s, "\"a\\u0000b\\u0001\\u007F\\u20AC/\"");
    g_free(s);
    json_decref(v);
}
END_TEST

START_TEST(test_utf8_decode)
{
    size_t n;

    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"A", 1, &n), 'A');
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &n), 0xE9);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"\xc0\x80", 2, &n), 0);
    ck_assert_uint_eq(n, 2);
    /* cut short: the bytes read so far are consumed */
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"\xe2\x82", 2, &n), -1);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"\xe9x", 2, &n), -1);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"\x80", 1, &n), -1);
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"\xff", 1, &n), -1);
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &n), -1);
    ck_assert_int_eq(json_utf8_decode((const unsigned char *)"", 0, &n), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json-stream");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_string_errors);
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_lexical_recovery);
    tcase_add_test(tc, test_stray_nul);
    tcase_add_test(tc, test_nesting_limit);
    tcase_add_test(tc, test_token_count_limit);
    tcase_add_test(tc, test_token_size_limit);
    tcase_add_test(tc, test_single_token_too_big);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_format_strings);
    tcase_add_test(tc, test_utf8_decode);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
