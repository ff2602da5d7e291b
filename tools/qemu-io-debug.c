/*
 * qemu-io's test hooks: blkdebug breakpoints (break, remove_break, resume,
 * wait_break), sleep, and the process tricks abort and sigraise.
 *
 * qemu-io's blkdebug prints "blkdebug: Suspended request 'TAG'" when a
 * request stops at a breakpoint and "blkdebug: Resuming request 'TAG'" when
 * it goes on.  minivm's blkdebug prints nothing (it also runs inside the
 * VM), so with QEMUIO_REPORT_BLKDEBUG the interpreter watches the tags it
 * set and prints those lines itself, at the points qemu-io would.
 */
#include "util/osdep.h"

#include <signal.h>

#include "tools/qemu-io-int.h"
#include "util/main-loop.h"

/* ---------------------------------------------------------------- reporting */

void qemuio_track_break(QemuIOSession *s, const char *tag, bool track)
{
    if (track) {
        g_hash_table_insert(s->break_tags, g_strdup(tag), GINT_TO_POINTER(0));
    } else {
        g_hash_table_remove(s->break_tags, tag);
    }
}

void qemuio_check_breakpoints(QemuIOSession *s)
{
    BlockDriverState *bs = s->blk ? blk_bs(s->blk) : NULL;
    GHashTableIter it;
    gpointer key, reported;

    if (!(s->flags & QEMUIO_REPORT_BLKDEBUG) || !bs) {
        return;
    }
    g_hash_table_iter_init(&it, s->break_tags);
    while (g_hash_table_iter_next(&it, &key, &reported)) {
        bool stopped = bdrv_debug_is_suspended(bs, key);

        if (stopped && !reported) {
            qemuio_printf(s, "blkdebug: Suspended request '%s'\n", (char *)key);
        }
        g_hash_table_iter_replace(&it, GINT_TO_POINTER(stopped));
    }
}

void qemuio_report_resume(QemuIOSession *s, BlockBackend *blk, const char *tag)
{
    BlockDriverState *bs = blk_bs(blk);

    if (!(s->flags & QEMUIO_REPORT_BLKDEBUG) || !bs || !bdrv_debug_is_suspended(bs, tag)) {
        return;
    }
    /* a stop nobody saw yet is reported before it ends */
    qemuio_check_breakpoints(s);
    qemuio_printf(s, "blkdebug: Resuming request '%s'\n", tag);
    if (g_hash_table_contains(s->break_tags, tag)) {
        g_hash_table_insert(s->break_tags, g_strdup(tag), GINT_TO_POINTER(0));
    }
}

/* Runs the main loop until *done, reporting breakpoints as they are hit. */
static void qemuio_wait_for(QemuIOSession *s, const bool *done)
{
    while (!*done) {
        main_loop_iterate(true);
        qemuio_check_breakpoints(s);
    }
}

/* ---------------------------------------------------------------- breakpoints */

static int qemuio_break_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    int ret = bdrv_debug_breakpoint(blk_bs(blk), argv[1], argv[2]);

    if (ret < 0) {
        qemuio_printf(s, "Could not set breakpoint: %s\n", g_strerror(-ret));
        return ret;
    }
    qemuio_track_break(s, argv[2], true);
    return 0;
}

static int qemuio_remove_break_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    int ret;

    /* removing a breakpoint also lets its stopped request go */
    qemuio_report_resume(s, blk, argv[1]);
    ret = bdrv_debug_remove_breakpoint(blk_bs(blk), argv[1]);
    if (ret < 0) {
        qemuio_printf(s, "Could not remove breakpoint %s: %s\n", argv[1], g_strerror(-ret));
        return ret;
    }
    qemuio_track_break(s, argv[1], false);
    return 0;
}

static int qemuio_resume_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    int ret;

    qemuio_report_resume(s, blk, argv[1]);
    ret = bdrv_debug_resume(blk_bs(blk), argv[1]);
    if (ret < 0) {
        qemuio_printf(s, "Could not resume request: %s\n", g_strerror(-ret));
        return ret;
    }
    return 0;
}

/* Like qemu-io, waits forever when nothing will ever stop there. */
static int qemuio_wait_break_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    while (!bdrv_debug_is_suspended(blk_bs(blk), argv[1])) {
        main_loop_iterate(true);
    }
    qemuio_check_breakpoints(s);
    return 0;
}

/* ---------------------------------------------------------------- sleep, signals */

static void qemuio_sleep_done(void *opaque)
{
    *(bool *)opaque = true;
}

static int qemuio_sleep_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    bool expired = false;
    QEMUTimer *timer;
    char *end;
    long ms;

    errno = 0;
    ms = strtol(argv[1], &end, 0);
    if (ms < 0 || *end || end == argv[1] || errno) {
        qemuio_printf(s, "%s is not a valid number\n", argv[1]);
        return -EINVAL;
    }
    timer = timer_new_ns(QEMU_CLOCK_REALTIME, qemuio_sleep_done, &expired);
    timer_mod(timer, qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + (int64_t)ms * 1000000);
    qemuio_wait_for(s, &expired);
    timer_free(timer);
    return 0;
}

static int qemuio_abort_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    abort();
}

static int qemuio_sigraise_f(QemuIOSession *s, BlockBackend *blk, int argc, char **argv)
{
    int64_t sig = qemuio_cvtnum(s, argv[1]);

    if (sig < 0) {
        qemuio_print_cvtnum_err(s, sig, argv[1]);
        return (int)sig;
    }
    if (sig > NSIG) {
        qemuio_printf(s, "signal argument '%s' is too large to be a valid signal\n", argv[1]);
        return -EINVAL;
    }
    /* what was printed so far must survive a fatal signal */
    fflush(stdout);
    fflush(stderr);
    raise((int)sig);
    return 0;
}

/* ---------------------------------------------------------------- table */

static const char qemuio_sigraise_help[] =
    "\n"
    " sends the given signal to this process\n"
    "\n"
    " Example:\n"
    " 'sigraise 15' - raises SIGTERM\n"
    "\n"
    " The argument is the signal number, passed to raise(3).\n"
    "\n";

const QemuIOCommand qemuio_debug_cmds[] = {
    {
        .name = "break",
        .fn = qemuio_break_f,
        .argmin = 2,
        .argmax = 2,
        .args = "event tag",
        .oneline = "sets a breakpoint on event and tags the stopped request as tag",
    },
    {
        .name = "remove_break",
        .fn = qemuio_remove_break_f,
        .argmin = 1,
        .argmax = 1,
        .args = "tag",
        .oneline = "remove a breakpoint by tag",
    },
    {
        .name = "resume",
        .fn = qemuio_resume_f,
        .argmin = 1,
        .argmax = 1,
        .args = "tag",
        .oneline = "resumes the request tagged as tag",
    },
    {
        .name = "wait_break",
        .fn = qemuio_wait_break_f,
        .argmin = 1,
        .argmax = 1,
        .args = "tag",
        .oneline = "waits for the suspension of a request",
    },
    {
        .name = "sleep",
        .fn = qemuio_sleep_f,
        .argmin = 1,
        .argmax = 1,
        .flags = QEMUIO_CMD_NOFILE_OK,
        .oneline = "waits for the given value in milliseconds",
    },
    {
        .name = "abort",
        .fn = qemuio_abort_f,
        .flags = QEMUIO_CMD_NOFILE_OK,
        .oneline = "simulate a program crash using abort(3)",
    },
    {
        .name = "sigraise",
        .fn = qemuio_sigraise_f,
        .argmin = 1,
        .argmax = 1,
        .flags = QEMUIO_CMD_NOFILE_OK,
        .args = "signal",
        .oneline = "raises a signal",
        .help = qemuio_sigraise_help,
    },
    {NULL},
};
