/* temporary benchmark (not committed): 4 KiB random reads at QD 32 */
#include "bfile-test-util.h"
#include "block/file-posix.h"
#include <time.h>

static BlockDriverState *bs;
static int64_t size;
static int64_t deadline;
static long ops;
static int running;
static bool do_write;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void coroutine_fn worker(void *o)
{
    uint8_t *buf = file_memalign(4096, 4096);
    unsigned seed = (uintptr_t)o;
    QEMUIOVector q;
    qemu_iovec_init_buf(&q, buf, 4096);
    memset(buf, 1, 4096);
    while (now_ns() < deadline) {
        int64_t off = (int64_t)(rand_r(&seed) % (size / 4096)) * 4096;
        int ret = do_write ? bs->drv->bdrv_co_pwritev(bs, off, 4096, &q, 0)
                           : bs->drv->bdrv_co_preadv(bs, off, 4096, &q, 0);
        if (ret < 0) abort();
        ops++;
    }
    free(buf);
    running--;
}

int main(int argc, char **argv)
{
    const char *path = argv[1], *aio = argv[2];
    bool direct = !strcmp(argv[3], "direct");
    int qd = atoi(argv[4]);
    double secs = 5;
    do_write = argc > 5 && !strcmp(argv[5], "write");
    main_loop_init();
    Error *err = NULL;
    char *txt = g_strdup_printf("{\"driver\": \"file\", \"filename\": \"%s\", \"aio\": \"%s\", \"cache\": {\"direct\": %s}}",
                 path, aio, direct ? "true" : "false");
    BlockdevOptions *opts;
    json_t *j = json_loads(txt, 0, NULL);
    if (!qapi_parse_BlockdevOptions(j, false, &opts, &error_abort)) return 1;
    bs = bdrv_open_blockdev(opts, BDRV_O_RDWR | (direct ? BDRV_O_NOCACHE : 0), &err);
    if (!bs) { fprintf(stderr, "%s\n", error_get_pretty(err)); return 1; }
    size = bs->drv->bdrv_getlength(bs);
    int64_t start = now_ns();
    deadline = start + (int64_t)(secs * 1e9);
    running = qd;
    for (int i = 0; i < qd; i++) qemu_coroutine_enter(qemu_coroutine_create(worker, (void *)(uintptr_t)(i + 1)));
    MAIN_LOOP_WAIT_WHILE(running > 0);
    double el = (now_ns() - start) / 1e9;
    printf("%-8s %-8s qd=%-3d %s: %.0f IOPS (%.1f MiB/s)\n", aio, direct ? "direct" : "buffered", qd, do_write ? "write" : "read", ops / el, ops / el * 4096 / 1048576);
    bdrv_unref(bs);
    return 0;
}
