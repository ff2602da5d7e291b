/*
 * Image locking for the 'file' driver, compatible with QEMU's, so that a
 * minivm and a QEMU process never both write one image.
 *
 * The protocol (observed on QEMU 7.2): every user holds shared OFD read
 * locks on single bytes of the image file, byte 100 + i for each permission
 * bit i it takes and byte 200 + i for each permission bit i it does not let
 * others take.  Bits 0..3 are consistent read, write, write unchanged and
 * resize.  Before taking a permission a user tests that nobody holds the
 * matching "unshare" byte, and before refusing to share one that nobody holds
 * the matching "use" byte.  Read locks never conflict with each other, so the
 * test is an F_OFD_GETLK for a write lock, which reports any lock held
 * through another open file description.
 *
 * The locks live on a separate O_RDONLY descriptor of the image, so they
 * survive the data fd being replaced (reopen, auto-read-only).
 */
#include "block/file-posix.h"

#include <fcntl.h>

#define LOCK_USE_BASE 100
#define LOCK_UNSHARE_BASE 200

/* The permissions QEMU 7.2 locks, by bit, with the names its messages use. */
static const char *const lock_perm_names[] = {
    "consistent read",
    "write",
    "write unchanged",
    "resize",
};
#define LOCK_PERM_MASK ((1ULL << ARRAY_SIZE(lock_perm_names)) - 1)

static int lock_fcntl(int fd, int cmd, short type, int64_t byte, short *conflict_type)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_type = type,
    };

    if (fcntl(fd, cmd, &fl) < 0) {
        return -errno;
    }
    if (conflict_type) {
        *conflict_type = fl.l_type;
    }
    return 0;
}

static int lock_byte_set(int fd, int64_t byte, bool lock)
{
    return lock_fcntl(fd, F_OFD_SETLK, lock ? F_RDLCK : F_UNLCK, byte, NULL);
}

/* 0 if nobody else holds byte, -EAGAIN if someone does, other -errno on failure. */
static int lock_byte_test(int fd, int64_t byte)
{
    short type = F_UNLCK;
    int ret = lock_fcntl(fd, F_OFD_GETLK, F_WRLCK, byte, &type);

    if (ret < 0) {
        return ret;
    }
    return type == F_UNLCK ? 0 : -EAGAIN;
}

/*
 * Makes the held bytes cover 'use' and 'unshare' (masks of permission bits).
 * With 'release', bytes outside them are unlocked too.  *held_use and
 * *held_unshare track what fd holds, so only changes cost a system call; they
 * stay accurate on failure.
 */
static int lock_apply(int fd, uint64_t use, uint64_t unshare, bool release, uint64_t *held_use,
                      uint64_t *held_unshare, Error **errp)
{
    for (unsigned i = 0; i < ARRAY_SIZE(lock_perm_names); i++) {
        struct {
            uint64_t *held;
            uint64_t want;
            int base;
        } sets[] = {
            {held_use, use, LOCK_USE_BASE},
            {held_unshare, unshare, LOCK_UNSHARE_BASE},
        };
        uint64_t bit = 1ULL << i;

        for (unsigned k = 0; k < ARRAY_SIZE(sets); k++) {
            bool want = sets[k].want & bit;
            bool have = *sets[k].held & bit;
            int byte = sets[k].base + i;
            int ret;

            if (want == have || (have && !release)) {
                continue;
            }
            ret = lock_byte_set(fd, byte, want);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Failed to %s byte %d", want ? "lock" : "unlock",
                                 byte);
                return ret;
            }
            *sets[k].held ^= bit;
        }
    }
    return 0;
}

/* Fails if another user holds a byte that conflicts with taking perm and sharing shared. */
static int lock_check(int fd, uint64_t perm, uint64_t shared, const char *filename, Error **errp)
{
    for (unsigned i = 0; i < ARRAY_SIZE(lock_perm_names); i++) {
        uint64_t bit = 1ULL << i;
        int ret;

        if (perm & bit) {
            ret = lock_byte_test(fd, LOCK_UNSHARE_BASE + i);
            if (ret < 0) {
                error_setg(errp, "Failed to get \"%s\" lock", lock_perm_names[i]);
                error_append_hint(errp, "Is another process using the image [%s]?\n", filename);
                return ret;
            }
        }
        if (!(shared & bit)) {
            ret = lock_byte_test(fd, LOCK_USE_BASE + i);
            if (ret < 0) {
                error_setg(errp, "Failed to get shared \"%s\" lock", lock_perm_names[i]);
                error_append_hint(errp, "Is another process using the image [%s]?\n", filename);
                return ret;
            }
        }
    }
    return 0;
}

int file_lock_for_create(int fd, const char *filename, uint64_t perm, uint64_t shared, Error **errp)
{
    uint64_t held_use = 0, held_unshare = 0;
    int ret;

    ret = lock_apply(fd, perm & LOCK_PERM_MASK, ~shared & LOCK_PERM_MASK, false, &held_use,
                     &held_unshare, errp);
    if (ret < 0) {
        return ret;
    }
    return lock_check(fd, perm, shared, filename, errp);
}

/* locking=auto / on: open the descriptor that carries the locks. */
int file_lock_open(BDRVRawState *s, const char *filename, Error **errp)
{
    int fd;
    int ret;

    s->lock_fd = -1;
    s->locked_perm = 0;
    s->locked_unshared = 0;
    if (!s->use_lock) {
        return 0;
    }
    fd = open(filename, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not open '%s'", filename);
        return ret;
    }
    ret = lock_byte_test(fd, LOCK_USE_BASE);
    if (ret == -EINVAL || ret == -ENOTSUP) {
        /* no OFD locks here (some network file systems): nothing to coordinate with */
        close(fd);
        s->use_lock = false;
        return 0;
    }
    s->lock_fd = fd;
    return 0;
}

void file_lock_close(BDRVRawState *s)
{
    if (s->lock_fd >= 0) {
        close(s->lock_fd); /* drops every lock of this description */
        s->lock_fd = -1;
    }
    s->locked_perm = 0;
    s->locked_unshared = 0;
}

static bool perm_needs_rw(uint64_t perm)
{
    return perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE);
}

/*
 * auto-read-only: the fd is read-write only while someone may write.  Opens
 * the fd of the new access mode, to be swapped in by file_set_perm.
 */
static int perm_prepare_fd(BlockDriverState *bs, uint64_t perm, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    bool want_rw = perm_needs_rw(perm);
    bool is_rw = (s->open_flags & O_ACCMODE) == O_RDWR;
    int flags, fd;

    if (!s->auto_read_only || want_rw == is_rw) {
        return 0;
    }
    flags = (s->open_flags & ~O_ACCMODE) | (want_rw ? O_RDWR : O_RDONLY);
    fd = open(s->path, flags | O_CLOEXEC);
    if (fd < 0) {
        int ret = -errno;
        error_setg_errno(errp, -ret, "Could not open '%s'", s->path);
        return ret;
    }
    s->perm_change_fd = fd;
    s->perm_change_flags = flags;
    return 0;
}

static void perm_drop_change_fd(BDRVRawState *s)
{
    if (s->perm_change_fd >= 0) {
        close(s->perm_change_fd);
        s->perm_change_fd = -1;
    }
}

static void perm_restore_locks(BDRVRawState *s)
{
    if (s->lock_fd >= 0) {
        /* Unlocking what we added cannot meaningfully fail; nothing to report to. */
        lock_apply(s->lock_fd, s->perm & LOCK_PERM_MASK, ~s->shared_perm & LOCK_PERM_MASK, true,
                   &s->locked_perm, &s->locked_unshared, NULL);
    }
}

int file_check_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    int ret;

    perm_drop_change_fd(s);
    ret = perm_prepare_fd(bs, perm, errp);
    if (ret < 0) {
        return ret;
    }
    s->perm_check_pending = true;
    if (!s->use_lock || s->lock_fd < 0) {
        return 0;
    }
    /*
     * Hold the union of the old and new bytes while checking, so that no
     * other process can slip in between the check and set_perm.
     */
    ret = lock_apply(s->lock_fd, (s->perm | perm) & LOCK_PERM_MASK,
                     (~s->shared_perm | ~shared) & LOCK_PERM_MASK, false, &s->locked_perm,
                     &s->locked_unshared, errp);
    if (ret == 0) {
        ret = lock_check(s->lock_fd, perm, shared, bs->filename, errp);
    }
    if (ret < 0) {
        perm_restore_locks(s);
        perm_drop_change_fd(s);
        s->perm_check_pending = false;
    }
    return ret;
}

void file_set_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared)
{
    BDRVRawState *s = bs->opaque;

    s->perm = perm;
    s->shared_perm = shared;
    s->perm_check_pending = false;
    perm_restore_locks(s);
    if (s->perm_change_fd >= 0) {
        s->open_flags = s->perm_change_flags;
        file_replace_fd(s, s->perm_change_fd);
        s->perm_change_fd = -1;
    }
}

void file_abort_perm_update(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    s->perm_check_pending = false;
    perm_restore_locks(s);
    perm_drop_change_fd(s);
}
