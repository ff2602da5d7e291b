/*
 * The file chardev: output appended to or replacing a file; no input.
 */
#include "chardev/char-internal.h"

#include <fcntl.h>

typedef struct FileChardev {
    Chardev parent;
    int fd;
} FileChardev;

static FileChardev *file_chr(Chardev *chr)
{
    return container_of(chr, FileChardev, parent);
}

static bool file_open(Chardev *chr, json_t *opts, Error **errp)
{
    FileChardev *f = file_chr(chr);
    const char *path = chr_opt_str(opts, "path");
    bool append;

    f->fd = -1;
    if (!chr_opt_bool(opts, "append", false, &append, errp)) {
        return false;
    }
    if (!path) {
        error_setg(errp, "chardev: file: no filename given");
        return false;
    }
    f->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
    if (f->fd < 0) {
        error_setg_errno(errp, errno, "Could not open '%s'", path);
        return false;
    }
    return true;
}

/* Regular files do not block for long; the data goes out synchronously. */
static int file_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    FileChardev *f = file_chr(chr);
    size_t done = 0;

    while (done < len) {
        ssize_t r = write(f->fd, buf + done, len - done);

        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        done += r;
    }
    return (int)len;
}

static void file_close(Chardev *chr)
{
    FileChardev *f = file_chr(chr);

    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
}

const ChardevDriver chardev_file_driver = {
    .name = "file",
    .instance_size = sizeof(FileChardev),
    .open = file_open,
    .write = file_write,
    .close = file_close,
};
