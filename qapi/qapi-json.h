/*
 * QAPI runtime: what the generated code (and code using it) needs to convert
 * between JSON (jansson json_t) and the C types generated from the schema.
 *
 * Usage note
 * ----------
 * scripts/qapi-gen.py turns qapi/schema.json (which includes the other
 * qapi/<area>.json files) into, in build-dir/qapi/:
 *   qapi-types.h      C types: struct Foo, FooList, enums, unions, alternates;
 *                     void qapi_free_Foo(Foo *) deep-frees any of them.
 *   qapi-visit.h      conversions, for every struct/union/alternate/list Foo:
 *       bool qapi_parse_Foo(json_t *in, bool keyval, Foo **out, Error **errp);
 *       json_t *qapi_to_json_Foo(const Foo *obj);     (new reference)
 *       Foo *qapi_clone_Foo(const Foo *obj);          (QAPI_CLONE(Foo, obj))
 *     plus the building blocks qapi_from_json_Foo(), _members(), _inplace()
 *     for nesting conversions inside a QapiInput.  Enums: Foo_str(value),
 *     Foo_lookup, qapi_from_json_Foo() and qapi_to_json_Foo(value).
 *   qapi-commands.h   prototypes of the qmp_<command>() functions that
 *                     hand-written code implements, the marshallers and
 *                     qmp_init_marshal() (registers them all).
 *   qapi-events.h     void qapi_event_send_<event>(members...).
 *   qapi-builtin-*.h  strList, intList, ..., QType (included by the above).
 * Include "qapi/qapi-types.h", "qapi/qapi-visit.h", "qapi/qapi-commands.h",
 * "qapi/qapi-events.h" as needed.
 *
 * C conventions are QEMU 7.2's: members in schema order, base members
 * first, "bool has_x" before every optional member (pointers included),
 * lists are { FooList *next; Foo value; } chains (NULL is the empty list;
 * QAPI_LIST_PREPEND/APPEND/LENGTH help), unions carry their branches in
 * "union { ... } u" (by value), alternates have "QType type" and "u".  Names:
 * '-' becomes '_', C keywords get "q_" (typename -> q_typename).  'any' and
 * 'null' values are json_t * (owned references); 'str' is char *.
 *
 * Commands: qmp_<command>() receives arguments it does not own (copy what
 * it keeps; the marshaller frees them) and returns a result it hands over
 * (the marshaller converts and frees it).  On error it sets *errp and
 * returns NULL/0.  Optional arguments come as "bool has_x, T x"; 'boxed'
 * commands get one "Args *arg".  'gen': false commands get no prototype or
 * marshaller, except query-qmp-schema, which qapi-introspect.c implements
 * entirely (nothing hand-written; qmp_init_marshal() registers it).
 *
 * Parsing JSON into C:
 *     BlockdevOptions *opts;
 *     if (!qapi_parse_BlockdevOptions(json, false, &opts, errp)) {
 *         return;
 *     }
 *     ...
 *     qapi_free_BlockdevOptions(opts);
 * With keyval=true the scalars may be strings, as keyval_parse() (system/
 * opts.h) produces them from "key=value,a.b=c": bools are on/off (also
 * yes/no, true/false, y/n), integers decimal, 0x hex or 0 octal, sizes take
 * k/M/G/T/P/E suffixes.  List indexes then show as "a.0" in errors.
 *
 * Error texts are QEMU 7.2's, with the member path ("file.driver",
 * "actions[0].type"):
 *   Parameter 'x' is missing           Parameter 'x' is unexpected
 *   Invalid parameter type for 'x', expected: integer|number|boolean|string|
 *                                             object|array|null|<Alternate>
 *   Parameter 'x' expects uint64       (non-integer for unsigned types)
 *   Parameter 'x' expects uint8_t      (out of range; bare member name, or
 *                                       'null' inside a list, as QEMU does)
 *   Parameter 'x' does not accept value 'v'   (enums: bare name, as QEMU)
 *   keyval: Parameter 'x' expects integer | size | 'on' or 'off',
 *           Parameters 'x.*' are unexpected
 *
 * JSON numbers: uint64/size values above INT64_MAX are written as JSON
 * reals (jansson has no unsigned integers) and read back from reals.
 *
 * C -> JSON writes object members in schema order.  qapi_json_qdict_order()
 * reorders a JSON value the way QEMU's QDict prints it, for byte-exact
 * output where that matters.
 */
#ifndef QAPI_QAPI_JSON_H
#define QAPI_QAPI_JSON_H

#include <jansson.h>

#include "util/error.h"

/* ---------------------------------------------------------------- enums */

/* The value names of an enum, indexed by value: Foo_lookup. */
typedef struct QEnumLookup {
    const char *const *array;
    int size;
} QEnumLookup;

/* Name of val, or NULL when out of range. */
const char *qapi_enum_lookup(const QEnumLookup *lookup, int val);
/* Value named buf; def when buf is NULL.  Unknown names: errp gets
 * "invalid parameter value: <buf>" and def is returned. */
int qapi_enum_parse(const QEnumLookup *lookup, const char *buf, int def, Error **errp);

/* ---------------------------------------------------------------- lists */

/* Every generated list type starts like this. */
typedef struct GenericList {
    struct GenericList *next;
} GenericList;

/* Pushes element at the front of list (a FooList * variable). */
#define QAPI_LIST_PREPEND(list, element)                                                           \
    do {                                                                                           \
        __typeof__(list) qapi_node_ = g_malloc0(sizeof(*(list)));                                  \
        qapi_node_->value = (element);                                                             \
        qapi_node_->next = (list);                                                                 \
        (list) = qapi_node_;                                                                       \
    } while (0)

/* Appends at *tail (a FooList ** that starts as &head) and advances tail. */
#define QAPI_LIST_APPEND(tail, element)                                                            \
    do {                                                                                           \
        *(tail) = g_malloc0(sizeof(**(tail)));                                                     \
        (*(tail))->value = (element);                                                              \
        (tail) = &(*(tail))->next;                                                                 \
    } while (0)

size_t qapi_list_length(const void *list);
#define QAPI_LIST_LENGTH(list) qapi_list_length(list)

#define QAPI_CLONE(type, obj) qapi_clone_##type(obj)

/* ---------------------------------------------------------------- JSON -> C */

/*
 * A conversion keeps a stack of the objects and arrays it is inside of, on
 * the C stack of the generated functions, to name members in errors and to
 * find members that nobody asked for.
 */
typedef struct QapiFrame {
    struct QapiFrame *up;
    json_t *value;     /* the object or array being converted */
    const char *name;  /* its member name in the parent, NULL in an array */
    size_t index;      /* array: index of the element being converted */
    const char **seen; /* object: members looked up so far */
    size_t nseen, seen_cap;
    bool pushed;
} QapiFrame;

typedef struct QapiInput {
    bool keyval; /* scalars arrive as strings (command line) */
    QapiFrame *top;
} QapiInput;

void qapi_input_init(QapiInput *ctx, bool keyval);

/* Full name of member 'name' of the current container, QEMU style:
 * "a.b", "a[0]" ("a.0" in keyval mode), "<anonymous>" at the root.  Free. */
char *qapi_input_path(const QapiInput *ctx, const char *name);

/* Enters the object 'in' (NULL: missing) named 'name'; on failure nothing
 * is pushed, but qapi_input_end() may still be called. */
bool qapi_input_start_object(QapiInput *ctx, QapiFrame *fr, json_t *in, const char *name,
                             Error **errp);
/* Member 'key' of the current object (borrowed, NULL if absent); records
 * the lookup for qapi_input_check_object(). */
json_t *qapi_input_member(QapiInput *ctx, const char *key);
/* Fails with "Parameter 'x' is unexpected" for a member never looked up. */
bool qapi_input_check_object(QapiInput *ctx, Error **errp);
bool qapi_input_start_array(QapiInput *ctx, QapiFrame *fr, json_t *in, const char *name,
                            Error **errp);
void qapi_input_set_index(QapiInput *ctx, size_t index);
void qapi_input_end(QapiInput *ctx, QapiFrame *fr);

/* For commands without arguments: args must be an empty object (or NULL). */
bool qapi_input_check_no_args(json_t *args, Error **errp);

void qapi_input_error_missing(const QapiInput *ctx, const char *name, Error **errp);
void qapi_input_error_type(const QapiInput *ctx, const char *name, const char *expected,
                           Error **errp);
/* "Invalid parameter type for '<name>', expected: <type>". */
void qapi_error_alternate(const char *name, const char *type, Error **errp);

/*
 * Scalars.  in == NULL means the member is missing.  'name' is the member
 * name (NULL for array elements).  On failure *out is left alone, except
 * for strings and any/null, which are set to NULL.
 */
bool qapi_from_json_str(json_t *in, const char *name, char **out, QapiInput *ctx, Error **errp);
bool qapi_from_json_int(json_t *in, const char *name, int64_t *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_int8(json_t *in, const char *name, int8_t *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_int16(json_t *in, const char *name, int16_t *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_int32(json_t *in, const char *name, int32_t *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_int64(json_t *in, const char *name, int64_t *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_uint8(json_t *in, const char *name, uint8_t *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_uint16(json_t *in, const char *name, uint16_t *out, QapiInput *ctx,
                           Error **errp);
bool qapi_from_json_uint32(json_t *in, const char *name, uint32_t *out, QapiInput *ctx,
                           Error **errp);
bool qapi_from_json_uint64(json_t *in, const char *name, uint64_t *out, QapiInput *ctx,
                           Error **errp);
bool qapi_from_json_size(json_t *in, const char *name, uint64_t *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_number(json_t *in, const char *name, double *out, QapiInput *ctx, Error **errp);
bool qapi_from_json_bool(json_t *in, const char *name, bool *out, QapiInput *ctx, Error **errp);
/* Any JSON value; *out is a new reference. */
bool qapi_from_json_any(json_t *in, const char *name, json_t **out, QapiInput *ctx, Error **errp);
/* JSON null (in keyval mode also ""); *out is json_null(). */
bool qapi_from_json_null(json_t *in, const char *name, json_t **out, QapiInput *ctx, Error **errp);
bool qapi_from_json_enum(json_t *in, const char *name, int *out, const QEnumLookup *lookup,
                         QapiInput *ctx, Error **errp);

/* ---------------------------------------------------------------- C -> JSON */

/* All return new references.  NULL strings become "" (as in QEMU). */
json_t *qapi_to_json_str(const char *s);
json_t *qapi_to_json_int(int64_t v);
json_t *qapi_to_json_int8(int8_t v);
json_t *qapi_to_json_int16(int16_t v);
json_t *qapi_to_json_int32(int32_t v);
json_t *qapi_to_json_int64(int64_t v);
json_t *qapi_to_json_uint8(uint8_t v);
json_t *qapi_to_json_uint16(uint16_t v);
json_t *qapi_to_json_uint32(uint32_t v);
json_t *qapi_to_json_uint64(uint64_t v);
json_t *qapi_to_json_size(uint64_t v);
json_t *qapi_to_json_number(double v);
json_t *qapi_to_json_bool(bool v);
/* A new reference to v; NULL becomes JSON null. */
json_t *qapi_to_json_any(json_t *v);
json_t *qapi_to_json_null(json_t *v);
json_t *qapi_to_json_enum(int val, const QEnumLookup *lookup);

/* Deep copy of an 'any' value (NULL stays NULL). */
json_t *qapi_clone_any(const json_t *v);

/* ---------------------------------------------------------------- keyval scalars */

/* QEMU's spellings of booleans: on/yes/true/y and off/no/false/n. */
bool qapi_keyval_parse_bool(const char *str, bool *out);
bool qapi_keyval_is_bool(const char *str);
/*
 * Whole-string number parsers; 0 or -EINVAL / -ERANGE.  Integers take
 * decimal, 0x hex and 0 octal; unsigned ones accept a leading '-' and wrap
 * (as strtoull).  Sizes: decimal (fractions need a suffix) or 0x hex (no
 * fraction or suffix), optional suffix B k K m M g G t T p P e E (powers of
 * 1024, "1.5k" is 1536), result below 2^64.
 */
int qapi_strtoi64(const char *str, int64_t *out);
int qapi_strtou64(const char *str, uint64_t *out);
int qapi_strtosz(const char *str, uint64_t *out);
int qapi_strtod(const char *str, double *out);

/* ---------------------------------------------------------------- misc */

/*
 * A deep copy of v whose objects list their members in the order QEMU's
 * QDict iterates them (by hash bucket), given that the members of v's
 * objects are in the order QEMU would have inserted them.
 */
json_t *qapi_json_qdict_order(const json_t *v);
/* The QDict hash bucket of key (0..511). */
unsigned qapi_qdict_bucket(const char *key);

#endif
