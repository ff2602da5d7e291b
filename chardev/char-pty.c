/*
 * The pty chardev: a pseudo-terminal whose slave side (/dev/pts/N) is for
 * the user.  The master reports a hang-up while no one has the slave open,
 * so the connection state is polled once a second while disconnected.
 */
#include "chardev/char-internal.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>

#define PTY_POLL_NS 1000000000LL

typedef struct PtyChardev {
    Chardev parent;
    int master;
    char *slave_path;
    ChrStream *stream; /* non-NULL while connected */
    QEMUTimer *poll_timer;
} PtyChardev;

static PtyChardev *pty_chr(Chardev *chr)
{
    return container_of(chr, PtyChardev, parent);
}

static void pty_hangup(Chardev *chr);

static const ChrStreamOps pty_stream_ops = {
    .hangup = pty_hangup,
};

static bool pty_slave_present(PtyChardev *p)
{
    struct pollfd pfd = {.fd = p->master, .events = POLLIN};

    return poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP);
}

static void pty_poll(void *opaque)
{
    PtyChardev *p = opaque;

    if (p->stream) {
        return;
    }
    if (!pty_slave_present(p)) {
        timer_mod(p->poll_timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + PTY_POLL_NS);
        return;
    }
    p->stream = chr_stream_new(&p->parent, p->master, p->master, false, &pty_stream_ops);
    chr_be_event(&p->parent, CHR_EVENT_OPENED);
}

static void pty_hangup(Chardev *chr)
{
    PtyChardev *p = pty_chr(chr);

    chr_stream_free(p->stream, false);
    p->stream = NULL;
    timer_mod(p->poll_timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + PTY_POLL_NS);
    chr_be_event(chr, CHR_EVENT_CLOSED);
}

/* Raw mode is a property of the terminal, so it is set through the slave. */
static void pty_make_raw(const char *slave_path)
{
    struct termios tty;
    int slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (slave < 0) {
        return;
    }
    if (tcgetattr(slave, &tty) == 0) {
        cfmakeraw(&tty);
        tcsetattr(slave, TCSAFLUSH, &tty);
    }
    close(slave);
}

static bool pty_open(Chardev *chr, json_t *opts, Error **errp)
{
    PtyChardev *p = pty_chr(chr);
    const char *name;

    p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
        !(name = ptsname(p->master))) {
        error_setg_errno(errp, errno, "Failed to create PTY");
        if (p->master >= 0) {
            close(p->master);
        }
        return false;
    }
    p->slave_path = g_strdup(name);
    fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);
    pty_make_raw(p->slave_path);
    chr_set_filename(chr, "pty:%s", p->slave_path);
    /* the user asked for a pty and must learn its name: QEMU tells stdout */
    printf("char device redirected to %s (label %s)\n", p->slave_path, chr->label);
    fflush(stdout);
    p->poll_timer = timer_new_ns(QEMU_CLOCK_REALTIME, pty_poll, p);
    pty_poll(p);
    return true;
}

static int pty_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    PtyChardev *p = pty_chr(chr);

    return p->stream ? chr_stream_write(p->stream, buf, len) : -1;
}

static bool pty_is_connected(Chardev *chr)
{
    return pty_chr(chr)->stream != NULL;
}

static void pty_flush(Chardev *chr)
{
    PtyChardev *p = pty_chr(chr);

    if (p->stream) {
        chr_stream_flush(p->stream, 2000);
    }
}

static void pty_close(Chardev *chr)
{
    PtyChardev *p = pty_chr(chr);

    chr_stream_free(p->stream, false);
    p->stream = NULL;
    timer_free(p->poll_timer);
    p->poll_timer = NULL;
    close(p->master);
    g_free(p->slave_path);
}

const ChardevDriver chardev_pty_driver = {
    .name = "pty",
    .instance_size = sizeof(PtyChardev),
    .open = pty_open,
    .write = pty_write,
    .is_connected = pty_is_connected,
    .flush = pty_flush,
    .close = pty_close,
};
