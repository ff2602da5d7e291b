/*
 * qemu-io's commands about the image as a whole: length, info, map, alloc,
 * truncate and reopen; and the cache/aio/discard option words that opening
 * an image takes.
 */
#include "util/osdep.h"

#include "block/block_int.h" /* info names the driver's protocol, as qemu-io */
#include "qapi/qapi-json.h"
#include "qapi/qapi-visit.h"
#include "tools/qemu-io-int.h"

/* ---------------------------------------------------------------- open options */

int qemuio_parse_cache_mode(const char *mode, int *flags, bool *writethrough)
{
    static const struct {
        const char *name;
        int flags;
        bool writethrough;
    } modes[] = {
        {"none", BDRV_O_NOCACHE, false},      {"off", BDRV_O_NOCACHE, false},
        {"directsync", BDRV_O_NOCACHE, true}, {"writeback", 0, false},
        {"unsafe", BDRV_O_NO_FLUSH, false},   {"writethrough", 0, true},
    };

    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(mode, modes[i].name)) {
            *flags = (*flags & ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)) | modes[i].flags;
            *writethrough = modes[i].writethrough;
            return 0;
        }
    }
    return -1;
}

int qemuio_parse_aio(const char *mode, int *flags)
{
    static const struct {
        const char *name;
        int flags;
    } modes[] = {{"threads", 0}, {"native", BDRV_O_NATIVE_AIO}, {"io_uring", BDRV_O_IO_URING}};

    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(mode, modes[i].name)) {
            *flags = (*flags & ~(BDRV_O_NATIVE_AIO | BDRV_O_IO_URING)) | modes[i].flags;
            return 0;
        }
    }
    return -1;
}

int qemuio_parse_discard(const char *mode, int *flags)
{
    if (!strcmp(mode, "off") || !strcmp(mode, "ignore")) {
        *flags &= ~BDRV_O_UNMAP;
    } else if (!strcmp(mode, "on") || !strcmp(mode, "unmap")) {
        *flags |= BDRV_O_UNMAP;
    } else {
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- allocation */

typedef struct QemuIOAllocReq {
    BlockDriverState *bs;
    int64_t offset, bytes, pnum;
    int ret;
} QemuIOAllocReq;

static void coroutine_fn qemuio_alloc_entry(void *opaque)
{
    QemuIOAllocReq *r = opaque;

    r->ret = bdrv_co_is_allocated(r->bs, r->offset, r->bytes, &r->pnum);
}

/* Whether [offset, offset + *pnum) is allocated in bs itself (1/0), or -errno. */
static int qemuio_is_allocated(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum)
{
    QemuIOAllocReq r = {.bs = bs, .offset = offset, .bytes = bytes};

    if (!bs) {
        *pnum = 0;
        return -ENOMEDIUM;
    }
    coroutine_run_sync(qemuio_alloc_entry, &r);
    *pnum = r.pnum;
    return r.ret;
}

static int qemuio_alloc_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    int64_t offset, start, count, remaining, num, allocated = 0;
    char where[64];
    int ret;

    start = offset = qemuio_cvtnum(s, argv[1]);
    if (offset < 0) {
        qemuio_print_cvtnum_err(s, offset, argv[1]);
        return (int)offset;
    }
    count = BDRV_SECTOR_SIZE;
    if (argc == 3) {
        count = qemuio_cvtnum(s, argv[2]);
        if (count < 0) {
            qemuio_print_cvtnum_err(s, count, argv[2]);
            return (int)count;
        }
    }
    for (remaining = count; remaining > 0;) {
        ret = qemuio_is_allocated(blk_bs(blk), offset, remaining, &num);
        if (ret < 0) {
            qemuio_printf(s, "is_allocated failed: %s\n", g_strerror(-ret));
            return ret;
        }
        if (num == 0) {
            /* the end of the image: report only what exists */
            count -= remaining;
            break;
        }
        offset += num;
        remaining -= num;
        if (ret) {
            allocated += num;
        }
    }
    qemuio_cvtstr((double)start, where, sizeof(where));
    qemuio_printf(s, "%" PRId64 "/%" PRId64 " bytes allocated at offset %s\n", allocated, count,
                  where);
    return 0;
}

/* The extent from offset with the same allocation status; *pnum its length. */
static int qemuio_map_extent(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum)
{
    int64_t num;
    int first, ret;

    first = qemuio_is_allocated(bs, offset, bytes, &num);
    if (first < 0) {
        return first;
    }
    *pnum = num;
    while (num > 0 && bytes > num) {
        offset += num;
        bytes -= num;
        ret = qemuio_is_allocated(bs, offset, bytes, &num);
        if (ret != first || num == 0) {
            break;
        }
        *pnum += num;
    }
    return first;
}

static int qemuio_map_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    int64_t offset = 0, bytes = blk_getlength(blk), num;
    char len_str[64], off_str[64];
    int ret;

    if (bytes < 0) {
        qemuio_error(s, "Failed to query image length: %s", g_strerror((int)-bytes));
        return (int)bytes;
    }
    while (bytes > 0) {
        ret = qemuio_map_extent(blk_bs(blk), offset, bytes, &num);
        if (ret < 0) {
            qemuio_error(s, "Failed to get allocation status: %s", g_strerror(-ret));
            return ret;
        }
        if (num == 0) {
            qemuio_error(s, "Unexpected end of image");
            return -EIO;
        }
        qemuio_cvtstr((double)num, len_str, sizeof(len_str));
        qemuio_cvtstr((double)offset, off_str, sizeof(off_str));
        qemuio_printf(s, "%s (0x%" PRIx64 ") bytes %s at offset %s (0x%" PRIx64 ")\n", len_str,
                      (uint64_t)num, ret ? "    allocated" : "not allocated", off_str,
                      (uint64_t)offset);
        offset += num;
        bytes -= num;
    }
    return 0;
}

/* ---------------------------------------------------------------- size and info */

static int qemuio_length_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    int64_t size = blk_getlength(blk);
    char str[64];

    if (size < 0) {
        qemuio_printf(s, "getlength: %s\n", g_strerror((int)-size));
        return (int)size;
    }
    qemuio_cvtstr((double)size, str, sizeof(str));
    qemuio_printf(s, "%s\n", str);
    return 0;
}

static void qemuio_dump_value(QemuIOSession *s, int indent, json_t *v);

static void qemuio_dump_member(QemuIOSession *s, int indent, const char *label, json_t *v)
{
    bool composite = json_is_object(v) || json_is_array(v);

    qemuio_printf(s, "%*s%s:%c", indent * 4, "", label, composite ? '\n' : ' ');
    qemuio_dump_value(s, indent + 1, v);
}

/* The format-specific data as "key with spaces: value" lines, nested by 4. */
static void qemuio_dump_value(QemuIOSession *s, int indent, json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *member;

        json_object_foreach(v, key, member)
        {
            g_autofree char *label = g_strdelimit(g_strdup(key), "-", ' ');

            qemuio_dump_member(s, indent, label, member);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            g_autofree char *label = g_strdup_printf("[%zu]", i);

            qemuio_dump_member(s, indent, label, json_array_get(v, i));
        }
    } else if (json_is_string(v)) {
        qemuio_printf(s, "%s\n", json_string_value(v));
    } else if (json_is_integer(v)) {
        qemuio_printf(s, "%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
    } else if (json_is_real(v)) {
        qemuio_printf(s, "%f\n", json_real_value(v));
    } else if (json_is_boolean(v)) {
        qemuio_printf(s, "%s\n", json_is_true(v) ? "true" : "false");
    } else {
        qemuio_printf(s, "null\n");
    }
}

static int qemuio_info_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(blk);
    ImageInfoSpecific *spec = NULL;
    BlockDriverInfo bdi;
    Error *err = NULL;
    char csize[64], vmoff[64];
    int ret;

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    qemuio_printf(s, "format name: %s\n", bs->drv->format_name);
    if (bs->drv->protocol_name) {
        qemuio_printf(s, "format name: %s\n", bs->drv->protocol_name);
    }
    ret = bdrv_get_info(bs, &bdi);
    if (ret) {
        return ret;
    }
    qemuio_cvtstr(bdi.cluster_size, csize, sizeof(csize));
    qemuio_cvtstr((double)bdi.vm_state_offset, vmoff, sizeof(vmoff));
    qemuio_printf(s, "cluster size: %s\nvm state offset: %s\n", csize, vmoff);

    if (bs->drv->bdrv_get_specific_info) {
        spec = bs->drv->bdrv_get_specific_info(bs, &err);
        if (err) {
            qemuio_error_err(s, err);
            return -EIO;
        }
    }
    if (spec) {
        json_t *j = qapi_to_json_ImageInfoSpecific(spec);
        json_t *data = json_object_get(j, "data");
        /* members in the order QEMU's dictionaries print them */
        json_t *ordered = qapi_json_qdict_order(data ? data : j);

        qemuio_printf(s, "Format specific information:\n");
        qemuio_dump_value(s, 1, ordered);
        json_decref(ordered);
        json_decref(j);
        qapi_free_ImageInfoSpecific(spec);
    }
    return 0;
}

/* ---------------------------------------------------------------- truncate, reopen */

static int qemuio_truncate_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    Error *err = NULL;
    int64_t offset;
    int ret, c;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "m:")) != -1) {
        switch (c) {
        case 'm':
            prealloc = qapi_enum_parse(&PreallocMode_lookup, g.optarg, PREALLOC_MODE__MAX, NULL);
            if (prealloc == PREALLOC_MODE__MAX) {
                qemuio_error(s, "Invalid preallocation mode '%s'", g.optarg);
                return -EINVAL;
            }
            break;
        default:
            return qemuio_usage(s);
        }
    }
    if (g.nrest != 1) {
        return qemuio_usage(s);
    }
    offset = qemuio_cvtnum(s, g.rest[0]);
    if (offset < 0) {
        qemuio_print_cvtnum_err(s, offset, g.rest[0]);
        return (int)offset;
    }
    ret = blk_truncate(blk, offset, false, prealloc, 0, &err);
    if (ret < 0) {
        qemuio_error_err(s, err);
        return ret;
    }
    return 0;
}

static int qemuio_reopen_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    g_auto(QemuIOGetopt) g;
    BlockDriverState *bs = blk_bs(blk);
    bool writethrough = !blk_enable_write_cache(blk), has_rw = false, read_only = false;
    int flags = bs ? bs->open_flags : 0;
    Error *err = NULL;
    int c;

    qemuio_getopt_init(&g, argc, argv);
    while ((c = qemuio_getopt(s, &g, "c:o:rw")) != -1) {
        switch (c) {
        case 'c':
            if (qemuio_parse_cache_mode(g.optarg, &flags, &writethrough) < 0) {
                qemuio_error(s, "Invalid cache option: %s", g.optarg);
                return -EINVAL;
            }
            break;
        case 'o':
            qemuio_error(s, "Changing driver options with reopen is not supported");
            return -ENOTSUP;
        case 'r':
        case 'w':
            if (has_rw) {
                qemuio_error(s, "Only one -r/-w option may be given");
                return -EINVAL;
            }
            has_rw = true;
            read_only = c == 'r';
            break;
        default:
            return qemuio_usage(s);
        }
    }
    if (g.nrest != 0) {
        return qemuio_usage(s);
    }
    if (writethrough != !blk_enable_write_cache(blk) && blk_get_attached_dev(blk)) {
        qemuio_error(s, "Cannot change cache.writeback: Device attached");
        return -EBUSY;
    }
    if (!bs) {
        return -ENOMEDIUM;
    }
    if ((flags ^ bs->open_flags) & (BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)) {
        qemuio_error(s, "Cannot change cache.direct or cache.no-flush of an open image");
        return -ENOTSUP;
    }
    if (has_rw && read_only) {
        uint64_t perm, shared;

        /* a read-only node cannot keep a writing user */
        blk_drain(blk);
        blk_get_perm(blk, &perm, &shared);
        blk_set_perm(blk, perm & ~(BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE),
                     shared, &error_abort);
    }
    if (has_rw && bdrv_reopen_set_read_only(bs, read_only, &err) < 0) {
        qemuio_error_err(s, err);
        return -EINVAL;
    }
    blk_set_enable_write_cache(blk, !writethrough);
    return 0;
}

/* ---------------------------------------------------------------- table */

static const char qemuio_reopen_help[] = "\n"
                                         " changes how the open image is opened\n"
                                         "\n"
                                         " Example:\n"
                                         " 'reopen -r' - makes the image read-only\n"
                                         "\n"
                                         " -r, -- reopen read-only\n"
                                         " -w, -- reopen read-write\n"
                                         " -c, -- switch to this cache mode\n"
                                         " -o, -- change driver options (not supported by minivm)\n"
                                         "\n";

const QemuIOCommand qemuio_image_cmds[] = {
    {
        .name = "truncate",
        .altname = "t",
        .fn = qemuio_truncate_f,
        .argmin = 1,
        .argmax = 3,
        .perm = BLK_PERM_WRITE | BLK_PERM_RESIZE,
        .args = "[-m prealloc_mode] off",
        .oneline = "truncates the current file at the given offset",
    },
    {
        .name = "length",
        .altname = "l",
        .fn = qemuio_length_f,
        .oneline = "gets the length of the current file",
    },
    {
        .name = "info",
        .altname = "i",
        .fn = qemuio_info_f,
        .oneline = "prints information about the current file",
    },
    {
        .name = "alloc",
        .altname = "a",
        .fn = qemuio_alloc_f,
        .argmin = 1,
        .argmax = 2,
        .args = "offset [count]",
        .oneline = "checks if offset is allocated in the file",
    },
    {
        .name = "map",
        .fn = qemuio_map_f,
        .args = "",
        .oneline = "prints the allocated areas of a file",
    },
    {
        .name = "reopen",
        .fn = qemuio_reopen_f,
        .argmin = 0,
        .argmax = -1,
        .args = "[(-r|-w)] [-c cache] [-o options]",
        .oneline = "reopens an image with new options",
        .help = qemuio_reopen_help,
    },
    {NULL},
};
