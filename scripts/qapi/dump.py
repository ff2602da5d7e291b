"""A plain-text dump of the schema model, used by the schema tests to pin
down what the front end understood."""

from .schema import AlternateType, ArrayType, Command, EnumType, Event, ObjectType


def _features(ent):
    if not ent.features:
        return ''
    return ' features=' + ','.join(f.name for f in ent.features)


def _if(ent):
    return ' if=%r' % (ent.ifcond,) if ent.ifcond else ''


def dump(schema):
    out = []
    for ent in schema.user_entities():
        if isinstance(ent, EnumType):
            out.append('enum %s prefix=%s%s%s' % (ent.name, ent.const('')[:-1],
                                                   _features(ent), _if(ent)))
            for m in ent.members:
                out.append('    value %s -> %s%s%s' % (m.name, ent.const(m.name),
                                                      _features(m), _if(m)))
        elif isinstance(ent, ArrayType):
            out.append('array %s of %s' % (ent.c_name(), ent.element_type.name))
        elif isinstance(ent, ObjectType):
            out.append('object %s%s%s' % (ent.name, _features(ent), _if(ent)))
            if ent.base:
                out.append('    base %s' % ent.base.name)
            for m in ent.members:
                out.append('    member %s: %s%s%s%s' % (
                    m.name, m.type.name, ' optional' if m.optional else '',
                    _features(m), _if(m)))
            if ent.variants:
                out.append('    tag %s' % ent.tag_member.name)
                for v in ent.variants:
                    out.append('    case %s: %s' % (v.name, v.type.name))
        elif isinstance(ent, AlternateType):
            out.append('alternate %s%s%s' % (ent.name, _features(ent), _if(ent)))
            for v in ent.variants:
                out.append('    branch %s: %s' % (v.name, v.type.name))
        elif isinstance(ent, Command):
            out.append('command %s args=%s ret=%s%s%s' % (
                ent.name, ent.arg_type.name if ent.arg_type else '-',
                ent.ret_type.name if ent.ret_type else '-', _features(ent), _if(ent)))
            flags = [f for f in ('boxed', 'gen', 'success_response', 'allow_oob',
                                 'allow_preconfig', 'coroutine') if getattr(ent, f)]
            out.append('    flags %s' % ' '.join(flags))
        elif isinstance(ent, Event):
            out.append('event %s args=%s%s%s%s' % (
                ent.name, ent.arg_type.name if ent.arg_type else '-',
                ' boxed' if ent.boxed else '', _features(ent), _if(ent)))
        doc = ent.doc
        if doc is not None:
            out.append('    doc %s' % doc.symbol)
            for name in doc.args:
                out.append('        arg %s' % name)
            for name in doc.features:
                out.append('        feature %s' % name)
            for title, _ in doc.sections:
                out.append('        section %s' % title)
    return '\n'.join(out) + '\n'
