/*
 * Socket set-up for the socket chardev: listening and connecting on unix
 * and TCP addresses with QEMU's error texts, and address descriptions in
 * the forms query-chardev shows.  Private to chardev/.
 */
#ifndef CHARDEV_CHAR_SOCKADDR_H
#define CHARDEV_CHAR_SOCKADDR_H

#include "util/error.h"

/* All returned fds are close-on-exec and non-blocking. */
int chr_unix_listen(const char *path, Error **errp);
int chr_unix_connect(const char *path, Error **errp);
/* host "" listens on every address; family is AF_UNSPEC, AF_INET or AF_INET6. */
int chr_inet_listen(const char *host, const char *port, int family, Error **errp);
int chr_inet_connect(const char *host, const char *port, int family, Error **errp);

/*
 * Describes the local (peer=false) or remote end of fd: "unix:PATH" or
 * "tcp:HOST:PORT"; with 'bracket_v6' an IPv6 host is written "[HOST]".
 * Returns NULL for other address families or on error.
 */
char *chr_sock_describe(int fd, bool peer, bool bracket_v6);
/* The address family of fd's local end, or -1 when fd is not a socket. */
int chr_sock_family(int fd);
/* The path a unix socket is bound to ("" when unbound), or NULL. */
char *chr_sock_unix_path(int fd);

#endif
