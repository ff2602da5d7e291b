/*
 * Listening and connecting sockets for the socket chardev.
 */
#include "chardev/char-sockaddr.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* QEMU's listen backlog for a chardev: further clients wait in the kernel. */
#define CHR_LISTEN_BACKLOG 1

static void fd_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags >= 0 && !(flags & O_NONBLOCK)) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

static bool unix_fill_addr(struct sockaddr_un *sun, const char *path, Error **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", path);
        error_append_hint(errp, "Path must be less than %zu bytes\n", sizeof(sun->sun_path));
        return false;
    }
    strcpy(sun->sun_path, path);
    return true;
}

int chr_unix_listen(const char *path, Error **errp)
{
    struct sockaddr_un sun;
    mode_t old_umask;
    int fd, ret;

    if (!unix_fill_addr(&sun, path, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create Unix socket");
        return -1;
    }
    /* like QEMU, a stale socket (or anything else) at the path is replaced */
    if (unlink(path) < 0 && errno != ENOENT) {
        error_setg_errno(errp, errno, "Failed to unlink socket %s", path);
        close(fd);
        return -1;
    }
    /* only the owner may connect: the monitor is root-equivalent */
    old_umask = umask(0177);
    ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old_umask);
    if (ret < 0) {
        error_setg_errno(errp, errno, "Failed to bind socket to %s", path);
        close(fd);
        return -1;
    }
    if (listen(fd, CHR_LISTEN_BACKLOG) < 0) {
        error_setg_errno(errp, errno, "Failed to listen on socket");
        unlink(path);
        close(fd);
        return -1;
    }
    return fd;
}

int chr_unix_connect(const char *path, Error **errp)
{
    struct sockaddr_un sun;
    int fd, ret;

    if (!unix_fill_addr(&sun, path, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create socket");
        return -1;
    }
    do {
        ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        error_setg_errno(errp, errno, "Failed to connect to '%s'", path);
        close(fd);
        return -1;
    }
    fd_set_nonblocking(fd);
    return fd;
}

static struct addrinfo *inet_resolve(const char *host, const char *port, int family, int flags,
                                     Error **errp)
{
    struct addrinfo hints = {
        .ai_family = family,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = flags,
    };
    struct addrinfo *res = NULL;
    int rc;

    rc = getaddrinfo(host && *host ? host : NULL, port && *port ? port : "0", &hints, &res);
    if (rc != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s", host ? host : "",
                   port ? port : "", gai_strerror(rc));
        return NULL;
    }
    return res;
}

int chr_inet_listen(const char *host, const char *port, int family, Error **errp)
{
    struct addrinfo *res = inet_resolve(host, port, family, AI_PASSIVE, errp);
    int last_errno = EADDRNOTAVAIL;

    if (!res) {
        return -1;
    }
    /* the first address that can be bound wins, as QEMU does */
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int one = 1;
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);

        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, CHR_LISTEN_BACKLOG) == 0) {
            freeaddrinfo(res);
            return fd;
        }
        last_errno = errno;
        close(fd);
    }
    freeaddrinfo(res);
    error_setg_errno(errp, last_errno, "Failed to find an available port");
    return -1;
}

int chr_inet_connect(const char *host, const char *port, int family, Error **errp)
{
    struct addrinfo *res = inet_resolve(host, port, family, AI_ADDRCONFIG, errp);
    int last_errno = ECONNREFUSED;

    if (!res) {
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        int ret;

        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        do {
            ret = connect(fd, ai->ai_addr, ai->ai_addrlen);
        } while (ret < 0 && errno == EINTR);
        if (ret == 0) {
            freeaddrinfo(res);
            fd_set_nonblocking(fd);
            return fd;
        }
        last_errno = errno;
        close(fd);
    }
    freeaddrinfo(res);
    error_setg_errno(errp, last_errno, "Failed to connect to '%s:%s'", host, port);
    return -1;
}

int chr_sock_family(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return -1;
    }
    return ss.ss_family;
}

char *chr_sock_unix_path(int fd)
{
    struct sockaddr_un sun;
    socklen_t len = sizeof(sun);

    memset(&sun, 0, sizeof(sun));
    if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0 || sun.sun_family != AF_UNIX) {
        return NULL;
    }
    if (len <= offsetof(struct sockaddr_un, sun_path) || sun.sun_path[0] == '\0') {
        return g_strdup("");
    }
    return g_strndup(sun.sun_path, len - offsetof(struct sockaddr_un, sun_path));
}

char *chr_sock_describe(int fd, bool peer, bool bracket_v6)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    int rc;

    memset(&ss, 0, sizeof(ss));
    rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
              : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc < 0) {
        return NULL;
    }
    if (ss.ss_family == AF_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? len - offsetof(struct sockaddr_un, sun_path)
                          : 0;
        g_autofree char *path = g_strndup(sun->sun_path, plen);

        return g_strdup_printf("unix:%s", sun->sun_path[0] ? path : "");
    }
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
        return NULL;
    }
    if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return NULL;
    }
    if (ss.ss_family == AF_INET6 && bracket_v6) {
        return g_strdup_printf("tcp:[%s]:%s", host, serv);
    }
    return g_strdup_printf("tcp:%s:%s", host, serv);
}
