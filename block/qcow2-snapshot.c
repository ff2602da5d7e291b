/*
 * qcow2 internal snapshots, read side only: the snapshot table is parsed so
 * that the clusters snapshots own are known to the overlap check and to the
 * image check.  (Snapshots share clusters with the active state; writes to
 * those copy them, driven by the COPIED flags, so no snapshot code is needed
 * on the I/O path.)
 */
#include "block/qcow2.h"

#define SNAPSHOT_HEADER_LEN 40

int coroutine_fn qcow2_read_snapshots(BlockDriverState *bs, uint64_t offset, uint32_t count,
                                      Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t pos = offset;
    int ret;

    s->snapshots_offset = offset;
    s->nb_snapshots = 0;
    s->snapshots_size = 0;
    if (count == 0) {
        return 0;
    }
    if (count > QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "Snapshot table too large");
        return -EFBIG;
    }
    if (qcow2_offset_into_cluster(s, offset) || offset > (uint64_t)INT64_MAX / 2) {
        error_setg(errp, "Snapshot table offset invalid");
        return -EINVAL;
    }
    s->snapshots = g_new0(Qcow2Snapshot, count);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t h[SNAPSHOT_HEADER_LEN];
        uint64_t len;

        ret = bdrv_co_pread(bs->file, pos, sizeof(h), h, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to read snapshot table");
            return ret;
        }
        Qcow2Snapshot *sn = &s->snapshots[i];
        sn->l1_table_offset = qcow2_be64(h);
        sn->l1_size = qcow2_be32(h + 8);
        len = SNAPSHOT_HEADER_LEN + (uint64_t)qcow2_be32(h + 36) + qcow2_be16(h + 12) +
              qcow2_be16(h + 14);
        pos += QEMU_ALIGN_UP(len, 8);
        if (pos - offset > QCOW2_MAX_SNAPSHOT_TABLE_BYTES) {
            error_setg(errp, "Snapshot table too large");
            return -EFBIG;
        }
        if ((uint64_t)sn->l1_size > QCOW2_MAX_L1_BYTES / sizeof(uint64_t)) {
            error_setg(errp, "Snapshot L1 table too large");
            return -EFBIG;
        }
        if (qcow2_offset_into_cluster(s, sn->l1_table_offset) ||
            sn->l1_table_offset > (uint64_t)INT64_MAX / 2) {
            error_setg(errp, "Snapshot L1 table offset invalid");
            return -EINVAL;
        }
        s->nb_snapshots = i + 1;
    }
    s->snapshots_size = pos - offset;
    return 0;
}
