/*
 * The stdio chardev: input from fd 0, output to fd 1.  A terminal on stdin
 * is switched to raw mode (keeping ^C as a signal unless signal=off) and
 * restored when the process ends.
 */
#include "chardev/char-internal.h"

#include <termios.h>

typedef struct StdioChardev {
    Chardev parent;
    ChrStream *in;
} StdioChardev;

static bool stdio_in_use;
static bool stdio_tty_saved;
static struct termios stdio_tty_orig;

static StdioChardev *stdio_chr(Chardev *chr)
{
    return container_of(chr, StdioChardev, parent);
}

static void stdio_tty_restore(void)
{
    if (stdio_tty_saved) {
        tcsetattr(0, TCSANOW, &stdio_tty_orig);
        stdio_tty_saved = false;
    }
}

static void stdio_tty_raw(bool allow_signals)
{
    struct termios tty;

    static bool atexit_registered;

    if (!isatty(0) || tcgetattr(0, &stdio_tty_orig) < 0) {
        return;
    }
    if (!atexit_registered) {
        /* the terminal must come back even when we exit without cleanup */
        atexit(stdio_tty_restore);
        atexit_registered = true;
    }
    stdio_tty_saved = true;
    tty = stdio_tty_orig;
    /* bytes pass unchanged both ways; output still gets "\n" -> "\r\n" */
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!allow_signals) {
        tty.c_lflag &= ~ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &tty);
}

static void stdio_hangup(Chardev *chr)
{
    StdioChardev *s = stdio_chr(chr);

    /* stdin is gone; output carries on */
    chr_stream_free(s->in, false);
    s->in = NULL;
    chr_be_event(chr, CHR_EVENT_CLOSED);
}

static const ChrStreamOps stdio_stream_ops = {
    .hangup = stdio_hangup,
};

static bool stdio_open(Chardev *chr, json_t *opts, Error **errp)
{
    StdioChardev *s = stdio_chr(chr);
    bool allow_signals;

    if (!chr_opt_bool(opts, "signal", true, &allow_signals, errp)) {
        return false;
    }
    if (stdio_in_use) {
        error_setg(errp, "cannot use stdio by multiple character devices");
        return false;
    }
    stdio_in_use = true;
    stdio_tty_raw(allow_signals);
    /* stdin stays blocking (it is shared with our parent); it is read
     * only when poll says it has data */
    s->in = chr_stream_new(chr, 0, -1, false, &stdio_stream_ops);
    return true;
}

static int stdio_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t r = write(1, buf + done, len - done);

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

static void stdio_close(Chardev *chr)
{
    StdioChardev *s = stdio_chr(chr);

    chr_stream_free(s->in, false);
    s->in = NULL;
    stdio_tty_restore();
    stdio_in_use = false;
}

const ChardevDriver chardev_stdio_driver = {
    .name = "stdio",
    .instance_size = sizeof(StdioChardev),
    .open = stdio_open,
    .write = stdio_write,
    .close = stdio_close,
};
