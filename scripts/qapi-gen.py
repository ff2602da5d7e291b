#!/usr/bin/env python3
"""Compiles a QAPI schema into C.

usage: qapi-gen.py -o OUTDIR [--prefix PFX] [--builtins] [--dump] SCHEMA

Writes PFXqapi-{types,visit,commands,events}.{h,c} and PFXqapi-introspect.c
into OUTDIR.  --builtins also writes qapi-builtin-{types,visit}.{h,c}, the
code for built-in list types and QType that all schemas share (generate it
once, with the main schema).  --dump prints the parsed model instead.
Errors are reported as 'file:line: message' with exit status 1."""

import argparse
import os
import sys

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
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
