/*
 * The qemu-io interpreter core: sessions, splitting and dispatching command
 * lines (argument counts, "no file open", permissions a command needs),
 * option parsing, help, and the number and report formats that all
 * commands share.  The commands themselves are in qemu-io-rw.c (I/O),
 * qemu-io-image.c (size, allocation, info) and qemu-io-debug.c (blkdebug
 * breakpoints and process tricks).
 */
#include "util/osdep.h"

#include <math.h>

#include "tools/qemu-io-int.h"
#include "util/main-loop.h"

/* ---------------------------------------------------------------- sessions */

static int qemuio_help_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv);

/* Commands every session has, whatever else it adds. */
static const QemuIOCommand qemuio_core_cmds[] = {
    {
        .name = "help",
        .altname = "?",
        .fn = qemuio_help_f,
        .argmin = 0,
        .argmax = 1,
        .flags = QEMUIO_CMD_GLOBAL,
        .args = "[command]",
        .oneline = "help for one or all commands",
    },
    {NULL},
};

QemuIOSession *qemuio_session_new(QemuIOSink *sink, void *opaque, const char *progname)
{
    QemuIOSession *s = g_new0(QemuIOSession, 1);

    s->refcnt = 1;
    s->sink = sink;
    s->opaque = opaque;
    s->progname = g_strdup(progname);
    s->tables = g_ptr_array_new();
    g_ptr_array_add(s->tables, (gpointer)qemuio_core_cmds);
    g_ptr_array_add(s->tables, (gpointer)qemuio_rw_cmds);
    g_ptr_array_add(s->tables, (gpointer)qemuio_image_cmds);
    g_ptr_array_add(s->tables, (gpointer)qemuio_debug_cmds);
    s->break_tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return s;
}

void qemuio_session_ref(QemuIOSession *s)
{
    s->refcnt++;
}

void qemuio_session_unref(QemuIOSession *s)
{
    if (--s->refcnt > 0) {
        return;
    }
    g_ptr_array_free(s->tables, true);
    g_hash_table_destroy(s->break_tags);
    g_free(s->progname);
    g_free(s);
}

void qemuio_session_free(QemuIOSession *s)
{
    /* Requests still in flight may outlive the caller's output channel. */
    s->sink = NULL;
    s->blk = NULL;
    qemuio_session_unref(s);
}

void qemuio_session_set_flags(QemuIOSession *s, unsigned flags)
{
    s->flags = flags;
}

void qemuio_session_set_blk(QemuIOSession *s, BlockBackend *blk)
{
    s->blk = blk;
    g_hash_table_remove_all(s->break_tags);
}

BlockBackend *qemuio_session_blk(QemuIOSession *s)
{
    return s->blk;
}

void *qemuio_session_opaque(QemuIOSession *s)
{
    return s->opaque;
}

void qemuio_session_add_commands(QemuIOSession *s, const QemuIOCommand *cmds)
{
    g_ptr_array_add(s->tables, (gpointer)cmds);
}

/* ---------------------------------------------------------------- output */

static void qemuio_emit(QemuIOSession *s, QemuIOStream stream, const char *fmt, va_list ap)
{
    g_autofree char *text = NULL;

    if (!s->sink) {
        return;
    }
    text = g_strdup_vprintf(fmt, ap);
    s->sink(s->opaque, stream, text);
}

void qemuio_printf(QemuIOSession *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    qemuio_emit(s, QEMUIO_STDOUT, fmt, ap);
    va_end(ap);
}

void qemuio_eprintf(QemuIOSession *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    qemuio_emit(s, QEMUIO_STDERR, fmt, ap);
    va_end(ap);
}

static void qemuio_report(QemuIOSession *s, const char *kind, const char *msg)
{
    qemuio_eprintf(s, "%s%s%s%s\n", s->progname ? s->progname : "", s->progname ? ": " : "", kind,
                   msg);
}

void qemuio_error(QemuIOSession *s, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qemuio_report(s, "", msg);
}

void qemuio_error_err(QemuIOSession *s, Error *err)
{
    if (err) {
        qemuio_report(s, "", error_get_pretty(err));
        error_free(err);
    }
}

int qemuio_usage(QemuIOSession *s)
{
    const QemuIOCommand *ct = s->current;

    qemuio_printf(s, "%s %s -- %s\n", ct->name, ct->args ? ct->args : "", ct->oneline);
    return -EINVAL;
}

/* ---------------------------------------------------------------- numbers */

static int64_t qemuio_suffix_mul(char c)
{
    static const char units[] = "bkmgtpe";
    const char *u = c ? strchr(units, g_ascii_tolower(c)) : NULL;

    return u ? (int64_t)1 << (10 * (u - units)) : -1;
}

/*
 * The fraction starting at '.', as a 0.64 fixed-point number.  "1." has
 * none; an exponent ("1.5e3k") makes the whole number invalid.
 */
static int qemuio_parse_fraction(const char *dot, const char **end, uint64_t *frac)
{
    char *fend;
    double d;

    *frac = 0;
    errno = 0;
    d = strtod(dot, &fend);
    if (fend == dot || errno || !isfinite(d)) {
        *end = dot + 1;
        return 0;
    }
    if (memchr(dot, 'e', fend - dot) || memchr(dot, 'E', fend - dot)) {
        return -EINVAL;
    }
    *frac = d >= 1.0 ? UINT64_MAX : (uint64_t)(d * 0x1p64);
    *end = fend;
    return 0;
}

static int qemuio_strtosz(QemuIOSession *s, const char *str, uint64_t *out)
{
    const char *end;
    char *iend;
    uint64_t val, frac = 0;
    int64_t mul;
    bool hex = false;

    errno = 0;
    val = strtoull(str, &iend, 10);
    end = iend;
    if (end == str || memchr(str, '-', end - str)) {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (val == 0 && (*end == 'x' || *end == 'X')) {
        errno = 0;
        val = strtoull(str, &iend, 16);
        end = iend;
        if (errno == ERANGE) {
            return -ERANGE;
        }
        if (*end == '.') {
            return -EINVAL;
        }
        hex = true;
    } else if (*end == '.' && qemuio_parse_fraction(end, &end, &frac) < 0) {
        return -EINVAL;
    }
    mul = qemuio_suffix_mul(*end);
    if (mul > 0) {
        end++;
    } else {
        mul = 1;
    }
    if (*end) {
        return -EINVAL;
    }
    if (hex && mul > 1) {
        g_autofree char *msg =
            g_strdup_printf("Using a multiplier suffix on hex numbers is deprecated: %s", str);

        qemuio_report(s, "warning: ", msg);
    }
    if (mul == 1) {
        if (frac) {
            return -EINVAL;
        }
    } else {
        unsigned __int128 whole = (unsigned __int128)val * (uint64_t)mul;
        unsigned __int128 part = (unsigned __int128)frac * (uint64_t)mul;

        /* 64.64 fixed point; a half rounds up */
        whole += (part >> 64) + (((uint64_t)part) >> 63);
        if (whole >> 64) {
            return -ERANGE;
        }
        val = (uint64_t)whole;
    }
    *out = val;
    return 0;
}

int64_t qemuio_cvtnum(QemuIOSession *s, const char *str)
{
    uint64_t val;
    int ret = qemuio_strtosz(s, str, &val);

    if (ret < 0) {
        return ret;
    }
    return val > INT64_MAX ? -ERANGE : (int64_t)val;
}

void qemuio_print_cvtnum_err(QemuIOSession *s, int64_t rc, const char *arg)
{
    if (rc == -EINVAL) {
        qemuio_printf(s,
                      "Parsing error: non-numeric argument, or extraneous/unrecognized "
                      "suffix -- %s\n",
                      arg);
    } else if (rc == -ERANGE) {
        qemuio_printf(s, "Parsing error: argument too large -- %s\n", arg);
    } else {
        qemuio_printf(s, "Parsing error: %s\n", arg);
    }
}

int qemuio_parse_pattern(QemuIOSession *s, const char *arg)
{
    char *end;
    long val;

    errno = 0;
    val = strtol(arg, &end, 0);
    if (errno || end == arg || *end || val < 0 || val > 0xff) {
        qemuio_printf(s, "%s is not a valid pattern byte\n", arg);
        return -1;
    }
    return (int)val;
}

/* ---------------------------------------------------------------- reports */

void qemuio_cvtstr(double value, char *buf, size_t size)
{
    static const struct {
        int shift;
        const char *unit;
    } units[] = {
        {60, " EiB"}, {50, " PiB"}, {40, " TiB"}, {30, " GiB"}, {20, " MiB"}, {10, " KiB"},
    };
    const char *suffix = " bytes";
    char *zeros;

    snprintf(buf, size, "%f", value);
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        double scale = ldexp(1.0, units[i].shift);

        if (value >= scale) {
            snprintf(buf, size, "%.3f", value / scale);
            suffix = units[i].unit;
            break;
        }
    }
    /* whole numbers lose their ".000" */
    zeros = strstr(buf, ".000");
    if (zeros) {
        *zeros = '\0';
    }
    g_strlcat(buf, suffix, size);
}

int64_t qemuio_now_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

/* "00.01 sec" under a second; "H:MM:SS.ss" beyond, and always for -C. */
static void qemuio_timestr(int64_t ns, bool machine, char *buf, size_t size)
{
    uint64_t secs = ns / 1000000000;
    double frac = (double)(ns % 1000000000) / 1e9;

    if (machine || secs) {
        snprintf(buf, size, "%u:%02u:%05.2f", (unsigned)(secs / 3600), (unsigned)(secs % 3600 / 60),
                 (double)(secs % 60) + frac);
    } else {
        snprintf(buf, size, "%05.2f sec", frac);
    }
}

void qemuio_print_report(QemuIOSession *s, const char *op, int64_t elapsed_ns, int64_t offset,
                         int64_t count, int64_t total, int ops, bool machine)
{
    double secs = (double)elapsed_ns / 1e9;
    char ts[64], sz[64], rate[64];

    qemuio_timestr(elapsed_ns, machine, ts, sizeof(ts));
    if (machine) {
        qemuio_printf(s, "%" PRId64 ",%d,%s,%.3f,%.3f\n", total, ops, ts, (double)total / secs,
                      (double)ops / secs);
        return;
    }
    qemuio_cvtstr((double)total, sz, sizeof(sz));
    qemuio_cvtstr((double)total / secs, rate, sizeof(rate));
    qemuio_printf(s, "%s %" PRId64 "/%" PRId64 " bytes at offset %" PRId64 "\n", op, total, count,
                  offset);
    qemuio_printf(s, "%s, %d ops; %s (%s/sec and %.4f ops/sec)\n", sz, ops, ts, rate,
                  (double)ops / secs);
}

void qemuio_dump_buffer(QemuIOSession *s, const void *buf, int64_t offset, int64_t len)
{
    const uint8_t *p = buf;
    g_autoptr(GString) line = g_string_new(NULL);

    for (int64_t i = 0; i < len; i += 16) {
        int n = (int)MIN(16, len - i);

        g_string_printf(line, "%08" PRIx64 ":  ", (uint64_t)(offset + i));
        for (int j = 0; j < n; j++) {
            g_string_append_printf(line, "%02x ", p[i + j]);
        }
        g_string_append_c(line, ' ');
        for (int j = 0; j < n; j++) {
            g_string_append_c(line, g_ascii_isalnum(p[i + j]) ? (char)p[i + j] : '.');
        }
        qemuio_printf(s, "%s\n", line->str);
    }
}

/* ---------------------------------------------------------------- buffers */

#define QEMUIO_MISALIGN_BYTES 16
#define QEMUIO_BUF_ALIGN 4096

void *qemuio_buf_alloc(QemuIOSession *s, size_t len, int pattern)
{
    size_t extra = (s->flags & QEMUIO_MISALIGN) ? QEMUIO_MISALIGN_BYTES : 0;
    void *p;

    if (posix_memalign(&p, QEMUIO_BUF_ALIGN, MAX(len + extra, 1)) != 0) {
        abort();
    }
    memset(p, pattern, len + extra);
    return (char *)p + extra;
}

void qemuio_buf_free(QemuIOSession *s, void *buf)
{
    size_t extra = (s->flags & QEMUIO_MISALIGN) ? QEMUIO_MISALIGN_BYTES : 0;

    if (buf) {
        free((char *)buf - extra);
    }
}

/* ---------------------------------------------------------------- getopt */

void qemuio_getopt_init(QemuIOGetopt *g, int argc, char **argv)
{
    *g = (QemuIOGetopt){.argc = argc, .argv = argv, .index = 1};
    g->rest = g_new0(char *, argc + 1);
}

void qemuio_getopt_clear(QemuIOGetopt *g)
{
    g_free(g->rest);
    g->rest = NULL;
}

/* Moves to the next word holding options; false at the end of the words. */
static bool qemuio_getopt_next_word(QemuIOGetopt *g)
{
    while (g->index < g->argc) {
        char *w = g->argv[g->index];

        if (g->no_more_options || w[0] != '-' || w[1] == '\0') {
            g->rest[g->nrest++] = w;
            g->index++;
        } else if (!strcmp(w, "--")) {
            g->no_more_options = true;
            g->index++;
        } else {
            g->pos = 1;
            return true;
        }
    }
    return false;
}

int qemuio_getopt(QemuIOSession *s, QemuIOGetopt *g, const char *optstring)
{
    const char *spec;
    char *w;
    char c;

    g->optarg = NULL;
    if (g->pos == 0 && !qemuio_getopt_next_word(g)) {
        return -1;
    }
    w = g->argv[g->index];
    c = w[g->pos++];
    spec = c != ':' ? strchr(optstring, c) : NULL;
    if (!spec) {
        qemuio_eprintf(s, "%s: invalid option -- '%c'\n", g->argv[0], c);
        c = '?';
    } else if (spec[1] == ':') {
        if (w[g->pos]) {
            g->optarg = w + g->pos;
        } else if (g->index + 1 < g->argc) {
            g->optarg = g->argv[++g->index];
        } else {
            qemuio_eprintf(s, "%s: option requires an argument -- '%c'\n", g->argv[0], c);
            c = '?';
        }
        g->index++;
        g->pos = 0;
        return c;
    }
    if (!w[g->pos]) {
        g->index++;
        g->pos = 0;
    }
    return c;
}

/* ---------------------------------------------------------------- dispatch */

static const QemuIOCommand *qemuio_find(QemuIOSession *s, const char *word)
{
    for (guint t = 0; t < s->tables->len; t++) {
        for (const QemuIOCommand *ct = s->tables->pdata[t]; ct->name; ct++) {
            if (!strcmp(ct->name, word) || (ct->altname && !strcmp(ct->altname, word))) {
                return ct;
            }
        }
    }
    return NULL;
}

static bool qemuio_check_argc(QemuIOSession *s, const QemuIOCommand *ct, int argc, char **argv)
{
    int n = argc - 1;

    if (n >= ct->argmin && (ct->argmax < 0 || n <= ct->argmax)) {
        return true;
    }
    if (ct->argmax < 0) {
        qemuio_eprintf(s, "bad argument count %d to %s, expected at least %d arguments\n", n,
                       argv[0], ct->argmin);
    } else if (ct->argmin == ct->argmax) {
        qemuio_eprintf(s, "bad argument count %d to %s, expected %d arguments\n", n, argv[0],
                       ct->argmin);
    } else {
        qemuio_eprintf(s, "bad argument count %d to %s, expected between %d and %d arguments\n", n,
                       argv[0], ct->argmin, ct->argmax);
    }
    return false;
}

/*
 * A command that writes gets the permission it needs on the spot and keeps
 * it: HMP cannot know when the requests it starts are over, so nothing is
 * ever taken back (QEMU behaves the same).
 */
static int qemuio_take_perm(QemuIOSession *s, const QemuIOCommand *ct)
{
    uint64_t perm, shared;
    Error *err = NULL;

    if (!ct->perm || !s->blk || !blk_bs(s->blk)) {
        return 0;
    }
    blk_get_perm(s->blk, &perm, &shared);
    if (!(ct->perm & ~perm)) {
        return 0;
    }
    if (blk_set_perm(s->blk, perm | ct->perm, shared, &err) < 0) {
        qemuio_error_err(s, err);
        return -EPERM;
    }
    return 0;
}

static int qemuio_run(QemuIOSession *s, const QemuIOCommand *ct, int argc, char **argv)
{
    const QemuIOCommand *outer = s->current;
    int ret;

    if (!(ct->flags & (QEMUIO_CMD_GLOBAL | QEMUIO_CMD_NOFILE_OK)) && !s->blk) {
        qemuio_eprintf(s, "no file open, try 'help open'\n");
        return -EINVAL;
    }
    if (!qemuio_check_argc(s, ct, argc, argv)) {
        return -EINVAL;
    }
    if (!(ct->flags & QEMUIO_CMD_GLOBAL)) {
        ret = qemuio_take_perm(s, ct);
        if (ret < 0) {
            return ret;
        }
    }
    s->current = ct;
    ret = ct->fn(s, s->blk, argc, argv);
    s->current = outer;
    return ret;
}

int qemuio_command(QemuIOSession *s, const char *line)
{
    g_autofree char *copy = g_strdup(line);
    g_autoptr(GPtrArray) words = g_ptr_array_new();
    const QemuIOCommand *ct;
    char *p = copy, *w;
    int ret;

    /* qemu-io splits at single spaces only; there is no quoting */
    while ((w = strsep(&p, " "))) {
        if (*w) {
            g_ptr_array_add(words, w);
        }
    }
    if (!words->len) {
        return 0;
    }
    g_ptr_array_add(words, NULL);

    ct = qemuio_find(s, words->pdata[0]);
    if (!ct) {
        qemuio_eprintf(s, "command \"%s\" not found\n", (char *)words->pdata[0]);
        return -EINVAL;
    }
    qemuio_session_ref(s);
    ret = qemuio_run(s, ct, (int)words->len - 1, (char **)words->pdata);
    qemuio_check_breakpoints(s);
    qemuio_session_unref(s);
    return ret;
}

void qemuio_poll(QemuIOSession *s)
{
    while (main_loop_iterate(false)) {
        /* run whatever is ready */
    }
    qemuio_check_breakpoints(s);
}

/* ---------------------------------------------------------------- help */

static int qemuio_cmd_compare(gconstpointer a, gconstpointer b)
{
    const QemuIOCommand *x = *(const QemuIOCommand *const *)a;
    const QemuIOCommand *y = *(const QemuIOCommand *const *)b;

    return strcmp(x->name, y->name);
}

static void qemuio_help_oneline(QemuIOSession *s, const char *name, const QemuIOCommand *ct)
{
    qemuio_printf(s, "%s %s%s-- %s\n", name, ct->args ? ct->args : "", ct->args ? " " : "",
                  ct->oneline);
}

static int qemuio_help_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    const QemuIOCommand *ct;

    if (argc == 1) {
        g_autoptr(GPtrArray) all = g_ptr_array_new();

        for (guint t = 0; t < s->tables->len; t++) {
            for (ct = s->tables->pdata[t]; ct->name; ct++) {
                g_ptr_array_add(all, (gpointer)ct);
            }
        }
        g_ptr_array_sort(all, qemuio_cmd_compare);
        for (guint i = 0; i < all->len; i++) {
            ct = all->pdata[i];
            qemuio_help_oneline(s, ct->name, ct);
        }
        qemuio_printf(s, "\nUse 'help commandname' for extended help.\n");
        return 0;
    }
    ct = qemuio_find(s, argv[1]);
    if (!ct) {
        qemuio_printf(s, "command %s not found\n", argv[1]);
        return -EINVAL;
    }
    qemuio_help_oneline(s, argv[1], ct);
    if (ct->help) {
        qemuio_printf(s, "%s", ct->help);
    }
    return 0;
}
