"""qapi-visit.h/.c: conversion of every schema type from JSON to C (with
QEMU's error texts, see qapi/qapi-json.h), from C to JSON, and deep copy."""

from .cgen import from_json_call, to_json_expr
from .common import Output, c_string, header_close, header_open
from .gen_types import module_types
from .schema import AlternateType, ArrayType, BuiltinType, EnumType, ObjectType, qtype_of


def _fn(lines, head):
    return head + '\n{\n' + ''.join(('    ' + l if l else '') + '\n' for l in lines) + '}\n\n'


def _copy_expr(t, src):
    if isinstance(t, BuiltinType):
        if t.name == 'str':
            return 'g_strdup(%s)' % src
        if t.name in ('any', 'null'):
            return 'qapi_clone_any(%s)' % src
        return src
    if isinstance(t, EnumType):
        return src
    return 'qapi_clone_%s(%s)' % (t.c_name(), src)


# ---------------------------------------------------------------- prototypes

def _protos(t):
    n = t.c_name()
    if isinstance(t, EnumType):
        return ('bool qapi_from_json_%s(json_t *in, const char *name, %s *out, '
                'QapiInput *ctx, Error **errp);\n'
                'json_t *qapi_to_json_%s(%s val);\n' % (n, n, n, n))
    text = ''
    if isinstance(t, ObjectType):
        text += ('bool qapi_from_json_%s_members(QapiInput *ctx, %s *obj, Error **errp);\n'
                 'bool qapi_from_json_%s_inplace(json_t *in, const char *name, %s *obj, '
                 'QapiInput *ctx, Error **errp);\n'
                 'void qapi_to_json_%s_members(const %s *obj, json_t *out);\n'
                 'void qapi_clone_%s_members(%s *dst, const %s *src);\n'
                 % (n, n, n, n, n, n, n, n, n))
    text += ('bool qapi_from_json_%s(json_t *in, const char *name, %s **out, '
             'QapiInput *ctx, Error **errp);\n'
             'bool qapi_parse_%s(json_t *in, bool keyval, %s **out, Error **errp);\n'
             'json_t *qapi_to_json_%s(const %s *obj);\n'
             '%s *qapi_clone_%s(const %s *obj);\n' % (n, n, n, n, n, n, n, n, n))
    return text


# ---------------------------------------------------------------- enums

def _enum(t):
    n = t.c_name()
    text = _fn(['int val;', '',
                'if (!qapi_from_json_enum(in, name, &val, &%s_lookup, ctx, errp)) {' % n,
                '    return false;', '}', '*out = (%s)val;' % n, 'return true;'],
               'bool qapi_from_json_%s(json_t *in, const char *name, %s *out, '
               'QapiInput *ctx, Error **errp)' % (n, n))
    text += _fn(['return qapi_to_json_enum(val, &%s_lookup);' % n],
                'json_t *qapi_to_json_%s(%s val)' % (n, n))
    return text


# ---------------------------------------------------------------- objects

def _member_in(m):
    target = '&obj->%s' % m.c_name()
    name = c_string(m.name)
    if not m.optional:
        return ['if (!%s) {' % from_json_call(
            m.type, 'qapi_input_member(ctx, %s)' % name, name, target),
            '    return false;', '}']
    return ['v = qapi_input_member(ctx, %s);' % name,
            'if (v) {',
            '    obj->has_%s = true;' % m.c_name(),
            '    if (!%s) {' % from_json_call(m.type, 'v', name, target),
            '        return false;', '    }', '}']


def _object(t):
    n = t.c_name()
    text = ''
    # JSON -> C, members of the object being converted (top of ctx)
    lines = []
    if any(m.optional for m in t.members):
        lines += ['json_t *v;', '']
    for m in t.members:
        lines += _member_in(m)
    live = t.nonempty_variants()
    if live:
        lines.append('switch (obj->%s) {' % t.tag_member.c_name())
        for v in live:
            lines += ['case %s:' % t.tag_member.type.const(v.name),
                      '    return qapi_from_json_%s_members(ctx, &obj->u.%s, errp);'
                      % (v.type.c_name(), v.c_name())]
        lines += ['default:', '    break;', '}']
    if not t.members and not live:
        lines += ['(void)ctx;', '(void)obj;', '(void)errp;']
    lines.append('return true;')
    text += _fn(lines, 'bool qapi_from_json_%s_members(QapiInput *ctx, %s *obj, '
                'Error **errp)' % (n, n))
    text += _fn(['QapiFrame fr;', 'bool ok;', '',
                 'ok = qapi_input_start_object(ctx, &fr, in, name, errp) &&',
                 '     qapi_from_json_%s_members(ctx, obj, errp) &&' % n,
                 '     qapi_input_check_object(ctx, errp);',
                 'qapi_input_end(ctx, &fr);', 'return ok;'],
                'bool qapi_from_json_%s_inplace(json_t *in, const char *name, %s *obj, '
                'QapiInput *ctx, Error **errp)' % (n, n))
    text += _fn(['%s *obj = g_new0(%s, 1);' % (n, n), '',
                 'if (!qapi_from_json_%s_inplace(in, name, obj, ctx, errp)) {' % n,
                 '    qapi_free_%s(obj);' % n, '    *out = NULL;', '    return false;',
                 '}', '*out = obj;', 'return true;'],
                'bool qapi_from_json_%s(json_t *in, const char *name, %s **out, '
                'QapiInput *ctx, Error **errp)' % (n, n))
    # C -> JSON
    lines = []
    for m in t.members:
        put = 'json_object_set_new(out, %s, %s);' % (
            c_string(m.name), to_json_expr(m.type, 'obj->' + m.c_name()))
        if m.optional:
            lines += ['if (obj->has_%s) {' % m.c_name(), '    ' + put, '}']
        else:
            lines.append(put)
    if live:
        lines.append('switch (obj->%s) {' % t.tag_member.c_name())
        for v in live:
            lines += ['case %s:' % t.tag_member.type.const(v.name),
                      '    qapi_to_json_%s_members(&obj->u.%s, out);'
                      % (v.type.c_name(), v.c_name()),
                      '    break;']
        lines += ['default:', '    break;', '}']
    if not lines:
        lines = ['(void)obj;', '(void)out;']
    text += _fn(lines, 'void qapi_to_json_%s_members(const %s *obj, json_t *out)' % (n, n))
    text += _fn(['json_t *out = json_object();', '',
                 'if (obj) {', '    qapi_to_json_%s_members(obj, out);' % n, '}',
                 'return out;'],
                'json_t *qapi_to_json_%s(const %s *obj)' % (n, n))
    # deep copy
    lines = []
    for m in t.members:
        if m.optional:
            lines.append('dst->has_%s = src->has_%s;' % (m.c_name(), m.c_name()))
        lines.append('dst->%s = %s;' % (m.c_name(), _copy_expr(m.type, 'src->' + m.c_name())))
    if live:
        lines.append('switch (src->%s) {' % t.tag_member.c_name())
        for v in live:
            lines += ['case %s:' % t.tag_member.type.const(v.name),
                      '    qapi_clone_%s_members(&dst->u.%s, &src->u.%s);'
                      % (v.type.c_name(), v.c_name(), v.c_name()),
                      '    break;']
        lines += ['default:', '    break;', '}']
    if not lines:
        lines = ['(void)dst;', '(void)src;']
    text += _fn(lines, 'void qapi_clone_%s_members(%s *dst, const %s *src)' % (n, n, n))
    text += _fn(['%s *copy;' % n, '', 'if (!obj) {', '    return NULL;', '}',
                 'copy = g_new0(%s, 1);' % n,
                 'qapi_clone_%s_members(copy, obj);' % n, 'return copy;'],
                '%s *qapi_clone_%s(const %s *obj)' % (n, n, n))
    return text


# ---------------------------------------------------------------- alternates

def _alt_branch(v, json='in'):
    if isinstance(v.type, ObjectType):
        call = 'qapi_from_json_%s_inplace(%s, name, &obj->u.%s, ctx, errp)' % (
            v.type.c_name(), json, v.c_name())
    else:
        call = from_json_call(v.type, json, 'name', '&obj->u.' + v.c_name())
    return ['obj->type = QTYPE_%s;' % qtype_of(v.type).upper(), 'ok = %s;' % call]


def _alternate(t):
    n = t.c_name()
    by_q = {qtype_of(v.type): v for v in t.variants}
    mismatch = 'qapi_error_alternate(name, %s, errp);' % c_string(t.name)
    lines = ['%s *obj;' % n, 'bool ok = false;', '', '*out = NULL;',
             'if (!in) {', '    qapi_input_error_missing(ctx, name, errp);',
             '    return false;', '}', 'obj = g_new0(%s, 1);' % n,
             'switch (json_typeof(in)) {']
    if 'qdict' in by_q:
        lines += ['case JSON_OBJECT:'] + ['    ' + l for l in _alt_branch(by_q['qdict'])] \
            + ['    break;']
    if 'qstring' in by_q:
        lines += ['case JSON_STRING:'] + ['    ' + l for l in _alt_branch(by_q['qstring'])] \
            + ['    break;']
    elif 'qbool' in by_q or 'qnum' in by_q:
        # On the command line every scalar is a string: pick the branch
        # the string can be read as.
        lines += ['case JSON_STRING:', '    if (!ctx->keyval) {', '        ' + mismatch,
                  '        break;', '    }']
        if 'qbool' in by_q and 'qnum' in by_q:
            lines += ['    if (qapi_keyval_is_bool(json_string_value(in))) {']
            lines += ['        ' + l for l in _alt_branch(by_q['qbool'])]
            lines += ['    } else {']
            lines += ['        ' + l for l in _alt_branch(by_q['qnum'])]
            lines += ['    }']
        else:
            lines += ['    ' + l for l in _alt_branch(by_q.get('qbool') or by_q['qnum'])]
        lines += ['    break;']
    if 'qnum' in by_q:
        lines += ['case JSON_INTEGER:', 'case JSON_REAL:'] + \
            ['    ' + l for l in _alt_branch(by_q['qnum'])] + ['    break;']
    if 'qbool' in by_q:
        lines += ['case JSON_TRUE:', 'case JSON_FALSE:'] + \
            ['    ' + l for l in _alt_branch(by_q['qbool'])] + ['    break;']
    if 'qnull' in by_q:
        lines += ['case JSON_NULL:'] + ['    ' + l for l in _alt_branch(by_q['qnull'])] \
            + ['    break;']
    lines += ['default:', '    ' + mismatch, '    break;', '}',
              'if (!ok) {', '    qapi_free_%s(obj);' % n, '    return false;', '}',
              '*out = obj;', 'return true;']
    text = _fn(lines, 'bool qapi_from_json_%s(json_t *in, const char *name, %s **out, '
               'QapiInput *ctx, Error **errp)' % (n, n))
    lines = ['if (!obj) {', '    return json_null();', '}', 'switch (obj->type) {']
    for v in t.variants:
        lines.append('case QTYPE_%s:' % qtype_of(v.type).upper())
        if isinstance(v.type, ObjectType):
            lines.append('    return qapi_to_json_%s(&obj->u.%s);'
                         % (v.type.c_name(), v.c_name()))
        else:
            lines.append('    return %s;' % to_json_expr(v.type, 'obj->u.' + v.c_name()))
    lines += ['default:', '    return json_null();', '}']
    text += _fn(lines, 'json_t *qapi_to_json_%s(const %s *obj)' % (n, n))
    lines = ['%s *copy;' % n, '', 'if (!obj) {', '    return NULL;', '}',
             'copy = g_new0(%s, 1);' % n, 'copy->type = obj->type;',
             'switch (obj->type) {']
    for v in t.variants:
        lines.append('case QTYPE_%s:' % qtype_of(v.type).upper())
        if isinstance(v.type, ObjectType):
            lines.append('    qapi_clone_%s_members(&copy->u.%s, &obj->u.%s);'
                         % (v.type.c_name(), v.c_name(), v.c_name()))
        else:
            lines.append('    copy->u.%s = %s;' % (
                v.c_name(), _copy_expr(v.type, 'obj->u.' + v.c_name())))
        lines.append('    break;')
    lines += ['default:', '    break;', '}', 'return copy;']
    text += _fn(lines, '%s *qapi_clone_%s(const %s *obj)' % (n, n, n))
    return text


# ---------------------------------------------------------------- lists

def _list(t):
    n = t.c_name()
    et = t.element_type
    lines = ['QapiFrame fr;', '%s *head = NULL, **tail = &head;' % n, 'size_t i;',
             'bool ok = true;', '', '*out = NULL;',
             'if (!qapi_input_start_array(ctx, &fr, in, name, errp)) {',
             '    return false;', '}',
             'for (i = 0; ok && i < json_array_size(in); i++) {',
             '    %s *node = g_new0(%s, 1);' % (n, n), '',
             '    *tail = node;', '    tail = &node->next;',
             '    qapi_input_set_index(ctx, i);',
             '    ok = %s;' % from_json_call(et, 'json_array_get(in, i)', 'NULL',
                                             '&node->value'),
             '}', 'qapi_input_end(ctx, &fr);',
             'if (!ok) {', '    qapi_free_%s(head);' % n, '    return false;', '}',
             '*out = head;', 'return true;']
    text = _fn(lines, 'bool qapi_from_json_%s(json_t *in, const char *name, %s **out, '
               'QapiInput *ctx, Error **errp)' % (n, n))
    text += _fn(['json_t *out = json_array();', '',
                 'for (; obj; obj = obj->next) {',
                 '    json_array_append_new(out, %s);' % to_json_expr(et, 'obj->value'),
                 '}', 'return out;'],
                'json_t *qapi_to_json_%s(const %s *obj)' % (n, n))
    text += _fn(['%s *head = NULL, **tail = &head;' % n, '',
                 'for (; obj; obj = obj->next) {',
                 '    *tail = g_new0(%s, 1);' % n,
                 '    (*tail)->value = %s;' % _copy_expr(et, 'obj->value'),
                 '    tail = &(*tail)->next;', '}', 'return head;'],
                '%s *qapi_clone_%s(const %s *obj)' % (n, n, n))
    return text


def _parse(t):
    n = t.c_name()
    return _fn(['QapiInput ctx;', '', 'qapi_input_init(&ctx, keyval);',
                'return qapi_from_json_%s(in, NULL, out, &ctx, errp);' % n],
               'bool qapi_parse_%s(json_t *in, bool keyval, %s **out, Error **errp)' % (n, n))


def gen_visit(schema, prefix, builtin):
    stem = 'qapi-builtin-visit' if builtin else prefix + 'qapi-visit'
    h = Output(stem + '.h', 'JSON <-> C conversion')
    c = Output(stem + '.c', 'JSON <-> C conversion')
    h.add(header_open(h.fname))
    if builtin:
        h.add('#include "qapi/qapi-builtin-types.h"\n\n')
    else:
        h.add('#include "qapi/qapi-builtin-visit.h"\n#include "%sqapi-types.h"\n\n' % prefix)
    c.add('#include "%s"\n\n' % h.fname)
    for t in module_types(schema, builtin):
        h.add(_protos(t))
        if isinstance(t, EnumType):
            c.add(_enum(t))
            continue
        if isinstance(t, ObjectType):
            c.add(_object(t))
        elif isinstance(t, AlternateType):
            c.add(_alternate(t))
        elif isinstance(t, ArrayType):
            c.add(_list(t))
        c.add(_parse(t))
    h.add(header_close(h.fname))
    return [h, c]

