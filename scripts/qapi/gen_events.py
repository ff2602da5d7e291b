"""qapi-events.h/.c: one qapi_event_send_<event>() per event; it builds the
event's "data" object and hands it to qapi_event_emit() (monitor/)."""

from .cgen import params
from .common import Output, c_enum_const, c_name, c_string, header_close, header_open
from .gen_types import enum_array


def send_fn(ev):
    return 'qapi_event_send_' + c_name(ev.name.lower())


def _has_data(ev):
    return ev.arg_type is not None and (ev.boxed or not ev.arg_type.is_empty())


def proto(ev):
    if ev.boxed:
        args = ['%s *arg' % ev.arg_type.c_name()]
    elif _has_data(ev):
        args = params(ev.arg_type.members)
    else:
        args = ['void']
    return 'void %s(%s)' % (send_fn(ev), ', '.join(args))


def _body(ev):
    name = c_string(ev.name)
    if not _has_data(ev):
        return ['qapi_event_emit(%s, NULL);' % name]
    t = ev.arg_type.c_name()
    if ev.boxed:
        return ['json_t *data = json_object();', '',
                'qapi_to_json_%s_members(arg, data);' % t,
                'qapi_event_emit(%s, data);' % name]
    lines = ['%s param = {' % t]
    for m in ev.arg_type.members:
        if m.optional:
            lines.append('    .has_%s = has_%s,' % (m.c_name(), m.c_name()))
        value = m.c_name()
        if m.type.c_param_type() != m.type.c_type():
            value = '(%s)%s' % (m.type.c_type(), value)
        lines.append('    .%s = %s,' % (m.c_name(), value))
    lines += ['};', 'json_t *data = json_object();', '',
              'qapi_to_json_%s_members(&param, data);' % t,
              'qapi_event_emit(%s, data);' % name]
    return lines


def gen_events(schema, prefix):
    h = Output(prefix + 'qapi-events.h', 'QMP event senders')
    c = Output(prefix + 'qapi-events.c', 'QMP event senders')
    enum = c_name(prefix, False) + 'QAPIEvent'
    events = schema.events()
    h.add(header_open(h.fname))
    h.add('#include "%sqapi-types.h"\n\n' % prefix)
    h.add('/* Implemented by the monitor (monitor/monitor.h); steals data. */\n'
          'extern void qapi_event_emit(const char *name, json_t *data);\n\n')
    h.add('typedef enum %s {\n' % enum)
    for ev in events:
        h.add('    %s,\n' % c_enum_const(enum, ev.name))
    h.add('    %s,\n} %s;\n\n' % (c_enum_const(enum, '_MAX'), enum))
    h.add('extern const QEnumLookup %s_lookup;\n\n' % enum)
    c.add('#include "%sqapi-events.h"\n#include "%sqapi-visit.h"\n\n' % (prefix, prefix))
    c.add('const QEnumLookup %s_lookup = {\n' % enum)
    c.add(''.join(line + '\n' for line in enum_array(
        [(c_enum_const(enum, ev.name), ev.name) for ev in events])))
    c.add('    .size = %s,\n};\n\n' % c_enum_const(enum, '_MAX'))
    for ev in events:
        h.add('%s;\n' % proto(ev))
        c.add('%s\n{\n' % proto(ev))
        c.add(''.join(('    ' + l if l else '') + '\n' for l in _body(ev)))
        c.add('}\n\n')
    h.add(header_close(h.fname))
    return [h, c]
