/*
 * The HMP command table and interpreter: argument types, QEMU's error
 * texts, help output, and that commands reach the QMP implementations.
 * Expected texts were taken from QEMU 7.2's human-monitor-command.
 */
#include <check.h>

#include "util/osdep.h"

#include "monitor/hmp.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-types.h"
#include "system/sysemu.h"

/* ---------------------------------------------------------------- stubs of the runstate commands
 */

SysemuInfo sysemu;

static GString *calls;
static bool cont_fails;
static RunState cur_state = RUN_STATE_RUNNING;

void qmp_stop(Error **errp)
{
    g_string_append(calls, "stop;");
    cur_state = RUN_STATE_PAUSED;
}

void qmp_cont(Error **errp)
{
    g_string_append(calls, "cont;");
    if (cont_fails) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return;
    }
    cur_state = RUN_STATE_RUNNING;
}

void qmp_quit(Error **errp)
{
    g_string_append(calls, "quit;");
}

void qmp_system_reset(Error **errp)
{
    g_string_append(calls, "system_reset;");
}

void qmp_system_powerdown(Error **errp)
{
    g_string_append(calls, "system_powerdown;");
}

StatusInfo *qmp_query_status(Error **errp)
{
    StatusInfo *info = g_new0(StatusInfo, 1);

    info->status = cur_state;
    info->running = cur_state == RUN_STATE_RUNNING;
    return info;
}

static void setup(void)
{
    calls = g_string_new(NULL);
    cont_fails = false;
    cur_state = RUN_STATE_RUNNING;
    memset(&sysemu, 0, sizeof(sysemu));
}

static void teardown(void)
{
    g_string_free(calls, TRUE);
}

static void check_hmp(const char *cmdline, const char *want)
{
    char *out = hmp_run_command_line(cmdline, &error_abort);

    ck_assert_msg(!strcmp(out, want), "'%s': got '%s' want '%s'", cmdline, out, want);
    g_free(out);
}

/* ---------------------------------------------------------------- the real table */

START_TEST(test_table_entries)
{
    static const char known_types[] = "sFBSilMoTb-";
    const HMPCommand *const *areas[] = {hmp_commands(), hmp_info_commands()};
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (size_t a = 0; a < ARRAY_SIZE(areas); a++) {
        g_hash_table_remove_all(seen);
        for (size_t i = 0; areas[a][i]; i++) {
            const HMPCommand *c = areas[a][i];
            gchar **names = g_strsplit(c->name, "|", -1);
            gchar **specs;

            ck_assert_msg(c->help && c->help[0], "%s has no help", c->name);
            ck_assert_ptr_nonnull(c->params);
            ck_assert_ptr_nonnull(c->args_type);
            ck_assert_ptr_nonnull(c->cmd);
            /* sorted, every name and alias unique */
            if (i > 0) {
                ck_assert_int_lt(strcmp(areas[a][i - 1]->name, c->name), 0);
            }
            for (gchar **n = names; *n; n++) {
                ck_assert_msg(!g_hash_table_contains(seen, *n), "duplicate %s", *n);
                g_hash_table_add(seen, g_strdup(*n));
            }
            g_strfreev(names);
            /* args_type is "key:T[?]" items */
            specs = g_strsplit(c->args_type, ",", -1);
            for (gchar **s = specs; *s && **s; s++) {
                const char *colon = strchr(*s, ':');

                ck_assert_msg(colon && colon > *s, "%s: bad args_type %s", c->name, *s);
                ck_assert_msg(colon[1] && strchr(known_types, colon[1]), "%s: type %s", c->name,
                              *s);
            }
            g_strfreev(specs);
        }
    }
    g_hash_table_destroy(seen);
}
END_TEST

START_TEST(test_table_contents)
{
    ck_assert_ptr_nonnull(hmp_find(hmp_commands(), "stop"));
    ck_assert_ptr_eq(hmp_find(hmp_commands(), "s"), hmp_find(hmp_commands(), "stop"));
    ck_assert_ptr_eq(hmp_find(hmp_commands(), "?"), hmp_find(hmp_commands(), "help"));
    ck_assert_ptr_eq(hmp_find(hmp_commands(), "q"), hmp_find(hmp_commands(), "quit"));
    ck_assert_ptr_eq(hmp_find(hmp_commands(), "c"), hmp_find(hmp_commands(), "cont"));
    ck_assert_ptr_null(hmp_find(hmp_commands(), "sto"));
    ck_assert_ptr_null(hmp_find(hmp_commands(), "stop|s"));
    ck_assert_ptr_nonnull(hmp_find(hmp_info_commands(), "status"));
    ck_assert(hmp_name_matches("s", "stop|s"));
    ck_assert(!hmp_name_matches("", "stop|s"));
    ck_assert(!hmp_name_matches("stop|s", "stop|s"));
}
END_TEST

START_TEST(test_help)
{
    check_hmp("help stop", "stop|s  -- stop emulation\r\n");
    check_hmp("? cont", "cont|c  -- resume emulation\r\n");
    check_hmp("help help", "help|? [cmd] -- show the help\r\n");
    check_hmp("help quit", "quit|q  -- quit the emulator\r\n");
    check_hmp("help system_reset", "system_reset  -- reset the system\r\n");
    check_hmp("help system_powerdown", "system_powerdown  -- send system power down event\r\n");
    check_hmp("help info status",
              "info status  -- show the current VM status (running|paused)\r\n");
    check_hmp("help info status x",
              "info status  -- show the current VM status (running|paused)\r\n");
    check_hmp("help info version", "info version  -- show the version of QEMU\r\n");
    check_hmp("help info name", "info name  -- show the current VM name\r\n");
    check_hmp("help info uuid", "info uuid  -- show the current VM UUID\r\n");
    check_hmp("help info kvm", "info kvm  -- show KVM information\r\n");
    check_hmp("help info chardev", "info chardev  -- show the character devices\r\n");
    check_hmp("help info history", "info history  -- show the command line history\r\n");
    check_hmp("help foo", "unknown command: 'foo'\r\n");
    check_hmp("help a b", "unknown command: 'a'\r\n");
    check_hmp("help info foo", "unknown command: 'info foo'\r\n");
}
END_TEST

/*
 * "help" alone: every entry as "name params -- help", sorted, each line
 * ending in \r\n (a multi-line help text keeps its own line breaks).
 */
START_TEST(test_help_all)
{
    char *out = hmp_run_command_line("help", &error_abort);
    GString *want = g_string_new(NULL);

    for (const HMPCommand *const *c = hmp_commands(); *c; c++) {
        gchar **parts = g_strsplit((*c)->help, "\n", -1);
        char *help = g_strjoinv("\r\n", parts);

        g_string_append_printf(want, "%s %s -- %s\r\n", (*c)->name, (*c)->params, help);
        g_free(help);
        g_strfreev(parts);
    }
    ck_assert_str_eq(out, want->str);
    ck_assert(strstr(out, "info [subcommand] -- show various information about the system "
                          "state\r\n"));
    g_string_free(want, TRUE);
    g_free(out);

    /* "info" alone and "help info" list the info table */
    out = hmp_run_command_line("info", &error_abort);
    ck_assert(strstr(out, "info chardev  -- show the character devices\r\n"
                          "info history  -- show the command line history\r\n"));
    for (const HMPCommand *const *c = hmp_info_commands(); *c; c++) {
        char *line = g_strdup_printf("info %s %s -- %s\r\n", (*c)->name, (*c)->params, (*c)->help);

        ck_assert(strstr(out, line));
        g_free(line);
    }
    check_hmp("help info", out);
    g_free(out);
}
END_TEST

START_TEST(test_errors)
{
    check_hmp("foo", "unknown command: 'foo'\r\n");
    check_hmp("  foo  bar", "unknown command: '  foo'\r\n");
    check_hmp("info foo", "unknown command: 'info foo'\r\n");
    check_hmp("stop x", "stop|s: extraneous characters at the end of line\r\n"
                        "Try \"help stop\" for more information\r\n");
    check_hmp("  info   status   x", "status: extraneous characters at the end of line\r\n"
                                     "Try \"help   info   status\" for more information\r\n");
    check_hmp("", "");
    check_hmp("   ", "");
    ck_assert_str_eq(calls->str, "");
}
END_TEST

START_TEST(test_commands_call_qmp)
{
    check_hmp("stop", "");
    check_hmp("info status", "VM status: paused\r\n");
    check_hmp("c", "");
    check_hmp("info status", "VM status: running\r\n");
    check_hmp("s", "");
    check_hmp("system_reset", "");
    check_hmp("system_powerdown", "");
    check_hmp("q", "");
    ck_assert_str_eq(calls->str, "stop;cont;stop;system_reset;system_powerdown;quit;");

    cont_fails = true;
    check_hmp("cont", "Error: Resetting the Virtual Machine is required\r\n");

    cur_state = RUN_STATE_PRELAUNCH;
    check_hmp("info status", "VM status: paused (prelaunch)\r\n");
    cur_state = RUN_STATE_SHUTDOWN;
    check_hmp("info status", "VM status: paused (shutdown)\r\n");
}
END_TEST

START_TEST(test_info)
{
    check_hmp("info version", "7.2.0minivm 0.1.0\r\n");
    check_hmp("info name", "");
    sysemu.name = "myvm";
    check_hmp("info name", "myvm\r\n");
    check_hmp("info uuid", "00000000-0000-0000-0000-000000000000\r\n");
    sysemu.uuid[0] = 0x12;
    sysemu.uuid[15] = 0xbc;
    check_hmp("info uuid", "12000000-0000-0000-0000-0000000000bc\r\n");
    check_hmp("info kvm", "kvm support: not compiled\r\n");
    sysemu.kvm_present = true;
    check_hmp("info kvm", "kvm support: disabled\r\n");
    sysemu.kvm_enabled = true;
    check_hmp("info kvm", "kvm support: enabled\r\n");
    check_hmp("info chardev", "");
    /* a captured monitor has no line editor, hence no history */
    check_hmp("info history", "");
}
END_TEST

/* ---------------------------------------------------------------- argument types */

static void noop(Monitor *mon, const json_t *args)
{
}

/* Parses 'line' for args_type; returns the args as JSON or "!<output>". */
static char *parse(const char *args_type, const char *line)
{
    HMPCommand cmd = {"cmd|c", args_type, "", "help", noop};
    Monitor *mon = hmp_capture_new();
    const char *p = line;
    json_t *args = hmp_parse_args(mon, &cmd, &p);
    char *out = hmp_capture_finish(mon);
    char *res;

    if (!args) {
        res = g_strdup_printf("!%s", out);
    } else {
        ck_assert_str_eq(out, "");
        ck_assert_int_eq(*p, '\0');
        res = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        json_decref(args);
    }
    g_free(out);
    return res;
}

#define check_parse(types, line, want)                                                             \
    do {                                                                                           \
        char *got_ = parse((types), (line));                                                       \
        ck_assert_msg(!strcmp(got_, (want)), "%s / '%s': got %s want %s", (types), (line), got_,   \
                      (want));                                                                     \
        free(got_);                                                                                \
    } while (0)

START_TEST(test_args_strings)
{
    check_parse("device:B", "  disk0  ", "{\"device\":\"disk0\"}");
    check_parse("device:B", "", "!cmd|c: block device name expected\r\n");
    check_parse("file:F", "", "!cmd|c: filename expected\r\n");
    check_parse("id:s", "", "!cmd|c: string expected\r\n");
    check_parse("id:s?", "", "{}");
    check_parse("id:s?", "   ", "{}");
    check_parse("a:s,b:s", "x y", "{\"a\":\"x\",\"b\":\"y\"}");
    check_parse("a:s", "x y", "!cmd|c: extraneous characters at the end of line\r\n");
    /* quoting and its escapes */
    check_parse("a:s", "\"a b\"", "{\"a\":\"a b\"}");
    check_parse("a:s", "\"q\\\"\\'\\\\\\n\\r\"", "{\"a\":\"q\\\"'\\\\\\n\\r\"}");
    check_parse("a:s", "\"a\\x\"", "!cmd|c: string expected\r\n");
    check_parse("a:s", "\"ab", "!cmd|c: string expected\r\n");
    /* the rest of the line */
    check_parse("a:S", "  x  y z ", "{\"a\":\"x  y z \"}");
    check_parse("a:S", "", "!cmd|c: string expected\r\n");
    check_parse("a:S?", "", "{}");
}
END_TEST

START_TEST(test_args_integers)
{
    check_parse("n:i", "42", "{\"n\":42}");
    check_parse("n:i", "0x10 ", "{\"n\":16}");
    check_parse("n:i", "010", "{\"n\":8}");
    check_parse("n:i", "1 + 2 * 3", "{\"n\":7}");
    check_parse("n:i", "(1 + 2) * 3", "{\"n\":9}");
    check_parse("n:l", "- ( 4 )", "{\"n\":-4}");
    /* QEMU binds & | ^ tighter than * */
    check_parse("n:l", "2 * 3 | 4", "{\"n\":14}");
    check_parse("n:l", "7 % 4 - 1 ^ 1", "{\"n\":3}");
    check_parse("n:l", "~0", "{\"n\":-1}");
    check_parse("n:l", "'a'", "{\"n\":97}");
    check_parse("n:l", "+5", "{\"n\":5}");
    check_parse("n:i", "", "!unexpected end of expression\r\n");
    check_parse("n:i", "x", "!invalid char 'x' in expression\r\n");
    check_parse("n:i", "1+", "!unexpected end of expression\r\n");
    check_parse("n:i", "(1", "!')' expected\r\n");
    check_parse("n:i", "1/0", "!division by zero\r\n");
    check_parse("n:i", "1%0", "!division by zero\r\n");
    check_parse("n:i", "99999999999", "!'cmd|c' has failed: integer is for 32-bit values\r\n");
    check_parse("n:i", "~0", "!'cmd|c' has failed: integer is for 32-bit values\r\n");
    check_parse("n:i", "0x", "!cmd|c: extraneous characters at the end of line\r\n");
    check_parse("n:i", "99999999999999999999999", "!number too large\r\n");
    check_parse("n:i", "'a", "!missing terminating ' character\r\n");
    check_parse("n:i", "'", "!character constant expected\r\n");
    check_parse("n:i", "$pc", "!unknown register\r\n");
    check_parse("n:i", "1 2", "!cmd|c: extraneous characters at the end of line\r\n");
    check_parse("n:i?", "", "{}");
    check_parse("n:l", "0x7fffffffffffffff", "{\"n\":9223372036854775807}");
    check_parse("n:M", "2", "{\"n\":2097152}");
    check_parse("n:M", "-1", "!enter a positive value\r\n");
}
END_TEST

START_TEST(test_args_sizes_times_bools)
{
    check_parse("s:o", "1", "{\"s\":1048576}");
    check_parse("s:o", "1k", "{\"s\":1024}");
    check_parse("s:o", "1.5k", "{\"s\":1536}");
    check_parse("s:o", "2G", "{\"s\":2147483648}");
    check_parse("s:o", "512B", "{\"s\":512}");
    check_parse("s:o", "0x10", "{\"s\":16}");
    check_parse("s:o", "-1", "!invalid size\r\n");
    check_parse("s:o", "foo", "!invalid size\r\n");
    check_parse("s:o", "", "!invalid size\r\n");
    check_parse("s:o", "1Q", "!cmd|c: extraneous characters at the end of line\r\n");
    check_parse("s:o", "1.5b", "!invalid size\r\n");
    check_parse("s:o", "16E", "!invalid size\r\n");
    check_parse("s:o?", "", "{}");

    check_parse("t:T", "1.5", "{\"t\":1.5}");
    check_parse("t:T", "250ms", "{\"t\":0.25}");
    check_parse("t:T", "5us", "{\"t\":5.0000000000000004e-6}");
    check_parse("t:T", "x", "!Number expected\r\n");
    check_parse("t:T", "1h", "!Unknown unit suffix\r\n");

    check_parse("b:b", "on", "{\"b\":true}");
    check_parse("b:b", "off", "{\"b\":false}");
    check_parse("b:b", "maybe", "!Expected 'on' or 'off'\r\n");
    check_parse("b:b", "", "!Expected 'on' or 'off'\r\n");
    check_parse("x:s,b:b", "a", "!Expected 'on' or 'off'\r\n");
}
END_TEST

START_TEST(test_args_flags)
{
    static const char *const types = "force:-f,speed:-s,device:B";

    check_parse(types, "-f dev", "{\"device\":\"dev\",\"force\":true}");
    check_parse(types, "-s dev", "{\"device\":\"dev\",\"speed\":true}");
    check_parse(types, "-f -s dev", "{\"device\":\"dev\",\"force\":true,\"speed\":true}");
    check_parse(types, "dev", "{\"device\":\"dev\"}");
    check_parse(types, "-x dev", "!cmd|c: unsupported option -x\r\n");
    check_parse(types, "-f", "!cmd|c: block device name expected\r\n");
    check_parse(types, "dev -f", "!cmd|c: extraneous characters at the end of line\r\n");
    check_parse("a:Z", "x", "!cmd|c: unknown type 'Z'\r\n");
}
END_TEST

START_TEST(test_try_help)
{
    /* the parse errors of real commands come with a pointer to help */
    check_hmp("info status x", "status: extraneous characters at the end of line\r\n"
                               "Try \"help info status\" for more information\r\n");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hmp-table");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_table_entries);
    tcase_add_test(tc, test_table_contents);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_help_all);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_commands_call_qmp);
    tcase_add_test(tc, test_info);
    tcase_add_test(tc, test_args_strings);
    tcase_add_test(tc, test_args_integers);
    tcase_add_test(tc, test_args_sizes_times_bools);
    tcase_add_test(tc, test_args_flags);
    tcase_add_test(tc, test_try_help);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
