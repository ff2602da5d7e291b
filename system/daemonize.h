/*
 * -daemonize and -pidfile, with QEMU's semantics: the foreground process
 * only returns to the shell once the daemon is ready (monitor sockets
 * listening), so a manager can connect as soon as the command exits 0.
 */
#ifndef SYSTEM_DAEMONIZE_H
#define SYSTEM_DAEMONIZE_H

#include "util/error.h"

/*
 * Detaches from the terminal: forks twice (new session, not a session
 * leader), umask 027.  Returns only in the daemon; the original process
 * waits until os_setup_post() reports success and then exits 0, or exits 1
 * if the daemon exits first (after printing its error to the still-inherited
 * stderr).  Call it (for -daemonize only) before opening anything that must
 * live in the daemon and before starting threads (they do not survive fork),
 * then create the pidfile.
 */
void os_daemonize(void);

/*
 * Start-up finished (monitor sockets listening).  When daemonized:
 * chdir("/"), stdin/stdout/stderr point to /dev/null, then the waiting
 * foreground process is released with exit status 0.  A no-op when not
 * daemonized.
 */
void os_setup_post(void);

/* True once os_daemonize() ran (in the daemon). */
bool os_is_daemonized(void);

/*
 * Creates 'path' (mode 0600), takes an exclusive fcntl lock on it and
 * writes "PID\n"; the file stays open (and locked) until exit, when it is
 * removed.  A second minivm with the same pidfile fails with
 * "cannot create PID file: Cannot lock pid file: Resource temporarily
 * unavailable" (the errp text carries this whole QEMU message).
 */
bool pidfile_create(const char *path, Error **errp);
/* Unlinks and closes the pidfile created by this process; idempotent.
 * Also run automatically at exit(). */
void pidfile_remove(void);

/* -name ...,process=P: the thread name shown by ps/top (prctl). */
void os_set_proc_name(const char *name);

#endif
