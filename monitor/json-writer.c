/*
 * jansson value -> the exact text QEMU 7.2 writes on a QMP connection.
 * Managers compare replies as JSON, but people and test suites diff them
 * as text, so the spacing, escapes and number forms follow QEMU's.
 */
#include "util/osdep.h"

#include "monitor/json-stream.h"

static void put_indent(GString *out, bool pretty, int level)
{
    if (pretty) {
        g_string_append_c(out, '\n');
        for (int i = 0; i < level; i++) {
            g_string_append(out, "    ");
        }
    }
}

static void put_string(GString *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;

    g_string_append_c(out, '"');
    while (p < end) {
        size_t n;
        int cp = json_utf8_decode(p, (size_t)(end - p), &n);

        p += n;
        switch (cp) {
        case '"':
            g_string_append(out, "\\\"");
            continue;
        case '\\':
            g_string_append(out, "\\\\");
            continue;
        case '\b':
            g_string_append(out, "\\b");
            continue;
        case '\f':
            g_string_append(out, "\\f");
            continue;
        case '\n':
            g_string_append(out, "\\n");
            continue;
        case '\r':
            g_string_append(out, "\\r");
            continue;
        case '\t':
            g_string_append(out, "\\t");
            continue;
        default:
            break;
        }
        if (cp < 0) {
            cp = 0xFFFD;
        }
        if (cp > 0xFFFF) {
            cp -= 0x10000;
            g_string_append_printf(out, "\\u%04X\\u%04X", 0xD800 | (cp >> 10),
                                   0xDC00 | (cp & 0x3FF));
        } else if (cp < 0x20 || cp >= 0x7F) {
            g_string_append_printf(out, "\\u%04X", (unsigned)cp);
        } else {
            g_string_append_c(out, (char)cp);
        }
    }
    g_string_append_c(out, '"');
}

typedef struct Writer {
    GString *out;
    bool pretty;
    const GArray *bigints;
} Writer;

/* A real that stands for an integer of the input beyond int64. */
static bool put_bigint(Writer *w, double d)
{
    for (guint i = 0; w->bigints && i < w->bigints->len; i++) {
        guint64 b = g_array_index(w->bigints, guint64, i);

        if ((double)b == d) {
            g_string_append_printf(w->out, "%" G_GUINT64_FORMAT, b);
            return true;
        }
    }
    return false;
}

static void put_value(Writer *w, const json_t *v, int level)
{
    GString *out = w->out;
    bool pretty = w->pretty;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    const char *key;
    size_t key_len, i;
    json_t *member;
    bool first = true;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        g_string_append_c(out, '{');
        json_object_keylen_foreach((json_t *)v, key, key_len, member)
        {
            if (!first) {
                g_string_append(out, pretty ? "," : ", ");
            }
            first = false;
            put_indent(out, pretty, level + 1);
            put_string(out, key, key_len);
            g_string_append(out, ": ");
            put_value(w, member, level + 1);
        }
        put_indent(out, pretty, level);
        g_string_append_c(out, '}');
        break;
    case JSON_ARRAY:
        g_string_append_c(out, '[');
        json_array_foreach(v, i, member)
        {
            if (i) {
                g_string_append(out, pretty ? "," : ", ");
            }
            put_indent(out, pretty, level + 1);
            put_value(w, member, level + 1);
        }
        put_indent(out, pretty, level);
        g_string_append_c(out, ']');
        break;
    case JSON_STRING:
        put_string(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        g_string_append_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        if (put_bigint(w, json_real_value(v))) {
            break;
        }
        g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.17g", json_real_value(v)));
        break;
    case JSON_TRUE:
        g_string_append(out, "true");
        break;
    case JSON_FALSE:
        g_string_append(out, "false");
        break;
    case JSON_NULL:
        g_string_append(out, "null");
        break;
    }
}

char *json_stream_format_exact(const json_t *v, bool pretty, const GArray *bigints)
{
    Writer w = {g_string_new(NULL), pretty, bigints};

    put_value(&w, v, 0);
    return g_string_free(w.out, FALSE);
}

char *json_stream_format(const json_t *v, bool pretty)
{
    return json_stream_format_exact(v, pretty, NULL);
}
