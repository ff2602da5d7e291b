/*
 * What chardev backends share with the core (char.c): the Chardev object,
 * the backend table entry, frontend notification and option helpers.
 * Private to chardev/.
 */
#ifndef CHARDEV_CHAR_INTERNAL_H
#define CHARDEV_CHAR_INTERNAL_H

#include "chardev/char.h"
#include "util/main-loop.h"

typedef struct ChardevDriver ChardevDriver;

struct Chardev {
    const ChardevDriver *drv;
    char *label;
    char *filename;

    /* the frontend */
    bool fe_attached;
    ChrCanRead *fe_can_read;
    ChrRead *fe_read;
    ChrEventHandler *fe_event;
    void *fe_opaque;
    /* OPENED has been delivered for the current connection */
    bool fe_open_sent;
    /* OPENED is due from open_bh (the frontend attached while connected) */
    bool fe_open_pending;
    QEMUBH *open_bh;
};

struct ChardevDriver {
    const char *name;
    size_t instance_size;
    /* Sets up the backend from its options; 'chr' is zeroed, label set. */
    bool (*open)(Chardev *chr, json_t *opts, Error **errp);
    /* Returns len, or -1 when nothing is connected. */
    int (*write)(Chardev *chr, const uint8_t *buf, size_t len);
    bool (*is_connected)(Chardev *chr);     /* NULL: always connected */
    void (*disconnect)(Chardev *chr);       /* NULL: nothing to drop */
    void (*frontend_changed)(Chardev *chr); /* NULL: not interested */
    void (*flush)(Chardev *chr);            /* blocking, bounded; at exit */
    void (*close)(Chardev *chr);            /* frees backend resources */
};

extern const ChardevDriver chardev_socket_driver;
extern const ChardevDriver chardev_stdio_driver;
extern const ChardevDriver chardev_file_driver;
extern const ChardevDriver chardev_pipe_driver;
extern const ChardevDriver chardev_pty_driver;
extern const ChardevDriver chardev_null_driver;

/* ---- backend -> frontend (char.c) ---- */

/* Bytes the frontend accepts now; 0 without a frontend. */
int chr_be_can_read(Chardev *chr);
void chr_be_read(Chardev *chr, const uint8_t *buf, int len);
/* The backend got (OPENED) or lost (CLOSED) its peer. */
void chr_be_event(Chardev *chr, ChrEvent event);
void chr_set_filename(Chardev *chr, const char *fmt, ...) MINIVM_PRINTF(2, 3);

/* ---- option helpers (char.c); opts is the flat object of the caller ---- */

/* The option as a string (JSON strings, numbers and booleans), or NULL. */
const char *chr_opt_str(json_t *opts, const char *key);
bool chr_opt_bool(json_t *opts, const char *key, bool def, bool *out, Error **errp);
bool chr_opt_uint(json_t *opts, const char *key, uint64_t def, uint64_t *out, Error **errp);

/* ---- a connected fd pair with flow-controlled input, buffered output ---- */

typedef struct ChrStream ChrStream;

typedef struct ChrStreamOps {
    /* The peer is gone (EOF, error, hang-up).  The stream may be freed. */
    void (*hangup)(Chardev *chr);
} ChrStreamOps;

/*
 * rfd / wfd may be equal, or -1 for no input / no output.  The fds must be
 * non-blocking; is_socket selects send(MSG_NOSIGNAL).  Output beyond
 * CHR_STREAM_OUT_MAX buffered bytes drops the connection.
 */
#define CHR_STREAM_OUT_MAX (16u << 20)
ChrStream *chr_stream_new(Chardev *chr, int rfd, int wfd, bool is_socket, const ChrStreamOps *ops);
int chr_stream_write(ChrStream *s, const uint8_t *buf, size_t len);
/* Writes what is buffered, waiting at most timeout_ms in total. */
void chr_stream_flush(ChrStream *s, int timeout_ms);
size_t chr_stream_pending(ChrStream *s);
/* Stops watching; closes the fds when close_fds. */
void chr_stream_free(ChrStream *s, bool close_fds);

#endif
