/*
 * Scatter/gather I/O vectors (QEMUIOVector): the buffer type of every block
 * request.  A QEMUIOVector either owns its iovec array (qemu_iovec_init) or
 * wraps one buffer without allocation (qemu_iovec_init_buf).
 */
#ifndef UTIL_IOV_H
#define UTIL_IOV_H

#include <sys/uio.h>

#include "util/osdep.h"

typedef struct QEMUIOVector {
    struct iovec *iov;
    int niov;
    int nalloc; /* -1: iov points at local (not owned) */
    size_t size;
    struct iovec local;
} QEMUIOVector;

void qemu_iovec_init(QEMUIOVector *qiov, int alloc_hint);
void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len);
void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len);
/* Appends the [offset, offset+bytes) part of src's buffers (no copy of data). */
void qemu_iovec_concat(QEMUIOVector *dst, QEMUIOVector *src, size_t offset, size_t bytes);
void qemu_iovec_reset(QEMUIOVector *qiov);
void qemu_iovec_destroy(QEMUIOVector *qiov);

size_t qemu_iovec_to_buf(QEMUIOVector *qiov, size_t offset, void *buf, size_t bytes);
size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset, const void *buf, size_t bytes);
size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset, int c, size_t bytes);
/* True if bytes [offset, offset+bytes) are all zero. */
bool qemu_iovec_is_zero(QEMUIOVector *qiov, size_t offset, size_t bytes);
/* -1 if equal, otherwise the first differing byte offset. */
ssize_t qemu_iovec_compare(QEMUIOVector *a, QEMUIOVector *b);

/* True if every byte of buf is zero (fast path for zero detection). */
bool buffer_is_zero(const void *buf, size_t len);

#endif
