/*
 * minivm-img rebase [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] [-U]
 *                   -b backing_file [-F backing_fmt] filename
 *
 * Safe mode keeps what the image shows: every range the image itself does
 * not allocate is read through the old and the new backing file, and where
 * they differ the old content is written into the image.  Only then is the
 * header switched to the new backing file, so a crash in between leaves a
 * consistent image.  -u only rewrites the header.
 */
#include "tools/img-common.h"

#include "block/block_int.h"

typedef struct AllocCo {
    BlockDriverState *top, *base;
    bool above;
    int64_t offset, bytes, pnum;
    int ret;
} AllocCo;

static void coroutine_fn rebase_alloc_entry(void *opaque)
{
    AllocCo *ac = opaque;

    if (ac->above) {
        ac->ret =
            bdrv_co_is_allocated_above(ac->top, ac->base, false, ac->offset, ac->bytes, &ac->pnum);
    } else {
        ac->ret = bdrv_co_is_allocated(ac->top, ac->offset, ac->bytes, &ac->pnum);
    }
}

static int rebase_is_allocated(BlockDriverState *top, BlockDriverState *base, bool above,
                               int64_t offset, int64_t *bytes)
{
    AllocCo ac = {.top = top, .base = base, .above = above, .offset = offset, .bytes = *bytes};

    img_run_co(rebase_alloc_entry, &ac);
    if (ac.ret >= 0) {
        *bytes = ac.pnum;
    }
    return ac.ret;
}

/* Sector-wise: does the first sector differ, and how far does that hold. */
static bool rebase_differ(const uint8_t *a, const uint8_t *b, int64_t bytes, int64_t *pnum)
{
    int64_t len = MIN(bytes, (int64_t)BDRV_SECTOR_SIZE);
    bool differ = memcmp(a, b, len) != 0;
    int64_t i = len;

    while (i < bytes) {
        len = MIN(bytes - i, (int64_t)BDRV_SECTOR_SIZE);
        if ((memcmp(a + i, b + i, len) != 0) != differ) {
            break;
        }
        i += len;
    }
    *pnum = i;
    return differ;
}

typedef struct Rebase {
    BlockBackend *blk, *old_backing, *new_backing;
    BlockDriverState *prefix; /* the new backing file is already below in the chain */
    const char *filename, *out_base;
} Rebase;

/* Copies what would change from the old backing chain into the image. */
static int rebase_copy(Rebase *r)
{
    BlockDriverState *bs = blk_bs(r->blk);
    int64_t size = blk_getlength(r->blk), old_size = 0, new_size = 0, n;
    uint8_t *buf_old = img_buf_alloc(IMG_IO_BUF_SIZE);
    uint8_t *buf_new = img_buf_alloc(IMG_IO_BUF_SIZE);
    float step = 0;
    int ret = 0;

    if (size < 0) {
        error_report("Could not get size of '%s': %s", r->filename, strerror((int)-size));
        ret = -1;
        goto out;
    }
    if (r->old_backing) {
        old_size = blk_getlength(r->old_backing);
        if (old_size < 0) {
            error_report("Could not get size of '%s': %s", bs->backing_file,
                         strerror((int)-old_size));
            ret = -1;
            goto out;
        }
    }
    if (r->new_backing) {
        new_size = blk_getlength(r->new_backing);
        if (new_size < 0) {
            error_report("Could not get size of '%s': %s", r->out_base, strerror((int)-new_size));
            ret = -1;
            goto out;
        }
    }
    if (size) {
        step = (float)100 / (size / MIN(size, IMG_IO_BUF_SIZE));
    }

    for (int64_t offset = 0; offset < size; offset += n) {
        bool old_is_zero = false;
        int64_t written = 0;

        n = MIN(IMG_IO_BUF_SIZE, size - offset);
        ret = rebase_is_allocated(bs, NULL, false, offset, &n);
        if (ret < 0) {
            error_report("error while reading image metadata: %s", strerror(-ret));
            goto out;
        }
        if (ret) {
            continue;
        }
        if (r->prefix) {
            /* Unchanged since the new backing file: nothing to do. */
            ret = rebase_is_allocated(bdrv_backing_bs(bs), r->prefix, true, offset, &n);
            if (ret < 0) {
                error_report("error while reading image metadata: %s", strerror(-ret));
                goto out;
            }
            if (!ret) {
                continue;
            }
        }

        /* Backing files may be shorter than the image: read zeroes there. */
        if (offset >= old_size) {
            memset(buf_old, 0, n);
            old_is_zero = true;
        } else {
            n = MIN(n, old_size - offset);
            ret = blk_pread(r->old_backing, offset, n, buf_old, 0);
            if (ret < 0) {
                error_report("error while reading from old backing file");
                goto out;
            }
        }
        if (offset >= new_size || !r->new_backing) {
            memset(buf_new, 0, n);
        } else {
            n = MIN(n, new_size - offset);
            ret = blk_pread(r->new_backing, offset, n, buf_new, 0);
            if (ret < 0) {
                error_report("error while reading from new backing file");
                goto out;
            }
        }

        while (written < n) {
            int64_t pnum;

            if (rebase_differ(buf_old + written, buf_new + written, n - written, &pnum)) {
                ret = old_is_zero
                          ? img_pwrite_zeroes(r->blk, offset + written, pnum, 0)
                          : blk_pwrite(r->blk, offset + written, pnum, buf_old + written, 0);
                if (ret < 0) {
                    error_report("Error while writing to COW image: %s", strerror(-ret));
                    goto out;
                }
            }
            written += pnum;
        }
        img_progress_print(step, 100);
    }
    ret = 0;
out:
    img_buf_free(buf_old);
    img_buf_free(buf_new);
    return ret;
}

/* Opens the old and the new backing file for comparing; false after reporting. */
static bool rebase_open_backings(Rebase *r, const char *out_basefmt, int src_flags,
                                 bool force_share)
{
    BlockDriverState *bs = blk_bs(r->blk);
    BlockDriverState *old = bdrv_backing_bs(bs);
    Error *err = NULL;

    if (old) {
        r->old_backing = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
        if (!blk_insert_bs(r->old_backing, old, &err)) {
            error_reportf_err(err,
                              "Could not reuse old backing file '%s': ", bdrv_get_node_name(old));
            return false;
        }
    }
    if (r->out_base[0]) {
        g_autofree char *path = img_path_combine(r->filename, r->out_base);
        ImgOpen o = {.fmt = out_basefmt, .flags = src_flags, .force_share = force_share};

        /* Rebasing onto an image further down the chain: reuse its node. */
        r->prefix = bdrv_find_backing_image(bs, path);
        if (r->prefix) {
            r->new_backing = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
            if (!blk_insert_bs(r->new_backing, r->prefix, &err)) {
                error_reportf_err(err, "Could not reuse backing file '%s': ", r->out_base);
                return false;
            }
        } else {
            r->new_backing = img_open_err(path, &o, &err);
            if (!r->new_backing) {
                error_reportf_err(err, "Could not open new backing file '%s': ", r->out_base);
                return false;
            }
        }
    }
    return true;
}

int img_rebase(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"force-share", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    const char *fmt = NULL, *cache = "writeback", *src_cache = "writeback";
    const char *out_base = NULL, *out_basefmt = NULL;
    bool unsafe = false, progress = false, quiet = false, force_share = false;
    Rebase r = {0};
    ImgOpen o = {0};
    int src_flags = 0;
    bool src_wt;
    Error *err = NULL;
    int c, ret = -1;

    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'F':
            out_basefmt = optarg;
            break;
        case 'b':
            out_base = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'p':
            progress = true;
            break;
        case 't':
            cache = optarg;
            break;
        case 'T':
            src_cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            force_share = true;
            break;
        default:
            img_bad_option(c, argv);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
    }
    if (!unsafe && !out_base) {
        img_error_exit("Must specify backing file (-b) or use unsafe mode (-u)");
    }
    r.filename = argv[optind];
    r.out_base = out_base ? out_base : "";

    img_progress_init(progress, 2.0);
    img_progress_print(0, 100);

    o.fmt = fmt;
    o.flags = BDRV_O_RDWR;
    o.no_backing = unsafe;
    if (!img_parse_cache(cache, &o.flags, &o.writethrough)) {
        error_report("Invalid cache option: %s", cache);
        goto out;
    }
    if (!img_parse_cache(src_cache, &src_flags, &src_wt)) {
        error_report("Invalid source cache option: %s", src_cache);
        goto out;
    }
    r.blk = img_open(r.filename, &o);
    if (!r.blk) {
        goto out;
    }
    if (out_basefmt && qapi_enum_parse(&BlockdevDriver_lookup, out_basefmt, -1, NULL) < 0) {
        error_report("Invalid format name: '%s'", out_basefmt);
        goto out;
    }
    if (!unsafe) {
        if (!rebase_open_backings(&r, out_basefmt, src_flags, force_share)) {
            goto out;
        }
        if (rebase_copy(&r) < 0) {
            goto out;
        }
    }

    if (r.out_base[0] && !out_basefmt) {
        error_report("Could not change the backing file to '%s': backing format must be "
                     "specified",
                     r.out_base);
        ret = -EINVAL;
    } else {
        ret = bdrv_change_backing_file(blk_bs(r.blk), r.out_base[0] ? r.out_base : NULL,
                                       r.out_base[0] ? out_basefmt : NULL, &err);
        if (ret < 0) {
            error_free(err);
            error_report("Could not change the backing file to '%s': %s", r.out_base,
                         ret == -ENOSPC ? "No space left in the file header" : strerror(-ret));
        }
    }
    img_progress_print(100, 0);
out:
    img_progress_end();
    if (r.old_backing) {
        blk_unref(r.old_backing);
    }
    if (r.new_backing) {
        blk_unref(r.new_backing);
    }
    if (r.blk) {
        blk_unref(r.blk);
    }
    return ret ? 1 : 0;
}
