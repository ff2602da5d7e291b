/*
 * minivm-img info [-f fmt] [--output=human|json] [--backing-chain] [-U] filename
 *
 * Each image of the chain is opened on its own, without its backing file,
 * as qemu-img does: a missing backing file does not stop 'info', and the
 * chain is followed by name.
 */
#include "tools/img-common.h"

#include "block/block_int.h"
#include "monitor/json-stream.h"
#include "qapi/qapi-json.h"
#include "qapi/qapi-visit.h"

enum {
    OPTION_OUTPUT = 256,
    OPTION_BACKING_CHAIN,
};

/*
 * Not opening the backing file makes the core describe a node as
 * json:{"backing": null, ...}; qemu-img, which does no I/O through the
 * missing backing file, ignores that override.  Drops it; a format node
 * left with nothing but its driver and file takes its file's name, as in
 * QEMU.
 */
static char *info_plain_name(const char *name, BlockDriverState *bs)
{
    json_t *o = json_loads(name + 5, 0, NULL);
    const char *file_name = bs->file ? bs->file->bs->filename : "";
    char *out;

    if (!json_is_object(o)) {
        json_decref(o);
        return g_strdup(name);
    }
    if (json_is_null(json_object_get(o, "backing"))) {
        json_object_del(o, "backing");
    }
    if (json_object_size(o) == 2 && json_object_get(o, "driver") && json_object_get(o, "file") &&
        file_name[0] && !g_str_has_prefix(file_name, "json:")) {
        out = g_strdup(file_name);
    } else {
        char *text = json_stream_format(o, false);

        out = g_strdup_printf("json:%s", text);
        g_free(text);
    }
    json_decref(o);
    return out;
}

/*
 * What ImageInfo the core reports, with the names qemu-img would show: the
 * full backing file name follows QEMU's path rule for the name given, and
 * protocol 'file' images carry the (clean) dirty flag QEMU always reports.
 */
static void info_fixup(ImageInfo *info, BlockDriverState *bs)
{
    BlockDriverState *leaf = bs;

    if (g_str_has_prefix(info->filename, "json:")) {
        char *plain = info_plain_name(info->filename, bs);

        g_free(info->filename);
        info->filename = plain;
    }
    /* Relative to the image's name, as QEMU combines paths (no "./"). */
    if (info->has_backing_filename && !g_str_has_prefix(info->filename, "json:")) {
        g_free(info->full_backing_filename);
        info->has_full_backing_filename = true;
        info->full_backing_filename = img_path_combine(info->filename, info->backing_filename);
    }
    while (leaf->file) {
        leaf = leaf->file->bs;
    }
    if (!info->has_dirty_flag && !strcmp(bdrv_get_format_name(leaf), "file")) {
        info->has_dirty_flag = true;
        info->dirty_flag = false;
    }
}

static void info_free(gpointer p)
{
    qapi_free_ImageInfo(p);
}

/* The ImageInfo of filename, and with chain those of its backing files. */
static GPtrArray *info_collect(const char *filename, const char *fmt, bool chain, bool force_share)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(info_free);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *name = g_strdup(filename);
    g_autofree char *format = g_strdup(fmt);

    while (name) {
        ImgOpen o = {.fmt = format, .no_backing = true, .force_share = force_share};
        BlockBackend *blk;
        ImageInfo *info;
        Error *err = NULL;

        if (g_hash_table_contains(seen, name)) {
            error_report("Backing file '%s' creates an infinite loop.", name);
            goto fail;
        }
        g_hash_table_add(seen, g_strdup(name));
        blk = img_open(name, &o);
        if (!blk) {
            goto fail;
        }
        info = bdrv_query_image_info(blk_bs(blk), false, &err);
        if (!info) {
            error_report_err(err);
            blk_unref(blk);
            goto fail;
        }
        info_fixup(info, blk_bs(blk));
        blk_unref(blk);
        g_ptr_array_add(list, info);

        g_free(name);
        g_free(format);
        name = format = NULL;
        if (chain && info->has_full_backing_filename) {
            name = g_strdup(info->full_backing_filename);
            format =
                info->has_backing_filename_format ? g_strdup(info->backing_filename_format) : NULL;
        }
    }
    g_hash_table_destroy(seen);
    return list;

fail:
    g_hash_table_destroy(seen);
    g_ptr_array_free(list, true);
    return NULL;
}

/* ---------------------------------------------------------------- human output */

static void dump_value(int indent, json_t *v);

static void dump_object(int indent, json_t *o)
{
    const char *key;
    json_t *v;

    json_object_foreach(o, key, v)
    {
        g_autofree char *label = g_strdelimit(g_strdup(key), "-", ' ');
        bool composite = json_is_object(v) || json_is_array(v);

        printf("%*s%s:%c", indent * 4, "", label, composite ? '\n' : ' ');
        dump_value(indent + 1, v);
    }
}

static void dump_array(int indent, json_t *a)
{
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v)
    {
        bool composite = json_is_object(v) || json_is_array(v);

        printf("%*s[%zu]:%c", indent * 4, "", i, composite ? '\n' : ' ');
        dump_value(indent + 1, v);
    }
}

static void dump_value(int indent, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        dump_object(indent, v);
        return;
    case JSON_ARRAY:
        dump_array(indent, v);
        return;
    case JSON_STRING:
        printf("%s\n", json_string_value(v));
        return;
    case JSON_INTEGER:
        printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
        return;
    case JSON_REAL:
        printf("%.17g\n", json_real_value(v));
        return;
    default:
        printf("%s\n", json_is_true(v) ? "true" : "false");
        return;
    }
}

static void dump_specific(ImageInfoSpecific *spec)
{
    json_t *j = qapi_to_json_ImageInfoSpecific(spec);
    json_t *data = json_object_get(j, "data");
    json_t *ordered = qapi_json_qdict_order(data ? data : j);

    printf("Format specific information:\n");
    dump_value(1, ordered);
    json_decref(ordered);
    json_decref(j);
}

static void dump_human(ImageInfo *info)
{
    g_autofree char *vsize = img_size_to_str(info->virtual_size);
    g_autofree char *dsize =
        info->has_actual_size ? img_size_to_str(info->actual_size) : g_strdup("unavailable");

    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRId64 " bytes)\ndisk size: %s\n",
           info->filename, info->format, vsize, info->virtual_size, dsize);
    if (info->has_encrypted && info->encrypted) {
        printf("encrypted: yes\n");
    }
    if (info->has_cluster_size) {
        printf("cluster_size: %" PRId64 "\n", info->cluster_size);
    }
    if (info->has_dirty_flag && info->dirty_flag) {
        printf("cleanly shut down: no\n");
    }
    if (info->has_backing_filename) {
        printf("backing file: %s", info->backing_filename);
        if (!info->has_full_backing_filename) {
            printf(" (cannot determine actual path)");
        } else if (strcmp(info->backing_filename, info->full_backing_filename)) {
            printf(" (actual path: %s)", info->full_backing_filename);
        }
        printf("\n");
        if (info->has_backing_filename_format) {
            printf("backing file format: %s\n", info->backing_filename_format);
        }
    }
    if (info->has_format_specific) {
        dump_specific(info->format_specific);
    }
}

int img_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, OPTION_OUTPUT},
        {"backing-chain", no_argument, NULL, OPTION_BACKING_CHAIN},
        {"force-share", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    ImgOutputFormat ofmt = IMG_OUTPUT_HUMAN;
    const char *fmt = NULL, *output = NULL;
    bool chain = false, force_share = false;
    GPtrArray *list;
    int c;

    while ((c = getopt_long(argc, argv, ":f:hU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'U':
            force_share = true;
            break;
        case OPTION_OUTPUT:
            output = optarg;
            break;
        case OPTION_BACKING_CHAIN:
            chain = true;
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
    list = info_collect(argv[optind], fmt, chain, force_share);
    if (!list) {
        return 1;
    }
    if (ofmt == IMG_OUTPUT_JSON) {
        json_t *j = chain ? json_array() : qapi_to_json_ImageInfo(g_ptr_array_index(list, 0));

        for (guint i = 0; chain && i < list->len; i++) {
            json_array_append_new(j, qapi_to_json_ImageInfo(g_ptr_array_index(list, i)));
        }
        img_print_json(j);
        json_decref(j);
    } else {
        for (guint i = 0; i < list->len; i++) {
            if (i) {
                printf("\n");
            }
            dump_human(g_ptr_array_index(list, i));
        }
    }
    g_ptr_array_free(list, true);
    return 0;
}
