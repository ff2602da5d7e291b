/*
 * The HMP line editor.  It sees one input byte at a time and redraws the
 * line with the same terminal sequences QEMU 7.2 writes (move left with
 * ESC [ D, rewrite, erase with ESC [ K), so scripts that drive the human
 * monitor through a terminal see identical output.
 *
 * Keys: printable bytes insert; Enter (CR or LF) submits; Backspace/DEL;
 * Ctrl-A/Home, Ctrl-E/End, Left, Right, Ctrl-D/Delete, Ctrl-W (erase the
 * word before the cursor), Ctrl-L (clear the screen), Up/Down (history),
 * Tab (completion).  Ctrl-K (erase to the end) and Ctrl-U (erase to the
 * start) are minivm additions; QEMU 7.2 ignores them.  Home/End arrive as
 * ESC [ 1 ~ / ESC [ 4 ~ or ESC O H / ESC O F, Delete as ESC [ 3 ~.
 */
#ifndef MONITOR_READLINE_H
#define MONITOR_READLINE_H

#include "util/osdep.h"

#define READLINE_CMD_BUF_SIZE 4095
#define READLINE_MAX_CMDS 64
#define READLINE_MAX_COMPLETIONS 256

typedef struct ReadLineState ReadLineState;

/* Terminal output; '\n' is translated to "\r\n" by the monitor. */
typedef void ReadLineWriteFunc(void *opaque, const char *text);
/* A submitted line (without the newline). */
typedef void ReadLineLineFunc(void *opaque, const char *line);
/*
 * Tab: 'line' is the text before the cursor.  The finder calls
 * readline_set_completion_index() with the length of the word being
 * completed and readline_add_completion() for every full candidate word.
 */
typedef void ReadLineCompletionFunc(void *opaque, ReadLineState *rl, const char *line);

ReadLineState *readline_new(const char *prompt, ReadLineWriteFunc *write, ReadLineLineFunc *line,
                            ReadLineCompletionFunc *complete, void *opaque);
void readline_free(ReadLineState *rl);

void readline_handle_byte(ReadLineState *rl, uint8_t ch);
/* Forgets the line being edited (a new client); history stays. */
void readline_restart(ReadLineState *rl);
/* Prints the prompt and forces the next redraw to rewrite the line. */
void readline_show_prompt(ReadLineState *rl);

void readline_add_completion(ReadLineState *rl, const char *word);
void readline_set_completion_index(ReadLineState *rl, int index);

/* The line being edited (NUL-terminated) and the cursor in it. */
const char *readline_get_line(const ReadLineState *rl);
int readline_get_cursor(const ReadLineState *rl);
/* History entry i, oldest first; NULL past the end. */
const char *readline_get_history(const ReadLineState *rl, int i);

#endif
