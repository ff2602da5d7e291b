#!/usr/bin/env python3
"""Runs the QAPI generator over the test schemas and compares the results.

good/NAME.json   must compile; the model dump (--dump) must equal
                 good/NAME.out.  Optional further expectations:
                 good/NAME.introspect  the query-qmp-schema entries, one a line
                 good/NAME.types.h     the generated NAME-qapi-types.h
bad/NAME.json    must fail with exit status 1 and exactly the message in
                 bad/NAME.err on stderr.

usage: run.py [--update] [TEST...]   (--update rewrites the expectations)
Prints one line per failure and 'N passed, N failed'; exits 0 iff none
failed.
"""

import contextlib
import difflib
import glob
import importlib.util
import io
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(ROOT, 'scripts', 'qapi-gen.py')


def _load_gen():
    spec = importlib.util.spec_from_file_location('qapi_gen', GEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_GEN_MODULE = None


def run_gen(args):
    """Runs qapi-gen.py in this process (much faster than a process per
    test); relative paths keep file names in messages independent of the
    checkout."""
    global _GEN_MODULE
    if _GEN_MODULE is None:
        _GEN_MODULE = _load_gen()
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(HERE)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = _GEN_MODULE.main(args)
    finally:
        os.chdir(cwd)
    return rc, out.getvalue(), err.getvalue()


def introspect_text(schema):
    sys.path.insert(0, os.path.join(ROOT, 'scripts'))
    from qapi.gen_introspect import schema_json_entries
    from qapi.schema import Schema
    cwd = os.getcwd()
    os.chdir(HERE)
    try:
        entries = schema_json_entries(Schema(schema))
    finally:
        os.chdir(cwd)
    return ''.join(json.dumps(e) + '\n' for e in entries)


class Runner:
    def __init__(self, update):
        self.update = update
        self.passed = 0
        self.failed = 0

    def compare(self, name, what, expected_path, actual):
        if self.update:
            with open(expected_path, 'w', encoding='utf-8') as f:
                f.write(actual)
            return True
        try:
            with open(expected_path, encoding='utf-8') as f:
                expected = f.read()
        except OSError:
            print('FAIL %s: missing %s' % (name, os.path.relpath(expected_path, HERE)))
            return False
        if expected == actual:
            return True
        print('FAIL %s: %s differs' % (name, what))
        for line in difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                         'expected', 'actual', lineterm=''):
            print('    ' + line)
        return False

    def good(self, path):
        name = os.path.relpath(path, HERE)
        base = path[:-len('.json')]
        rc, out, err = run_gen(['--dump', name])
        ok = rc == 0 and not err
        if not ok:
            print('FAIL %s: exit %d: %s' % (name, rc, err.strip()))
        else:
            ok = self.compare(name, 'model dump', base + '.out', out)
        if ok:
            with tempfile.TemporaryDirectory() as tmp:
                prefix = os.path.basename(base) + '-'
                rc, out, err = run_gen(['-o', tmp, '-p', prefix, name])
                if rc != 0 or err:
                    print('FAIL %s: code generation: %s' % (name, err.strip()))
                    ok = False
                elif os.path.exists(base + '.types.h') or (
                        self.update and os.path.basename(base) == 'c-names'):
                    with open(os.path.join(tmp, prefix + 'qapi-types.h'),
                              encoding='utf-8') as f:
                        ok = self.compare(name, 'types header', base + '.types.h', f.read())
        if ok and (os.path.exists(base + '.introspect') or (
                self.update and os.path.basename(base) == 'introspect')):
            ok = self.compare(name, 'introspection', base + '.introspect',
                              introspect_text(name))
        return ok

    def bad(self, path):
        name = os.path.relpath(path, HERE)
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err = run_gen(['-o', tmp, name])
        if rc != 1 or out:
            print('FAIL %s: expected exit status 1, got %d (stdout %r)' % (name, rc, out))
            return False
        return self.compare(name, 'error message', path[:-len('.json')] + '.err', err)

    def run(self, selected):
        tests = sorted(glob.glob(os.path.join(HERE, 'good', '*.json')))
        tests += sorted(glob.glob(os.path.join(HERE, 'bad', '*.json')))
        for path in tests:
            rel = os.path.relpath(path, HERE)
            if selected and rel not in selected and os.path.basename(path) not in selected:
                continue
            ok = self.good(path) if rel.startswith('good') else self.bad(path)
            if ok:
                self.passed += 1
            else:
                self.failed += 1
        print('%d passed, %d failed' % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1


def main(argv):
    update = '--update' in argv
    selected = [a for a in argv if a != '--update']
    return Runner(update).run(selected)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
