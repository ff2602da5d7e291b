/*
 * minivm-img map [-f fmt] [--output=human|json] [--start-offset=N] [--max-length=N] [-U]
 *                filename
 *
 * Walks the image in runs of equal block status through the backing chain:
 * for each run, the depth of the layer that defines it, whether that layer
 * has data or zeroes, and where the data lives in which file.
 */
#include "tools/img-common.h"

#include "block/block_int.h"

enum {
    OPTION_OUTPUT = 256,
    OPTION_START_OFFSET,
    OPTION_MAX_LENGTH,
};

typedef struct MapEntry {
    int64_t start, length, offset;
    int64_t depth;
    bool data, zero, present, has_offset;
    char *filename; /* file holding the data (with has_offset), else NULL */
} MapEntry;

typedef struct MapCo {
    BlockDriverState *top;
    const char *top_name;
    int64_t offset, bytes;
    MapEntry *e;
    int ret;
} MapCo;

/* The status of the run at offset: the first layer that defines it. */
static void coroutine_fn map_status_entry(void *opaque)
{
    MapCo *mc = opaque;
    BlockDriverState *bs = mc->top, *file = NULL;
    int64_t bytes = mc->bytes, map = 0;
    int depth = 0;
    int ret;

    for (;;) {
        ret = bdrv_co_block_status(bs, mc->offset, bytes, &bytes, &map, &file);
        if (ret < 0) {
            mc->ret = ret;
            return;
        }
        if (ret & (BDRV_BLOCK_ZERO | BDRV_BLOCK_DATA)) {
            break;
        }
        if (!bdrv_backing_bs(bs)) {
            ret = 0;
            break;
        }
        bs = bdrv_backing_bs(bs);
        depth++;
    }
    *mc->e = (MapEntry){
        .start = mc->offset,
        .length = bytes,
        .data = ret & BDRV_BLOCK_DATA,
        .zero = ret & BDRV_BLOCK_ZERO,
        .offset = map,
        .has_offset = ret & BDRV_BLOCK_OFFSET_VALID,
        .depth = depth,
        .present = ret & BDRV_BLOCK_ALLOCATED,
    };
    if (file && mc->e->has_offset) {
        /* The layer's file node: show it under the name QEMU would use. */
        char *name = img_chain_name(mc->top, mc->top_name, bs);

        mc->e->filename =
            name && bs->file && file == bs->file->bs ? name : g_strdup(file->filename);
        if (mc->e->filename != name) {
            g_free(name);
        }
    }
    mc->ret = 0;
}

static bool map_mergeable(const MapEntry *cur, const MapEntry *next)
{
    if (cur->length == 0 || cur->zero != next->zero || cur->data != next->data ||
        cur->depth != next->depth || cur->present != next->present ||
        !cur->filename != !next->filename || cur->has_offset != next->has_offset) {
        return false;
    }
    if (cur->filename && strcmp(cur->filename, next->filename)) {
        return false;
    }
    return !cur->has_offset || cur->offset + cur->length == next->offset;
}

/* Prints one run; human output folds data-free runs into zeroes. */
static int map_dump(ImgOutputFormat ofmt, const MapEntry *e, MapEntry *next)
{
    if (ofmt == IMG_OUTPUT_HUMAN) {
        if (e->data && !e->has_offset) {
            error_report("File contains external, encrypted or compressed clusters.");
            return -1;
        }
        if (e->data && !e->zero) {
            printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", e->start, e->length,
                   e->has_offset ? e->offset : 0, e->filename ? e->filename : "");
        }
        if (next && (!next->data || next->zero)) {
            next->data = false;
            next->zero = true;
        }
        return 0;
    }
    printf("{ \"start\": %" PRId64 ", \"length\": %" PRId64 ", \"depth\": %" PRId64
           ", \"present\": %s, \"zero\": %s, \"data\": %s",
           e->start, e->length, e->depth, e->present ? "true" : "false", e->zero ? "true" : "false",
           e->data ? "true" : "false");
    if (e->has_offset) {
        printf(", \"offset\": %" PRId64, e->offset);
    }
    putchar('}');
    if (next) {
        puts(",");
    }
    return 0;
}

static int map_run(BlockBackend *blk, const char *filename, ImgOutputFormat ofmt, int64_t start,
                   int64_t max_length)
{
    MapEntry cur = {.start = start}, next = {0};
    int64_t length = blk_getlength(blk);
    int ret = 0;

    if (length < 0) {
        error_report("Failed to get size for '%s'", filename);
        return 1;
    }
    if (max_length < length - start) {
        length = start + max_length;
    }
    if (ofmt == IMG_OUTPUT_HUMAN) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    } else {
        putchar('[');
    }
    while (cur.start + cur.length < length) {
        MapCo mc = {
            .top = blk_bs(blk),
            .top_name = filename,
            .offset = cur.start + cur.length,
            .e = &next,
        };

        /* Ask for at most 1 GiB at a time, as qemu-img. */
        mc.bytes = MIN(GiB, length - mc.offset);
        img_run_co(map_status_entry, &mc);
        if (mc.ret < 0) {
            error_report("Could not read file metadata: %s", strerror(-mc.ret));
            ret = 1;
            goto out;
        }
        if (map_mergeable(&cur, &next)) {
            cur.length += next.length;
            g_free(next.filename);
            continue;
        }
        if (cur.length > 0 && map_dump(ofmt, &cur, &next) < 0) {
            g_free(next.filename);
            ret = 1;
            goto out;
        }
        g_free(cur.filename);
        cur = next;
    }
    if (map_dump(ofmt, &cur, NULL) < 0) {
        ret = 1;
    } else if (ofmt == IMG_OUTPUT_JSON) {
        puts("]");
    }
out:
    g_free(cur.filename);
    return ret;
}

int img_map(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, OPTION_OUTPUT},
        {"force-share", no_argument, NULL, 'U'},
        {"start-offset", required_argument, NULL, 's'},
        {"max-length", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    ImgOutputFormat ofmt = IMG_OUTPUT_HUMAN;
    ImgOpen o = {0};
    const char *output = NULL;
    int64_t start = 0, max_length = INT64_MAX;
    BlockBackend *blk;
    int c, ret;

    while ((c = getopt_long(argc, argv, ":f:s:l:hU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.fmt = optarg;
            break;
        case 'U':
            o.force_share = true;
            break;
        case OPTION_OUTPUT:
            output = optarg;
            break;
        case 's':
            start = img_cvtnum("start offset", optarg);
            if (start < 0) {
                return 1;
            }
            break;
        case 'l':
            max_length = img_cvtnum("max length", optarg);
            if (max_length < 0) {
                return 1;
            }
            break;
        default:
            img_bad_option(c, argv);
        }
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
    }
    if (output && !img_parse_output(output, &ofmt)) {
        return 1;
    }
    blk = img_open(argv[optind], &o);
    if (!blk) {
        return 1;
    }
    ret = map_run(blk, argv[optind], ofmt, start, max_length);
    blk_unref(blk);
    return ret;
}
