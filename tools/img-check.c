/*
 * minivm-img check [-q] [-f fmt] [--output=human|json] [-r leaks|all] [-T src_cache] [-U]
 *                  filename
 *
 * Exit codes as qemu-img: 0 clean, 1 check not completed, 2 corruptions,
 * 3 leaks only, 63 the format has no check.
 */
#include "tools/img-common.h"

#include "block/block_int.h"
#include "qapi/qapi-visit.h"

enum {
    OPTION_OUTPUT = 256,
};

typedef struct CheckCo {
    BlockDriverState *bs;
    BdrvCheckResult res;
    int fix;
    int ret;
} CheckCo;

static void coroutine_fn check_entry(void *opaque)
{
    CheckCo *cc = opaque;

    memset(&cc->res, 0, sizeof(cc->res));
    cc->ret = cc->bs->drv->bdrv_co_check(cc->bs, &cc->res, cc->fix);
}

/* Runs the driver's check; -ENOTSUP for formats without one. */
static int check_collect(BlockDriverState *bs, const char *filename, int fix, ImageCheck *check)
{
    CheckCo cc = {.bs = bs, .fix = fix};

    if (!bs->drv->bdrv_co_check) {
        return -ENOTSUP;
    }
    img_run_co(check_entry, &cc);
    if (cc.ret < 0) {
        return cc.ret;
    }

    check->filename = g_strdup(filename);
    check->format = g_strdup(bdrv_get_format_name(bs));
    check->check_errors = cc.res.check_errors;
    check->corruptions = cc.res.corruptions;
    check->has_corruptions = cc.res.corruptions != 0;
    check->leaks = cc.res.leaks;
    check->has_leaks = cc.res.leaks != 0;
    check->corruptions_fixed = cc.res.corruptions_fixed;
    check->has_corruptions_fixed = cc.res.corruptions_fixed != 0;
    check->leaks_fixed = cc.res.leaks_fixed;
    check->has_leaks_fixed = cc.res.leaks_fixed != 0;
    check->image_end_offset = cc.res.image_end_offset;
    check->has_image_end_offset = cc.res.image_end_offset != 0;
    check->total_clusters = cc.res.total_clusters;
    check->has_total_clusters = cc.res.total_clusters != 0;
    check->allocated_clusters = cc.res.allocated_clusters;
    check->has_allocated_clusters = cc.res.allocated_clusters != 0;
    check->fragmented_clusters = cc.res.fragmented_clusters;
    check->has_fragmented_clusters = cc.res.fragmented_clusters != 0;
    check->compressed_clusters = cc.res.compressed_clusters;
    check->has_compressed_clusters = cc.res.compressed_clusters != 0;
    return 0;
}

static void check_dump_human(ImageCheck *c, bool quiet)
{
    if (!c->corruptions && !c->leaks && !c->check_errors) {
        img_printf(quiet, "No errors were found on the image.\n");
    } else {
        if (c->corruptions) {
            img_printf(quiet,
                       "\n%" PRId64 " errors were found on the image.\n"
                       "Data may be corrupted, or further writes to the image may corrupt it.\n",
                       c->corruptions);
        }
        if (c->leaks) {
            img_printf(quiet,
                       "\n%" PRId64 " leaked clusters were found on the image.\n"
                       "This means waste of disk space, but no harm to data.\n",
                       c->leaks);
        }
        if (c->check_errors) {
            img_printf(quiet, "\n%" PRId64 " internal errors have occurred during the check.\n",
                       c->check_errors);
        }
    }
    if (c->total_clusters && c->allocated_clusters) {
        img_printf(quiet,
                   "%" PRId64 "/%" PRId64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% "
                   "compressed clusters\n",
                   c->allocated_clusters, c->total_clusters,
                   c->allocated_clusters * 100.0 / c->total_clusters,
                   c->fragmented_clusters * 100.0 / c->allocated_clusters,
                   c->compressed_clusters * 100.0 / c->allocated_clusters);
    }
    if (c->image_end_offset) {
        img_printf(quiet, "Image end offset: %" PRId64 "\n", c->image_end_offset);
    }
}

typedef struct CheckArgs {
    const char *filename, *fmt, *cache;
    ImgOutputFormat ofmt;
    int fix;
    bool quiet, force_share;
} CheckArgs;

static int check_run(CheckArgs *a)
{
    ImgOpen o = {.fmt = a->fmt, .force_share = a->force_share};
    ImageCheck *check;
    BlockBackend *blk;
    int ret;

    if (!img_parse_cache(a->cache, &o.flags, &o.writethrough)) {
        error_report("Invalid source cache option: %s", a->cache);
        return 1;
    }
    if (a->fix) {
        o.flags |= BDRV_O_RDWR;
    }
    blk = img_open(a->filename, &o);
    if (!blk) {
        return 1;
    }

    check = g_new0(ImageCheck, 1);
    ret = check_collect(blk_bs(blk), a->filename, a->fix, check);
    if (ret == -ENOTSUP) {
        error_report("This image format does not support checks");
        ret = 63;
        goto out;
    }
    if (ret < 0) {
        error_report("Check failed: %s", strerror(-ret));
        ret = 1;
        goto out;
    }
    if (check->corruptions_fixed || check->leaks_fixed) {
        int64_t leaks_fixed = check->leaks_fixed, corruptions_fixed = check->corruptions_fixed;

        if (a->ofmt == IMG_OUTPUT_HUMAN) {
            img_printf(a->quiet,
                       "The following inconsistencies were found and repaired:\n\n"
                       "    %" PRId64 " leaked clusters\n"
                       "    %" PRId64 " corruptions\n\n"
                       "Double checking the fixed image now...\n",
                       leaks_fixed, corruptions_fixed);
        }
        qapi_free_ImageCheck(check);
        check = g_new0(ImageCheck, 1);
        ret = check_collect(blk_bs(blk), a->filename, 0, check);
        if (ret < 0) {
            error_report("Check failed: %s", strerror(-ret));
            ret = 1;
            goto out;
        }
        check->leaks_fixed = leaks_fixed;
        check->has_leaks_fixed = leaks_fixed != 0;
        check->corruptions_fixed = corruptions_fixed;
        check->has_corruptions_fixed = corruptions_fixed != 0;
    }

    if (a->ofmt == IMG_OUTPUT_HUMAN) {
        check_dump_human(check, a->quiet);
    } else if (!a->quiet) {
        json_t *j = qapi_to_json_ImageCheck(check);

        img_print_json(j);
        json_decref(j);
    }

    if (check->check_errors) {
        error_report("Check failed");
        ret = 1;
    } else if (check->corruptions) {
        ret = 2;
    } else if (check->leaks) {
        ret = 3;
    } else {
        ret = 0;
    }
out:
    qapi_free_ImageCheck(check);
    blk_unref(blk);
    return ret;
}

int img_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, 'f'},
        {"repair", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, OPTION_OUTPUT},
        {"force-share", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    CheckArgs a = {.cache = "writeback", .ofmt = IMG_OUTPUT_HUMAN};
    const char *output = NULL;
    int c;

    while ((c = getopt_long(argc, argv, ":hf:r:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            a.fmt = optarg;
            break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                a.fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                a.fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                img_error_exit("Unknown option value for -r (expecting 'leaks' or 'all'): %s",
                               optarg);
            }
            break;
        case OPTION_OUTPUT:
            output = optarg;
            break;
        case 'T':
            a.cache = optarg;
            break;
        case 'q':
            a.quiet = true;
            break;
        case 'U':
            a.force_share = true;
            break;
        default:
            img_bad_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
    }
    a.filename = argv[optind];
    if (output && !img_parse_output(output, &a.ofmt)) {
        return 1;
    }
    return check_run(&a);
}
