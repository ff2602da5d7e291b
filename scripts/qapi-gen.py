#!/usr/bin/env python3
"""Compiles a QAPI schema into C.

usage: qapi-gen.py -o OUTDIR [--prefix PFX] [--builtins] [--dump]
                  [--depfile FILE] SCHEMA

Writes PFXqapi-{types,visit,commands,events}.{h,c} and PFXqapi-introspect.c
into OUTDIR.  --builtins also writes qapi-builtin-{types,visit}.{h,c}, the
code for built-in list types and QType that all schemas share (generate it
once, with the main schema).  --dump prints the parsed model instead.
--depfile writes a Makefile-style list of the schema files read (and of the
generator's own sources), so that the build notices any included file.
Errors are reported as 'file:line: message' with exit status 1."""

import argparse
import os
import sys

# Keep the source tree free of __pycache__ directories.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qapi.dump import dump  # noqa: E402
from qapi.gen_commands import gen_commands  # noqa: E402
from qapi.gen_events import gen_events  # noqa: E402
from qapi.gen_introspect import gen_introspect  # noqa: E402
from qapi.gen_types import gen_types  # noqa: E402
from qapi.gen_visit import gen_visit  # noqa: E402
from qapi.schema import Schema  # noqa: E402
from qapi.source import QAPIError  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description='Generate C code from a QAPI schema.')
    ap.add_argument('-o', '--output-dir', default='.')
    ap.add_argument('-p', '--prefix', default='')
    ap.add_argument('-b', '--builtins', action='store_true')
    ap.add_argument('--dump', action='store_true')
    ap.add_argument('--depfile')
    ap.add_argument('schema')
    args = ap.parse_args(argv)

    try:
        schema = Schema(args.schema)
        if args.dump:
            sys.stdout.write(dump(schema))
            return 0
        outputs = []
        outputs += gen_types(schema, args.prefix, False)
        outputs += gen_visit(schema, args.prefix, False)
        outputs += gen_commands(schema, args.prefix)
        outputs += gen_events(schema, args.prefix)
        outputs += gen_introspect(schema, args.prefix)
        if args.builtins:
            outputs += gen_types(schema, '', True)
            outputs += gen_visit(schema, '', True)
    except QAPIError as e:
        print(e, file=sys.stderr)
        return 1
    os.makedirs(args.output_dir, exist_ok=True)
    for out in outputs:
        out.write(args.output_dir)
    if args.depfile:
        write_depfile(args.depfile, os.path.join(args.output_dir, outputs[0].fname),
                      schema.files)
    return 0


def write_depfile(path, target, schema_files):
    here = os.path.dirname(os.path.abspath(__file__))
    deps = [os.path.abspath(f) for f in schema_files]
    deps.append(os.path.abspath(__file__))
    pkg = os.path.join(here, 'qapi')
    deps += sorted(os.path.join(pkg, f) for f in os.listdir(pkg) if f.endswith('.py'))

    def esc(p):
        return p.replace(' ', '\\ ')

    with open(path, 'w', encoding='utf-8') as f:
        f.write('%s: %s\n' % (esc(target), ' \\\n  '.join(esc(d) for d in deps)))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
