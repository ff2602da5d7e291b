/*
 * HMP commands as data.
 *
 * A command is a table entry: its name ("stop|s" lists aliases), the types
 * of its arguments, a synopsis and help text for "help", and a handler.
 * Every handler converts its arguments and calls the same C function as
 * the QMP command it mirrors (hmp "stop" -> qmp_stop()), then prints the
 * result or "Error: <message>" (hmp_handle_error()).
 *
 * args_type is a comma-separated list of "key:T" where T is one of:
 *   s  a word or a "quoted string" (\n \r \\ \' \" escapes)
 *   F  a file name          B  a block device name      (both like 's')
 *   S  the rest of the line
 *   i  a 32-bit integer expression    l  a 64-bit integer expression
 *   M  an integer expression in MiB (stored in bytes)
 *   o  a size with optional suffix B K M G T P E (default unit MiB)
 *   T  a time in seconds, suffix ms/us/ns allowed (stored as a real)
 *   b  "on" or "off"
 *   -X a flag "-X" (stored as true when given)
 * A '?' after T makes the argument optional.  QEMU's 'O' (option lists,
 * device_add) and '/' (x/fmt) types are not implemented yet.  Expressions take + - * / %
 * & | ^ ~, parentheses, character constants and 0x/0 prefixes, with QEMU's
 * precedence and error texts.  Parsed arguments arrive in a JSON object
 * under their keys; absent optional arguments are missing from it.
 */
#ifndef MONITOR_HMP_H
#define MONITOR_HMP_H

#include <jansson.h>

#include "monitor/monitor.h"

typedef void HMPHandler(Monitor *mon, const json_t *args);

typedef struct HMPCommand {
    const char *name;
    const char *args_type;
    const char *params;
    const char *help;
    HMPHandler *cmd;
    /* "info": the word after it names an entry of the info table; alone
     * it runs cmd. */
    bool has_info_subcommands;
} HMPCommand;

/*
 * The tables.  Each area of minivm defines its entries in its own
 * monitor/hmp-cmds-<area>.c as arrays ending with an all-NULL entry and
 * lists them in hmp_command_areas / hmp_info_areas (hmp-cmds.c).  Both
 * lists end with NULL.
 */
extern const HMPCommand *const hmp_command_areas[];
extern const HMPCommand *const hmp_info_areas[];

/* All entries of the lists above, sorted by name, NULL-terminated. */
const HMPCommand *const *hmp_commands(void);
const HMPCommand *const *hmp_info_commands(void);

/* Whether 'word' is one of the '|'-separated names in 'names'. */
bool hmp_name_matches(const char *word, const char *names);
const HMPCommand *hmp_find(const HMPCommand *const *table, const char *word);

/* Runs one command line on mon; errors are printed on mon, as in QEMU. */
void hmp_handle_command(Monitor *mon, const char *cmdline);

/*
 * Parses the arguments at *p for cmd.  On success returns them and moves
 * *p to the end of the line; on failure prints QEMU's message on mon and
 * returns NULL.
 */
json_t *hmp_parse_args(Monitor *mon, const HMPCommand *cmd, const char **p);

/* "help [words]": synopsis of one command, one info subcommand, or all. */
void hmp_help(Monitor *mon, const char *words);

/* Prints "Error: <msg>" for err (if set) and frees it. */
void hmp_handle_error(Monitor *mon, Error *err);

/* Argument accessors; the defaults apply when the argument is absent. */
const char *hmp_arg_str(const json_t *args, const char *key);
int64_t hmp_arg_int(const json_t *args, const char *key, int64_t def);
bool hmp_arg_bool(const json_t *args, const char *key, bool def);
double hmp_arg_real(const json_t *args, const char *key, double def);
bool hmp_arg_has(const json_t *args, const char *key);

/* A monitor whose output is kept in memory (human-monitor-command). */
Monitor *hmp_capture_new(void);
/* Frees mon and returns what was printed on it. */
char *hmp_capture_finish(Monitor *mon);

/* The banner printed when a client connects. */
char *hmp_banner(void);

#endif
