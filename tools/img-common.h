/*
 * minivm-img: what the commands share.  Each command lives in its own
 * tools/img-<command>.c and is reached from the table in minivm-img.c; it
 * parses its own options (getopt_long, qemu-img's option letters), prints
 * qemu-img's texts and returns the process exit status.
 *
 * Errors go to stderr through error_report() ("minivm-img: ..."), results
 * to stdout.  Block I/O runs in coroutines (img_run_co), all on the main
 * thread, so no command needs locking of its own.
 */
#ifndef TOOLS_IMG_COMMON_H
#define TOOLS_IMG_COMMON_H

#include <getopt.h>
#include <jansson.h>

#include "block/block-backend.h"
#include "util/coroutine.h"

#define KiB (1LL << 10)
#define MiB (1LL << 20)
#define GiB (1LL << 30)

/* qemu-img's bulk I/O unit (compare, rebase, commit chunks). */
#define IMG_IO_BUF_SIZE (2 * MiB)

typedef int ImgCommandFn(int argc, char **argv);

int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_check(int argc, char **argv);
int img_map(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_bench(int argc, char **argv);

/* Prints the program's help text and exits 0. */
MINIVM_NORETURN void img_help(void);

/* ---------------------------------------------------------------- diagnostics */

/* "<prog>: <msg>" then "Try '<prog> --help' for more information"; exits 1. */
MINIVM_NORETURN void img_error_exit(const char *fmt, ...) MINIVM_PRINTF(1, 2);
/*
 * What getopt's return value c means when it is not an option of the
 * command: '?' (unknown option) and ':' (missing argument) exit with
 * qemu-img's message, 'h' prints the help.  Optstrings start with ':'.
 */
MINIVM_NORETURN void img_bad_option(int c, char **argv);
/* printf unless quiet. */
void img_printf(bool quiet, const char *fmt, ...) MINIVM_PRINTF(2, 3);

/* ---------------------------------------------------------------- numbers */

/*
 * qemu-img's size arguments: 'what' names the value in the errors
 * ("Invalid image size specified. ..."); returns -1 after reporting.
 */
int64_t img_cvtnum_full(const char *what, const char *value, int64_t min, int64_t max);
int64_t img_cvtnum(const char *what, const char *value);
/* "1 MiB", "196 KiB", "1.5 GiB": three significant digits, binary units. */
char *img_size_to_str(uint64_t val);

/* ---------------------------------------------------------------- output */

typedef enum ImgOutputFormat {
    IMG_OUTPUT_HUMAN,
    IMG_OUTPUT_JSON,
} ImgOutputFormat;

/* --output=human|json; reports "--output must be used with human or json as argument." */
bool img_parse_output(const char *arg, ImgOutputFormat *out);
/* Prints v (members in the order QEMU's QDict yields them), pretty, plus "\n". */
void img_print_json(const json_t *v);

/* ---------------------------------------------------------------- opening */

/* -t / -T values; false for an unknown mode. */
bool img_parse_cache(const char *mode, int *flags, bool *writethrough);
/* -i values; false for an unknown mode. */
bool img_parse_aio(const char *mode, int *flags);

/*
 * Buffered files are opened with aio=threads (qemu-img's default): a copy
 * through the page cache is memcpy-bound, and worker threads spread it
 * over the CPUs where io_uring would do it inline in the main thread.
 * O_DIRECT files (cache=none/directsync) keep the driver's io_uring, truly
 * asynchronous there and much cheaper per request; the flags
 * BDRV_O_NATIVE_AIO / BDRV_O_IO_URING also choose the ring.
 */
typedef struct ImgOpen {
    const char *fmt;   /* NULL: probe */
    int flags;         /* BDRV_O_* (BDRV_O_RDWR for writing) */
    bool writethrough; /* cache=writethrough/directsync */
    bool force_share;  /* -U */
    bool no_backing;   /* do not open the backing chain */
    bool resize;       /* the backend takes BLK_PERM_RESIZE */
    bool aio_threads;  /* aio=threads asked for explicitly (-i threads) */
} ImgOpen;

/*
 * Opens an image the way qemu-img does; on failure reports "Could not open
 * '<filename>': <reason>" and returns NULL.
 */
BlockBackend *img_open(const char *filename, const ImgOpen *o);
/* The same, leaving the error to the caller (no "Could not open" prefix). */
BlockBackend *img_open_err(const char *filename, const ImgOpen *o, Error **errp);

/*
 * QEMU's rule for a backing file name relative to its overlay's name: the
 * overlay's directory part (up to the last '/') prefixed, or nothing when
 * the overlay has none.  Absolute and "proto:" names stay as they are.
 */
char *img_path_combine(const char *base, const char *name);
/*
 * The name QEMU shows for node 'target' of the backing chain that starts at
 * 'top' opened as 'top_name': top_name for top, and each backing file's
 * recorded name combined with its overlay's (QEMU's display rule, which the
 * core's "./name" spelling does not follow).  NULL if target is not in the
 * chain.
 */
char *img_chain_name(BlockDriverState *top, const char *top_name, BlockDriverState *target);

/* A zeroed I/O buffer aligned for O_DIRECT (free with img_buf_free); aborts on OOM. */
void *img_buf_alloc(size_t size);
void img_buf_free(void *buf);

/* blk_co_pwrite_zeroes from outside a coroutine. */
int img_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes, BdrvRequestFlags flags);

/* Runs fn(opaque) in a coroutine until it has finished. */
void img_run_co(CoroutineEntry *fn, void *opaque);

/* ---------------------------------------------------------------- progress */

/*
 * qemu-img -p: "    (12.34/100%)\r" whenever progress moved by more than
 * min_skip percent (and at 0 and 100), "\n" at the end.
 */
void img_progress_init(bool enabled, float min_skip);
/* max == 0: 'value' is the new absolute percentage; else value * max / 100 is added. */
void img_progress_print(float value, int max);
void img_progress_end(void);

/* ---------------------------------------------------------------- -o options */

/* One "name=value" of an -o list, in the order given. */
typedef struct ImgOpt {
    char *name;
    char *value; /* NULL for a bare "name" (a bool set to on) */
} ImgOpt;

typedef struct ImgOptList {
    GPtrArray *opts; /* ImgOpt * */
    bool help;       /* "help" or "?" was among them */
} ImgOptList;

/* Appends the options of one -o argument (",," is a literal comma). */
void img_opts_parse(ImgOptList *l, const char *arg);
/* The last value given for name (QemuOpts keep the last), or NULL. */
const char *img_opts_get(const ImgOptList *l, const char *name);
bool img_opts_has(const ImgOptList *l, const char *name);
void img_opts_set(ImgOptList *l, const char *name, const char *value);
void img_opts_del(ImgOptList *l, const char *name);
void img_opts_free(ImgOptList *l);
/* qemu-img's check that an -o argument is a plausible option list. */
bool img_opts_valid_list(const char *arg);

#endif
