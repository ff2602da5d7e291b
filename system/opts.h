/*
 * QEMU-style option strings: "value,key=value,key2=value2" with ",," as an
 * escaped comma, and the JSON form '{...}' that some options also accept.
 */
#ifndef SYSTEM_OPTS_H
#define SYSTEM_OPTS_H

#include <jansson.h>

#include "util/error.h"

/*
 * Parses "a=b,c=d".  Every value is a JSON string.  A first element without
 * '=' is stored under implied_key (error if implied_key is NULL).  A bare
 * "key" later in the list means "key=on" (QEMU's boolean shorthand); "nokey"
 * is not accepted (deprecated in QEMU).  A repeated key: the last one wins.
 * Errors use QEMU's texts, e.g. "Invalid parameter 'x'" is the caller's job;
 * syntax errors here are "Expected '=' after parameter 'x'".
 */
json_t *opts_parse(const char *str, const char *implied_key, Error **errp);

/*
 * Parses QEMU's dotted-key syntax (keyval) into nested objects:
 * "driver=qcow2,file.driver=file,file.filename=a.qcow2" gives
 * {"driver":"qcow2","file":{"driver":"file","filename":"a.qcow2"}}.
 * Scalars stay strings (the QAPI input in keyval mode converts them).
 * If str starts with '{' it is parsed as JSON instead and returned as is.
 */
json_t *keyval_parse(const char *str, const char *implied_key, Error **errp);

/* Typed getters for a flat string-valued object from opts_parse(). */
const char *opts_get_str(json_t *opts, const char *key);
/* Accepts on/off/yes/no/true/false; errors name the key:
 * "Parameter 'key' expects 'on' or 'off'". */
bool opts_get_bool(json_t *opts, const char *key, bool def, bool *out, Error **errp);
/* Accepts decimal or 0x hex. */
bool opts_get_number(json_t *opts, const char *key, uint64_t def, uint64_t *out, Error **errp);
/* Accepts sizes with suffixes k/K, M, G, T, P, E (powers of 1024); a bare
 * number is in 'default_suffix' units (1 for bytes, 1024*1024 for -m). */
bool parse_size(const char *str, uint64_t default_unit, uint64_t *out, Error **errp);
/* A size-valued key (bytes unless suffixed); errors name the key, e.g.
 * "Parameter 'maxmem' expects a non-negative number below 2^64". */
bool opts_get_size(json_t *opts, const char *key, uint64_t def, uint64_t *out, Error **errp);
/* Fails with "Invalid parameter 'k'" for any key of opts not in 'allowed'. */
bool opts_check_keys(json_t *opts, const char *const *allowed, Error **errp);

#endif
