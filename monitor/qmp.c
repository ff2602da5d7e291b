/*
 * QMP monitors: one per chardev, each with its own parser, negotiation
 * state and request queue.  Requests run strictly one after the other: a
 * command may run a nested main loop, and while it does, its monitor takes
 * no input (other monitors carry on).  Parse errors are answered in order
 * with the commands around them, without "id".
 */
#include "util/osdep.h"

#include "monitor/monitor-internal.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-json.h"
#include "qapi/qapi-visit.h"
#include "qapi/qmp-dispatch.h"

/* Input taken per read; QEMU reads byte by byte, the result is the same. */
#define QMP_READ_CHUNK 4096

typedef struct QmpRequest {
    json_t *req;
    Error *err;
    GArray *bigints; /* see json_stream_bigints() */
} QmpRequest;

static void qmp_request_free(gpointer p)
{
    QmpRequest *r = p;

    json_decref(r->req);
    g_array_free(r->bigints, TRUE);
    if (r->err) {
        error_free(r->err);
    }
    g_free(r);
}

static void qmp_send(Monitor *mon, json_t *msg, const GArray *bigints)
{
    json_t *ordered = qapi_json_qdict_order(msg);
    char *text = json_stream_format_exact(ordered, mon->pretty, bigints);
    char *line = g_strconcat(text, "\n", NULL);

    monitor_puts(mon, line);
    g_free(line);
    g_free(text);
    json_decref(ordered);
}

void monitor_qmp_emit_event(Monitor *mon, json_t *event)
{
    qmp_send(mon, event, NULL);
}

json_t *monitor_qmp_greeting(void)
{
    VersionInfo *info = qmp_query_version(NULL);
    json_t *greeting;

    /* no "oob": minivm executes every command in order */
    greeting = json_pack("{s:{s:o, s:[]}}", "QMP", "version", qapi_to_json_VersionInfo(info),
                         "capabilities");
    qapi_free_VersionInfo(info);
    return greeting;
}

void monitor_qmp_set_negotiated(Monitor *mon)
{
    if (mon && mon->is_qmp) {
        mon->negotiated = true;
    }
}

/* Every connection starts afresh: parser, queue and negotiation. */
static void qmp_reset_session(Monitor *mon)
{
    json_stream_reset(mon->json);
    g_queue_clear_full(&mon->requests, qmp_request_free);
    g_byte_array_set_size(mon->pending, 0);
    mon->negotiated = false;
    mon->generation++;
}

static void qmp_parsed(void *opaque, json_t *value, Error *err)
{
    Monitor *mon = opaque;
    QmpRequest *r = g_new0(QmpRequest, 1);
    const GArray *big = json_stream_bigints(mon->json);

    r->req = value;
    r->err = err;
    r->bigints = g_array_sized_new(FALSE, FALSE, sizeof(guint64), big->len);
    g_array_append_vals(r->bigints, big->data, big->len);
    g_queue_push_tail(&mon->requests, r);
}

typedef struct QmpRun {
    QmpRequest *r;
    json_t *rsp;
} QmpRun;

static void qmp_run_request(Monitor *mon, void *opaque)
{
    QmpRun *run = opaque;

    run->rsp = qmp_dispatch(run->r->req, !mon->negotiated);
}

/*
 * A parse error quotes the offending input, which need not be UTF-8: the
 * text is stored unchecked and the writer turns bad bytes into U+FFFD,
 * as QEMU does.
 */
static json_t *qmp_parse_error_response(const Error *err)
{
    json_t *e = json_object();
    json_t *rsp = json_object();

    json_object_set_new(e, "class", json_string(error_class_name(error_get_class(err))));
    json_object_set_new(e, "desc", json_string_nocheck(error_get_pretty(err)));
    json_object_set_new(rsp, "error", e);
    return rsp;
}

static void qmp_handle_request(Monitor *mon, QmpRequest *r)
{
    unsigned gen = mon->generation;
    QmpRun run = {r, NULL};

    if (r->err) {
        run.rsp = qmp_parse_error_response(r->err);
    } else {
        monitor_run_as(mon, qmp_run_request, &run);
    }
    /* the client may have gone (or been replaced) while the command ran */
    if (!mon->destroyed && mon->connected && mon->generation == gen) {
        qmp_send(mon, run.rsp, r->bigints);
    }
    json_decref(run.rsp);
}

/* Handles queued requests and buffered input until both are exhausted. */
static void qmp_pump(Monitor *mon)
{
    if (mon->busy) {
        return;
    }
    mon->busy = true;
    while (!mon->destroyed) {
        QmpRequest *r = g_queue_pop_head(&mon->requests);

        if (r) {
            qmp_handle_request(mon, r);
            qmp_request_free(r);
            continue;
        }
        if (mon->pending->len) {
            GByteArray *in = mon->pending;

            mon->pending = g_byte_array_new();
            json_stream_feed(mon->json, in->data, in->len);
            g_byte_array_free(in, TRUE);
            continue;
        }
        break;
    }
    mon->busy = false;
    if (mon->destroyed) {
        monitor_qmp_destroy(mon);
    }
}

static int qmp_can_read(void *opaque)
{
    Monitor *mon = opaque;

    return mon->busy ? 0 : QMP_READ_CHUNK;
}

static void qmp_read(void *opaque, const uint8_t *buf, int size)
{
    Monitor *mon = opaque;

    g_byte_array_append(mon->pending, buf, size);
    qmp_pump(mon);
}

static void qmp_event(void *opaque, ChrEvent event)
{
    Monitor *mon = opaque;
    json_t *greeting;

    switch (event) {
    case CHR_EVENT_OPENED:
        qmp_reset_session(mon);
        mon->connected = true;
        greeting = monitor_qmp_greeting();
        qmp_send(mon, greeting, NULL);
        json_decref(greeting);
        break;
    case CHR_EVENT_CLOSED:
        mon->connected = false;
        qmp_reset_session(mon);
        break;
    }
}

Monitor *monitor_new_qmp(Chardev *chr, bool pretty, Error **errp)
{
    Monitor *mon = g_new0(Monitor, 1);

    mon->is_qmp = true;
    mon->chr = chr;
    mon->pretty = pretty;
    mon->pending = g_byte_array_new();
    mon->json = json_stream_new(qmp_parsed, mon);
    g_queue_init(&mon->requests);
    if (!chardev_set_handlers(chr, qmp_can_read, qmp_read, qmp_event, mon, errp)) {
        json_stream_free(mon->json);
        monitor_free(mon);
        return NULL;
    }
    monitor_register(mon);
    return mon;
}

void monitor_qmp_destroy(Monitor *mon)
{
    if (mon->chr && !mon->destroyed) {
        chardev_set_handlers(mon->chr, NULL, NULL, NULL, NULL, NULL);
    }
    g_queue_clear_full(&mon->requests, qmp_request_free);
    json_stream_free(mon->json);
    monitor_free(mon);
}
