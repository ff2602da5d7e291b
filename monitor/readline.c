/*
 * HMP line editing.  The screen is updated by diffing the line against
 * what was last drawn: when the text changed, the cursor walks back to
 * the start of the line, the whole line is rewritten and the rest of the
 * terminal line erased; then the cursor walks to its new place.  This is
 * what QEMU does after every input byte, and reproducing it byte for byte
 * keeps terminal-driven scripts working.
 */
#include "util/osdep.h"

#include "monitor/readline.h"

typedef enum EscState {
    ESC_NONE,
    ESC_SEEN, /* ESC */
    ESC_CSI,  /* ESC [ or 0x9B, maybe with a decimal parameter */
    ESC_SS3,  /* ESC O */
} EscState;

struct ReadLineState {
    char *prompt;
    ReadLineWriteFunc *write;
    ReadLineLineFunc *line_func;
    ReadLineCompletionFunc *complete;
    void *opaque;

    char buf[READLINE_CMD_BUF_SIZE + 1];
    int len, cursor;
    /* what the terminal shows */
    char shown[READLINE_CMD_BUF_SIZE + 1];
    int shown_len, shown_cursor;

    EscState esc;
    int esc_param;

    char *history[READLINE_MAX_CMDS];
    int hist_entry; /* entry being shown, -1 for the line being typed */

    char *completions[READLINE_MAX_COMPLETIONS];
    int nb_completions;
    int completion_index;
};

static void rl_printf(ReadLineState *rl, const char *fmt, ...) MINIVM_PRINTF(2, 3);

static void rl_printf(ReadLineState *rl, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    rl->write(rl->opaque, s);
    g_free(s);
}

static void rl_repeat(ReadLineState *rl, const char *seq, int n)
{
    GString *s = g_string_new(NULL);

    for (int i = 0; i < n; i++) {
        g_string_append(s, seq);
    }
    if (s->len) {
        rl->write(rl->opaque, s->str);
    }
    g_string_free(s, TRUE);
}

static void rl_redraw(ReadLineState *rl)
{
    if (rl->len != rl->shown_len || memcmp(rl->buf, rl->shown, rl->len) != 0) {
        GString *s = g_string_new(NULL);

        for (int i = 0; i < rl->shown_cursor; i++) {
            g_string_append(s, "\033[D");
        }
        g_string_append_len(s, rl->buf, rl->len);
        g_string_append(s, "\033[K");
        rl->write(rl->opaque, s->str);
        g_string_free(s, TRUE);
        memcpy(rl->shown, rl->buf, rl->len);
        rl->shown_len = rl->len;
        rl->shown_cursor = rl->len;
    }
    if (rl->cursor > rl->shown_cursor) {
        rl_repeat(rl, "\033[C", rl->cursor - rl->shown_cursor);
    } else if (rl->cursor < rl->shown_cursor) {
        rl_repeat(rl, "\033[D", rl->shown_cursor - rl->cursor);
    }
    rl->shown_cursor = rl->cursor;
}

void readline_show_prompt(ReadLineState *rl)
{
    rl->write(rl->opaque, rl->prompt);
    rl->shown_len = 0;
    rl->shown_cursor = 0;
    rl->esc = ESC_NONE;
}

void readline_restart(ReadLineState *rl)
{
    rl->len = rl->cursor = 0;
    rl->buf[0] = '\0';
    rl->shown_len = rl->shown_cursor = 0;
    rl->esc = ESC_NONE;
    rl->hist_entry = -1;
}

/* ---------------------------------------------------------------- editing */

static void rl_set_line(ReadLineState *rl, const char *text)
{
    g_strlcpy(rl->buf, text, sizeof(rl->buf));
    rl->len = rl->cursor = (int)strlen(rl->buf);
}

static void rl_insert(ReadLineState *rl, char ch)
{
    if (rl->len >= READLINE_CMD_BUF_SIZE) {
        return;
    }
    memmove(rl->buf + rl->cursor + 1, rl->buf + rl->cursor, rl->len - rl->cursor);
    rl->buf[rl->cursor++] = ch;
    rl->len++;
    rl->buf[rl->len] = '\0';
}

/* Removes [from, to) and leaves the cursor at 'from'. */
static void rl_cut(ReadLineState *rl, int from, int to)
{
    if (from >= to) {
        return;
    }
    memmove(rl->buf + from, rl->buf + to, rl->len - to);
    rl->len -= to - from;
    rl->buf[rl->len] = '\0';
    rl->cursor = from;
}

static void rl_backward(ReadLineState *rl)
{
    if (rl->cursor > 0) {
        rl->cursor--;
    }
}

static void rl_forward(ReadLineState *rl)
{
    if (rl->cursor < rl->len) {
        rl->cursor++;
    }
}

static void rl_bol(ReadLineState *rl)
{
    rl->cursor = 0;
}

static void rl_eol(ReadLineState *rl)
{
    rl->cursor = rl->len;
}

static void rl_delete(ReadLineState *rl)
{
    if (rl->cursor < rl->len) {
        int keep = rl->cursor;

        rl_cut(rl, keep, keep + 1);
    }
}

static void rl_backspace(ReadLineState *rl)
{
    if (rl->cursor > 0) {
        rl_cut(rl, rl->cursor - 1, rl->cursor);
    }
}

static void rl_kill_to_eol(ReadLineState *rl)
{
    int keep = rl->cursor;

    rl_cut(rl, keep, rl->len);
}

static void rl_kill_to_bol(ReadLineState *rl)
{
    rl_cut(rl, 0, rl->cursor);
}

/* Erases the spaces before the cursor and the word before them. */
static void rl_backward_word(ReadLineState *rl)
{
    int start = rl->cursor;

    while (start > 0 && g_ascii_isspace(rl->buf[start - 1])) {
        start--;
    }
    while (start > 0 && !g_ascii_isspace(rl->buf[start - 1])) {
        start--;
    }
    rl_cut(rl, start, rl->cursor);
}

static void rl_clear_screen(ReadLineState *rl)
{
    rl->write(rl->opaque, "\033[2J\033[1;1H");
    readline_show_prompt(rl);
}

/* ---------------------------------------------------------------- history */

static int rl_history_len(const ReadLineState *rl)
{
    int n = 0;

    while (n < READLINE_MAX_CMDS && rl->history[n]) {
        n++;
    }
    return n;
}

/* A repeated line moves to the end; a full history drops its oldest. */
static void rl_history_add(ReadLineState *rl, const char *line)
{
    int n = rl_history_len(rl);
    char *entry = NULL;

    if (!line[0]) {
        return;
    }
    rl->hist_entry = -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(rl->history[i], line)) {
            entry = rl->history[i];
            memmove(&rl->history[i], &rl->history[i + 1], (n - i - 1) * sizeof(char *));
            rl->history[--n] = NULL;
            break;
        }
    }
    if (!entry) {
        entry = g_strdup(line);
    }
    if (n == READLINE_MAX_CMDS) {
        g_free(rl->history[0]);
        memmove(&rl->history[0], &rl->history[1], (n - 1) * sizeof(char *));
        n--;
    }
    rl->history[n] = entry;
}

static void rl_history_up(ReadLineState *rl)
{
    if (rl->hist_entry == 0) {
        return;
    }
    if (rl->hist_entry == -1) {
        rl->hist_entry = rl_history_len(rl);
    }
    rl->hist_entry--;
    if (rl->hist_entry >= 0) {
        rl_set_line(rl, rl->history[rl->hist_entry]);
    }
}

static void rl_history_down(ReadLineState *rl)
{
    if (rl->hist_entry == -1) {
        return;
    }
    if (rl->hist_entry < READLINE_MAX_CMDS - 1 && rl->history[rl->hist_entry + 1]) {
        rl->hist_entry++;
        rl_set_line(rl, rl->history[rl->hist_entry]);
    } else {
        rl->hist_entry = -1;
        rl_set_line(rl, "");
    }
}

const char *readline_get_history(const ReadLineState *rl, int i)
{
    if (i < 0 || i >= READLINE_MAX_CMDS) {
        return NULL;
    }
    return rl->history[i];
}

/* ---------------------------------------------------------------- completion */

void readline_add_completion(ReadLineState *rl, const char *word)
{
    if (rl->nb_completions < READLINE_MAX_COMPLETIONS) {
        for (int i = 0; i < rl->nb_completions; i++) {
            if (!strcmp(rl->completions[i], word)) {
                return;
            }
        }
        rl->completions[rl->nb_completions++] = g_strdup(word);
    }
}

void readline_set_completion_index(ReadLineState *rl, int index)
{
    rl->completion_index = index;
}

static int compare_words(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Several candidates: complete their common prefix and list them in
 * columns of an 80-character terminal. */
static void rl_list_completions(ReadLineState *rl)
{
    int width = 0, prefix = (int)strlen(rl->completions[0]), cols, col = 0;

    qsort(rl->completions, rl->nb_completions, sizeof(char *), compare_words);
    for (int i = 0; i < rl->nb_completions; i++) {
        int len = (int)strlen(rl->completions[i]);
        int j = 0;

        while (j < prefix && j < len && rl->completions[i][j] == rl->completions[0][j]) {
            j++;
        }
        prefix = j;
        width = MAX(width, len);
    }
    for (int i = rl->completion_index; i < prefix; i++) {
        rl_insert(rl, rl->completions[0][i]);
    }
    width = CLAMP(width + 2, 10, 80);
    cols = 80 / width;
    rl->write(rl->opaque, "\n");
    for (int i = 0; i < rl->nb_completions; i++) {
        rl_printf(rl, "%-*s", width, rl->completions[i]);
        if (++col == cols || i == rl->nb_completions - 1) {
            rl->write(rl->opaque, "\n");
            col = 0;
        }
    }
    readline_show_prompt(rl);
}

static void rl_complete(ReadLineState *rl)
{
    char *before;

    if (!rl->complete) {
        return;
    }
    rl->nb_completions = 0;
    rl->completion_index = 0;
    before = g_strndup(rl->buf, rl->cursor);
    rl->complete(rl->opaque, rl, before);
    g_free(before);

    if (rl->nb_completions == 1) {
        const char *w = rl->completions[0];
        int len = (int)strlen(w);

        for (int i = rl->completion_index; i < len; i++) {
            rl_insert(rl, w[i]);
        }
        if (len > 0 && w[len - 1] != '/') {
            rl_insert(rl, ' ');
        }
    } else if (rl->nb_completions > 1) {
        rl_list_completions(rl);
    }
    for (int i = 0; i < rl->nb_completions; i++) {
        g_free(rl->completions[i]);
    }
    rl->nb_completions = 0;
}

/* ---------------------------------------------------------------- keys */

static void rl_enter(ReadLineState *rl)
{
    char *line = g_strndup(rl->buf, rl->len);

    rl_history_add(rl, line);
    rl->hist_entry = -1;
    rl->write(rl->opaque, "\n");
    rl->len = rl->cursor = 0;
    rl->buf[0] = '\0';
    rl->shown_len = rl->shown_cursor = 0;
    rl->line_func(rl->opaque, line);
    g_free(line);
}

typedef void KeyFunc(ReadLineState *rl);

/* Control keys (bytes below 0x20, DEL and the 8-bit CSI). */
static KeyFunc *const control_keys[256] = {
    [0x01] = rl_bol,           /* Ctrl-A */
    [0x04] = rl_delete,        /* Ctrl-D */
    [0x05] = rl_eol,           /* Ctrl-E */
    [0x08] = rl_backspace,     /* Ctrl-H */
    ['\t'] = rl_complete,      /* Tab */
    ['\n'] = rl_enter,         /* LF */
    [0x0b] = rl_kill_to_eol,   /* Ctrl-K */
    [0x0c] = rl_clear_screen,  /* Ctrl-L */
    ['\r'] = rl_enter,         /* CR */
    [0x15] = rl_kill_to_bol,   /* Ctrl-U */
    [0x17] = rl_backward_word, /* Ctrl-W */
    [0x7f] = rl_backspace,     /* DEL */
};

/* Final bytes of ESC [ sequences. */
static KeyFunc *csi_key(uint8_t ch)
{
    switch (ch) {
    case 'A':
        return rl_history_up;
    case 'B':
        return rl_history_down;
    case 'C':
        return rl_forward;
    case 'D':
        return rl_backward;
    default:
        return NULL;
    }
}

/* ESC [ n ~ */
static KeyFunc *csi_tilde_key(int param)
{
    switch (param) {
    case 1:
        return rl_bol;
    case 3:
        return rl_delete;
    case 4:
        return rl_eol;
    default:
        return NULL;
    }
}

static void rl_handle(ReadLineState *rl, uint8_t ch)
{
    KeyFunc *fn = NULL;

    switch (rl->esc) {
    case ESC_NONE:
        if (ch == 27) {
            rl->esc = ESC_SEEN;
        } else if (ch == 0x9b) {
            rl->esc = ESC_CSI;
            rl->esc_param = 0;
        } else if (control_keys[ch]) {
            fn = control_keys[ch];
        } else if (ch >= 32) {
            rl_insert(rl, (char)ch);
        }
        break;
    case ESC_SEEN:
        if (ch == '[') {
            rl->esc = ESC_CSI;
            rl->esc_param = 0;
        } else if (ch == 'O') {
            rl->esc = ESC_SS3;
        } else {
            rl->esc = ESC_NONE;
        }
        break;
    case ESC_CSI:
        if (g_ascii_isdigit(ch)) {
            rl->esc_param = MIN(rl->esc_param * 10 + (ch - '0'), 100000);
            break;
        }
        fn = ch == '~' ? csi_tilde_key(rl->esc_param) : csi_key(ch);
        rl->esc = ESC_NONE;
        break;
    case ESC_SS3:
        fn = ch == 'H' ? rl_bol : ch == 'F' ? rl_eol : NULL;
        rl->esc = ESC_NONE;
        break;
    }
    if (fn) {
        fn(rl);
    }
}

void readline_handle_byte(ReadLineState *rl, uint8_t ch)
{
    rl_handle(rl, ch);
    rl_redraw(rl);
}

const char *readline_get_line(const ReadLineState *rl)
{
    return rl->buf;
}

int readline_get_cursor(const ReadLineState *rl)
{
    return rl->cursor;
}

ReadLineState *readline_new(const char *prompt, ReadLineWriteFunc *write, ReadLineLineFunc *line,
                            ReadLineCompletionFunc *complete, void *opaque)
{
    ReadLineState *rl = g_new0(ReadLineState, 1);

    rl->prompt = g_strdup(prompt);
    rl->write = write;
    rl->line_func = line;
    rl->complete = complete;
    rl->opaque = opaque;
    rl->hist_entry = -1;
    return rl;
}

void readline_free(ReadLineState *rl)
{
    if (!rl) {
        return;
    }
    for (int i = 0; i < READLINE_MAX_CMDS; i++) {
        g_free(rl->history[i]);
    }
    g_free(rl->prompt);
    g_free(rl);
}
