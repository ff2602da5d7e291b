/*
 * Chardevs: socket (unix, TCP, server, client, inherited fd), file, pipe,
 * pty, null, stdio, the compact syntax and the error texts.
 */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "chardev/char.h"
#include "util/main-loop.h"

static char *tmpdir;
static GPtrArray *frontends;

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    tmpdir = g_dir_make_tmp("test-chardev-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
    main_loop_init();
}

static void fe_free(gpointer p);

static void teardown(void)
{
    chardev_cleanup_all();
    if (frontends) {
        g_ptr_array_free(frontends, TRUE);
        frontends = NULL;
    }
    if (tmpdir) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
        ck_assert_int_eq(system(cmd), 0);
        g_free(tmpdir);
        tmpdir = NULL;
    }
}

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

/* Runs the main loop until cond holds (5 s at most). */
#define WAIT_FOR(cond)                                                                             \
    do {                                                                                           \
        int64_t deadline_ = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;                           \
        while (!(cond)) {                                                                          \
            ck_assert_msg(g_get_monotonic_time() < deadline_, "timed out: %s", #cond);             \
            if (!main_loop_iterate(false)) {                                                       \
                g_usleep(200);                                                                     \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* "k=v,k2=v2" (no escapes) as the JSON options of -chardev. */
static json_t *opts_from(const char *fmt, ...) MINIVM_PRINTF(1, 2);
static json_t *opts_from(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *str = NULL;
    g_auto(GStrv) items = NULL;
    json_t *opts = json_object();

    va_start(ap, fmt);
    str = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    items = g_strsplit(str, ",", -1);
    for (int i = 0; items[i]; i++) {
        char *eq = strchr(items[i], '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        json_object_set_new(opts, items[i], json_string(eq + 1));
    }
    return opts;
}

static Chardev *chr_new(json_t *opts)
{
    Error *err = NULL;
    Chardev *chr = chardev_new_from_opts(opts, &err);

    ck_assert_msg(chr != NULL, "chardev creation failed: %s", err ? error_get_pretty(err) : "?");
    json_decref(opts);
    return chr;
}

static void expect_error(json_t *opts, const char *msg)
{
    Error *err = NULL;

    ck_assert_ptr_null(chardev_new_from_opts(opts, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(error_get_pretty(err), msg);
    error_free(err);
    json_decref(opts);
}

static void expect_compat_error(const char *spec, const char *msg)
{
    Error *err = NULL;

    ck_assert_ptr_null(chardev_new_compat("compat_monitor0", spec, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(error_get_pretty(err), msg);
    error_free(err);
}

/* ---- a test frontend ---- */

typedef struct Fe {
    GString *data;
    int opened, closed;
    int room; /* what can_read answers; -1: plenty */
    Chardev *chr;
    bool echo; /* write back what arrives */
} Fe;

static int fe_can_read(void *opaque)
{
    Fe *fe = opaque;

    return fe->room < 0 ? 1024 : fe->room;
}

static void fe_read(void *opaque, const uint8_t *buf, int size)
{
    Fe *fe = opaque;

    ck_assert_int_le(size, fe_can_read(fe));
    g_string_append_len(fe->data, (const char *)buf, size);
    if (fe->echo) {
        ck_assert_int_eq(chardev_write(fe->chr, buf, size), size);
    }
}

static void fe_event(void *opaque, ChrEvent event)
{
    Fe *fe = opaque;

    if (event == CHR_EVENT_OPENED) {
        ck_assert_int_eq(fe->opened, fe->closed);
        fe->opened++;
    } else {
        fe->closed++;
        ck_assert_int_eq(fe->opened, fe->closed);
    }
}

static void fe_free(gpointer p)
{
    Fe *fe = p;

    g_string_free(fe->data, TRUE);
    g_free(fe);
}

static Fe *fe_attach(Chardev *chr)
{
    Fe *fe = g_new0(Fe, 1);

    if (!frontends) {
        frontends = g_ptr_array_new_with_free_func(fe_free);
    }
    g_ptr_array_add(frontends, fe);

    fe->data = g_string_new("");
    fe->room = -1;
    fe->chr = chr;
    ck_assert(chardev_set_handlers(chr, fe_can_read, fe_read, fe_event, fe, &error_abort));
    return fe;
}

/* ---- client sockets driven by the test ---- */

static int unix_client(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    return fd;
}

static int unix_listener(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    return fd;
}

static int tcp_client(int family, const char *addr, int port)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int fd = socket(family, SOCK_STREAM, 0);

    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
        len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
        len = sizeof(*sin6);
    }
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
    return fd;
}

static int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int peer_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&ss, &len), 0);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void send_all(int fd, const char *s)
{
    ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Receives exactly strlen(expect) bytes, running the loop meanwhile. */
static void recv_expect(int fd, const char *expect)
{
    size_t want = strlen(expect);
    GString *got = g_string_new("");
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (got->len < want) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char buf[4096];

        ck_assert_msg(g_get_monotonic_time() < deadline, "timed out receiving '%s'", expect);
        main_loop_iterate(false);
        if (poll(&pfd, 1, 1) == 1) {
            ssize_t r = read(fd, buf, MIN(sizeof(buf), want - got->len));
            ck_assert_int_gt(r, 0);
            g_string_append_len(got, buf, r);
        }
    }
    ck_assert_str_eq(got->str, expect);
    g_string_free(got, TRUE);
}

/* True once the peer closed fd (EOF), running the loop meanwhile. */
static bool wait_eof(int fd)
{
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char c;

        main_loop_iterate(false);
        if (poll(&pfd, 1, 1) == 1) {
            ssize_t r = recv(fd, &c, 1, 0);
            if (r == 0 || (r < 0 && errno == ECONNRESET)) {
                return true;
            }
        }
    }
    return false;
}

/* ---- unix sockets ---- */

START_TEST(test_unix_server_exchange)
{
    g_autofree char *path = tmp_path("s.sock");
    g_autofree char *expect = NULL;
    struct stat st;
    Chardev *chr;
    Fe *fe;
    int c;

    chr = chr_new(opts_from("backend=socket,id=mon0,path=%s,server=on,wait=off", path));
    ck_assert_ptr_eq(chardev_find("mon0"), chr);
    ck_assert_str_eq(chardev_get_label(chr), "mon0");
    expect = g_strdup_printf("disconnected:unix:%s,server=on", path);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    ck_assert(!chardev_is_connected(chr));
    ck_assert(!chardev_frontend_open(chr));
    ck_assert_int_eq(chardev_write(chr, "x", 1), -1);

    /* the socket file is private to its owner */
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    fe = fe_attach(chr);
    ck_assert(chardev_frontend_open(chr));
    c = unix_client(path);
    WAIT_FOR(fe->opened == 1);
    ck_assert(chardev_is_connected(chr));
    g_free(expect);
    expect = g_strdup_printf("unix:%s,server=on", path);
    ck_assert_str_eq(chardev_get_filename(chr), expect);

    send_all(c, "hello");
    WAIT_FOR(fe->data->len == 5);
    ck_assert_str_eq(fe->data->str, "hello");
    ck_assert_int_eq(chardev_write(chr, "world", 5), 5);
    recv_expect(c, "world");

    close(c);
    WAIT_FOR(fe->closed == 1);
    ck_assert(!chardev_is_connected(chr));
    g_free(expect);
    expect = g_strdup_printf("disconnected:unix:%s,server=on", path);
    ck_assert_str_eq(chardev_get_filename(chr), expect);

    /* cleanup removes the socket file */
    chardev_cleanup_all();
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_ptr_null(chardev_find("mon0"));
}
END_TEST

START_TEST(test_unix_reconnect_and_backlog)
{
    g_autofree char *path = tmp_path("r.sock");
    Chardev *chr = chr_new(opts_from("backend=socket,id=r,path=%s,server=on,wait=off", path));
    Fe *fe = fe_attach(chr);
    int a, b, c;

    a = unix_client(path);
    WAIT_FOR(fe->opened == 1);
    send_all(a, "A1");
    WAIT_FOR(fe->data->len == 2);

    /* a second client waits in the backlog while the first is served */
    b = unix_client(path);
    send_all(b, "B1");
    for (int i = 0; i < 50; i++) {
        main_loop_iterate(false);
        g_usleep(1000);
    }
    ck_assert_str_eq(fe->data->str, "A1");
    ck_assert_int_eq(fe->opened, 1);

    close(a);
    WAIT_FOR(fe->closed == 1 && fe->opened == 2);
    WAIT_FOR(fe->data->len == 4);
    ck_assert_str_eq(fe->data->str, "A1B1");
    ck_assert_int_eq(chardev_write(chr, "toB", 3), 3);
    recv_expect(b, "toB");

    /* chardev_disconnect drops B; the next client is accepted */
    chardev_disconnect(chr);
    ck_assert_int_eq(fe->closed, 2);
    ck_assert(wait_eof(b));
    close(b);
    c = unix_client(path);
    WAIT_FOR(fe->opened == 3);
    fe->echo = true;
    send_all(c, "ping");
    recv_expect(c, "ping");
    close(c);
    WAIT_FOR(fe->closed == 3);
}
END_TEST

START_TEST(test_unix_client_mode)
{
    g_autofree char *path = tmp_path("srv.sock");
    g_autofree char *expect = NULL;
    int l = unix_listener(path);
    Chardev *chr;
    Fe *fe;
    int peer;

    chr = chr_new(opts_from("backend=socket,id=cli,path=%s", path));
    peer = accept(l, NULL, NULL);
    ck_assert_int_ge(peer, 0);
    ck_assert(chardev_is_connected(chr));
    /* a client's own end has no path */
    ck_assert_str_eq(chardev_get_filename(chr), "unix:");
    fe = fe_attach(chr);
    /* already connected: OPENED comes from a bottom half, not inline */
    ck_assert_int_eq(fe->opened, 0);
    WAIT_FOR(fe->opened == 1);

    ck_assert_int_eq(chardev_write(chr, "to-server", 9), 9);
    recv_expect(peer, "to-server");
    send_all(peer, "to-client");
    WAIT_FOR(fe->data->len == 9);
    ck_assert_str_eq(fe->data->str, "to-client");

    close(peer);
    WAIT_FOR(fe->closed == 1);
    expect = g_strdup_printf("disconnected:unix:%s", path);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    ck_assert_int_eq(chardev_write(chr, "x", 1), -1);
    chardev_cleanup_all();
    /* a client never removes the server's socket */
    ck_assert_int_eq(access(path, F_OK), 0);
    close(l);
}
END_TEST

START_TEST(test_unix_client_reconnect)
{
    g_autofree char *path = tmp_path("later.sock");
    Chardev *chr;
    Fe *fe;
    int l, peer;

    /* with reconnect the first failure is not fatal */
    chr = chr_new(opts_from("backend=socket,id=rc,path=%s,reconnect=1", path));
    fe = fe_attach(chr);
    ck_assert(!chardev_is_connected(chr));
    /* the first attempt fails (reported once on stderr), a later one works */
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(false);
        g_usleep(1000);
    }
    ck_assert(!chardev_is_connected(chr));
    l = unix_listener(path);
    WAIT_FOR(fe->opened == 1);
    peer = accept(l, NULL, NULL);
    ck_assert_int_ge(peer, 0);
    close(peer);
    WAIT_FOR(fe->closed == 1);
    /* and it comes back */
    WAIT_FOR(fe->opened == 2);
    close(l);
}
END_TEST

START_TEST(test_inherited_fd_listener)
{
    g_autofree char *path = tmp_path("libvirt-monitor.sock");
    g_autofree char *expect = NULL;
    int l = unix_listener(path);
    Chardev *chr;
    Fe *fe;
    int c;

    chr = chr_new(opts_from("backend=socket,id=charmonitor,fd=%d,server=on,wait=off", l));
    /* the address comes from the socket itself */
    expect = g_strdup_printf("disconnected:unix:%s,server=on", path);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    fe = fe_attach(chr);
    c = unix_client(path);
    WAIT_FOR(fe->opened == 1);
    g_free(expect);
    expect = g_strdup_printf("unix:%s,server=on", path);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    fe->echo = true;
    send_all(c, "{\"execute\":\"qmp_capabilities\"}");
    recv_expect(c, "{\"execute\":\"qmp_capabilities\"}");
    close(c);
    WAIT_FOR(fe->closed == 1);
    chardev_cleanup_all();
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

/* ---- TCP ---- */

START_TEST(test_tcp_server)
{
    Chardev *chr = chr_new(opts_from("backend=socket,id=t,host=127.0.0.1,port=0,server=on,"
                                     "wait=off,nodelay=on"));
    const char *fn = chardev_get_filename(chr);
    g_autofree char *prefix = NULL;
    g_autofree char *expect = NULL;
    int port = 0;
    Fe *fe;
    int c;

    /* port 0 shows the port the kernel chose */
    ck_assert_msg(sscanf(fn, "disconnected:tcp:127.0.0.1:%d,server=on", &port) == 1, "%s", fn);
    ck_assert_int_gt(port, 0);
    fe = fe_attach(chr);
    c = tcp_client(AF_INET, "127.0.0.1", port);
    WAIT_FOR(fe->opened == 1);
    expect = g_strdup_printf("tcp:127.0.0.1:%d,server=on <-> 127.0.0.1:%d", port, local_port(c));
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    send_all(c, "abc");
    WAIT_FOR(fe->data->len == 3);
    ck_assert_int_eq(chardev_write(chr, "xyz", 3), 3);
    recv_expect(c, "xyz");
    close(c);
    WAIT_FOR(fe->closed == 1);
    g_free(expect);
    expect = g_strdup_printf("disconnected:tcp:127.0.0.1:%d,server=on", port);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
}
END_TEST

START_TEST(test_tcp_ipv6)
{
    Error *err = NULL;
    json_t *opts = opts_from("backend=socket,id=t6,host=::1,port=0,server=on,wait=off");
    Chardev *chr = chardev_new_from_opts(opts, &err);
    g_autofree char *expect = NULL;
    int port = 0;
    Fe *fe;
    int c;

    json_decref(opts);
    if (!chr) {
        /* no IPv6 loopback here */
        error_free(err);
        return;
    }
    ck_assert_int_eq(sscanf(chardev_get_filename(chr), "disconnected:tcp:::1:%d,server=on", &port),
                     1);
    fe = fe_attach(chr);
    c = tcp_client(AF_INET6, "::1", port);
    WAIT_FOR(fe->opened == 1);
    expect = g_strdup_printf("tcp:[::1]:%d,server=on <-> [::1]:%d", port, local_port(c));
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    close(c);
}
END_TEST

START_TEST(test_tcp_client)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_autofree char *expect = NULL;
    Chardev *chr;
    Fe *fe;
    int port, peer;

    ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    port = local_port(l);
    chr = chr_new(opts_from("backend=socket,id=tc,host=localhost,port=%d", port));
    peer = accept(l, NULL, NULL);
    fe = fe_attach(chr);
    WAIT_FOR(fe->opened == 1);
    expect = g_strdup_printf("tcp:127.0.0.1:%d <-> 127.0.0.1:%d", peer_port(peer), port);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    send_all(peer, "q");
    WAIT_FOR(fe->data->len == 1);
    close(peer);
    WAIT_FOR(fe->closed == 1);
    g_free(expect);
    /* a client shows the address as configured */
    expect = g_strdup_printf("disconnected:tcp:localhost:%d", port);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    close(l);
}
END_TEST

/* ---- wait=on ---- */

static void *thread_connect_later(void *opaque)
{
    g_usleep(100000);
    return GINT_TO_POINTER(unix_client(opaque));
}

START_TEST(test_server_wait_blocks_until_client)
{
    g_autofree char *path = tmp_path("wait.sock");
    int64_t start = g_get_monotonic_time();
    pthread_t tid;
    Chardev *chr;
    void *client;
    Fe *fe;

    /* the path exists once bind() ran, before the blocking accept */
    pthread_create(&tid, NULL, thread_connect_later, path);
    chr = chr_new(opts_from("backend=socket,id=w,path=%s,server=on", path));
    ck_assert_int_ge(g_get_monotonic_time() - start, 90000);
    ck_assert(chardev_is_connected(chr));
    pthread_join(tid, &client);
    fe = fe_attach(chr);
    WAIT_FOR(fe->opened == 1);
    ck_assert_int_eq(chardev_write(chr, "hi", 2), 2);
    recv_expect(GPOINTER_TO_INT(client), "hi");
    close(GPOINTER_TO_INT(client));
}
END_TEST

/* ---- output buffering ---- */

START_TEST(test_slow_client_is_dropped)
{
    g_autofree char *path = tmp_path("slow.sock");
    Chardev *chr = chr_new(opts_from("backend=socket,id=s,path=%s,server=on,wait=off", path));
    Fe *fe = fe_attach(chr);
    static char chunk[64 * 1024];
    int64_t start;
    size_t written = 0;
    int c, r = 0;

    c = unix_client(path);
    WAIT_FOR(fe->opened == 1);
    memset(chunk, 'z', sizeof(chunk));
    start = g_get_monotonic_time();
    /* the client never reads: writes never block, the buffer is capped */
    while (written < 64u << 20) {
        r = chardev_write(chr, chunk, sizeof(chunk));
        if (r < 0) {
            break;
        }
        written += r;
    }
    ck_assert_int_eq(r, -1);
    ck_assert_int_ge(written, 16u << 20);
    ck_assert_int_lt(written, 32u << 20);
    ck_assert_int_lt(g_get_monotonic_time() - start, 5 * G_USEC_PER_SEC);
    /* the drop is reported from the loop, not from inside the write */
    ck_assert_int_eq(fe->closed, 0);
    WAIT_FOR(fe->closed == 1);
    ck_assert(!chardev_is_connected(chr));
    close(c);
}
END_TEST

typedef struct Reader {
    int fd;
    size_t want;
    size_t got;
    bool ok;
} Reader;

static void *thread_reader(void *opaque)
{
    Reader *rd = opaque;
    char buf[65536];

    rd->ok = true;
    while (rd->got < rd->want) {
        ssize_t r = recv(rd->fd, buf, sizeof(buf), 0);
        if (r <= 0) {
            break;
        }
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] != (char)('a' + (rd->got + i) % 26)) {
                rd->ok = false;
            }
        }
        rd->got += r;
    }
    return NULL;
}

START_TEST(test_large_output_flushed_in_order)
{
    g_autofree char *path = tmp_path("big.sock");
    Chardev *chr = chr_new(opts_from("backend=socket,id=b,path=%s,server=on,wait=off", path));
    Fe *fe = fe_attach(chr);
    enum { TOTAL = 8 << 20, CHUNK = 100000 };
    char *chunk = g_malloc(CHUNK);
    Reader rd = {.want = TOTAL};
    pthread_t tid;
    size_t sent = 0;

    rd.fd = unix_client(path);
    WAIT_FOR(fe->opened == 1);
    pthread_create(&tid, NULL, thread_reader, &rd);
    while (sent < TOTAL) {
        size_t n = MIN((size_t)CHUNK, TOTAL - sent);
        for (size_t i = 0; i < n; i++) {
            chunk[i] = 'a' + (sent + i) % 26;
        }
        ck_assert_int_eq(chardev_write(chr, chunk, n), (int)n);
        sent += n;
        main_loop_iterate(false);
    }
    WAIT_FOR(g_atomic_pointer_get(&rd.got) >= TOTAL || !rd.ok);
    pthread_join(tid, NULL);
    ck_assert(rd.ok);
    ck_assert_int_eq(rd.got, TOTAL);
    close(rd.fd);
    g_free(chunk);
}
END_TEST

START_TEST(test_flow_control)
{
    g_autofree char *path = tmp_path("fc.sock");
    Chardev *chr = chr_new(opts_from("backend=socket,id=f,path=%s,server=on,wait=off", path));
    Fe *fe = fe_attach(chr);
    int c = unix_client(path);

    WAIT_FOR(fe->opened == 1);
    fe->room = 0;
    send_all(c, "0123456789");
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(false);
        g_usleep(1000);
    }
    ck_assert_int_eq(fe->data->len, 0);
    /* a peer that hangs up while the frontend is full loses nothing */
    close(c);
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(false);
        g_usleep(1000);
    }
    ck_assert_int_eq(fe->closed, 0);
    fe->room = 3;
    WAIT_FOR(fe->data->len == 10);
    ck_assert_str_eq(fe->data->str, "0123456789");
    WAIT_FOR(fe->closed == 1);
}
END_TEST

/* ---- frontends ---- */

static int other_can_read(void *opaque)
{
    return 0;
}

START_TEST(test_frontend_attach_detach)
{
    Chardev *chr = chr_new(opts_from("backend=null,id=n"));
    Error *err = NULL;
    Fe *fe = fe_attach(chr);
    int other;

    ck_assert(!chardev_set_handlers(chr, other_can_read, NULL, NULL, &other, &err));
    ck_assert_str_eq(error_get_pretty(err), "Device 'n' is in use");
    error_free(err);
    /* the attached frontend may update its own handlers */
    ck_assert(chardev_set_handlers(chr, fe_can_read, fe_read, fe_event, fe, &error_abort));
    ck_assert(chardev_set_handlers(chr, NULL, NULL, NULL, NULL, &error_abort));
    ck_assert(!chardev_frontend_open(chr));
    ck_assert(chardev_set_handlers(chr, other_can_read, NULL, NULL, &other, &error_abort));
    ck_assert(chardev_frontend_open(chr));
}
END_TEST

static void count_chardev(Chardev *chr, void *opaque)
{
    g_string_append_printf(opaque, "%s;", chardev_get_label(chr));
}

START_TEST(test_foreach_order)
{
    GString *labels = g_string_new("");

    chr_new(opts_from("backend=null,id=zeta"));
    chr_new(opts_from("backend=null,id=alpha"));
    chr_new(opts_from("backend=null,id=mid"));
    chardev_foreach(count_chardev, labels);
    ck_assert_str_eq(labels->str, "zeta;alpha;mid;");
    g_string_free(labels, TRUE);
}
END_TEST

/* ---- file, null, pipe, pty, stdio ---- */

static char *slurp(const char *path)
{
    char *data = NULL;

    ck_assert(g_file_get_contents(path, &data, NULL, NULL));
    return data;
}

START_TEST(test_file_backend)
{
    g_autofree char *path = tmp_path("out.log");
    g_autofree char *data = NULL;
    Chardev *chr;

    ck_assert(g_file_set_contents(path, "old\n", -1, NULL));
    chr = chr_new(opts_from("backend=file,id=f,path=%s", path));
    ck_assert_str_eq(chardev_get_filename(chr), "file");
    ck_assert(chardev_is_connected(chr));
    ck_assert_int_eq(chardev_write(chr, "one\n", 4), 4);
    data = slurp(path);
    /* truncated, then written through at once */
    ck_assert_str_eq(data, "one\n");
    chardev_cleanup_all();

    chr = chr_new(opts_from("backend=file,id=f,path=%s,append=on", path));
    ck_assert_int_eq(chardev_write(chr, "two\n", 4), 4);
    g_free(data);
    data = slurp(path);
    ck_assert_str_eq(data, "one\ntwo\n");
}
END_TEST

START_TEST(test_null_backend)
{
    Chardev *chr = chr_new(opts_from("backend=null,id=n"));

    ck_assert_str_eq(chardev_get_filename(chr), "null");
    ck_assert(chardev_is_connected(chr));
    ck_assert_int_eq(chardev_write(chr, "gone", 4), 4);
    chardev_disconnect(chr);
}
END_TEST

START_TEST(test_pipe_backend)
{
    g_autofree char *base = tmp_path("p");
    g_autofree char *in = g_strdup_printf("%s.in", base);
    g_autofree char *out = g_strdup_printf("%s.out", base);
    Chardev *chr;
    Fe *fe;
    int win, rout;

    ck_assert_int_eq(mkfifo(in, 0600), 0);
    ck_assert_int_eq(mkfifo(out, 0600), 0);
    chr = chr_new(opts_from("backend=pipe,id=p,path=%s", base));
    ck_assert_str_eq(chardev_get_filename(chr), "pipe");
    fe = fe_attach(chr);
    win = open(in, O_WRONLY);
    rout = open(out, O_RDONLY);
    ck_assert_int_eq(write(win, "in!", 3), 3);
    WAIT_FOR(fe->data->len == 3);
    ck_assert_str_eq(fe->data->str, "in!");
    ck_assert_int_eq(chardev_write(chr, "out!", 4), 4);
    recv_expect(rout, "out!");
    close(win);
    close(rout);
}
END_TEST

START_TEST(test_pty_backend)
{
    Chardev *chr = chr_new(opts_from("backend=pty,id=p"));
    const char *fn = chardev_get_filename(chr);
    Fe *fe = fe_attach(chr);
    char buf[8];
    int slave;

    ck_assert_msg(g_str_has_prefix(fn, "pty:/dev/pts/"), "%s", fn);
    /* nobody on the slave side yet */
    ck_assert(!chardev_is_connected(chr));
    ck_assert_int_eq(chardev_write(chr, "lost", 4), -1);
    slave = open(fn + strlen("pty:"), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(slave, 0);
    WAIT_FOR(fe->opened == 1);
    ck_assert_int_eq(write(slave, "key", 3), 3);
    WAIT_FOR(fe->data->len == 3);
    ck_assert_str_eq(fe->data->str, "key");
    /* raw mode: no echo, no newline translation */
    ck_assert_int_eq(chardev_write(chr, "a\nb", 3), 3);
    WAIT_FOR(read(slave, buf, 3) == 3);
    ck_assert_int_eq(memcmp(buf, "a\nb", 3), 0);
    close(slave);
    WAIT_FOR(fe->closed == 1);
    ck_assert(!chardev_is_connected(chr));
}
END_TEST

START_TEST(test_stdio_backend)
{
    int in[2], out[2];
    Chardev *chr;
    Fe *fe;
    char buf[8] = {0};

    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe(out), 0);
    dup2(in[0], 0);
    dup2(out[1], 1);
    chr = chr_new(opts_from("backend=stdio,id=s,signal=off"));
    ck_assert_str_eq(chardev_get_filename(chr), "stdio");
    expect_error(opts_from("backend=stdio,id=s2"),
                 "cannot use stdio by multiple character devices");
    fe = fe_attach(chr);
    WAIT_FOR(fe->opened == 1);
    ck_assert_int_eq(write(in[1], "typed", 5), 5);
    WAIT_FOR(fe->data->len == 5);
    ck_assert_int_eq(chardev_write(chr, "shown", 5), 5);
    ck_assert_int_eq(read(out[0], buf, 5), 5);
    ck_assert_str_eq(buf, "shown");
    /* EOF on stdin closes the input side only */
    close(in[1]);
    WAIT_FOR(fe->closed == 1);
    ck_assert(chardev_is_connected(chr));
    ck_assert_int_eq(chardev_write(chr, "more", 4), 4);
}
END_TEST

START_TEST(test_stdio_stdin_at_eof)
{
    int in[2];
    Chardev *chr;
    Fe *fe;

    /* like </dev/null: the frontend still sees OPENED, then CLOSED */
    ck_assert_int_eq(pipe(in), 0);
    close(in[1]);
    dup2(in[0], 0);
    chr = chr_new(opts_from("backend=stdio,id=s"));
    fe = fe_attach(chr);
    WAIT_FOR(fe->closed == 1);
    ck_assert_int_eq(fe->opened, 1);
}
END_TEST

/* ---- compact syntax ---- */

START_TEST(test_compat_syntax)
{
    g_autofree char *path = tmp_path("c.sock");
    g_autofree char *spec = NULL;
    g_autofree char *expect = NULL;
    g_autofree char *fpath = tmp_path("compat.log");
    Error *err = NULL;
    Chardev *chr;
    int port;

    spec = g_strdup_printf("unix:%s,server=on,wait=off", path);
    chr = chardev_new_compat("compat_monitor0", spec, &error_abort);
    expect = g_strdup_printf("disconnected:unix:%s,server=on", path);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    ck_assert_ptr_eq(chardev_find("compat_monitor0"), chr);
    /* chardev:ID names an existing one */
    ck_assert_ptr_eq(chardev_new_compat("x", "chardev:compat_monitor0", &error_abort), chr);
    chardev_cleanup_all();

    /* the old short forms */
    g_free(spec);
    spec = g_strdup_printf("unix:%s,server,nowait", path);
    chr = chardev_new_compat("compat_monitor0", spec, &error_abort);
    ck_assert_str_eq(chardev_get_filename(chr), expect);
    chardev_cleanup_all();

    chr = chardev_new_compat("serial0", "tcp:127.0.0.1:0,server=on,wait=off", &error_abort);
    ck_assert_int_eq(
        sscanf(chardev_get_filename(chr), "disconnected:tcp:127.0.0.1:%d,server=on", &port), 1);
    chr = chardev_new_compat("serial1", "tcp::0,server,nowait,nodelay", &error_abort);
    ck_assert_int_eq(
        sscanf(chardev_get_filename(chr), "disconnected:tcp:0.0.0.0:%d,server=on", &port), 1);
    chr = chardev_new_compat("serial2", "null", &error_abort);
    ck_assert_str_eq(chardev_get_filename(chr), "null");
    chr = chardev_new_compat("serial3", "pty", &error_abort);
    ck_assert(g_str_has_prefix(chardev_get_filename(chr), "pty:"));
    g_free(spec);
    spec = g_strdup_printf("file:%s", fpath);
    chr = chardev_new_compat("serial4", spec, &error_abort);
    ck_assert_str_eq(chardev_get_filename(chr), "file");
    ck_assert_int_eq(access(fpath, F_OK), 0);

    /* "none" is no chardev and no error */
    ck_assert_ptr_null(chardev_new_compat("serial5", "none", &err));
    ck_assert_ptr_null(err);

    /* a comma in a path is written ",," */
    g_free(spec);
    g_free(path);
    path = tmp_path("a,b.sock");
    spec = g_strdup_printf("unix:%s/a,,b.sock,server=on,wait=off", tmpdir);
    chr = chardev_new_compat("compat_monitor1", spec, &error_abort);
    ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_compat_errors)
{
    g_autofree char *spec = NULL;

    expect_compat_error("foo:bar", "'foo:bar' is not a valid char driver");
    expect_compat_error("stdio,signal=off", "'stdio,signal=off' is not a valid char driver");
    expect_compat_error("tcp:5600,server=on,wait=off", "parse error: tcp:5600,server=on,wait=off");
    expect_compat_error("chardev:nope", "chardev \"nope\" not found");
    expect_compat_error("unix:", "Unable to parse FD number ");
    spec = g_strdup_printf("unix:%s/q.sock,server=on,wait=off,bogus=1", tmpdir);
    expect_compat_error(spec, "Invalid parameter 'bogus'");
    expect_compat_error("file:/nonexistent-dir/x", "Could not open '/nonexistent-dir/x': No such "
                                                   "file or directory");
}
END_TEST

/* ---- error texts ---- */

START_TEST(test_errors_generic)
{
    Error *err = NULL;
    json_t *opts;

    expect_error(opts_from("backend=null"), "chardev: no id specified");
    opts = opts_from("backend=null,id=1x");
    ck_assert_ptr_null(chardev_new_from_opts(opts, &err));
    ck_assert_str_eq(error_get_pretty(err), "Parameter 'id' expects an identifier");
    error_free(err);
    json_decref(opts);
    chr_new(opts_from("backend=null,id=a"));
    expect_error(opts_from("backend=null,id=a"), "Duplicate ID 'a' for chardev");
    expect_error(opts_from("backend=null,id=b,bogus=1"), "Invalid parameter 'bogus'");
    expect_error(opts_from("id=b"), "chardev: \"b\" missing backend");
    expect_error(opts_from("backend=foo,id=b"), "'foo' is not a valid char driver name");
    expect_error(opts_from("backend=null,id=b,mux=on"),
                 "chardev option 'mux' is not supported by minivm");
    /* keys of other backends are accepted, as QEMU does */
    chr_new(opts_from("backend=null,id=c,path=/x,cols=3,mux=off"));
}
END_TEST

START_TEST(test_errors_socket)
{
    g_autofree char *longpath = g_strnfill(120, 'a');
    g_autofree char *msg = NULL;
    g_autofree char *bindpath = tmp_path("no/such/dir.sock");
    g_autofree char *plain = tmp_path("plain-file");
    int file_fd, busy;

    expect_error(opts_from("backend=socket,id=s,path=/nonexistent.sock"),
                 "Failed to connect to '/nonexistent.sock': No such file or directory");
    expect_error(opts_from("backend=socket,id=s,host=127.0.0.1,port=1"),
                 "Failed to connect to '127.0.0.1:1': Connection refused");
    expect_error(opts_from("backend=socket,id=s,path=/x,host=y"),
                 "None or one of 'path', 'fd' or 'host' option required.");
    expect_error(opts_from("backend=socket,id=s,path=/x,fd=3"),
                 "None or one of 'path', 'fd' or 'host' option required.");
    expect_error(opts_from("backend=socket,id=s,host=x"), "chardev: socket: no port given");
    expect_error(opts_from("backend=socket,id=s"), "Unable to parse FD number ");
    expect_error(opts_from("backend=socket,id=s,fd=abc,server=on,wait=off"),
                 "Unable to parse FD number abc");
    expect_error(opts_from("backend=socket,id=s,fd=-1,server=on,wait=off"),
                 "File descriptor '-1' is not a socket");
    ck_assert(g_file_set_contents(plain, "", 0, NULL));
    file_fd = open(plain, O_RDONLY);
    msg = g_strdup_printf("File descriptor '%d' is not a socket", file_fd);
    expect_error(opts_from("backend=socket,id=s,fd=%d,server=on,wait=off", file_fd), msg);
    expect_error(opts_from("backend=socket,id=s,path=/x,wait=off"),
                 "'wait' option is incompatible with socket in client connect mode");
    expect_error(opts_from("backend=socket,id=s,path=/x,server=on,wait=off,reconnect=1"),
                 "'reconnect' option is incompatible with socket in server listen mode");
    expect_error(opts_from("backend=socket,id=s,path=/x,server=maybe"),
                 "Parameter 'server' expects 'on' or 'off'");
    expect_error(opts_from("backend=socket,id=s,path=/x,reconnect=x"),
                 "Parameter 'reconnect' expects a number");
    g_free(msg);
    msg = g_strdup_printf("UNIX socket path '/tmp/%s' is too long", longpath);
    expect_error(opts_from("backend=socket,id=s,path=/tmp/%s,server=on,wait=off", longpath), msg);
    g_free(msg);
    msg = g_strdup_printf("Failed to bind socket to %s: No such file or directory", bindpath);
    expect_error(opts_from("backend=socket,id=s,path=%s,server=on,wait=off", bindpath), msg);

    busy = socket(AF_INET, SOCK_STREAM, 0);
    {
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        ck_assert_int_eq(bind(busy, (struct sockaddr *)&sin, sizeof(sin)), 0);
        ck_assert_int_eq(listen(busy, 1), 0);
    }
    expect_error(opts_from("backend=socket,id=s,host=127.0.0.1,port=%d,server=on,wait=off",
                           local_port(busy)),
                 "Failed to find an available port: Address already in use");
    expect_error(opts_from("backend=socket,id=s,host=127.0.0.1,port=abc,server=on,wait=off"),
                 "address resolution failed for 127.0.0.1:abc: Servname not supported for "
                 "ai_socktype");
    expect_error(opts_from("backend=socket,id=s,path=/x,server=on,wait=off,telnet=on"),
                 "chardev option 'telnet' is not supported by minivm");
    close(busy);
    close(file_fd);
}
END_TEST

START_TEST(test_errors_other_backends)
{
    expect_error(opts_from("backend=file,id=f"), "chardev: file: no filename given");
    expect_error(opts_from("backend=file,id=f,path=/nonexistent-dir/x"),
                 "Could not open '/nonexistent-dir/x': No such file or directory");
    expect_error(opts_from("backend=file,id=f,path=/tmp/x,append=bad"),
                 "Parameter 'append' expects 'on' or 'off'");
    expect_error(opts_from("backend=pipe,id=p"), "chardev: pipe: no device path given");
    expect_error(opts_from("backend=pipe,id=p,path=/nonexistent-dir/x"),
                 "Could not open '/nonexistent-dir/x': No such file or directory");
    expect_error(opts_from("backend=stdio,id=s,signal=x"),
                 "Parameter 'signal' expects 'on' or 'off'");
}
END_TEST

static Suite *chardev_suite(void)
{
    Suite *s = suite_create("chardev");
    TCase *sock = tcase_create("socket");
    TCase *other = tcase_create("backends");
    TCase *syntax = tcase_create("syntax");

    tcase_add_checked_fixture(sock, setup, teardown);
    tcase_add_checked_fixture(other, setup, teardown);
    tcase_add_checked_fixture(syntax, setup, teardown);
    tcase_add_test(sock, test_unix_server_exchange);
    tcase_add_test(sock, test_unix_reconnect_and_backlog);
    tcase_add_test(sock, test_unix_client_mode);
    tcase_add_test(sock, test_unix_client_reconnect);
    tcase_add_test(sock, test_inherited_fd_listener);
    tcase_add_test(sock, test_tcp_server);
    tcase_add_test(sock, test_tcp_ipv6);
    tcase_add_test(sock, test_tcp_client);
    tcase_add_test(sock, test_server_wait_blocks_until_client);
    tcase_add_test(sock, test_slow_client_is_dropped);
    tcase_add_test(sock, test_large_output_flushed_in_order);
    tcase_add_test(sock, test_flow_control);
    tcase_add_test(other, test_frontend_attach_detach);
    tcase_add_test(other, test_foreach_order);
    tcase_add_test(other, test_file_backend);
    tcase_add_test(other, test_null_backend);
    tcase_add_test(other, test_pipe_backend);
    tcase_add_test(other, test_pty_backend);
    tcase_add_test(other, test_stdio_backend);
    tcase_add_test(other, test_stdio_stdin_at_eof);
    tcase_add_test(syntax, test_compat_syntax);
    tcase_add_test(syntax, test_compat_errors);
    tcase_add_test(syntax, test_errors_generic);
    tcase_add_test(syntax, test_errors_socket);
    tcase_add_test(syntax, test_errors_other_backends);
    suite_add_tcase(s, sock);
    suite_add_tcase(s, other);
    suite_add_tcase(s, syntax);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(chardev_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
