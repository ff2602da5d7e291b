/*
 * JSON tokens of one message -> jansson value, with the error texts QEMU
 * 7.2's parser gives.  Like QEMU, the first error found is the one
 * reported: a missing value inside a member reports "expecting value",
 * not the follow-up complaint about the member.
 */
#include "util/osdep.h"

#include <float.h>
#include <math.h>

#include "monitor/json-stream.h"

typedef struct Parser {
    GArray *bigints;
    JsonToken *const *tok;
    size_t count;
    size_t pos;
    Error *err;
} Parser;

static void MINIVM_PRINTF(2, 3) parser_error(Parser *p, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (p->err) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg(&p->err, "JSON parse error, %s", msg);
    g_free(msg);
}

static JsonToken *parser_peek(Parser *p)
{
    return p->pos < p->count ? p->tok[p->pos] : NULL;
}

static JsonToken *parser_next(Parser *p)
{
    return p->pos < p->count ? p->tok[p->pos++] : NULL;
}

/* ---------------------------------------------------------------- UTF-8 */

static bool codepoint_valid(long cp)
{
    if (cp < 0 || cp > 0x10FFFF) {
        return false;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        return false; /* surrogates */
    }
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) {
        return false; /* noncharacters */
    }
    return true;
}

int json_utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
    static const long min_for_len[] = {0, 0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000};
    unsigned char lead;
    unsigned nbytes = 0;
    long cp;

    *len = 0;
    if (n == 0) {
        return -1;
    }
    lead = s[0];
    *len = 1;
    if (lead < 0x80) {
        return lead;
    }
    if (lead >= 0xFE || (lead & 0x40) == 0) {
        return -1; /* impossible byte or stray continuation byte */
    }
    for (unsigned mask = 0x80; lead & mask; mask >>= 1) {
        nbytes++;
    }
    cp = lead & ((0x80 >> nbytes) - 1);
    for (unsigned i = 1; i < nbytes; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80) {
            return -1; /* the sequence is cut short; resume at that byte */
        }
        cp = (cp << 6) | (s[i] & 0x3F);
        *len = i + 1;
    }
    if (!codepoint_valid(cp)) {
        return -1;
    }
    if (cp < min_for_len[nbytes] && !(cp == 0 && nbytes == 2)) {
        return -1; /* overlong, except modified UTF-8's NUL */
    }
    return (int)cp;
}

static int hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(s[i]);

        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* Decodes a \u escape at s ("\uXXXX", maybe a surrogate pair); returns
 * the code point or -1 and sets *used to the length QEMU consumed. */
static long unicode_escape(const char *s, const char *end, size_t *used)
{
    long cp = end - s >= 6 ? hex4(s + 2) : -1;

    *used = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && end - s >= 8 && s[6] == '\\' && s[7] == 'u') {
        long low = end - s >= 12 ? hex4(s + 8) : -1;

        if (low >= 0xDC00 && low <= 0xDFFF) {
            *used = 12;
            return 0x10000 + ((cp & 0x3FF) << 10) + (low & 0x3FF);
        }
        return -1;
    }
    return cp;
}

static json_t *parse_string(Parser *p, JsonToken *t)
{
    const char *s = t->text + 1;
    const char *end = t->text + t->len - 1; /* the closing quote */
    GString *out = g_string_sized_new(t->len);
    json_t *value;

    while (s < end) {
        long cp;

        if (*s == '\\') {
            static const char simple[] = "\"\"''\\\\//b\bf\fn\nr\rt\t";
            const char *hit = NULL;

            for (size_t i = 0; i + 1 < sizeof(simple); i += 2) {
                if (s[1] == simple[i]) {
                    hit = &simple[i + 1];
                    break;
                }
            }
            if (hit) {
                g_string_append_c(out, *hit);
                s += 2;
                continue;
            }
            if (s[1] != 'u') {
                parser_error(p, "invalid escape sequence in string");
                goto fail;
            }
            size_t used;

            cp = unicode_escape(s, t->text + t->len, &used);
            if (!codepoint_valid(cp)) {
                /* the text shown stops where the token does */
                size_t avail = (size_t)(t->text + t->len - s);

                parser_error(p, "%.*s is not a valid Unicode character", (int)MIN(used, avail), s);
                goto fail;
            }
            s += used;
        } else {
            size_t n;

            cp = json_utf8_decode((const unsigned char *)s, (size_t)(end - s), &n);
            if (cp < 0) {
                parser_error(p, "invalid UTF-8 sequence in string");
                goto fail;
            }
            s += n;
        }
        g_string_append_unichar(out, (gunichar)cp);
    }
    value = json_stringn(out->str, out->len);
    g_string_free(out, TRUE);
    return value;

fail:
    g_string_free(out, TRUE);
    return NULL;
}

static json_t *parse_number(Parser *p, JsonToken *t)
{
    double d;

    if (t->type == JSON_TOK_INTEGER) {
        char *endp;
        long long v;
        unsigned long long u;

        errno = 0;
        v = strtoll(t->text, &endp, 10);
        if (errno == 0) {
            return json_integer(v);
        }
        if (t->text[0] != '-') {
            errno = 0;
            u = strtoull(t->text, &endp, 10);
            if (errno == 0) {
                /* beyond int64: the convention of qapi-json.h */
                if (p->bigints) {
                    guint64 v64 = u;

                    g_array_append_val(p->bigints, v64);
                }
                return json_real((double)u);
            }
        }
    }
    d = g_ascii_strtod(t->text, NULL);
    if (!isfinite(d)) {
        /* QEMU would echo "inf"; jansson cannot hold it */
        d = copysign(DBL_MAX, d);
    }
    return json_real(d);
}

static json_t *parse_value(Parser *p);

static bool parse_member(Parser *p, json_t *obj)
{
    JsonToken *t;
    json_t *key, *value;

    key = parse_value(p);
    if (!json_is_string(key)) {
        parser_error(p, "key is not a string in object");
        json_decref(key);
        return false;
    }
    t = parser_next(p);
    if (!t) {
        parser_error(p, "premature EOI");
        json_decref(key);
        return false;
    }
    if (t->type != JSON_TOK_COLON) {
        parser_error(p, "missing : in object pair");
        json_decref(key);
        return false;
    }
    value = parse_value(p);
    if (!value) {
        parser_error(p, "Missing value in dict");
        json_decref(key);
        return false;
    }
    if (json_object_getn(obj, json_string_value(key), json_string_length(key))) {
        parser_error(p, "duplicate key");
        json_decref(key);
        json_decref(value);
        return false;
    }
    json_object_setn_new(obj, json_string_value(key), json_string_length(key), value);
    json_decref(key);
    return true;
}

/* Objects and arrays share their shape: open, members, separators, close. */
static json_t *parse_container(Parser *p, bool is_object)
{
    JsonTokenType close = is_object ? JSON_TOK_RCURLY : JSON_TOK_RSQUARE;
    const char *what = is_object ? "dict" : "list";
    json_t *c = is_object ? json_object() : json_array();
    JsonToken *t;

    parser_next(p); /* the opening bracket */
    t = parser_peek(p);
    if (!t) {
        parser_error(p, "premature EOI");
        goto fail;
    }
    if (t->type == close) {
        parser_next(p);
        return c;
    }
    for (;;) {
        if (is_object) {
            if (!parse_member(p, c)) {
                goto fail;
            }
        } else {
            json_t *v = parse_value(p);

            if (!v) {
                parser_error(p, "expecting value");
                goto fail;
            }
            json_array_append_new(c, v);
        }
        t = parser_next(p);
        if (!t) {
            parser_error(p, "premature EOI");
            goto fail;
        }
        if (t->type == close) {
            return c;
        }
        if (t->type != JSON_TOK_COMMA) {
            parser_error(p, "expected separator in %s", what);
            goto fail;
        }
    }

fail:
    json_decref(c);
    return NULL;
}

static json_t *parse_keyword(Parser *p, JsonToken *t)
{
    if (!strcmp(t->text, "true")) {
        return json_true();
    }
    if (!strcmp(t->text, "false")) {
        return json_false();
    }
    if (!strcmp(t->text, "null")) {
        return json_null();
    }
    parser_error(p, "invalid keyword '%s'", t->text);
    return NULL;
}

static json_t *parse_value(Parser *p)
{
    JsonToken *t = parser_peek(p);

    if (!t) {
        parser_error(p, "premature EOI");
        return NULL;
    }
    switch (t->type) {
    case JSON_TOK_LCURLY:
        return parse_container(p, true);
    case JSON_TOK_LSQUARE:
        return parse_container(p, false);
    case JSON_TOK_STRING:
        return parse_string(p, parser_next(p));
    case JSON_TOK_INTEGER:
    case JSON_TOK_FLOAT:
        return parse_number(p, parser_next(p));
    case JSON_TOK_KEYWORD:
        return parse_keyword(p, parser_next(p));
    default:
        parser_error(p, "expecting value");
        return NULL;
    }
}

json_t *json_parse_tokens(JsonToken *const *tokens, size_t count, GArray *bigints, Error **errp)
{
    Parser p = {.bigints = bigints, .tok = tokens, .count = count};
    json_t *v = parse_value(&p);

    if (p.err) {
        json_decref(v);
        error_propagate(errp, p.err);
        return NULL;
    }
    return v;
}
