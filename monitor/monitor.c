/*
 * What QMP and HMP monitors have in common: the list of monitors, the
 * current monitor, output (with QEMU's "\n" -> "\r\n" translation) and
 * event broadcast.  Main thread only.
 */
#include "util/osdep.h"

#include "monitor/monitor-internal.h"
#include "qapi/qapi-json.h"

static GPtrArray *monitors; /* Monitor *, creation order */
static Monitor *cur_mon;

void monitor_register(Monitor *mon)
{
    if (!monitors) {
        monitors = g_ptr_array_new();
    }
    g_ptr_array_add(monitors, mon);
}

void monitor_foreach(void (*fn)(Monitor *mon, void *opaque), void *opaque)
{
    for (guint i = 0; monitors && i < monitors->len; i++) {
        fn(g_ptr_array_index(monitors, i), opaque);
    }
}

Monitor *monitor_cur(void)
{
    return cur_mon;
}

void monitor_run_as(Monitor *mon, void (*fn)(Monitor *mon, void *opaque), void *opaque)
{
    Monitor *prev = cur_mon;

    cur_mon = mon;
    fn(mon, opaque);
    cur_mon = prev;
}

bool monitor_is_qmp(const Monitor *mon)
{
    return mon && mon->is_qmp;
}

void monitor_write_raw(Monitor *mon, const char *buf, size_t len)
{
    if (mon->capture) {
        g_string_append_len(mon->capture, buf, len);
    } else if (mon->chr && mon->connected) {
        chardev_write(mon->chr, buf, len);
    }
}

/* Terminals and QMP clients alike get "\r\n" line ends, as from QEMU. */
int monitor_puts(Monitor *mon, const char *str)
{
    GString *out;
    int n;

    if (!mon) {
        return -1;
    }
    out = g_string_sized_new(strlen(str) + 16);
    for (const char *p = str; *p; p++) {
        if (*p == '\n') {
            g_string_append_c(out, '\r');
        }
        g_string_append_c(out, *p);
    }
    monitor_write_raw(mon, out->str, out->len);
    n = (int)out->len;
    g_string_free(out, TRUE);
    return n;
}

int monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    /* Human-readable text has no place in a QMP stream. */
    if (!mon || mon->is_qmp) {
        return -1;
    }
    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    n = monitor_puts(mon, s);
    g_free(s);
    return n;
}

typedef struct EventSend {
    json_t *event;
} EventSend;

static void event_send_one(Monitor *mon, void *opaque)
{
    EventSend *es = opaque;

    if (mon->is_qmp && mon->connected && mon->negotiated && !mon->destroyed) {
        monitor_qmp_emit_event(mon, es->event);
    }
}

void qapi_event_emit(const char *name, json_t *data)
{
    gint64 now = g_get_real_time();
    json_t *ev = json_object();
    EventSend es;

    /* Built in QEMU's insertion order; the QDict ordering then gives the
     * wire order "timestamp", "event", "data". */
    json_object_set_new(ev, "event", json_string(name));
    json_object_set_new(ev, "timestamp",
                        json_pack("{s:I, s:I}", "seconds", (json_int_t)(now / G_USEC_PER_SEC),
                                  "microseconds", (json_int_t)(now % G_USEC_PER_SEC)));
    if (data) {
        json_object_set_new(ev, "data", data);
    }
    es.event = qapi_json_qdict_order(ev);
    json_decref(ev);
    monitor_foreach(event_send_one, &es);
    json_decref(es.event);
}

void monitor_free(Monitor *mon)
{
    if (monitors) {
        g_ptr_array_remove(monitors, mon);
    }
    if (cur_mon == mon) {
        cur_mon = NULL;
    }
    if (mon->pending) {
        g_byte_array_free(mon->pending, TRUE);
    }
    if (mon->capture) {
        g_string_free(mon->capture, TRUE);
    }
    g_free(mon);
}

void monitor_cleanup_all(void)
{
    while (monitors && monitors->len) {
        Monitor *mon = g_ptr_array_index(monitors, monitors->len - 1);

        if (mon->busy) {
            /* Still on the stack of a running command: detach it now and
             * let the command's frame free it. */
            g_ptr_array_remove_index(monitors, monitors->len - 1);
            mon->destroyed = true;
            if (mon->chr) {
                chardev_set_handlers(mon->chr, NULL, NULL, NULL, NULL, NULL);
            }
            continue;
        }
        if (mon->is_qmp) {
            monitor_qmp_destroy(mon);
        } else {
            monitor_hmp_destroy(mon);
        }
    }
    if (monitors) {
        g_ptr_array_free(monitors, TRUE);
        monitors = NULL;
    }
}
