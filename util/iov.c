/*
 * QEMUIOVector: growable scatter/gather lists and copies between them and
 * flat buffers.
 */
#include "util/iov.h"

#include <assert.h>

void qemu_iovec_init(QEMUIOVector *qiov, int alloc_hint)
{
    if (alloc_hint < 1) {
        alloc_hint = 1;
    }
    qiov->iov = g_new(struct iovec, alloc_hint);
    qiov->niov = 0;
    qiov->nalloc = alloc_hint;
    qiov->size = 0;
    qiov->local.iov_base = NULL;
    qiov->local.iov_len = 0;
}

void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len)
{
    qiov->local.iov_base = buf;
    qiov->local.iov_len = len;
    qiov->iov = &qiov->local;
    qiov->niov = 1;
    qiov->nalloc = -1;
    qiov->size = len;
}

void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len)
{
    /* A wrapped single buffer cannot grow: callers build lists with init(). */
    assert(qiov->nalloc != -1);
    if (qiov->niov == qiov->nalloc) {
        qiov->nalloc = 2 * qiov->nalloc + 1;
        qiov->iov = g_renew(struct iovec, qiov->iov, qiov->nalloc);
    }
    qiov->iov[qiov->niov].iov_base = base;
    qiov->iov[qiov->niov].iov_len = len;
    qiov->niov++;
    qiov->size += len;
}

void qemu_iovec_concat(QEMUIOVector *dst, QEMUIOVector *src, size_t offset, size_t bytes)
{
    assert(dst->nalloc != -1);
    for (int i = 0; i < src->niov && bytes > 0; i++) {
        size_t len = src->iov[i].iov_len;

        if (offset >= len) {
            offset -= len;
            continue;
        }
        len = MIN(len - offset, bytes);
        qemu_iovec_add(dst, (char *)src->iov[i].iov_base + offset, len);
        bytes -= len;
        offset = 0;
    }
    assert(bytes == 0);
}

void qemu_iovec_reset(QEMUIOVector *qiov)
{
    assert(qiov->nalloc != -1);
    qiov->niov = 0;
    qiov->size = 0;
}

void qemu_iovec_destroy(QEMUIOVector *qiov)
{
    if (qiov->nalloc != -1) {
        g_free(qiov->iov);
    }
    memset(qiov, 0, sizeof(*qiov));
}

/*
 * Walks the [offset, offset+bytes) part of qiov, calling fn on each piece
 * with its position in the flat view.  Returns the bytes visited (less than
 * asked when qiov is shorter).
 */
typedef void IovecVisitFn(void *piece, size_t len, size_t done, void *opaque);

static size_t iovec_visit(QEMUIOVector *qiov, size_t offset, size_t bytes, IovecVisitFn *fn,
                          void *opaque)
{
    size_t done = 0;

    for (int i = 0; i < qiov->niov && done < bytes; i++) {
        size_t len = qiov->iov[i].iov_len;

        if (offset >= len) {
            offset -= len;
            continue;
        }
        len = MIN(len - offset, bytes - done);
        fn((char *)qiov->iov[i].iov_base + offset, len, done, opaque);
        done += len;
        offset = 0;
    }
    return done;
}

static void iovec_copy_out(void *piece, size_t len, size_t done, void *opaque)
{
    memcpy((char *)opaque + done, piece, len);
}

static void iovec_copy_in(void *piece, size_t len, size_t done, void *opaque)
{
    memcpy(piece, (const char *)opaque + done, len);
}

static void iovec_fill(void *piece, size_t len, size_t done, void *opaque)
{
    memset(piece, *(int *)opaque, len);
}

size_t qemu_iovec_to_buf(QEMUIOVector *qiov, size_t offset, void *buf, size_t bytes)
{
    return iovec_visit(qiov, offset, bytes, iovec_copy_out, buf);
}

size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset, const void *buf, size_t bytes)
{
    return iovec_visit(qiov, offset, bytes, iovec_copy_in, (void *)buf);
}

size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset, int c, size_t bytes)
{
    return iovec_visit(qiov, offset, bytes, iovec_fill, &c);
}

bool qemu_iovec_is_zero(QEMUIOVector *qiov, size_t offset, size_t bytes)
{
    for (int i = 0; i < qiov->niov && bytes > 0; i++) {
        size_t len = qiov->iov[i].iov_len;

        if (offset >= len) {
            offset -= len;
            continue;
        }
        len = MIN(len - offset, bytes);
        if (!buffer_is_zero((char *)qiov->iov[i].iov_base + offset, len)) {
            return false;
        }
        bytes -= len;
        offset = 0;
    }
    return true;
}

ssize_t qemu_iovec_compare(QEMUIOVector *a, QEMUIOVector *b)
{
    size_t pos = 0;
    int ia = 0, ib = 0;
    size_t oa = 0, ob = 0;

    assert(a->size == b->size);
    while (pos < a->size) {
        while (ia < a->niov && oa == a->iov[ia].iov_len) {
            ia++;
            oa = 0;
        }
        while (ib < b->niov && ob == b->iov[ib].iov_len) {
            ib++;
            ob = 0;
        }
        const unsigned char *pa = (const unsigned char *)a->iov[ia].iov_base + oa;
        const unsigned char *pb = (const unsigned char *)b->iov[ib].iov_base + ob;
        size_t len = MIN(a->iov[ia].iov_len - oa, b->iov[ib].iov_len - ob);

        if (memcmp(pa, pb, len) != 0) {
            for (size_t k = 0; k < len; k++) {
                if (pa[k] != pb[k]) {
                    return (ssize_t)(pos + k);
                }
            }
        }
        pos += len;
        oa += len;
        ob += len;
    }
    return -1;
}

bool buffer_is_zero(const void *buf, size_t len)
{
    const unsigned char *p = buf;

    /* Word-at-a-time after a byte-wise head; memcmp-free so it stays cheap. */
    while (len > 0 && ((uintptr_t)p & (sizeof(uint64_t) - 1))) {
        if (*p) {
            return false;
        }
        p++;
        len--;
    }
    while (len >= 4 * sizeof(uint64_t)) {
        const uint64_t *w = (const uint64_t *)p;

        if (w[0] | w[1] | w[2] | w[3]) {
            return false;
        }
        p += 4 * sizeof(uint64_t);
        len -= 4 * sizeof(uint64_t);
    }
    while (len > 0) {
        if (*p) {
            return false;
        }
        p++;
        len--;
    }
    return true;
}
