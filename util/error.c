/*
 * Error objects and diagnostics.
 */
#include "util/error.h"

#include <sys/time.h>
#include <time.h>

struct Error {
    char *msg;
    GString *hint;
    ErrorClass cls;
    const char *src;
    int line;
};

Error *error_abort;
Error *error_fatal;

static const char *progname = "minivm";
static bool with_timestamps;
static char *cur_location;

static const char *const error_class_names[ERROR_CLASS__MAX] = {
    [ERROR_CLASS_GENERIC_ERROR] = "GenericError",
    [ERROR_CLASS_COMMAND_NOT_FOUND] = "CommandNotFound",
    [ERROR_CLASS_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [ERROR_CLASS_DEVICE_NOT_FOUND] = "DeviceNotFound",
    [ERROR_CLASS_KVM_MISSING_CAP] = "KVMMissingCap",
};

const char *error_class_name(ErrorClass cls)
{
    if ((unsigned)cls >= ERROR_CLASS__MAX) {
        return "GenericError";
    }
    return error_class_names[cls];
}

void error_set_progname(const char *name)
{
    progname = name;
}

const char *error_get_progname(void)
{
    return progname;
}

void error_set_timestamps(bool on)
{
    with_timestamps = on;
}

void error_set_location(const char *loc)
{
    g_free(cur_location);
    cur_location = loc ? g_strdup(loc) : NULL;
}

static void print_prefix(void)
{
    if (with_timestamps) {
        struct timeval tv;
        struct tm tm;
        char buf[64];

        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s.%06ldZ ", buf, (long)tv.tv_usec);
    }
    fprintf(stderr, "%s: ", progname);
    if (cur_location) {
        fprintf(stderr, "%s: ", cur_location);
    }
}

static void vreport(const char *kind, const char *fmt, va_list ap)
{
    print_prefix();
    if (kind) {
        fputs(kind, stderr);
    }
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(NULL, fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("warning: ", fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("info: ", fmt, ap);
    va_end(ap);
}

/* Delivers a freshly built error to its destination. */
static void error_deliver(Error **errp, Error *err)
{
    if (errp == &error_abort) {
        fprintf(stderr, "Unexpected error at %s:%d: %s\n", err->src, err->line, err->msg);
        abort();
    }
    if (errp == &error_fatal) {
        error_report_err(err);
        exit(1);
    }
    if (!errp) {
        error_free(err);
        return;
    }
    g_assert(*errp == NULL);
    *errp = err;
}

static void error_vset(Error **errp, const char *src, int line, ErrorClass cls, int os_errno,
                       const char *fmt, va_list ap)
{
    Error *err;

    if (!errp) {
        return;
    }
    err = g_new0(Error, 1);
    err->msg = g_strdup_vprintf(fmt, ap);
    if (os_errno) {
        char *m = g_strdup_printf("%s: %s", err->msg, g_strerror(os_errno));
        g_free(err->msg);
        err->msg = m;
    }
    err->cls = cls;
    err->src = src;
    err->line = line;
    error_deliver(errp, err);
}

void error_setg_internal(Error **errp, const char *src, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vset(errp, src, line, ERROR_CLASS_GENERIC_ERROR, 0, fmt, ap);
    va_end(ap);
}

void error_set_internal(Error **errp, const char *src, int line, ErrorClass cls,
                        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vset(errp, src, line, cls, 0, fmt, ap);
    va_end(ap);
}

void error_setg_errno_internal(Error **errp, const char *src, int line, int os_errno,
                               const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vset(errp, src, line, ERROR_CLASS_GENERIC_ERROR, os_errno, fmt, ap);
    va_end(ap);
}

void error_propagate(Error **dst_errp, Error *local_err)
{
    if (!local_err) {
        return;
    }
    if (dst_errp && dst_errp != &error_abort && dst_errp != &error_fatal && *dst_errp) {
        /* The first error wins, as in QEMU. */
        error_free(local_err);
        return;
    }
    error_deliver(dst_errp, local_err);
}

static void error_vprepend(Error *err, const char *fmt, va_list ap)
{
    char *pre = g_strdup_vprintf(fmt, ap);
    char *m = g_strconcat(pre, err->msg, NULL);

    g_free(pre);
    g_free(err->msg);
    err->msg = m;
}

void error_prepend(Error **errp, const char *fmt, ...)
{
    va_list ap;

    if (!errp || !*errp) {
        return;
    }
    va_start(ap, fmt);
    error_vprepend(*errp, fmt, ap);
    va_end(ap);
}

void error_propagate_prepend(Error **dst_errp, Error *local_err, const char *fmt, ...)
{
    va_list ap;

    if (!local_err) {
        return;
    }
    va_start(ap, fmt);
    error_vprepend(local_err, fmt, ap);
    va_end(ap);
    error_propagate(dst_errp, local_err);
}

void error_append_hint(Error **errp, const char *fmt, ...)
{
    va_list ap;

    if (!errp || !*errp || errp == &error_abort || errp == &error_fatal) {
        return;
    }
    if (!(*errp)->hint) {
        (*errp)->hint = g_string_new(NULL);
    }
    va_start(ap, fmt);
    g_string_append_vprintf((*errp)->hint, fmt, ap);
    va_end(ap);
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

ErrorClass error_get_class(const Error *err)
{
    return err->cls;
}

Error *error_copy(const Error *err)
{
    Error *copy = g_new0(Error, 1);

    copy->msg = g_strdup(err->msg);
    copy->cls = err->cls;
    copy->src = err->src;
    copy->line = err->line;
    if (err->hint) {
        copy->hint = g_string_new(err->hint->str);
    }
    return copy;
}

void error_free(Error *err)
{
    if (!err) {
        return;
    }
    g_free(err->msg);
    if (err->hint) {
        g_string_free(err->hint, TRUE);
    }
    g_free(err);
}

void error_free_or_abort(Error **errp)
{
    g_assert(errp && *errp);
    error_free(*errp);
    *errp = NULL;
}

void error_report_err(Error *err)
{
    error_report("%s", err->msg);
    if (err->hint) {
        fputs(err->hint->str, stderr);
    }
    error_free(err);
}

void error_reportf_err(Error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vprepend(err, fmt, ap);
    va_end(ap);
    error_report_err(err);
}
