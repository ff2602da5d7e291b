/*
 * Monitors: QMP (JSON, for managers) and HMP (text, for people), any number
 * of each, each on its own chardev.  All of it runs on the main loop.
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <jansson.h>

#include "chardev/char.h"
#include "util/error.h"

typedef struct Monitor Monitor;

/* -qmp / -mon mode=control: a QMP monitor; 'pretty' indents replies. */
Monitor *monitor_new_qmp(Chardev *chr, bool pretty, Error **errp);
/* -monitor / -mon mode=readline: an HMP monitor with line editing. */
Monitor *monitor_new_hmp(Chardev *chr, Error **errp);
void monitor_cleanup_all(void);

/* The monitor whose command is being executed (NULL outside commands). */
Monitor *monitor_cur(void);
bool monitor_is_qmp(const Monitor *mon);
/* HMP output; for QMP's human-monitor-command it goes to the captured reply. */
int monitor_printf(Monitor *mon, const char *fmt, ...) MINIVM_PRINTF(2, 3);
int monitor_puts(Monitor *mon, const char *str);

/*
 * Sends an event to every QMP monitor that has finished capability
 * negotiation, as {"timestamp": {"seconds", "microseconds"}, "event": name,
 * "data": data}; "data" is left out when data is NULL.  Steals 'data'.
 * Called by the generated qapi_event_send_*() functions.  Main thread only.
 */
void qapi_event_emit(const char *name, json_t *data);

/* Runs one HMP command line, returning its output (human-monitor-command). */
char *hmp_run_command_line(const char *cmdline, Error **errp);

/* Marks the current QMP monitor negotiated (qmp_capabilities). */
void monitor_qmp_set_negotiated(Monitor *mon);

#endif
