/*
 * HMP argument parsing: a command's args_type string drives how the rest
 * of the line is read.  Messages and their order are QEMU 7.2's, because
 * they are all a human (or a script scraping HMP) ever sees.
 */
#include "util/osdep.h"

#include <math.h>

#include "monitor/hmp.h"
#include "monitor/monitor-internal.h"

#define MiB (1024 * 1024)

/* ---------------------------------------------------------------- words */

/* Reads a word or a double-quoted string; false when there is none. */
static bool get_word(const char **pp, GString *out)
{
    const char *p = *pp;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (*p == '\0') {
        *pp = p;
        return false;
    }
    if (*p != '"') {
        while (*p && !g_ascii_isspace(*p)) {
            g_string_append_c(out, *p++);
        }
        *pp = p;
        return true;
    }
    p++;
    while (*p && *p != '"') {
        if (*p != '\\') {
            g_string_append_c(out, *p++);
            continue;
        }
        switch (p[1]) {
        case 'n':
            g_string_append_c(out, '\n');
            break;
        case 'r':
            g_string_append_c(out, '\r');
            break;
        case '\\':
        case '\'':
        case '"':
            g_string_append_c(out, p[1]);
            break;
        default:
            /* QEMU reports bad escapes on its stdout; the monitor only
             * shows the argument as missing */
            *pp = p;
            return false;
        }
        p += 2;
    }
    if (*p != '"') {
        *pp = p;
        return false; /* unterminated */
    }
    *pp = p + 1;
    return true;
}

/* ---------------------------------------------------------------- expressions */

typedef struct Expr {
    Monitor *mon;
    const char *p;
    const char *error;
} Expr;

static void expr_skip_space(Expr *e)
{
    while (g_ascii_isspace(*e->p)) {
        e->p++;
    }
}

static void expr_fail(Expr *e, const char *msg)
{
    if (!e->error) {
        e->error = msg;
    }
}

/* Consumes an operator or bracket and the blanks after it. */
static void expr_next(Expr *e)
{
    e->p++;
    expr_skip_space(e);
}

static int64_t expr_sum(Expr *e);

static int64_t expr_unary(Expr *e)
{
    int64_t n = 0;
    char *end;

    if (e->error) {
        return 0;
    }
    switch (*e->p) {
    case '+':
        expr_next(e);
        return expr_unary(e);
    case '-':
        expr_next(e);
        return -(uint64_t)expr_unary(e);
    case '~':
        expr_next(e);
        return ~expr_unary(e);
    case '(':
        expr_next(e);
        n = expr_sum(e);
        if (*e->p != ')') {
            expr_fail(e, "')' expected");
            return 0;
        }
        expr_next(e);
        return n;
    case '\'':
        e->p++;
        if (*e->p == '\0') {
            expr_fail(e, "character constant expected");
            return 0;
        }
        n = (unsigned char)*e->p++;
        if (*e->p != '\'') {
            expr_fail(e, "missing terminating ' character");
            return 0;
        }
        expr_next(e);
        return n;
    case '$':
        /* CPU registers: minivm's monitor has no CPU state to show */
        expr_fail(e, "unknown register");
        return 0;
    case '\0':
        expr_fail(e, "unexpected end of expression");
        return 0;
    default:
        errno = 0;
        n = (int64_t)strtoull(e->p, &end, 0);
        if (end == e->p) {
            g_autofree char *msg = g_strdup_printf("invalid char '%c' in expression", *e->p);

            /* keep the text alive: it is reported after unwinding */
            e->error = g_intern_string(msg);
            return 0;
        }
        if (errno == ERANGE) {
            expr_fail(e, "number too large");
            return 0;
        }
        e->p = end;
        break;
    }
    expr_skip_space(e);
    return n;
}

/* QEMU's precedence, lowest first: + -, then * / %, then & | ^. */
static int64_t expr_logic(Expr *e)
{
    int64_t v = expr_unary(e);

    while (!e->error && (*e->p == '&' || *e->p == '|' || *e->p == '^')) {
        char op = *e->p;

        expr_next(e);
        int64_t w = expr_unary(e);

        v = op == '&' ? (v & w) : op == '|' ? (v | w) : (v ^ w);
    }
    return v;
}

static int64_t expr_prod(Expr *e)
{
    int64_t v = expr_logic(e);

    while (!e->error && (*e->p == '*' || *e->p == '/' || *e->p == '%')) {
        char op = *e->p;

        expr_next(e);
        int64_t w = expr_logic(e);

        if (e->error) {
            break;
        }
        if (op == '*') {
            v = (int64_t)((uint64_t)v * (uint64_t)w);
        } else if (w == 0) {
            expr_fail(e, "division by zero");
        } else if (w == -1) {
            v = op == '/' ? (int64_t)(-(uint64_t)v) : 0;
        } else {
            v = op == '/' ? v / w : v % w;
        }
    }
    return v;
}

static int64_t expr_sum(Expr *e)
{
    int64_t v = expr_prod(e);

    while (!e->error && (*e->p == '+' || *e->p == '-')) {
        char op = *e->p;

        expr_next(e);
        int64_t w = expr_prod(e);

        v = (int64_t)(op == '+' ? (uint64_t)v + (uint64_t)w : (uint64_t)v - (uint64_t)w);
    }
    return v;
}

static bool get_expr(Monitor *mon, const char **pp, int64_t *val)
{
    Expr e = {mon, *pp, NULL};

    expr_skip_space(&e);
    *val = expr_sum(&e);
    if (e.error) {
        monitor_printf(mon, "%s\n", e.error);
        return false;
    }
    *pp = e.p;
    return true;
}

/* ---------------------------------------------------------------- sizes, times */

static uint64_t size_unit(char c)
{
    static const char units[] = "BKMGTPE";
    const char *hit = c ? strchr(units, g_ascii_toupper(c)) : NULL;

    return hit ? (uint64_t)1 << (10 * (hit - units)) : 0;
}

/* A size at *pp: decimal with optional fraction, or 0x hex, then an
 * optional unit (default MiB).  *pp ends after what was used. */
static bool get_size(const char **pp, uint64_t *out)
{
    const char *p = *pp;
    char *end;
    uint64_t val, unit;
    double frac = 0;

    if (!g_ascii_isdigit(*p)) {
        return false;
    }
    errno = 0;
    val = strtoull(p, &end, 10);
    if (errno) {
        return false;
    }
    if (val == 0 && (*end == 'x' || *end == 'X')) {
        errno = 0;
        val = strtoull(p, &end, 16);
        if (errno || *end == '.' || size_unit(*end)) {
            return false;
        }
        *pp = end;
        *out = val;
        return true;
    }
    if (*end == '.') {
        const char *start = end;

        frac = g_ascii_strtod(start, &end);
        if (end == start + 1) {
            return false;
        }
    }
    unit = size_unit(*end);
    if (unit) {
        end++;
    } else {
        unit = MiB;
    }
    if (unit == 1 && frac) {
        return false;
    }
    if (val > INT64_MAX / unit || (double)val * unit + frac * unit > (double)INT64_MAX) {
        return false;
    }
    *out = val * unit + (uint64_t)(frac * unit);
    *pp = end;
    return true;
}

/* ---------------------------------------------------------------- the parser */

typedef struct ArgSpec {
    char key[64];
    char type;
    char flag; /* for '-' */
    bool optional;
} ArgSpec;

/* Reads the next "key:type" of args_type; false at its end. */
static bool next_spec(const char **tp, ArgSpec *spec)
{
    const char *t = *tp, *colon;
    size_t klen;

    if (!*t) {
        return false;
    }
    colon = strchr(t, ':');
    g_assert(colon);
    klen = MIN((size_t)(colon - t), sizeof(spec->key) - 1);
    memcpy(spec->key, t, klen);
    spec->key[klen] = '\0';
    t = colon + 1;
    spec->type = *t++;
    spec->flag = 0;
    spec->optional = false;
    if (spec->type == '-') {
        spec->flag = *t++;
    }
    if (*t == '?') {
        spec->optional = true;
        t++;
    }
    while (*t && *t != ',') {
        t++;
    }
    if (*t == ',') {
        t++;
    }
    *tp = t;
    return true;
}

/* Whether "-c" is a flag accepted by a later argument of args_type. */
static bool later_flag(const char *types, char c)
{
    ArgSpec s;

    while (next_spec(&types, &s)) {
        if (s.type == '-' && s.flag == c) {
            return true;
        }
    }
    return false;
}

static const char *word_kind(char type)
{
    switch (type) {
    case 'F':
        return "filename";
    case 'B':
        return "block device name";
    default:
        return "string";
    }
}

/* Parses one argument; false after printing an error. */
static bool parse_one(Monitor *mon, const HMPCommand *cmd, const ArgSpec *s, const char *rest_types,
                      const char **pp, json_t *args)
{
    const char *p = *pp;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (s->optional && *p == '\0' && s->type != '-') {
        *pp = p;
        return true;
    }

    switch (s->type) {
    case 's':
    case 'F':
    case 'B': {
        g_autoptr(GString) w = g_string_new(NULL);

        if (!get_word(&p, w)) {
            monitor_printf(mon, "%s: %s expected\n", cmd->name, word_kind(s->type));
            return false;
        }
        json_object_set_new(args, s->key, json_stringn(w->str, w->len));
        break;
    }
    case 'S':
        if (*p == '\0') {
            monitor_printf(mon, "%s: string expected\n", cmd->name);
            return false;
        }
        json_object_set_new(args, s->key, json_string(p));
        p += strlen(p);
        break;
    case 'i':
    case 'l':
    case 'M': {
        int64_t v;

        if (!get_expr(mon, &p, &v)) {
            return false;
        }
        if (s->type == 'i' && ((uint64_t)v >> 32)) {
            monitor_printf(mon, "'%s' has failed: integer is for 32-bit values\n", cmd->name);
            return false;
        }
        if (s->type == 'M') {
            if (v < 0) {
                monitor_printf(mon, "enter a positive value\n");
                return false;
            }
            v = (int64_t)((uint64_t)v * MiB);
        }
        json_object_set_new(args, s->key, json_integer(v));
        break;
    }
    case 'o': {
        uint64_t v;

        if (!get_size(&p, &v)) {
            monitor_printf(mon, "invalid size\n");
            return false;
        }
        json_object_set_new(args, s->key, json_integer((json_int_t)v));
        break;
    }
    case 'T': {
        static const struct {
            char c;
            double div;
        } units[] = {{'m', 1e3}, {'u', 1e6}, {'n', 1e9}};
        char *end;
        double v = g_ascii_strtod(p, &end);

        if (end == p || !isfinite(v)) {
            monitor_printf(mon, "Number expected\n");
            return false;
        }
        p = end;
        if (p[0] && p[1] == 's') {
            for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                if (p[0] == units[i].c) {
                    v /= units[i].div;
                    p += 2;
                    break;
                }
            }
        }
        if (*p && !g_ascii_isspace(*p)) {
            monitor_printf(mon, "Unknown unit suffix\n");
            return false;
        }
        json_object_set_new(args, s->key, json_real(v));
        break;
    }
    case 'b': {
        const char *beg = p;

        while (g_ascii_isgraph(*p)) {
            p++;
        }
        if (p - beg == 2 && !strncmp(beg, "on", 2)) {
            json_object_set_new(args, s->key, json_true());
        } else if (p - beg == 3 && !strncmp(beg, "off", 3)) {
            json_object_set_new(args, s->key, json_false());
        } else {
            monitor_printf(mon, "Expected 'on' or 'off'\n");
            return false;
        }
        break;
    }
    case '-':
        if (*p != '-') {
            p = *pp; /* not given: leave the text alone */
            break;
        }
        if (p[1] == s->flag) {
            json_object_set_new(args, s->key, json_true());
            p += 2;
        } else if (later_flag(rest_types, p[1])) {
            p = *pp; /* it belongs to a later flag */
        } else {
            monitor_printf(mon, "%s: unsupported option -%c\n", cmd->name, p[1]);
            return false;
        }
        break;
    default:
        monitor_printf(mon, "%s: unknown type '%c'\n", cmd->name, s->type);
        return false;
    }
    *pp = p;
    return true;
}

json_t *hmp_parse_args(Monitor *mon, const HMPCommand *cmd, const char **pp)
{
    const char *types = cmd->args_type ? cmd->args_type : "";
    const char *p = *pp;
    json_t *args = json_object();
    ArgSpec s;

    while (next_spec(&types, &s)) {
        if (!parse_one(mon, cmd, &s, types, &p, args)) {
            json_decref(args);
            return NULL;
        }
    }
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (*p) {
        monitor_printf(mon, "%s: extraneous characters at the end of line\n", cmd->name);
        json_decref(args);
        return NULL;
    }
    *pp = p;
    return args;
}

/* ---------------------------------------------------------------- accessors */

const char *hmp_arg_str(const json_t *args, const char *key)
{
    return json_string_value(json_object_get(args, key));
}

int64_t hmp_arg_int(const json_t *args, const char *key, int64_t def)
{
    json_t *v = json_object_get(args, key);

    return json_is_integer(v) ? json_integer_value(v) : def;
}

bool hmp_arg_bool(const json_t *args, const char *key, bool def)
{
    json_t *v = json_object_get(args, key);

    return json_is_boolean(v) ? json_is_true(v) : def;
}

double hmp_arg_real(const json_t *args, const char *key, double def)
{
    json_t *v = json_object_get(args, key);

    return json_is_number(v) ? json_number_value(v) : def;
}

bool hmp_arg_has(const json_t *args, const char *key)
{
    return json_object_get(args, key) != NULL;
}
