"""qapi-types.h/.c: C types for the schema's types, enum name tables and
deep-free functions.  The built-in list types and QType live in a separate
module (qapi-builtin-types.*), generated once, that every schema shares."""

from .cgen import decl, free_stmt, indent, member_decl
from .common import Output, c_string, header_close, header_open
from .schema import AlternateType, ArrayType, EnumType, ObjectType, qtype_of
from .source import QAPIError


def module_types(schema, builtin):
    """Types of the builtin module, or of the user module, in definition order."""
    out = []
    for t in schema.types():
        if t.name == 'q_empty':
            continue
        if isinstance(t, ArrayType):
            is_builtin = t.element_type.info is None
        elif isinstance(t, (EnumType, ObjectType, AlternateType)):
            is_builtin = t.info is None
        else:
            continue
        if is_builtin == builtin:
            out.append(t)
    return out


def _enum_decl(t):
    lines = ['typedef enum %s {' % t.c_name()]
    for m in t.members:
        lines.append('    %s,' % t.const(m.name))
    lines.append('    %s,' % t.max_const())
    lines.append('} %s;' % t.c_name())
    lines.append('')
    lines.append('extern const QEnumLookup %s_lookup;' % t.c_name())
    lines.append('')
    lines.append('static inline const char *%s_str(%s val)' % (t.c_name(), t.c_name()))
    lines.append('{')
    lines.append('    return qapi_enum_lookup(&%s_lookup, val);' % t.c_name())
    lines.append('}')
    return '\n'.join(lines) + '\n\n'


def enum_array(entries):
    """Initializer lines of QEnumLookup.array: (C constant, name) pairs."""
    if not entries:
        return ['    .array = NULL,']
    lines = ['    .array = (const char *const[]){']
    for const, name in entries:
        lines.append('        [%s] = %s,' % (const, c_string(name)))
    lines.append('    },')
    return lines


def _enum_table(t):
    lines = ['const QEnumLookup %s_lookup = {' % t.c_name()]
    lines += enum_array([(t.const(m.name), m.name) for m in t.members])
    lines.append('    .size = %s,' % t.max_const())
    lines.append('};')
    return '\n'.join(lines) + '\n\n'


def _list_body(t):
    name = t.c_name()
    return 'struct %s {\n    %s *next;\n    %s;\n};\n\n' % (
        name, name, decl(t.element_type.c_type(), 'value'))


def _variant_union(variants, tag):
    live = [v for v in variants if v.type.name != 'q_empty']
    if not live:
        return []
    lines = ['union { /* union tag is @%s */' % tag]
    for v in live:
        lines.append('    %s;' % decl(v.type.c_unboxed_type(), v.c_name()))
    lines.append('} u;')
    return lines


def _object_body(t):
    lines = ['struct %s {' % t.c_name()]
    body = []
    if t.base is not None:
        if not t.base.is_implicit():
            body.append('/* Members inherited from %s: */' % t.base.name)
        for m in t.base.members:
            body += member_decl(m)
        if t.local_members:
            body.append('/* Own members: */')
    for m in t.local_members:
        body += member_decl(m)
    if t.variants is not None:
        body += _variant_union(t.variants, t.discriminator)
    if not body:
        # An empty struct is not valid C.
        body.append('char qapi_dummy_for_empty_struct;')
    lines += indent(body)
    lines.append('};')
    text = '\n'.join(lines) + '\n\n'
    if t.base is not None and not t.base.is_implicit():
        text += ('static inline %s *qapi_%s_base(const %s *obj)\n{\n'
                 '    return (%s *)obj;\n}\n\n'
                 % (t.base.c_name(), t.c_name(), t.c_name(), t.base.c_name()))
    return text


def _alternate_body(t):
    lines = ['struct %s {' % t.c_name(), '    QType type;']
    lines += indent(_variant_union(t.variants, 'type'))
    lines.append('};')
    return '\n'.join(lines) + '\n\n'


def _unboxed_deps(t):
    if isinstance(t, ObjectType):
        return [v.type for v in t.nonempty_variants()]
    if isinstance(t, AlternateType):
        return [v.type for v in t.variants if isinstance(v.type, ObjectType)]
    return []


def _body_order(types):
    """Orders struct definitions so that a type embedded by value (union and
    alternate branches) is complete before the type embedding it."""
    done, active, out = set(), set(), []
    names = {t.name for t in types}

    def visit(t):
        if t.name in done:
            return
        if t.name in active:
            raise QAPIError(t.info, '%s contains itself by value' % t.describe())
        active.add(t.name)
        for dep in _unboxed_deps(t):
            if dep.name in names:
                visit(dep)
        active.discard(t.name)
        done.add(t.name)
        out.append(t)

    for t in types:
        visit(t)
    return out


def _free_members_body(t):
    lines = []
    if isinstance(t, ObjectType):
        for m in t.members:
            s = free_stmt(m.type, 'obj->' + m.c_name())
            if s:
                lines.append(s)
        live = t.nonempty_variants()
        if live:
            lines.append('switch (obj->%s) {' % t.tag_member.c_name())
            for v in live:
                lines.append('case %s:' % t.tag_member.type.const(v.name))
                lines.append('    qapi_free_%s_members(&obj->u.%s);'
                             % (v.type.c_name(), v.c_name()))
                lines.append('    break;')
            lines.append('default:')
            lines.append('    break;')
            lines.append('}')
    return lines


def _alternate_free(t):
    lines = ['switch (obj->type) {']
    for v in t.variants:
        if isinstance(v.type, ObjectType):
            s = 'qapi_free_%s_members(&obj->u.%s);' % (v.type.c_name(), v.c_name())
        else:
            s = free_stmt(v.type, 'obj->u.' + v.c_name())
        if s:
            lines.append('case QTYPE_%s:' % qtype_of(v.type).upper())
            lines.append('    ' + s)
            lines.append('    break;')
    lines += ['default:', '    break;', '}']
    return lines


def _free_functions(t):
    name = t.c_name()
    text = ''
    if isinstance(t, ObjectType):
        body = _free_members_body(t)
        text += 'void qapi_free_%s_members(%s *obj)\n{\n' % (name, name)
        if not body:
            text += '    (void)obj;\n'
        text += ''.join('    %s\n' % line for line in body)
        text += '}\n\n'
        text += ('void qapi_free_%s(%s *obj)\n{\n    if (!obj) {\n        return;\n    }\n'
                 '    qapi_free_%s_members(obj);\n    g_free(obj);\n}\n\n'
                 % (name, name, name))
    elif isinstance(t, AlternateType):
        text += 'void qapi_free_%s(%s *obj)\n{\n    if (!obj) {\n        return;\n    }\n' \
            % (name, name)
        text += ''.join('    %s\n' % line for line in _alternate_free(t))
        text += '    g_free(obj);\n}\n\n'
    elif isinstance(t, ArrayType):
        s = free_stmt(t.element_type, 'obj->value')
        text += 'void qapi_free_%s(%s *obj)\n{\n' % (name, name)
        text += '    while (obj) {\n        %s *next = obj->next;\n\n' % name
        if s:
            text += '        %s\n' % s
        text += '        g_free(obj);\n        obj = next;\n    }\n}\n\n'
    return text


def _free_protos(t):
    name = t.c_name()
    text = ''
    if isinstance(t, ObjectType):
        text += 'void qapi_free_%s_members(%s *obj);\n' % (name, name)
    text += 'void qapi_free_%s(%s *obj);\n' % (name, name)
    return text


def gen_types(schema, prefix, builtin):
    stem = 'qapi-builtin-types' if builtin else prefix + 'qapi-types'
    h = Output(stem + '.h', 'C types' if not builtin else 'C types of the built-ins')
    c = Output(stem + '.c', 'enum tables and deep-free functions')
    types = module_types(schema, builtin)

    h.add(header_open(h.fname))
    if builtin:
        h.add('#include "qapi/qapi-json.h"\n\n')
    else:
        h.add('#include "qapi/qapi-builtin-types.h"\n\n')
    c.add('#include "%s"\n\n' % h.fname)

    for t in types:
        if isinstance(t, EnumType):
            h.add(_enum_decl(t))
            c.add(_enum_table(t))
    for t in types:
        if not isinstance(t, EnumType):
            h.add('typedef struct %s %s;\n' % (t.c_name(), t.c_name()))
    h.add('\n')
    for t in types:
        if isinstance(t, ArrayType):
            h.add(_list_body(t))
    for t in _body_order([t for t in types if isinstance(t, (ObjectType, AlternateType))]):
        if isinstance(t, ObjectType):
            h.add(_object_body(t))
        else:
            h.add(_alternate_body(t))
    for t in types:
        if not isinstance(t, EnumType):
            h.add(_free_protos(t))
            c.add(_free_functions(t))
    h.add(header_close(h.fname))
    return [h, c]
