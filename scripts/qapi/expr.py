"""Shape checks on parsed expressions: the right keys with the right kinds
of values, and well-formed names.  Whether referenced types exist and fit
together is checked later, in schema.py."""

import re

from .source import QAPIError

META_KEYS = ('enum', 'struct', 'union', 'alternate', 'command', 'event')

_KEYS = {
    'enum': ({'enum', 'data'}, {'prefix', 'if', 'features'}),
    'struct': ({'struct', 'data'}, {'base', 'if', 'features'}),
    'union': ({'union', 'base', 'discriminator', 'data'}, {'if', 'features'}),
    'alternate': ({'alternate', 'data'}, {'if', 'features'}),
    'command': ({'command'}, {'data', 'returns', 'boxed', 'if', 'features', 'gen',
                              'success-response', 'allow-oob', 'allow-preconfig',
                              'coroutine'}),
    'event': ({'event'}, {'data', 'boxed', 'if', 'features'}),
}

CAMEL_RE = re.compile(r'[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$')
EVENT_RE = re.compile(r'[A-Z][A-Z0-9_]*$')
COMMAND_RE = re.compile(r'[a-z][a-z0-9-]*$')
COMMAND_PERMISSIVE_RE = re.compile(r'[a-z][a-z0-9_-]*$')
MEMBER_RE = re.compile(r'[a-z][a-z0-9_-]*$')
MEMBER_PERMISSIVE_RE = re.compile(r'[A-Za-z][A-Za-z0-9_-]*$')
VALUE_RE = re.compile(r'[a-z0-9][a-z0-9_-]*$')
VALUE_PERMISSIVE_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_-]*$')


def _err(info, msg):
    raise QAPIError(info, msg)


def meta_of(expr, info):
    metas = [k for k in META_KEYS if k in expr]
    if not metas:
        _err(info, 'definition must have one of the keys %s'
             % ', '.join("'%s'" % k for k in META_KEYS))
    if len(metas) > 1:
        _err(info, "definition has more than one kind: '%s' and '%s'"
             % (metas[0], metas[1]))
    return metas[0]


def check_if(value, info, source):
    """'if' conditions are accepted and recorded; minivm has no build
    configurations to drop definitions for, so they are not evaluated."""
    if isinstance(value, str):
        if not re.match(r'[A-Za-z_][A-Za-z0-9_]*$', value):
            _err(info, "'if' condition '%s' of %s is not a valid identifier"
                 % (value, source))
        return
    if isinstance(value, dict) and len(value) == 1:
        (op, arg), = value.items()
        if op == 'not':
            check_if(arg, info, source)
            return
        if op in ('all', 'any') and isinstance(arg, list) and arg:
            for a in arg:
                check_if(a, info, source)
            return
    _err(info, "'if' condition of %s must be a string or an object with "
         "one key 'all', 'any' or 'not'" % source)


def _check_flag(expr, key, info, source):
    if key in expr and not isinstance(expr[key], bool):
        _err(info, "'%s' of %s must be true or false" % (key, source))


def check_features(features, info, source):
    if not isinstance(features, list):
        _err(info, "'features' of %s must be a list" % source)
    for f in features:
        if isinstance(f, dict):
            _check_keys(f, info, 'feature of %s' % source, {'name'}, {'if'})
            if 'if' in f:
                check_if(f['if'], info, 'feature of %s' % source)
            name = f['name']
        else:
            name = f
        if not isinstance(name, str):
            _err(info, "feature of %s must be a string" % source)
        if not MEMBER_RE.match(name):
            _err(info, "feature '%s' of %s must be lower case, digits and '-'"
                 % (name, source))


def _check_keys(expr, info, source, required, optional):
    if not isinstance(expr, dict):
        _err(info, '%s must be an object' % source)
    for k in expr:
        if k not in required and k not in optional:
            _err(info, "%s has unknown key '%s'" % (source, k))
    for k in sorted(required):
        if k not in expr:
            _err(info, "%s lacks key '%s'" % (source, k))


def check_type_ref(value, info, source, allow_array=True):
    if isinstance(value, str):
        if value == '':
            _err(info, '%s names an empty type' % source)
        if value.startswith('q_'):
            _err(info, "%s uses the reserved name '%s'" % (source, value))
        return
    if isinstance(value, list):
        if not allow_array:
            _err(info, '%s cannot be an array' % source)
        if len(value) != 1 or not isinstance(value[0], str):
            _err(info, '%s: an array type must be a list of exactly one type name'
                 % source)
        check_type_ref(value[0], info, source, allow_array=False)
        return
    _err(info, '%s must be a type name or a one-element list' % source)


def _check_member_name(name, info, source, permissive):
    regex = MEMBER_PERMISSIVE_RE if permissive else MEMBER_RE
    if not regex.match(name):
        _err(info, "%s: name '%s' must use lower case, digits, '-' and '_'"
             % (source, name))
    c = name.replace('-', '_')
    if c == 'u' or c.startswith('has_') or c.startswith('q_'):
        _err(info, "%s: name '%s' is reserved" % (source, name))


def check_members(data, info, source, permissive):
    """'data' of a struct, or inline arguments: name -> type or
    {'type': ..., 'if': ..., 'features': ...}; a leading '*' marks an
    optional member."""
    if not isinstance(data, dict):
        _err(info, "'data' of %s must be an object" % source)
    for key, value in data.items():
        name = key[1:] if key.startswith('*') else key
        what = "member '%s' of %s" % (name, source)
        _check_member_name(name, info, source, permissive)
        if isinstance(value, dict):
            _check_keys(value, info, what, {'type'}, {'if', 'features'})
            if 'if' in value:
                check_if(value['if'], info, what)
            if 'features' in value:
                check_features(value['features'], info, what)
            value = value['type']
        check_type_ref(value, info, what)


def _check_name(kind, name, info, pragmas):
    if not isinstance(name, str):
        _err(info, "name of %s must be a string" % kind)
    if kind in ('enum', 'struct', 'union', 'alternate'):
        if not CAMEL_RE.match(name):
            _err(info, "name of %s '%s' must use CamelCase" % (kind, name))
        if name.endswith('List'):
            _err(info, "name of %s '%s' must not end with 'List'" % (kind, name))
    elif kind == 'event':
        if not EVENT_RE.match(name):
            _err(info, "name of event '%s' must use upper case, digits and '_'"
                 % name)
    else:
        permissive = pragmas.allows('command-name-exceptions', name)
        regex = COMMAND_PERMISSIVE_RE if permissive else COMMAND_RE
        if not regex.match(name):
            _err(info, "name of command '%s' must use lower case, digits and '-'"
                 % name)


def _check_enum(expr, info, source, permissive):
    data = expr['data']
    if not isinstance(data, list):
        _err(info, "'data' of %s must be a list" % source)
    if 'prefix' in expr and not isinstance(expr['prefix'], str):
        _err(info, "'prefix' of %s must be a string" % source)
    regex = VALUE_PERMISSIVE_RE if permissive else VALUE_RE
    for v in data:
        if isinstance(v, dict):
            _check_keys(v, info, 'value of %s' % source, {'name'}, {'if', 'features'})
            if 'if' in v:
                check_if(v['if'], info, 'value of %s' % source)
            if 'features' in v:
                check_features(v['features'], info, 'value of %s' % source)
            v = v['name']
        if not isinstance(v, str):
            _err(info, 'values of %s must be strings' % source)
        if not regex.match(v):
            _err(info, "value '%s' of %s must use lower case, digits, '-' and '_'"
                 % (v, source))


def _check_branches(expr, info, source, meta):
    data = expr['data']
    if not isinstance(data, dict):
        _err(info, "'data' of %s must be an object" % source)
    if not data:
        _err(info, "%s has no branches" % source)
    for key, value in data.items():
        what = "branch '%s' of %s" % (key, source)
        regex = VALUE_RE if meta == 'union' else MEMBER_RE
        if not regex.match(key):
            _err(info, "%s: name must use lower case, digits, '-' and '_'" % what)
        if isinstance(value, dict):
            _check_keys(value, info, what, {'type'}, {'if'})
            if 'if' in value:
                check_if(value['if'], info, what)
            value = value['type']
        check_type_ref(value, info, what, allow_array=False)


def check_expr(expr, info, pragmas):
    meta = meta_of(expr, info)
    name = expr[meta]
    _check_name(meta, name, info, pragmas)
    source = "%s '%s'" % (meta, name)
    required, optional = _KEYS[meta]
    _check_keys(expr, info, source, required, optional)
    if 'if' in expr:
        check_if(expr['if'], info, source)
    if 'features' in expr:
        check_features(expr['features'], info, source)
    permissive = pragmas.allows('member-name-exceptions', name)
    for flag in ('boxed', 'gen', 'success-response', 'allow-oob',
                 'allow-preconfig', 'coroutine'):
        _check_flag(expr, flag, info, source)

    if meta == 'enum':
        _check_enum(expr, info, source, permissive)
    elif meta == 'struct':
        check_members(expr['data'], info, source, permissive)
        if 'base' in expr:
            check_type_ref(expr['base'], info, "'base' of %s" % source,
                           allow_array=False)
    elif meta == 'union':
        base = expr['base']
        if isinstance(base, dict):
            check_members(base, info, "base of %s" % source, permissive)
        else:
            check_type_ref(base, info, "'base' of %s" % source, allow_array=False)
        if not isinstance(expr['discriminator'], str):
            _err(info, "'discriminator' of %s must be a string" % source)
        _check_branches(expr, info, source, meta)
    elif meta == 'alternate':
        _check_branches(expr, info, source, meta)
    elif meta in ('command', 'event'):
        data = expr.get('data')
        if expr.get('boxed'):
            if data is None:
                _err(info, "%s uses 'boxed' but has no 'data'" % source)
            if not isinstance(data, str):
                _err(info, "'data' of %s must name a type when 'boxed' is true"
                     % source)
        elif isinstance(data, dict):
            check_members(data, info, source, permissive)
        elif data is not None:
            check_type_ref(data, info, "'data' of %s" % source, allow_array=False)
        if 'returns' in expr:
            if meta == 'event':
                _err(info, "%s has unknown key 'returns'" % source)
            check_type_ref(expr['returns'], info, "'returns' of %s" % source)
    return meta
