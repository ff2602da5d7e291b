/*
 * The pipe chardev: a pair of FIFOs PATH.in / PATH.out, or a single PATH
 * used both ways.
 */
#include "chardev/char-internal.h"

#include <fcntl.h>

typedef struct PipeChardev {
    Chardev parent;
    int in_fd, out_fd;
    ChrStream *stream;
} PipeChardev;

static PipeChardev *pipe_chr(Chardev *chr)
{
    return container_of(chr, PipeChardev, parent);
}

static void pipe_hangup(Chardev *chr)
{
    PipeChardev *p = pipe_chr(chr);

    chr_stream_free(p->stream, false);
    p->stream = NULL;
    chr_be_event(chr, CHR_EVENT_CLOSED);
}

static const ChrStreamOps pipe_stream_ops = {
    .hangup = pipe_hangup,
};

static int pipe_open_one(const char *path)
{
    /* O_RDWR: opening a FIFO must not wait for the other side */
    return open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

static bool pipe_open(Chardev *chr, json_t *opts, Error **errp)
{
    PipeChardev *p = pipe_chr(chr);
    const char *path = chr_opt_str(opts, "path");
    g_autofree char *in_path = NULL;
    g_autofree char *out_path = NULL;

    p->in_fd = p->out_fd = -1;
    if (!path) {
        error_setg(errp, "chardev: pipe: no device path given");
        return false;
    }
    in_path = g_strdup_printf("%s.in", path);
    out_path = g_strdup_printf("%s.out", path);
    p->in_fd = pipe_open_one(in_path);
    p->out_fd = pipe_open_one(out_path);
    if (p->in_fd < 0 || p->out_fd < 0) {
        if (p->in_fd >= 0) {
            close(p->in_fd);
        }
        if (p->out_fd >= 0) {
            close(p->out_fd);
        }
        p->in_fd = p->out_fd = pipe_open_one(path);
        if (p->in_fd < 0) {
            error_setg_errno(errp, errno, "Could not open '%s'", path);
            return false;
        }
    }
    p->stream = chr_stream_new(chr, p->in_fd, p->out_fd, false, &pipe_stream_ops);
    return true;
}

static int pipe_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    PipeChardev *p = pipe_chr(chr);

    return p->stream ? chr_stream_write(p->stream, buf, len) : -1;
}

static bool pipe_is_connected(Chardev *chr)
{
    return pipe_chr(chr)->stream != NULL;
}

static void pipe_flush(Chardev *chr)
{
    PipeChardev *p = pipe_chr(chr);

    if (p->stream) {
        chr_stream_flush(p->stream, 2000);
    }
}

static void pipe_close(Chardev *chr)
{
    PipeChardev *p = pipe_chr(chr);

    chr_stream_free(p->stream, false);
    p->stream = NULL;
    if (p->in_fd >= 0) {
        close(p->in_fd);
    }
    if (p->out_fd >= 0 && p->out_fd != p->in_fd) {
        close(p->out_fd);
    }
    p->in_fd = p->out_fd = -1;
}

const ChardevDriver chardev_pipe_driver = {
    .name = "pipe",
    .instance_size = sizeof(PipeChardev),
    .open = pipe_open,
    .write = pipe_write,
    .is_connected = pipe_is_connected,
    .flush = pipe_flush,
    .close = pipe_close,
};
