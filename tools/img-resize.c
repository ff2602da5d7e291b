/*
 * minivm-img resize [-f fmt] [--preallocation=mode] [-q] [--shrink] filename [+|-]size
 */
#include "tools/img-common.h"

#include "qapi/qapi-json.h"

enum {
    OPTION_PREALLOCATION = 256,
    OPTION_SHRINK,
};

int img_resize(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"preallocation", required_argument, NULL, OPTION_PREALLOCATION},
        {"shrink", no_argument, NULL, OPTION_SHRINK},
        {NULL, 0, NULL, 0},
    };
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    ImgOpen o = {.flags = BDRV_O_RDWR, .resize = true};
    bool quiet = false, shrink = false;
    int64_t current, total, relative = 0;
    BlockBackend *blk = NULL;
    const char *size, *filename;
    uint64_t n;
    Error *err = NULL;
    int c, ret = -1;

    /* The size goes first: "-1G" must not look like an option to getopt. */
    if (argc < 3) {
        img_error_exit("Not enough arguments");
    }
    size = argv[--argc];
    while ((c = getopt_long(argc, argv, ":f:hq", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case OPTION_PREALLOCATION:
            prealloc = qapi_enum_parse(&PreallocMode_lookup, optarg, PREALLOC_MODE__MAX, NULL);
            if (prealloc == PREALLOC_MODE__MAX) {
                error_report("Invalid preallocation mode '%s'", optarg);
                return 1;
            }
            break;
        case OPTION_SHRINK:
            shrink = true;
            break;
        default:
            img_bad_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting image file name and size");
    }
    filename = argv[optind];

    if (size[0] == '+' || size[0] == '-') {
        relative = size[0] == '+' ? 1 : -1;
        size++;
    }
    if (qapi_strtosz(size, &n) < 0) {
        error_report("Parameter 'size' expects a non-negative number below 2^64");
        fprintf(stderr, "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, "
                        "peta-\nand exabytes, respectively.\n");
        return 1;
    }

    blk = img_open(filename, &o);
    if (!blk) {
        return 1;
    }
    current = blk_getlength(blk);
    if (current < 0) {
        error_report("Failed to inquire current image length: %s", strerror((int)-current));
        goto out;
    }
    total = relative ? current + (int64_t)n * relative : (int64_t)n;
    if (total <= 0) {
        error_report("New image size must be positive");
        goto out;
    }
    if (total <= current && prealloc != PREALLOC_MODE_OFF) {
        error_report("Preallocation can only be used for growing images");
        goto out;
    }
    if (total < current && !shrink) {
        error_report("Use the --shrink option to perform a shrink operation.");
        warn_report("Shrinking an image will delete all data beyond the shrunken image's end. "
                    "Before performing such an operation, make sure there is no important data "
                    "there.");
        goto out;
    }
    /* exact: the image must end up with the size asked for. */
    ret = blk_truncate(blk, total, true, prealloc, 0, &err);
    if (ret < 0) {
        error_report_err(err);
    } else {
        img_printf(quiet, "Image resized.\n");
    }
out:
    blk_unref(blk);
    return ret ? 1 : 0;
}
