/*
 * qemu-io's I/O commands: read, readv, write, writev, aio_read, aio_write,
 * aio_flush, flush and discard.  Synchronous ones run their request in a
 * coroutine and wait on the main loop; the aio_ ones return at once and
 * report when the request completes.
 */
#include "util/osdep.h"

#include "tools/qemu-io-int.h"

/* ---------------------------------------------------------------- requests */

typedef enum { QEMUIO_READ, QEMUIO_WRITE, QEMUIO_ZEROES, QEMUIO_DISCARD } QemuIOOp;

typedef struct QemuIOSyncReq {
    BlockBackend *blk;
    QemuIOOp op;
    int64_t offset, bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    int ret;
} QemuIOSyncReq;

static void coroutine_fn qemuio_sync_entry(void *opaque)
{
    QemuIOSyncReq *r = opaque;

    switch (r->op) {
    case QEMUIO_READ:
        r->ret = blk_co_preadv(r->blk, r->offset, r->bytes, r->qiov, r->flags);
        break;
    case QEMUIO_WRITE:
        r->ret = blk_co_pwritev(r->blk, r->offset, r->bytes, r->qiov, r->flags);
        break;
    case QEMUIO_ZEROES:
        r->ret = blk_co_pwrite_zeroes(r->blk, r->offset, r->bytes, r->flags);
        break;
    case QEMUIO_DISCARD:
        r->ret = blk_co_pdiscard(r->blk, r->offset, r->bytes);
        break;
    }
}

static int qemuio_sync(BlockBackend *blk, QemuIOOp op, int64_t offset, int64_t bytes,
                       QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    QemuIOSyncReq r = {
        .blk = blk, .op = op, .offset = offset, .bytes = bytes, .qiov = qiov, .flags = flags};

    coroutine_run_sync(qemuio_sync_entry, &r);
    return r.ret;
}

static int qemuio_sync_buf(BlockBackend *blk, QemuIOOp op, int64_t offset, int64_t bytes, void *buf,
                           BdrvRequestFlags flags)
{
    QEMUIOVector qiov;

    qemu_iovec_init_buf(&qiov, buf, bytes);
    return qemuio_sync(blk, op, offset, bytes, &qiov, flags);
}

/* ---------------------------------------------------------------- helpers */

/* Parses "off" and "len"; a too long length is refused with 'limit_text'. */
static int qemuio_parse_range(QemuIOSession *s, char **words, int64_t *offset, int64_t *count,
                              bool check_max, const char *limit_text)
{
    *offset = qemuio_cvtnum(s, words[0]);
    if (*offset < 0) {
        qemuio_print_cvtnum_err(s, *offset, words[0]);
        return (int)*offset;
    }
    *count = qemuio_cvtnum(s, words[1]);
    if (*count < 0) {
        qemuio_print_cvtnum_err(s, *count, words[1]);
        return (int)*count;
    }
    if (check_max && *count > QEMUIO_MAX_REQUEST) {
        qemuio_printf(s, "length cannot exceed %" PRId64 "%s, given %s\n", QEMUIO_MAX_REQUEST,
                      limit_text, words[1]);
        return -EINVAL;
    }
    return 0;
}

static int qemuio_check_sector_aligned(QemuIOSession *s, int64_t offset, int64_t count)
{
    if (!QEMU_IS_ALIGNED(offset, BDRV_SECTOR_SIZE)) {
        qemuio_printf(s, "%" PRId64 " is not a sector-aligned value for 'offset'\n", offset);
        return -EINVAL;
    }
    if (!QEMU_IS_ALIGNED(count, BDRV_SECTOR_SIZE)) {
        qemuio_printf(s, "%" PRId64 " is not a sector-aligned value for 'count'\n", count);
        return -EINVAL;
    }
    return 0;
}

/*
 * One buffer covering all lengths in words, with an iovec entry per length
 * (readv, writev, aio_*).  NULL after printing why.
 */
static void *qemuio_build_iovec(QemuIOSession *s, QEMUIOVector *qiov, char **words, int n,
                                int pattern)
{
    g_autofree int64_t *sizes = g_new(int64_t, n);
    int64_t total = 0;
    char *buf;

    for (int i = 0; i < n; i++) {
        int64_t len = qemuio_cvtnum(s, words[i]);

        if (len < 0) {
            qemuio_print_cvtnum_err(s, len, words[i]);
            return NULL;
        }
        if (len > QEMUIO_MAX_REQUEST) {
            qemuio_printf(s, "Argument '%s' exceeds maximum size %" PRId64 "\n", words[i],
                          QEMUIO_MAX_REQUEST);
            return NULL;
        }
        if (total > QEMUIO_MAX_REQUEST - len) {
            qemuio_printf(s, "The total number of bytes exceed the maximum size %" PRId64 "\n",
                          QEMUIO_MAX_REQUEST);
            return NULL;
        }
        sizes[i] = len;
        total += len;
    }
    buf = qemuio_buf_alloc(s, total, pattern);
    qemu_iovec_init(qiov, n);
    for (int64_t i = 0, off = 0; i < n; off += sizes[i], i++) {
        qemu_iovec_add(qiov, buf + off, sizes[i]);
    }
    return buf;
}

/* Prints the mismatch line and returns false if buf is not all 'pattern'. */
static bool qemuio_verify(QemuIOSession *s, const uint8_t *buf, int64_t len, int pattern,
                          int64_t report_offset)
{
    for (int64_t i = 0; i < len; i++) {
        if (buf[i] != pattern) {
            qemuio_printf(s,
                          "Pattern verification failed at offset %" PRId64 ", %" PRId64 " bytes\n",
                          report_offset, len);
            return false;
        }
    }
    return true;
}

/*
 * A buffer filled from a file (write -s): as much of the file as fits,
 * repeated if the file is shorter than the buffer.
 */
static void *qemuio_buf_from_file(QemuIOSession *s, size_t len, const char *path)
{
    FILE *f = fopen(path, "r");
    uint8_t *buf;
    size_t got;

    if (!f) {
        qemuio_eprintf(s, "%s: %s\n", path, g_strerror(errno));
        return NULL;
    }
    buf = qemuio_buf_alloc(s, len, 0);
    got = fread(buf, 1, len, f);
    if (ferror(f)) {
        qemuio_eprintf(s, "%s: %s\n", path, g_strerror(errno));
        goto fail;
    }
    if (got == 0 && len > 0) {
        qemuio_eprintf(s, "%s: file is empty\n", path);
        goto fail;
    }
    fclose(f);
    for (size_t done = got; done < len; done += MIN(got, len - done)) {
        memcpy(buf + done, buf, MIN(got, len - done));
    }
    return buf;

fail:
    fclose(f);
    qemuio_buf_free(s, buf);
    return NULL;
}

/* ---------------------------------------------------------------- read */

static int qemuio_read_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    bool machine = false, quiet = s->flags & QEMUIO_QUIET, verbose = false;
    bool has_pattern = false, has_poff = false, has_plen = false, vmstate = false;
    int64_t offset, count, poff = 0, plen = 0, start;
    int pattern = 0, ret, c;
    uint8_t *buf;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "bCl:pP:qs:v")) != -1) {
        switch (c) {
        case 'b':
            vmstate = true;
            break;
        case 'C':
            machine = true;
            break;
        case 'l':
            has_plen = true;
            plen = qemuio_cvtnum(s, g.optarg);
            if (plen < 0) {
                qemuio_print_cvtnum_err(s, plen, g.optarg);
                return (int)plen;
            }
            break;
        case 'p':
            break; /* accepted for old scripts; means nothing */
        case 'P':
            has_pattern = true;
            pattern = qemuio_parse_pattern(s, g.optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            has_poff = true;
            poff = qemuio_cvtnum(s, g.optarg);
            if (poff < 0) {
                qemuio_print_cvtnum_err(s, poff, g.optarg);
                return (int)poff;
            }
            break;
        case 'v':
            verbose = true;
            break;
        default:
            return qemuio_usage(s);
        }
    }
    if (g.nrest != 2) {
        return qemuio_usage(s);
    }
    ret = qemuio_parse_range(s, g.rest, &offset, &count, true, "");
    if (ret < 0) {
        return ret;
    }
    if (!has_pattern && (has_plen || has_poff)) {
        return qemuio_usage(s);
    }
    if (!has_plen) {
        plen = count - poff;
    }
    if (plen < 0 || plen + poff > count) {
        qemuio_printf(s, "pattern verification range exceeds end of read data\n");
        return -EINVAL;
    }
    if (vmstate && (ret = qemuio_check_sector_aligned(s, offset, count)) < 0) {
        return ret;
    }

    buf = qemuio_buf_alloc(s, count, 0xab);
    start = qemuio_now_ns();
    /* no format here keeps VM state */
    ret = vmstate ? -ENOTSUP : qemuio_sync_buf(blk, QEMUIO_READ, offset, count, buf, 0);
    start = qemuio_now_ns() - start;
    if (ret < 0) {
        qemuio_printf(s, "read failed: %s\n", g_strerror(-ret));
        goto out;
    }
    ret = 0;
    if (has_pattern && !qemuio_verify(s, buf + poff, plen, pattern, offset + poff)) {
        ret = -EINVAL;
    }
    if (quiet) {
        goto out;
    }
    if (verbose) {
        qemuio_dump_buffer(s, buf, offset, count);
    }
    qemuio_print_report(s, "read", start, offset, count, count, 1, machine);
out:
    qemuio_buf_free(s, buf);
    return ret;
}

static int qemuio_readv_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    bool machine = false, quiet = s->flags & QEMUIO_QUIET, verbose = false, has_pattern = false;
    int pattern = 0, ret, c;
    int64_t offset, start;
    QEMUIOVector qiov;
    uint8_t *buf;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "CP:qv")) != -1) {
        switch (c) {
        case 'C':
            machine = true;
            break;
        case 'P':
            has_pattern = true;
            pattern = qemuio_parse_pattern(s, g.optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'v':
            verbose = true;
            break;
        default:
            return qemuio_usage(s);
        }
    }
    if (g.nrest < 2) {
        return qemuio_usage(s);
    }
    offset = qemuio_cvtnum(s, g.rest[0]);
    if (offset < 0) {
        qemuio_print_cvtnum_err(s, offset, g.rest[0]);
        return (int)offset;
    }
    buf = qemuio_build_iovec(s, &qiov, g.rest + 1, g.nrest - 1, 0xab);
    if (!buf) {
        return -EINVAL;
    }
    start = qemuio_now_ns();
    ret = qemuio_sync(blk, QEMUIO_READ, offset, qiov.size, &qiov, 0);
    start = qemuio_now_ns() - start;
    if (ret < 0) {
        qemuio_printf(s, "readv failed: %s\n", g_strerror(-ret));
        goto out;
    }
    ret = 0;
    if (has_pattern && !qemuio_verify(s, buf, qiov.size, pattern, offset)) {
        ret = -EINVAL;
    }
    if (quiet) {
        goto out;
    }
    if (verbose) {
        qemuio_dump_buffer(s, buf, offset, qiov.size);
    }
    qemuio_print_report(s, "read", start, offset, qiov.size, qiov.size, 1, machine);
out:
    qemu_iovec_destroy(&qiov);
    qemuio_buf_free(s, buf);
    return ret;
}

/* ---------------------------------------------------------------- write */

static int qemuio_write_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    bool machine = false, quiet = s->flags & QEMUIO_QUIET, vmstate = false;
    bool has_pattern = false, zero = false, compressed = false, from_file = false;
    BdrvRequestFlags flags = 0;
    const char *file = NULL;
    int64_t offset, count, start;
    int pattern = 0xcd, ret, c;
    uint8_t *buf = NULL;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "bcCfnpP:qs:uz")) != -1) {
        switch (c) {
        case 'b':
            vmstate = true;
            break;
        case 'c':
            compressed = true;
            break;
        case 'C':
            machine = true;
            break;
        case 'f':
            flags |= BDRV_REQ_FUA;
            break;
        case 'n':
            flags |= BDRV_REQ_NO_FALLBACK;
            break;
        case 'p':
            break; /* accepted for old scripts; means nothing */
        case 'P':
            has_pattern = true;
            pattern = qemuio_parse_pattern(s, g.optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            from_file = true;
            file = g.optarg;
            break;
        case 'u':
            flags |= BDRV_REQ_MAY_UNMAP;
            break;
        case 'z':
            zero = true;
            break;
        default:
            return qemuio_usage(s);
        }
    }
    if (g.nrest != 2) {
        return qemuio_usage(s);
    }
    if (vmstate && zero) {
        qemuio_printf(s, "-b and -z cannot be specified at the same time\n");
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_FUA) && (vmstate || compressed)) {
        qemuio_printf(s, "-f and -b or -c cannot be specified at the same time\n");
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_NO_FALLBACK) && !zero) {
        qemuio_printf(s, "-n requires -z to be specified\n");
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) && !zero) {
        qemuio_printf(s, "-u requires -z to be specified\n");
        return -EINVAL;
    }
    if ((int)zero + (int)has_pattern + (int)from_file > 1) {
        qemuio_printf(s, "Only one of -z, -P, and -s can be specified at the same time\n");
        return -EINVAL;
    }
    /* zero writes without fallback may be as large as the image */
    ret = qemuio_parse_range(s, g.rest, &offset, &count, !(flags & BDRV_REQ_NO_FALLBACK),
                             " without -n");
    if (ret < 0) {
        return ret;
    }
    if ((vmstate || compressed) && (ret = qemuio_check_sector_aligned(s, offset, count)) < 0) {
        return ret;
    }
    if (!zero) {
        buf =
            from_file ? qemuio_buf_from_file(s, count, file) : qemuio_buf_alloc(s, count, pattern);
        if (!buf) {
            return -EINVAL;
        }
    }

    start = qemuio_now_ns();
    if (vmstate) {
        ret = -ENOTSUP;
    } else if (zero) {
        ret = qemuio_sync(blk, QEMUIO_ZEROES, offset, count, NULL, flags);
    } else {
        ret = qemuio_sync_buf(blk, QEMUIO_WRITE, offset, count, buf,
                              flags | (compressed ? BDRV_REQ_WRITE_COMPRESSED : 0));
    }
    start = qemuio_now_ns() - start;
    if (ret < 0) {
        qemuio_printf(s, "write failed: %s\n", g_strerror(-ret));
        goto out;
    }
    ret = 0;
    if (!quiet) {
        qemuio_print_report(s, "wrote", start, offset, count, count, 1, machine);
    }
out:
    qemuio_buf_free(s, buf);
    return ret;
}

static int qemuio_writev_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    bool machine = false, quiet = s->flags & QEMUIO_QUIET;
    BdrvRequestFlags flags = 0;
    int pattern = 0xcd, ret, c;
    int64_t offset, start;
    QEMUIOVector qiov;
    uint8_t *buf;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "CfqP:")) != -1) {
        switch (c) {
        case 'C':
            machine = true;
            break;
        case 'f':
            flags |= BDRV_REQ_FUA;
            break;
        case 'q':
            quiet = true;
            break;
        case 'P':
            pattern = qemuio_parse_pattern(s, g.optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        default:
            return qemuio_usage(s);
        }
    }
    if (g.nrest < 2) {
        return qemuio_usage(s);
    }
    offset = qemuio_cvtnum(s, g.rest[0]);
    if (offset < 0) {
        qemuio_print_cvtnum_err(s, offset, g.rest[0]);
        return (int)offset;
    }
    buf = qemuio_build_iovec(s, &qiov, g.rest + 1, g.nrest - 1, pattern);
    if (!buf) {
        return -EINVAL;
    }
    start = qemuio_now_ns();
    ret = qemuio_sync(blk, QEMUIO_WRITE, offset, qiov.size, &qiov, flags);
    start = qemuio_now_ns() - start;
    if (ret < 0) {
        qemuio_printf(s, "writev failed: %s\n", g_strerror(-ret));
        goto out;
    }
    ret = 0;
    if (!quiet) {
        qemuio_print_report(s, "wrote", start, offset, qiov.size, qiov.size, 1, machine);
    }
out:
    qemu_iovec_destroy(&qiov);
    qemuio_buf_free(s, buf);
    return ret;
}

/* ---------------------------------------------------------------- aio */

/* One request in flight; it holds a session reference until reported. */
typedef struct QemuIOAio {
    QemuIOSession *s;
    QEMUIOVector qiov;
    int64_t offset, bytes;
    uint8_t *buf;
    bool quiet, verbose, machine, has_pattern;
    int pattern;
    int64_t start_ns;
} QemuIOAio;

static void qemuio_aio_free(QemuIOAio *a)
{
    if (a->buf) {
        qemu_iovec_destroy(&a->qiov);
        qemuio_buf_free(a->s, a->buf);
    }
    qemuio_session_unref(a->s);
    g_free(a);
}

static void qemuio_aio_write_done(void *opaque, int ret)
{
    QemuIOAio *a = opaque;
    int64_t elapsed = qemuio_now_ns() - a->start_ns;

    if (ret < 0) {
        qemuio_printf(a->s, "aio_write failed: %s\n", g_strerror(-ret));
    } else if (!a->quiet) {
        qemuio_print_report(a->s, "wrote", elapsed, a->offset, a->bytes, a->bytes, 1, a->machine);
    }
    qemuio_aio_free(a);
}

static void qemuio_aio_read_done(void *opaque, int ret)
{
    QemuIOAio *a = opaque;
    int64_t elapsed = qemuio_now_ns() - a->start_ns;

    if (ret < 0) {
        qemuio_printf(a->s, "readv failed: %s\n", g_strerror(-ret));
        goto out;
    }
    if (a->has_pattern) {
        qemuio_verify(a->s, a->buf, a->bytes, a->pattern, a->offset);
    }
    if (a->quiet) {
        goto out;
    }
    if (a->verbose) {
        qemuio_dump_buffer(a->s, a->buf, a->offset, a->bytes);
    }
    qemuio_print_report(a->s, "read", elapsed, a->offset, a->bytes, a->bytes, 1, a->machine);
out:
    qemuio_aio_free(a);
}

/* A request refused before submission counts as invalid, as a guest's would. */
static void qemuio_count_invalid(BlockBackend *blk, BlockAcctType type)
{
    BlockAcctStats *stats = blk_get_stats(blk);

    if (stats->account_invalid) {
        stats->invalid_ops[type]++;
        stats->last_access_time_ns = qemuio_now_ns();
    }
}

/* aio_read -i / aio_write -i: exercise the invalid-request statistics. */
static int qemuio_inject_invalid(QemuIOSession *s, BlockBackend *blk, BlockAcctType type)
{
    qemuio_printf(s, "injecting invalid %s request\n", type == BLOCK_ACCT_READ ? "read" : "write");
    qemuio_count_invalid(blk, type);
    return 0;
}

static QemuIOAio *qemuio_aio_new(QemuIOSession *s)
{
    QemuIOAio *a = g_new0(QemuIOAio, 1);

    a->s = s;
    a->quiet = s->flags & QEMUIO_QUIET;
    qemuio_session_ref(s);
    return a;
}

static int qemuio_aio_read_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    QemuIOAio *a = qemuio_aio_new(s);
    int c;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "CP:iqv")) != -1) {
        switch (c) {
        case 'C':
            a->machine = true;
            break;
        case 'P':
            a->has_pattern = true;
            a->pattern = qemuio_parse_pattern(s, g.optarg);
            if (a->pattern < 0) {
                qemuio_aio_free(a);
                return -EINVAL;
            }
            break;
        case 'i':
            qemuio_aio_free(a);
            return qemuio_inject_invalid(s, blk, BLOCK_ACCT_READ);
        case 'q':
            a->quiet = true;
            break;
        case 'v':
            a->verbose = true;
            break;
        default:
            qemuio_aio_free(a);
            return qemuio_usage(s);
        }
    }
    if (g.nrest < 2) {
        qemuio_aio_free(a);
        return qemuio_usage(s);
    }
    a->offset = qemuio_cvtnum(s, g.rest[0]);
    if (a->offset < 0) {
        int ret = (int)a->offset;

        qemuio_print_cvtnum_err(s, a->offset, g.rest[0]);
        qemuio_aio_free(a);
        return ret;
    }
    a->buf = qemuio_build_iovec(s, &a->qiov, g.rest + 1, g.nrest - 1, 0xab);
    if (!a->buf) {
        qemuio_count_invalid(blk, BLOCK_ACCT_READ);
        qemuio_aio_free(a);
        return -EINVAL;
    }
    a->bytes = a->qiov.size;
    a->start_ns = qemuio_now_ns();
    blk_aio_preadv(blk, a->offset, &a->qiov, 0, qemuio_aio_read_done, a);
    return 0;
}

static int qemuio_aio_write_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    QemuIOAio *a = qemuio_aio_new(s);
    BdrvRequestFlags flags = 0;
    int pattern = 0xcd, ret, c;
    bool zero = false;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "CfiqP:uz")) != -1) {
        switch (c) {
        case 'C':
            a->machine = true;
            break;
        case 'f':
            flags |= BDRV_REQ_FUA;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'u':
            flags |= BDRV_REQ_MAY_UNMAP;
            break;
        case 'P':
            /* with -z the pattern is silently unused, as in qemu-io */
            pattern = qemuio_parse_pattern(s, g.optarg);
            if (pattern < 0) {
                qemuio_aio_free(a);
                return -EINVAL;
            }
            break;
        case 'i':
            qemuio_aio_free(a);
            return qemuio_inject_invalid(s, blk, BLOCK_ACCT_WRITE);
        case 'z':
            zero = true;
            break;
        default:
            qemuio_aio_free(a);
            return qemuio_usage(s);
        }
    }
    if (g.nrest < 2) {
        qemuio_aio_free(a);
        return qemuio_usage(s);
    }
    if (zero && g.nrest != 2) {
        qemuio_printf(s, "-z supports only a single length parameter\n");
        qemuio_aio_free(a);
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) && !zero) {
        qemuio_printf(s, "-u requires -z to be specified\n");
        qemuio_aio_free(a);
        return -EINVAL;
    }
    a->offset = qemuio_cvtnum(s, g.rest[0]);
    if (a->offset < 0) {
        ret = (int)a->offset;
        qemuio_print_cvtnum_err(s, a->offset, g.rest[0]);
        qemuio_aio_free(a);
        return ret;
    }
    if (zero) {
        a->bytes = qemuio_cvtnum(s, g.rest[1]);
        if (a->bytes < 0) {
            ret = (int)a->bytes;
            qemuio_print_cvtnum_err(s, a->bytes, g.rest[1]);
            qemuio_aio_free(a);
            return ret;
        }
        a->start_ns = qemuio_now_ns();
        blk_aio_pwrite_zeroes(blk, a->offset, a->bytes, flags, qemuio_aio_write_done, a);
        return 0;
    }
    a->buf = qemuio_build_iovec(s, &a->qiov, g.rest + 1, g.nrest - 1, pattern);
    if (!a->buf) {
        qemuio_count_invalid(blk, BLOCK_ACCT_WRITE);
        qemuio_aio_free(a);
        return -EINVAL;
    }
    a->bytes = a->qiov.size;
    a->start_ns = qemuio_now_ns();
    blk_aio_pwritev(blk, a->offset, &a->qiov, flags, qemuio_aio_write_done, a);
    return 0;
}

/* Waits for every request of every backend, as qemu-io's blk_drain_all(). */
static int qemuio_aio_flush_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    blk_drain_all();
    qemuio_check_breakpoints(s);
    return 0;
}

static int qemuio_flush_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    return blk_flush(blk);
}

/* ---------------------------------------------------------------- discard */

static int qemuio_discard_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    bool machine = false, quiet = s->flags & QEMUIO_QUIET;
    int64_t offset, bytes, start;
    int ret, c;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "Cq")) != -1) {
        switch (c) {
        case 'C':
            machine = true;
            break;
        case 'q':
            quiet = true;
            break;
        default:
            return qemuio_usage(s);
        }
    }
    if (g.nrest != 2) {
        return qemuio_usage(s);
    }
    ret = qemuio_parse_range(s, g.rest, &offset, &bytes, true, "");
    if (ret < 0) {
        return ret;
    }
    start = qemuio_now_ns();
    ret = qemuio_sync(blk, QEMUIO_DISCARD, offset, bytes, NULL, 0);
    start = qemuio_now_ns() - start;
    if (ret < 0) {
        qemuio_printf(s, "discard failed: %s\n", g_strerror(-ret));
        return ret;
    }
    if (!quiet) {
        qemuio_print_report(s, "discard", start, offset, bytes, bytes, 1, machine);
    }
    return 0;
}

/* ---------------------------------------------------------------- table */

static const char qemuio_read_help[] =
    "\n"
    " reads bytes at an offset of the image\n"
    "\n"
    " Example:\n"
    " 'read -v 512 1k' - shows in hex the 1 KiB that starts 512 bytes into the image\n"
    "\n"
    " -b, -- read the VM state area instead of the disk\n"
    " -C, -- print the statistics as one comma-separated line\n"
    " -l, -- how many bytes -P checks (only with -P)\n"
    " -p, -- accepted and ignored (old scripts)\n"
    " -P, -- check that every byte read has this value\n"
    " -q, -- do not print the statistics\n"
    " -s, -- where in the data read -P starts checking (only with -P)\n"
    " -v, -- dump the data in hex\n"
    "\n";

static const char qemuio_readv_help[] =
    "\n"
    " reads bytes at an offset of the image into one buffer per length given\n"
    "\n"
    " Example:\n"
    " 'readv -v 512 1k 1k' - shows in hex the 2 KiB that start 512 bytes into the image\n"
    "\n"
    " -C, -- print the statistics as one comma-separated line\n"
    " -P, -- check that every byte read has this value\n"
    " -v, -- dump the data in hex\n"
    " -q, -- do not print the statistics\n"
    "\n";

static const char qemuio_write_help[] =
    "\n"
    " writes bytes at an offset of the image\n"
    "\n"
    " Example:\n"
    " 'write 512 1k' - writes 1 KiB starting 512 bytes into the image\n"
    "\n"
    " The data is the byte 0xcd repeated unless -P, -s or -z says otherwise.\n"
    " -b, -- write the VM state area instead of the disk\n"
    " -c, -- write compressed clusters\n"
    " -f, -- write with Force Unit Access (straight to stable storage)\n"
    " -n, -- with -z, fail rather than fall back to writing zero buffers\n"
    " -p, -- accepted and ignored (old scripts)\n"
    " -P, -- write this byte value instead\n"
    " -s, -- take the data from this file (repeated as needed)\n"
    " -C, -- print the statistics as one comma-separated line\n"
    " -q, -- do not print the statistics\n"
    " -u, -- with -z, let the image deallocate the range\n"
    " -z, -- write zeroes with a zero-write request\n"
    "\n";

static const char qemuio_writev_help[] =
    "\n"
    " writes bytes at an offset of the image from one buffer per length given\n"
    "\n"
    " Example:\n"
    " 'writev 512 1k 1k' - writes 2 KiB starting 512 bytes into the image\n"
    "\n"
    " The data is the byte 0xcd repeated unless -P says otherwise.\n"
    " -P, -- write this byte value instead\n"
    " -C, -- print the statistics as one comma-separated line\n"
    " -f, -- write with Force Unit Access (straight to stable storage)\n"
    " -q, -- do not print the statistics\n"
    "\n";

static const char qemuio_aio_read_help[] =
    "\n"
    " starts reading bytes at an offset of the image, one buffer per length\n"
    "\n"
    " Example:\n"
    " 'aio_read -v 512 1k 1k' - shows in hex the 2 KiB that start 512 bytes in\n"
    "\n"
    " The command returns at once; the result is printed when the read completes.\n"
    " aio_flush waits for all outstanding requests.  Errors and pattern\n"
    " mismatches found at completion do not make the command fail.\n"
    " -C, -- print the statistics as one comma-separated line\n"
    " -P, -- check that every byte read has this value\n"
    " -i, -- count an invalid request in the statistics and do nothing else\n"
    " -v, -- dump the data in hex\n"
    " -q, -- do not print the statistics\n"
    "\n";

static const char qemuio_aio_write_help[] =
    "\n"
    " starts writing bytes at an offset of the image, one buffer per length\n"
    "\n"
    " Example:\n"
    " 'aio_write 512 1k 1k' - writes 2 KiB starting 512 bytes into the image\n"
    "\n"
    " The data is the byte 0xcd repeated unless -P or -z says otherwise.\n"
    " The command returns at once; the result is printed when the write completes.\n"
    " aio_flush waits for all outstanding requests.  Errors found at completion\n"
    " do not make the command fail.\n"
    " -P, -- write this byte value instead\n"
    " -C, -- print the statistics as one comma-separated line\n"
    " -f, -- write with Force Unit Access (straight to stable storage)\n"
    " -i, -- count an invalid request in the statistics and do nothing else\n"
    " -q, -- do not print the statistics\n"
    " -u, -- with -z, let the image deallocate the range\n"
    " -z, -- write zeroes with a zero-write request\n"
    "\n";

static const char qemuio_discard_help[] =
    "\n"
    " discards bytes at an offset of the image\n"
    "\n"
    " Example:\n"
    " 'discard 512 1k' - discards 1 KiB starting 512 bytes into the image\n"
    "\n"
    " -C, -- print the statistics as one comma-separated line\n"
    " -q, -- do not print the statistics\n"
    "\n";

const QemuIOCommand qemuio_rw_cmds[] = {
    {
        .name = "read",
        .altname = "r",
        .fn = qemuio_read_f,
        .argmin = 2,
        .argmax = -1,
        .args = "[-abCqv] [-P pattern [-s off] [-l len]] off len",
        .oneline = "reads a number of bytes at a specified offset",
        .help = qemuio_read_help,
    },
    {
        .name = "readv",
        .fn = qemuio_readv_f,
        .argmin = 2,
        .argmax = -1,
        .args = "[-Cqv] [-P pattern] off len [len..]",
        .oneline = "reads a number of bytes at a specified offset",
        .help = qemuio_readv_help,
    },
    {
        .name = "write",
        .altname = "w",
        .fn = qemuio_write_f,
        .argmin = 2,
        .argmax = -1,
        .perm = BLK_PERM_WRITE,
        .args = "[-bcCfnquz] [-P pattern | -s source_file] off len",
        .oneline = "writes a number of bytes at a specified offset",
        .help = qemuio_write_help,
    },
    {
        .name = "writev",
        .fn = qemuio_writev_f,
        .argmin = 2,
        .argmax = -1,
        .perm = BLK_PERM_WRITE,
        .args = "[-Cfq] [-P pattern] off len [len..]",
        .oneline = "writes a number of bytes at a specified offset",
        .help = qemuio_writev_help,
    },
    {
        .name = "aio_read",
        .fn = qemuio_aio_read_f,
        .argmin = 2,
        .argmax = -1,
        .args = "[-Ciqv] [-P pattern] off len [len..]",
        .oneline = "asynchronously reads a number of bytes",
        .help = qemuio_aio_read_help,
    },
    {
        .name = "aio_write",
        .fn = qemuio_aio_write_f,
        .argmin = 2,
        .argmax = -1,
        .perm = BLK_PERM_WRITE,
        .args = "[-Cfiquz] [-P pattern] off len [len..]",
        .oneline = "asynchronously writes a number of bytes",
        .help = qemuio_aio_write_help,
    },
    {
        .name = "aio_flush",
        .fn = qemuio_aio_flush_f,
        .oneline = "completes all outstanding aio requests",
    },
    {
        .name = "flush",
        .altname = "f",
        .fn = qemuio_flush_f,
        .oneline = "flush all in-core file state to disk",
    },
    {
        .name = "discard",
        .altname = "d",
        .fn = qemuio_discard_f,
        .argmin = 2,
        .argmax = -1,
        .perm = BLK_PERM_WRITE,
        .args = "[-Cq] off len",
        .oneline = "discards a number of bytes at a specified offset",
        .help = qemuio_discard_help,
    },
    {NULL},
};
