/*
 * The 'file' protocol driver: an image is a host file (or block device).
 *
 * This file holds the driver table, open/close/reopen and the metadata
 * operations (size, allocation status, zeroing, discard, resizing, image
 * creation).  The data path is in file-posix-io.c and file-posix-uring.c,
 * image locking in file-posix-lock.c.
 */
#include "block/file-posix.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <jansson.h>

/* Largest O_DIRECT alignment probed (a sector of a 4Kn disk). */
#define FILE_MAX_BLOCKSIZE 4096

static const uint32_t file_probe_sizes[] = {512, 1024, 2048, 4096};

/* ---- opening ---------------------------------------------------------- */

static bool file_probe_read_ok(int fd, void *buf, size_t len)
{
    ssize_t n;

    do {
        n = pread(fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    /* Only EINVAL speaks about alignment; anything else is not our question. */
    return n >= 0 || errno != EINVAL;
}

/*
 * O_DIRECT needs requests aligned to the logical block size and buffers to
 * the memory alignment of the device.  Neither is reliably exported for
 * files, so try reads of growing alignment, as QEMU does.
 */
static int file_probe_alignment(BDRVRawState *s, Error **errp)
{
    uint8_t *buf;
    int sector_size;

    s->request_align = 1;
    s->buf_align = 1;
    if (!s->use_direct) {
        return 0;
    }
    s->request_align = 0;
    s->buf_align = 0;
    if (s->is_blockdev && ioctl(s->fd, BLKSSZGET, &sector_size) == 0 && sector_size > 0) {
        s->request_align = sector_size;
    }
    /* twice the largest alignment, so buf + n is aligned to exactly n */
    buf = file_memalign(2 * FILE_MAX_BLOCKSIZE, 2 * FILE_MAX_BLOCKSIZE);
    if (!buf) {
        error_setg(errp, "Could not allocate memory for O_DIRECT alignment probing");
        return -ENOMEM;
    }
    for (size_t i = 0; !s->request_align && i < ARRAY_SIZE(file_probe_sizes); i++) {
        if (file_probe_read_ok(s->fd, buf, file_probe_sizes[i])) {
            s->request_align = file_probe_sizes[i];
        }
    }
    for (size_t i = 0; s->request_align && i < ARRAY_SIZE(file_probe_sizes); i++) {
        if (file_probe_read_ok(s->fd, buf + file_probe_sizes[i], s->request_align)) {
            s->buf_align = file_probe_sizes[i];
            break;
        }
    }
    free(buf);
    if (!s->request_align) {
        error_setg(errp, "Could not find working O_DIRECT alignment");
        error_append_hint(errp, "Try cache.direct=off\n");
        return -EINVAL;
    }
    if (!s->buf_align) {
        s->buf_align = s->request_align;
    }
    return 0;
}

static void file_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    size_t page = getpagesize();

    bs->bl.request_alignment = s->request_align;
    bs->bl.min_mem_alignment = s->buf_align;
    bs->bl.opt_mem_alignment = MAX(s->buf_align, page);
}

static FileAioBackend file_pick_aio(BlockdevOptionsFile *fo, int flags, bool *explicit_uring,
                                    bool *native)
{
    BlockdevAioOptions aio;

    *explicit_uring = false;
    *native = false;
    if (fo->has_aio) {
        aio = fo->aio;
    } else if (flags & BDRV_O_NATIVE_AIO) {
        aio = BLOCKDEV_AIO_OPTIONS_NATIVE;
    } else if (flags & BDRV_O_IO_URING) {
        aio = BLOCKDEV_AIO_OPTIONS_IO_URING;
    } else {
        /* the default: io_uring where the kernel allows it */
        return FILE_AIO_IO_URING;
    }
    switch (aio) {
    case BLOCKDEV_AIO_OPTIONS_THREADS:
        return FILE_AIO_THREADS;
    case BLOCKDEV_AIO_OPTIONS_NATIVE:
        /* Linux AIO's job is done by the ring: same O_DIRECT semantics, no libaio */
        *native = true;
        *explicit_uring = true;
        return FILE_AIO_IO_URING;
    default:
        *explicit_uring = true;
        return FILE_AIO_IO_URING;
    }
}

static void file_state_init(BDRVRawState *s)
{
    s->fd = -1;
    s->lock_fd = -1;
    s->perm_change_fd = -1;
    s->reopen_fd = -1;
    s->perm = 0;
    s->shared_perm = BLK_PERM_ALL;
    s->has_zero_range = true;
    s->has_punch_hole = true;
    s->has_fallocate = true;
}

static void file_close(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    /* the core drained the node: nothing can still use the fd */
    assert(s->in_flight == 0);
    file_replace_fd(s, -1);
    if (s->perm_change_fd >= 0) {
        close(s->perm_change_fd);
        s->perm_change_fd = -1;
    }
    if (s->reopen_fd >= 0) {
        close(s->reopen_fd);
        s->reopen_fd = -1;
    }
    file_lock_close(s);
    g_free(s->path);
    s->path = NULL;
}

static int file_open(BlockDriverState *bs, BlockdevOptions *opts, int flags, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    BlockdevOptionsFile *fo = &opts->u.file;
    bool explicit_uring, native, open_rw;
    struct stat st;
    int ret;

    file_state_init(s);
    if (!fo->filename || !fo->filename[0]) {
        error_setg(errp, "The 'file' block driver requires a file name");
        return -EINVAL;
    }
    s->path = g_strdup(fo->filename);
    g_strlcpy(bs->filename, fo->filename, sizeof(bs->filename));

    s->use_direct = flags & BDRV_O_NOCACHE;
    s->no_flush = flags & BDRV_O_NO_FLUSH;
    s->aio = file_pick_aio(fo, flags, &explicit_uring, &native);
    if (native && !s->use_direct) {
        error_setg(errp, "aio=native was specified, but it requires cache.direct=on, "
                         "which was not specified.");
        ret = -EINVAL;
        goto fail;
    }
    if (fo->has_aio_max_batch && fo->aio_max_batch > 0) {
        s->aio_max_batch = MIN(fo->aio_max_batch, (int64_t)UINT32_MAX);
    }
    s->use_lock = !fo->has_locking || fo->locking != ON_OFF_AUTO_OFF;

    /*
     * auto-read-only: the node is writable, but the fd is read-write only
     * while a parent holds a write permission (see file_check_perm), so a
     * file that cannot be written still opens for readers.
     */
    s->auto_read_only = (flags & BDRV_O_AUTO_RDONLY) && (flags & BDRV_O_RDWR);
    open_rw = (flags & BDRV_O_RDWR) && !s->auto_read_only;
    s->open_flags = (open_rw ? O_RDWR : O_RDONLY) | (s->use_direct ? O_DIRECT : 0);
    s->fd = open(s->path, s->open_flags | O_CLOEXEC);
    if (s->fd < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not open '%s'", s->path);
        if (ret == -EROFS) {
            ret = -EACCES;
        }
        goto fail;
    }
    if (fstat(s->fd, &st) < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not stat file");
        goto fail;
    }
    if (S_ISBLK(st.st_mode)) {
        s->is_blockdev = true;
    } else if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "'file' driver requires '%s' to be a regular file", s->path);
        ret = -EINVAL;
        goto fail;
    }

    ret = file_probe_alignment(s, errp);
    if (ret < 0) {
        goto fail;
    }
    if (s->aio == FILE_AIO_IO_URING) {
        Error *local_err = NULL;

        if (!file_uring_available(&local_err)) {
            if (explicit_uring) {
                error_propagate_prepend(errp, local_err, "Unable to use io_uring: ");
                ret = -EINVAL;
                goto fail;
            }
            error_free(local_err);
            s->aio = FILE_AIO_THREADS;
        }
    }
    ret = file_lock_open(s, s->path, errp);
    if (ret < 0) {
        goto fail;
    }
    file_refresh_limits(bs, NULL);
    return 0;

fail:
    file_close(bs);
    return ret;
}

/* "file:PATH" and plain "PATH" name the same file. */
static void file_parse_filename(const char *filename, json_t *options, Error **errp)
{
    const char *path = filename;

    if (g_str_has_prefix(path, "file:")) {
        path += strlen("file:");
    }
    json_object_set_new(options, "filename", json_string(path));
}

/* ---- reopen ---------------------------------------------------------- */

static int file_reopen_prepare(BlockDriverState *bs, bool read_only, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    bool is_rw = (s->open_flags & O_ACCMODE) == O_RDWR;
    bool want_rw;

    s->reopen_read_only = read_only;
    /* with auto-read-only, going writable waits for a writer's permission */
    want_rw = !read_only && (!s->auto_read_only || is_rw);
    if (want_rw == is_rw) {
        return 0;
    }
    s->reopen_flags = (s->open_flags & ~O_ACCMODE) | (want_rw ? O_RDWR : O_RDONLY);
    s->reopen_fd = open(s->path, s->reopen_flags | O_CLOEXEC);
    if (s->reopen_fd < 0) {
        int ret = -errno;
        error_setg_errno(errp, -ret, "Could not open '%s'", s->path);
        return ret;
    }
    return 0;
}

static void file_reopen_commit(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    if (s->reopen_read_only) {
        s->auto_read_only = false;
    }
    if (s->reopen_fd >= 0) {
        file_replace_fd(s, s->reopen_fd);
        s->open_flags = s->reopen_flags;
        s->reopen_fd = -1;
    }
}

static void file_reopen_abort(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    if (s->reopen_fd >= 0) {
        close(s->reopen_fd);
        s->reopen_fd = -1;
    }
}

/* ---- size ------------------------------------------------------------ */

static int64_t file_fd_length(int fd, bool is_blockdev)
{
    struct stat st;

    if (is_blockdev) {
        uint64_t size;

        if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
            return -errno;
        }
        return MIN(size, (uint64_t)INT64_MAX);
    }
    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

static int64_t file_getlength(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    if (s->fd < 0) {
        return -EBADF;
    }
    return file_fd_length(s->fd, s->is_blockdev);
}

static int64_t file_get_allocated_file_size(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;

    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

/* ---- zeroes and discard -------------------------------------------- */

typedef struct FileFallocReq {
    int fd;
    int mode;
    int64_t offset, len;
} FileFallocReq;

/* Runs on a pool thread. */
static int file_fallocate_worker(void *opaque)
{
    FileFallocReq *r = opaque;

    while (fallocate(r->fd, r->mode, r->offset, r->len) < 0) {
        if (errno != EINTR) {
            return errno == EOPNOTSUPP ? -ENOTSUP : -errno;
        }
    }
    return 0;
}

typedef struct FileTruncReq {
    int fd;
    int64_t size;
} FileTruncReq;

/* Runs on a pool thread. */
static int file_ftruncate_worker(void *opaque)
{
    FileTruncReq *r = opaque;

    while (ftruncate(r->fd, r->size) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

static int coroutine_fn file_co_fallocate(BDRVRawState *s, int mode, int64_t offset, int64_t len)
{
    FileFallocReq req = {.fd = s->fd, .mode = mode, .offset = offset, .len = len};

    return file_co_run_in_pool(s, file_fallocate_worker, &req);
}

/* A file punched past its end keeps its size: zeroes written there must still extend it. */
static int coroutine_fn file_co_extend_to(BDRVRawState *s, int64_t end)
{
    int64_t len = file_fd_length(s->fd, s->is_blockdev);
    FileTruncReq req = {.fd = s->fd, .size = end};

    if (len < 0 || s->is_blockdev || end <= len) {
        return len < 0 ? (int)len : 0;
    }
    return file_co_run_in_pool(s, file_ftruncate_worker, &req);
}

static int coroutine_fn file_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                              BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    int64_t len;
    int ret;

    if (s->fd < 0) {
        return -EBADF;
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) && s->has_punch_hole) {
        /* a punched hole reads as zeroes: zeroing and unmapping in one go */
        ret = file_co_fallocate(s, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, bytes);
        if (ret == 0) {
            return file_co_extend_to(s, offset + bytes);
        }
        if (ret != -ENOTSUP && ret != -EINVAL && ret != -EBUSY) {
            return ret;
        }
        if (ret == -ENOTSUP) {
            s->has_punch_hole = false;
        }
    }
    if (s->has_zero_range) {
        ret = file_co_fallocate(s, FALLOC_FL_ZERO_RANGE, offset, bytes);
        if (ret != -ENOTSUP && ret != -EINVAL) {
            return ret;
        }
        /* some file systems refuse unaligned ranges with EINVAL: try the others */
        if (ret == -ENOTSUP) {
            s->has_zero_range = false;
        }
    }
    if (s->has_punch_hole && s->has_fallocate) {
        /* punch, then allocate again: the range is allocated and zero */
        ret = file_co_fallocate(s, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, bytes);
        if (ret == 0) {
            ret = file_co_fallocate(s, 0, offset, bytes);
            if (ret != -ENOTSUP) {
                return ret;
            }
            s->has_fallocate = false;
        } else if (ret == -ENOTSUP) {
            s->has_punch_hole = false;
        } else if (ret != -EINVAL) {
            return ret;
        }
    }
    /* beyond the end of the file, plain allocation yields zeroes */
    len = file_fd_length(s->fd, s->is_blockdev);
    if (s->has_fallocate && len >= 0 && offset >= len) {
        ret = file_co_fallocate(s, 0, offset, bytes);
        if (ret != -ENOTSUP) {
            return ret;
        }
        s->has_fallocate = false;
    }
    /* the core writes zero buffers instead (unless BDRV_REQ_NO_FALLBACK) */
    return -ENOTSUP;
}

static int coroutine_fn file_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVRawState *s = bs->opaque;
    int ret = -ENOTSUP;

    if (s->fd < 0) {
        ret = -EBADF;
    } else if (s->has_punch_hole) {
        ret = file_co_fallocate(s, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, bytes);
        if (ret == -ENOTSUP) {
            s->has_punch_hole = false;
        }
    }
    if (ret == 0) {
        s->discard_nb_ok++;
        s->discard_bytes_ok += bytes;
    } else {
        s->discard_nb_failed++;
    }
    return ret;
}

/* Nothing to report, but a file answers (QEMU shows "dirty-flag": false). */
static int file_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    return 0;
}

static BlockStatsSpecific *file_get_specific_stats(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    BlockStatsSpecific *stats = g_new0(BlockStatsSpecific, 1);

    stats->driver = BLOCKDEV_DRIVER_FILE;
    stats->u.file.discard_nb_ok = s->discard_nb_ok;
    stats->u.file.discard_nb_failed = s->discard_nb_failed;
    stats->u.file.discard_bytes_ok = s->discard_bytes_ok;
    return stats;
}

/* ---- allocation status --------------------------------------------- */

/*
 * SEEK_DATA/SEEK_HOLE tell data from holes.  Boundaries inside an aligned
 * block count as data: a partly allocated block is not a zero block.
 */
static int coroutine_fn file_co_block_status(BlockDriverState *bs, bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum, int64_t *map,
                                             BlockDriverState **file)
{
    BDRVRawState *s = bs->opaque;
    int64_t align = s->request_align;
    int64_t data, hole, start = offset;

    *map = offset;
    *file = bs;
    *pnum = bytes;
    if (!want_zero || s->is_blockdev) {
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    data = lseek(s->fd, offset, SEEK_DATA);
    if (data < 0) {
        /* ENXIO: a hole up to the end of the file; otherwise we cannot tell */
        return (errno == ENXIO ? BDRV_BLOCK_ZERO : BDRV_BLOCK_DATA) | BDRV_BLOCK_OFFSET_VALID;
    }
    if (data > offset) {
        int64_t zero_len = QEMU_ALIGN_DOWN(data - offset, align);

        if (zero_len > 0) {
            *pnum = MIN(zero_len, bytes);
            return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
        }
        /* data starts inside this block: the block is data */
        start = data;
    }
    hole = lseek(s->fd, start, SEEK_HOLE);
    if (hole > start) {
        *pnum = MIN(QEMU_ALIGN_UP(hole - offset, align), bytes);
    }
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
}

/* ---- resizing and creation ----------------------------------------- */

typedef struct FileResizeReq {
    int fd;
    bool direct; /* fd has O_DIRECT: full preallocation writes through another fd */
    const char *path;
    int64_t size;
    PreallocMode prealloc;
    const char *failed; /* what went wrong, for the error message */
} FileResizeReq;

/*
 * Write the first block of a new (sparse) image, so that O_DIRECT alignment
 * probing finds real data to fail on; failures do not matter.
 */
static void file_allocate_first_block(int fd, int64_t size)
{
    size_t len = size < FILE_MAX_BLOCKSIZE ? BDRV_SECTOR_SIZE : FILE_MAX_BLOCKSIZE;
    void *buf = file_memalign(FILE_MAX_BLOCKSIZE, len);

    if (buf) {
        ssize_t n;

        memset(buf, 0, len);
        do {
            n = pwrite(fd, buf, len, 0);
        } while (n < 0 && errno == EINTR);
        free(buf);
    }
}

static int file_write_zeroes_from(int fd, int64_t from, int64_t to)
{
    const size_t chunk = 64 * 1024;
    void *buf = file_memalign(FILE_MAX_BLOCKSIZE, chunk);
    int64_t pos = from;

    if (!buf) {
        return -ENOMEM;
    }
    memset(buf, 0, chunk);
    while (pos < to) {
        ssize_t n = pwrite(fd, buf, MIN((int64_t)chunk, to - pos), pos);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            free(buf);
            return n < 0 ? -errno : -ENOSPC;
        }
        pos += n;
    }
    free(buf);
    return 0;
}

/* Runs on a pool thread: resizes a regular file, preallocating what it grows by. */
static int file_resize_worker(void *opaque)
{
    FileResizeReq *r = opaque;
    struct stat st;
    int64_t cur;
    int ret, wfd;

    if (fstat(r->fd, &st) < 0) {
        r->failed = "Could not stat file";
        return -errno;
    }
    cur = st.st_size;
    switch (r->prealloc) {
    case PREALLOC_MODE_OFF:
        if (ftruncate(r->fd, r->size) < 0) {
            r->failed = "Could not resize file";
            return -errno;
        }
        if (cur == 0 && r->size > 0) {
            file_allocate_first_block(r->fd, r->size);
        }
        return 0;
    case PREALLOC_MODE_FALLOC:
        if (r->size == cur) {
            return 0;
        }
        ret = posix_fallocate(r->fd, cur, r->size - cur);
        if (ret) {
            r->failed = "Could not preallocate new data";
            return -ret;
        }
        if (cur == 0) {
            file_allocate_first_block(r->fd, r->size);
        }
        return 0;
    case PREALLOC_MODE_FULL:
        if (ftruncate(r->fd, r->size) < 0) {
            r->failed = "Could not resize file";
            return -errno;
        }
        /* zero buffers of any length cannot go through O_DIRECT */
        wfd = r->direct ? open(r->path, O_WRONLY | O_CLOEXEC) : r->fd;
        if (wfd < 0) {
            r->failed = "Could not write zeros for preallocation";
            return -errno;
        }
        ret = file_write_zeroes_from(wfd, cur, r->size);
        if (ret < 0) {
            r->failed = "Could not write zeros for preallocation";
        } else if (fsync(wfd) < 0) {
            ret = -errno;
            r->failed = "Could not flush file to disk";
        }
        if (wfd != r->fd) {
            close(wfd);
        }
        return ret;
    default:
        return -ENOTSUP;
    }
}

/*
 * Checks that happen before touching the file.  'cur' is the current
 * length, or -1 if unknown (creation).
 */
static int file_resize_check(PreallocMode prealloc, int64_t cur, int64_t size, Error **errp)
{
    if (prealloc != PREALLOC_MODE_OFF && prealloc != PREALLOC_MODE_FALLOC &&
        prealloc != PREALLOC_MODE_FULL) {
        error_setg(errp, "Unsupported preallocation mode: %s", PreallocMode_str(prealloc));
        return -ENOTSUP;
    }
    if (cur > size && prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Cannot use preallocation for shrinking files");
        return -ENOTSUP;
    }
    return 0;
}

static int coroutine_fn file_co_resize_fd(int fd, bool direct, const char *path, int64_t size,
                                          PreallocMode prealloc, BDRVRawState *s, Error **errp)
{
    FileResizeReq req = {
        .fd = fd,
        .direct = direct,
        .path = path,
        .size = size,
        .prealloc = prealloc,
    };
    int ret;

    ret = s ? file_co_run_in_pool(s, file_resize_worker, &req)
            : thread_pool_submit_co(file_resize_worker, &req);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "%s", req.failed ? req.failed : "Could not resize file");
    }
    return ret;
}

static int coroutine_fn file_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                         PreallocMode prealloc, BdrvRequestFlags flags,
                                         Error **errp)
{
    BDRVRawState *s = bs->opaque;
    int64_t cur;
    int ret;

    if (s->fd < 0) {
        error_setg_errno(errp, EBADF, "Could not resize file");
        return -EBADF;
    }
    cur = file_fd_length(s->fd, s->is_blockdev);
    if (cur < 0) {
        error_setg_errno(errp, (int)-cur, "Failed to fstat() the file");
        return cur;
    }
    if (s->is_blockdev) {
        if (prealloc != PREALLOC_MODE_OFF) {
            error_setg(errp, "Preallocation mode '%s' unsupported for this non-regular file",
                       PreallocMode_str(prealloc));
            return -ENOTSUP;
        }
        if (exact && offset != cur) {
            error_setg(errp, "Cannot resize device files");
            return -ENOTSUP;
        }
        if (offset > cur) {
            error_setg(errp, "Cannot grow device files");
            return -EINVAL;
        }
        return 0;
    }
    ret = file_resize_check(prealloc, cur, offset, errp);
    if (ret < 0) {
        return ret;
    }
    return file_co_resize_fd(s->fd, s->use_direct, s->path, offset, prealloc, s, errp);
}

static void file_set_nocow(int fd)
{
    int attr;

    /* btrfs only; elsewhere the flag does not exist and that is fine */
    if (ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0) {
        attr |= FS_NOCOW_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &attr);
    }
}

static int coroutine_fn file_co_create(BlockdevCreateOptions *opts, Error **errp)
{
    BlockdevCreateOptionsFile *fo = &opts->u.file;
    PreallocMode prealloc = fo->has_preallocation ? fo->preallocation : PREALLOC_MODE_OFF;
    int fd, ret;

    if (fo->size > (uint64_t)BDRV_MAX_LENGTH) {
        error_setg(errp, "Image size too large");
        return -EINVAL;
    }
    ret = file_resize_check(prealloc, -1, fo->size, errp);
    if (ret < 0) {
        return ret;
    }
    fd = open(fo->filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not create '%s'", fo->filename);
        return ret;
    }
    /*
     * We empty and resize the file: nobody may use it meanwhile, and nobody
     * may resize it until we are done (the size is our promise).
     */
    ret = file_lock_for_create(fd, fo->filename, BLK_PERM_WRITE | BLK_PERM_RESIZE,
                               BLK_PERM_ALL & ~BLK_PERM_RESIZE, errp);
    if (ret < 0) {
        goto out;
    }
    ret = file_co_resize_fd(fd, false, fo->filename, 0, PREALLOC_MODE_OFF, NULL, errp);
    if (ret < 0) {
        goto out;
    }
    if (fo->has_nocow && fo->nocow) {
        file_set_nocow(fd);
    }
    ret = file_co_resize_fd(fd, false, fo->filename, fo->size, prealloc, NULL, errp);
out:
    if (close(fd) < 0 && ret == 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not close the new file");
    }
    return ret;
}

static const BlockDriver bdrv_file = {
    .format_name = "file",
    .protocol_name = "file",
    .instance_size = sizeof(BDRVRawState),
    .supported_zero_flags = BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK,

    .bdrv_parse_filename = file_parse_filename,
    .bdrv_open = file_open,
    .bdrv_close = file_close,
    .bdrv_reopen_prepare = file_reopen_prepare,
    .bdrv_reopen_commit = file_reopen_commit,
    .bdrv_reopen_abort = file_reopen_abort,
    .bdrv_co_create = file_co_create,

    .bdrv_co_preadv = file_co_preadv,
    .bdrv_co_pwritev = file_co_pwritev,
    .bdrv_co_pwrite_zeroes = file_co_pwrite_zeroes,
    .bdrv_co_pdiscard = file_co_pdiscard,
    .bdrv_co_flush_to_disk = file_co_flush_to_disk,
    .bdrv_co_block_status = file_co_block_status,
    .bdrv_co_truncate = file_co_truncate,

    .bdrv_getlength = file_getlength,
    .bdrv_get_allocated_file_size = file_get_allocated_file_size,
    .bdrv_get_info = file_get_info,
    .bdrv_refresh_limits = file_refresh_limits,
    .bdrv_get_specific_stats = file_get_specific_stats,

    .bdrv_check_perm = file_check_perm,
    .bdrv_set_perm = file_set_perm,
    .bdrv_abort_perm_update = file_abort_perm_update,
};

block_init(bdrv_file);
