"""The schema model: entities built from the checked expressions, with
type references resolved and the semantic rules enforced."""

import re

from .common import c_name, c_enum_const
from .expr import check_expr
from .parser import SchemaParser
from .source import QAPIError

# name -> (C type, JSON type as introspection reports it)
BUILTINS = {
    'str': ('char *', 'string'),
    'number': ('double', 'number'),
    'int': ('int64_t', 'int'),
    'int8': ('int8_t', 'int'),
    'int16': ('int16_t', 'int'),
    'int32': ('int32_t', 'int'),
    'int64': ('int64_t', 'int'),
    'uint8': ('uint8_t', 'int'),
    'uint16': ('uint16_t', 'int'),
    'uint32': ('uint32_t', 'int'),
    'uint64': ('uint64_t', 'int'),
    'size': ('uint64_t', 'int'),
    'bool': ('bool', 'boolean'),
    'null': ('json_t *', 'null'),
    'any': ('json_t *', 'value'),
}

QTYPE_VALUES = ['none', 'qnull', 'qnum', 'qstring', 'qdict', 'qlist', 'qbool']


class Feature:
    def __init__(self, name, info, ifcond=None):
        self.name = name
        self.info = info
        self.ifcond = ifcond


def _features(raw, info):
    out = []
    for f in raw or []:
        if isinstance(f, dict):
            out.append(Feature(f['name'], info, f.get('if')))
        else:
            out.append(Feature(f, info))
    return out


class Entity:
    meta = None

    def __init__(self, name, info, doc=None, features=None, ifcond=None):
        self.name = name
        self.info = info
        self.doc = doc
        self.features = features or []
        self.ifcond = ifcond
        self.module = info.fname if info else None

    def c_name(self):
        return c_name(self.name)

    def describe(self):
        return "%s '%s'" % (self.meta, self.name)

    def is_implicit(self):
        return False


# ---------------------------------------------------------------- types

class Type(Entity):
    def c_type(self):
        """Type of a member/variable holding a value."""
        raise NotImplementedError

    def c_param_type(self):
        """Type of a function parameter taking a value (not owned)."""
        return self.c_type()

    def c_unboxed_type(self):
        """Type of a variant embedded in a union."""
        return self.c_type()

    def is_pointer(self):
        return self.c_type().endswith('*')

    def is_object(self):
        return False

    def json_type(self):
        raise NotImplementedError


class BuiltinType(Type):
    meta = 'built-in'

    def __init__(self, name):
        super().__init__(name, None)
        self._c_type, self._json = BUILTINS[name]

    def c_name(self):
        return self.name

    def c_type(self):
        return self._c_type

    def c_param_type(self):
        return 'const char *' if self.name == 'str' else self._c_type

    def json_type(self):
        return self._json

    def describe(self):
        return "built-in type '%s'" % self.name


class EnumMember:
    def __init__(self, name, info, features, ifcond):
        self.name = name
        self.info = info
        self.features = features
        self.ifcond = ifcond


class EnumType(Type):
    meta = 'enum'

    def __init__(self, name, info, doc, features, ifcond, members, prefix):
        super().__init__(name, info, doc, features, ifcond)
        self.members = members
        self.prefix = prefix
        self.builtin = info is None

    def c_type(self):
        return self.c_name()

    def json_type(self):
        return 'string'

    def const(self, value):
        return c_enum_const(self.name, value, self.prefix)

    def max_const(self):
        return c_enum_const(self.name, '_MAX', self.prefix)

    def values(self):
        return [m.name for m in self.members]

    def check(self, schema):
        seen = {}
        for m in self.members:
            c = c_name(m.name, False).upper()
            if c in seen:
                raise QAPIError(self.info, "value '%s' of %s collides with value '%s'"
                                % (m.name, self.describe(), seen[c]))
            seen[c] = m.name


class ArrayType(Type):
    meta = 'array'

    def __init__(self, element_name, info):
        super().__init__(element_name + 'List', info)
        self.element_name = element_name
        self.element_type = None

    def c_name(self):
        return self.element_type.c_name() + 'List'

    def c_type(self):
        return self.c_name() + ' *'

    def json_type(self):
        return 'array'

    def is_builtin_list(self):
        return isinstance(self.element_type, BuiltinType)

    def is_implicit(self):
        return True

    def describe(self):
        return "array of '%s'" % self.element_name

    def check(self, schema):
        self.element_type = schema.resolve(self.element_name, self.info,
                                           "array element type")
        if isinstance(self.element_type, ArrayType):
            raise QAPIError(self.info, 'arrays of arrays are not supported')


class Member:
    def __init__(self, name, type_name, optional, info, features=None, ifcond=None):
        self.name = name
        self.type_name = type_name
        self.type = None
        self.optional = optional
        self.info = info
        self.features = features or []
        self.ifcond = ifcond
        self.owner = None

    def c_name(self):
        return c_name(self.name)

    def describe(self):
        return "member '%s'" % self.name


class Variant:
    """A union branch (case = discriminator value) or alternate branch."""

    def __init__(self, name, type_name, info, ifcond=None):
        self.name = name
        self.type_name = type_name
        self.type = None
        self.info = info
        self.ifcond = ifcond

    def c_name(self):
        return c_name(self.name)


def _members_from_data(data, info):
    out = []
    for key, value in data.items():
        optional = key.startswith('*')
        name = key[1:] if optional else key
        features, ifcond = [], None
        if isinstance(value, dict):
            features = _features(value.get('features'), info)
            ifcond = value.get('if')
            value = value['type']
        out.append(Member(name, value, optional, info, features, ifcond))
    return out


class ObjectType(Type):
    """A struct, a union (variants set), or an implicit argument type."""

    def __init__(self, name, info, doc, features, ifcond, base_name, local_members,
                 variants=None, discriminator=None, meta='struct'):
        super().__init__(name, info, doc, features, ifcond)
        self.meta = meta
        self.base_name = base_name
        self.base = None
        self.local_members = local_members
        self.members = None          # all members, base first
        self.variants = variants     # list of Variant, or None for a struct
        self.discriminator = discriminator
        self.tag_member = None
        self._checking = False
        for m in local_members:
            m.owner = self

    def c_type(self):
        return self.c_name() + ' *'

    def c_unboxed_type(self):
        return self.c_name()

    def json_type(self):
        return 'object'

    def is_object(self):
        return True

    def is_implicit(self):
        return self.name.startswith('q_')

    def is_empty(self):
        return not self.members and not self.variants

    def describe(self):
        if self.is_implicit():
            return "arguments of '%s'" % self.name[6:-4] if self.name.endswith('-arg') \
                else "type '%s'" % self.name
        return "%s '%s'" % (self.meta, self.name)

    def check(self, schema):
        if self.members is not None:
            return
        if self._checking:
            raise QAPIError(self.info, '%s contains itself' % self.describe())
        self._checking = True
        members = []
        if self.base_name is not None:
            self.base = schema.resolve(self.base_name, self.info,
                                       "'base' of %s" % self.describe())
            if not isinstance(self.base, ObjectType) or self.base.variants:
                raise QAPIError(self.info, "'base' of %s must be a struct, not %s"
                                % (self.describe(), self.base.describe()))
            self.base.check(schema)
            members = list(self.base.members)
        seen = {m.c_name(): m for m in members}
        for m in self.local_members:
            m.type = schema.resolve(m.type_name, self.info, "type of member '%s' of %s"
                                    % (m.name, self.describe()))
            _check_clash(self, seen, m)
            members.append(m)
        self.members = members
        self._checking = False
        if self.variants is not None:
            self._check_variants(schema, seen)

    def _check_variants(self, schema, seen):
        tag = next((m for m in self.members if m.name == self.discriminator), None)
        if tag is None:
            raise QAPIError(self.info, "discriminator '%s' of %s is not a member of "
                            "its base" % (self.discriminator, self.describe()))
        if not isinstance(tag.type, EnumType) or tag.optional:
            raise QAPIError(self.info, "discriminator '%s' of %s must be a mandatory "
                            "enum member" % (self.discriminator, self.describe()))
        self.tag_member = tag
        values = tag.type.values()
        for v in self.variants:
            if v.name not in values:
                raise QAPIError(self.info, "branch '%s' of %s is not a value of %s"
                                % (v.name, self.describe(), tag.type.describe()))
            v.type = schema.resolve(v.type_name, self.info, "type of branch '%s' of %s"
                                    % (v.name, self.describe()))
            if not isinstance(v.type, ObjectType):
                raise QAPIError(self.info, "branch '%s' of %s must be a struct or "
                                "union, not %s" % (v.name, self.describe(),
                                                   v.type.describe()))
            v.type.check(schema)
            branch_seen = dict(seen)
            for m in v.type.members:
                _check_clash(self, branch_seen, m, "branch '%s'" % v.name)
        # Values without a branch carry no extra members.
        named = {v.name for v in self.variants}
        empty = schema.lookup('q_empty')
        for value in values:
            if value not in named:
                var = Variant(value, 'q_empty', self.info)
                var.type = empty
                self.variants.append(var)

    def nonempty_variants(self):
        return [v for v in self.variants or [] if v.type.name != 'q_empty']


def _check_clash(owner, seen, m, where=None):
    c = m.c_name()
    if c in seen:
        other = seen[c]
        whose = ''
        if other.owner is not None and other.owner is not owner \
                and not other.owner.is_implicit():
            whose = ' of %s' % other.owner.describe()
        raise QAPIError(owner.info, "member '%s'%s of %s collides with member '%s'%s"
                        % (m.name, (' of ' + where) if where else '',
                           owner.describe(), other.name, whose))
    seen[c] = m


class AlternateType(Type):
    meta = 'alternate'

    # JSON value kind of each branch type, for telling branches apart.
    def __init__(self, name, info, doc, features, ifcond, variants):
        super().__init__(name, info, doc, features, ifcond)
        self.variants = variants

    def c_type(self):
        return self.c_name() + ' *'

    def c_unboxed_type(self):
        return self.c_name()

    def json_type(self):
        return 'value'

    def check(self, schema):
        kinds = {}
        for v in self.variants:
            v.type = schema.resolve(v.type_name, self.info, "type of branch '%s' of %s"
                                    % (v.name, self.describe()))
            t = v.type
            if isinstance(t, AlternateType) or isinstance(t, ArrayType) or \
                    (isinstance(t, BuiltinType) and t.name == 'any'):
                raise QAPIError(self.info, "branch '%s' of %s cannot be %s"
                                % (v.name, self.describe(), t.describe()))
            qtypes = alternate_qtypes(t)
            for q in qtypes:
                if q in kinds:
                    raise QAPIError(self.info, "branch '%s' of %s can't be told apart "
                                    "from branch '%s'" % (v.name, self.describe(),
                                                          kinds[q]))
            for q in qtypes:
                kinds[q] = v.name


def alternate_qtypes(t):
    """The JSON kinds (QType values) an alternate branch claims.  On the
    command line (keyval) every scalar arrives as a string, so a 'str'
    branch also claims numbers and booleans, and an enum claims them when
    one of its values could be read as one."""
    if isinstance(t, ObjectType):
        return ['qdict']
    if isinstance(t, EnumType):
        out = ['qstring']
        values = t.values()
        if 'on' in values or 'off' in values:
            out.append('qbool')
        if any(re.match(r'[-+0-9.]', v) for v in values):
            out.append('qnum')
        return out
    if t.name == 'str':
        return ['qstring', 'qnum', 'qbool']
    return {'null': ['qnull'], 'bool': ['qbool'], 'number': ['qnum']}.get(t.name, ['qnum'])


def qtype_of(t):
    """The QType constant suffix for a value of type t in an alternate."""
    if isinstance(t, ObjectType):
        return 'qdict'
    if isinstance(t, EnumType) or t.name == 'str':
        return 'qstring'
    return {'null': 'qnull', 'bool': 'qbool'}.get(t.name, 'qnum')


# ---------------------------------------------------------------- commands/events

class Command(Entity):
    meta = 'command'

    def __init__(self, name, info, doc, features, ifcond, arg_name, ret_name, boxed,
                 gen, success_response, allow_oob, allow_preconfig, coroutine):
        super().__init__(name, info, doc, features, ifcond)
        self.arg_name = arg_name
        self.ret_name = ret_name
        self.arg_type = None
        self.ret_type = None
        self.boxed = boxed
        self.gen = gen
        self.success_response = success_response
        self.allow_oob = allow_oob
        self.allow_preconfig = allow_preconfig
        self.coroutine = coroutine

    def check(self, schema):
        if self.arg_name is not None:
            self.arg_type = schema.resolve(self.arg_name, self.info,
                                           "'data' of %s" % self.describe())
            _check_arg_type(self, schema)
        if self.ret_name is not None:
            self.ret_type = schema.resolve(self.ret_name, self.info,
                                           "'returns' of %s" % self.describe())
            t = self.ret_type
            elem = t.element_type if isinstance(t, ArrayType) else t
            if not isinstance(elem, ObjectType) and not schema.pragmas.allows(
                    'command-returns-exceptions', self.name):
                raise QAPIError(self.info, "%s must return an object or a list of "
                                "objects, not %s" % (self.describe(), t.describe()))


class Event(Entity):
    meta = 'event'

    def __init__(self, name, info, doc, features, ifcond, arg_name, boxed):
        super().__init__(name, info, doc, features, ifcond)
        self.arg_name = arg_name
        self.arg_type = None
        self.boxed = boxed

    def check(self, schema):
        if self.arg_name is not None:
            self.arg_type = schema.resolve(self.arg_name, self.info,
                                           "'data' of %s" % self.describe())
            _check_arg_type(self, schema)


def _check_arg_type(ent, schema):
    t = ent.arg_type
    if not isinstance(t, ObjectType):
        raise QAPIError(ent.info, "'data' of %s must be a struct, not %s"
                        % (ent.describe(), t.describe()))
    t.check(schema)
    if t.variants and not ent.boxed:
        raise QAPIError(ent.info, "'data' of %s is a union; that needs 'boxed': true"
                        % ent.describe())


# ---------------------------------------------------------------- the schema

class Schema:
    def __init__(self, fname):
        parser = SchemaParser(fname)
        self.pragmas = parser.pragmas
        self.files = parser.files
        self.entities = []       # in definition order, arrays/implicits included
        self._by_name = {}
        self._define_builtins()
        for e in parser.exprs:
            meta = check_expr(e.expr, e.info, self.pragmas)
            self._define(meta, e.expr, e.info, e.doc)
        self._check()

    # -- definition

    def _add(self, ent):
        other = self._by_name.get(ent.name)
        if other is not None:
            raise QAPIError(ent.info, "'%s' is already defined%s" % (
                ent.name, ' at %s' % other.info if other.info else ' (built in)'))
        self._by_name[ent.name] = ent
        self.entities.append(ent)
        return ent

    def _define_builtins(self):
        for name in BUILTINS:
            self._add(BuiltinType(name))
        qtype = EnumType('QType', None, None, [], None,
                         [EnumMember(v, None, [], None) for v in QTYPE_VALUES], 'QTYPE')
        self._add(qtype)
        empty = ObjectType('q_empty', None, None, [], None, None, [])
        self._add(empty)
        for name in BUILTINS:
            self._array(name, None)

    def _array(self, element_name, info):
        name = element_name + 'List'
        if name not in self._by_name:
            self._by_name[name] = ArrayType(element_name, info)
            self.entities.append(self._by_name[name])
        return name

    def _type_ref(self, value, info):
        if isinstance(value, list):
            return self._array(value[0], info)
        return value

    def _implicit(self, name, data, info, features=None):
        members = _members_from_data(data, info)
        for m in members:
            m.type_name = self._type_ref(m.type_name, info)
        return self._add(ObjectType(name, info, None, [], None, None, members)).name

    def _define(self, meta, expr, info, doc):
        name = expr[meta]
        features = _features(expr.get('features'), info)
        ifcond = expr.get('if')
        if meta == 'enum':
            members = []
            for v in expr['data']:
                if isinstance(v, dict):
                    members.append(EnumMember(v['name'], info,
                                              _features(v.get('features'), info),
                                              v.get('if')))
                else:
                    members.append(EnumMember(v, info, [], None))
            self._add(EnumType(name, info, doc, features, ifcond, members,
                               expr.get('prefix')))
        elif meta == 'struct':
            members = _members_from_data(expr['data'], info)
            for m in members:
                m.type_name = self._type_ref(m.type_name, info)
            self._add(ObjectType(name, info, doc, features, ifcond, expr.get('base'),
                                 members))
        elif meta == 'union':
            base = expr['base']
            ent = ObjectType(name, info, doc, features, ifcond, None, [],
                             self._variants(expr['data'], info),
                             expr['discriminator'], meta='union')
            self._add(ent)
            if isinstance(base, dict):
                base = self._implicit('q_obj_%s-base' % name, base, info)
            ent.base_name = base
        elif meta == 'alternate':
            self._add(AlternateType(name, info, doc, features, ifcond,
                                    self._variants(expr['data'], info)))
        elif meta == 'command':
            data = expr.get('data')
            cmd = Command(name, info, doc, features, ifcond, None, None,
                          expr.get('boxed', False), expr.get('gen', True),
                          expr.get('success-response', True),
                          expr.get('allow-oob', False),
                          expr.get('allow-preconfig', False),
                          expr.get('coroutine', False))
            self._add(cmd)
            if isinstance(data, dict):
                data = self._implicit('q_obj_%s-arg' % name, data, info)
            cmd.arg_name = data
            if 'returns' in expr:
                cmd.ret_name = self._type_ref(expr['returns'], info)
        elif meta == 'event':
            data = expr.get('data')
            ev = Event(name, info, doc, features, ifcond, None, expr.get('boxed', False))
            self._add(ev)
            if isinstance(data, dict):
                data = self._implicit('q_obj_%s-arg' % name, data, info)
            ev.arg_name = data

    def _variants(self, data, info):
        out = []
        for key, value in data.items():
            ifcond = None
            if isinstance(value, dict):
                ifcond = value.get('if')
                value = value['type']
            out.append(Variant(key, value, info, ifcond))
        return out

    # -- lookup and checking

    def lookup(self, name):
        return self._by_name.get(name)

    def resolve(self, name, info, what):
        t = self._by_name.get(name)
        if t is None:
            raise QAPIError(info, "%s uses unknown type '%s'" % (what, name))
        if not isinstance(t, Type):
            raise QAPIError(info, "%s uses '%s', which is %s, not a type"
                            % (what, name, t.describe()))
        if isinstance(t, ArrayType) and t.element_type is None:
            t.check(self)
        return t

    def _check(self):
        for ent in list(self.entities):
            if hasattr(ent, 'check'):
                ent.check(self)
        for ent in self.entities:
            self._check_doc(ent)

    def _check_doc(self, ent):
        if ent.is_implicit() or ent.info is None or isinstance(ent, ArrayType):
            return
        doc = ent.doc
        if doc is None:
            if self.pragmas.doc_required and not self.pragmas.allows(
                    'documentation-exceptions', ent.name):
                raise QAPIError(ent.info, '%s lacks documentation' % ent.describe())
            return
        if doc.symbol != ent.name:
            raise QAPIError(ent.info, "definition of '%s' follows documentation "
                            "for '%s'" % (ent.name, doc.symbol))
        names = set()
        if isinstance(ent, EnumType):
            names = set(ent.values())
        elif isinstance(ent, ObjectType):
            names = {m.name for m in ent.members}
        elif isinstance(ent, AlternateType):
            names = {v.name for v in ent.variants}
        elif isinstance(ent, (Command, Event)) and ent.arg_type is not None:
            names = {m.name for m in ent.arg_type.members}
        for name in doc.args:
            if name not in names:
                raise QAPIError(doc.info, "documented member '%s' is not a member "
                                "of %s" % (name, ent.describe()))
        declared = {f.name for f in ent.features}
        for m in getattr(ent, 'members', None) or []:
            declared |= {f.name for f in m.features}
        for name in doc.features:
            if name not in declared:
                raise QAPIError(doc.info, "documented feature '%s' is not a feature "
                                "of %s" % (name, ent.describe()))

    # -- iteration helpers for the generators

    def types(self):
        return [e for e in self.entities if isinstance(e, Type)]

    def user_entities(self):
        """Entities defined by the schema files (implicit types included),
        in definition order; built-ins and built-in lists excluded."""
        return [e for e in self.entities if e.info is not None]

    def commands(self):
        return [e for e in self.entities if isinstance(e, Command)]

    def events(self):
        return [e for e in self.entities if isinstance(e, Event)]
