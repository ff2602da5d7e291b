/*
 * -daemonize and -pidfile.
 *
 * The process the shell started stays in the foreground until the daemon
 * reports over a pipe that start-up finished, so "minivm -daemonize ..."
 * exiting 0 means the monitor sockets are ready to connect to.  If the
 * daemon fails first, its message has gone to the shared stderr and the
 * foreground process exits 1.
 */
#include "system/daemonize.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

/* Write end of the pipe the foreground process waits on; -1 if none. */
static int daemon_ready_fd = -1;
static bool daemonized;

static int pidfile_fd = -1;
static char *pidfile_path;
static pid_t pidfile_owner;

/* The foreground process: wait for the daemon's verdict, never return. */
static void MINIVM_NORETURN daemon_wait_ready(int fd)
{
    uint8_t status = 1;
    ssize_t n;

    do {
        n = read(fd, &status, 1);
    } while (n < 0 && errno == EINTR);
    /* EOF: the daemon exited before it was ready. */
    _exit(n == 1 && status == 0 ? 0 : 1);
}

void os_daemonize(void)
{
    int fds[2];
    pid_t pid;

    if (daemonized) {
        return;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        error_report("cannot create pipe: %s", strerror(errno));
        exit(1);
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        error_report("cannot fork: %s", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        close(fds[1]);
        daemon_wait_ready(fds[0]);
    }
    close(fds[0]);

    /* Leave the terminal's session, then fork again so that the daemon is
     * not a session leader and can never acquire a controlling terminal. */
    setsid();
    pid = fork();
    if (pid < 0) {
        _exit(1);
    }
    if (pid > 0) {
        _exit(0);
    }
    umask(027);
    signal(SIGTSTP, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    daemon_ready_fd = fds[1];
    daemonized = true;
}

bool os_is_daemonized(void)
{
    return daemonized;
}

void os_setup_post(void)
{
    uint8_t status = 0;
    ssize_t n;
    int null_fd;

    if (!daemonized || daemon_ready_fd < 0) {
        return;
    }
    if (chdir("/") < 0) {
        error_report("not able to chdir to /: %s", strerror(errno));
        exit(1);
    }
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) {
        exit(1);
    }
    fflush(stdout);
    fflush(stderr);
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    close(null_fd);

    do {
        n = write(daemon_ready_fd, &status, 1);
    } while (n < 0 && errno == EINTR);
    close(daemon_ready_fd);
    daemon_ready_fd = -1;
    if (n != 1) {
        exit(1);
    }
}

/* ---- pidfile ---- */

static void pidfile_atexit(void)
{
    pidfile_remove();
}

/* An exclusive lock on the first byte, of the kind QEMU takes (an
 * open-file-description lock), so minivm and QEMU exclude each other. */
static int pidfile_lock(int fd)
{
    struct flock fl = {
        .l_type = F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = 0,
        .l_len = 1,
    };

    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
        return 0;
    }
    if (errno == EINVAL) {
        /* kernel without OFD locks */
        return fcntl(fd, F_SETLK, &fl) == 0 ? 0 : -1;
    }
    return -1;
}

bool pidfile_create(const char *path, Error **errp)
{
    struct stat on_disk, locked;
    char buf[32];
    int fd;
    int len;

    if (pidfile_fd >= 0) {
        error_setg(errp, "cannot create PID file: a PID file is already open");
        return false;
    }
    for (;;) {
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
        if (fd < 0) {
            error_setg_errno(errp, errno, "cannot create PID file: Could not create '%s'", path);
            return false;
        }
        if (pidfile_lock(fd) < 0) {
            error_setg_errno(errp, errno, "cannot create PID file: Cannot lock pid file");
            close(fd);
            return false;
        }
        /* The previous owner may have unlinked the file between our open
         * and our lock: then we hold a lock on a file nobody else sees. */
        if (stat(path, &on_disk) < 0) {
            error_setg_errno(errp, errno, "cannot create PID file: Cannot stat file");
            close(fd);
            return false;
        }
        if (fstat(fd, &locked) < 0) {
            error_setg_errno(errp, errno, "cannot create PID file: Cannot stat file");
            close(fd);
            return false;
        }
        if (on_disk.st_ino == locked.st_ino && on_disk.st_dev == locked.st_dev) {
            break;
        }
        close(fd);
    }

    len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0) {
        error_setg_errno(errp, errno, "cannot create PID file: Failed to truncate pid file");
        goto fail_unlink;
    }
    if (write(fd, buf, len) != len) {
        error_setg(errp, "cannot create PID file: Failed to write pid file");
        goto fail_unlink;
    }

    pidfile_fd = fd;
    /* Absolute, so that removal at exit works after the daemon's chdir. */
    pidfile_path = realpath(path, NULL);
    if (!pidfile_path) {
        error_setg_errno(errp, errno, "cannot resolve PID file path: %s", path);
        pidfile_fd = -1;
        goto fail_unlink;
    }
    if (!pidfile_owner) {
        atexit(pidfile_atexit);
    }
    pidfile_owner = getpid();
    return true;

fail_unlink:
    unlink(path);
    close(fd);
    return false;
}

void pidfile_remove(void)
{
    if (pidfile_fd < 0) {
        return;
    }
    /* A forked child inherits these variables but does not own the file. */
    if (getpid() == pidfile_owner) {
        unlink(pidfile_path);
        close(pidfile_fd);
    }
    pidfile_fd = -1;
    free(pidfile_path);
    pidfile_path = NULL;
}

void os_set_proc_name(const char *name)
{
    char comm[16];

    /* The kernel keeps 15 characters and a NUL. */
    g_strlcpy(comm, name, sizeof(comm));
    prctl(PR_SET_NAME, (unsigned long)comm, 0, 0, 0);
}
