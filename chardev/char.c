/*
 * Chardev core: the registry, creation from options, frontends and the
 * dispatch of writes to the backends.
 */
#include "chardev/char-internal.h"

static const ChardevDriver *const chardev_drivers[] = {
    &chardev_socket_driver, &chardev_stdio_driver, &chardev_file_driver,
    &chardev_pipe_driver,   &chardev_pty_driver,   &chardev_null_driver,
};

/*
 * Every key QEMU's -chardev accepts, whatever the backend; anything else is
 * "Invalid parameter".  Keys of features minivm lacks are refused only when
 * their value asks for the feature.
 */
static const char *const chardev_known_keys[] = {
    "backend",   "id",        "path",    "host",   "port",      "fd",        "localaddr",
    "localport", "to",        "ipv4",    "ipv6",   "wait",      "server",    "delay",
    "nodelay",   "reconnect", "telnet",  "tn3270", "tls-creds", "tls-authz", "websocket",
    "width",     "height",    "cols",    "rows",   "mux",       "signal",    "name",
    "debug",     "size",      "chardev", "append", "logfile",   "logappend", "mouse",
    "clipboard", "abstract",  "tight",
};

/* Keys minivm does not implement, with the value that means "not used". */
static const struct {
    const char *key;
    const char *inactive;
} chardev_unsupported_keys[] = {
    {"mux", "off"},      {"telnet", "off"},   {"tn3270", "off"}, {"websocket", "off"},
    {"tls-creds", NULL}, {"tls-authz", NULL}, {"logfile", NULL}, {"localaddr", NULL},
    {"localport", NULL}, {"abstract", "off"}, {"tight", "on"},
};

static GPtrArray *chardevs; /* creation order */

/* ---- options ---- */

const char *chr_opt_str(json_t *opts, const char *key)
{
    json_t *v = json_object_get(opts, key);
    /* a few live at once: callers fetch several options before using them */
    static __thread char numbufs[8][24];
    static __thread unsigned next_buf;

    if (json_is_string(v)) {
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        char *buf = numbufs[next_buf++ % ARRAY_SIZE(numbufs)];
        snprintf(buf, sizeof(numbufs[0]), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v)) {
        return json_is_true(v) ? "on" : "off";
    }
    return NULL;
}

bool chr_opt_bool(json_t *opts, const char *key, bool def, bool *out, Error **errp)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};
    const char *s = chr_opt_str(opts, key);

    *out = def;
    if (!s) {
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcmp(s, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcmp(s, no[i])) {
            *out = false;
            return true;
        }
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
    return false;
}

bool chr_opt_uint(json_t *opts, const char *key, uint64_t def, uint64_t *out, Error **errp)
{
    const char *s = chr_opt_str(opts, key);
    char *end;

    *out = def;
    if (!s) {
        return true;
    }
    errno = 0;
    *out = g_ascii_strtoull(s, &end, 0);
    if (!*s || *end || errno || *s == '-') {
        error_setg(errp, "Parameter '%s' expects a number", key);
        return false;
    }
    return true;
}

static bool chardev_id_valid(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

static bool chardev_check_keys(json_t *opts, Error **errp)
{
    const char *key;
    json_t *value;

    json_object_foreach(opts, key, value)
    {
        bool known = false;

        for (size_t i = 0; i < ARRAY_SIZE(chardev_known_keys) && !known; i++) {
            known = !strcmp(key, chardev_known_keys[i]);
        }
        if (!known) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(chardev_unsupported_keys); i++) {
        const char *v = chr_opt_str(opts, chardev_unsupported_keys[i].key);
        const char *inactive = chardev_unsupported_keys[i].inactive;

        if (v && (!inactive || strcmp(v, inactive))) {
            error_setg(errp, "chardev option '%s' is not supported by minivm",
                       chardev_unsupported_keys[i].key);
            return false;
        }
    }
    return true;
}

static const ChardevDriver *chardev_driver_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(chardev_drivers); i++) {
        if (!strcmp(chardev_drivers[i]->name, name)) {
            return chardev_drivers[i];
        }
    }
    return NULL;
}

/* ---- creation and lookup ---- */

Chardev *chardev_find(const char *id)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);
        if (!strcmp(chr->label, id)) {
            return chr;
        }
    }
    return NULL;
}

Chardev *chardev_new_from_opts(json_t *opts, Error **errp)
{
    const char *id = chr_opt_str(opts, "id");
    const char *backend = chr_opt_str(opts, "backend");
    const ChardevDriver *drv;
    Chardev *chr;

    if (!id) {
        error_setg(errp, "chardev: no id specified");
        return NULL;
    }
    if (!chardev_id_valid(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        error_append_hint(errp, "Identifiers consist of letters, digits, '-', '.', '_', "
                                "starting with a letter.\n");
        return NULL;
    }
    if (chardev_find(id)) {
        error_setg(errp, "Duplicate ID '%s' for chardev", id);
        return NULL;
    }
    if (!chardev_check_keys(opts, errp)) {
        return NULL;
    }
    if (!backend) {
        error_setg(errp, "chardev: \"%s\" missing backend", id);
        return NULL;
    }
    drv = chardev_driver_find(backend);
    if (!drv) {
        error_setg(errp, "'%s' is not a valid char driver name", backend);
        return NULL;
    }

    main_loop_init();
    chr = g_malloc0(drv->instance_size);
    chr->drv = drv;
    chr->label = g_strdup(id);
    chr->filename = g_strdup(drv->name);
    if (!drv->open(chr, opts, errp)) {
        g_free(chr->label);
        g_free(chr->filename);
        g_free(chr);
        return NULL;
    }
    if (!chardevs) {
        chardevs = g_ptr_array_new();
    }
    g_ptr_array_add(chardevs, chr);
    return chr;
}

const char *chardev_get_label(Chardev *chr)
{
    return chr->label;
}

const char *chardev_get_filename(Chardev *chr)
{
    return chr->filename;
}

void chr_set_filename(Chardev *chr, const char *fmt, ...)
{
    va_list ap;

    g_free(chr->filename);
    va_start(ap, fmt);
    chr->filename = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        fn(g_ptr_array_index(chardevs, i), opaque);
    }
}

/* ---- the frontend ---- */

bool chardev_frontend_open(Chardev *chr)
{
    return chr->fe_attached;
}

bool chardev_is_connected(Chardev *chr)
{
    return !chr->drv->is_connected || chr->drv->is_connected(chr);
}

static void chardev_open_bh(void *opaque)
{
    Chardev *chr = opaque;

    if (chr->fe_open_pending) {
        chr_be_event(chr, CHR_EVENT_OPENED);
    }
}

static void chardev_cancel_open(Chardev *chr)
{
    chr->fe_open_pending = false;
    if (chr->open_bh) {
        qemu_bh_cancel(chr->open_bh);
    }
}

bool chardev_set_handlers(Chardev *chr, ChrCanRead *can_read, ChrRead *read, ChrEventHandler *event,
                          void *opaque, Error **errp)
{
    bool attach = can_read || read || event;

    if (attach && chr->fe_attached && chr->fe_opaque != opaque) {
        error_setg(errp, "Device '%s' is in use", chr->label);
        return false;
    }
    chr->fe_can_read = can_read;
    chr->fe_read = read;
    chr->fe_event = event;
    chr->fe_opaque = attach ? opaque : NULL;
    if (attach && !chr->fe_attached) {
        chr->fe_attached = true;
        chr->fe_open_sent = false;
        if (!chr->open_bh) {
            chr->open_bh = qemu_bh_new(chardev_open_bh, chr);
        }
        /* after we return, so the caller has finished its own set-up */
        if (chardev_is_connected(chr)) {
            chr->fe_open_pending = true;
            qemu_bh_schedule(chr->open_bh);
        }
    } else if (!attach) {
        chr->fe_attached = false;
        chr->fe_open_sent = false;
        chardev_cancel_open(chr);
    }
    if (chr->drv->frontend_changed) {
        chr->drv->frontend_changed(chr);
    }
    return true;
}

int chr_be_can_read(Chardev *chr)
{
    if (!chr->fe_attached || !chr->fe_can_read) {
        return 0;
    }
    return chr->fe_can_read(chr->fe_opaque);
}

void chr_be_read(Chardev *chr, const uint8_t *buf, int len)
{
    if (chr->fe_attached && chr->fe_read) {
        chr->fe_read(chr->fe_opaque, buf, len);
    }
}

static void chr_fe_notify(Chardev *chr, ChrEvent event)
{
    chr->fe_open_sent = event == CHR_EVENT_OPENED;
    if (chr->fe_event) {
        chr->fe_event(chr->fe_opaque, event);
    }
}

void chr_be_event(Chardev *chr, ChrEvent event)
{
    bool was_pending = chr->fe_open_pending;

    if (!chr->fe_attached) {
        return;
    }
    chardev_cancel_open(chr);
    if (event == CHR_EVENT_OPENED) {
        if (!chr->fe_open_sent) {
            chr_fe_notify(chr, CHR_EVENT_OPENED);
        }
        return;
    }
    /* the frontend hears CLOSED only after OPENED, even a due one */
    if (was_pending && !chr->fe_open_sent) {
        chr_fe_notify(chr, CHR_EVENT_OPENED);
        if (!chr->fe_attached) {
            return;
        }
    }
    if (chr->fe_open_sent) {
        chr_fe_notify(chr, CHR_EVENT_CLOSED);
    }
}

/* ---- output and connection control ---- */

int chardev_write(Chardev *chr, const void *buf, size_t len)
{
    if (len == 0) {
        return chardev_is_connected(chr) ? 0 : -1;
    }
    return chr->drv->write(chr, buf, len);
}

void chardev_disconnect(Chardev *chr)
{
    if (chr->drv->disconnect) {
        chr->drv->disconnect(chr);
    }
}

void chardev_cleanup_all(void)
{
    if (!chardevs) {
        return;
    }
    for (guint i = 0; i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);
        if (chr->drv->flush) {
            chr->drv->flush(chr);
        }
    }
    for (guint i = chardevs->len; i-- > 0;) {
        Chardev *chr = g_ptr_array_index(chardevs, i);

        if (chr->drv->close) {
            chr->drv->close(chr);
        }
        qemu_bh_delete(chr->open_bh);
        g_free(chr->label);
        g_free(chr->filename);
        g_free(chr);
    }
    g_ptr_array_free(chardevs, TRUE);
    chardevs = NULL;
}
