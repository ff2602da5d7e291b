/*
 * The HMP line editor: editing keys, escape sequences, history,
 * completion, and the exact terminal output (compared with what QEMU 7.2
 * writes for the same keys).
 */
#include <check.h>

#include "util/osdep.h"

#include "monitor/readline.h"

typedef struct Term {
    ReadLineState *rl;
    GString *out;
    GPtrArray *lines;
    const char *const *words; /* completion candidates */
} Term;

static void term_write(void *opaque, const char *text)
{
    Term *t = opaque;

    g_string_append(t->out, text);
}

static void term_line(void *opaque, const char *line)
{
    Term *t = opaque;

    g_ptr_array_add(t->lines, g_strdup(line));
}

/* Completes the last word of the line from t->words. */
static void term_complete(void *opaque, ReadLineState *rl, const char *line)
{
    Term *t = opaque;
    const char *word = strrchr(line, ' ');

    word = word ? word + 1 : line;
    readline_set_completion_index(rl, (int)strlen(word));
    for (size_t i = 0; t->words && t->words[i]; i++) {
        if (g_str_has_prefix(t->words[i], word)) {
            readline_add_completion(rl, t->words[i]);
        }
    }
}

static Term *term_new(void)
{
    Term *t = g_new0(Term, 1);

    t->out = g_string_new(NULL);
    t->lines = g_ptr_array_new_with_free_func(g_free);
    t->rl = readline_new("(qemu) ", term_write, term_line, term_complete, t);
    return t;
}

static void term_free(Term *t)
{
    readline_free(t->rl);
    g_string_free(t->out, TRUE);
    g_ptr_array_free(t->lines, TRUE);
    g_free(t);
}

static void term_type(Term *t, const char *keys)
{
    for (const char *p = keys; *p; p++) {
        readline_handle_byte(t->rl, (uint8_t)*p);
    }
}

/* Types keys and returns (and forgets) the output they produced. */
static char *term_output(Term *t, const char *keys)
{
    char *s;

    g_string_truncate(t->out, 0);
    term_type(t, keys);
    s = g_strdup(t->out->str);
    g_string_truncate(t->out, 0);
    return s;
}

#define check_line(t, text, cursor)                                                                \
    do {                                                                                           \
        ck_assert_str_eq(readline_get_line((t)->rl), (text));                                      \
        ck_assert_int_eq(readline_get_cursor((t)->rl), (cursor));                                  \
    } while (0)

START_TEST(test_insert_and_echo)
{
    Term *t = term_new();
    char *out;

    /* QEMU redraws the line after each byte */
    out = term_output(t, "in");
    ck_assert_str_eq(out, "i\033[K\033[Din\033[K");
    g_free(out);
    check_line(t, "in", 2);
    out = term_output(t, "\033[D");
    ck_assert_str_eq(out, "\033[D");
    g_free(out);
    check_line(t, "in", 1);
    /* inserting in the middle rewrites the line and moves back */
    out = term_output(t, "X");
    ck_assert_str_eq(out, "\033[DiXn\033[K\033[D");
    g_free(out);
    check_line(t, "iXn", 2);
    term_free(t);
}
END_TEST

START_TEST(test_cursor_keys)
{
    Term *t = term_new();
    char *out;

    term_type(t, "abc de\033[D\033[D");
    check_line(t, "abc de", 4);
    /* home and end spellings QEMU knows; CSI H/F are ignored, as in QEMU */
    term_type(t, "\033[H");
    check_line(t, "abc de", 4);
    term_type(t, "\033[F");
    check_line(t, "abc de", 4);
    out = term_output(t, "\033OH");
    ck_assert_str_eq(out, "\033[D\033[D\033[D\033[D");
    g_free(out);
    check_line(t, "abc de", 0);
    out = term_output(t, "\033OF");
    ck_assert_str_eq(out, "\033[C\033[C\033[C\033[C\033[C\033[C");
    g_free(out);
    term_type(t, "\033[1~");
    check_line(t, "abc de", 0);
    term_type(t, "\033[4~");
    check_line(t, "abc de", 6);
    term_type(t, "\001");
    check_line(t, "abc de", 0);
    term_type(t, "\005");
    check_line(t, "abc de", 6);
    /* right at the end and left at the start stay put */
    term_type(t, "\033[C");
    check_line(t, "abc de", 6);
    term_type(t, "\001\033[D");
    check_line(t, "abc de", 0);
    term_type(t, "\033[C\033[C");
    check_line(t, "abc de", 2);
    /* unknown sequences are swallowed whole */
    term_type(t, "\033[7~\033[2~\033[5~\033x\033OA\033"
                 "1");
    check_line(t, "abc de", 2);
    /* 8-bit CSI */
    term_type(t, "\x9b"
                 "C");
    check_line(t, "abc de", 3);
    term_free(t);
}
END_TEST

START_TEST(test_deleting)
{
    Term *t = term_new();
    char *out;

    term_type(t, "abc de\033[D\033[D");
    /* Ctrl-W erases the word before the cursor and the blanks after it */
    out = term_output(t, "\027");
    ck_assert_str_eq(out, "\033[D\033[D\033[D\033[Dde\033[K\033[D\033[D");
    g_free(out);
    check_line(t, "de", 0);

    term_type(t, "\001\013abc de\033[D\033[D");
    out = term_output(t, "\004");
    ck_assert_str_eq(out, "\033[D\033[D\033[D\033[Dabc e\033[K\033[D");
    g_free(out);
    check_line(t, "abc e", 4);
    term_type(t, "\033[3~");
    check_line(t, "abc ", 4);
    term_type(t, "\033[3~");
    check_line(t, "abc ", 4);
    term_type(t, "\177");
    check_line(t, "abc", 3);
    term_type(t, "\010");
    check_line(t, "ab", 2);
    term_type(t, "\001\177");
    check_line(t, "ab", 0);

    /* minivm's Ctrl-K and Ctrl-U */
    term_type(t, "\005xyz\033[D\033[D\013");
    check_line(t, "abx", 3);
    term_type(t, "\033[D\025");
    check_line(t, "x", 0);
    /* Ctrl-W over leading blanks only */
    term_type(t, "\001\013   \027");
    check_line(t, "", 0);
    term_free(t);
}
END_TEST

START_TEST(test_enter)
{
    Term *t = term_new();
    char *out;

    term_type(t, "stop");
    out = term_output(t, "\r");
    ck_assert_str_eq(out, "\n");
    g_free(out);
    ck_assert_uint_eq(t->lines->len, 1);
    ck_assert_str_eq(g_ptr_array_index(t->lines, 0), "stop");
    check_line(t, "", 0);
    /* CR LF submits twice, the second time an empty line, as in QEMU */
    term_type(t, "cont\r\n");
    ck_assert_uint_eq(t->lines->len, 3);
    ck_assert_str_eq(g_ptr_array_index(t->lines, 1), "cont");
    ck_assert_str_eq(g_ptr_array_index(t->lines, 2), "");
    /* control characters without a meaning are ignored */
    term_type(t, "a\003\002\006\020\016b\n");
    ck_assert_str_eq(g_ptr_array_index(t->lines, 3), "ab");
    term_free(t);
}
END_TEST

START_TEST(test_history)
{
    Term *t = term_new();
    char *out;

    /* up with no history does nothing */
    term_type(t, "\033[A");
    check_line(t, "", 0);
    term_type(t, "stop\ninfo x\n\n");
    ck_assert_str_eq(readline_get_history(t->rl, 0), "stop");
    ck_assert_str_eq(readline_get_history(t->rl, 1), "info x");
    ck_assert_ptr_null(readline_get_history(t->rl, 2));

    term_type(t, "abc de\033[D\033[D");
    out = term_output(t, "\033[A");
    ck_assert_str_eq(out, "\033[D\033[D\033[D\033[Dinfo x\033[K");
    g_free(out);
    check_line(t, "info x", 6);
    term_type(t, "\033[A");
    check_line(t, "stop", 4);
    term_type(t, "\033[A");
    check_line(t, "stop", 4);
    term_type(t, "\033[B");
    check_line(t, "info x", 6);
    /* past the newest entry: an empty line */
    term_type(t, "\033[B");
    check_line(t, "", 0);
    term_type(t, "\033[B");
    check_line(t, "", 0);

    /* a repeated line moves to the end */
    term_type(t, "stop\n");
    ck_assert_str_eq(readline_get_history(t->rl, 0), "info x");
    ck_assert_str_eq(readline_get_history(t->rl, 1), "stop");
    ck_assert_ptr_null(readline_get_history(t->rl, 2));
    term_free(t);
}
END_TEST

START_TEST(test_history_limit)
{
    Term *t = term_new();

    for (int i = 0; i < READLINE_MAX_CMDS + 5; i++) {
        char *line = g_strdup_printf("cmd%d\n", i);

        term_type(t, line);
        g_free(line);
    }
    ck_assert_str_eq(readline_get_history(t->rl, 0), "cmd5");
    ck_assert_str_eq(readline_get_history(t->rl, READLINE_MAX_CMDS - 1), "cmd68");
    ck_assert_ptr_null(readline_get_history(t->rl, READLINE_MAX_CMDS));
    term_type(t, "\033[A");
    check_line(t, "cmd68", 5);
    term_free(t);
}
END_TEST

START_TEST(test_completion)
{
    static const char *const words[] = {
        "info",          "sync-profile", "system_powerdown", "system_reset",
        "system_wakeup", "stats",        "status",           NULL};
    Term *t = term_new();
    char *out;

    t->words = words;
    /* one candidate: completed, plus a blank */
    term_type(t, "in\t");
    check_line(t, "info ", 5);
    /* several: the common prefix, then a listing in columns and the prompt */
    term_type(t, "sta");
    out = term_output(t, "\t");
    ck_assert_str_eq(out, "\nstats     status    \n(qemu) info stat\033[K");
    g_free(out);
    check_line(t, "info stat", 9);

    term_type(t, "\001\013sy");
    out = term_output(t, "\t");
    ck_assert_str_eq(out,
                     "\nsync-profile      system_powerdown  system_reset      system_wakeup     \n"
                     "(qemu) sy\033[K");
    g_free(out);
    /* no candidate: nothing happens */
    term_type(t, "\001\013zz");
    out = term_output(t, "\t");
    ck_assert_str_eq(out, "");
    g_free(out);
    check_line(t, "zz", 2);
    term_free(t);
}
END_TEST

START_TEST(test_clear_screen_and_prompt)
{
    Term *t = term_new();
    char *out;

    readline_show_prompt(t->rl);
    ck_assert_str_eq(t->out->str, "(qemu) ");
    term_type(t, "x");
    out = term_output(t, "\014");
    ck_assert_str_eq(out, "\033[2J\033[1;1H(qemu) x\033[K");
    g_free(out);

    readline_restart(t->rl);
    check_line(t, "", 0);
    out = term_output(t, "y");
    ck_assert_str_eq(out, "y\033[K");
    g_free(out);
    term_free(t);
}
END_TEST

START_TEST(test_line_limit)
{
    Term *t = term_new();

    for (int i = 0; i < READLINE_CMD_BUF_SIZE + 10; i++) {
        readline_handle_byte(t->rl, 'a');
    }
    ck_assert_uint_eq(strlen(readline_get_line(t->rl)), READLINE_CMD_BUF_SIZE);
    term_type(t, "\n");
    ck_assert_uint_eq(strlen(g_ptr_array_index(t->lines, 0)), READLINE_CMD_BUF_SIZE);
    term_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("readline");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_insert_and_echo);
    tcase_add_test(tc, test_cursor_keys);
    tcase_add_test(tc, test_deleting);
    tcase_add_test(tc, test_enter);
    tcase_add_test(tc, test_history);
    tcase_add_test(tc, test_history_limit);
    tcase_add_test(tc, test_completion);
    tcase_add_test(tc, test_clear_screen_and_prompt);
    tcase_add_test(tc, test_line_limit);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
