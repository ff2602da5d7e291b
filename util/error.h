/*
 * Error objects passed back through "Error **errp" out-parameters.
 *
 * Conventions (the same as QEMU's, so QMP error texts carry over):
 * - a function reporting failure sets *errp (when errp is non-NULL) and returns
 *   false / NULL / a negative value;
 * - errp may be NULL (ignore the error), &error_abort (abort on error) or
 *   &error_fatal (print and exit(1) on error);
 * - *errp must be NULL on entry.
 */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include "util/osdep.h"

/* The QMP error classes; the names are the wire names of QEMU's ErrorClass. */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
    ERROR_CLASS__MAX,
} ErrorClass;

typedef struct Error Error;

extern Error *error_abort;
extern Error *error_fatal;

const char *error_class_name(ErrorClass cls);

void error_setg_internal(Error **errp, const char *src, int line, const char *fmt, ...)
    MINIVM_PRINTF(4, 5);
void error_set_internal(Error **errp, const char *src, int line, ErrorClass cls,
                        const char *fmt, ...) MINIVM_PRINTF(5, 6);
void error_setg_errno_internal(Error **errp, const char *src, int line, int os_errno,
                               const char *fmt, ...) MINIVM_PRINTF(5, 6);

#define error_setg(errp, ...) error_setg_internal((errp), __FILE__, __LINE__, __VA_ARGS__)
#define error_set(errp, cls, ...)                                                                  \
    error_set_internal((errp), __FILE__, __LINE__, (cls), __VA_ARGS__)
/* Appends ": strerror(os_errno)" to the message, as QEMU does. */
#define error_setg_errno(errp, os_errno, ...)                                                      \
    error_setg_errno_internal((errp), __FILE__, __LINE__, (os_errno), __VA_ARGS__)

/* Moves local_err into *dst_errp (or frees/aborts/exits per dst_errp). */
void error_propagate(Error **dst_errp, Error *local_err);
/* Like error_propagate, prefixing the message with the formatted text. */
void error_propagate_prepend(Error **dst_errp, Error *local_err, const char *fmt, ...)
    MINIVM_PRINTF(3, 4);
void error_prepend(Error **errp, const char *fmt, ...) MINIVM_PRINTF(2, 3);
/* Adds a hint printed after the message by error_report_err (not sent over QMP). */
void error_append_hint(Error **errp, const char *fmt, ...) MINIVM_PRINTF(2, 3);

const char *error_get_pretty(const Error *err);
ErrorClass error_get_class(const Error *err);
Error *error_copy(const Error *err);
void error_free(Error *err);
void error_free_or_abort(Error **errp);

/* Prints "minivm: <msg>" (plus hint) to stderr and frees err. */
void error_report_err(Error *err);
void error_reportf_err(Error *err, const char *fmt, ...) MINIVM_PRINTF(2, 3);

/*
 * Diagnostics for the command line and fatal conditions.  Normal operation
 * never prints: a manager reads stderr output as a failure.
 */
void error_report(const char *fmt, ...) MINIVM_PRINTF(1, 2);
void warn_report(const char *fmt, ...) MINIVM_PRINTF(1, 2);
void info_report(const char *fmt, ...) MINIVM_PRINTF(1, 2);
/* The program name used as the message prefix ("minivm", "minivm-img", ...). */
void error_set_progname(const char *name);
const char *error_get_progname(void);
/* With -msg timestamp=on, messages are prefixed by an ISO-8601 UTC time. */
void error_set_timestamps(bool on);
/*
 * Location prefix for error_report while the command line is parsed, e.g.
 * "-drive file=x" gives "minivm: -drive file=x: message".  NULL clears it.
 */
void error_set_location(const char *loc);

#endif
