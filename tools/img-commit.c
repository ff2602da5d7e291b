/*
 * minivm-img commit [-q] [-f fmt] [-t cache] [-b base] [-r rate_limit] [-d] [-p] filename
 *
 * Copies everything the image and its backing files above 'base' (default:
 * the image's own backing file) allocate into base, growing base if the
 * image is larger: data is copied, ranges that read as zeroes become zero
 * writes.  There is no job layer yet, so the copy runs here directly.
 * Then, unless -d, the image is emptied as qemu-img does it: every cluster
 * is deallocated (the image is cut to length 0 and grown back, which keeps
 * its header and backing file), so it shows base's (now equal) content.
 * Intermediate images keep their data and their place in the chain.
 */
#include "tools/img-common.h"

#define COMMIT_CHUNK (2 * MiB)

typedef struct Commit {
    BlockBackend *top, *base;
    BlockDriverState *top_bs, *base_bs;
    int64_t len, done;
    uint8_t *buf;
    int ret;
    const char *failed; /* what failed, for the message */
} Commit;

static int coroutine_fn commit_copy_range(Commit *c, int64_t offset, int64_t bytes)
{
    while (bytes > 0) {
        int64_t pnum;
        int ret = bdrv_co_block_status_above(c->top_bs, c->base_bs, offset, bytes, &pnum, NULL,
                                             NULL, NULL);

        if (ret < 0) {
            c->failed = "reading block status";
            return ret;
        }
        pnum = MIN(pnum, COMMIT_CHUNK);
        if (ret & BDRV_BLOCK_DATA) {
            QEMUIOVector qiov;

            qemu_iovec_init_buf(&qiov, c->buf, pnum);
            ret = blk_co_preadv(c->top, offset, pnum, &qiov, 0);
            if (ret < 0) {
                c->failed = "reading";
                return ret;
            }
            ret = blk_co_pwritev(c->base, offset, pnum, &qiov, 0);
        } else {
            ret = blk_co_pwrite_zeroes(c->base, offset, pnum, BDRV_REQ_MAY_UNMAP);
        }
        if (ret < 0) {
            c->failed = "writing";
            return ret;
        }
        offset += pnum;
        bytes -= pnum;
    }
    return 0;
}

static void coroutine_fn commit_entry(void *opaque)
{
    Commit *c = opaque;
    int64_t offset = 0;

    while (offset < c->len) {
        int64_t n = MIN(COMMIT_CHUNK, c->len - offset);
        int ret = bdrv_co_is_allocated_above(c->top_bs, c->base_bs, false, offset, n, &n);

        if (ret < 0) {
            c->failed = "reading block status";
            c->ret = ret;
            return;
        }
        if (ret) {
            ret = commit_copy_range(c, offset, n);
            if (ret < 0) {
                c->ret = ret;
                return;
            }
        }
        offset += n;
        img_progress_print(100.0 * offset / c->len, 0);
    }
    c->ret = blk_co_flush(c->base);
    if (c->ret < 0) {
        c->failed = "flushing";
    }
}

/* Makes base writable and copies; false with errp set. */
static bool commit_run(Commit *c, Error **errp)
{
    int64_t base_len;

    if (bdrv_reopen_set_read_only(c->base_bs, false, errp) < 0) {
        return false;
    }
    c->base = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_RESIZE, BLK_PERM_ALL);
    if (!blk_insert_bs(c->base, c->base_bs, errp)) {
        return false;
    }
    c->len = blk_getlength(c->top);
    base_len = blk_getlength(c->base);
    if (c->len < 0 || base_len < 0) {
        error_setg_errno(errp, (int)-(c->len < 0 ? c->len : base_len), "Could not get length");
        return false;
    }
    /* Base must hold all of the image. */
    if (base_len < c->len && blk_truncate(c->base, c->len, false, PREALLOC_MODE_OFF, 0, errp) < 0) {
        return false;
    }
    c->buf = img_buf_alloc(COMMIT_CHUNK);
    img_run_co(commit_entry, c);
    img_buf_free(c->buf);
    if (c->ret < 0) {
        error_setg_errno(errp, -c->ret, "Error while %s", c->failed);
        return false;
    }
    return true;
}

/* Deallocates every cluster of the image, keeping its header and size. */
static bool commit_make_empty(Commit *c, const char *filename, Error **errp)
{
    int64_t len = blk_getlength(c->top);

    if (blk_set_perm(c->top, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_RESIZE,
                     BLK_PERM_ALL, errp) < 0) {
        return false;
    }
    if (blk_truncate(c->top, 0, false, PREALLOC_MODE_OFF, 0, errp) < 0 ||
        blk_truncate(c->top, len, false, PREALLOC_MODE_OFF, 0, errp) < 0) {
        error_prepend(errp, "Could not empty %s: ", filename);
        return false;
    }
    return true;
}

int img_commit(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *fmt = NULL, *cache = "writeback", *base = NULL, *filename;
    bool progress = false, quiet = false, drop = false;
    ImgOpen o = {.flags = BDRV_O_RDWR | BDRV_O_UNMAP};
    Commit c = {0};
    Error *err = NULL;
    int ch;

    while ((ch = getopt_long(argc, argv, ":f:ht:b:dpqr:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            fmt = optarg;
            break;
        case 't':
            cache = optarg;
            break;
        case 'b':
            base = optarg;
            /* A base below the backing file means the image is not emptied. */
            drop = true;
            break;
        case 'd':
            drop = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'r':
            /* The copy is not a rate-limited job; the value is checked only. */
            if (img_cvtnum("rate limit", optarg) < 0) {
                return 1;
            }
            break;
        default:
            img_bad_option(ch, argv);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
    }
    filename = argv[optind];

    img_progress_init(progress, 1.f);
    img_progress_print(0.f, 100);

    o.fmt = fmt;
    if (!img_parse_cache(cache, &o.flags, &o.writethrough)) {
        error_report("Invalid cache option: %s", cache);
        img_progress_end();
        return 1;
    }
    c.top = img_open(filename, &o);
    if (!c.top) {
        img_progress_end();
        return 1;
    }
    c.top_bs = blk_bs(c.top);
    if (base) {
        c.base_bs = bdrv_find_backing_image(c.top_bs, base);
        if (!c.base_bs) {
            error_setg(&err, "Did not find '%s' in the backing chain of '%s'", base, filename);
            goto done;
        }
    } else {
        c.base_bs = bdrv_backing_bs(c.top_bs);
        if (!c.base_bs) {
            error_setg(&err, "Image does not have a backing file");
            goto done;
        }
    }
    if (!commit_run(&c, &err)) {
        goto done;
    }
    if (!drop) {
        commit_make_empty(&c, filename, &err);
    }
done:
    img_progress_end();
    if (c.base) {
        blk_unref(c.base);
    }
    blk_unref(c.top);
    if (err) {
        error_report_err(err);
        return 1;
    }
    img_printf(quiet, "Image committed.\n");
    return 0;
}
