/*
 * Internals shared by the qemu-io interpreter's files: the session, option
 * parsing, and the number/size/time formatting every report uses.
 */
#ifndef TOOLS_QEMU_IO_INT_H
#define TOOLS_QEMU_IO_INT_H

#include "tools/qemu-io.h"

/* qemu-io's request size limit (INT_MAX rounded down to a sector). */
#define QEMUIO_MAX_REQUEST ((int64_t)2147483136)

struct QemuIOSession {
    int refcnt; /* the caller's reference plus one per request in flight */
    QemuIOSink *sink;
    void *opaque;
    char *progname;
    unsigned flags;
    BlockBackend *blk;
    GPtrArray *tables; /* const QemuIOCommand * arrays */
    const QemuIOCommand *current;
    /* QEMUIO_REPORT_BLKDEBUG: breakpoint tags set here -> already reported */
    GHashTable *break_tags;
};

void qemuio_session_ref(QemuIOSession *s);
void qemuio_session_unref(QemuIOSession *s);

/* The built-in command tables (NULL-name terminated). */
extern const QemuIOCommand qemuio_rw_cmds[];
extern const QemuIOCommand qemuio_image_cmds[];
extern const QemuIOCommand qemuio_debug_cmds[];

/*
 * getopt() for a command's words, without globals: GNU's rules (options may
 * follow operands, "--" ends options, clustered flags, "-Pval" or "-P val")
 * and GNU's messages ("read: invalid option -- 'x'") on the error stream.
 * After the loop returns -1, the operands are rest[0..nrest).
 */
typedef struct QemuIOGetopt {
    int argc;
    char **argv;
    int index; /* next word */
    int pos;   /* next character within a cluster of flags, 0 if none */
    bool no_more_options;
    const char *optarg;
    char **rest;
    int nrest;
} QemuIOGetopt;

void qemuio_getopt_init(QemuIOGetopt *g, int argc, char **argv);
/* The option character, '?' after printing an error, -1 at the end. */
int qemuio_getopt(QemuIOSession *s, QemuIOGetopt *g, const char *optstring);
void qemuio_getopt_clear(QemuIOGetopt *g);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(QemuIOGetopt, qemuio_getopt_clear)

/* A -P argument: 0..255 in C syntax, or -1 after printing why not. */
int qemuio_parse_pattern(QemuIOSession *s, const char *arg);

/* "64 KiB", "1.500 MiB", "512 bytes" (qemu-io's size rendering). */
void qemuio_cvtstr(double value, char *buf, size_t size);

/*
 * The two report lines after an I/O command:
 *   "<op> <total>/<count> bytes at offset <offset>"
 *   "<size>, <ops> ops; <time> (<rate>/sec and <ops/sec> ops/sec)"
 * or with machine (-C) one "bytes,ops,time,bytes/sec,ops/sec" line.
 */
void qemuio_print_report(QemuIOSession *s, const char *op, int64_t elapsed_ns, int64_t offset,
                         int64_t count, int64_t total, int ops, bool machine);
/* Hex dump lines "%08x:  xx xx ...  ascii" (-v). */
void qemuio_dump_buffer(QemuIOSession *s, const void *buf, int64_t offset, int64_t len);

int64_t qemuio_now_ns(void);

/* I/O buffers: page-aligned (or 16 bytes off with QEMUIO_MISALIGN), filled. */
void *qemuio_buf_alloc(QemuIOSession *s, size_t len, int pattern);
void qemuio_buf_free(QemuIOSession *s, void *buf);

/* After blkdebug activity: reports new suspensions (QEMUIO_REPORT_BLKDEBUG). */
void qemuio_check_breakpoints(QemuIOSession *s);
/* A breakpoint with this tag was set, or is no longer of interest. */
void qemuio_track_break(QemuIOSession *s, const char *tag, bool track);
/* Prints blkdebug's resume line if a request is stopped under tag. */
void qemuio_report_resume(QemuIOSession *s, BlockBackend *blk, const char *tag);

#endif
