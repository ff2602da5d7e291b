/*
 * minivm-img bench [-c count] [-d depth] [-f fmt] [--flush-interval=N] [-i aio] [-n]
 *                  [--no-drain] [-o offset] [--pattern=byte] [-q] [-s buffer_size]
 *                  [-S step_size] [-t cache] [-w] [-U] filename
 *
 * Keeps 'depth' asynchronous requests in flight until 'count' have
 * completed, each at the previous offset plus the step (wrapping at the end
 * of the image), optionally with a flush every N requests, and reports the
 * wall-clock time.  The same structure as qemu-img bench, so the two time
 * the same work.
 */
#include "tools/img-common.h"

#include <limits.h>
#include <sys/time.h>

enum {
    OPTION_FLUSH_INTERVAL = 256,
    OPTION_PATTERN,
    OPTION_NO_DRAIN,
};

typedef struct Bench {
    BlockBackend *blk;
    int64_t image_size, offset;
    int bufsize, step;
    int nrreq, n, in_flight;
    bool write, in_flush, drain_on_flush;
    int flush_interval;
    uint8_t *buf;
    QEMUIOVector qiov;
} Bench;

static void bench_cb(void *opaque, int ret);

static void bench_undrained_flush_cb(void *opaque, int ret)
{
    if (ret < 0) {
        error_report("Failed flush request: %s", strerror(-ret));
        exit(EXIT_FAILURE);
    }
}

static void bench_cb(void *opaque, int ret)
{
    Bench *b = opaque;

    if (ret < 0) {
        error_report("Failed request: %s", strerror(-ret));
        exit(EXIT_FAILURE);
    }
    if (b->in_flush) {
        /* A draining flush finished: the queue is empty, refill it. */
        b->in_flush = false;
    } else if (b->in_flight > 0) {
        int remaining = b->n - b->in_flight;

        b->n--;
        b->in_flight--;
        if (b->flush_interval && remaining % b->flush_interval == 0) {
            if (!b->in_flight || !b->drain_on_flush) {
                b->in_flush = b->drain_on_flush;
                blk_aio_flush(b->blk, b->drain_on_flush ? bench_cb : bench_undrained_flush_cb, b);
            }
            if (b->drain_on_flush) {
                return;
            }
        }
    }
    while (b->n > b->in_flight && b->in_flight < b->nrreq) {
        int64_t offset = b->offset;

        /* Counted before submitting: a request may complete at once. */
        b->in_flight++;
        b->offset = (b->offset + b->step) % b->image_size;
        if (b->write) {
            blk_aio_pwritev(b->blk, offset, &b->qiov, 0, bench_cb, b);
        } else {
            blk_aio_preadv(b->blk, offset, &b->qiov, 0, bench_cb, b);
        }
    }
}

/* A whole-string unsigned number no larger than max; false if not. */
static bool bench_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 0);
    return *s && !*end && !errno && *out <= max && !strchr(s, '-');
}

int img_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"flush-interval", required_argument, NULL, OPTION_FLUSH_INTERVAL},
        {"pattern", required_argument, NULL, OPTION_PATTERN},
        {"no-drain", no_argument, NULL, OPTION_NO_DRAIN},
        {"force-share", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    Bench b = {.drain_on_flush = true, .bufsize = 4096, .nrreq = 64, .n = 75000};
    ImgOpen o = {0};
    unsigned long v;
    int64_t sval;
    int pattern = 0, step = 0, c, ret = 1;
    struct timeval t1, t2;

    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (!bench_parse_uint(optarg, INT_MAX, &v)) {
                error_report("Invalid request count specified");
                return 1;
            }
            b.n = (int)v;
            break;
        case 'd':
            if (!bench_parse_uint(optarg, INT_MAX, &v)) {
                error_report("Invalid queue depth specified");
                return 1;
            }
            b.nrreq = (int)v;
            break;
        case 'f':
            o.fmt = optarg;
            break;
        case 'n':
            o.flags |= BDRV_O_NATIVE_AIO;
            break;
        case 'i':
            if (!img_parse_aio(optarg, &o.flags)) {
                error_report("Invalid aio option: %s", optarg);
                return 1;
            }
            o.aio_threads = !strcmp(optarg, "threads");
            break;
        case 'o':
            b.offset = img_cvtnum("offset", optarg);
            if (b.offset < 0) {
                return 1;
            }
            break;
        case 'q':
            /* Only quietens opening: the results are the point of a benchmark. */
            break;
        case 's':
            sval = img_cvtnum_full("buffer size", optarg, 0, INT_MAX);
            if (sval < 0) {
                return 1;
            }
            b.bufsize = (int)sval;
            break;
        case 'S':
            sval = img_cvtnum_full("step_size", optarg, 0, INT_MAX);
            if (sval < 0) {
                return 1;
            }
            step = (int)sval;
            break;
        case 't':
            if (!img_parse_cache(optarg, &o.flags, &o.writethrough)) {
                error_report("Invalid cache mode");
                return 1;
            }
            break;
        case 'w':
            o.flags |= BDRV_O_RDWR;
            b.write = true;
            break;
        case 'U':
            o.force_share = true;
            break;
        case OPTION_PATTERN:
            if (!bench_parse_uint(optarg, 0xff, &v)) {
                error_report("Invalid pattern byte specified");
                return 1;
            }
            pattern = (int)v;
            break;
        case OPTION_FLUSH_INTERVAL:
            if (!bench_parse_uint(optarg, INT_MAX, &v)) {
                error_report("Invalid flush interval specified");
                return 1;
            }
            b.flush_interval = (int)v;
            break;
        case OPTION_NO_DRAIN:
            b.drain_on_flush = false;
            break;
        default:
            img_bad_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
    }
    if (!b.write && b.flush_interval) {
        error_report("--flush-interval is only available in write tests");
        return 1;
    }
    if (b.flush_interval && b.flush_interval < b.nrreq) {
        error_report("Flush interval can't be smaller than depth");
        return 1;
    }

    b.blk = img_open(argv[argc - 1], &o);
    if (!b.blk) {
        return 1;
    }
    b.image_size = blk_getlength(b.blk);
    if (b.image_size <= 0) {
        goto out;
    }
    b.step = step ? step : b.bufsize;
    printf("Sending %d %s requests, %d bytes each, %d in parallel (starting at offset %" PRId64
           ", step size %d)\n",
           b.n, b.write ? "write" : "read", b.bufsize, b.nrreq, b.offset, b.step);
    if (b.flush_interval) {
        printf("Sending flush every %d requests\n", b.flush_interval);
    }
    fflush(stdout);

    /* Every request uses the same buffer, as qemu-img does. */
    b.buf = img_buf_alloc((size_t)b.nrreq * b.bufsize);
    memset(b.buf, pattern, (size_t)b.nrreq * b.bufsize);
    qemu_iovec_init_buf(&b.qiov, b.buf, b.bufsize);

    gettimeofday(&t1, NULL);
    bench_cb(&b, 0);
    MAIN_LOOP_WAIT_WHILE(b.n > 0);
    gettimeofday(&t2, NULL);
    printf("Run completed in %3.3f seconds.\n",
           (t2.tv_sec - t1.tv_sec) + (double)(t2.tv_usec - t1.tv_usec) / 1000000);
    ret = 0;
out:
    /*
     * The last flush may still be in flight (qemu-img stops the clock
     * without it).  Each request holds a reference to the backend, so
     * blk_unref alone would not wait for it: drain first.
     */
    blk_drain(b.blk);
    img_buf_free(b.buf);
    blk_unref(b.blk);
    return ret;
}
