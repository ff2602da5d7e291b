/*
 * minivm-img create [-f fmt] [-b backing [-F backing_fmt]] [-o options] [-u] [-q]
 *                   filename [size]
 */
#include "tools/img-create-opts.h"

/*
 * Opens the backing file the way the new image will (relative to its name,
 * read-only, sharing everything) to validate it and learn its size.
 */
static bool create_probe_backing(const char *filename, const char *backing, const char *backing_fmt,
                                 int64_t *size, Error **errp)
{
    g_autofree char *full = img_path_combine(filename, backing);
    ImgOpen o = {.fmt = backing_fmt, .force_share = true};
    BlockBackend *blk;

    blk = img_open_err(full, &o, errp);
    if (!blk) {
        error_append_hint(errp, "Could not open backing image.\n");
        return false;
    }
    if (!backing_fmt) {
        error_setg(errp, "Backing file specified without backing format");
        error_append_hint(errp, "Detected format of %s.", bdrv_get_format_name(blk_bs(blk)));
        blk_unref(blk);
        return false;
    }
    if (*size == -1) {
        *size = blk_getlength(blk);
        if (*size < 0) {
            error_setg_errno(errp, (int)-*size, "Could not get size of '%s'", backing);
            blk_unref(blk);
            return false;
        }
    }
    blk_unref(blk);
    return true;
}

typedef struct CreateArgs {
    const char *filename, *fmt, *base, *base_fmt;
    int64_t size; /* -1: not given */
    bool unsafe, quiet;
    ImgOptList opts;
} CreateArgs;

static bool create_do(CreateArgs *a, Error **errp)
{
    g_autofree char *listing = NULL;
    const char *backing;
    int64_t size;
    int ret;

    if (!img_create_fmt_check(a->fmt, errp) || !img_create_opts_validate(a->fmt, &a->opts, errp)) {
        return false;
    }
    if (img_opts_has(&a->opts, "size") && a->size != -1) {
        error_setg(errp, "The image size must be specified only once");
        return false;
    }
    if (a->base) {
        if (strcmp(a->fmt, "qcow2")) {
            error_setg(errp, "Backing file not supported for file format '%s'", a->fmt);
            return false;
        }
        img_opts_set(&a->opts, "backing_file", a->base);
    }
    if (a->base_fmt) {
        if (strcmp(a->fmt, "qcow2")) {
            error_setg(errp, "Backing file format not supported for file format '%s'", a->fmt);
            return false;
        }
        img_opts_set(&a->opts, "backing_fmt", a->base_fmt);
    }
    backing = img_opts_get(&a->opts, "backing_file");
    if (backing && !strcmp(a->filename, backing)) {
        error_setg(errp, "Error: Trying to create an image with the same filename as the "
                         "backing file");
        return false;
    }
    if (backing && !backing[0]) {
        error_setg(errp, "Expected backing file name, got empty string");
        return false;
    }
    size = img_opts_has(&a->opts, "size") ? img_create_opts_size(&a->opts) : a->size;
    if (backing && !a->unsafe) {
        if (!create_probe_backing(a->filename, backing, img_opts_get(&a->opts, "backing_fmt"),
                                  &size, errp)) {
            return false;
        }
    } else if (backing && !img_opts_has(&a->opts, "backing_fmt")) {
        error_setg(errp, "Backing file specified without backing format");
        return false;
    }
    if (size == -1) {
        error_setg(errp, "Image creation needs a size parameter");
        return false;
    }
    if (!img_opts_has(&a->opts, "size")) {
        g_autofree char *s = g_strdup_printf("%" PRId64, size);

        img_opts_set(&a->opts, "size", s);
    }

    listing = img_create_opts_string(a->fmt, &a->opts);
    img_printf(a->quiet, "Formatting '%s', fmt=%s %s\n", a->filename, a->fmt, listing);
    fflush(stdout);

    ret = img_create_image(a->filename, a->fmt, &a->opts, errp);
    if (ret == -EFBIG) {
        error_free_or_abort(errp);
        error_setg(errp, "The image size is too large for file format '%s'%s", a->fmt,
                   !strcmp(a->fmt, "qcow2") ? " (try using a larger cluster size)" : "");
    }
    return ret >= 0;
}

int img_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    CreateArgs a = {.fmt = "raw", .size = -1};
    g_autofree char *options = NULL;
    Error *err = NULL;
    int c, ret = 1;

    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", longopts, NULL)) != -1) {
        switch (c) {
        case 'F':
            a.base_fmt = optarg;
            break;
        case 'b':
            a.base = optarg;
            break;
        case 'f':
            a.fmt = optarg;
            break;
        case 'o':
            if (!img_opts_valid_list(optarg)) {
                error_report("Invalid option list: %s", optarg);
                goto out;
            }
            {
                char *joined =
                    options ? g_strdup_printf("%s,%s", options, optarg) : g_strdup(optarg);

                g_free(options);
                options = joined;
            }
            break;
        case 'q':
            a.quiet = true;
            break;
        case 'u':
            a.unsafe = true;
            break;
        default:
            img_bad_option(c, argv);
        }
    }

    a.filename = optind < argc ? argv[optind] : NULL;
    if (options) {
        img_opts_parse(&a.opts, options);
        if (a.opts.help) {
            ret = img_create_opts_help(a.fmt, a.filename);
            goto out;
        }
    }
    if (optind >= argc) {
        img_error_exit("Expecting image file name");
    }
    optind++;
    if (optind < argc) {
        a.size = img_cvtnum("image size", argv[optind++]);
        if (a.size < 0) {
            goto out;
        }
    }
    if (optind != argc) {
        img_error_exit("Unexpected argument: %s", argv[optind]);
    }

    if (!create_do(&a, &err)) {
        error_reportf_err(err, "%s: ", a.filename);
        goto out;
    }
    ret = 0;
out:
    img_opts_free(&a.opts);
    return ret;
}
