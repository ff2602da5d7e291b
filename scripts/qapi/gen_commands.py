"""qapi-commands.h/.c: prototypes of the hand-written qmp_<command>()
functions, one marshaller per command (JSON arguments -> C call -> JSON
result) and qmp_init_marshal(), which registers them all."""

from .cgen import decl, params, to_json_expr, free_stmt
from .common import Output, c_name, c_string, header_close, header_open
from .schema import BuiltinType

# gen: false commands whose marshaller another generated file provides.
PROVIDED_MARSHALLERS = {
    'query-qmp-schema': 'qapi-introspect.c',
}


def qmp_fn(cmd):
    return 'qmp_' + c_name(cmd.name)


def marshal_fn(cmd):
    return 'qmp_marshal_' + c_name(cmd.name)


def _takes_args(cmd):
    t = cmd.arg_type
    return t is not None and (cmd.boxed or not t.is_empty())


def proto(cmd):
    ret = decl(cmd.ret_type.c_type(), '') if cmd.ret_type else 'void '
    args = []
    if cmd.boxed:
        args.append('%s *arg' % cmd.arg_type.c_name())
    elif _takes_args(cmd):
        args += params(cmd.arg_type.members)
    args.append('Error **errp')
    return '%s%s(%s)' % (ret, qmp_fn(cmd), ', '.join(args))


def _call_args(cmd):
    if cmd.boxed:
        return ['&arg']
    out = []
    if _takes_args(cmd):
        for m in cmd.arg_type.members:
            if m.optional:
                out.append('arg.has_%s' % m.c_name())
            out.append('arg.%s' % m.c_name())
    return out


def _ret_to_json(t):
    if isinstance(t, BuiltinType) and t.name == 'any':
        return ['*ret = retval ? retval : json_null();']
    lines = ['*ret = %s;' % to_json_expr(t, 'retval')]
    s = free_stmt(t, 'retval')
    if s:
        lines.append(s)
    return lines


def _marshaller(cmd):
    with_args = _takes_args(cmd)
    leave = 'goto out;' if with_args else 'return;'
    lines = ['Error *err = NULL;']
    if with_args:
        lines += ['QapiInput ctx;', '%s arg = {0};' % cmd.arg_type.c_name()]
    if cmd.ret_type:
        lines.append('%s;' % decl(cmd.ret_type.c_type(), 'retval'))
    lines.append('')
    if with_args:
        lines += ['qapi_input_init(&ctx, false);',
                  'if (!qapi_from_json_%s_inplace(args, NULL, &arg, &ctx, errp)) {'
                  % cmd.arg_type.c_name(),
                  '    goto out;', '}']
    else:
        lines += ['if (!qapi_input_check_no_args(args, errp)) {', '    return;', '}']
    lines += ['if (!qmp_dispatch_check_run(%s, errp)) {' % c_string(cmd.name),
              '    ' + leave, '}']
    call = '%s(%s)' % (qmp_fn(cmd), ', '.join(_call_args(cmd) + ['&err']))
    if cmd.ret_type:
        lines.append('retval = %s;' % call)
    else:
        lines.append('%s;' % call)
    lines += ['if (err) {', '    error_propagate(errp, err);']
    if cmd.ret_type:
        s = free_stmt(cmd.ret_type, 'retval')
        if s:
            lines.append('    ' + s)
    lines += ['    ' + leave, '}']
    if cmd.ret_type:
        lines += _ret_to_json(cmd.ret_type)
    else:
        lines.append('*ret = json_object();')
    if with_args:
        lines += ['', 'out:', 'qapi_free_%s_members(&arg);' % cmd.arg_type.c_name()]
    body = ''.join(('    ' + l if l and not l.endswith(':') else l) + '\n' for l in lines)
    return 'void %s(json_t *args, json_t **ret, Error **errp)\n{\n%s}\n\n' % (
        marshal_fn(cmd), body)


def _flags(cmd):
    flags = []
    if cmd.allow_preconfig:
        flags.append('QCO_ALLOW_PRECONFIG')
    if cmd.coroutine:
        flags.append('QCO_COROUTINE')
    if cmd.allow_oob:
        flags.append('QCO_ALLOW_OOB')
    return ' | '.join(flags) or 'QCO_NO_FLAGS'


def gen_commands(schema, prefix):
    h = Output(prefix + 'qapi-commands.h', 'QMP command prototypes and marshallers')
    c = Output(prefix + 'qapi-commands.c', 'QMP command marshallers')
    h.add(header_open(h.fname))
    h.add('#include "qapi/qmp-dispatch.h"\n#include "%sqapi-types.h"\n\n' % prefix)
    c.add('#include "%sqapi-commands.h"\n#include "%sqapi-visit.h"\n\n' % (prefix, prefix))
    registrations = []
    for cmd in schema.commands():
        if not cmd.gen:
            if cmd.name in PROVIDED_MARSHALLERS:
                h.add('/* Provided by %s%s. */\n' % (prefix, PROVIDED_MARSHALLERS[cmd.name]))
                h.add('void %s(json_t *args, json_t **ret, Error **errp);\n'
                      % marshal_fn(cmd))
                registrations.append(cmd)
            continue
        h.add('%s;\n' % proto(cmd))
        h.add('void %s(json_t *args, json_t **ret, Error **errp);\n' % marshal_fn(cmd))
        c.add(_marshaller(cmd))
        registrations.append(cmd)
    init = c_name(prefix, False) + 'qmp_init_marshal'
    h.add('\nvoid %s(void);\n' % init)
    h.add('/* The query-qmp-schema answer (%sqapi-introspect.c). */\n' % prefix)
    h.add('extern const char %sqmp_schema_json[];\n' % c_name(prefix, False))
    c.add('void %s(void)\n{\n' % init)
    for cmd in registrations:
        c.add('    qmp_register_command(%s, %s, %s);\n'
              % (c_string(cmd.name), marshal_fn(cmd), _flags(cmd)))
    c.add('}\n')
    h.add(header_close(h.fname))
    return [h, c]
