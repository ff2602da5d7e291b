/*
 * Internals of the 'file' protocol driver, shared by its source files:
 * file-posix.c (driver table, open, metadata operations), file-posix-io.c
 * (the read/write/flush path on the thread pool), file-posix-uring.c (the
 * io_uring back-end) and file-posix-lock.c (image locking).
 *
 * Everything runs on the main loop; only the *_worker functions of the
 * thread-pool back-end run on pool threads, and they touch nothing but the
 * fd and the buffers of their own request.
 */
#ifndef BLOCK_FILE_POSIX_H
#define BLOCK_FILE_POSIX_H

#include <assert.h>

#include "block/block_int.h"

typedef enum FileAioBackend {
    FILE_AIO_THREADS,
    FILE_AIO_IO_URING,
} FileAioBackend;

typedef struct BDRVRawState {
    int fd;
    int open_flags; /* O_* flags fd was opened with */
    char *path;     /* what open() was given */
    bool is_blockdev;
    bool use_direct;     /* O_DIRECT: requests and buffers aligned */
    bool no_flush;       /* cache.no-flush: flushes succeed at once */
    bool auto_read_only; /* fd access mode follows the write permission */
    FileAioBackend aio;
    uint32_t aio_max_batch; /* io_uring: submit after this many queued (0: ring size) */
    uint32_t request_align; /* probed for O_DIRECT, else 1 */
    uint32_t buf_align;     /* buffer address alignment for O_DIRECT */

    /* fallocate modes that are still worth trying on this file */
    bool has_zero_range;
    bool has_punch_hole;
    bool has_fallocate;
    /* a failed fdatasync leaves the page cache state unknown: fail all later flushes */
    bool flush_failed;

    /* Requests that may still use fd (queued or in flight). */
    unsigned in_flight;
    /* fds replaced while requests were in flight; closed when in_flight drops to 0 */
    GSList *retired_fds;

    /* Image locking (file-posix-lock.c). */
    bool use_lock;
    int lock_fd;                /* separate open file description holding the locks */
    uint64_t perm, shared_perm; /* committed permissions */
    uint64_t locked_perm;       /* bits whose "I use" byte we hold */
    uint64_t locked_unshared;   /* bits whose "I don't share" byte we hold */
    bool perm_check_pending;    /* check_perm done, set/abort not yet */
    int perm_change_fd;         /* new fd of a pending access-mode change, or -1 */
    int perm_change_flags;      /* its O_* flags */

    /* reopen (read-only <-> read-write) */
    int reopen_fd;
    int reopen_flags;
    bool reopen_read_only;

    /* query-blockstats driver-specific counters */
    uint64_t discard_nb_ok, discard_nb_failed, discard_bytes_ok;
} BDRVRawState;

/* An aligned buffer (free() it), or NULL. */
static inline void *file_memalign(size_t align, size_t size)
{
    void *p;

    return posix_memalign(&p, align, size ? size : 1) == 0 ? p : NULL;
}

/* file-posix-io.c: the data path.  Return 0 or -errno. */
int coroutine_fn file_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn file_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn file_co_flush_to_disk(BlockDriverState *bs);
/* Runs fn(opaque) on the thread pool while counting it as a request on s->fd. */
int coroutine_fn file_co_run_in_pool(BDRVRawState *s, ThreadPoolFunc *fn, void *opaque);
/* Replaces s->fd; the old one is closed once no request can still use it. */
void file_replace_fd(BDRVRawState *s, int new_fd);
void file_request_begin(BDRVRawState *s);
void file_request_end(BDRVRawState *s);

/* file-posix-uring.c.  file_uring_available() sets up the ring on first use. */
bool file_uring_available(Error **errp);
int coroutine_fn file_uring_rw(int fd, bool is_write, int64_t offset, QEMUIOVector *qiov,
                               uint32_t max_batch);
int coroutine_fn file_uring_fdatasync(int fd);

/* file-posix-lock.c: image locking with OFD locks, and the permission hooks. */
int file_lock_open(BDRVRawState *s, const char *filename, Error **errp);
void file_lock_close(BDRVRawState *s);
int file_check_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared, Error **errp);
void file_set_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared);
void file_abort_perm_update(BlockDriverState *bs);
/*
 * Takes the lock bytes a creator needs on fd and checks nobody conflicts
 * (blockdev-create of a file); the locks go away with fd.
 */
int file_lock_for_create(int fd, const char *filename, uint64_t perm, uint64_t shared,
                         Error **errp);

#endif
