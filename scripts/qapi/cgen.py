"""Per-type C snippets shared by the generators: how a value of a schema
type is declared, freed, converted from and to JSON."""

from .schema import BuiltinType, EnumType


def member_decl(m):
    """Declaration lines of a struct member (with its has_ flag)."""
    out = []
    if m.optional:
        out.append('bool has_%s;' % m.c_name())
    out.append(decl(m.type.c_type(), m.c_name()) + ';')
    return out


def decl(c_type, name):
    if c_type.endswith('*'):
        return c_type + name
    return '%s %s' % (c_type, name)


def free_stmt(t, lvalue):
    """Statement freeing the value stored in lvalue (NULL-safe), or None."""
    if isinstance(t, BuiltinType):
        if t.name == 'str':
            return 'g_free(%s);' % lvalue
        if t.name in ('any', 'null'):
            return 'json_decref(%s);' % lvalue
        return None
    if isinstance(t, EnumType):
        return None
    return 'qapi_free_%s(%s);' % (t.c_name(), lvalue)


def to_json_expr(t, rvalue):
    """Expression making a new JSON reference from the value rvalue."""
    if isinstance(t, BuiltinType):
        return 'qapi_to_json_%s(%s)' % (t.name, rvalue)
    return 'qapi_to_json_%s(%s)' % (t.c_name(), rvalue)


def from_json_call(t, json, name, out_ptr):
    """Call converting JSON 'json' (NULL: missing) into *out_ptr."""
    if isinstance(t, BuiltinType):
        fn = 'qapi_from_json_%s' % t.name
    else:
        fn = 'qapi_from_json_%s' % t.c_name()
    return '%s(%s, %s, %s, ctx, errp)' % (fn, json, name, out_ptr)


def params(members, with_has=True):
    """Parameter list for members passed one by one (commands, events)."""
    out = []
    for m in members:
        if m.optional and with_has:
            out.append('bool has_%s' % m.c_name())
        out.append(decl(m.type.c_param_type(), m.c_name()))
    return out


def indent(lines, n=1):
    pad = '    ' * n
    return [pad + line if line else line for line in lines]
