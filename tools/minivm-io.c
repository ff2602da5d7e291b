/*
 * minivm-io: qemu-io on minivm's block layer.
 *
 *   minivm-io [-f fmt] [-r] [-c CMD]... [--image-opts] [-U] [-t cache]
 *             [-i aio] [-d discard] [-n] [-k] [-m] [-q] [filename]
 *
 * Runs each -c command in order, or reads commands from stdin after a
 * "qemu-io> " prompt when there is none.  Exits 1 if any command failed,
 * as qemu-io does.  Besides the interpreter's commands it has open, close
 * and quit, which only a stand-alone program can offer.  -q (quiet, no
 * statistics lines) is minivm's own.
 */
#include "util/osdep.h"

#include <fcntl.h>
#include <getopt.h>

#include "block/blockdev.h"
#include "config-host.h"
#include "system/opts.h"
#include "tools/qemu-io.h"
#include "util/main-loop.h"

typedef struct MinivmIO {
    QemuIOSession *s;
    BlockBackend *blk;
    bool image_opts; /* --image-opts: file names are option strings */
    bool quit;
    /* interactive input, read as the main loop sees it arrive */
    GString *input;
    bool input_eof;
} MinivmIO;

static void minivm_io_sink(void *opaque, QemuIOStream stream, const char *text)
{
    if (stream == QEMUIO_STDERR) {
        /* keep the order in which things happened when both go to one place */
        fflush(stdout);
        fputs(text, stderr);
    } else {
        fputs(text, stdout);
    }
}

/* ---------------------------------------------------------------- opening */

/* Merges the members of src into dst, recursing into objects; src wins. */
static void minivm_io_merge(json_t *dst, json_t *src)
{
    const char *key;
    json_t *v;

    json_object_foreach(src, key, v)
    {
        json_t *have = json_object_get(dst, key);

        if (json_is_object(have) && json_is_object(v)) {
            minivm_io_merge(have, v);
        } else {
            json_object_set(dst, key, v);
        }
    }
}

/*
 * Opens the node tree for a file name and/or options the way qemu-io's
 * blk_new_open() understands them: "driver" names the format, and without
 * a file name the image's name may come from "filename" or "file.filename".
 */
static BlockDriverState *minivm_io_open_bs(const char *name, json_t *opts, int flags, Error **errp)
{
    g_autofree char *format = g_strdup(json_string_value(json_object_get(opts, "driver")));
    g_autofree char *path = g_strdup(name);
    json_t *file = json_object_get(opts, "file");

    json_object_del(opts, "driver");
    if (!path && json_is_string(json_object_get(opts, "filename"))) {
        path = g_strdup(json_string_value(json_object_get(opts, "filename")));
        json_object_del(opts, "filename");
    } else if (!path && json_is_object(file) && !json_object_get(file, "driver") &&
               json_is_string(json_object_get(file, "filename"))) {
        path = g_strdup(json_string_value(json_object_get(file, "filename")));
        json_object_del(file, "filename");
        if (!json_object_size(file)) {
            json_object_del(opts, "file");
        }
    }
    return bdrv_open_image(path, format, opts, flags, errp);
}

/* With its hint ("Is another process using the image ...?"), on stderr. */
static void minivm_io_report_open_error(const char *prefix, Error *err)
{
    fflush(stdout);
    error_reportf_err(err, "%s", prefix);
}

/*
 * qemu-io's openfile(): one image at a time, the backend taking what the
 * flags ask for and sharing everything.  Takes opts (may be NULL).
 */
static int minivm_io_openfile(MinivmIO *m, const char *name, int flags, bool writethrough,
                              bool force_share, json_t *opts)
{
    g_autofree char *prefix =
        g_strdup_printf("can't open%s%s: ", name ? " device " : "", name ? name : "");
    BlockDriverState *bs;
    BlockBackend *blk;
    Error *err = NULL;
    int ret = -EINVAL;

    if (!opts) {
        opts = json_object();
    }
    if (m->blk) {
        qemuio_error(m->s, "file open already, try 'help close'");
        goto out;
    }
    if (force_share) {
        json_t *v = json_object_get(opts, "force-share");

        if (v && !json_is_true(v) && !(json_is_string(v) && !strcmp(json_string_value(v), "on"))) {
            qemuio_error(m->s, "-U conflicts with image options");
            goto out;
        }
        json_object_set_new(opts, "force-share", json_string("on"));
        /*
         * QEMU's children inherit force-share; bdrv_open_image() passes on
         * only read-only and cache, so tell the protocol node directly.
         */
        v = json_object_get(opts, "file");
        if (!v && name && !g_str_has_prefix(name, "json:")) {
            v = json_object();
            json_object_set_new(opts, "file", v);
        }
        if (json_is_object(v) && !json_object_get(v, "force-share")) {
            json_object_set_new(v, "force-share", json_string("on"));
        }
    }
    bs = minivm_io_open_bs(name, opts, flags, &err);
    if (!bs) {
        minivm_io_report_open_error(prefix, err);
        goto out;
    }
    blk = blk_new(BLK_PERM_CONSISTENT_READ | ((flags & BDRV_O_RDWR) ? BLK_PERM_WRITE : 0),
                  BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, &err)) {
        minivm_io_report_open_error(prefix, err);
        blk_unref(blk);
        bdrv_unref(bs);
        goto out;
    }
    bdrv_unref(bs);
    blk_set_enable_write_cache(blk, !writethrough);
    m->blk = blk;
    qemuio_session_set_blk(m->s, blk);
    ret = 0;
out:
    json_decref(opts);
    return ret;
}

static void minivm_io_closefile(MinivmIO *m)
{
    if (m->blk) {
        /* outstanding aio_ requests complete (and report) first */
        blk_drain(m->blk);
        qemuio_session_set_blk(m->s, NULL);
        blk_unref(m->blk);
        m->blk = NULL;
    }
}

/* Parses an option string into *opts (merged with what is there). */
static bool minivm_io_add_opts(MinivmIO *m, json_t **opts, const char *str)
{
    Error *err = NULL;
    json_t *o = keyval_parse(str, NULL, &err);

    if (!o) {
        qemuio_error_err(m->s, err);
        return false;
    }
    if (!*opts) {
        *opts = o;
        return true;
    }
    minivm_io_merge(*opts, o);
    json_decref(o);
    return true;
}

/* ---------------------------------------------------------------- commands */

static int minivm_io_open_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    MinivmIO *m = qemuio_session_opaque(s);
    bool readonly = false, writethrough = true, force_share = false;
    json_t *opts = NULL;
    int flags = 0, c;

    /* getopt's state is reset for every command line */
    optind = 0;
    opterr = 0;
    while ((c = getopt(argc, argv, ":snCro:ki:t:d:Uf:")) != -1) {
        const char *err = NULL;

        switch (c) {
        case 's':
            err = "snapshot mode (-s) is not supported";
            break;
        case 'C':
            err = "copy-on-read (-C) is not supported";
            break;
        case 'n':
            flags |= BDRV_O_NOCACHE;
            writethrough = false;
            break;
        case 'r':
            readonly = true;
            break;
        case 'k':
            flags |= BDRV_O_NATIVE_AIO;
            break;
        case 't':
            if (qemuio_parse_cache_mode(optarg, &flags, &writethrough) < 0) {
                qemuio_error(s, "Invalid cache option: %s", optarg);
                json_decref(opts);
                return -EINVAL;
            }
            break;
        case 'd':
            if (qemuio_parse_discard(optarg, &flags) < 0) {
                qemuio_error(s, "Invalid discard option: %s", optarg);
                json_decref(opts);
                return -EINVAL;
            }
            break;
        case 'i':
            if (qemuio_parse_aio(optarg, &flags) < 0) {
                qemuio_error(s, "Invalid aio option: %s", optarg);
                json_decref(opts);
                return -EINVAL;
            }
            break;
        case 'o':
            if (m->image_opts) {
                qemuio_printf(s, "--image-opts and 'open -o' are mutually exclusive\n");
                json_decref(opts);
                return -EINVAL;
            }
            if (!minivm_io_add_opts(m, &opts, optarg)) {
                json_decref(opts);
                return -EINVAL;
            }
            break;
        case 'f': {
            /* minivm's shorthand for -o driver=FMT */
            g_autofree char *o = g_strdup_printf("driver=%s", optarg);

            if (!minivm_io_add_opts(m, &opts, o)) {
                json_decref(opts);
                return -EINVAL;
            }
            break;
        }
        case 'U':
            force_share = true;
            break;
        case ':':
            qemuio_eprintf(s, "%s: option requires an argument -- '%c'\n", argv[0], optopt);
            json_decref(opts);
            return qemuio_usage(s);
        default:
            qemuio_eprintf(s, "%s: invalid option -- '%c'\n", argv[0], optopt);
            json_decref(opts);
            return qemuio_usage(s);
        }
        if (err) {
            qemuio_error(s, "%s", err);
            json_decref(opts);
            return -ENOTSUP;
        }
    }
    if (!readonly) {
        flags |= BDRV_O_RDWR;
    }
    if (m->image_opts && optind == argc - 1) {
        if (!minivm_io_add_opts(m, &opts, argv[optind])) {
            json_decref(opts);
            return -EINVAL;
        }
        optind++;
    }
    if (optind == argc - 1) {
        return minivm_io_openfile(m, argv[optind], flags, writethrough, force_share, opts);
    }
    if (optind == argc) {
        return minivm_io_openfile(m, NULL, flags, writethrough, force_share, opts);
    }
    json_decref(opts);
    return qemuio_usage(s);
}

static int minivm_io_close_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    minivm_io_closefile(qemuio_session_opaque(s));
    return 0;
}

static int minivm_io_quit_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    MinivmIO *m = qemuio_session_opaque(s);

    m->quit = true;
    return 0;
}

static const char minivm_io_open_help[] =
    "\n"
    " opens an image for the other commands\n"
    "\n"
    " Example:\n"
    " 'open -n -o driver=raw /tmp/data' - opens a raw file read-write, bypassing the host "
    "cache\n"
    "\n"
    " -r, -- open read-only\n"
    " -s, -- use a temporary snapshot (not supported by minivm)\n"
    " -C, -- copy-on-read (not supported by minivm)\n"
    " -n, -- bypass the host cache, same as -t none\n"
    " -U, -- share every permission with other users of the image\n"
    " -k, -- use Linux native AIO (or say -i native)\n"
    " -i, -- AIO mode: threads, native or io_uring\n"
    " -t, -- cache mode: none, directsync, writeback, unsafe or writethrough\n"
    " -d, -- discard mode: ignore or unmap\n"
    " -o, -- block driver options (key=value,...)\n"
    " -f, -- the image format, same as -o driver=FMT (minivm only)\n"
    "\n";

static const QemuIOCommand minivm_io_cmds[] = {
    {
        .name = "open",
        .altname = "o",
        .fn = minivm_io_open_f,
        .argmin = 1,
        .argmax = -1,
        .flags = QEMUIO_CMD_GLOBAL,
        .args = "[-rsCnkU] [-t cache] [-d discard] [-o options] [path]",
        .oneline = "open the file specified by path",
        .help = minivm_io_open_help,
    },
    {
        .name = "close",
        .altname = "c",
        .fn = minivm_io_close_f,
        .oneline = "close the current open file",
    },
    {
        .name = "quit",
        .altname = "q",
        .fn = minivm_io_quit_f,
        .flags = QEMUIO_CMD_GLOBAL,
        .oneline = "exit the program",
    },
    {NULL},
};

/* ---------------------------------------------------------------- interactive */

static void minivm_io_stdin_ready(void *opaque)
{
    MinivmIO *m = opaque;
    char chunk[4096];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

    if (n > 0) {
        g_string_append_len(m->input, chunk, n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        m->input_eof = true;
    }
}

/* The next line from stdin (without its newline), or NULL at the end. */
static char *minivm_io_read_line(MinivmIO *m)
{
    for (;;) {
        char *nl = memchr(m->input->str, '\n', m->input->len);

        if (nl) {
            char *line = g_strndup(m->input->str, nl - m->input->str);

            g_string_erase(m->input, 0, nl - m->input->str + 1);
            return line;
        }
        if (m->input_eof) {
            char *rest = m->input->len ? g_strdup(m->input->str) : NULL;

            g_string_truncate(m->input, 0);
            return rest;
        }
        /* completions of aio_ requests print while we wait */
        qemu_set_fd_handler(STDIN_FILENO, minivm_io_stdin_ready, NULL, m);
        main_loop_iterate(true);
        qemu_set_fd_handler(STDIN_FILENO, NULL, NULL, NULL);
        qemuio_poll(m->s);
    }
}

static int minivm_io_interactive(MinivmIO *m)
{
    int last_error = 0;
    char *line;

    m->input = g_string_new(NULL);
    while (!m->quit) {
        int ret;

        printf("qemu-io> ");
        fflush(stdout);
        line = minivm_io_read_line(m);
        if (!line) {
            break;
        }
        ret = qemuio_command(m->s, line);
        if (ret < 0) {
            last_error = ret;
        }
        g_free(line);
    }
    g_string_free(m->input, true);
    return last_error;
}

/* ---------------------------------------------------------------- main */

static void minivm_io_usage(const char *progname)
{
    printf("Usage: %s [OPTIONS]... [-c STRING]... [file]\n"
           "minivm's disk exerciser (qemu-io's command set)\n"
           "\n"
           "  --object OBJECTDEF   not supported by minivm\n"
           "  --image-opts         the file is an option string (key=value,...)\n"
           "  -c, --cmd STRING     run this command; may be repeated\n"
           "  -f, --format FMT     the image format\n"
           "  -r, --read-only      open the image read-only\n"
           "  -s, --snapshot       not supported by minivm\n"
           "  -n, --nocache        bypass the host cache, same as -t none\n"
           "  -C, --copy-on-read   not supported by minivm\n"
           "  -m, --misalign       misalign I/O buffers (exercises O_DIRECT paths)\n"
           "  -k, --native-aio     use Linux native AIO (or say -i native)\n"
           "  -i, --aio=MODE       AIO mode: threads, native or io_uring\n"
           "  -t, --cache=MODE     cache mode for the image\n"
           "  -d, --discard=MODE   discard mode for the image\n"
           "  -T, --trace ...      accepted and ignored\n"
           "  -U, --force-share    share every permission with other users\n"
           "  -q, --quiet          print no statistics after I/O (minivm only)\n"
           "  -h, --help           print this help and exit\n"
           "  -V, --version        print the version and exit\n"
           "\n"
           "See '%s -c help' for the commands.\n",
           progname, progname);
}

enum { OPT_OBJECT = 256, OPT_IMAGE_OPTS };

static const struct option minivm_io_long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"format", required_argument, NULL, 'f'},
    {"cmd", required_argument, NULL, 'c'},
    {"read-only", no_argument, NULL, 'r'},
    {"snapshot", no_argument, NULL, 's'},
    {"nocache", no_argument, NULL, 'n'},
    {"copy-on-read", no_argument, NULL, 'C'},
    {"misalign", no_argument, NULL, 'm'},
    {"native-aio", no_argument, NULL, 'k'},
    {"discard", required_argument, NULL, 'd'},
    {"cache", required_argument, NULL, 't'},
    {"aio", required_argument, NULL, 'i'},
    {"trace", required_argument, NULL, 'T'},
    {"version", no_argument, NULL, 'V'},
    {"object", required_argument, NULL, OPT_OBJECT},
    {"image-opts", no_argument, NULL, OPT_IMAGE_OPTS},
    {"force-share", no_argument, NULL, 'U'},
    {"quiet", no_argument, NULL, 'q'},
    {NULL, 0, NULL, 0},
};

typedef struct MinivmIOArgs {
    GPtrArray *cmds;
    const char *format;
    const char *file;
    int flags;
    unsigned session_flags;
    bool readonly, writethrough, force_share, image_opts;
} MinivmIOArgs;

/* Parses the command line; returns -1 to go on, else the exit status. */
static int minivm_io_parse_args(int argc, char **argv, const char *progname, MinivmIOArgs *a)
{
    const char *fail = NULL;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hVc:d:f:rsnCmki:t:T:Uq", minivm_io_long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 'h':
            minivm_io_usage(progname);
            return 0;
        case 'V':
            printf("%s version 7.2.0 (%s)\nCopyright (c) 2026 the minivm developers\n", progname,
                   MINIVM_PKGVERSION);
            return 0;
        case 'c':
            g_ptr_array_add(a->cmds, optarg);
            break;
        case 'f':
            a->format = optarg;
            break;
        case 'r':
            a->readonly = true;
            break;
        case 'n':
            a->flags |= BDRV_O_NOCACHE;
            a->writethrough = false;
            break;
        case 'm':
            a->session_flags |= QEMUIO_MISALIGN;
            break;
        case 'k':
            a->flags |= BDRV_O_NATIVE_AIO;
            break;
        case 'q':
            a->session_flags |= QEMUIO_QUIET;
            break;
        case 'T':
            break; /* no trace points to enable */
        case 'U':
            a->force_share = true;
            break;
        case OPT_IMAGE_OPTS:
            a->image_opts = true;
            break;
        case 'd':
            if (qemuio_parse_discard(optarg, &a->flags) < 0) {
                fprintf(stderr, "%s: Invalid discard option: %s\n", progname, optarg);
                return 1;
            }
            break;
        case 'i':
            if (qemuio_parse_aio(optarg, &a->flags) < 0) {
                fprintf(stderr, "%s: Invalid aio option: %s\n", progname, optarg);
                return 1;
            }
            break;
        case 't':
            if (qemuio_parse_cache_mode(optarg, &a->flags, &a->writethrough) < 0) {
                fprintf(stderr, "%s: Invalid cache option: %s\n", progname, optarg);
                return 1;
            }
            break;
        case 's':
            fail = "snapshot mode (-s) is not supported";
            break;
        case 'C':
            fail = "copy-on-read (-C) is not supported";
            break;
        case OPT_OBJECT:
            fail = "--object is not supported";
            break;
        case ':':
            if (optopt) {
                fprintf(stderr, "%s: option requires an argument -- '%c'\n", progname, optopt);
            } else {
                fprintf(stderr, "%s: option '%s' requires an argument\n", progname,
                        argv[optind - 1]);
            }
            minivm_io_usage(progname);
            return 1;
        default:
            if (optopt) {
                fprintf(stderr, "%s: invalid option -- '%c'\n", progname, optopt);
            } else {
                fprintf(stderr, "%s: unrecognized option '%s'\n", progname, argv[optind - 1]);
            }
            minivm_io_usage(progname);
            return 1;
        }
        if (fail) {
            fprintf(stderr, "%s: %s\n", progname, fail);
            return 1;
        }
    }
    if (argc - optind > 1) {
        minivm_io_usage(progname);
        return 1;
    }
    if (a->format && a->image_opts) {
        fprintf(stderr, "%s: --image-opts and -f are mutually exclusive\n", progname);
        return 1;
    }
    a->file = optind < argc ? argv[optind] : NULL;
    return -1;
}

/* Opens the image named on the command line; false if that failed. */
static bool minivm_io_open_initial(MinivmIO *m, MinivmIOArgs *a)
{
    int flags = a->flags | (a->readonly ? 0 : BDRV_O_RDWR);
    json_t *opts = NULL;

    if (a->image_opts) {
        if (!minivm_io_add_opts(m, &opts, a->file)) {
            return false;
        }
        return minivm_io_openfile(m, NULL, flags, a->writethrough, a->force_share, opts) == 0;
    }
    if (a->format) {
        opts = json_pack("{ss}", "driver", a->format);
    }
    return minivm_io_openfile(m, a->file, flags, a->writethrough, a->force_share, opts) == 0;
}

int main(int argc, char **argv)
{
    g_autofree char *progname = g_path_get_basename(argv[0]);
    MinivmIOArgs a = {.cmds = g_ptr_array_new(), .writethrough = true};
    MinivmIO m = {0};
    int status, last_error = 0;

    error_set_progname(progname);
    status = minivm_io_parse_args(argc, argv, progname, &a);
    if (status >= 0) {
        g_ptr_array_free(a.cmds, true);
        return status;
    }

    /* a closed stdin is the end of the input (checked before fd 0 is reused) */
    m.input_eof = fcntl(STDIN_FILENO, F_GETFD) < 0;
    main_loop_init();
    bdrv_init();
    m.image_opts = a.image_opts;
    m.s = qemuio_session_new(minivm_io_sink, &m, progname);
    qemuio_session_set_flags(m.s, a.session_flags | QEMUIO_REPORT_BLKDEBUG);
    qemuio_session_add_commands(m.s, minivm_io_cmds);

    if (a.file && !minivm_io_open_initial(&m, &a)) {
        last_error = -EINVAL;
    } else if (a.cmds->len) {
        for (guint i = 0; i < a.cmds->len && !m.quit; i++) {
            int ret = qemuio_command(m.s, a.cmds->pdata[i]);

            if (ret < 0) {
                last_error = ret;
            }
        }
    } else {
        last_error = minivm_io_interactive(&m);
    }

    minivm_io_closefile(&m);
    blockdev_close_all();
    qemuio_session_free(m.s);
    g_ptr_array_free(a.cmds, true);
    fflush(stdout);
    return last_error ? 1 : 0;
}
