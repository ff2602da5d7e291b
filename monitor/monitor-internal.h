/*
 * What the monitor files share: the Monitor object and the hooks between
 * the common part (monitor.c), QMP (qmp.c) and HMP (hmp.c).
 */
#ifndef MONITOR_MONITOR_INTERNAL_H
#define MONITOR_MONITOR_INTERNAL_H

#include "util/osdep.h"

#include "monitor/json-stream.h"
#include "monitor/monitor.h"
#include "monitor/readline.h"

struct Monitor {
    bool is_qmp;
    Chardev *chr;     /* NULL for a capture monitor (human-monitor-command) */
    GString *capture; /* output goes here instead of to chr */
    bool connected;
    /* Bumped on every connect and disconnect, so work begun for one
     * client never answers the next one. */
    unsigned generation;
    /* A command of this monitor is running (maybe in a nested main loop):
     * input waits in 'pending' instead of being handled re-entrantly. */
    bool busy;
    GByteArray *pending;
    bool destroyed; /* cleanup came while busy; free when it unwinds */
    bool suspended; /* takes no more input (after "quit", as QEMU) */

    /* QMP */
    bool pretty;
    bool negotiated; /* qmp_capabilities has succeeded */
    JsonStream *json;
    GQueue requests; /* QmpRequest *: parsed, not yet dispatched */

    /* HMP */
    ReadLineState *rl;
};

/* monitor.c */
void monitor_register(Monitor *mon);
/* Runs fn with mon as monitor_cur(); restores the previous one. */
void monitor_run_as(Monitor *mon, void (*fn)(Monitor *mon, void *opaque), void *opaque);
/* Writes raw bytes: no newline translation. */
void monitor_write_raw(Monitor *mon, const char *buf, size_t len);
void monitor_free(Monitor *mon);
/* Calls fn for every monitor in creation order. */
void monitor_foreach(void (*fn)(Monitor *mon, void *opaque), void *opaque);

/* qmp.c */
void monitor_qmp_emit_event(Monitor *mon, json_t *event);
void monitor_qmp_destroy(Monitor *mon);
/* The greeting object (exposed for tests). */
json_t *monitor_qmp_greeting(void);

/* hmp.c */
void monitor_hmp_destroy(Monitor *mon);

#endif
