/*
 * qcow2 image creation (blockdev-create, minivm-img create).
 *
 * Writes a minimal image (header, one refcount table cluster, one refcount
 * block counting the first three clusters), opens it with this driver and
 * lets the driver do the rest: backing file name, feature bits, growing to
 * the requested size (L1 table) and metadata preallocation.
 */
#include "block/qcow2.h"
#include "block/block-backend.h"

typedef struct Qcow2CreateParams {
    int version;
    int cluster_bits;
    int refcount_order;
    bool lazy_refcounts;
    PreallocMode prealloc;
} Qcow2CreateParams;

static int create_validate(BlockdevCreateOptionsQcow2 *q, Qcow2CreateParams *p, Error **errp)
{
    uint64_t cs = q->has_cluster_size ? q->cluster_size : 1u << QCOW2_DEFAULT_CLUSTER_BITS;
    int64_t rbits = q->has_refcount_bits ? q->refcount_bits : 16;

    p->version = q->has_version && q->version == BLOCKDEV_QCOW2_VERSION_V2 ? 2 : 3;
    if (cs < 512 || cs > (1u << QCOW2_MAX_CLUSTER_BITS) || (cs & (cs - 1))) {
        error_setg(errp, "Cluster size must be a power of two between 512 and 2048k");
        return -EINVAL;
    }
    p->cluster_bits = __builtin_ctzll(cs);
    if (!QEMU_IS_ALIGNED(q->size, BDRV_SECTOR_SIZE)) {
        error_setg(errp, "Image size must be a multiple of %u bytes", (unsigned)BDRV_SECTOR_SIZE);
        return -EINVAL;
    }
    if (q->size > BDRV_MAX_LENGTH) {
        error_setg(errp, "Image size is too large");
        return -EINVAL;
    }
    if (rbits < 1 || rbits > 64 || (rbits & (rbits - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not exceed 64 bits");
        return -EINVAL;
    }
    p->refcount_order = __builtin_ctzll(rbits);
    if (p->version < 3 && rbits != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require compatibility level "
                         "1.1 or above (use version=v3 or greater)");
        return -EINVAL;
    }
    p->lazy_refcounts = q->has_lazy_refcounts && q->lazy_refcounts;
    if (p->version < 3 && p->lazy_refcounts) {
        error_setg(errp, "Lazy refcounts only supported with compatibility level 1.1 and above "
                         "(use version=v3 or greater)");
        return -EINVAL;
    }
    if (q->has_backing_fmt && !q->has_backing_file) {
        error_setg(errp, "Backing format cannot be used without backing file");
        return -EINVAL;
    }
    if (q->has_backing_file && strlen(q->backing_file) > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "Backing file name too long");
        return -EINVAL;
    }
    p->prealloc = q->has_preallocation ? q->preallocation : PREALLOC_MODE_OFF;
    if (p->prealloc != PREALLOC_MODE_OFF && p->prealloc != PREALLOC_MODE_METADATA) {
        error_setg(errp, "Unsupported preallocation mode '%s'", PreallocMode_str(p->prealloc));
        return -ENOTSUP;
    }
    if (q->has_backing_file && p->prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Backing file and preallocation can only be used at the same time if "
                         "extended_l2 is on");
        return -EINVAL;
    }
    if (q->has_extended_l2 && q->extended_l2) {
        error_setg(errp, "Extended L2 entries are not supported");
        return -ENOTSUP;
    }
    if (q->has_compression_type && q->compression_type != QCOW2_COMPRESSION_TYPE_ZLIB) {
        error_setg(errp, "Compression type '%s' is not supported",
                   Qcow2CompressionType_str(q->compression_type));
        return -ENOTSUP;
    }
    return 0;
}

/* The minimal image: header, refcount table, one refcount block (three clusters). */
static int coroutine_fn create_write_skeleton(BlockBackend *blk, const Qcow2CreateParams *p)
{
    BDRVQcow2State tmp = {.cluster_bits = p->cluster_bits};
    uint64_t cs = 1ULL << p->cluster_bits;
    g_autofree uint8_t *buf = g_try_malloc0(3 * cs);
    QEMUIOVector qiov;

    if (!buf) {
        return -ENOMEM;
    }
    qcow2_put_be32(buf + QCOW2_HDR_MAGIC, QCOW2_MAGIC);
    qcow2_put_be32(buf + QCOW2_HDR_VERSION, p->version);
    qcow2_put_be32(buf + QCOW2_HDR_CLUSTER_BITS, p->cluster_bits);
    qcow2_put_be64(buf + QCOW2_HDR_REFT_OFFSET, cs);
    qcow2_put_be32(buf + QCOW2_HDR_REFT_CLUSTERS, 1);
    if (p->version >= 3) {
        qcow2_put_be32(buf + QCOW2_HDR_REFCOUNT_ORDER, p->refcount_order);
        qcow2_put_be32(buf + QCOW2_HDR_HEADER_LENGTH, QCOW2_V3_HEADER_LEN);
    }
    qcow2_put_be64(buf + cs, 2 * cs);
    qcow2_refcount_set_order(&tmp, p->refcount_order);
    for (int i = 0; i < 3; i++) {
        tmp.set_refcount(buf + 2 * cs, i, 1);
    }
    qemu_iovec_init_buf(&qiov, buf, 3 * cs);
    return blk_co_pwritev(blk, 0, 3 * cs, &qiov, 0);
}

/* Finishes the image through the driver: header fields, size, preallocation. */
static int coroutine_fn create_finish(BlockDriverState *bs, BlockdevCreateOptionsQcow2 *q,
                                      const Qcow2CreateParams *p, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    if (q->has_backing_file) {
        s->image_backing_file = g_strdup(q->backing_file);
        if (q->has_backing_fmt) {
            s->image_backing_format = g_strdup(BlockdevDriver_str(q->backing_fmt));
        }
    }
    if (p->lazy_refcounts) {
        s->compatible_features |= QCOW2_COMPAT_LAZY_REFCOUNTS;
    }
    ret = qcow2_update_header(bs);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        return ret;
    }
    ret = qcow2_co_truncate(bs, q->size, true, p->prealloc, 0, errp);
    if (ret < 0) {
        return ret;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_write_caches(bs, true);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 metadata");
    }
    return ret;
}

/* The node the options' 'file' names, with a new reference. */
static BlockDriverState *create_open_file(BlockdevRef *ref, Error **errp)
{
    BlockDriverState *bs;

    if (ref->type == QTYPE_QSTRING) {
        bs = bdrv_lookup_bs(NULL, ref->u.reference, errp);
        if (bs) {
            bdrv_ref(bs);
        }
        return bs;
    }
    return bdrv_open_blockdev(&ref->u.definition, BDRV_O_RDWR, errp);
}

int coroutine_fn qcow2_co_create(BlockdevCreateOptions *opts, Error **errp)
{
    BlockdevCreateOptionsQcow2 *q = &opts->u.qcow2;
    Qcow2CreateParams p;
    BlockDriverState *file_bs, *bs = NULL;
    BlockBackend *blk;
    int ret;

    ret = create_validate(q, &p, errp);
    if (ret < 0) {
        return ret;
    }
    file_bs = create_open_file(q->file, errp);
    if (!file_bs) {
        return -EIO;
    }
    blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_RESIZE, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, file_bs, errp)) {
        ret = -EPERM;
        goto out;
    }
    /* A backend only writes within the medium: make room for the skeleton. */
    if (blk_getlength(blk) < (3LL << p.cluster_bits)) {
        ret = blk_truncate(blk, 3LL << p.cluster_bits, false, PREALLOC_MODE_OFF, 0, errp);
        if (ret < 0) {
            goto out;
        }
    }
    ret = create_write_skeleton(blk, &p);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        goto out;
    }

    /* The format node takes the file over (it shares no writing). */
    blk_unref(blk);
    blk = NULL;

    /* Open what we wrote, without a backing file (it need not exist yet). */
    BlockdevRef file_ref = {.type = QTYPE_QSTRING};
    BlockdevRefOrNull no_backing = {.type = QTYPE_QNULL};
    BlockdevOptions o = {.driver = BLOCKDEV_DRIVER_QCOW2};
    file_ref.u.reference = (char *)bdrv_get_node_name(file_bs);
    o.u.qcow2.file = &file_ref;
    o.u.qcow2.has_backing = true;
    o.u.qcow2.backing = &no_backing;
    bs = bdrv_open_blockdev(&o, BDRV_O_RDWR | BDRV_O_NO_BACKING | BDRV_O_NO_FLUSH, errp);
    if (!bs) {
        ret = -EIO;
        goto out;
    }
    ret = create_finish(bs, q, &p, errp);

out:
    if (bs) {
        bdrv_unref(bs);
    }
    if (blk) {
        blk_unref(blk);
    }
    bdrv_unref(file_bs);
    return ret;
}
