/*
 * The compact chardev syntax of -qmp, -monitor and -serial
 * ("unix:/p,server=on,wait=off", "tcp:host:port,server", "stdio", ...),
 * turned into the options of chardev_new_from_opts().
 */
#include "chardev/char-internal.h"

/* Backends named by a bare word. */
static const char *const compat_words[] = {"null", "pty", "stdio"};

/* Backends whose whole remainder is a path (commas included). */
static const struct {
    const char *prefix;
    const char *backend;
} compat_path_prefixes[] = {
    {"file:", "file"},
    {"pipe:", "pipe"},
};

/*
 * Adds "k=v,k2,nok3" to opts with QemuOpts' old rules: ",," is a literal
 * comma, a bare "key" means on and a bare "nokey" means key=off.  The first
 * element may be a bare value for implied_key.
 */
static void compat_parse_list(json_t *opts, const char *str, const char *implied_key)
{
    GString *item = g_string_new("");
    bool first = true;
    const char *p = str;

    for (;;) {
        bool end = *p == '\0';

        if (!end && !(*p == ',' && p[1] != ',')) {
            g_string_append_c(item, *p);
            p += *p == ',' ? 2 : 1;
            continue;
        }
        if (item->len || (first && implied_key)) {
            char *eq = strchr(item->str, '=');

            if (eq) {
                *eq = '\0';
                json_object_set_new(opts, item->str, json_string(eq + 1));
            } else if (first && implied_key) {
                json_object_set_new(opts, implied_key, json_string(item->str));
            } else if (g_str_has_prefix(item->str, "no")) {
                json_object_set_new(opts, item->str + 2, json_string("off"));
            } else {
                json_object_set_new(opts, item->str, json_string("on"));
            }
        }
        first = false;
        g_string_truncate(item, 0);
        if (end) {
            break;
        }
        p++;
    }
    g_string_free(item, TRUE);
}

/* "HOST:PORT[,opts]" or "[V6HOST]:PORT[,opts]"; HOST may be empty. */
static bool compat_parse_tcp(json_t *opts, const char *p)
{
    const char *colon, *comma;
    g_autofree char *host = NULL;

    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1] != ':') {
            return false;
        }
        host = g_strndup(p + 1, close - p - 1);
        colon = close + 1;
    } else {
        colon = strchr(p, ':');
        if (!colon) {
            return false;
        }
        host = g_strndup(p, colon - p);
    }
    comma = strchr(colon + 1, ',');
    if (comma == colon + 1 || colon[1] == '\0') {
        return false;
    }
    json_object_set_new(opts, "host", json_string(host));
    json_object_set_new(
        opts, "port", comma ? json_stringn(colon + 1, comma - colon - 1) : json_string(colon + 1));
    if (comma) {
        compat_parse_list(opts, comma + 1, NULL);
    }
    return true;
}

static json_t *compat_parse(const char *label, const char *spec, Error **errp)
{
    json_t *opts = json_object();
    const char *rest;

    json_object_set_new(opts, "id", json_string(label));
    for (size_t i = 0; i < ARRAY_SIZE(compat_words); i++) {
        if (!strcmp(spec, compat_words[i])) {
            json_object_set_new(opts, "backend", json_string(spec));
            return opts;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(compat_path_prefixes); i++) {
        if (g_str_has_prefix(spec, compat_path_prefixes[i].prefix)) {
            rest = spec + strlen(compat_path_prefixes[i].prefix);
            json_object_set_new(opts, "backend", json_string(compat_path_prefixes[i].backend));
            json_object_set_new(opts, "path", json_string(rest));
            return opts;
        }
    }
    if (g_str_has_prefix(spec, "unix:")) {
        json_object_set_new(opts, "backend", json_string("socket"));
        compat_parse_list(opts, spec + strlen("unix:"), "path");
        return opts;
    }
    if (g_str_has_prefix(spec, "tcp:")) {
        json_object_set_new(opts, "backend", json_string("socket"));
        if (!compat_parse_tcp(opts, spec + strlen("tcp:"))) {
            error_setg(errp, "parse error: %s", spec);
            json_decref(opts);
            return NULL;
        }
        return opts;
    }
    error_setg(errp, "'%s' is not a valid char driver", spec);
    json_decref(opts);
    return NULL;
}

Chardev *chardev_new_compat(const char *label, const char *spec, Error **errp)
{
    json_t *opts;
    Chardev *chr;

    if (!strcmp(spec, "none")) {
        return NULL;
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        const char *id = spec + strlen("chardev:");

        chr = chardev_find(id);
        if (!chr) {
            error_setg(errp, "chardev \"%s\" not found", id);
        }
        return chr;
    }
    opts = compat_parse(label, spec, errp);
    if (!opts) {
        return NULL;
    }
    chr = chardev_new_from_opts(opts, errp);
    json_decref(opts);
    return chr;
}
