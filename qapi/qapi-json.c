/*
 * QAPI runtime: JSON <-> C scalar conversion, member paths for error
 * messages, keyval (command line) number parsing.  See qapi-json.h.
 */
#include "util/osdep.h"

#include <math.h>

#include "qapi/qapi-json.h"

/* ---------------------------------------------------------------- enums */

const char *qapi_enum_lookup(const QEnumLookup *lookup, int val)
{
    if (val < 0 || val >= lookup->size) {
        return NULL;
    }
    return lookup->array[val];
}

int qapi_enum_parse(const QEnumLookup *lookup, const char *buf, int def, Error **errp)
{
    if (!buf) {
        return def;
    }
    for (int i = 0; i < lookup->size; i++) {
        if (!strcmp(buf, lookup->array[i])) {
            return i;
        }
    }
    error_setg(errp, "invalid parameter value: %s", buf);
    return def;
}

size_t qapi_list_length(const void *list)
{
    size_t n = 0;

    for (const GenericList *l = list; l; l = l->next) {
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- paths */

void qapi_input_init(QapiInput *ctx, bool keyval)
{
    ctx->keyval = keyval;
    ctx->top = NULL;
}

/*
 * Walks from the innermost container outwards, prepending one component
 * per level: ".member" for objects, "[i]" (keyval ".i") for arrays.  The
 * outermost container is the root and has no name of its own.
 */
char *qapi_input_path(const QapiInput *ctx, const char *name)
{
    GString *s = g_string_new("");

    for (const QapiFrame *fr = ctx->top; fr; fr = fr->up) {
        if (json_is_object(fr->value)) {
            g_string_prepend(s, name ? name : "<anonymous>");
            g_string_prepend_c(s, '.');
        } else {
            char buf[32];

            snprintf(buf, sizeof(buf), ctx->keyval ? ".%zu" : "[%zu]", fr->index);
            g_string_prepend(s, buf);
        }
        name = fr->name;
    }
    if (name) {
        g_string_prepend(s, name);
    } else if (s->str[0] == '.') {
        g_string_erase(s, 0, 1);
    } else if (!s->str[0]) {
        g_string_assign(s, "<anonymous>");
    }
    return g_string_free(s, false);
}

void qapi_input_error_missing(const QapiInput *ctx, const char *name, Error **errp)
{
    g_autofree char *path = qapi_input_path(ctx, name);

    error_setg(errp, "Parameter '%s' is missing", path);
}

void qapi_input_error_type(const QapiInput *ctx, const char *name, const char *expected,
                           Error **errp)
{
    g_autofree char *path = qapi_input_path(ctx, name);

    error_setg(errp, "Invalid parameter type for '%s', expected: %s", path, expected);
}

/* "Parameter '<path>' expects <what>" */
static void error_expects(const QapiInput *ctx, const char *name, const char *what, Error **errp)
{
    g_autofree char *path = qapi_input_path(ctx, name);

    error_setg(errp, "Parameter '%s' expects %s", path, what);
}

/* QEMU names only the member itself when a value is out of range. */
static void error_range(const char *name, const char *ctype, Error **errp)
{
    error_setg(errp, "Parameter '%s' expects %s", name ? name : "null", ctype);
}

void qapi_error_alternate(const char *name, const char *type, Error **errp)
{
    error_setg(errp, "Invalid parameter type for '%s', expected: %s", name ? name : "null", type);
}

/* ---------------------------------------------------------------- containers */

static void frame_push(QapiInput *ctx, QapiFrame *fr, json_t *value, const char *name)
{
    fr->up = ctx->top;
    fr->value = value;
    fr->name = name;
    fr->pushed = true;
    ctx->top = fr;
}

static bool start_container(QapiInput *ctx, QapiFrame *fr, json_t *in, const char *name,
                            json_type type, const char *expected, Error **errp)
{
    memset(fr, 0, sizeof(*fr));
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    if (json_typeof(in) != type) {
        qapi_input_error_type(ctx, name, expected, errp);
        return false;
    }
    frame_push(ctx, fr, in, name);
    return true;
}

bool qapi_input_start_object(QapiInput *ctx, QapiFrame *fr, json_t *in, const char *name,
                             Error **errp)
{
    return start_container(ctx, fr, in, name, JSON_OBJECT, "object", errp);
}

bool qapi_input_start_array(QapiInput *ctx, QapiFrame *fr, json_t *in, const char *name,
                            Error **errp)
{
    return start_container(ctx, fr, in, name, JSON_ARRAY, "array", errp);
}

void qapi_input_set_index(QapiInput *ctx, size_t index)
{
    ctx->top->index = index;
}

static bool frame_has_seen(const QapiFrame *fr, const char *key)
{
    for (size_t i = 0; i < fr->nseen; i++) {
        if (!strcmp(fr->seen[i], key)) {
            return true;
        }
    }
    return false;
}

json_t *qapi_input_member(QapiInput *ctx, const char *key)
{
    QapiFrame *fr = ctx->top;
    json_t *v = json_object_get(fr->value, key);

    if (v && !frame_has_seen(fr, key)) {
        if (fr->nseen == fr->seen_cap) {
            fr->seen_cap = fr->seen_cap ? fr->seen_cap * 2 : 8;
            fr->seen = g_renew(const char *, fr->seen, fr->seen_cap);
        }
        fr->seen[fr->nseen++] = key;
    }
    return v;
}

bool qapi_input_check_object(QapiInput *ctx, Error **errp)
{
    QapiFrame *fr = ctx->top;
    const char *key;
    json_t *v;

    if (json_object_size(fr->value) == fr->nseen) {
        return true;
    }
    json_object_foreach(fr->value, key, v)
    {
        if (!frame_has_seen(fr, key)) {
            g_autofree char *path = qapi_input_path(ctx, key);

            error_setg(errp, "Parameter '%s' is unexpected", path);
            return false;
        }
    }
    return true;
}

void qapi_input_end(QapiInput *ctx, QapiFrame *fr)
{
    if (!fr->pushed) {
        return;
    }
    ctx->top = fr->up;
    g_free(fr->seen);
    fr->seen = NULL;
    fr->nseen = fr->seen_cap = 0;
    fr->pushed = false;
}

bool qapi_input_check_no_args(json_t *args, Error **errp)
{
    QapiInput ctx;
    QapiFrame fr;
    bool ok;

    if (!args) {
        return true;
    }
    qapi_input_init(&ctx, false);
    ok =
        qapi_input_start_object(&ctx, &fr, args, NULL, errp) && qapi_input_check_object(&ctx, errp);
    qapi_input_end(&ctx, &fr);
    return ok;
}

/* ---------------------------------------------------------------- scalars */

typedef enum {
    KV_NATIVE, /* not keyval mode, or a JSON scalar: convert as JSON */
    KV_STRING, /* keyval mode and a string: parse it */
    KV_FAILED,
} KeyvalKind;

/* In keyval mode a scalar member arrives as a string; a nested object or
 * array where a scalar belongs means more keys were given than exist. */
static KeyvalKind keyval_kind(json_t *in, const char *name, QapiInput *ctx, Error **errp)
{
    if (!ctx->keyval) {
        return KV_NATIVE;
    }
    if (json_is_string(in)) {
        return KV_STRING;
    }
    if (json_is_object(in) || json_is_array(in)) {
        g_autofree char *path = qapi_input_path(ctx, name);

        error_setg(errp, "Parameters '%s.*' are unexpected", path);
        return KV_FAILED;
    }
    return KV_NATIVE;
}

bool qapi_from_json_str(json_t *in, const char *name, char **out, QapiInput *ctx, Error **errp)
{
    *out = NULL;
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    if (keyval_kind(in, name, ctx, errp) == KV_FAILED) {
        return false;
    }
    if (!json_is_string(in)) {
        qapi_input_error_type(ctx, name, "string", errp);
        return false;
    }
    *out = g_strdup(json_string_value(in));
    return true;
}

static bool int64_in(json_t *in, const char *name, int64_t *out, QapiInput *ctx, Error **errp)
{
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    switch (keyval_kind(in, name, ctx, errp)) {
    case KV_FAILED:
        return false;
    case KV_STRING:
        if (qapi_strtoi64(json_string_value(in), out) < 0) {
            error_expects(ctx, name, "integer", errp);
            return false;
        }
        return true;
    case KV_NATIVE:
        break;
    }
    if (!json_is_integer(in)) {
        qapi_input_error_type(ctx, name, "integer", errp);
        return false;
    }
    *out = json_integer_value(in);
    return true;
}

/* jansson parses integers beyond INT64_MAX as reals (if at all). */
static bool real_as_uint64(json_t *in, uint64_t *out)
{
    double d = json_real_value(in);

    if (d >= 0x1p63 && d < 0x1p64 && d == floor(d)) {
        *out = (uint64_t)d;
        return true;
    }
    return false;
}

static bool uint64_in(json_t *in, const char *name, uint64_t *out, bool size, QapiInput *ctx,
                      Error **errp)
{
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    switch (keyval_kind(in, name, ctx, errp)) {
    case KV_FAILED:
        return false;
    case KV_STRING:
        if (size) {
            if (qapi_strtosz(json_string_value(in), out) < 0) {
                error_expects(ctx, name, "size", errp);
                return false;
            }
        } else if (qapi_strtou64(json_string_value(in), out) < 0) {
            error_expects(ctx, name, "integer", errp);
            return false;
        }
        return true;
    case KV_NATIVE:
        break;
    }
    if (json_is_integer(in)) {
        /* Negative values wrap around, as QEMU accepts them. */
        *out = (uint64_t)json_integer_value(in);
        return true;
    }
    if (json_is_real(in) && real_as_uint64(in, out)) {
        return true;
    }
    error_expects(ctx, name, "uint64", errp);
    return false;
}

bool qapi_from_json_int(json_t *in, const char *name, int64_t *out, QapiInput *ctx, Error **errp)
{
    return int64_in(in, name, out, ctx, errp);
}

bool qapi_from_json_int64(json_t *in, const char *name, int64_t *out, QapiInput *ctx, Error **errp)
{
    return int64_in(in, name, out, ctx, errp);
}

bool qapi_from_json_uint64(json_t *in, const char *name, uint64_t *out, QapiInput *ctx,
                           Error **errp)
{
    return uint64_in(in, name, out, false, ctx, errp);
}

bool qapi_from_json_size(json_t *in, const char *name, uint64_t *out, QapiInput *ctx, Error **errp)
{
    return uint64_in(in, name, out, true, ctx, errp);
}

#define QAPI_SIGNED_IN(bits)                                                                       \
    bool qapi_from_json_int##bits(json_t *in, const char *name, int##bits##_t *out,                \
                                  QapiInput *ctx, Error **errp)                                    \
    {                                                                                              \
        int64_t v;                                                                                 \
                                                                                                   \
        if (!int64_in(in, name, &v, ctx, errp)) {                                                  \
            return false;                                                                          \
        }                                                                                          \
        if (v < INT##bits##_MIN || v > INT##bits##_MAX) {                                          \
            error_range(name, "int" #bits "_t", errp);                                             \
            return false;                                                                          \
        }                                                                                          \
        *out = (int##bits##_t)v;                                                                   \
        return true;                                                                               \
    }

#define QAPI_UNSIGNED_IN(bits)                                                                     \
    bool qapi_from_json_uint##bits(json_t *in, const char *name, uint##bits##_t *out,              \
                                   QapiInput *ctx, Error **errp)                                   \
    {                                                                                              \
        uint64_t v;                                                                                \
                                                                                                   \
        if (!uint64_in(in, name, &v, false, ctx, errp)) {                                          \
            return false;                                                                          \
        }                                                                                          \
        if (v > UINT##bits##_MAX) {                                                                \
            error_range(name, "uint" #bits "_t", errp);                                            \
            return false;                                                                          \
        }                                                                                          \
        *out = (uint##bits##_t)v;                                                                  \
        return true;                                                                               \
    }

QAPI_SIGNED_IN(8)
QAPI_SIGNED_IN(16)
QAPI_SIGNED_IN(32)
QAPI_UNSIGNED_IN(8)
QAPI_UNSIGNED_IN(16)
QAPI_UNSIGNED_IN(32)

bool qapi_from_json_number(json_t *in, const char *name, double *out, QapiInput *ctx, Error **errp)
{
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    switch (keyval_kind(in, name, ctx, errp)) {
    case KV_FAILED:
        return false;
    case KV_STRING:
        if (qapi_strtod(json_string_value(in), out) < 0) {
            qapi_input_error_type(ctx, name, "number", errp);
            return false;
        }
        return true;
    case KV_NATIVE:
        break;
    }
    if (!json_is_number(in)) {
        qapi_input_error_type(ctx, name, "number", errp);
        return false;
    }
    *out = json_number_value(in);
    return true;
}

bool qapi_from_json_bool(json_t *in, const char *name, bool *out, QapiInput *ctx, Error **errp)
{
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    switch (keyval_kind(in, name, ctx, errp)) {
    case KV_FAILED:
        return false;
    case KV_STRING:
        if (!qapi_keyval_parse_bool(json_string_value(in), out)) {
            error_expects(ctx, name, "'on' or 'off'", errp);
            return false;
        }
        return true;
    case KV_NATIVE:
        break;
    }
    if (!json_is_boolean(in)) {
        qapi_input_error_type(ctx, name, "boolean", errp);
        return false;
    }
    *out = json_is_true(in);
    return true;
}

bool qapi_from_json_any(json_t *in, const char *name, json_t **out, QapiInput *ctx, Error **errp)
{
    *out = NULL;
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    *out = json_incref(in);
    return true;
}

bool qapi_from_json_null(json_t *in, const char *name, json_t **out, QapiInput *ctx, Error **errp)
{
    *out = NULL;
    if (!in) {
        qapi_input_error_missing(ctx, name, errp);
        return false;
    }
    if (!json_is_null(in) && !(ctx->keyval && json_is_string(in) && !*json_string_value(in))) {
        qapi_input_error_type(ctx, name, "null", errp);
        return false;
    }
    *out = json_null();
    return true;
}

bool qapi_from_json_enum(json_t *in, const char *name, int *out, const QEnumLookup *lookup,
                         QapiInput *ctx, Error **errp)
{
    g_autofree char *str = NULL;

    if (!qapi_from_json_str(in, name, &str, ctx, errp)) {
        return false;
    }
    for (int i = 0; i < lookup->size; i++) {
        if (!strcmp(str, lookup->array[i])) {
            *out = i;
            return true;
        }
    }
    error_setg(errp, "Parameter '%s' does not accept value '%s'", name ? name : "null", str);
    return false;
}

/* ---------------------------------------------------------------- C -> JSON */

json_t *qapi_to_json_str(const char *s)
{
    json_t *j;
    g_autofree char *valid = NULL;

    if (!s) {
        return json_string("");
    }
    j = json_string(s);
    if (j) {
        return j;
    }
    /* Not UTF-8 (a host file name, say): substitute U+FFFD, as QEMU does. */
    valid = g_utf8_make_valid(s, -1);
    return json_string(valid);
}

json_t *qapi_to_json_int(int64_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_int8(int8_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_int16(int16_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_int32(int32_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_int64(int64_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_uint8(uint8_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_uint16(uint16_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_uint32(uint32_t v)
{
    return json_integer(v);
}

json_t *qapi_to_json_uint64(uint64_t v)
{
    if (v > INT64_MAX) {
        return json_real((double)v);
    }
    return json_integer((json_int_t)v);
}

json_t *qapi_to_json_size(uint64_t v)
{
    return qapi_to_json_uint64(v);
}

json_t *qapi_to_json_number(double v)
{
    /* JSON has no spelling for infinities and NaN. */
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *qapi_to_json_bool(bool v)
{
    return json_boolean(v);
}

json_t *qapi_to_json_any(json_t *v)
{
    return v ? json_incref(v) : json_null();
}

json_t *qapi_to_json_null(json_t *v)
{
    (void)v;
    return json_null();
}

json_t *qapi_to_json_enum(int val, const QEnumLookup *lookup)
{
    const char *name = qapi_enum_lookup(lookup, val);

    return name ? json_string(name) : json_null();
}

json_t *qapi_clone_any(const json_t *v)
{
    return v ? json_deep_copy(v) : NULL;
}

/* ---------------------------------------------------------------- keyval scalars */

bool qapi_keyval_parse_bool(const char *str, bool *out)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcmp(str, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcmp(str, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool qapi_keyval_is_bool(const char *str)
{
    bool dummy;

    return qapi_keyval_parse_bool(str, &dummy);
}

int qapi_strtoi64(const char *str, int64_t *out)
{
    char *end;
    long long v;

    if (!*str) {
        return -EINVAL;
    }
    errno = 0;
    v = strtoll(str, &end, 0);
    if (end == str || *end) {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    *out = v;
    return 0;
}

int qapi_strtou64(const char *str, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!*str) {
        return -EINVAL;
    }
    errno = 0;
    v = strtoull(str, &end, 0);
    if (end == str || *end) {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    *out = v;
    return 0;
}

int qapi_strtod(const char *str, double *out)
{
    char *end;
    double v;

    if (!*str) {
        return -EINVAL;
    }
    errno = 0;
    v = strtod(str, &end);
    if (end == str || *end || !isfinite(v)) {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    *out = v;
    return 0;
}

static uint64_t size_suffix(char c)
{
    static const char suffixes[] = "BKMGTPE";
    const char *p = c ? strchr(suffixes, g_ascii_toupper(c)) : NULL;

    return p ? UINT64_C(1) << (10 * (p - suffixes)) : 0;
}

/*
 * Fractions are kept as 64-bit binary fixed point, so that "1.5k" is
 * exactly 1536 and the rounding (half up) does not depend on doubles.
 */
int qapi_strtosz(const char *str, uint64_t *out)
{
    const char *p;
    char *end;
    uint64_t val, frac = 0, mul;
    unsigned __int128 total;

    errno = 0;
    val = strtoull(str, &end, 10);
    if (end == str || memchr(str, '-', end - str)) {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    p = end;
    if (val == 0 && (*p == 'x' || *p == 'X')) {
        errno = 0;
        val = strtoull(str, &end, 16);
        if (errno == ERANGE) {
            return -ERANGE;
        }
        p = end;
        if (*p == '.' || size_suffix(*p)) {
            return -EINVAL;
        }
    } else if (*p == '.') {
        const char *digits = ++p;
        g_autofree char *text = NULL;
        double f;

        while (g_ascii_isdigit(*p)) {
            p++;
        }
        /* An exponent makes it a float literal, not a size. */
        if ((*p == 'e' || *p == 'E') && p > digits &&
            (g_ascii_isdigit(p[1]) || ((p[1] == '+' || p[1] == '-') && g_ascii_isdigit(p[2])))) {
            return -EINVAL;
        }
        text = g_strdup_printf("0.%.*s", (int)(p - digits), digits);
        f = g_ascii_strtod(text, NULL) * 0x1p64;
        frac = f >= 0x1p64 ? UINT64_MAX : (uint64_t)f;
    }
    mul = size_suffix(*p);
    if (mul) {
        p++;
    } else {
        mul = 1;
    }
    if (*p) {
        return -EINVAL;
    }
    if (mul == 1 && frac) {
        return -EINVAL;
    }
    total = (unsigned __int128)val * mul;
    if (frac) {
        unsigned __int128 f = (unsigned __int128)frac * mul;

        total += f >> 64;
        total += (f >> 63) & 1;
    }
    if (total > UINT64_MAX) {
        return -ERANGE;
    }
    *out = (uint64_t)total;
    return 0;
}

/* ---------------------------------------------------------------- QDict order */

unsigned qapi_qdict_bucket(const char *key)
{
    uint32_t value = 0x238F13AFu * (uint32_t)strlen(key);

    for (unsigned i = 0; key[i]; i++) {
        value += (uint32_t)(unsigned char)key[i] << (i * 5 % 24);
    }
    return (1103515243u * value + 12345u) % 512;
}

typedef struct {
    const char *key;
    json_t *value;
    unsigned bucket;
    size_t pos;
} OrderedMember;

static int ordered_member_cmp(const void *a, const void *b)
{
    const OrderedMember *x = a, *y = b;

    if (x->bucket != y->bucket) {
        return x->bucket < y->bucket ? -1 : 1;
    }
    /* Within a bucket QDict lists the newest member first. */
    return x->pos < y->pos ? 1 : (x->pos > y->pos ? -1 : 0);
}

json_t *qapi_json_qdict_order(const json_t *v)
{
    if (json_is_object(v)) {
        size_t n = json_object_size(v), i = 0;
        OrderedMember *m = g_new(OrderedMember, n ? n : 1);
        json_t *out = json_object();
        const char *key;
        json_t *value;

        json_object_foreach((json_t *)v, key, value)
        {
            m[i] = (OrderedMember){key, value, qapi_qdict_bucket(key), i};
            i++;
        }
        qsort(m, n, sizeof(*m), ordered_member_cmp);
        for (i = 0; i < n; i++) {
            json_object_set_new(out, m[i].key, qapi_json_qdict_order(m[i].value));
        }
        g_free(m);
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();

        for (size_t i = 0; i < json_array_size(v); i++) {
            json_array_append_new(out, qapi_json_qdict_order(json_array_get(v, i)));
        }
        return out;
    }
    return json_deep_copy(v);
}
