"""qapi-introspect.c: the answer to query-qmp-schema as JSON text, in
QEMU's SchemaInfo format.

Commands and events are listed in definition order, followed by every type
they reach, in order of first use.  Type names other than built-ins are
replaced by numbers ("0", "1", ...) in order of first use, so that clients
depend on structure rather than on type names, as with QEMU.  All integer
types are reported as 'int'.  Object members are written in the order a
QEMU QDict iterates them, so the text matches QEMU's byte for byte."""

import json

from .common import Output, c_name, c_string
from .gen_commands import PROVIDED_MARSHALLERS
from .schema import AlternateType, ArrayType, BuiltinType, EnumType, ObjectType


def qdict_bucket(key):
    """Bucket of key in QEMU's QDict: iteration goes through buckets in
    ascending order, the most recently inserted key first within one."""
    value = (0x238F13AF * len(key)) & 0xFFFFFFFF
    for i, ch in enumerate(key.encode()):
        value = (value + (ch << (i * 5 % 24))) & 0xFFFFFFFF
    return ((1103515243 * value + 12345) & 0xFFFFFFFF) % 512


def qdict_order(pairs):
    """pairs: (key, value) in insertion order -> dict in QDict order."""
    indexed = list(enumerate(pairs))
    indexed.sort(key=lambda p: (qdict_bucket(p[1][0]), -p[0]))
    return {k: v for _, (k, v) in indexed}


class _Introspector:
    def __init__(self, schema):
        self.schema = schema
        self.names = {}
        self.used = []
        self.entries = []   # (comment, dict)

    def masked(self, name):
        if name not in self.names:
            self.names[name] = str(len(self.names))
        return self.names[name]

    def use(self, t):
        if isinstance(t, BuiltinType) and t.json_type() == 'int':
            t = self.schema.lookup('int')
        elif (isinstance(t, ArrayType) and isinstance(t.element_type, BuiltinType)
              and t.element_type.json_type() == 'int'):
            t = self.schema.lookup('intList')
        if t not in self.used:
            self.used.append(t)
        if isinstance(t, BuiltinType):
            return t.name
        if isinstance(t, ArrayType):
            return '[' + self.use(t.element_type) + ']'
        return self.masked(t.name)

    def features(self, pairs, features):
        if features:
            pairs.append(('features', [f.name for f in features]))

    def tree(self, name, meta, pairs, features=None, comment=None):
        pairs = list(pairs) + [('name', name), ('meta-type', meta)]
        self.features(pairs, features)
        self.entries.append((comment, qdict_order(pairs)))

    def command(self, cmd):
        empty = self.schema.lookup('q_empty')
        pairs = [('arg-type', self.use(cmd.arg_type or empty)),
                 ('ret-type', self.use(cmd.ret_type or empty))]
        if cmd.allow_oob:
            pairs.append(('allow-oob', True))
        self.tree(cmd.name, 'command', pairs, cmd.features)

    def event(self, ev):
        empty = self.schema.lookup('q_empty')
        self.tree(ev.name, 'event', [('arg-type', self.use(ev.arg_type or empty))],
                  ev.features)

    def member(self, m):
        pairs = [('name', m.name), ('type', self.use(m.type))]
        if m.optional:
            pairs.append(('default', None))
        self.features(pairs, m.features)
        return qdict_order(pairs)

    def type_entry(self, t):
        if isinstance(t, BuiltinType):
            self.tree(t.name, 'builtin', [('json-type', t.json_type())])
            return
        if isinstance(t, ArrayType):
            elem = self.use(t.element_type)
            self.tree('[' + elem + ']', 'array', [('element-type', elem)])
            return
        name = self.masked(t.name)
        comment = '"%s" = %s' % (name, t.name)
        if isinstance(t, EnumType):
            members = []
            for m in t.members:
                pairs = [('name', m.name)]
                self.features(pairs, m.features)
                members.append(qdict_order(pairs))
            self.tree(name, 'enum', [('members', members), ('values', t.values())],
                      t.features, comment)
        elif isinstance(t, ObjectType):
            pairs = [('members', [self.member(m) for m in t.members])]
            if t.variants:
                pairs.append(('tag', t.tag_member.name))
                pairs.append(('variants', [
                    qdict_order([('case', v.name), ('type', self.use(v.type))])
                    for v in t.variants]))
            self.tree(name, 'object', pairs, t.features, comment)
        elif isinstance(t, AlternateType):
            members = [qdict_order([('type', self.use(v.type))]) for v in t.variants]
            self.tree(name, 'alternate', [('members', members)], t.features, comment)

    def run(self):
        for ent in self.schema.user_entities():
            if ent.meta == 'command':
                self.command(ent)
            elif ent.meta == 'event':
                self.event(ent)
        i = 0
        while i < len(self.used):
            self.type_entry(self.used[i])
            i += 1
        return self.entries


def schema_json_entries(schema):
    return [entry for _, entry in _Introspector(schema).run()]


def gen_introspect(schema, prefix):
    c = Output(prefix + 'qapi-introspect.c', 'query-qmp-schema')
    var = c_name(prefix, False) + 'qmp_schema_json'
    entries = _Introspector(schema).run()
    c.add('#include "qapi/qmp-dispatch.h"\n#include "qapi/qapi-json.h"\n\n')
    c.add('extern const char %s[];\n\n' % var)
    c.add('const char %s[] =\n    "["\n' % var)
    for i, (comment, entry) in enumerate(entries):
        text = json.dumps(entry) + (', ' if i + 1 < len(entries) else '')
        if comment:
            c.add('    /* %s */\n' % comment.replace('*/', '* /'))
        c.add('    %s\n' % c_string(text))
    c.add('    "]";\n')
    for cmd in schema.commands():
        if not cmd.gen and PROVIDED_MARSHALLERS.get(cmd.name) == 'qapi-introspect.c':
            fn = 'qmp_marshal_' + c_name(cmd.name)
            c.add('\nvoid %s(json_t *args, json_t **ret, Error **errp);\n\n' % fn)
            c.add('void %s(json_t *args, json_t **ret, Error **errp)\n{\n' % fn)
            c.add('    if (!qapi_input_check_no_args(args, errp) ||\n'
                  '        !qmp_dispatch_check_run(%s, errp)) {\n'
                  '        return;\n    }\n' % c_string(cmd.name))
            c.add('    *ret = json_loads(%s, 0, NULL);\n}\n' % var)
    return [c]
