/*
 * minivm-img convert [-c] [-p] [-q] [-n] [-W] [-U] [-f fmt] [-O output_fmt] [-t cache]
 *                    [-T src_cache] [-B backing [-F backing_fmt]] [-o options]
 *                    [-S sparse_size] [-m coroutines] [--target-is-zero]
 *                    filename [filename2 [...]] output_filename
 *
 * The sources are read as one image (concatenated).  The image is walked
 * in runs of equal block status: data runs are read and written (zero
 * sectors inside them are skipped when the target is known to read as
 * zeroes), zero runs are skipped or written as zeroes, and with a backing
 * file for the target what the source's own top layer does not allocate is
 * left to that backing file.  Several coroutines copy at once; by default
 * their writes still land in order (-W lifts that).
 */
#include "tools/img-create-opts.h"

#include <limits.h>

#include "block/block_int.h"

#define CONVERT_MAX_COROUTINES 16
/* Largest copy buffer, in sectors (16 MiB). */
#define CONVERT_MAX_BUF_SECTORS 32768

enum {
    OPTION_TARGET_IS_ZERO = 256,
};

typedef enum ConvStatus {
    CONV_DATA,
    CONV_ZERO,
    CONV_BACKING, /* leave to the target's backing file */
} ConvStatus;

typedef struct ConvState {
    BlockBackend **src;
    int64_t *src_sectors;
    int *src_alignment;
    int src_num;
    BlockBackend *target;

    bool compressed;
    bool target_has_backing;
    bool has_zero_init;
    bool wr_in_order;
    int min_sparse; /* sectors; 0: write everything */
    int alignment;  /* sectors: target writes we try to keep aligned to */
    int cluster_sectors;
    int buf_sectors; /* copy unit */
    int64_t total_sectors;
    int64_t target_backing_sectors; /* -1: unknown */

    /* Shared walk state, under lock. */
    CoMutex lock;
    int64_t sector_num;
    int64_t sector_next_status;
    ConvStatus status;

    int64_t allocated_sectors, allocated_done;
    int ret; /* -EINPROGRESS while copying */
    int num_coroutines, running;
    Coroutine *co[CONVERT_MAX_COROUTINES];
    int64_t wait_sector_num[CONVERT_MAX_COROUTINES];
    int64_t wr_offs;
} ConvState;

/* Which source holds sector_num, and the sector where that source starts. */
static void convert_select_part(ConvState *s, int64_t sector_num, int *cur, int64_t *cur_offset)
{
    int64_t start = 0;
    int i;

    for (i = 0; i < s->src_num - 1 && sector_num >= start + s->src_sectors[i]; i++) {
        start += s->src_sectors[i];
    }
    *cur = i;
    *cur_offset = start;
}

typedef struct StatusCo {
    BlockDriverState *bs, *base;
    int64_t offset, bytes, pnum;
    int ret;
} StatusCo;

static void coroutine_fn convert_status_entry(void *opaque)
{
    StatusCo *sc = opaque;

    sc->ret = bdrv_co_block_status_above(sc->bs, sc->base, sc->offset, sc->bytes, &sc->pnum, NULL,
                                         NULL, NULL);
}

/* Block status from a coroutine or from outside one. */
static int convert_block_status(BlockDriverState *bs, BlockDriverState *base, int64_t offset,
                                int64_t bytes, int64_t *pnum)
{
    StatusCo sc = {.bs = bs, .base = base, .offset = offset, .bytes = bytes};

    if (qemu_in_coroutine()) {
        convert_status_entry(&sc);
    } else {
        img_run_co(convert_status_entry, &sc);
    }
    *pnum = sc.pnum;
    return sc.ret;
}

/*
 * The length in sectors of the next piece to copy from sector_num, and its
 * status in s->status.  Status runs are looked up once and handed out in
 * buffer-sized pieces.
 */
static int convert_iteration_sectors(ConvState *s, int64_t sector_num)
{
    bool post_backing_zero = false;
    int64_t src_cur_offset, n;
    int src_cur, ret;

    convert_select_part(s, sector_num, &src_cur, &src_cur_offset);
    n = MIN(s->total_sectors - sector_num, (int64_t)(INT_MAX >> BDRV_SECTOR_BITS));
    if (s->target_backing_sectors >= 0) {
        if (sector_num >= s->target_backing_sectors) {
            post_backing_zero = true;
        } else if (sector_num + n > s->target_backing_sectors) {
            /* Zeroes are handled differently past the backing file's end. */
            n = s->target_backing_sectors - sector_num;
        }
    }

    if (s->sector_next_status <= sector_num) {
        BlockDriverState *src_bs = blk_bs(s->src[src_cur]);
        BlockDriverState *base = s->target_has_backing ? bdrv_backing_bs(src_bs) : NULL;
        int64_t offset = (sector_num - src_cur_offset) << BDRV_SECTOR_BITS;
        int64_t count, tail;

        n = MIN(n, s->src_sectors[src_cur] - (sector_num - src_cur_offset));
        ret = convert_block_status(src_bs, base, offset, n << BDRV_SECTOR_BITS, &count);
        if (ret < 0) {
            error_report("error while reading block status at offset %" PRId64 ": %s", offset,
                         strerror(-ret));
            return ret;
        }
        n = DIV_ROUND_UP(count, BDRV_SECTOR_SIZE);
        /* Keep run ends on the source's alignment, avoiding partial reads. */
        tail = (sector_num - src_cur_offset + n) % s->src_alignment[src_cur];
        if (n > tail) {
            n -= tail;
        }
        if (ret & BDRV_BLOCK_ZERO) {
            s->status = post_backing_zero ? CONV_BACKING : CONV_ZERO;
        } else if (ret & BDRV_BLOCK_DATA) {
            s->status = CONV_DATA;
        } else {
            s->status = s->target_has_backing ? CONV_BACKING : CONV_DATA;
        }
        s->sector_next_status = sector_num + n;
    }

    n = MIN(n, s->sector_next_status - sector_num);
    if (s->status == CONV_DATA) {
        n = MIN(n, s->buf_sectors);
    }
    /* Compressed clusters are written whole. */
    if (s->compressed) {
        if (n < s->cluster_sectors) {
            n = MIN(s->cluster_sectors, s->total_sectors - sector_num);
            s->status = CONV_DATA;
        } else {
            n = QEMU_ALIGN_DOWN(n, s->cluster_sectors);
        }
    }
    return (int)n;
}

/*
 * How many sectors from buf have the same zero-ness as the first one
 * (returned: true for data), with run ends moved onto 'alignment' so the
 * target sees aligned writes.
 */
static bool convert_sectors_run(const uint8_t *buf, int n, int *pnum, int64_t sector_num,
                                int alignment)
{
    bool zero;
    int i, tail;

    if (n <= 0) {
        *pnum = 0;
        return false;
    }
    zero = buffer_is_zero(buf, BDRV_SECTOR_SIZE);
    for (i = 1; i < n; i++) {
        if (zero != buffer_is_zero(buf + (size_t)i * BDRV_SECTOR_SIZE, BDRV_SECTOR_SIZE)) {
            break;
        }
    }
    if (i == n) {
        *pnum = i;
        return !zero;
    }
    tail = (sector_num + i) & (alignment - 1);
    if (tail) {
        if (zero && i <= tail) {
            /* The data after it rewrites this partial block anyway. */
            zero = false;
        }
        if (!zero) {
            i = MIN(i + alignment - tail, n);
        } else {
            i -= tail;
        }
    }
    *pnum = i;
    return !zero;
}

/*
 * Like convert_sectors_run, but zero runs shorter than min sectors count
 * as data: a data run extends over them.
 */
static bool convert_sectors_run_min(const uint8_t *buf, int n, int *pnum, int min,
                                    int64_t sector_num, int alignment)
{
    int used, checked;

    min = MIN(min, n);
    if (!convert_sectors_run(buf, n, pnum, sector_num, alignment)) {
        return false;
    }
    used = checked = *pnum;
    buf += (size_t)*pnum * BDRV_SECTOR_SIZE;
    n -= *pnum;
    sector_num += *pnum;
    while (n > 0) {
        bool data = convert_sectors_run(buf, n, pnum, sector_num, alignment);

        buf += (size_t)*pnum * BDRV_SECTOR_SIZE;
        n -= *pnum;
        sector_num += *pnum;
        checked += *pnum;
        if (data) {
            used = checked;
        } else if (*pnum >= min) {
            break;
        }
    }
    *pnum = used;
    return true;
}

static int coroutine_fn convert_co_read(ConvState *s, int64_t sector_num, int nb_sectors,
                                        uint8_t *buf)
{
    while (nb_sectors > 0) {
        QEMUIOVector qiov;
        int64_t cur_offset, n;
        int cur, ret;

        /* A compressed cluster may straddle two sources. */
        convert_select_part(s, sector_num, &cur, &cur_offset);
        n = MIN(nb_sectors, s->src_sectors[cur] - (sector_num - cur_offset));
        qemu_iovec_init_buf(&qiov, buf, (size_t)n << BDRV_SECTOR_BITS);
        ret = blk_co_preadv(s->src[cur], (sector_num - cur_offset) << BDRV_SECTOR_BITS,
                            n << BDRV_SECTOR_BITS, &qiov, 0);
        if (ret < 0) {
            return ret;
        }
        sector_num += n;
        nb_sectors -= n;
        buf += n << BDRV_SECTOR_BITS;
    }
    return 0;
}

static int coroutine_fn convert_co_write(ConvState *s, int64_t sector_num, int nb_sectors,
                                         uint8_t *buf, ConvStatus status)
{
    while (nb_sectors > 0) {
        int n = nb_sectors;
        int ret;

        switch (status) {
        case CONV_BACKING:
            /* Unallocated in the source's top: the backing file shows through. */
            break;
        case CONV_DATA:
            if (!s->min_sparse ||
                (!s->compressed &&
                 convert_sectors_run_min(buf, n, &n, s->min_sparse, sector_num, s->alignment)) ||
                (s->compressed && !buffer_is_zero(buf, (size_t)n * BDRV_SECTOR_SIZE))) {
                QEMUIOVector qiov;

                qemu_iovec_init_buf(&qiov, buf, (size_t)n << BDRV_SECTOR_BITS);
                ret = blk_co_pwritev(s->target, sector_num << BDRV_SECTOR_BITS,
                                     (int64_t)n << BDRV_SECTOR_BITS, &qiov,
                                     s->compressed ? BDRV_REQ_WRITE_COMPRESSED : 0);
                if (ret < 0) {
                    return ret;
                }
                break;
            }
            /* The data is all zeroes: */
            __attribute__((fallthrough));
        case CONV_ZERO:
            if (s->has_zero_init) {
                break;
            }
            ret = blk_co_pwrite_zeroes(s->target, sector_num << BDRV_SECTOR_BITS,
                                       (int64_t)n << BDRV_SECTOR_BITS, BDRV_REQ_MAY_UNMAP);
            if (ret < 0) {
                return ret;
            }
            break;
        }
        sector_num += n;
        nb_sectors -= n;
        buf += (size_t)n * BDRV_SECTOR_SIZE;
    }
    return 0;
}

static int convert_co_index(ConvState *s)
{
    Coroutine *self = qemu_coroutine_self();

    for (int i = 0; i < s->num_coroutines; i++) {
        if (s->co[i] == self) {
            return i;
        }
    }
    g_assert_not_reached();
}

static void coroutine_fn convert_co_do_copy(void *opaque)
{
    ConvState *s = opaque;
    uint8_t *buf = img_buf_alloc((size_t)s->buf_sectors * BDRV_SECTOR_SIZE);
    int index = convert_co_index(s);

    s->running++;
    for (;;) {
        int64_t sector_num;
        ConvStatus status;
        int n, ret;

        qemu_co_mutex_lock(&s->lock);
        if (s->ret != -EINPROGRESS || s->sector_num >= s->total_sectors) {
            qemu_co_mutex_unlock(&s->lock);
            break;
        }
        n = convert_iteration_sectors(s, s->sector_num);
        if (n < 0) {
            qemu_co_mutex_unlock(&s->lock);
            s->ret = n;
            break;
        }
        sector_num = s->sector_num;
        status = s->status;
        if (!s->min_sparse && status == CONV_ZERO) {
            n = MIN(n, s->buf_sectors);
        }
        /* Let the others go on past this piece while it is copied. */
        s->sector_num += n;
        qemu_co_mutex_unlock(&s->lock);

        if (status == CONV_DATA || (!s->min_sparse && status == CONV_ZERO)) {
            s->allocated_done += n;
            img_progress_print(100.0 * s->allocated_done / s->allocated_sectors, 0);
        }

        if (status == CONV_DATA) {
            ret = convert_co_read(s, sector_num, n, buf);
            if (ret < 0) {
                error_report("error while reading at byte %" PRId64 ": %s",
                             sector_num << BDRV_SECTOR_BITS, strerror(-ret));
                s->ret = ret;
            }
        } else if (!s->min_sparse && status == CONV_ZERO) {
            /* -S 0: zeroes are written as data. */
            status = CONV_DATA;
            memset(buf, 0, (size_t)n * BDRV_SECTOR_SIZE);
        }

        if (s->wr_in_order) {
            while (s->wr_offs != sector_num && s->ret == -EINPROGRESS) {
                s->wait_sector_num[index] = sector_num;
                qemu_coroutine_yield();
            }
            s->wait_sector_num[index] = -1;
        }
        if (s->ret == -EINPROGRESS) {
            ret = convert_co_write(s, sector_num, n, buf, status);
            if (ret < 0) {
                error_report("error while writing at byte %" PRId64 ": %s",
                             sector_num << BDRV_SECTOR_BITS, strerror(-ret));
                s->ret = ret;
            }
        }
        if (s->wr_in_order) {
            /* Hand over to whoever waits to write right after this piece. */
            s->wr_offs = sector_num + n;
            for (int i = 0; i < s->num_coroutines; i++) {
                if (s->co[i] && s->wait_sector_num[i] == s->wr_offs) {
                    s->wait_sector_num[i] = -1;
                    aio_co_wake(s->co[i]);
                    break;
                }
            }
        }
    }

    if (s->wr_in_order) {
        /* After an error everybody waiting must notice it and leave. */
        for (int i = 0; i < s->num_coroutines; i++) {
            if (s->co[i] && s->wait_sector_num[i] != -1) {
                s->wait_sector_num[i] = -1;
                aio_co_wake(s->co[i]);
            }
        }
    }
    img_buf_free(buf);
    s->co[index] = NULL;
    s->running--;
    main_loop_wakeup();
}

static int convert_do_copy(ConvState *s)
{
    int64_t sector_num = 0;

    if (s->compressed) {
        if (s->cluster_sectors <= 0 || s->cluster_sectors > s->buf_sectors) {
            error_report("invalid cluster size");
            return -EINVAL;
        }
        s->buf_sectors = s->cluster_sectors;
    }

    /* What will be copied, for the progress line. */
    while (sector_num < s->total_sectors) {
        int n = convert_iteration_sectors(s, sector_num);

        if (n < 0) {
            return n;
        }
        if (s->status == CONV_DATA || (!s->min_sparse && s->status == CONV_ZERO)) {
            s->allocated_sectors += n;
        }
        sector_num += n;
    }

    s->sector_next_status = 0;
    s->ret = -EINPROGRESS;
    qemu_co_mutex_init(&s->lock);
    for (int i = 0; i < s->num_coroutines; i++) {
        s->co[i] = qemu_coroutine_create(convert_co_do_copy, s);
        s->wait_sector_num[i] = -1;
    }
    for (int i = 0; i < s->num_coroutines; i++) {
        if (s->co[i]) {
            qemu_coroutine_enter(s->co[i]);
        }
    }
    MAIN_LOOP_WAIT_WHILE(s->running > 0);
    if (s->ret == -EINPROGRESS) {
        s->ret = 0;
    }
    return s->ret;
}

/* ---------------------------------------------------------------- setup */

typedef struct ConvArgs {
    const char *fmt, *out_fmt, *cache, *src_cache, *out_base, *base_fmt;
    char *options;
    bool skip_create, progress, quiet, force_share, target_is_zero;
} ConvArgs;

/* Opens every source; false after reporting. */
static bool convert_open_sources(ConvState *s, ConvArgs *a, char **names)
{
    ImgOpen o = {.fmt = a->fmt, .force_share = a->force_share};

    if (!img_parse_cache(a->src_cache, &o.flags, &o.writethrough)) {
        error_report("Invalid source cache option: %s", a->src_cache);
        return false;
    }
    s->src = g_new0(BlockBackend *, s->src_num);
    s->src_sectors = g_new0(int64_t, s->src_num);
    s->src_alignment = g_new0(int, s->src_num);
    for (int i = 0; i < s->src_num; i++) {
        BlockDriverInfo bdi;
        int64_t len;

        s->src[i] = img_open(names[i], &o);
        if (!s->src[i]) {
            return false;
        }
        len = blk_getlength(s->src[i]);
        if (len < 0) {
            error_report("Could not get size of %s: %s", names[i], strerror((int)-len));
            return false;
        }
        s->src_sectors[i] = len >> BDRV_SECTOR_BITS;
        s->src_alignment[i] =
            DIV_ROUND_UP(blk_bs(s->src[i])->bl.request_alignment, BDRV_SECTOR_SIZE);
        if (bdrv_get_info(blk_bs(s->src[i]), &bdi) == 0 && bdi.cluster_size) {
            s->src_alignment[i] =
                MAX(s->src_alignment[i], bdi.cluster_size / (int)BDRV_SECTOR_SIZE);
        }
        s->src_alignment[i] = MAX(s->src_alignment[i], 1);
        s->total_sectors += s->src_sectors[i];
    }
    return true;
}

/* Validates the target options and creates the target; false after reporting. */
static bool convert_create_target(ConvState *s, ConvArgs *a, const char *out_filename,
                                  ImgOptList *opts)
{
    g_autofree char *size = g_strdup_printf("%" PRId64, s->total_sectors << BDRV_SECTOR_BITS);
    Error *err = NULL;
    const char *prealloc;

    if (!img_create_fmt_check(a->out_fmt, &err)) {
        error_report_err(err);
        return false;
    }
    if (a->options) {
        img_opts_parse(opts, a->options);
    }
    if (!img_create_opts_validate(a->out_fmt, opts, &err)) {
        error_report_err(err);
        return false;
    }
    img_opts_del(opts, "size");
    img_opts_set(opts, "size", size);
    if (a->out_base) {
        if (strcmp(a->out_fmt, "qcow2")) {
            error_report("Backing file not supported for file format '%s'", a->out_fmt);
            return false;
        }
        img_opts_set(opts, "backing_file", a->out_base);
    }
    if (a->base_fmt) {
        if (strcmp(a->out_fmt, "qcow2")) {
            error_report("Backing file format not supported for file format '%s'", a->out_fmt);
            return false;
        }
        img_opts_set(opts, "backing_fmt", a->base_fmt);
    }
    a->out_base = img_opts_get(opts, "backing_file");
    s->target_has_backing = a->out_base != NULL;
    if (s->has_zero_init && s->target_has_backing) {
        error_report("Cannot use --target-is-zero when the destination image has a backing "
                     "file");
        return false;
    }
    if (s->src_num > 1 && a->out_base) {
        error_report("Having a backing file for the target makes no sense when concatenating "
                     "multiple input images");
        return false;
    }
    if (a->out_base && !img_opts_has(opts, "backing_fmt")) {
        error_report("Use of backing file requires explicit backing format");
        return false;
    }
    if (s->compressed) {
        prealloc = img_opts_get(opts, "preallocation");
        if (strcmp(a->out_fmt, "qcow2")) {
            error_report("Compression not supported for this file format");
            return false;
        }
        if (prealloc && strcmp(prealloc, "off")) {
            error_report("Compression and preallocation not supported at the same time");
            return false;
        }
    }
    if (img_create_image(out_filename, a->out_fmt, opts, &err) < 0) {
        error_reportf_err(err, "%s: error while converting %s: ", out_filename, a->out_fmt);
        return false;
    }
    return true;
}

static bool convert_open_target(ConvState *s, ConvArgs *a, const char *out_filename)
{
    ImgOpen o = {.fmt = a->out_fmt, .flags = BDRV_O_RDWR};
    BlockDriverState *out_bs;
    BlockDriverInfo bdi;
    int64_t req_sectors;

    if (s->min_sparse) {
        o.flags |= BDRV_O_UNMAP;
    }
    if (!img_parse_cache(a->cache, &o.flags, &o.writethrough)) {
        error_report("Invalid cache option: %s", a->cache);
        return false;
    }
    o.resize = o.flags & BDRV_O_NOCACHE;
    s->target = img_open(out_filename, &o);
    if (!s->target) {
        return false;
    }
    out_bs = blk_bs(s->target);
    if (s->compressed && (!out_bs->drv || !out_bs->drv->bdrv_co_pwritev_compressed)) {
        error_report("Compression not supported for this file format");
        return false;
    }
    s->buf_sectors =
        MIN(CONVERT_MAX_BUF_SECTORS,
            MAX(s->buf_sectors, (int)MAX(out_bs->bl.opt_transfer >> BDRV_SECTOR_BITS,
                                         out_bs->bl.pdiscard_alignment >> BDRV_SECTOR_BITS)));
    /* Align target writes to the sparseness unit or the target's block size. */
    req_sectors = DIV_ROUND_UP(out_bs->bl.request_alignment, BDRV_SECTOR_SIZE);
    s->alignment = s->min_sparse ? 1 << (31 - __builtin_clz(s->min_sparse)) : 0;
    s->alignment = MAX(s->alignment, (int)MAX(req_sectors, 1));

    if (a->skip_create) {
        int64_t len = blk_getlength(s->target);

        if (len < 0) {
            error_report("unable to get output image length: %s", strerror((int)-len));
            return false;
        }
        if ((len >> BDRV_SECTOR_BITS) < s->total_sectors) {
            error_report("output file is smaller than input file");
            return false;
        }
    }
    s->target_backing_sectors = -1;
    if (s->target_has_backing && !a->skip_create && bdrv_backing_bs(out_bs)) {
        int64_t len = bdrv_getlength(bdrv_backing_bs(out_bs));

        s->target_backing_sectors = len < 0 ? -1 : len >> BDRV_SECTOR_BITS;
    }
    if (bdrv_get_info(out_bs, &bdi) < 0) {
        if (s->compressed) {
            error_report("could not get block driver info");
            return false;
        }
    } else {
        s->cluster_sectors = bdi.cluster_size / (int)BDRV_SECTOR_SIZE;
    }
    /* A new image without a backing file reads as zeroes already. */
    if (!s->has_zero_init && !a->skip_create && s->min_sparse && !s->target_has_backing) {
        s->has_zero_init = true;
    }
    return true;
}

static int convert_run(ConvState *s, ConvArgs *a, char **names, const char *out_filename)
{
    ImgOptList opts = {0};
    int ret = -1;

    if (!convert_open_sources(s, a, names)) {
        goto out;
    }
    if (!a->skip_create) {
        if (!convert_create_target(s, a, out_filename, &opts)) {
            goto out;
        }
    } else {
        if (!bdrv_find_format(a->out_fmt)) {
            error_report("Unknown file format '%s'", a->out_fmt);
            goto out;
        }
        s->target_has_backing = a->out_base != NULL;
    }
    if (!convert_open_target(s, a, out_filename)) {
        goto out;
    }
    ret = convert_do_copy(s);
out:
    if (!ret) {
        img_progress_print(100, 0);
    }
    img_progress_end();
    img_opts_free(&opts);
    if (s->target) {
        blk_unref(s->target);
    }
    for (int i = 0; s->src && i < s->src_num; i++) {
        if (s->src[i]) {
            blk_unref(s->src[i]);
        }
    }
    g_free(s->src);
    g_free(s->src_sectors);
    g_free(s->src_alignment);
    return ret ? 1 : 0;
}

int img_convert(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"force-share", no_argument, NULL, 'U'},
        {"target-is-zero", no_argument, NULL, OPTION_TARGET_IS_ZERO},
        {NULL, 0, NULL, 0},
    };
    ConvArgs a = {.cache = "unsafe", .src_cache = "writeback"};
    ConvState s = {
        .min_sparse = 8,
        .buf_sectors = IMG_IO_BUF_SIZE / BDRV_SECTOR_SIZE,
        .wr_in_order = true,
        .num_coroutines = 8,
    };
    const char *out_filename;
    int c, ret = 1;

    while ((c = getopt_long(argc, argv, ":hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:", longopts, NULL)) != -1) {
        int64_t v;

        switch (c) {
        case 'f':
            a.fmt = optarg;
            break;
        case 'O':
            a.out_fmt = optarg;
            break;
        case 'B':
            a.out_base = optarg;
            break;
        case 'F':
            a.base_fmt = optarg;
            break;
        case 'c':
            s.compressed = true;
            break;
        case 'C':
            error_report("Copy offloading is not supported");
            goto out;
        case 'o':
            if (!img_opts_valid_list(optarg)) {
                error_report("Invalid option list: %s", optarg);
                goto out;
            }
            {
                char *joined =
                    a.options ? g_strdup_printf("%s,%s", a.options, optarg) : g_strdup(optarg);

                g_free(a.options);
                a.options = joined;
            }
            break;
        case 'l':
            error_report("Snapshots are not supported");
            goto out;
        case 'S':
            v = img_cvtnum("buffer size for sparse output", optarg);
            if (v < 0) {
                goto out;
            }
            if (!QEMU_IS_ALIGNED(v, BDRV_SECTOR_SIZE) ||
                v / BDRV_SECTOR_SIZE > CONVERT_MAX_BUF_SECTORS) {
                error_report("Invalid buffer size for sparse output specified. Valid sizes are "
                             "multiples of %llu up to %llu. Select 0 to disable sparse "
                             "detection (fully allocates output).",
                             BDRV_SECTOR_SIZE, CONVERT_MAX_BUF_SECTORS * BDRV_SECTOR_SIZE);
                goto out;
            }
            s.min_sparse = v / BDRV_SECTOR_SIZE;
            break;
        case 'p':
            a.progress = true;
            break;
        case 't':
            a.cache = optarg;
            break;
        case 'T':
            a.src_cache = optarg;
            break;
        case 'q':
            a.quiet = true;
            break;
        case 'n':
            a.skip_create = true;
            break;
        case 'm': {
            char *end;
            long m = strtol(optarg, &end, 0);

            if (!*optarg || *end || m < 1 || m > CONVERT_MAX_COROUTINES) {
                error_report("Invalid number of coroutines. Allowed number of coroutines is "
                             "between 1 and %d",
                             CONVERT_MAX_COROUTINES);
                goto out;
            }
            s.num_coroutines = (int)m;
            break;
        }
        case 'W':
            s.wr_in_order = false;
            break;
        case 'U':
            a.force_share = true;
            break;
        case 'r':
            /* Rate limiting has no effect without the job layer; accepted. */
            if (img_cvtnum("rate limit", optarg) < 0) {
                goto out;
            }
            break;
        case OPTION_TARGET_IS_ZERO:
            /* Only a target we do not create can be known to be zero. */
            s.has_zero_init = true;
            a.target_is_zero = true;
            break;
        default:
            img_bad_option(c, argv);
        }
    }

    if (a.quiet) {
        a.progress = false;
    }
    if (!a.out_fmt) {
        a.out_fmt = "raw";
    }
    if (a.skip_create && a.options) {
        warn_report("-o has no effect when skipping image creation");
        warn_report("This will become an error in future QEMU versions.");
    }
    if (a.target_is_zero && !a.skip_create) {
        error_report("--target-is-zero requires use of -n flag");
        goto out;
    }
    s.src_num = argc - optind - 1;
    out_filename = s.src_num >= 1 ? argv[argc - 1] : NULL;
    if (a.options) {
        ImgOptList l = {0};
        bool help;

        img_opts_parse(&l, a.options);
        help = l.help;
        img_opts_free(&l);
        if (help) {
            ret = img_create_opts_help(a.out_fmt, out_filename);
            goto out;
        }
    }
    if (s.src_num < 1) {
        error_report("Must specify image file name");
        goto out;
    }

    img_progress_init(a.progress, 1.0);
    img_progress_print(0, 100);
    ret = convert_run(&s, &a, argv + optind, out_filename);
out:
    g_free(a.options);
    return ret;
}
