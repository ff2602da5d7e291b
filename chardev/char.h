/*
 * Character devices: the byte streams behind monitors, serial ports and
 * qtest.  A chardev is a backend (socket, stdio, file, pty, null, fd) with at
 * most one frontend attached; all callbacks run on the main loop.
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include <jansson.h>

#include "util/error.h"

typedef struct Chardev Chardev;

typedef enum {
    CHR_EVENT_OPENED, /* a peer connected (socket) or the backend became usable */
    CHR_EVENT_CLOSED, /* the peer went away (socket) or EOF */
} ChrEvent;

/* Returns how many bytes the frontend can take now (0 pauses reading). */
typedef int ChrCanRead(void *opaque);
typedef void ChrRead(void *opaque, const uint8_t *buf, int size);
typedef void ChrEventHandler(void *opaque, ChrEvent event);

/*
 * Creates a chardev from -chardev style options: 'opts' is a JSON object of
 * option name -> string value as parsed from "backend,id=X,key=value,..."
 * (the backend under key "backend").  Backends and their keys:
 *   socket: path=P | host=H,port=N | fd=N ; server=on|off ; wait=on|off ;
 *           nodelay, reconnect (client) ; telnet=off only
 *   stdio (signal=on|off), file (path=P, append=on|off), pty, null,
 *   pipe (path=P)
 * Registers the chardev under 'id' so chardev_find() returns it.
 */
Chardev *chardev_new_from_opts(json_t *opts, Error **errp);

/*
 * Creates a chardev from the compact syntax of -qmp/-monitor/-serial/-qtest:
 *   unix:PATH[,server=on][,wait=off]   tcp:[HOST]:PORT[,server=on][,wait=off]
 *   stdio   file:PATH   pty   null   none (returns NULL, no error)
 *   chardev:ID (returns the existing chardev ID)
 * 'label' is the id to register under (e.g. "compat_monitor0").
 */
Chardev *chardev_new_compat(const char *label, const char *spec, Error **errp);

Chardev *chardev_find(const char *id);
const char *chardev_get_label(Chardev *chr);
/* The "filename" QEMU shows in query-chardev, e.g. "unix:/tmp/q.sock,server=on". */
const char *chardev_get_filename(Chardev *chr);
bool chardev_frontend_open(Chardev *chr);

/*
 * Attaches a frontend.  Fails if another frontend is attached.  If the
 * backend is already connected, CHR_EVENT_OPENED is delivered from a bottom
 * half after this returns.  Passing all-NULL handlers detaches.
 */
bool chardev_set_handlers(Chardev *chr, ChrCanRead *can_read, ChrRead *read,
                          ChrEventHandler *event, void *opaque, Error **errp);

/*
 * Writes all of buf unless the peer is gone; never blocks the main loop for
 * long (socket output is buffered and flushed by an fd handler).  Returns len
 * on success, -1 if nothing is connected (the data is dropped).
 */
int chardev_write(Chardev *chr, const void *buf, size_t len);
/* Drops the current connection of a socket chardev (server: awaits the next). */
void chardev_disconnect(Chardev *chr);
/* True when a peer is connected (always true for stdio/file/null). */
bool chardev_is_connected(Chardev *chr);

/* Iterates all chardevs in creation order (query-chardev). */
void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque);
/* Flushes output, restores terminal state, closes and unlinks server sockets. */
void chardev_cleanup_all(void);

#endif
