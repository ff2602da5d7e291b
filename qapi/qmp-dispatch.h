/*
 * The QMP command registry and dispatcher.
 *
 * The generated qapi/qapi-commands.c holds one marshaller per schema command:
 * it converts the "arguments" object into C values (QEMU's error texts on
 * bad input), calls the hand-written qmp_<command>() and converts its return
 * value to JSON.  qmp_init_marshal() (generated) registers them all.
 */
#ifndef QAPI_QMP_DISPATCH_H
#define QAPI_QMP_DISPATCH_H

#include <jansson.h>

#include "util/error.h"

/* args: borrowed JSON object (never NULL); *ret: new reference on success. */
typedef void QmpCommandFunc(json_t *args, json_t **ret, Error **errp);

typedef enum QmpCommandFlags {
    QCO_NO_FLAGS = 0,
    QCO_ALLOW_PRECONFIG = 1 << 0,
    QCO_COROUTINE = 1 << 1, /* schema says 'coroutine': true */
    QCO_ALLOW_OOB = 1 << 2, /* schema says 'allow-oob': true (recorded only) */
} QmpCommandFlags;

typedef struct QmpCommand {
    const char *name;
    QmpCommandFunc *fn;
    unsigned flags;
} QmpCommand;

/* Registering a name again replaces its function and flags in place. */
void qmp_register_command(const char *name, QmpCommandFunc *fn, unsigned flags);
const QmpCommand *qmp_find_command(const char *name);
/* In registration order. */
void qmp_command_foreach(void (*fn)(const QmpCommand *cmd, void *opaque), void *opaque);

/* Generated: registers every command of the schema. Idempotent. */
void qmp_init_marshal(void);
/* Generated: the query-qmp-schema answer, as a JSON text (a list). */
extern const char qmp_schema_json[];

/*
 * Validates and runs one request (a parsed JSON value of any type) and
 * returns the response object, with "id" copied verbatim when present:
 *   {"return": ...[, "id": ...]}  or  {["id": ..., ]"error": {"class", "desc"}}
 * (member order as QEMU 7.2 prints them: "id" comes before "error").
 * A command that returns nothing answers {}.  When a request has several
 * problems, the one reported is the one QEMU reports: members are checked
 * in the order QEMU's QDict stores them.
 * While 'negotiating' is true only qmp_capabilities may run; afterwards it is
 * refused.  The texts are QEMU's:
 *   "QMP input must be a JSON object"
 *   "QMP input member 'execute' must be a string"
 *   "QMP input member 'arguments' must be an object"
 *   "QMP input member 'foo' is unexpected"
 *   "QMP input lacks member 'execute'"
 *   CommandNotFound "The command foo has not been found"
 *   CommandNotFound "Expecting capabilities negotiation with 'qmp_capabilities'"
 *   CommandNotFound "Capabilities negotiation is already complete, command ignored"
 * Runs on the main thread.  Never returns NULL.
 */
json_t *qmp_dispatch(json_t *request, bool negotiating);

/* Builds {"error": {"class": ..., "desc": ...}} from err (not freed). */
json_t *qmp_error_response(const Error *err);

/*
 * Called by every generated marshaller once the arguments are valid, right
 * before the command runs: QEMU refuses a qmp_capabilities that arrives
 * after negotiation only at this point, so that bad arguments are still
 * reported first.  Outside qmp_dispatch() (HMP, tests) it always allows.
 */
bool qmp_dispatch_check_run(const char *name, Error **errp);

#endif
