/*
 * Cutting a QMP byte stream into JSON messages: a lexer that turns bytes
 * into tokens, and a collector that groups tokens into messages by
 * counting brackets.  The lexer's states and the collector's decisions
 * follow QEMU 7.2 exactly, because a client's view of error recovery (how
 * many error replies a piece of garbage produces, and where parsing picks
 * up again) depends on them.
 */
#include "util/osdep.h"

#include "monitor/json-stream.h"

typedef enum LexState {
    LEX_START,
    LEX_RECOVERY,   /* after a lexical error: skipping to a sync point */
    LEX_KEYWORD,    /* [a-z]+ */
    LEX_SIGN,       /* '-' */
    LEX_ZERO,       /* a leading '0' */
    LEX_DIGITS,     /* [1-9][0-9]* */
    LEX_POINT,      /* digits '.' */
    LEX_FRACTION,   /* digits '.' [0-9]+ */
    LEX_EXP,        /* ... 'e' */
    LEX_EXP_SIGN,   /* ... 'e' [+-] */
    LEX_EXP_DIGITS, /* ... 'e' [+-]? [0-9]+ */
    LEX_STRING,     /* inside a string; quote says which kind */
    LEX_ESCAPE,     /* after a backslash inside a string */
} LexState;

/* What one input byte does to the lexer. */
typedef enum LexAction {
    ACT_TAKE,      /* append the byte, move to the new state */
    ACT_DROP,      /* consume the byte without keeping it */
    ACT_FINISH,    /* append the byte, the token is complete */
    ACT_LOOKAHEAD, /* the token ended before this byte; re-read it */
    ACT_FAIL,      /* append the byte, the token is a lexical error */
    ACT_RESYNC,    /* leave recovery; re-read this byte in LEX_START */
} LexAction;

typedef struct LexStep {
    LexAction action;
    LexState next;
    JsonTokenType type; /* for ACT_FINISH and ACT_LOOKAHEAD */
} LexStep;

struct JsonStream {
    JsonStreamEmit *emit;
    void *opaque;
    /* lexer */
    LexState state;
    char quote;
    GString *token;
    /* collector */
    GPtrArray *tokens; /* JsonToken * of the message being collected */
    GArray *bigints;   /* guint64, of the message being emitted */
    size_t token_size;
    int braces, brackets;
};

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* A number or keyword ends at any byte that cannot continue it. */
static LexStep step_ends(LexState next, JsonTokenType type, bool continues)
{
    if (continues) {
        return (LexStep){ACT_TAKE, next, 0};
    }
    return (LexStep){ACT_LOOKAHEAD, LEX_START, type};
}

static LexStep step_take(LexState next)
{
    return (LexStep){ACT_TAKE, next, 0};
}

static const LexStep step_fail = {ACT_FAIL, LEX_RECOVERY, 0};

static LexStep lex_start(JsonStream *js, unsigned char c)
{
    static const struct {
        char c;
        JsonTokenType type;
    } structural[] = {
        {'{', JSON_TOK_LCURLY},  {'}', JSON_TOK_RCURLY}, {'[', JSON_TOK_LSQUARE},
        {']', JSON_TOK_RSQUARE}, {':', JSON_TOK_COLON},  {',', JSON_TOK_COMMA},
    };

    for (size_t i = 0; i < ARRAY_SIZE(structural); i++) {
        if (c == (unsigned char)structural[i].c) {
            return (LexStep){ACT_FINISH, LEX_START, structural[i].type};
        }
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        return (LexStep){ACT_DROP, LEX_START, 0};
    }
    if (c == '"' || c == '\'') {
        js->quote = (char)c;
        return step_take(LEX_STRING);
    }
    if (c == '0') {
        return step_take(LEX_ZERO);
    }
    if (c >= '1' && c <= '9') {
        return step_take(LEX_DIGITS);
    }
    if (c == '-') {
        return step_take(LEX_SIGN);
    }
    if (c >= 'a' && c <= 'z') {
        return step_take(LEX_KEYWORD);
    }
    return step_fail;
}

static LexStep lex_recovery(unsigned char c)
{
    bool sync = (c < 0x20 && c != '\t') || c >= 0xFE || c == '{' || c == '}' || c == '[' ||
                c == ']' || c == ':' || c == ',';

    return (LexStep){sync ? ACT_RESYNC : ACT_DROP, sync ? LEX_START : LEX_RECOVERY, 0};
}

/* Inside strings only control characters and 0xFE/0xFF are lexical errors;
 * escapes and UTF-8 are checked by the parser. */
static bool string_byte_ok(unsigned char c)
{
    return c >= 0x20 && c <= 0xFD;
}

static LexStep lex_step(JsonStream *js, unsigned char c)
{
    switch (js->state) {
    case LEX_START:
        return lex_start(js, c);
    case LEX_RECOVERY:
        return lex_recovery(c);
    case LEX_KEYWORD:
        return step_ends(LEX_KEYWORD, JSON_TOK_KEYWORD, c >= 'a' && c <= 'z');
    case LEX_SIGN:
        if (c == '0') {
            return step_take(LEX_ZERO);
        }
        return is_digit(c) ? step_take(LEX_DIGITS) : step_fail;
    case LEX_ZERO:
        /* QEMU takes neither leading zeros nor an exponent right after 0 */
        if (is_digit(c)) {
            return step_fail;
        }
        return step_ends(LEX_POINT, JSON_TOK_INTEGER, c == '.');
    case LEX_DIGITS:
        if (c == '.') {
            return step_take(LEX_POINT);
        }
        if (c == 'e' || c == 'E') {
            return step_take(LEX_EXP);
        }
        return step_ends(LEX_DIGITS, JSON_TOK_INTEGER, is_digit(c));
    case LEX_POINT:
        return is_digit(c) ? step_take(LEX_FRACTION) : step_fail;
    case LEX_FRACTION:
        if (c == 'e' || c == 'E') {
            return step_take(LEX_EXP);
        }
        return step_ends(LEX_FRACTION, JSON_TOK_FLOAT, is_digit(c));
    case LEX_EXP:
        if (c == '+' || c == '-') {
            return step_take(LEX_EXP_SIGN);
        }
        return is_digit(c) ? step_take(LEX_EXP_DIGITS) : step_fail;
    case LEX_EXP_SIGN:
        return is_digit(c) ? step_take(LEX_EXP_DIGITS) : step_fail;
    case LEX_EXP_DIGITS:
        return step_ends(LEX_EXP_DIGITS, JSON_TOK_FLOAT, is_digit(c));
    case LEX_STRING:
        if (c == (unsigned char)js->quote) {
            return (LexStep){ACT_FINISH, LEX_START, JSON_TOK_STRING};
        }
        if (c == '\\') {
            return step_take(LEX_ESCAPE);
        }
        return string_byte_ok(c) ? step_take(LEX_STRING) : step_fail;
    case LEX_ESCAPE:
        return string_byte_ok(c) ? step_take(LEX_STRING) : step_fail;
    }
    g_assert_not_reached();
}

/* ---------------------------------------------------------------- collector */

static void collector_clear(JsonStream *js)
{
    g_ptr_array_set_size(js->tokens, 0);
    js->token_size = 0;
    js->braces = 0;
    js->brackets = 0;
}

static void collector_emit(JsonStream *js, json_t *value, Error *err)
{
    collector_clear(js);
    js->emit(js->opaque, value, err);
}

static void collector_fail(JsonStream *js, Error *err)
{
    g_array_set_size(js->bigints, 0);
    collector_emit(js, NULL, err);
}

/* Error texts print the token like a C string: up to its first NUL. */
static void collector_stray(JsonStream *js, const char *text)
{
    Error *err = NULL;

    error_setg(&err, "JSON parse error, stray '%s'", text);
    collector_fail(js, err);
}

static void collector_add(JsonStream *js, JsonTokenType type, const char *text, size_t len)
{
    JsonToken *tok;
    Error *err = NULL;
    json_t *value;

    switch (type) {
    case JSON_TOK_LCURLY:
        js->braces++;
        break;
    case JSON_TOK_RCURLY:
        js->braces--;
        break;
    case JSON_TOK_LSQUARE:
        js->brackets++;
        break;
    case JSON_TOK_RSQUARE:
        js->brackets--;
        break;
    default:
        break;
    }

    if (js->token_size + len + 1 > JSON_MAX_TOKEN_SIZE) {
        error_setg(&err, "JSON token size limit exceeded");
    } else if (js->tokens->len + 1 > JSON_MAX_TOKEN_COUNT) {
        error_setg(&err, "JSON token count limit exceeded");
    } else if (js->braces + js->brackets > JSON_MAX_NESTING) {
        error_setg(&err, "JSON nesting depth limit exceeded");
    }
    if (err) {
        collector_fail(js, err);
        return;
    }

    tok = g_malloc(sizeof(*tok) + len + 1);
    tok->type = type;
    tok->len = len;
    memcpy(tok->text, text, len);
    tok->text[len] = '\0';
    g_ptr_array_add(js->tokens, tok);
    js->token_size += len;

    /* A message ends when its brackets balance, or when a closing one
     * has no partner (the parser then reports it). */
    if ((js->braces > 0 || js->brackets > 0) && js->braces >= 0 && js->brackets >= 0) {
        return;
    }
    g_array_set_size(js->bigints, 0);
    value = json_parse_tokens((JsonToken *const *)js->tokens->pdata, js->tokens->len, js->bigints,
                              &err);
    collector_emit(js, value, err);
}

/* ---------------------------------------------------------------- lexer */

static void lex_byte(JsonStream *js, unsigned char c)
{
    for (;;) {
        LexStep st = lex_step(js, c);

        js->state = st.next;
        switch (st.action) {
        case ACT_TAKE:
            g_string_append_c(js->token, (char)c);
            break;
        case ACT_DROP:
            break;
        case ACT_FINISH:
            g_string_append_c(js->token, (char)c);
            collector_add(js, st.type, js->token->str, js->token->len);
            g_string_truncate(js->token, 0);
            break;
        case ACT_FAIL:
            g_string_append_c(js->token, (char)c);
            collector_stray(js, js->token->str);
            g_string_truncate(js->token, 0);
            break;
        case ACT_LOOKAHEAD:
            collector_add(js, st.type, js->token->str, js->token->len);
            g_string_truncate(js->token, 0);
            continue;
        case ACT_RESYNC:
            continue;
        }
        break;
    }

    /* One endless token (a huge string) is cut off here; what follows it
     * is lexed from scratch, as in QEMU. */
    if (js->token->len > JSON_MAX_TOKEN_SIZE) {
        Error *err = NULL;

        error_setg(&err, "JSON token size limit exceeded");
        collector_fail(js, err);
        g_string_truncate(js->token, 0);
        js->state = LEX_START;
    }
}

void json_stream_feed(JsonStream *js, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    for (size_t i = 0; i < len; i++) {
        lex_byte(js, p[i]);
    }
}

const GArray *json_stream_bigints(const JsonStream *js)
{
    return js->bigints;
}

void json_stream_reset(JsonStream *js)
{
    js->state = LEX_START;
    g_string_truncate(js->token, 0);
    collector_clear(js);
    g_array_set_size(js->bigints, 0);
}

JsonStream *json_stream_new(JsonStreamEmit *emit, void *opaque)
{
    JsonStream *js = g_new0(JsonStream, 1);

    js->emit = emit;
    js->opaque = opaque;
    js->token = g_string_new(NULL);
    js->tokens = g_ptr_array_new_with_free_func(g_free);
    js->bigints = g_array_new(FALSE, FALSE, sizeof(guint64));
    js->state = LEX_START;
    return js;
}

void json_stream_free(JsonStream *js)
{
    if (!js) {
        return;
    }
    g_string_free(js->token, TRUE);
    g_ptr_array_free(js->tokens, TRUE);
    g_array_free(js->bigints, TRUE);
    g_free(js);
}
