/*
 * The socket chardev: a unix or TCP stream, as a server (one client at a
 * time; later ones wait in the listen backlog) or as a client, optionally
 * reconnecting.  libvirt hands over its already-listening monitor socket
 * as fd=N.
 */
#include "chardev/char-internal.h"
#include "chardev/char-sockaddr.h"

#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

typedef struct SocketChardev {
    Chardev parent;
    bool is_server;
    bool nodelay;
    int family;        /* AF_UNSPEC, or forced by ipv4=on / ipv6=on */
    char *path;        /* unix address (as configured or from fd=) */
    char *host, *port; /* TCP address as configured */
    int given_fd;      /* fd=N for a client, -1 otherwise */
    uint64_t reconnect_s;

    int listen_fd;
    char *unlink_path; /* server socket file to remove at close */
    char *addr_desc;   /* "unix:P" / "tcp:H:P" for the disconnected form */

    int fd; /* the connection, -1 when none */
    ChrStream *stream;
    QEMUTimer *reconnect_timer;
    bool connect_err_reported;
} SocketChardev;

static SocketChardev *socket_chr(Chardev *chr)
{
    return container_of(chr, SocketChardev, parent);
}

static void socket_update_filename(SocketChardev *s)
{
    const char *server = s->is_server ? ",server=on" : "";
    g_autofree char *local = NULL;
    g_autofree char *peer = NULL;

    if (s->fd < 0) {
        chr_set_filename(&s->parent, "disconnected:%s%s", s->addr_desc, server);
        return;
    }
    local = chr_sock_describe(s->fd, false, true);
    if (local && g_str_has_prefix(local, "unix:")) {
        chr_set_filename(&s->parent, "%s%s", local, server);
        return;
    }
    peer = chr_sock_describe(s->fd, true, true);
    if (!local || !peer) {
        chr_set_filename(&s->parent, "%s%s", s->addr_desc, server);
        return;
    }
    /* "tcp:LOCAL[,server=on] <-> PEER", the peer without its "tcp:" */
    chr_set_filename(&s->parent, "%s%s <-> %s", local, server, peer + strlen("tcp:"));
}

/* ---- connection life cycle ---- */

static void socket_accept_ready(void *opaque);
static void socket_schedule_reconnect(SocketChardev *s);
static void socket_hangup(Chardev *chr);

static const ChrStreamOps socket_stream_ops = {
    .hangup = socket_hangup,
};

static void socket_attach(SocketChardev *s, int fd)
{
    if (s->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    s->fd = fd;
    s->stream = chr_stream_new(&s->parent, fd, fd, true, &socket_stream_ops);
    if (s->listen_fd >= 0) {
        /* one client at a time: the next waits until this one leaves */
        qemu_set_fd_handler(s->listen_fd, NULL, NULL, NULL);
    }
    socket_update_filename(s);
    chr_be_event(&s->parent, CHR_EVENT_OPENED);
}

static void socket_drop(SocketChardev *s)
{
    if (s->fd < 0) {
        return;
    }
    chr_stream_free(s->stream, true);
    s->stream = NULL;
    s->fd = -1;
    socket_update_filename(s);
    if (s->listen_fd >= 0) {
        qemu_set_fd_handler(s->listen_fd, socket_accept_ready, NULL, s);
    } else {
        socket_schedule_reconnect(s);
    }
    chr_be_event(&s->parent, CHR_EVENT_CLOSED);
}

static void socket_hangup(Chardev *chr)
{
    socket_drop(socket_chr(chr));
}

static int socket_accept(SocketChardev *s)
{
    int fd;

    do {
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static void socket_accept_ready(void *opaque)
{
    SocketChardev *s = opaque;
    int fd;

    if (s->fd >= 0) {
        return;
    }
    fd = socket_accept(s);
    if (fd >= 0) {
        socket_attach(s, fd);
    }
}

static int socket_connect(SocketChardev *s, Error **errp)
{
    if (s->path) {
        return chr_unix_connect(s->path, errp);
    }
    return chr_inet_connect(s->host, s->port, s->family, errp);
}

static void socket_reconnect(void *opaque)
{
    SocketChardev *s = opaque;
    Error *err = NULL;
    int fd;

    if (s->fd >= 0) {
        return;
    }
    fd = socket_connect(s, &err);
    if (fd < 0) {
        /* said once, like QEMU; the retries go on quietly */
        if (!s->connect_err_reported) {
            s->connect_err_reported = true;
            error_reportf_err(err, "Unable to connect character device %s: ", s->parent.label);
        } else {
            error_free(err);
        }
        socket_schedule_reconnect(s);
        return;
    }
    s->connect_err_reported = false;
    socket_attach(s, fd);
}

static void socket_schedule_reconnect(SocketChardev *s)
{
    if (!s->reconnect_s) {
        return;
    }
    if (!s->reconnect_timer) {
        s->reconnect_timer = timer_new_ns(QEMU_CLOCK_REALTIME, socket_reconnect, s);
    }
    timer_mod(s->reconnect_timer,
              qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + s->reconnect_s * 1000000000LL);
}

/* wait=on: start-up blocks until the first client is there */
static bool socket_wait_first_client(SocketChardev *s, Error **errp)
{
    info_report("QEMU waiting for connection on: %s", s->parent.filename);
    for (;;) {
        struct pollfd pfd = {.fd = s->listen_fd, .events = POLLIN};
        int fd;

        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            error_setg_errno(errp, errno, "Failed to wait for a connection");
            return false;
        }
        fd = socket_accept(s);
        if (fd >= 0) {
            socket_attach(s, fd);
            return true;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
            error_setg_errno(errp, errno, "Failed to accept a connection");
            return false;
        }
    }
}

/* ---- options ---- */

static bool socket_parse_fd(const char *str, int *fd, Error **errp)
{
    char *end;
    long v;

    errno = 0;
    v = str ? strtol(str, &end, 10) : 0;
    if (!str || !*str || *end || errno || v < INT_MIN || v > INT_MAX) {
        error_setg(errp, "Unable to parse FD number %s", str ? str : "");
        return false;
    }
    if (chr_sock_family((int)v) < 0) {
        error_setg(errp, "File descriptor '%s' is not a socket", str);
        return false;
    }
    *fd = (int)v;
    return true;
}

static bool socket_parse(SocketChardev *s, json_t *opts, bool *wait, Error **errp)
{
    const char *path = chr_opt_str(opts, "path");
    const char *host = chr_opt_str(opts, "host");
    const char *fd = chr_opt_str(opts, "fd");
    bool ipv4, ipv6, nodelay, delay;
    int given = !!path + !!host + !!fd;

    if (!chr_opt_bool(opts, "server", false, &s->is_server, errp) ||
        !chr_opt_bool(opts, "wait", true, wait, errp) ||
        !chr_opt_bool(opts, "nodelay", false, &nodelay, errp) ||
        !chr_opt_bool(opts, "delay", true, &delay, errp) ||
        !chr_opt_bool(opts, "ipv4", false, &ipv4, errp) ||
        !chr_opt_bool(opts, "ipv6", false, &ipv6, errp) ||
        !chr_opt_uint(opts, "reconnect", 0, &s->reconnect_s, errp)) {
        return false;
    }
    s->nodelay = nodelay || !delay;
    s->family = ipv4 == ipv6 ? AF_UNSPEC : ipv4 ? AF_INET : AF_INET6;
    if (given > 1) {
        error_setg(errp, "None or one of 'path', 'fd' or 'host' option required.");
        return false;
    }
    if (!s->is_server && chr_opt_str(opts, "wait")) {
        error_setg(errp, "'wait' option is incompatible with socket in client connect mode");
        return false;
    }
    if (s->is_server && s->reconnect_s) {
        error_setg(errp, "'reconnect' option is incompatible with socket in server listen mode");
        return false;
    }
    if (path && *path) {
        s->path = g_strdup(path);
        return true;
    }
    if (host) {
        const char *port = chr_opt_str(opts, "port");
        if (!port) {
            error_setg(errp, "chardev: socket: no port given");
            return false;
        }
        s->host = g_strdup(host);
        s->port = g_strdup(port);
        return true;
    }
    return socket_parse_fd(fd, &s->given_fd, errp);
}

/* Takes over an inherited socket: listening for a server, connected for a client. */
static bool socket_adopt_fd(SocketChardev *s, Error **errp)
{
    int fd = s->given_fd;
    int family = chr_sock_family(fd);
    int accepting = 0;
    socklen_t len = sizeof(accepting);

    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (!s->is_server) {
        g_autofree char *desc = chr_sock_describe(fd, true, false);
        s->addr_desc = g_strdup_printf("%s", desc ? desc : "fd:");
        socket_attach(s, fd);
        return true;
    }
    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len);
    if (!accepting && listen(fd, 1) < 0) {
        error_setg_errno(errp, errno, "Failed to listen on socket");
        return false;
    }
    s->listen_fd = fd;
    if (family == AF_UNIX) {
        char *path = chr_sock_unix_path(fd);
        if (path && *path) {
            s->unlink_path = g_strdup(path);
        }
        g_free(path);
    }
    s->addr_desc = chr_sock_describe(fd, false, false);
    if (!s->addr_desc) {
        s->addr_desc = g_strdup_printf("fd:%d", fd);
    }
    return true;
}

static bool socket_open(Chardev *chr, json_t *opts, Error **errp)
{
    SocketChardev *s = socket_chr(chr);
    bool wait;

    s->listen_fd = -1;
    s->fd = -1;
    s->given_fd = -1;
    if (!socket_parse(s, opts, &wait, errp)) {
        goto fail;
    }
    if (s->given_fd >= 0) {
        if (!socket_adopt_fd(s, errp)) {
            goto fail;
        }
    } else if (s->is_server) {
        s->listen_fd = s->path ? chr_unix_listen(s->path, errp)
                               : chr_inet_listen(s->host, s->port, s->family, errp);
        if (s->listen_fd < 0) {
            goto fail;
        }
        if (s->path) {
            s->unlink_path = g_strdup(s->path);
        }
        /* the bound address: resolved host, real port for port=0 */
        s->addr_desc = chr_sock_describe(s->listen_fd, false, false);
    } else {
        s->addr_desc = s->path ? g_strdup_printf("unix:%s", s->path)
                               : g_strdup_printf("tcp:%s:%s", s->host, s->port);
    }
    socket_update_filename(s);

    if (s->listen_fd >= 0) {
        if (wait && !socket_wait_first_client(s, errp)) {
            goto fail;
        }
        if (s->fd < 0) {
            qemu_set_fd_handler(s->listen_fd, socket_accept_ready, NULL, s);
        }
    } else if (s->fd < 0 && s->reconnect_s) {
        /* reported from the loop, like QEMU's asynchronous first attempt */
        s->reconnect_timer = timer_new_ns(QEMU_CLOCK_REALTIME, socket_reconnect, s);
        timer_mod(s->reconnect_timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME));
    } else if (s->fd < 0) {
        int fd = socket_connect(s, errp);
        if (fd < 0) {
            goto fail;
        }
        socket_attach(s, fd);
    }
    return true;

fail:
    chr->drv->close(chr);
    return false;
}

static int socket_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    SocketChardev *s = socket_chr(chr);

    if (!s->stream) {
        return -1;
    }
    return chr_stream_write(s->stream, buf, len);
}

static bool socket_is_connected(Chardev *chr)
{
    return socket_chr(chr)->fd >= 0;
}

static void socket_disconnect(Chardev *chr)
{
    socket_drop(socket_chr(chr));
}

static void socket_flush(Chardev *chr)
{
    SocketChardev *s = socket_chr(chr);

    if (s->stream) {
        chr_stream_flush(s->stream, 2000);
    }
}

static void socket_close(Chardev *chr)
{
    SocketChardev *s = socket_chr(chr);

    if (s->stream) {
        chr_stream_free(s->stream, true);
        s->stream = NULL;
        s->fd = -1;
    }
    timer_free(s->reconnect_timer);
    s->reconnect_timer = NULL;
    if (s->listen_fd >= 0) {
        qemu_set_fd_handler(s->listen_fd, NULL, NULL, NULL);
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    if (s->unlink_path) {
        unlink(s->unlink_path);
    }
    g_free(s->unlink_path);
    g_free(s->addr_desc);
    g_free(s->path);
    g_free(s->host);
    g_free(s->port);
    s->unlink_path = s->addr_desc = s->path = s->host = s->port = NULL;
}

const ChardevDriver chardev_socket_driver = {
    .name = "socket",
    .instance_size = sizeof(SocketChardev),
    .open = socket_open,
    .write = socket_write,
    .is_connected = socket_is_connected,
    .disconnect = socket_disconnect,
    .flush = socket_flush,
    .close = socket_close,
};
