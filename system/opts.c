/*
 * Option-string parsing: the flat "QemuOpts" dialect (opts_parse) and the
 * dotted "keyval" dialect (keyval_parse), plus typed value parsers that
 * reproduce QEMU's acceptance rules and error texts.
 */
#include "system/opts.h"

/* QEMU limits each dotted-key fragment to this many characters. */
#define KEYVAL_FRAGMENT_MAX 127

/*
 * Reads a value starting at *p up to the next single ',' (",," stands for a
 * literal comma) and leaves *p after the separator.
 */
static char *opts_read_value(const char **p)
{
    GString *val = g_string_new(NULL);
    const char *s = *p;

    while (*s) {
        if (*s == ',') {
            if (s[1] != ',') {
                s++;
                break;
            }
            s++;
        }
        g_string_append_c(val, *s);
        s++;
    }
    *p = s;
    return g_string_free(val, FALSE);
}

static void opts_store(json_t *obj, const char *key, char *value)
{
    json_object_set_new(obj, key, json_string(value));
    g_free(value);
}

json_t *opts_parse(const char *str, const char *implied_key, Error **errp)
{
    json_t *obj = json_object();
    const char *p = str;
    bool first = true;

    while (*p) {
        size_t klen = strcspn(p, "=,");

        if (p[klen] == '=') {
            char *key = g_strndup(p, klen);

            p += klen + 1;
            opts_store(obj, key, opts_read_value(&p));
            g_free(key);
        } else if (first && implied_key) {
            opts_store(obj, implied_key, opts_read_value(&p));
        } else {
            /* QEMU's short-form boolean: a bare "key" means key=on. */
            char *key = g_strndup(p, klen);

            p += klen;
            if (*p == ',') {
                p++;
            }
            json_object_set_new(obj, key, json_string("on"));
            g_free(key);
        }
        first = false;
    }
    return obj;
}

/* ---- keyval ---- */

static bool keyval_is_index(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s)) {
            return false;
        }
    }
    return true;
}

/*
 * Splits and checks a dotted key at *p (which ends at '=', ',' or NUL).
 * Returns the fragments, or NULL with QEMU's error.
 */
static GPtrArray *keyval_parse_key(const char *p, size_t span, Error **errp)
{
    GPtrArray *frags = g_ptr_array_new_with_free_func(g_free);
    const char *s = p;
    const char *end = p + span;

    for (;;) {
        const char *start = s;

        if (g_ascii_isalpha(*s)) {
            while (g_ascii_isalnum(*s) || *s == '-' || *s == '_') {
                s++;
            }
        } else if (g_ascii_isdigit(*s) && frags->len > 0) {
            while (g_ascii_isdigit(*s)) {
                s++;
            }
        }
        if (s - start > KEYVAL_FRAGMENT_MAX) {
            int len = (int)(s - start);

            if (start == p && (*s == '=' || *s == ',' || !*s)) {
                error_setg(errp, "Parameter '%.*s' is too long", len, start);
            } else {
                error_setg(errp, "Parameter fragment '%.*s' is too long", len, start);
            }
            g_ptr_array_free(frags, TRUE);
            return NULL;
        }
        if (s == start) {
            /* an empty fragment: "", "a..b", ".a" or "a." */
            s = p;
            break;
        }
        g_ptr_array_add(frags, g_strndup(start, s - start));
        if (*s != '.' || s >= end) {
            break;
        }
        s++;
    }
    if (s != end || frags->len == 0) {
        error_setg(errp, "Invalid parameter '%.*s'", (int)span, p);
        g_ptr_array_free(frags, TRUE);
        return NULL;
    }
    return frags;
}

static char *keyval_path(GPtrArray *frags, guint upto)
{
    GString *path = g_string_new(NULL);

    for (guint i = 0; i <= upto && i < frags->len; i++) {
        if (i) {
            g_string_append_c(path, '.');
        }
        g_string_append(path, g_ptr_array_index(frags, i));
    }
    return g_string_free(path, FALSE);
}

/* Reports the conflict at the deepest existing node on the path of frags. */
static void keyval_inconsistent(json_t *root, GPtrArray *frags, Error **errp)
{
    guint depth = 0;
    json_t *n = root;

    for (; depth + 1 < frags->len; depth++) {
        json_t *c = json_object_get(n, g_ptr_array_index(frags, depth));

        if (!json_is_object(c)) {
            break;
        }
        n = c;
    }
    char *path = keyval_path(frags, depth);
    error_setg(errp, "Parameters '%s.*' used inconsistently", path);
    g_free(path);
}

/* Sets root.frags[0].frags[1]... = value; a key cannot be both a scalar and
 * an object.  Takes ownership of value. */
static bool keyval_store(json_t *root, GPtrArray *frags, char *value, Error **errp)
{
    json_t *node = root;
    const char *last = g_ptr_array_index(frags, frags->len - 1);

    for (guint i = 0; i + 1 < frags->len; i++) {
        const char *name = g_ptr_array_index(frags, i);
        json_t *child = json_object_get(node, name);

        if (!child) {
            child = json_object();
            json_object_set_new(node, name, child);
        } else if (!json_is_object(child)) {
            goto inconsistent;
        }
        node = child;
    }
    if (json_is_object(json_object_get(node, last))) {
        goto inconsistent;
    }
    opts_store(node, last, value);
    return true;

inconsistent:
    keyval_inconsistent(root, frags, errp);
    g_free(value);
    return false;
}

/*
 * Turns every object whose keys are all indices into an array, recursively.
 * 'path' is the dotted name of obj (NULL at the root).
 */
static json_t *keyval_listify(json_t *obj, const char *path, Error **errp)
{
    const char *key;
    json_t *val;
    void *tmp;
    size_t nidx = 0, n = json_object_size(obj);

    json_object_foreach_safe(obj, tmp, key, val)
    {
        if (json_is_object(val)) {
            char *sub = path ? g_strdup_printf("%s.%s", path, key) : g_strdup(key);
            json_t *conv = keyval_listify(val, sub, errp);

            g_free(sub);
            if (!conv) {
                return NULL;
            }
            if (conv != val) {
                json_object_set_new(obj, key, conv);
            }
        }
        if (path && keyval_is_index(key)) {
            nidx++;
        }
    }
    if (nidx == 0) {
        return obj;
    }
    if (nidx != n) {
        error_setg(errp, "Parameters '%s.*' used inconsistently", path);
        return NULL;
    }

    json_t **slots = g_new0(json_t *, n);
    json_object_foreach(obj, key, val)
    {
        unsigned long long idx = strtoull(key, NULL, 10);

        if (idx < n) {
            slots[idx] = val;
        }
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!slots[i]) {
            error_setg(errp, "Parameter '%s.%zu' missing", path, i);
            json_decref(arr);
            g_free(slots);
            return NULL;
        }
        json_array_append(arr, slots[i]);
    }
    g_free(slots);
    return arr;
}

/*
 * QEMU's JSON parser also takes single-quoted strings; jansson does not, so
 * rewrite them as double-quoted ones first.
 */
static char *keyval_requote_json(const char *str)
{
    GString *out = g_string_new(NULL);
    char quote = 0;

    for (const char *s = str; *s; s++) {
        if (!quote) {
            if (*s == '\'') {
                quote = '\'';
                g_string_append_c(out, '"');
                continue;
            }
            if (*s == '"') {
                quote = '"';
            }
            g_string_append_c(out, *s);
            continue;
        }
        if (*s == '\\' && s[1]) {
            if (quote == '\'' && s[1] == '\'') {
                g_string_append_c(out, '\'');
            } else {
                g_string_append_c(out, '\\');
                g_string_append_c(out, s[1]);
            }
            s++;
            continue;
        }
        if (*s == quote) {
            g_string_append_c(out, '"');
            quote = 0;
            continue;
        }
        if (quote == '\'' && *s == '"') {
            g_string_append(out, "\\\"");
            continue;
        }
        g_string_append_c(out, *s);
    }
    return g_string_free(out, FALSE);
}

/* Maps jansson's diagnostics onto the texts QEMU's parser produces. */
static const struct {
    const char *jansson; /* substring of jansson's text */
    const char *qemu;
} keyval_json_errors[] = {
    {"end of file expected", "Expecting at most one JSON value"},
    {"near end of file", "JSON parse error, premature EOI"},
    {"premature end", "JSON parse error, premature EOI"},
    {"unexpected token", "JSON parse error, expecting value"},
    {"string or '}' expected", "JSON parse error, expecting value"},
    {"'}' expected", "JSON parse error, expected separator in dict"},
    {"']' expected", "JSON parse error, expected separator in list"},
    {"':' expected", "JSON parse error, missing : in object pair"},
};

static void keyval_json_error(const json_error_t *jerr, Error **errp)
{
    const char *t = jerr->text;
    const char *tok = strstr(t, "invalid token near '");

    for (size_t i = 0; i < ARRAY_SIZE(keyval_json_errors); i++) {
        if (strstr(t, keyval_json_errors[i].jansson)) {
            error_setg(errp, "%s", keyval_json_errors[i].qemu);
            return;
        }
    }
    if (tok && g_ascii_isalpha(tok[strlen("invalid token near '")])) {
        tok += strlen("invalid token near '");
        error_setg(errp, "JSON parse error, invalid keyword '%.*s'", (int)strcspn(tok, "'"), tok);
        return;
    }
    error_setg(errp, "JSON parse error, %s", t);
}

static json_t *keyval_parse_json(const char *str, Error **errp)
{
    json_error_t jerr;
    char *fixed = keyval_requote_json(str);
    json_t *obj = json_loads(fixed, 0, &jerr);

    g_free(fixed);
    if (!obj) {
        keyval_json_error(&jerr, errp);
        return NULL;
    }
    return obj;
}

json_t *keyval_parse(const char *str, const char *implied_key, Error **errp)
{
    json_t *root;
    const char *p = str;
    bool first = true;

    if (*str == '{') {
        return keyval_parse_json(str, errp);
    }

    root = json_object();
    while (*p) {
        size_t span = strcspn(p, "=,");

        if (first && implied_key && span && p[span] != '=') {
            opts_store(root, implied_key, opts_read_value(&p));
            first = false;
            continue;
        }
        first = false;

        GPtrArray *frags = keyval_parse_key(p, span, errp);
        if (!frags) {
            goto fail;
        }
        if (p[span] != '=') {
            error_setg(errp, "Expected '=' after parameter '%.*s'", (int)span, p);
            g_ptr_array_free(frags, TRUE);
            goto fail;
        }
        p += span + 1;
        bool ok = keyval_store(root, frags, opts_read_value(&p), errp);
        g_ptr_array_free(frags, TRUE);
        if (!ok) {
            goto fail;
        }
    }

    json_t *res = keyval_listify(root, NULL, errp);
    if (!res) {
        goto fail;
    }
    return res;

fail:
    json_decref(root);
    return NULL;
}

/* ---- typed getters ---- */

const char *opts_get_str(json_t *opts, const char *key)
{
    json_t *v = opts ? json_object_get(opts, key) : NULL;

    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const struct {
    const char *name;
    bool value;
} opts_bool_names[] = {
    {"on", true},   {"yes", true}, {"true", true},   {"y", true},
    {"off", false}, {"no", false}, {"false", false}, {"n", false},
};

bool opts_get_bool(json_t *opts, const char *key, bool def, bool *out, Error **errp)
{
    json_t *v = opts ? json_object_get(opts, key) : NULL;

    if (!v) {
        *out = def;
        return true;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return true;
    }
    if (json_is_string(v)) {
        for (size_t i = 0; i < ARRAY_SIZE(opts_bool_names); i++) {
            if (!strcmp(json_string_value(v), opts_bool_names[i].name)) {
                *out = opts_bool_names[i].value;
                return true;
            }
        }
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
    return false;
}

bool opts_get_number(json_t *opts, const char *key, uint64_t def, uint64_t *out, Error **errp)
{
    json_t *v = opts ? json_object_get(opts, key) : NULL;
    const char *s;
    char *end;
    unsigned long long n;

    if (!v) {
        *out = def;
        return true;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    s = json_is_string(v) ? json_string_value(v) : "";
    /* strtoull's rules, as QEMU uses them: base prefixes, leading blanks,
     * and a '-' that wraps around. */
    errno = 0;
    n = strtoull(s, &end, 0);
    if (errno == ERANGE) {
        error_setg(errp, "Value '%s' is too large for parameter '%s'", s, key);
        return false;
    }
    if (end == s || *end || !*s) {
        error_setg(errp, "Parameter '%s' expects a number", key);
        return false;
    }
    *out = n;
    return true;
}

/* ---- sizes ---- */

static uint64_t size_suffix_unit(char c)
{
    switch (g_ascii_tolower(c)) {
    case 'b':
        return 1;
    case 'k':
        return 1ULL << 10;
    case 'm':
        return 1ULL << 20;
    case 'g':
        return 1ULL << 30;
    case 't':
        return 1ULL << 40;
    case 'p':
        return 1ULL << 50;
    case 'e':
        return 1ULL << 60;
    }
    return 0;
}

/* Returns 0, -EINVAL (junk) or -ERANGE (too big). */
static int size_parse(const char *str, uint64_t default_unit, uint64_t *out)
{
    const char *s = str;
    const char *digits;
    char *end;
    unsigned long long whole;
    long double fraction = 0;
    bool hex = false;
    bool has_fraction = false;
    uint64_t unit;

    while (g_ascii_isspace(*s)) {
        s++;
    }
    if (*s == '+') {
        s++;
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        hex = true;
        if (!g_ascii_isxdigit(s[2])) {
            return -EINVAL;
        }
    } else if (!g_ascii_isdigit(*s)) {
        return -EINVAL;
    }
    digits = s;
    errno = 0;
    whole = strtoull(digits, &end, hex ? 16 : 10);
    bool overflow = errno == ERANGE;
    s = end;
    if (*s == '.') {
        long double scale = 1;

        if (hex) {
            return -EINVAL;
        }
        /* by hand rather than strtold(), which follows the locale */
        for (s++; g_ascii_isdigit(*s); s++) {
            scale /= 10;
            fraction += (*s - '0') * scale;
        }
        has_fraction = fraction != 0;
    }
    unit = size_suffix_unit(*s);
    if (unit) {
        s++;
    } else {
        unit = default_unit;
    }
    if (*s) {
        return -EINVAL;
    }
    if (unit == 1 && has_fraction) {
        return -EINVAL; /* fractional bytes */
    }
    if (overflow) {
        return -ERANGE;
    }
    uint64_t frac_bytes = (uint64_t)(fraction * (long double)unit);
    if (whole > (UINT64_MAX - frac_bytes) / unit) {
        return -ERANGE;
    }
    *out = whole * unit + frac_bytes;
    return 0;
}

/* parse_size() with QEMU's texts naming the parameter. */
static bool opts_parse_size_named(const char *name, const char *str, uint64_t default_unit,
                                  uint64_t *out, Error **errp)
{
    int ret = size_parse(str, default_unit, out);

    if (ret == -ERANGE) {
        error_setg(errp, "Value '%s' is out of range for parameter '%s'", str, name);
        return false;
    }
    if (ret < 0) {
        error_setg(errp, "Parameter '%s' expects a non-negative number below 2^64", name);
        error_append_hint(errp, "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, "
                                "tera-, peta-\nand exabytes, respectively.\n");
        return false;
    }
    return true;
}

bool parse_size(const char *str, uint64_t default_unit, uint64_t *out, Error **errp)
{
    return opts_parse_size_named("size", str, default_unit, out, errp);
}

bool opts_get_size(json_t *opts, const char *key, uint64_t def, uint64_t *out, Error **errp)
{
    json_t *v = opts ? json_object_get(opts, key) : NULL;

    if (!v) {
        *out = def;
        return true;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    return opts_parse_size_named(key, json_is_string(v) ? json_string_value(v) : "", 1, out, errp);
}

bool opts_check_keys(json_t *opts, const char *const *allowed, Error **errp)
{
    const char *key;
    json_t *val;

    json_object_foreach(opts, key, val)
    {
        bool found = false;

        for (size_t i = 0; allowed && allowed[i]; i++) {
            if (!strcmp(key, allowed[i])) {
                found = true;
                break;
            }
        }
        if (!found) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
    }
    return true;
}
