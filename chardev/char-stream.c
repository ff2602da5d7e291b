/*
 * A connected byte stream for backends built on fds (socket, pty, pipe,
 * stdio input): input is read only while the frontend has room for it, and
 * output that the peer cannot take yet is buffered and written when the fd
 * becomes writable, so a slow peer never blocks the main loop.
 *
 * It is a GSource of its own because the frontend's appetite (can_read)
 * must be re-checked before every poll.  The source is not recursive: a
 * frontend callback that iterates the main loop is not re-entered.
 */
#include "chardev/char-internal.h"

#include <sys/socket.h>

#define CHR_STREAM_READ_MAX 4096

struct ChrStream {
    GSource source;
    Chardev *chr;
    const ChrStreamOps *ops;
    int rfd, wfd;
    bool is_socket;
    gpointer rtag, wtag; /* rtag serves both directions when rfd == wfd */
    bool read_eof;
    /* a hang-up while the frontend could not take data: stop polling the
     * fd (a hang-up is always reported) until it can */
    bool hup_stalled;
    bool dead; /* output failed; report it from dispatch, not from the writer */
    bool hangup_reported;
    GByteArray *out;
    size_t out_off;
};

size_t chr_stream_pending(ChrStream *s)
{
    return s->out->len - s->out_off;
}

static void stream_watch(ChrStream *s, gpointer *tag, int fd, GIOCondition events, bool keep)
{
    if (!events && !keep) {
        if (*tag) {
            g_source_remove_unix_fd(&s->source, *tag);
            *tag = NULL;
        }
        return;
    }
    if (*tag) {
        g_source_modify_unix_fd(&s->source, *tag, events);
    } else {
        *tag = g_source_add_unix_fd(&s->source, fd, events);
    }
}

static gboolean stream_prepare(GSource *src, gint *timeout)
{
    ChrStream *s = (ChrStream *)src;
    bool want_in = false, watch_in = false;
    GIOCondition out = chr_stream_pending(s) ? G_IO_OUT : 0;

    *timeout = -1;
    if (s->dead) {
        stream_watch(s, &s->rtag, s->rfd, 0, false);
        stream_watch(s, &s->wtag, s->wfd, 0, false);
        return !s->hangup_reported;
    }
    if (s->rfd >= 0 && !s->read_eof) {
        want_in = chr_be_can_read(s->chr) > 0;
        if (want_in) {
            s->hup_stalled = false;
        }
        watch_in = !s->hup_stalled;
    }
    if (s->rfd >= 0 && s->rfd == s->wfd) {
        stream_watch(s, &s->rtag, s->rfd, (want_in ? G_IO_IN : 0) | out, watch_in);
        return FALSE;
    }
    if (s->rfd >= 0) {
        stream_watch(s, &s->rtag, s->rfd, want_in ? G_IO_IN : 0, watch_in);
    }
    if (s->wfd >= 0) {
        stream_watch(s, &s->wtag, s->wfd, out, false);
    }
    return FALSE;
}

static gboolean stream_check(GSource *src)
{
    ChrStream *s = (ChrStream *)src;

    return (s->dead && !s->hangup_reported) || (s->rtag && g_source_query_unix_fd(src, s->rtag)) ||
           (s->wtag && g_source_query_unix_fd(src, s->wtag));
}

static ssize_t stream_send(ChrStream *s, const uint8_t *buf, size_t len)
{
    ssize_t r;

    do {
        if (s->is_socket) {
            r = send(s->wfd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else {
            r = write(s->wfd, buf, len);
        }
    } while (r < 0 && errno == EINTR);
    return r;
}

static void stream_mark_dead(ChrStream *s)
{
    s->dead = true;
    g_byte_array_set_size(s->out, 0);
    s->out_off = 0;
}

/* Writes buffered output; false if the peer is gone. */
static bool stream_flush_some(ChrStream *s)
{
    while (chr_stream_pending(s)) {
        ssize_t r = stream_send(s, s->out->data + s->out_off, chr_stream_pending(s));

        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return false;
        }
        s->out_off += r;
    }
    if (s->out_off == s->out->len) {
        g_byte_array_set_size(s->out, 0);
        s->out_off = 0;
    } else if (s->out_off > s->out->len / 2) {
        g_byte_array_remove_range(s->out, 0, s->out_off);
        s->out_off = 0;
    }
    return true;
}

static void stream_hangup(ChrStream *s)
{
    if (!s->hangup_reported) {
        s->hangup_reported = true;
        s->ops->hangup(s->chr);
    }
}

/* Reads what the frontend can take; false on EOF or error. */
static bool stream_read_some(ChrStream *s, int room)
{
    uint8_t buf[CHR_STREAM_READ_MAX];
    ssize_t r;

    do {
        r = read(s->rfd, buf, MIN(room, (int)sizeof(buf)));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    if (r == 0) {
        return false;
    }
    chr_be_read(s->chr, buf, (int)r);
    return true;
}

static gboolean stream_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    ChrStream *s = (ChrStream *)src;
    GIOCondition rrev = s->rtag ? g_source_query_unix_fd(src, s->rtag) : 0;
    GIOCondition wrev = s->wtag ? g_source_query_unix_fd(src, s->wtag) : 0;

    if (s->dead) {
        stream_hangup(s);
        return G_SOURCE_CONTINUE;
    }
    if (s->rfd == s->wfd) {
        wrev = rrev;
    }
    if (rrev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        int room = chr_be_can_read(s->chr);

        if (room > 0) {
            if (!stream_read_some(s, room)) {
                s->read_eof = true;
                stream_hangup(s);
                return G_SOURCE_CONTINUE;
            }
        } else if (rrev & (G_IO_HUP | G_IO_ERR)) {
            if (!s->chr->fe_attached) {
                /* nobody would ever read what is left */
                s->read_eof = true;
                stream_hangup(s);
                return G_SOURCE_CONTINUE;
            }
            s->hup_stalled = true;
        }
        if (g_source_is_destroyed(src)) {
            return G_SOURCE_CONTINUE;
        }
    }
    if ((wrev & (G_IO_OUT | G_IO_ERR | G_IO_HUP)) && chr_stream_pending(s)) {
        if (!stream_flush_some(s)) {
            stream_mark_dead(s);
            stream_hangup(s);
        }
    }
    return G_SOURCE_CONTINUE;
}

static void stream_finalize(GSource *src)
{
    ChrStream *s = (ChrStream *)src;

    g_byte_array_unref(s->out);
}

static GSourceFuncs stream_funcs = {
    .prepare = stream_prepare,
    .check = stream_check,
    .dispatch = stream_dispatch,
    .finalize = stream_finalize,
};

ChrStream *chr_stream_new(Chardev *chr, int rfd, int wfd, bool is_socket, const ChrStreamOps *ops)
{
    ChrStream *s = (ChrStream *)g_source_new(&stream_funcs, sizeof(ChrStream));

    s->chr = chr;
    s->ops = ops;
    s->rfd = rfd;
    s->wfd = wfd;
    s->is_socket = is_socket;
    s->out = g_byte_array_new();
    g_source_set_name(&s->source, "minivm-chardev");
    g_source_attach(&s->source, NULL);
    return s;
}

int chr_stream_write(ChrStream *s, const uint8_t *buf, size_t len)
{
    size_t done = 0;

    if (s->dead || s->wfd < 0) {
        return -1;
    }
    if (!chr_stream_pending(s)) {
        ssize_t r = stream_send(s, buf, len);

        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            stream_mark_dead(s);
            return -1;
        }
        done = r > 0 ? (size_t)r : 0;
    }
    if (done < len) {
        if (chr_stream_pending(s) + (len - done) > CHR_STREAM_OUT_MAX) {
            /* the peer stopped reading: do not grow without bound */
            stream_mark_dead(s);
            return -1;
        }
        g_byte_array_append(s->out, buf + done, len - done);
    }
    return (int)len;
}

void chr_stream_flush(ChrStream *s, int timeout_ms)
{
    int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;

    while (!s->dead && chr_stream_pending(s)) {
        int64_t left = (deadline - g_get_monotonic_time()) / 1000;
        GPollFD pfd = {.fd = s->wfd, .events = G_IO_OUT};

        if (left <= 0) {
            break;
        }
        if (g_poll(&pfd, 1, (int)left) <= 0) {
            continue;
        }
        if (!stream_flush_some(s)) {
            stream_mark_dead(s);
        }
    }
}

void chr_stream_free(ChrStream *s, bool close_fds)
{
    if (!s) {
        return;
    }
    g_source_destroy(&s->source);
    if (close_fds) {
        if (s->rfd >= 0) {
            close(s->rfd);
        }
        if (s->wfd >= 0 && s->wfd != s->rfd) {
            close(s->wfd);
        }
    }
    g_source_unref(&s->source);
}
