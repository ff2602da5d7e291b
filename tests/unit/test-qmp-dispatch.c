/*
 * The QMP dispatcher: request validation with QEMU's texts and precedence,
 * "id" echo, capability negotiation, response layout, the registry.
 */
#include "util/osdep.h"

#include <check.h>

#include "qapi/qapi-json.h"
#include "qapi/qmp-dispatch.h"

static json_t *J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    ck_assert_msg(v, "bad test JSON %s: %s", text, jerr.text);
    return v;
}

static json_t *last_args;
static int capabilities_runs;

/* Echoes its arguments. */
static void cmd_echo(json_t *args, json_t **ret, Error **errp)
{
    json_decref(last_args);
    last_args = json_incref(args);
    *ret = json_deep_copy(args);
}

static void cmd_fail(json_t *args, json_t **ret, Error **errp)
{
    /* A stray result must not leak into the response. */
    *ret = json_string("ignored");
    error_set(errp, ERROR_CLASS_DEVICE_NOT_ACTIVE, "it failed: %d", 42);
}

static void cmd_no_result(json_t *args, json_t **ret, Error **errp)
{
}

/* Like a generated marshaller: validate, ask the dispatcher, run. */
static void cmd_capabilities(json_t *args, json_t **ret, Error **errp)
{
    if (!qapi_input_check_no_args(args, errp) ||
        !qmp_dispatch_check_run("qmp_capabilities", errp)) {
        return;
    }
    capabilities_runs++;
    *ret = json_object();
}

static void setup(void)
{
    qmp_register_command("qmp_capabilities", cmd_capabilities, QCO_ALLOW_PRECONFIG);
    qmp_register_command("echo", cmd_echo, QCO_NO_FLAGS);
    qmp_register_command("fail", cmd_fail, QCO_COROUTINE);
    qmp_register_command("no-result", cmd_no_result, QCO_NO_FLAGS);
    capabilities_runs = 0;
}

static void teardown(void)
{
    g_clear_pointer(&last_args, json_decref);
}

/* Dispatches request (JSON text) and compares the response text exactly. */
static void expect(bool negotiating, const char *request, const char *response)
{
    json_t *req = J(request);
    json_t *rsp = qmp_dispatch(req, negotiating);
    char *text = json_dumps(rsp, JSON_COMPACT);
    json_t *want = J(response);
    char *want_text = json_dumps(want, JSON_COMPACT);

    ck_assert_msg(!strcmp(text, want_text), "%s: got %s, expected %s", request, text, want_text);
    free(text);
    free(want_text);
    json_decref(want);
    json_decref(rsp);
    json_decref(req);
}

static void expect_error(bool negotiating, const char *request, const char *cls, const char *desc)
{
    g_autofree char *rsp =
        g_strdup_printf("{\"error\":{\"class\":\"%s\",\"desc\":\"%s\"}}", cls, desc);

    expect(negotiating, request, rsp);
}

#define GENERIC "GenericError"

START_TEST(test_invalid_requests)
{
    expect_error(false, "[]", GENERIC, "QMP input must be a JSON object");
    expect_error(false, "\"query-status\"", GENERIC, "QMP input must be a JSON object");
    expect_error(false, "42", GENERIC, "QMP input must be a JSON object");
    expect_error(false, "null", GENERIC, "QMP input must be a JSON object");
    expect_error(true, "[{\"execute\":\"qmp_capabilities\"}]", GENERIC,
                 "QMP input must be a JSON object");
    expect_error(false, "{\"execute\":1}", GENERIC, "QMP input member 'execute' must be a string");
    expect_error(false, "{\"execute\":null}", GENERIC,
                 "QMP input member 'execute' must be a string");
    expect_error(false, "{\"execute\":\"echo\",\"arguments\":[]}", GENERIC,
                 "QMP input member 'arguments' must be an object");
    expect_error(false, "{\"execute\":\"echo\",\"arguments\":null}", GENERIC,
                 "QMP input member 'arguments' must be an object");
    expect_error(false, "{\"execute\":\"echo\",\"foo\":1}", GENERIC,
                 "QMP input member 'foo' is unexpected");
    expect_error(false, "{\"foo\":1}", GENERIC, "QMP input member 'foo' is unexpected");
    expect_error(false, "{\"exec-oob\":\"echo\"}", GENERIC,
                 "QMP input member 'exec-oob' is unexpected");
    expect_error(false, "{\"execute\":\"echo\",\"control\":{}}", GENERIC,
                 "QMP input member 'control' is unexpected");
    expect_error(false, "{}", GENERIC, "QMP input lacks member 'execute'");
    expect_error(false, "{\"arguments\":{}}", GENERIC, "QMP input lacks member 'execute'");
    expect_error(false, "{\"execute\":\"nonexistent\"}", "CommandNotFound",
                 "The command nonexistent has not been found");
    /* A bad request is rejected before the command is looked up. */
    expect_error(false, "{\"execute\":\"nonexistent\",\"arguments\":1}", GENERIC,
                 "QMP input member 'arguments' must be an object");
}
END_TEST

/* With several problems, QEMU reports the member its QDict lists first. */
START_TEST(test_check_precedence)
{
    expect_error(false, "{\"execute\":1,\"foo\":2}", GENERIC,
                 "QMP input member 'execute' must be a string");
    expect_error(false, "{\"foo\":2,\"execute\":1}", GENERIC,
                 "QMP input member 'execute' must be a string");
    expect_error(false, "{\"execute\":1,\"arguments\":[]}", GENERIC,
                 "QMP input member 'execute' must be a string");
    expect_error(false, "{\"arguments\":[],\"execute\":1}", GENERIC,
                 "QMP input member 'execute' must be a string");
    expect_error(false, "{\"arguments\":[],\"foo\":1}", GENERIC,
                 "QMP input member 'arguments' must be an object");
    expect_error(false, "{\"foo\":1,\"arguments\":[]}", GENERIC,
                 "QMP input member 'arguments' must be an object");
    expect_error(false, "{\"execute\":\"x\",\"arguments\":[],\"zzz\":1}", GENERIC,
                 "QMP input member 'zzz' is unexpected");
    expect_error(false, "{\"aaa\":1,\"arguments\":[]}", GENERIC,
                 "QMP input member 'aaa' is unexpected");
    expect_error(false, "{\"aaa\":1,\"bbb\":2,\"execute\":\"x\"}", GENERIC,
                 "QMP input member 'bbb' is unexpected");
    expect_error(false, "{\"bbb\":1,\"aaa\":2,\"execute\":\"x\"}", GENERIC,
                 "QMP input member 'bbb' is unexpected");
    expect_error(false, "{\"execute\":1,\"exec-oob\":\"x\"}", GENERIC,
                 "QMP input member 'exec-oob' is unexpected");
}
END_TEST

START_TEST(test_id_echo)
{
    expect(false, "{\"execute\":\"no-result\",\"id\":1}", "{\"return\":{},\"id\":1}");
    expect(false, "{\"id\":\"abc\",\"execute\":\"no-result\"}", "{\"return\":{},\"id\":\"abc\"}");
    expect(false, "{\"execute\":\"no-result\",\"id\":[1.5,true,null]}",
           "{\"return\":{},\"id\":[1.5,true,null]}");
    expect(false, "{\"execute\":\"no-result\",\"id\":{\"a\":{\"b\":[]}}}",
           "{\"return\":{},\"id\":{\"a\":{\"b\":[]}}}");
    expect(false, "{\"execute\":\"no-result\",\"id\":null}", "{\"return\":{},\"id\":null}");
    expect(false, "{\"execute\":\"no-result\",\"id\":false}", "{\"return\":{},\"id\":false}");
    /* Errors carry the id too, in front, as QEMU prints it. */
    expect(false, "{\"execute\":\"nonexistent\",\"id\":{\"a\":[1,null]}}",
           "{\"id\":{\"a\":[1,null]},\"error\":{\"class\":\"CommandNotFound\","
           "\"desc\":\"The command nonexistent has not been found\"}}");
    expect(false, "{\"execute\":\"echo\",\"arguments\":[],\"id\":5}",
           "{\"id\":5,\"error\":{\"class\":\"GenericError\","
           "\"desc\":\"QMP input member 'arguments' must be an object\"}}");
    expect(false, "{\"id\":1,\"arguments\":{}}",
           "{\"id\":1,\"error\":{\"class\":\"GenericError\","
           "\"desc\":\"QMP input lacks member 'execute'\"}}");
    expect(false, "{\"execute\":\"fail\",\"id\":\"x\"}",
           "{\"id\":\"x\",\"error\":{\"class\":\"DeviceNotActive\",\"desc\":\"it failed: 42\"}}");
}
END_TEST

START_TEST(test_run)
{
    json_t *req, *rsp;

    expect(false, "{\"execute\":\"echo\",\"arguments\":{\"a\":[1,{\"b\":null}]}}",
           "{\"return\":{\"a\":[1,{\"b\":null}]}}");
    expect(false, "{\"execute\":\"echo\"}", "{\"return\":{}}");
    ck_assert(json_is_object(last_args) && json_object_size(last_args) == 0);
    expect(false, "{\"execute\":\"no-result\",\"arguments\":{}}", "{\"return\":{}}");
    expect_error(false, "{\"execute\":\"fail\"}", "DeviceNotActive", "it failed: 42");

    /* The caller keeps its request. */
    req = J("{\"execute\":\"echo\",\"arguments\":{\"k\":\"v\"},\"id\":[1]}");
    rsp = qmp_dispatch(req, false);
    ck_assert_int_eq(req->refcount, 1);
    ck_assert_ptr_ne(json_object_get(rsp, "id"), json_object_get(req, "id"));
    json_decref(rsp);
    json_decref(last_args);
    last_args = NULL;
    ck_assert_int_eq(json_object_get(req, "arguments")->refcount, 1);
    json_decref(req);
}
END_TEST

START_TEST(test_negotiation)
{
    expect_error(true, "{\"execute\":\"echo\"}", "CommandNotFound",
                 "Expecting capabilities negotiation with 'qmp_capabilities'");
    expect_error(true, "{\"execute\":\"nonexistent\"}", "CommandNotFound",
                 "Expecting capabilities negotiation with 'qmp_capabilities'");
    expect(true, "{\"execute\":\"echo\",\"id\":3}",
           "{\"id\":3,\"error\":{\"class\":\"CommandNotFound\","
           "\"desc\":\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}");
    /* Malformed requests get their own errors, even while negotiating. */
    expect_error(true, "{\"execute\":\"echo\",\"arguments\":[]}", GENERIC,
                 "QMP input member 'arguments' must be an object");
    expect_error(true, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"x\":1}}", GENERIC,
                 "Parameter 'x' is unexpected");
    ck_assert_int_eq(capabilities_runs, 0);
    expect(true, "{\"execute\":\"qmp_capabilities\",\"id\":\"neg\"}",
           "{\"return\":{},\"id\":\"neg\"}");
    ck_assert_int_eq(capabilities_runs, 1);

    /* Afterwards: arguments are still checked first, then it is refused. */
    expect_error(false, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"x\":1}}", GENERIC,
                 "Parameter 'x' is unexpected");
    expect_error(false, "{\"execute\":\"qmp_capabilities\"}", "CommandNotFound",
                 "Capabilities negotiation is already complete, command ignored");
    ck_assert_int_eq(capabilities_runs, 1);

    /* Outside the dispatcher nothing is refused. */
    ck_assert(qmp_dispatch_check_run("qmp_capabilities", &error_abort));
}
END_TEST

static void collect(const QmpCommand *cmd, void *opaque)
{
    g_string_append_printf(opaque, "%s:%u ", cmd->name, cmd->flags);
}

START_TEST(test_registry)
{
    GString *names = g_string_new("");
    const QmpCommand *cmd;
    json_t *req, *rsp;
    Error *err = NULL;

    cmd = qmp_find_command("echo");
    ck_assert_ptr_nonnull(cmd);
    ck_assert_str_eq(cmd->name, "echo");
    ck_assert_ptr_eq(cmd->fn, cmd_echo);
    ck_assert_ptr_null(qmp_find_command("nonexistent"));
    ck_assert_uint_eq(qmp_find_command("fail")->flags, QCO_COROUTINE);

    /* Registering again replaces in place. */
    qmp_register_command("echo", cmd_fail, QCO_ALLOW_OOB);
    ck_assert_ptr_eq(qmp_find_command("echo"), cmd);
    ck_assert_ptr_eq(cmd->fn, cmd_fail);
    qmp_command_foreach(collect, names);
    ck_assert_str_eq(names->str, "qmp_capabilities:1 echo:4 fail:2 no-result:0 ");
    g_string_free(names, true);

    req = J("{\"execute\":\"echo\"}");
    rsp = qmp_dispatch(req, false);
    ck_assert_ptr_nonnull(json_object_get(rsp, "error"));
    json_decref(rsp);
    json_decref(req);

    error_set(&err, ERROR_CLASS_KVM_MISSING_CAP, "no %s", "cap");
    rsp = qmp_error_response(err);
    {
        char *text = json_dumps(rsp, JSON_COMPACT);

        ck_assert_str_eq(text, "{\"error\":{\"class\":\"KVMMissingCap\",\"desc\":\"no cap\"}}");
        free(text);
    }
    json_decref(rsp);
    error_free(err);
}
END_TEST

static Suite *qmp_dispatch_suite(void)
{
    Suite *s = suite_create("qmp-dispatch");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_invalid_requests);
    tcase_add_test(tc, test_check_precedence);
    tcase_add_test(tc, test_id_echo);
    tcase_add_test(tc, test_run);
    tcase_add_test(tc, test_negotiation);
    tcase_add_test(tc, test_registry);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(qmp_dispatch_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
