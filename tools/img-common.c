/*
 * minivm-img: diagnostics, number parsing, output, opening images and the
 * progress line, shared by every command.
 */
#include "tools/img-common.h"

#include <math.h>

#include "block/block_int.h"
#include "monitor/json-stream.h"
#include "qapi/qapi-json.h"

/* ---------------------------------------------------------------- diagnostics */

void img_error_exit(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", error_get_progname());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information\n", error_get_progname());
    exit(EXIT_FAILURE);
}

void img_bad_option(int c, char **argv)
{
    if (c == 'h') {
        img_help();
    }
    if (c == ':') {
        img_error_exit("missing argument for option '%s'", argv[optind - 1]);
    }
    img_error_exit("unrecognized option '%s'", argv[optind - 1]);
}

void img_printf(bool quiet, const char *fmt, ...)
{
    va_list ap;

    if (quiet) {
        return;
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- numbers */

int64_t img_cvtnum_full(const char *what, const char *value, int64_t min, int64_t max)
{
    uint64_t v;
    int ret = qapi_strtosz(value, &v);

    if (ret < 0 && ret != -ERANGE) {
        error_report("Invalid %s specified. You may use k, M, G, T, P or E suffixes for", what);
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        return -1;
    }
    if (ret == -ERANGE || v > (uint64_t)max || (int64_t)v < min) {
        error_report("Invalid %s specified. Must be between %" PRId64 " and %" PRId64 ".", what,
                     min, max);
        return -1;
    }
    return (int64_t)v;
}

int64_t img_cvtnum(const char *what, const char *value)
{
    return img_cvtnum_full(what, value, 0, INT64_MAX);
}

char *img_size_to_str(uint64_t val)
{
    static const char *const units[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int exp;
    int unit;

    /*
     * Pick the unit that leaves an integer part below 1000 (not 1024), so
     * that "1000 KiB" reads "0.977 MiB" as qemu-img prints it.
     */
    frexp(val / (1000.0 / 1024.0), &exp);
    unit = exp > 0 ? (exp - 1) / 10 : 0;
    if (unit >= (int)ARRAY_SIZE(units)) {
        unit = ARRAY_SIZE(units) - 1;
    }
    return g_strdup_printf("%0.3g %sB", (double)val / (double)(1ULL << (unit * 10)), units[unit]);
}

/* ---------------------------------------------------------------- output */

bool img_parse_output(const char *arg, ImgOutputFormat *out)
{
    if (!strcmp(arg, "json")) {
        *out = IMG_OUTPUT_JSON;
    } else if (!strcmp(arg, "human")) {
        *out = IMG_OUTPUT_HUMAN;
    } else {
        error_report("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

void img_print_json(const json_t *v)
{
    json_t *ordered = qapi_json_qdict_order(v);
    char *text = json_stream_format(ordered, true);

    printf("%s\n", text);
    g_free(text);
    json_decref(ordered);
}

/* ---------------------------------------------------------------- opening */

bool img_parse_cache(const char *mode, int *flags, bool *writethrough)
{
    static const struct {
        const char *name;
        int flags;
        bool writethrough;
    } modes[] = {
        {"none", BDRV_O_NOCACHE, false},      {"off", BDRV_O_NOCACHE, false},
        {"directsync", BDRV_O_NOCACHE, true}, {"writeback", 0, false},
        {"unsafe", BDRV_O_NO_FLUSH, false},   {"writethrough", 0, true},
    };

    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(mode, modes[i].name)) {
            *flags = (*flags & ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)) | modes[i].flags;
            *writethrough = modes[i].writethrough;
            return true;
        }
    }
    return false;
}

bool img_parse_aio(const char *mode, int *flags)
{
    int f = *flags & ~(BDRV_O_NATIVE_AIO | BDRV_O_IO_URING);

    if (!strcmp(mode, "native")) {
        f |= BDRV_O_NATIVE_AIO;
    } else if (!strcmp(mode, "io_uring")) {
        f |= BDRV_O_IO_URING;
    } else if (strcmp(mode, "threads")) {
        return false;
    }
    *flags = f;
    return true;
}

/* A file name the 'file' protocol opens (no "proto:" prefix). */
static bool img_plain_file(const char *filename)
{
    const char *colon = strchr(filename, ':');
    const char *slash = strchr(filename, '/');

    return !colon || (slash && slash < colon);
}

BlockBackend *img_open_err(const char *filename, const ImgOpen *o, Error **errp)
{
    json_t *extra = json_object();
    BlockDriverState *bs;
    BlockBackend *blk;
    uint64_t perm = BLK_PERM_CONSISTENT_READ;
    int flags = o->flags;

    if (o->force_share) {
        json_object_set_new(extra, "force-share", json_true());
    }
    if (o->no_backing) {
        flags |= BDRV_O_NO_BACKING;
    }
    if (img_plain_file(filename)) {
        json_t *file = json_object();

        /* Unless asked for (flags), buffered I/O goes to worker threads. */
        if (o->aio_threads || !(flags & (BDRV_O_NATIVE_AIO | BDRV_O_IO_URING | BDRV_O_NOCACHE))) {
            json_object_set_new(file, "aio", json_string("threads"));
        }
        /* -U reaches the file too, whose locks are what conflict. */
        if (o->force_share) {
            json_object_set_new(file, "force-share", json_true());
        }
        json_object_set_new(extra, "file", file);
    }
    bs = bdrv_open_image(filename, o->fmt, extra, flags, errp);
    json_decref(extra);
    if (!bs) {
        return NULL;
    }
    if (o->flags & BDRV_O_RDWR) {
        perm |= BLK_PERM_WRITE;
    }
    if (o->resize) {
        perm |= BLK_PERM_RESIZE;
    }
    blk = blk_new(perm, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        bdrv_unref(bs);
        return NULL;
    }
    bdrv_unref(bs);
    blk_set_enable_write_cache(blk, !o->writethrough);
    return blk;
}

BlockBackend *img_open(const char *filename, const ImgOpen *o)
{
    Error *err = NULL;
    BlockBackend *blk = img_open_err(filename, o, &err);

    if (!blk) {
        error_reportf_err(err, "Could not open '%s': ", filename);
    }
    return blk;
}

char *img_path_combine(const char *base, const char *name)
{
    const char *colon = strchr(name, ':');
    const char *slash = strchr(name, '/');
    const char *last;

    if (name[0] == '/' || (colon && (!slash || colon < slash))) {
        return g_strdup(name);
    }
    last = strrchr(base, '/');
    if (!last) {
        return g_strdup(name);
    }
    return g_strdup_printf("%.*s%s", (int)(last - base + 1), base, name);
}

char *img_chain_name(BlockDriverState *top, const char *top_name, BlockDriverState *target)
{
    char *name = g_strdup(top_name);

    for (BlockDriverState *bs = top; bs; bs = bdrv_backing_bs(bs)) {
        char *next;

        if (bs == target) {
            return name;
        }
        if (!bs->backing_file[0]) {
            break;
        }
        next = img_path_combine(name, bs->backing_file);
        g_free(name);
        name = next;
    }
    g_free(name);
    return NULL;
}

void *img_buf_alloc(size_t size)
{
    void *p;

    if (posix_memalign(&p, 4096, size ? size : 1)) {
        error_report("Out of memory");
        abort();
    }
    memset(p, 0, size);
    return p;
}

void img_buf_free(void *buf)
{
    free(buf);
}

typedef struct ZeroCo {
    BlockBackend *blk;
    int64_t offset, bytes;
    BdrvRequestFlags flags;
    int ret;
} ZeroCo;

static void coroutine_fn img_zero_entry(void *opaque)
{
    ZeroCo *z = opaque;

    z->ret = blk_co_pwrite_zeroes(z->blk, z->offset, z->bytes, z->flags);
}

int img_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes, BdrvRequestFlags flags)
{
    ZeroCo z = {.blk = blk, .offset = offset, .bytes = bytes, .flags = flags};

    img_run_co(img_zero_entry, &z);
    return z.ret;
}

void img_run_co(CoroutineEntry *fn, void *opaque)
{
    coroutine_run_sync(fn, opaque);
}

/* ---------------------------------------------------------------- progress */

static struct {
    bool enabled;
    float current, last_print, min_skip;
} progress;

void img_progress_init(bool enabled, float min_skip)
{
    progress.enabled = enabled;
    progress.current = 0;
    progress.last_print = 0;
    progress.min_skip = min_skip;
}

void img_progress_print(float value, int max)
{
    float now = max ? progress.current + value * max / 100 : value;

    progress.current = now;
    if (now > progress.last_print + progress.min_skip ||
        now < progress.last_print - progress.min_skip || now == 0 || now == 100) {
        progress.last_print = now;
        if (progress.enabled) {
            printf("    (%3.2f/100%%)\r", now);
            fflush(stdout);
        }
    }
}

void img_progress_end(void)
{
    if (progress.enabled) {
        printf("\n");
        fflush(stdout);
    }
}

/* ---------------------------------------------------------------- -o options */

static void img_opt_free(gpointer p)
{
    ImgOpt *o = p;

    g_free(o->name);
    g_free(o->value);
    g_free(o);
}

/* Copies src up to an unescaped 'stop' (or ','), undoing ",," escapes. */
static const char *img_opts_token(const char *src, char stop, char **out)
{
    GString *s = g_string_new(NULL);

    while (*src) {
        if (*src == ',') {
            if (src[1] != ',') {
                break;
            }
            src++;
        } else if (*src == stop) {
            break;
        }
        g_string_append_c(s, *src++);
    }
    *out = g_string_free(s, false);
    return src;
}

void img_opts_parse(ImgOptList *l, const char *arg)
{
    const char *p = arg;

    if (!l->opts) {
        l->opts = g_ptr_array_new_with_free_func(img_opt_free);
    }
    while (*p) {
        ImgOpt *o = g_new0(ImgOpt, 1);

        p = img_opts_token(p, '=', &o->name);
        if (*p == '=') {
            p = img_opts_token(p + 1, '\0', &o->value);
        }
        if (*p == ',') {
            p++;
        }
        if (!strcmp(o->name, "help") || !strcmp(o->name, "?")) {
            l->help = true;
            img_opt_free(o);
            continue;
        }
        if (!o->name[0]) {
            img_opt_free(o);
            continue;
        }
        g_ptr_array_add(l->opts, o);
    }
}

const char *img_opts_get(const ImgOptList *l, const char *name)
{
    for (guint i = l->opts ? l->opts->len : 0; i > 0; i--) {
        ImgOpt *o = g_ptr_array_index(l->opts, i - 1);

        if (!strcmp(o->name, name)) {
            return o->value ? o->value : "on";
        }
    }
    return NULL;
}

bool img_opts_has(const ImgOptList *l, const char *name)
{
    return img_opts_get(l, name) != NULL;
}

void img_opts_set(ImgOptList *l, const char *name, const char *value)
{
    ImgOpt *o = g_new0(ImgOpt, 1);

    if (!l->opts) {
        l->opts = g_ptr_array_new_with_free_func(img_opt_free);
    }
    o->name = g_strdup(name);
    o->value = g_strdup(value);
    g_ptr_array_add(l->opts, o);
}

void img_opts_del(ImgOptList *l, const char *name)
{
    for (guint i = l->opts ? l->opts->len : 0; i > 0; i--) {
        ImgOpt *o = g_ptr_array_index(l->opts, i - 1);

        if (!strcmp(o->name, name)) {
            g_ptr_array_remove_index(l->opts, i - 1);
        }
    }
}

void img_opts_free(ImgOptList *l)
{
    if (l->opts) {
        g_ptr_array_free(l->opts, true);
        l->opts = NULL;
    }
}

bool img_opts_valid_list(const char *arg)
{
    size_t len = strlen(arg), i = len;

    if (!arg[0] || arg[0] == ',') {
        return false;
    }
    /* An odd run of trailing commas ends in an unescaped one. */
    while (i > 0 && arg[i - 1] == ',') {
        i--;
    }
    return (len - i) % 2 == 0;
}
