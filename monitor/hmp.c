/*
 * HMP monitors: a line editor on a chardev, and the command interpreter
 * shared with human-monitor-command.  Main thread only.
 */
#include "util/osdep.h"

#include "monitor/hmp.h"
#include "monitor/monitor-internal.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-types.h"

#define HMP_PROMPT "(qemu) "
#define HMP_MAX_HELP_WORDS 16

/* ---------------------------------------------------------------- tables */

static int compare_entries(const void *a, const void *b)
{
    const HMPCommand *x = *(const HMPCommand *const *)a;
    const HMPCommand *y = *(const HMPCommand *const *)b;

    return strcmp(x->name, y->name);
}

/* Merges areas into one name-sorted list, as "help" shows them. */
static const HMPCommand **merge_areas(const HMPCommand *const *areas)
{
    GPtrArray *all = g_ptr_array_new();

    for (size_t a = 0; areas[a]; a++) {
        for (const HMPCommand *c = areas[a]; c->name; c++) {
            g_ptr_array_add(all, (gpointer)c);
        }
    }
    g_ptr_array_sort(all, compare_entries);
    g_ptr_array_add(all, NULL);
    return (const HMPCommand **)g_ptr_array_free(all, FALSE);
}

const HMPCommand *const *hmp_commands(void)
{
    static const HMPCommand **table;

    if (!table) {
        table = merge_areas(hmp_command_areas);
    }
    return table;
}

const HMPCommand *const *hmp_info_commands(void)
{
    static const HMPCommand **table;

    if (!table) {
        table = merge_areas(hmp_info_areas);
    }
    return table;
}

bool hmp_name_matches(const char *word, const char *names)
{
    size_t wlen = strlen(word);
    const char *p = names;

    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);

        if (len == wlen && !strncmp(p, word, len)) {
            return true;
        }
        if (!bar) {
            return false;
        }
        p = bar + 1;
    }
}

const HMPCommand *hmp_find(const HMPCommand *const *table, const char *word)
{
    for (size_t i = 0; table[i]; i++) {
        if (hmp_name_matches(word, table[i]->name)) {
            return table[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- running */

/* The word at *pp, up to the next blank; false for an empty line. */
static bool take_command_word(const char **pp, char **word)
{
    const char *p = *pp, *start;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    start = p;
    while (*p && !g_ascii_isspace(*p)) {
        p++;
    }
    if (p == start) {
        return false;
    }
    *word = g_strndup(start, p - start);
    *pp = p;
    return true;
}

void hmp_handle_command(Monitor *mon, const char *cmdline)
{
    const HMPCommand *const *table = hmp_commands();
    const HMPCommand *cmd;
    const char *p = cmdline;
    json_t *args;

    /* the command word, then for "info" the subcommand word */
    for (;;) {
        char *word;

        if (!take_command_word(&p, &word)) {
            return;
        }
        cmd = hmp_find(table, word);
        g_free(word);
        if (!cmd) {
            monitor_printf(mon, "unknown command: '%.*s'\n", (int)(p - cmdline), cmdline);
            return;
        }
        while (g_ascii_isspace(*p)) {
            p++;
        }
        if (!cmd->has_info_subcommands || !*p) {
            break;
        }
        table = hmp_info_commands();
    }

    args = hmp_parse_args(mon, cmd, &p);
    if (!args) {
        /* QEMU names the command as typed, up to where it was recognised */
        const char *end = p;

        while (end > cmdline && g_ascii_isspace(end[-1])) {
            end--;
        }
        monitor_printf(mon, "Try \"help %.*s\" for more information\n", (int)(end - cmdline),
                       cmdline);
        return;
    }
    cmd->cmd(mon, args);
    json_decref(args);
}

void hmp_handle_error(Monitor *mon, Error *err)
{
    if (err) {
        monitor_printf(mon, "Error: %s\n", error_get_pretty(err));
        error_free(err);
    }
}

/* ---------------------------------------------------------------- help */

static void help_dump_one(Monitor *mon, const HMPCommand *cmd, char **words, int depth)
{
    for (int i = 0; i < depth; i++) {
        monitor_printf(mon, "%s ", words[i]);
    }
    monitor_printf(mon, "%s %s -- %s\n", cmd->name, cmd->params, cmd->help);
}

static void help_dump(Monitor *mon, const HMPCommand *const *table, char **words, int nwords,
                      int depth)
{
    const HMPCommand *cmd;

    if (depth >= nwords) {
        for (size_t i = 0; table[i]; i++) {
            help_dump_one(mon, table[i], words, depth);
        }
        return;
    }
    cmd = hmp_find(table, words[depth]);
    if (!cmd) {
        monitor_printf(mon, "unknown command: '");
        for (int i = 0; i <= depth; i++) {
            monitor_printf(mon, "%s%s", words[i], i == depth ? "'\n" : " ");
        }
        return;
    }
    if (cmd->has_info_subcommands) {
        help_dump(mon, hmp_info_commands(), words, nwords, depth + 1);
    } else {
        help_dump_one(mon, cmd, words, depth);
    }
}

void hmp_help(Monitor *mon, const char *text)
{
    char *words[HMP_MAX_HELP_WORDS];
    int n = 0;
    const char *p = text ? text : "";

    while (n < HMP_MAX_HELP_WORDS && take_command_word(&p, &words[n])) {
        n++;
    }
    help_dump(mon, hmp_commands(), words, n, 0);
    for (int i = 0; i < n; i++) {
        g_free(words[i]);
    }
}

/* ---------------------------------------------------------------- completion */

static void complete_names(ReadLineState *rl, const HMPCommand *const *table, const char *prefix)
{
    size_t plen = strlen(prefix);

    readline_set_completion_index(rl, (int)plen);
    for (size_t i = 0; table[i]; i++) {
        gchar **names = g_strsplit(table[i]->name, "|", -1);

        for (gchar **n = names; *n; n++) {
            if (!strncmp(*n, prefix, plen)) {
                readline_add_completion(rl, *n);
            }
        }
        g_strfreev(names);
    }
}

/* Completes command names, info subcommands and the words of "help". */
static void hmp_complete(void *opaque, ReadLineState *rl, const char *line)
{
    gchar **words = g_strsplit_set(line, " \t", -1);
    GPtrArray *w = g_ptr_array_new();
    const char *last;
    const HMPCommand *first;

    for (gchar **p = words; *p; p++) {
        if (**p) {
            g_ptr_array_add(w, *p);
        }
    }
    /* after a blank, a new (empty) word is being typed */
    if (!*line || g_ascii_isspace(line[strlen(line) - 1])) {
        g_ptr_array_add(w, (gpointer) "");
    }
    last = g_ptr_array_index(w, w->len - 1);
    if (w->len == 1) {
        complete_names(rl, hmp_commands(), last);
    } else {
        first = hmp_find(hmp_commands(), g_ptr_array_index(w, 0));
        if (first && first->has_info_subcommands && w->len == 2) {
            complete_names(rl, hmp_info_commands(), last);
        } else if (first && hmp_name_matches("help", first->name)) {
            const HMPCommand *second =
                w->len == 3 ? hmp_find(hmp_commands(), g_ptr_array_index(w, 1)) : NULL;

            if (w->len == 2) {
                complete_names(rl, hmp_commands(), last);
            } else if (second && second->has_info_subcommands) {
                complete_names(rl, hmp_info_commands(), last);
            }
        }
    }
    g_ptr_array_free(w, TRUE);
    g_strfreev(words);
}

/* ---------------------------------------------------------------- the monitor */

char *hmp_banner(void)
{
    VersionInfo *v = qmp_query_version(NULL);
    char *s = g_strdup_printf("QEMU %" PRId64 ".%" PRId64 ".%" PRId64
                              " monitor - type 'help' for more information\n",
                              v->qemu->major, v->qemu->minor, v->qemu->micro);

    qapi_free_VersionInfo(v);
    return s;
}

static void hmp_write(void *opaque, const char *text)
{
    monitor_puts(opaque, text);
}

typedef struct HmpLine {
    const char *line;
} HmpLine;

static void hmp_run_line(Monitor *mon, void *opaque)
{
    HmpLine *l = opaque;

    hmp_handle_command(mon, l->line);
}

static void hmp_line(void *opaque, const char *line)
{
    Monitor *mon = opaque;
    unsigned gen = mon->generation;
    HmpLine l = {line};

    monitor_run_as(mon, hmp_run_line, &l);
    if (!mon->destroyed && !mon->suspended && mon->connected && mon->generation == gen) {
        readline_show_prompt(mon->rl);
    }
}

static void hmp_pump(Monitor *mon)
{
    if (mon->busy) {
        return;
    }
    mon->busy = true;
    while (!mon->destroyed && !mon->suspended && mon->pending->len) {
        GByteArray *in = mon->pending;
        unsigned gen = mon->generation;

        mon->pending = g_byte_array_new();
        for (guint i = 0;
             i < in->len && !mon->destroyed && !mon->suspended && mon->generation == gen; i++) {
            readline_handle_byte(mon->rl, in->data[i]);
        }
        g_byte_array_free(in, TRUE);
    }
    mon->busy = false;
    if (mon->destroyed) {
        monitor_hmp_destroy(mon);
    }
}

static int hmp_can_read(void *opaque)
{
    Monitor *mon = opaque;

    return mon->busy || mon->suspended ? 0 : 4096;
}

static void hmp_read(void *opaque, const uint8_t *buf, int size)
{
    Monitor *mon = opaque;

    g_byte_array_append(mon->pending, buf, size);
    hmp_pump(mon);
}

static void hmp_event(void *opaque, ChrEvent event)
{
    Monitor *mon = opaque;
    char *banner;

    mon->generation++;
    g_byte_array_set_size(mon->pending, 0);
    switch (event) {
    case CHR_EVENT_OPENED:
        mon->connected = true;
        readline_restart(mon->rl);
        banner = hmp_banner();
        monitor_puts(mon, banner);
        g_free(banner);
        readline_show_prompt(mon->rl);
        break;
    case CHR_EVENT_CLOSED:
        mon->connected = false;
        break;
    }
}

Monitor *monitor_new_hmp(Chardev *chr, Error **errp)
{
    Monitor *mon = g_new0(Monitor, 1);

    mon->chr = chr;
    mon->pending = g_byte_array_new();
    mon->rl = readline_new(HMP_PROMPT, hmp_write, hmp_line, hmp_complete, mon);
    if (!chardev_set_handlers(chr, hmp_can_read, hmp_read, hmp_event, mon, errp)) {
        readline_free(mon->rl);
        monitor_free(mon);
        return NULL;
    }
    monitor_register(mon);
    return mon;
}

void monitor_hmp_destroy(Monitor *mon)
{
    if (mon->chr && !mon->destroyed) {
        chardev_set_handlers(mon->chr, NULL, NULL, NULL, NULL, NULL);
    }
    readline_free(mon->rl);
    monitor_free(mon);
}

/* ---------------------------------------------------------------- capture */

Monitor *hmp_capture_new(void)
{
    Monitor *mon = g_new0(Monitor, 1);

    mon->capture = g_string_new(NULL);
    return mon;
}

char *hmp_capture_finish(Monitor *mon)
{
    char *out = g_string_free(mon->capture, FALSE);

    mon->capture = NULL;
    monitor_free(mon);
    return out;
}

typedef struct HmpCapture {
    const char *cmdline;
} HmpCapture;

static void hmp_run_captured(Monitor *mon, void *opaque)
{
    HmpCapture *c = opaque;

    hmp_handle_command(mon, c->cmdline);
}

char *hmp_run_command_line(const char *cmdline, Error **errp)
{
    Monitor *mon = hmp_capture_new();
    HmpCapture c = {cmdline};

    monitor_run_as(mon, hmp_run_captured, &c);
    return hmp_capture_finish(mon);
}
