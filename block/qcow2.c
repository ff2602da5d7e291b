/*
 * qcow2 driver: probing, opening (header, feature bits, header extensions,
 * runtime options), closing, header rewrites (dirty/corrupt bits, backing
 * file), image information and the driver table.
 *
 * The header is rewritten whole from the in-memory state: known fields,
 * then the header extensions (ours, then every extension we do not know, in
 * the order the image had them), then the backing file name.
 */
#include "block/qcow2.h"
#include "block/block-backend.h"

/*
 * QEMU's BLOCK_IMAGE_CORRUPTED event, sent when the schema provides it (weak:
 * the event is not part of the schema yet).
 */
void qapi_event_send_block_image_corrupted(const char *device, bool has_node_name,
                                           const char *node_name, const char *msg, bool has_offset,
                                           int64_t offset, bool has_size, int64_t size, bool fatal)
    __attribute__((weak));

/* The feature name table we write into v3 headers (bit names are wire data). */
static const struct {
    uint8_t type; /* 0 incompatible, 1 compatible, 2 autoclear */
    uint8_t bit;
    const char *name;
} qcow2_features[] = {
    {0, 0, "dirty bit"},        {0, 1, "corrupt bit"},         {0, 2, "external data file"},
    {0, 3, "compression type"}, {0, 4, "extended L2 entries"}, {1, 0, "lazy refcounts"},
    {2, 0, "bitmaps"},          {2, 1, "raw external data"},
};
#define FEATURE_ENTRY_LEN 48

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    if (buf_size >= 8 && qcow2_be32(buf) == QCOW2_MAGIC && qcow2_be32(buf + 4) >= 2) {
        return 100;
    }
    return 0;
}

/* ---- File extent bookkeeping ---- */

bool qcow2_within_file(BlockDriverState *bs, uint64_t offset, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;

    if (offset > UINT64_MAX - len) {
        return false;
    }
    if (offset + len <= s->file_size) {
        return true;
    }
    /* Someone else may have grown the file (or our notes lag): ask once. */
    int64_t real = bdrv_getlength(bs->file->bs);
    if (real > 0 && (uint64_t)real > s->file_size) {
        s->file_size = real;
    }
    return offset + len <= s->file_size;
}

void qcow2_note_file_end(BlockDriverState *bs, uint64_t end)
{
    BDRVQcow2State *s = bs->opaque;

    if (end > s->file_size) {
        s->file_size = end;
    }
}

/* ---- Corruption ---- */

static const char *qcow2_image_name(BlockDriverState *bs)
{
    if (bs->file && bs->file->bs && bs->file->bs->filename[0]) {
        return bs->file->bs->filename;
    }
    return bs->filename[0] ? bs->filename : bdrv_get_node_name(bs);
}

static int coroutine_fn write_incompat_bits(BlockDriverState *bs, uint64_t bits)
{
    uint8_t be[8];
    int ret;

    qcow2_put_be64(be, bits);
    ret = bdrv_co_pwrite(bs->file, QCOW2_HDR_INCOMPAT, sizeof(be), be, 0);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    return ret;
}

void qcow2_signal_corruption(BlockDriverState *bs, bool fatal, int64_t offset, int64_t size,
                             const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *msg = NULL;
    BlockBackend *blk = blk_by_root(bs);
    const char *node = bdrv_get_node_name(bs);
    va_list ap;

    if (s->corruption_signaled && (!fatal || s->broken)) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    if (fatal) {
        error_report("%s: qcow2: Marking image as corrupt: %s; further corruption events will be "
                     "suppressed",
                     qcow2_image_name(bs), msg);
    } else {
        error_report("%s: qcow2: Image is corrupt: %s; further non-fatal corruption events "
                     "will be suppressed",
                     qcow2_image_name(bs), msg);
    }
    if (qapi_event_send_block_image_corrupted) {
        qapi_event_send_block_image_corrupted(blk ? blk_name(blk) : "", node && node[0], node, msg,
                                              offset >= 0, offset, size >= 0, size, fatal);
    }
    s->corruption_signaled = true;
    if (fatal) {
        s->broken = true;
        s->incompatible_features |= QCOW2_INCOMPAT_CORRUPT;
        /* v2 headers have no place for the bit: the image is only refused here. */
        if (s->version >= 3 && qemu_in_coroutine()) {
            write_incompat_bits(bs, s->incompatible_features);
        }
    }
}

/* ---- Header ---- */

static int put_extension(uint8_t *buf, uint64_t *pos, uint64_t limit, uint32_t magic,
                         const void *data, uint32_t len)
{
    uint64_t need = 8 + QEMU_ALIGN_UP((uint64_t)len, 8);

    if (*pos + need > limit) {
        return -ENOSPC;
    }
    qcow2_put_be32(buf + *pos, magic);
    qcow2_put_be32(buf + *pos + 4, len);
    if (len) {
        memcpy(buf + *pos + 8, data, len);
    }
    *pos += need;
    return 0;
}

int coroutine_fn qcow2_update_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t cs = s->cluster_size;
    size_t name_len = s->image_backing_file ? strlen(s->image_backing_file) : 0;
    uint64_t limit = cs - name_len;
    g_autofree uint8_t *buf = g_try_malloc0(cs);
    uint64_t pos;
    int ret;

    if (!buf) {
        return -ENOMEM;
    }
    qcow2_put_be32(buf + QCOW2_HDR_MAGIC, QCOW2_MAGIC);
    qcow2_put_be32(buf + QCOW2_HDR_VERSION, s->version);
    qcow2_put_be32(buf + QCOW2_HDR_CLUSTER_BITS, s->cluster_bits);
    qcow2_put_be64(buf + QCOW2_HDR_SIZE, s->size);
    qcow2_put_be32(buf + QCOW2_HDR_L1_SIZE, s->l1_size);
    qcow2_put_be64(buf + QCOW2_HDR_L1_OFFSET, s->l1_table_offset);
    qcow2_put_be64(buf + QCOW2_HDR_REFT_OFFSET, s->refcount_table_offset);
    qcow2_put_be32(buf + QCOW2_HDR_REFT_CLUSTERS, s->refcount_table_size * sizeof(uint64_t) / cs);
    qcow2_put_be32(buf + QCOW2_HDR_NB_SNAPSHOTS, s->nb_snapshots);
    qcow2_put_be64(buf + QCOW2_HDR_SNAPSHOTS_OFFSET, s->snapshots_offset);
    if (s->version >= 3) {
        uint32_t hlen = QCOW2_V3_HEADER_LEN + s->unknown_header_fields_size;
        qcow2_put_be64(buf + QCOW2_HDR_INCOMPAT, s->incompatible_features);
        qcow2_put_be64(buf + QCOW2_HDR_COMPAT, s->compatible_features);
        qcow2_put_be64(buf + QCOW2_HDR_AUTOCLEAR, s->autoclear_features);
        qcow2_put_be32(buf + QCOW2_HDR_REFCOUNT_ORDER, s->refcount_order);
        qcow2_put_be32(buf + QCOW2_HDR_HEADER_LENGTH, hlen);
        buf[QCOW2_HDR_COMPRESSION_TYPE] = 0; /* zlib */
        if (s->unknown_header_fields_size) {
            memcpy(buf + QCOW2_V3_HEADER_LEN, s->unknown_header_fields,
                   s->unknown_header_fields_size);
        }
        pos = hlen;
    } else {
        pos = QCOW2_V2_HEADER_LEN;
    }

    if (s->image_backing_format) {
        ret = put_extension(buf, &pos, limit, QCOW2_EXT_BACKING_FORMAT, s->image_backing_format,
                            strlen(s->image_backing_format));
        if (ret < 0) {
            return ret;
        }
    }
    if (s->version >= 3) {
        uint8_t table[ARRAY_SIZE(qcow2_features) * FEATURE_ENTRY_LEN] = {0};
        for (size_t i = 0; i < ARRAY_SIZE(qcow2_features); i++) {
            uint8_t *e = table + i * FEATURE_ENTRY_LEN;
            e[0] = qcow2_features[i].type;
            e[1] = qcow2_features[i].bit;
            strncpy((char *)e + 2, qcow2_features[i].name, FEATURE_ENTRY_LEN - 2);
        }
        ret = put_extension(buf, &pos, limit, QCOW2_EXT_FEATURE_TABLE, table, sizeof(table));
        if (ret < 0) {
            return ret;
        }
    }
    if (s->has_bitmaps_ext) {
        ret = put_extension(buf, &pos, limit, QCOW2_EXT_BITMAPS, s->bitmaps_ext,
                            sizeof(s->bitmaps_ext));
        if (ret < 0) {
            return ret;
        }
    }
    for (GList *l = s->unknown_exts; l; l = l->next) {
        Qcow2Extension *ext = l->data;
        ret = put_extension(buf, &pos, limit, ext->magic, ext->data, ext->len);
        if (ret < 0) {
            return ret;
        }
    }
    ret = put_extension(buf, &pos, limit, QCOW2_EXT_END, NULL, 0);
    if (ret < 0) {
        return ret;
    }
    if (s->image_backing_file) {
        memcpy(buf + pos, s->image_backing_file, name_len);
        qcow2_put_be64(buf + QCOW2_HDR_BACKING_OFFSET, pos);
        qcow2_put_be32(buf + QCOW2_HDR_BACKING_SIZE, name_len);
    }

    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_MAIN_HEADER, 0, cs);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_co_pwrite(bs->file, 0, cs, buf, 0);
    if (ret < 0) {
        return ret;
    }
    qcow2_note_file_end(bs, cs);
    return bdrv_co_flush(bs->file->bs);
}

int coroutine_fn qcow2_mark_dirty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->version < 3 || (s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    ret = write_incompat_bits(bs, s->incompatible_features | QCOW2_INCOMPAT_DIRTY);
    if (ret == 0) {
        /* Only a dirty bit that is on disk allows refcounts to lag. */
        s->incompatible_features |= QCOW2_INCOMPAT_DIRTY;
    }
    return ret;
}

int coroutine_fn qcow2_write_caches(BlockDriverState *bs, bool flush_file)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_cache_write(bs, s->l2_cache);
    int ret2 = qcow2_cache_write(bs, s->refcount_cache);

    if (ret == 0) {
        ret = ret2;
    }
    if (ret == 0 && flush_file) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    return ret;
}

int coroutine_fn qcow2_mark_clean(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    /* Everything the dirty bit excused must be on disk before it goes. */
    ret = qcow2_write_caches(bs, true);
    if (ret < 0) {
        return ret;
    }
    ret = write_incompat_bits(bs, s->incompatible_features & ~QCOW2_INCOMPAT_DIRTY);
    if (ret == 0) {
        s->incompatible_features &= ~QCOW2_INCOMPAT_DIRTY;
    }
    return ret;
}

int coroutine_fn qcow2_mark_consistent(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        return 0;
    }
    ret = qcow2_write_caches(bs, true);
    if (ret < 0) {
        return ret;
    }
    ret = write_incompat_bits(bs, s->incompatible_features & ~QCOW2_INCOMPAT_CORRUPT);
    if (ret == 0) {
        s->incompatible_features &= ~QCOW2_INCOMPAT_CORRUPT;
    }
    return ret;
}

int coroutine_fn qcow2_write_allowed(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    if (s->broken) {
        return -EIO;
    }
    if (!s->writable || (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        return -EACCES;
    }
    if (s->repair_pending) {
        BdrvCheckResult res;

        qemu_co_mutex_lock(&s->lock);
        if (s->repair_pending) {
            /* As an open read-write does: autoclear bits first, then the repair. */
            if (s->autoclear_features & ~QCOW2_AUTOCLEAR_SUPPORTED) {
                s->autoclear_features &= QCOW2_AUTOCLEAR_SUPPORTED;
                s->bitmap_directory_offset = s->bitmap_directory_size = 0;
                ret = qcow2_update_header(bs);
            }
            if (ret == 0 && (s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
                ret = qcow2_check_locked(bs, &res, BDRV_FIX_ERRORS | BDRV_FIX_LEAKS, true);
                if (ret == 0 && res.check_errors) {
                    ret = -EIO;
                }
            }
            if (ret == 0) {
                s->repair_pending = false;
            }
        }
        qemu_co_mutex_unlock(&s->lock);
    }
    return ret;
}

/* ---- Open ---- */

typedef struct Qcow2OpenCo {
    BlockDriverState *bs;
    BlockdevOptionsQcow2 *opts;
    int flags;
    Error **errp;
    int ret;
} Qcow2OpenCo;

/* Reads [offset, offset + len) of the file; past its end reads zeroes. */
static int coroutine_fn read_file_zero_padded(BlockDriverState *bs, uint64_t offset, void *buf,
                                              uint64_t len, int64_t file_len)
{
    uint64_t n = (uint64_t)file_len > offset ? MIN(len, (uint64_t)file_len - offset) : 0;

    memset((uint8_t *)buf + n, 0, len - n);
    return n ? bdrv_co_pread(bs->file, offset, n, buf, 0) : 0;
}

static void report_unsupported_features(Error **errp, const uint8_t *table, uint32_t table_len,
                                        uint64_t mask)
{
    g_autoptr(GString) names = g_string_new("");

    for (uint32_t i = 0; table && i + FEATURE_ENTRY_LEN <= table_len; i += FEATURE_ENTRY_LEN) {
        const uint8_t *e = table + i;
        if (e[0] == 0 && e[1] < 64 && (mask & (1ULL << e[1]))) {
            g_string_append_printf(names, "%s%.46s", names->len ? ", " : "", (const char *)e + 2);
            mask &= ~(1ULL << e[1]);
        }
    }
    if (mask) {
        g_string_append_printf(names, "%sUnknown incompatible feature: %" PRIx64,
                               names->len ? ", " : "", mask);
    }
    error_setg(errp, "Unsupported qcow2 feature(s): %s", names->str);
}

/*
 * Parses the header extensions in hdr[start, end).  Fills the backing format,
 * the preserved extensions and (if asked) the image's feature name table.
 */
static int parse_extensions(BlockDriverState *bs, const uint8_t *hdr, uint64_t start, uint64_t end,
                            const uint8_t **feature_table, uint32_t *feature_table_len,
                            bool *need_update, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t pos = start;

    while (pos < end) {
        uint32_t magic, len;

        if (end - pos < 8) {
            error_setg(errp, "Header extension too large");
            return -EINVAL;
        }
        magic = qcow2_be32(hdr + pos);
        len = qcow2_be32(hdr + pos + 4);
        pos += 8;
        if (len > end - pos) {
            error_setg(errp, "Header extension too large");
            return -EINVAL;
        }
        const uint8_t *data = hdr + pos;
        switch (magic) {
        case QCOW2_EXT_END:
            return 0;
        case QCOW2_EXT_BACKING_FORMAT:
            if (len >= sizeof(bs->backing_format)) {
                error_setg(errp, "ERROR: ext_backing_format: len=%" PRIu32 " too large (>=%zu)",
                           len, sizeof(bs->backing_format));
                return -EINVAL;
            }
            g_free(s->image_backing_format);
            s->image_backing_format = g_strndup((const char *)data, len);
            break;
        case QCOW2_EXT_FEATURE_TABLE:
            if (feature_table) {
                *feature_table = data;
                *feature_table_len = len;
            }
            break;
        case QCOW2_EXT_CRYPTO:
            /* Encrypted images were refused already. */
            error_setg(errp, "CRYPTO header extension only expected with LUKS encryption method");
            return -EINVAL;
        case QCOW2_EXT_BITMAPS:
            if (len != sizeof(s->bitmaps_ext)) {
                error_setg(errp, "bitmaps_ext: Invalid extension length");
                return -EINVAL;
            }
            if (!(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS)) {
                /* Modified by a program without bitmap support: the data is stale. */
                *need_update = true;
                break;
            }
            if (qcow2_be32(data + 4) != 0) {
                error_setg(errp, "bitmaps_ext: Reserved field is not zero");
                return -EINVAL;
            }
            if (qcow2_be32(data) == 0) {
                error_setg(errp, "found bitmaps extension with zero bitmaps");
                return -EINVAL;
            }
            if (qcow2_offset_into_cluster(s, qcow2_be64(data + 16))) {
                error_setg(errp, "bitmaps_ext: invalid bitmap directory offset");
                return -EINVAL;
            }
            memcpy(s->bitmaps_ext, data, len);
            s->has_bitmaps_ext = true;
            s->bitmap_directory_size = qcow2_be64(data + 8);
            s->bitmap_directory_offset = qcow2_be64(data + 16);
            break;
        default: {
            Qcow2Extension *ext = g_malloc(sizeof(*ext) + len);
            ext->magic = magic;
            ext->len = len;
            memcpy(ext->data, data, len);
            s->unknown_exts = g_list_append(s->unknown_exts, ext);
            break;
        }
        }
        pos += QEMU_ALIGN_UP((uint64_t)len, 8);
    }
    return 0;
}

/* Checks a table's offset and size (in entries of entry_len bytes) from the header. */
static int validate_table(BDRVQcow2State *s, uint64_t offset, uint64_t entries, size_t entry_len,
                          uint64_t max_bytes, const char *name, Error **errp)
{
    if (entries > max_bytes / entry_len) {
        error_setg(errp, "%s too large", name);
        return -EFBIG;
    }
    if (INT64_MAX - entries * entry_len < offset || qcow2_offset_into_cluster(s, offset)) {
        error_setg(errp, "%s offset invalid", name);
        return -EINVAL;
    }
    return 0;
}

static int apply_options(BlockDriverState *bs, BlockdevOptionsQcow2 *o, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t max_l2 = QEMU_ALIGN_UP(qcow2_size_to_clusters(s, s->size) * 8, cs);
    uint64_t l2_size, rc_size = 0;
    int tmpl = QCOW2_OL_CACHED;

    /* Cache sizes in bytes: by default, enough L2 for the whole disk up to 32 MiB. */
    l2_size = MIN(max_l2, o->has_l2_cache_size ? (uint64_t)o->l2_cache_size : 32 << 20);
    if (o->has_refcount_cache_size) {
        rc_size = o->refcount_cache_size;
    }
    if (o->has_cache_size) {
        uint64_t total = o->cache_size;
        if (o->has_l2_cache_size && o->has_refcount_cache_size) {
            error_setg(errp, "cache-size, l2-cache-size and refcount-cache-size may not be set "
                             "at the same time");
            return -EINVAL;
        }
        if (o->has_l2_cache_size && (uint64_t)o->l2_cache_size > total) {
            error_setg(errp, "l2-cache-size may not exceed cache-size");
            return -EINVAL;
        }
        if (rc_size > total) {
            error_setg(errp, "refcount-cache-size may not exceed cache-size");
            return -EINVAL;
        }
        if (o->has_l2_cache_size) {
            rc_size = total - l2_size;
        } else if (o->has_refcount_cache_size) {
            l2_size = total - rc_size;
        } else if (total >= max_l2 + 4 * cs) {
            l2_size = max_l2;
            rc_size = total - l2_size;
        } else {
            rc_size = MIN(total, 4 * cs);
            l2_size = total - rc_size;
        }
    }
    if (o->has_l2_cache_entry_size &&
        (o->l2_cache_entry_size < 512 || (uint64_t)o->l2_cache_entry_size > cs ||
         (o->l2_cache_entry_size & (o->l2_cache_entry_size - 1)))) {
        error_setg(errp,
                   "L2 cache entry size must be a power of two between 512 and the cluster "
                   "size (%" PRIu64 ")",
                   cs);
        return -EINVAL;
    }
    l2_size = MAX(l2_size / cs, 4);
    rc_size = MAX(rc_size / cs, 4);
    if (l2_size > INT_MAX) {
        error_setg(errp, "L2 cache size too big");
        return -EINVAL;
    }
    if (rc_size > INT_MAX) {
        error_setg(errp, "Refcount cache size too big");
        return -EINVAL;
    }
    if (o->has_cache_clean_interval &&
        (o->cache_clean_interval < 0 || o->cache_clean_interval > UINT_MAX)) {
        error_setg(errp, "Cache clean interval too big");
        return -EINVAL;
    }

    s->use_lazy_refcounts = o->has_lazy_refcounts
                                ? o->lazy_refcounts
                                : !!(s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS);
    if (s->use_lazy_refcounts && s->version < 3) {
        error_setg(errp, "Lazy refcounts require a qcow2 image with at least qemu 1.1 "
                         "compatibility level");
        return -EINVAL;
    }

    if (o->has_overlap_check) {
        static const int modes[] = {0, QCOW2_OL_CONSTANT, QCOW2_OL_CACHED, QCOW2_OL_ALL};
        Qcow2OverlapChecks *oc = o->overlap_check;
        if (oc->type == QTYPE_QSTRING) {
            tmpl = modes[oc->u.mode];
        } else {
            Qcow2OverlapCheckFlags *f = &oc->u.flags;
            const struct {
                bool has, val;
                int bit;
            } bits[] = {
                {f->has_main_header, f->main_header, QCOW2_OL_MAIN_HEADER},
                {f->has_active_l1, f->active_l1, QCOW2_OL_ACTIVE_L1},
                {f->has_active_l2, f->active_l2, QCOW2_OL_ACTIVE_L2},
                {f->has_refcount_table, f->refcount_table, QCOW2_OL_REFCOUNT_TABLE},
                {f->has_refcount_block, f->refcount_block, QCOW2_OL_REFCOUNT_BLOCK},
                {f->has_snapshot_table, f->snapshot_table, QCOW2_OL_SNAPSHOT_TABLE},
                {f->has_inactive_l1, f->inactive_l1, QCOW2_OL_INACTIVE_L1},
                {f->has_inactive_l2, f->inactive_l2, QCOW2_OL_INACTIVE_L2},
                {f->has_bitmap_directory, f->bitmap_directory, QCOW2_OL_BITMAP_DIRECTORY},
            };
            tmpl = f->has_q_template ? modes[f->q_template] : QCOW2_OL_CACHED;
            for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
                if (bits[i].has) {
                    tmpl = bits[i].val ? (tmpl | bits[i].bit) : (tmpl & ~bits[i].bit);
                }
            }
        }
    }
    s->overlap_check = tmpl;

    s->discard_passthrough[QCOW2_DISCARD_NEVER] = false;
    s->discard_passthrough[QCOW2_DISCARD_ALWAYS] = true;
    s->discard_passthrough[QCOW2_DISCARD_REQUEST] =
        o->has_pass_discard_request ? o->pass_discard_request : !!(flags & BDRV_O_UNMAP);
    s->discard_passthrough[QCOW2_DISCARD_SNAPSHOT] =
        o->has_pass_discard_snapshot ? o->pass_discard_snapshot : true;
    s->discard_passthrough[QCOW2_DISCARD_OTHER] =
        o->has_pass_discard_other ? o->pass_discard_other : false;

    s->l2_cache = qcow2_cache_create(l2_size, cs, QCOW2_OL_ACTIVE_L2);
    s->refcount_cache = qcow2_cache_create(rc_size, cs, QCOW2_OL_REFCOUNT_BLOCK);
    return 0;
}

static int coroutine_fn qcow2_do_open(BlockDriverState *bs, BlockdevOptionsQcow2 *opts, int flags,
                                      Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t h[QCOW2_V3_HEADER_LEN];
    g_autofree uint8_t *cluster0 = NULL;
    const uint8_t *feature_table = NULL;
    uint32_t feature_table_len = 0;
    uint64_t backing_offset, ext_end, l1_needed, refcount_table_clusters;
    uint32_t backing_len, nb_snapshots;
    uint64_t snapshots_offset;
    bool need_update = false;
    int64_t file_len;
    int ret;

    file_len = bdrv_getlength(bs->file->bs);
    if (file_len < 0) {
        error_setg_errno(errp, -file_len, "Could not read qcow2 header");
        return file_len;
    }
    s->file_size = file_len;
    ret = read_file_zero_padded(bs, 0, h, sizeof(h), file_len);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    if (qcow2_be32(h + QCOW2_HDR_MAGIC) != QCOW2_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    s->version = qcow2_be32(h + QCOW2_HDR_VERSION);
    if (s->version < 2 || s->version > 3) {
        error_setg(errp, "Unsupported qcow2 version %" PRIu32, (uint32_t)s->version);
        return -ENOTSUP;
    }
    uint32_t cluster_bits = qcow2_be32(h + QCOW2_HDR_CLUSTER_BITS);
    if (cluster_bits < QCOW2_MIN_CLUSTER_BITS || cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%" PRIu32, cluster_bits);
        return -EINVAL;
    }
    s->cluster_bits = cluster_bits;
    s->cluster_size = 1u << cluster_bits;
    s->l2_bits = cluster_bits - 3;
    s->l2_size = 1u << s->l2_bits;
    s->csize_shift = 62 - (cluster_bits - 8);
    s->csize_mask = (1ULL << (cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1ULL << s->csize_shift) - 1;

    uint32_t refcount_order = 4;
    if (s->version == 2) {
        s->header_length = QCOW2_V2_HEADER_LEN;
    } else {
        s->incompatible_features = qcow2_be64(h + QCOW2_HDR_INCOMPAT);
        s->compatible_features = qcow2_be64(h + QCOW2_HDR_COMPAT);
        s->autoclear_features = qcow2_be64(h + QCOW2_HDR_AUTOCLEAR);
        refcount_order = qcow2_be32(h + QCOW2_HDR_REFCOUNT_ORDER);
        s->header_length = qcow2_be32(h + QCOW2_HDR_HEADER_LENGTH);
        if (s->header_length < QCOW2_V3_MIN_HEADER_LEN) {
            error_setg(errp, "qcow2 header too short");
            return -EINVAL;
        }
    }
    if (s->header_length > s->cluster_size) {
        error_setg(errp, "qcow2 header exceeds cluster size");
        return -EINVAL;
    }

    cluster0 = g_malloc(s->cluster_size);
    ret = read_file_zero_padded(bs, 0, cluster0, s->cluster_size, file_len);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    if (s->header_length > QCOW2_V3_HEADER_LEN) {
        s->unknown_header_fields_size = s->header_length - QCOW2_V3_HEADER_LEN;
        s->unknown_header_fields =
            g_memdup2(cluster0 + QCOW2_V3_HEADER_LEN, s->unknown_header_fields_size);
    }
    backing_offset = qcow2_be64(h + QCOW2_HDR_BACKING_OFFSET);
    backing_len = qcow2_be32(h + QCOW2_HDR_BACKING_SIZE);
    if (backing_offset > s->cluster_size) {
        error_setg(errp, "Invalid backing file offset");
        return -EINVAL;
    }
    ext_end = backing_offset ? backing_offset : s->cluster_size;

    uint32_t compression_type =
        s->header_length > QCOW2_HDR_COMPRESSION_TYPE ? h[QCOW2_HDR_COMPRESSION_TYPE] : 0;
    if (compression_type > 1) {
        error_setg(errp, "qcow2: unknown compression type: %u", compression_type);
        return -ENOTSUP;
    }
    if (compression_type == 0 && (s->incompatible_features & QCOW2_INCOMPAT_COMPRESSION)) {
        error_setg(errp, "qcow2: Compression type incompatible feature bit must not be set");
        return -EINVAL;
    }
    if (compression_type != 0 && !(s->incompatible_features & QCOW2_INCOMPAT_COMPRESSION)) {
        error_setg(errp, "qcow2: Compression type incompatible feature bit must be set");
        return -EINVAL;
    }
    if (s->incompatible_features & ~QCOW2_INCOMPAT_SUPPORTED) {
        /* Name the features from the image's own table where it has one. */
        Error *ignored = NULL;
        bool dummy;
        parse_extensions(bs, cluster0, s->header_length, ext_end, &feature_table,
                         &feature_table_len, &dummy, &ignored);
        error_free(ignored);
        report_unsupported_features(errp, feature_table, feature_table_len,
                                    s->incompatible_features & ~QCOW2_INCOMPAT_SUPPORTED);
        return -ENOTSUP;
    }
    if ((s->incompatible_features & QCOW2_INCOMPAT_CORRUPT) && (flags & BDRV_O_RDWR)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened read/write");
        return -EACCES;
    }
    if (refcount_order > 6) {
        error_setg(errp, "Reference count entry width too large; may not exceed 64 bits");
        return -EINVAL;
    }
    qcow2_refcount_set_order(s, refcount_order);

    uint32_t crypt = qcow2_be32(h + QCOW2_HDR_CRYPT);
    if (crypt == 1) {
        error_setg(errp, "Use of AES-CBC encrypted qcow2 images is no longer supported in "
                         "system emulators");
        error_append_hint(errp, "You can use 'qemu-img convert' to convert your image to an "
                                "alternative supported format, such as unencrypted qcow2, or "
                                "raw with the LUKS format instead.\n");
        return -ENOSYS;
    }
    if (crypt == 2) {
        error_setg(errp, "LUKS encrypted qcow2 images are not supported");
        return -ENOTSUP;
    }
    if (crypt != 0) {
        error_setg(errp, "Unsupported encryption method %" PRIu32, crypt);
        return -EINVAL;
    }

    s->size = qcow2_be64(h + QCOW2_HDR_SIZE) & ~(uint64_t)(BDRV_SECTOR_SIZE - 1);
    if (s->size > BDRV_MAX_LENGTH) {
        error_setg(errp, "Image is too big");
        return -EFBIG;
    }
    s->refcount_table_offset = qcow2_be64(h + QCOW2_HDR_REFT_OFFSET);
    refcount_table_clusters = qcow2_be32(h + QCOW2_HDR_REFT_CLUSTERS);
    if (refcount_table_clusters == 0) {
        error_setg(errp, "Image does not contain a reference count table");
        return -EINVAL;
    }
    ret = validate_table(s, s->refcount_table_offset, refcount_table_clusters, s->cluster_size,
                         QCOW2_MAX_REFTABLE_BYTES, "Reference count table", errp);
    if (ret < 0) {
        return ret;
    }
    s->refcount_table_size = refcount_table_clusters << (cluster_bits - 3);

    nb_snapshots = qcow2_be32(h + QCOW2_HDR_NB_SNAPSHOTS);
    snapshots_offset = qcow2_be64(h + QCOW2_HDR_SNAPSHOTS_OFFSET);
    ret = validate_table(s, snapshots_offset, nb_snapshots, 40, 40ULL * QCOW2_MAX_SNAPSHOTS,
                         "Snapshot table", errp);
    if (ret < 0) {
        return ret;
    }

    s->l1_size = qcow2_be32(h + QCOW2_HDR_L1_SIZE);
    s->l1_table_offset = qcow2_be64(h + QCOW2_HDR_L1_OFFSET);
    ret = validate_table(s, s->l1_table_offset, s->l1_size, sizeof(uint64_t), QCOW2_MAX_L1_BYTES,
                         "Active L1 table", errp);
    if (ret < 0) {
        return ret;
    }
    l1_needed = qcow2_size_to_l1(s, s->size);
    if (l1_needed > INT_MAX) {
        error_setg(errp, "Image is too big");
        return -EFBIG;
    }
    if (s->l1_size < l1_needed) {
        error_setg(errp, "L1 table is too small");
        return -EINVAL;
    }
    s->l1_table = g_try_malloc0(MAX((uint64_t)s->l1_size * 8, 8));
    if (!s->l1_table) {
        error_setg(errp, "Could not allocate L1 table");
        return -ENOMEM;
    }
    ret = read_file_zero_padded(bs, s->l1_table_offset, s->l1_table, (uint64_t)s->l1_size * 8,
                                file_len);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read L1 table");
        return ret;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = GUINT64_FROM_BE(s->l1_table[i]);
    }

    ret = apply_options(bs, opts, flags, errp);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_refcount_init(bs, errp);
    if (ret < 0) {
        return ret;
    }
    ret = parse_extensions(bs, cluster0, s->header_length, ext_end, NULL, NULL, &need_update, errp);
    if (ret < 0) {
        return ret;
    }
    if (s->image_backing_format) {
        g_strlcpy(bs->backing_format, s->image_backing_format, sizeof(bs->backing_format));
    }
    if (backing_offset) {
        if (backing_len > MIN(QCOW2_MAX_BACKING_NAME, s->cluster_size - backing_offset) ||
            backing_len >= sizeof(bs->backing_file)) {
            error_setg(errp, "Backing file name too long");
            return -EINVAL;
        }
        s->image_backing_file = g_strndup((const char *)cluster0 + backing_offset, backing_len);
        g_strlcpy(bs->backing_file, s->image_backing_file, sizeof(bs->backing_file));
    }
    ret = qcow2_read_snapshots(bs, snapshots_offset, nb_snapshots, errp);
    if (ret < 0) {
        return ret;
    }

    s->writable = (flags & BDRV_O_RDWR) != 0;
    if (s->writable) {
        /* Autoclear bits we cannot keep true must go before we write anything. */
        if (s->autoclear_features & ~QCOW2_AUTOCLEAR_SUPPORTED) {
            s->autoclear_features &= QCOW2_AUTOCLEAR_SUPPORTED;
            need_update = true;
        }
        if (!(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS)) {
            /* Bitmaps we cannot keep up to date are stale: their clusters no longer
             * count as in use (qemu-img check treats them as leaks, then). */
            s->bitmap_directory_offset = s->bitmap_directory_size = 0;
        }
        if (need_update) {
            ret = qcow2_update_header(bs);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Could not update qcow2 header");
                return ret;
            }
        }
        if (s->incompatible_features & QCOW2_INCOMPAT_DIRTY) {
            BdrvCheckResult res;
            ret = qcow2_check_locked(bs, &res, BDRV_FIX_ERRORS | BDRV_FIX_LEAKS, true);
            if (ret < 0 || res.check_errors) {
                error_setg_errno(errp, ret < 0 ? -ret : EIO, "Could not repair dirty image");
                return ret < 0 ? ret : -EIO;
            }
        }
    }
    return 0;
}

static void qcow2_free_state(BDRVQcow2State *s)
{
    qcow2_cache_destroy(s->l2_cache);
    qcow2_cache_destroy(s->refcount_cache);
    s->l2_cache = s->refcount_cache = NULL;
    g_free(s->l1_table);
    s->l1_table = NULL;
    g_free(s->refcount_table);
    s->refcount_table = NULL;
    if (s->discards) {
        g_array_free(s->discards, true);
        s->discards = NULL;
    }
    g_free(s->snapshots);
    s->snapshots = NULL;
    g_free(s->unknown_header_fields);
    s->unknown_header_fields = NULL;
    g_free(s->image_backing_file);
    g_free(s->image_backing_format);
    s->image_backing_file = s->image_backing_format = NULL;
    g_list_free_full(s->unknown_exts, g_free);
    s->unknown_exts = NULL;
    g_free(s->decomp_buf);
    s->decomp_buf = NULL;
}

static void coroutine_fn qcow2_open_entry(void *opaque)
{
    Qcow2OpenCo *oc = opaque;
    BDRVQcow2State *s = oc->bs->opaque;

    qemu_co_mutex_lock(&s->lock);
    oc->ret = qcow2_do_open(oc->bs, oc->opts, oc->flags, oc->errp);
    qemu_co_mutex_unlock(&s->lock);
}

static int qcow2_open(BlockDriverState *bs, BlockdevOptions *opts, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2OpenCo oc = {.bs = bs, .opts = &opts->u.qcow2, .flags = flags, .errp = errp};

    bs->file = bdrv_open_child(opts->u.qcow2.file, bs, "file",
                               BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, false, flags, errp);
    if (!bs->file) {
        return -EINVAL;
    }
    qemu_co_mutex_init(&s->lock);
    coroutine_run_sync(qcow2_open_entry, &oc);
    if (oc.ret < 0) {
        qcow2_free_state(s);
    }
    return oc.ret;
}

static void coroutine_fn qcow2_close_entry(void *opaque)
{
    BlockDriverState *bs = opaque;
    BDRVQcow2State *s = bs->opaque;

    qemu_co_mutex_lock(&s->lock);
    /* A broken image gets no more writes, not even our own metadata. */
    if (s->writable && !s->broken) {
        if (qcow2_write_caches(bs, true) == 0) {
            qcow2_mark_clean(bs);
        }
    }
    qemu_co_mutex_unlock(&s->lock);
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    coroutine_run_sync(qcow2_close_entry, bs);
    qcow2_free_state(s);
}

static int coroutine_fn qcow2_co_flush_to_os(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    if (!s->writable || s->broken) {
        return s->broken ? -EIO : 0;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_write_caches(bs, false);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_inactivate(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->writable && !s->broken) {
        coroutine_run_sync(qcow2_close_entry, bs);
        if (qcow2_cache_is_dirty(s->l2_cache) || qcow2_cache_is_dirty(s->refcount_cache)) {
            return -EIO;
        }
    }
    return 0;
}

/* ---- Reopen ---- */

typedef struct Qcow2ReopenCo {
    BlockDriverState *bs;
    int ret;
} Qcow2ReopenCo;

static void coroutine_fn qcow2_reopen_ro_entry(void *opaque)
{
    Qcow2ReopenCo *rc = opaque;
    BDRVQcow2State *s = rc->bs->opaque;

    qemu_co_mutex_lock(&s->lock);
    rc->ret = qcow2_write_caches(rc->bs, true);
    if (rc->ret == 0) {
        rc->ret = qcow2_mark_clean(rc->bs);
    }
    qemu_co_mutex_unlock(&s->lock);
}

static int qcow2_reopen_prepare(BlockDriverState *bs, bool read_only, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    s->reopen_read_only = read_only;
    if (read_only && s->writable && !s->broken) {
        /* Everything must be on disk before we stop writing. */
        Qcow2ReopenCo rc = {.bs = bs};
        coroutine_run_sync(qcow2_reopen_ro_entry, &rc);
        if (rc.ret < 0) {
            error_setg_errno(errp, -rc.ret, "Could not write out qcow2 metadata");
            return rc.ret;
        }
    }
    if (!read_only && (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened read/write");
        return -EACCES;
    }
    return 0;
}

static void qcow2_reopen_commit(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    bool writable = !s->reopen_read_only;

    if (writable && !s->writable) {
        /* Like an open read-write: repair and autoclear cleanup before a write. */
        s->repair_pending = (s->incompatible_features & QCOW2_INCOMPAT_DIRTY) ||
                            (s->autoclear_features & ~QCOW2_AUTOCLEAR_SUPPORTED);
        qcow2_cache_drop_clean(s->l2_cache);
        qcow2_cache_drop_clean(s->refcount_cache);
    }
    s->writable = writable;
}

static void qcow2_reopen_abort(BlockDriverState *bs)
{
}

/* ---- Backing file ---- */

typedef struct Qcow2BackingCo {
    BlockDriverState *bs;
    const char *file, *fmt;
    int ret;
} Qcow2BackingCo;

static void coroutine_fn qcow2_change_backing_entry(void *opaque)
{
    Qcow2BackingCo *bc = opaque;
    BlockDriverState *bs = bc->bs;
    BDRVQcow2State *s = bs->opaque;
    char *old_file = s->image_backing_file, *old_fmt = s->image_backing_format;

    qemu_co_mutex_lock(&s->lock);
    s->image_backing_file = bc->file && bc->file[0] ? g_strdup(bc->file) : NULL;
    s->image_backing_format = s->image_backing_file && bc->fmt ? g_strdup(bc->fmt) : NULL;
    bc->ret = qcow2_update_header(bs);
    if (bc->ret < 0) {
        g_free(s->image_backing_file);
        g_free(s->image_backing_format);
        s->image_backing_file = old_file;
        s->image_backing_format = old_fmt;
    } else {
        g_free(old_file);
        g_free(old_fmt);
        g_strlcpy(bs->backing_file, s->image_backing_file ? s->image_backing_file : "",
                  sizeof(bs->backing_file));
        g_strlcpy(bs->backing_format, s->image_backing_format ? s->image_backing_format : "",
                  sizeof(bs->backing_format));
    }
    qemu_co_mutex_unlock(&s->lock);
}

static int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                                     const char *backing_fmt)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2BackingCo bc = {.bs = bs, .file = backing_file, .fmt = backing_fmt};

    if (s->broken) {
        return -EIO;
    }
    if (!s->writable) {
        return -EACCES;
    }
    if (backing_file && strlen(backing_file) > QCOW2_MAX_BACKING_NAME) {
        return -EINVAL;
    }
    if (backing_fmt && strlen(backing_fmt) >= sizeof(bs->backing_format)) {
        return -EINVAL;
    }
    coroutine_run_sync(qcow2_change_backing_entry, &bc);
    return bc.ret;
}

/* ---- Information ---- */

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->size;
}

static int64_t qcow2_get_allocated_file_size(BlockDriverState *bs)
{
    return bdrv_get_allocated_file_size(bs->file->bs);
}

static int qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;

    memset(bdi, 0, sizeof(*bdi));
    bdi->cluster_size = s->cluster_size;
    bdi->vm_state_offset = (int64_t)qcow2_size_to_l1(s, s->size) << (s->cluster_bits + s->l2_bits);
    bdi->is_dirty = (s->incompatible_features & QCOW2_INCOMPAT_DIRTY) != 0;
    return 0;
}

static ImageInfoSpecific *qcow2_get_specific_info(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    ImageInfoSpecific *spec = g_new0(ImageInfoSpecific, 1);
    ImageInfoSpecificQCow2 *q = g_new0(ImageInfoSpecificQCow2, 1);

    spec->type = IMAGE_INFO_SPECIFIC_KIND_QCOW2;
    spec->u.qcow2.data = q;
    q->compat = g_strdup(s->version >= 3 ? "1.1" : "0.10");
    q->refcount_bits = 1 << s->refcount_order;
    q->compression_type = QCOW2_COMPRESSION_TYPE_ZLIB;
    if (s->version >= 3) {
        q->has_lazy_refcounts = true;
        q->lazy_refcounts = (s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0;
        q->has_corrupt = true;
        q->corrupt = (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT) != 0;
        q->has_extended_l2 = true;
        q->extended_l2 = false;
    }
    return spec;
}

static void qcow2_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    bs->bl.request_alignment = 1;
    bs->bl.pwrite_zeroes_alignment = s->cluster_size;
    bs->bl.pdiscard_alignment = s->cluster_size;
}

static const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .is_format = true,
    .supports_backing = true,
    .supported_zero_flags = BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK,

    .bdrv_probe = qcow2_probe,
    .bdrv_open = qcow2_open,
    .bdrv_close = qcow2_close,
    .bdrv_reopen_prepare = qcow2_reopen_prepare,
    .bdrv_reopen_commit = qcow2_reopen_commit,
    .bdrv_reopen_abort = qcow2_reopen_abort,
    .bdrv_co_create = qcow2_co_create,

    .bdrv_co_preadv = qcow2_co_preadv,
    .bdrv_co_pwritev = qcow2_co_pwritev,
    .bdrv_co_pwritev_compressed = qcow2_co_pwritev_compressed,
    .bdrv_co_pwrite_zeroes = qcow2_co_pwrite_zeroes,
    .bdrv_co_pdiscard = qcow2_co_pdiscard,
    .bdrv_co_flush_to_os = qcow2_co_flush_to_os,
    .bdrv_co_block_status = qcow2_co_block_status,
    .bdrv_co_truncate = qcow2_co_truncate,

    .bdrv_getlength = qcow2_getlength,
    .bdrv_get_allocated_file_size = qcow2_get_allocated_file_size,
    .bdrv_get_info = qcow2_get_info,
    .bdrv_get_specific_info = qcow2_get_specific_info,
    .bdrv_co_check = qcow2_co_check,
    .bdrv_change_backing_file = qcow2_change_backing_file,
    .bdrv_refresh_limits = qcow2_refresh_limits,
    .bdrv_inactivate = qcow2_inactivate,
};

block_init(bdrv_qcow2);
