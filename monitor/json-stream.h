/*
 * QMP's JSON input and output, byte-compatible with QEMU 7.2.
 *
 * Input: a client writes JSON values back to back, split across reads at
 * arbitrary points.  JsonStream cuts the byte stream into top-level values
 * (one per request) and turns each into a jansson value, or into an error
 * with QEMU's text.  After an error it resynchronises the way QEMU does, so
 * a client sees the same sequence of replies for the same garbage:
 *  - a lexical error ("JSON parse error, stray '<bytes>'") makes the lexer
 *    skip input up to the next structural character ({ } [ ] : ,), ASCII
 *    control character other than tab, or byte 0xFE/0xFF;
 *  - a syntax error ("JSON parse error, <what>") drops the message;
 *  - the limits (64 MiB of token text, 2^21 tokens, nesting depth 1024)
 *    drop what was collected; the rest of the input is lexed normally.
 * QEMU's extensions are kept: single-quoted strings, "\'" escapes.
 * Strings must be (modified) UTF-8; "\u0000" and "\xC0\x80" give U+0000.
 * Integers beyond int64 become reals (jansson has no uint64).
 *
 * Output: json_stream_format() writes QEMU's text form: ", " and ": "
 * separators, every non-ASCII or control character as \uXXXX (uppercase
 * hex, surrogate pairs), invalid UTF-8 as \uFFFD, reals as %.17g; pretty
 * mode puts every member on its own line indented by four spaces.
 */
#ifndef MONITOR_JSON_STREAM_H
#define MONITOR_JSON_STREAM_H

#include <jansson.h>

#include "util/error.h"

/* The limits on one message, QEMU's values. */
#define JSON_MAX_TOKEN_SIZE (64u << 20)
#define JSON_MAX_TOKEN_COUNT (2u << 20)
#define JSON_MAX_NESTING 1024

typedef enum JsonTokenType {
    JSON_TOK_LCURLY,
    JSON_TOK_RCURLY,
    JSON_TOK_LSQUARE,
    JSON_TOK_RSQUARE,
    JSON_TOK_COLON,
    JSON_TOK_COMMA,
    JSON_TOK_INTEGER,
    JSON_TOK_FLOAT,
    JSON_TOK_KEYWORD,
    JSON_TOK_STRING,
} JsonTokenType;

typedef struct JsonToken {
    JsonTokenType type;
    size_t len;
    char text[]; /* NUL-terminated, exactly as lexed */
} JsonToken;

/*
 * Called once per message: with the value (a new reference the callee
 * owns) or with the error (the callee owns it); exactly one is non-NULL.
 * It must not feed or free the stream it was called from.
 */
typedef void JsonStreamEmit(void *opaque, json_t *value, Error *err);

typedef struct JsonStream JsonStream;

JsonStream *json_stream_new(JsonStreamEmit *emit, void *opaque);
void json_stream_free(JsonStream *js);
/* Consumes all of buf, calling emit for every message completed in it. */
void json_stream_feed(JsonStream *js, const void *buf, size_t len);
/* Forgets any partial message and lexer state (a new connection). */
void json_stream_reset(JsonStream *js);

/*
 * Parses a complete token sequence into a value (json-parser.c).  Returns
 * NULL with *errp set on a syntax error.  Integers beyond int64 (held as
 * reals) are also appended to 'bigints' (guint64), when it is not NULL.
 */
json_t *json_parse_tokens(JsonToken *const *tokens, size_t count, GArray *bigints, Error **errp);

/*
 * While emit runs: the integers of the message that lie beyond int64
 * (guint64).  QEMU echoes such a request "id" as an integer; passing them
 * to json_stream_format_exact() lets the reply do the same.
 */
const GArray *json_stream_bigints(const JsonStream *js);

/* Text of v as QEMU prints it, without a trailing newline.  Free it. */
char *json_stream_format(const json_t *v, bool pretty);
/* The same, writing a real equal to one of 'bigints' as that integer. */
char *json_stream_format_exact(const json_t *v, bool pretty, const GArray *bigints);

/*
 * Decodes one modified-UTF-8 character at s (at most n bytes).  Returns the
 * code point, or -1 for an invalid sequence; *len gets the bytes consumed
 * (at least 1 when n > 0).  Overlong "\xC0\x80" is accepted as U+0000.
 */
int json_utf8_decode(const unsigned char *s, size_t n, size_t *len);

#endif
