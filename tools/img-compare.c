/*
 * minivm-img compare [-f fmt] [-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] file1 file2
 *
 * Exit codes as qemu-img: 0 identical, 1 different, 2 an image could not be
 * opened, 3 block status failed, 4 a read failed.  Ranges both images
 * report as zeroes are not read; a range only one image allocates must read
 * as zeroes in it; a larger image must hold only zeroes past the smaller's
 * end (unless -s, where any size difference is a mismatch).
 */
#include "tools/img-common.h"

typedef struct CompareCo {
    BlockDriverState *bs;
    int64_t offset, bytes, pnum;
    int ret;
} CompareCo;

static void coroutine_fn compare_status_entry(void *opaque)
{
    CompareCo *cc = opaque;

    cc->ret = bdrv_co_block_status_above(cc->bs, NULL, cc->offset, cc->bytes, &cc->pnum, NULL, NULL,
                                         NULL);
}

static int compare_status(BlockBackend *blk, int64_t offset, int64_t bytes, int64_t *pnum)
{
    CompareCo cc = {.bs = blk_bs(blk), .offset = offset, .bytes = bytes};

    img_run_co(compare_status_entry, &cc);
    *pnum = cc.pnum;
    return cc.ret;
}

/*
 * Compares a and b in sectors: returns whether the first sector differs,
 * and in *pnum how many bytes from the start share that verdict.
 */
static bool compare_sectors(const uint8_t *a, const uint8_t *b, int64_t bytes, int64_t *pnum)
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

/* Offset of the first non-zero sector of buf, or -1. */
static int64_t compare_find_nonzero(const uint8_t *buf, int64_t bytes)
{
    for (int64_t i = 0; i < bytes; i += BDRV_SECTOR_SIZE) {
        if (!buffer_is_zero(buf + i, MIN(bytes - i, (int64_t)BDRV_SECTOR_SIZE))) {
            return i;
        }
    }
    return -1;
}

typedef struct CompareState {
    BlockBackend *blk[2];
    const char *name[2];
    uint8_t *buf[2];
    bool quiet;
} CompareState;

/* 0 when [offset, offset + bytes) of image i reads as zeroes, else the exit code. */
static int compare_check_zero(CompareState *s, int i, int64_t offset, int64_t bytes)
{
    int ret = blk_pread(s->blk[i], offset, bytes, s->buf[0], 0);
    int64_t idx;

    if (ret < 0) {
        error_report("Error while reading offset %" PRId64 " of %s: %s", offset, s->name[i],
                     strerror(-ret));
        return 4;
    }
    idx = compare_find_nonzero(s->buf[0], bytes);
    if (idx >= 0) {
        img_printf(s->quiet, "Content mismatch at offset %" PRId64 "!\n", offset + idx);
        return 1;
    }
    return 0;
}

static int compare_both(CompareState *s, int64_t offset, int64_t bytes)
{
    int64_t pnum;

    for (int i = 0; i < 2; i++) {
        int ret = blk_pread(s->blk[i], offset, bytes, s->buf[i], 0);

        if (ret < 0) {
            error_report("Error while reading offset %" PRId64 " of %s: %s", offset, s->name[i],
                         strerror(-ret));
            return 4;
        }
    }
    if (compare_sectors(s->buf[0], s->buf[1], bytes, &pnum) || pnum != bytes) {
        bool first_differs = compare_sectors(s->buf[0], s->buf[1], bytes, &pnum);

        img_printf(s->quiet, "Content mismatch at offset %" PRId64 "!\n",
                   offset + (first_differs ? 0 : pnum));
        return 1;
    }
    return 0;
}

static int compare_run(CompareState *s, bool strict)
{
    int64_t size[2], total, base, offset = 0;

    for (int i = 0; i < 2; i++) {
        size[i] = blk_getlength(s->blk[i]);
        if (size[i] < 0) {
            error_report("Can't get size of %s: %s", s->name[i], strerror((int)-size[i]));
            return 4;
        }
    }
    total = MIN(size[0], size[1]);
    base = MAX(size[0], size[1]);
    img_progress_print(0, 100);

    if (strict && size[0] != size[1]) {
        img_printf(s->quiet, "Strict mode: Image size mismatch!\n");
        return 1;
    }
    while (offset < total) {
        int64_t pnum[2], chunk;
        int status[2];
        bool alloc[2];
        int ret = 0;

        for (int i = 0; i < 2; i++) {
            status[i] = compare_status(s->blk[i], offset, size[i] - offset, &pnum[i]);
            if (status[i] < 0) {
                error_report("Sector allocation test failed for %s", s->name[i]);
                return 3;
            }
            alloc[i] = status[i] & BDRV_BLOCK_ALLOCATED;
        }
        chunk = MIN(pnum[0], pnum[1]);
        if (strict && status[0] != status[1]) {
            img_printf(s->quiet, "Strict mode: Offset %" PRId64 " block status mismatch!\n",
                       offset);
            return 1;
        }
        if ((status[0] & BDRV_BLOCK_ZERO) && (status[1] & BDRV_BLOCK_ZERO)) {
            /* Both read as zeroes: nothing to look at. */
        } else if (alloc[0] == alloc[1]) {
            if (alloc[0]) {
                chunk = MIN(chunk, IMG_IO_BUF_SIZE);
                ret = compare_both(s, offset, chunk);
            }
        } else {
            chunk = MIN(chunk, IMG_IO_BUF_SIZE);
            ret = compare_check_zero(s, alloc[0] ? 0 : 1, offset, chunk);
        }
        if (ret) {
            return ret;
        }
        offset += chunk;
        img_progress_print(((float)chunk / base) * 100, 100);
    }

    if (size[0] != size[1]) {
        int over = size[0] > size[1] ? 0 : 1;

        img_printf(s->quiet, "Warning: Image size mismatch!\n");
        while (offset < base) {
            int64_t chunk;
            int st = compare_status(s->blk[over], offset, base - offset, &chunk);

            if (st < 0) {
                error_report("Sector allocation test failed for %s", s->name[over]);
                return 3;
            }
            if ((st & BDRV_BLOCK_ALLOCATED) && !(st & BDRV_BLOCK_ZERO)) {
                int ret;

                chunk = MIN(chunk, IMG_IO_BUF_SIZE);
                ret = compare_check_zero(s, over, offset, chunk);
                if (ret) {
                    return ret;
                }
            }
            offset += chunk;
            img_progress_print(((float)chunk / base) * 100, 100);
        }
    }
    img_printf(s->quiet, "Images are identical.\n");
    return 0;
}

int img_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"force-share", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    const char *fmt[2] = {NULL, NULL}, *cache = "writeback";
    bool progress = false, strict = false, force_share = false;
    CompareState s = {0};
    ImgOpen o = {0};
    int c, ret = 2;

    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt[0] = optarg;
            break;
        case 'F':
            fmt[1] = optarg;
            break;
        case 'T':
            cache = optarg;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            s.quiet = true;
            break;
        case 's':
            strict = true;
            break;
        case 'U':
            force_share = true;
            break;
        default:
            img_bad_option(c, argv);
        }
    }
    /* -q wins over -p. */
    if (s.quiet) {
        progress = false;
    }
    if (optind != argc - 2) {
        img_error_exit("Expecting two image file names");
    }
    s.name[0] = argv[optind];
    s.name[1] = argv[optind + 1];
    img_progress_init(progress, 2.0);

    if (!img_parse_cache(cache, &o.flags, &o.writethrough)) {
        error_report("Invalid source cache option: %s", cache);
        goto out;
    }
    o.force_share = force_share;
    for (int i = 0; i < 2; i++) {
        o.fmt = fmt[i];
        s.blk[i] = img_open(s.name[i], &o);
        if (!s.blk[i]) {
            goto out;
        }
        s.buf[i] = img_buf_alloc(IMG_IO_BUF_SIZE);
    }
    ret = compare_run(&s, strict);
out:
    for (int i = 0; i < 2; i++) {
        img_buf_free(s.buf[i]);
        if (s.blk[i]) {
            blk_unref(s.blk[i]);
        }
    }
    img_progress_end();
    return ret;
}
