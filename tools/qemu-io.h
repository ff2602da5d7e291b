/*
 * The qemu-io command interpreter: qemu-io's commands (read, write, aio_*,
 * map, alloc, break, ...) with qemu-io's options, output and exit rules,
 * run against a BlockBackend.  minivm-io (tools/minivm-io.c) drives it from
 * the command line and stdin; HMP's "qemu-io" command drives it on a
 * running VM's backend.
 *
 * All state lives in a session: where output goes, the backend commands
 * act on, and any commands the caller adds (minivm-io adds open, close and
 * quit, which make no sense inside a VM).  Commands run on the main loop;
 * asynchronous requests (aio_read, aio_write) keep the session alive until
 * they complete, and print their report then.
 */
#ifndef TOOLS_QEMU_IO_H
#define TOOLS_QEMU_IO_H

#include "block/block-backend.h"

typedef struct QemuIOSession QemuIOSession;

/* qemu-io writes results to stdout and complaints to stderr. */
typedef enum QemuIOStream {
    QEMUIO_STDOUT,
    QEMUIO_STDERR,
} QemuIOStream;

typedef void QemuIOSink(void *opaque, QemuIOStream stream, const char *text);

/*
 * A command.  fn gets the session, its backend (NULL only for the flags
 * below) and the words of the command line (argv[0] is the name used).
 * It returns 0 or a negative errno; any failure makes minivm-io exit 1.
 */
typedef int QemuIOCommandFunc(QemuIOSession *s, BlockBackend *blk, int argc, char **argv);

enum {
    QEMUIO_CMD_NOFILE_OK = 1 << 0, /* runs without an open image */
    QEMUIO_CMD_GLOBAL = 1 << 1,    /* likewise, and never asks for permissions */
};

typedef struct QemuIOCommand {
    const char *name;
    const char *altname; /* one-word alias ("r" for read), or NULL */
    QemuIOCommandFunc *fn;
    int argmin, argmax; /* argument count bounds; argmax -1: unbounded */
    unsigned flags;     /* QEMUIO_CMD_* */
    uint64_t perm;      /* BLK_PERM_* added to the backend before running */
    const char *args;   /* synopsis for help/usage; NULL prints none */
    const char *oneline;
    const char *help; /* extended help ("help CMD"), or NULL */
} QemuIOCommand;

/* Session behaviour switches. */
enum {
    /* Misaligns I/O buffers by 16 bytes (qemu-io -m). */
    QEMUIO_MISALIGN = 1 << 0,
    /* Prints blkdebug's "Suspended/Resuming request" lines, as qemu-io's
     * blkdebug does on its stdout. */
    QEMUIO_REPORT_BLKDEBUG = 1 << 1,
    /* No statistics after I/O, as if each command had -q. */
    QEMUIO_QUIET = 1 << 2,
};

/*
 * A new session printing through sink.  progname prefixes error_report()
 * style messages ("minivm-io: Block node is read-only"); NULL for none, as
 * in the monitor.
 */
QemuIOSession *qemuio_session_new(QemuIOSink *sink, void *opaque, const char *progname);
/*
 * Ends the caller's use of s: output stops at once; requests still in
 * flight finish silently and the last of them frees the session.
 */
void qemuio_session_free(QemuIOSession *s);
void qemuio_session_set_flags(QemuIOSession *s, unsigned flags);
/* The backend commands act on (not owned; NULL: no image open). */
void qemuio_session_set_blk(QemuIOSession *s, BlockBackend *blk);
BlockBackend *qemuio_session_blk(QemuIOSession *s);
void *qemuio_session_opaque(QemuIOSession *s);
/* Adds commands (an array ending with a NULL name) next to the built-in ones. */
void qemuio_session_add_commands(QemuIOSession *s, const QemuIOCommand *cmds);

/*
 * Runs one command line (words split at spaces, as qemu-io does).
 * Returns 0 or a negative errno; an empty line is a success.
 */
int qemuio_command(QemuIOSession *s, const char *line);
/* Runs pending main loop work and reports what blkdebug stopped since. */
void qemuio_poll(QemuIOSession *s);

/* Output for commands (and their callers). */
void qemuio_printf(QemuIOSession *s, const char *fmt, ...) MINIVM_PRINTF(2, 3);
void qemuio_eprintf(QemuIOSession *s, const char *fmt, ...) MINIVM_PRINTF(2, 3);
/* "<progname>: <msg>\n" on the error stream, like error_report(). */
void qemuio_error(QemuIOSession *s, const char *fmt, ...) MINIVM_PRINTF(2, 3);
/* error_report_err(): prints err's message (with prefix) and frees it. */
void qemuio_error_err(QemuIOSession *s, Error *err);
/* Prints the current command's synopsis; returns -EINVAL. */
int qemuio_usage(QemuIOSession *s);

/*
 * qemu-io's number syntax: decimal (or 0x hex) bytes with an optional
 * b/k/M/G/T/P/E suffix and, with a suffix, a decimal fraction ("1.5k").
 * Returns the value or -EINVAL / -ERANGE (above INT64_MAX).
 */
int64_t qemuio_cvtnum(QemuIOSession *s, const char *str);
/* "Parsing error: ..." for a failed qemuio_cvtnum(). */
void qemuio_print_cvtnum_err(QemuIOSession *s, int64_t rc, const char *arg);

/*
 * The words of -t (cache mode: none/off, directsync, writeback, unsafe,
 * writethrough), -i (aio: threads, native, io_uring) and -d (discard:
 * ignore/off, unmap/on), applied to BDRV_O_* flags.  -1 for other words.
 */
int qemuio_parse_cache_mode(const char *mode, int *flags, bool *writethrough);
int qemuio_parse_aio(const char *mode, int *flags);
int qemuio_parse_discard(const char *mode, int *flags);

#endif
