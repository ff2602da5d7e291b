/*
 * The QMP command registry and the request dispatcher.
 */
#include "util/osdep.h"

#include "qapi/qapi-json.h"
#include "qapi/qmp-dispatch.h"

static GPtrArray *commands; /* QmpCommand *, in registration order */
static GHashTable *by_name; /* name -> QmpCommand * */

/*
 * While qmp_dispatch() calls a marshaller: whether that request arrived
 * during negotiation; -1 otherwise.  Marshallers consult it (through
 * qmp_dispatch_check_run()) before the command body runs, so a command
 * that yields or dispatches again cannot make it stale when it matters.
 */
static int dispatching_negotiation = -1;

void qmp_register_command(const char *name, QmpCommandFunc *fn, unsigned flags)
{
    QmpCommand *cmd;

    if (!commands) {
        commands = g_ptr_array_new();
        by_name = g_hash_table_new(g_str_hash, g_str_equal);
    }
    cmd = g_hash_table_lookup(by_name, name);
    if (!cmd) {
        char *copy = g_strdup(name);

        cmd = g_new0(QmpCommand, 1);
        cmd->name = copy;
        g_ptr_array_add(commands, cmd);
        g_hash_table_insert(by_name, copy, cmd);
    }
    cmd->fn = fn;
    cmd->flags = flags;
}

const QmpCommand *qmp_find_command(const char *name)
{
    return by_name ? g_hash_table_lookup(by_name, name) : NULL;
}

void qmp_command_foreach(void (*fn)(const QmpCommand *cmd, void *opaque), void *opaque)
{
    for (guint i = 0; commands && i < commands->len; i++) {
        fn(g_ptr_array_index(commands, i), opaque);
    }
}

bool qmp_dispatch_check_run(const char *name, Error **errp)
{
    if (dispatching_negotiation == 0 && !strcmp(name, "qmp_capabilities")) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Capabilities negotiation is already complete, command ignored");
        return false;
    }
    return true;
}

json_t *qmp_error_response(const Error *err)
{
    json_t *rsp = json_object();

    json_object_set_new(rsp, "error",
                        json_pack("{s:s, s:s}", "class", error_class_name(error_get_class(err)),
                                  "desc", error_get_pretty(err)));
    return rsp;
}

typedef struct {
    const char *key;
    json_t *value;
    unsigned bucket;
    size_t pos;
} RequestMember;

static int request_member_cmp(const void *a, const void *b)
{
    const RequestMember *x = a, *y = b;

    if (x->bucket != y->bucket) {
        return x->bucket < y->bucket ? -1 : 1;
    }
    return x->pos < y->pos ? 1 : (x->pos > y->pos ? -1 : 0);
}

/*
 * Checks the request's members in the order QEMU's QDict keeps them, so
 * that a request with several problems gets QEMU's complaint.
 */
static bool request_check(json_t *req, const char **name, json_t **args, Error **errp)
{
    size_t n = json_object_size(req), i = 0;
    g_autofree RequestMember *m = g_new(RequestMember, n ? n : 1);
    const char *key;
    json_t *value;

    json_object_foreach(req, key, value)
    {
        m[i] = (RequestMember){key, value, qapi_qdict_bucket(key), i};
        i++;
    }
    qsort(m, n, sizeof(*m), request_member_cmp);
    for (i = 0; i < n; i++) {
        if (!strcmp(m[i].key, "execute")) {
            if (!json_is_string(m[i].value)) {
                error_setg(errp, "QMP input member 'execute' must be a string");
                return false;
            }
            *name = json_string_value(m[i].value);
        } else if (!strcmp(m[i].key, "arguments")) {
            if (!json_is_object(m[i].value)) {
                error_setg(errp, "QMP input member 'arguments' must be an object");
                return false;
            }
            *args = m[i].value;
        } else if (strcmp(m[i].key, "id")) {
            /* "exec-oob" included: minivm offers no out-of-band execution. */
            error_setg(errp, "QMP input member '%s' is unexpected", m[i].key);
            return false;
        }
    }
    if (!*name) {
        error_setg(errp, "QMP input lacks member 'execute'");
        return false;
    }
    return true;
}

static json_t *run_command(const QmpCommand *cmd, json_t *args, bool negotiating, Error **errp)
{
    json_t *owned = args ? json_incref(args) : json_object();
    json_t *ret = NULL;
    Error *err = NULL;

    dispatching_negotiation = negotiating;
    cmd->fn(owned, &ret, &err);
    dispatching_negotiation = -1;
    json_decref(owned);
    if (err) {
        json_decref(ret);
        error_propagate(errp, err);
        return NULL;
    }
    return ret ? ret : json_object();
}

json_t *qmp_dispatch(json_t *request, bool negotiating)
{
    Error *err = NULL;
    json_t *id = NULL, *args = NULL, *ret = NULL, *rsp;
    const char *name = NULL;
    const QmpCommand *cmd;

    if (!json_is_object(request)) {
        error_setg(&err, "QMP input must be a JSON object");
        goto out;
    }
    id = json_object_get(request, "id");
    if (!request_check(request, &name, &args, &err)) {
        goto out;
    }
    cmd = qmp_find_command(name);
    if (negotiating && (!cmd || strcmp(cmd->name, "qmp_capabilities"))) {
        error_set(&err, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Expecting capabilities negotiation with 'qmp_capabilities'");
        goto out;
    }
    if (!cmd) {
        error_set(&err, ERROR_CLASS_COMMAND_NOT_FOUND, "The command %s has not been found", name);
        goto out;
    }
    ret = run_command(cmd, args, negotiating, &err);

out:
    rsp = json_object();
    if (err) {
        json_t *e = qmp_error_response(err);

        if (id) {
            json_object_set_new(rsp, "id", json_deep_copy(id));
        }
        json_object_set(rsp, "error", json_object_get(e, "error"));
        json_decref(e);
        error_free(err);
        return rsp;
    }
    json_object_set_new(rsp, "return", ret);
    if (id) {
        json_object_set_new(rsp, "id", json_deep_copy(id));
    }
    return rsp;
}
