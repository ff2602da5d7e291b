#!/usr/bin/env python3
"""Runs every minivm test and prints one closing line: 'N passed, N failed'.

For each build directory given with --build it runs the meson tests (unit
tests written with Check, the QAPI generator tests) and the functional tests
(Python, against that build's minivm binary).  A Check program counts each of
its checks; any other meson test counts as one.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK_SUMMARY = re.compile(r"(\d+)%: Checks: (\d+), Failures: (\d+), Errors: (\d+)")
CLOSING = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$", re.M)


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def add(self, label, passed, failed, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        if failed:
            self.failures.append(label)


def run_meson_tests(build, tally):
    label = os.path.basename(build)
    print(f"== meson tests ({label})", flush=True)
    proc = subprocess.run(["meson", "test", "-C", build, "--no-rebuild", "--print-errorlogs",
                           "--num-processes", "2"], cwd=ROOT, capture_output=True, text=True)
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        print(proc.stdout[-4000:], proc.stderr[-4000:])
        tally.add(f"{label}: meson test did not run", 0, 1)
        return
    with open(log) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    for e in entries:
        name = f"{label}: {e['name']}"
        out = e.get("stdout") or ""
        m = CHECK_SUMMARY.search(out)
        closing = CLOSING.search(out)
        ok = e["result"] == "OK"
        if m:
            checks, fails, errs = int(m.group(2)), int(m.group(3)), int(m.group(4))
            bad = fails + errs if (fails + errs) else (0 if ok else 1)
            tally.add(name, checks - fails - errs, bad)
        elif closing:
            p, fl = int(closing.group(1)), int(closing.group(2))
            tally.add(name, p, fl if fl or ok else 1, int(closing.group(3) or 0))
        elif e["result"] == "SKIP":
            tally.add(name, 0, 0, 1)
        else:
            tally.add(name, 1 if ok else 0, 0 if ok else 1)
        status = "ok  " if ok else ("skip" if e["result"] == "SKIP" else "FAIL")
        print(f"{status} {name} ({e.get('duration', 0):.1f}s)", flush=True)
        if not ok and e["result"] != "SKIP":
            print(out[-6000:])
            print((e.get("stderr") or "")[-6000:])


def run_functional(build, tally, pattern):
    label = os.path.basename(build)
    binary = os.path.join(ROOT, build, "minivm")
    print(f"== functional tests ({label})", flush=True)
    runner = os.path.join(ROOT, "tests", "functional", "run.py")
    if not os.path.exists(runner):
        print("no functional tests yet")
        return
    cmd = [sys.executable, runner, "--binary", binary]
    if pattern:
        cmd += ["-k", pattern]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stdout.write(proc.stderr[-8000:])
    m = None
    for m in CLOSING.finditer(proc.stdout):
        pass
    if not m:
        tally.add(f"{label}: functional runner gave no summary (exit {proc.returncode})", 0, 1)
        return
    failed = int(m.group(2))
    if proc.returncode != 0 and failed == 0:
        failed = 1
    tally.add(f"{label}: functional", int(m.group(1)), failed, int(m.group(3) or 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="append", required=True)
    ap.add_argument("--only", choices=["unit", "functional"])
    ap.add_argument("-k", dest="pattern")
    args = ap.parse_args()
    if not os.path.exists("/dev/kvm"):
        print("*" * 70)
        print("WARNING: /dev/kvm is absent: tests that need KVM will be SKIPPED")
        print("*" * 70)
    start = time.time()
    tally = Tally()
    for build in args.build:
        if args.only in (None, "unit"):
            run_meson_tests(build, tally)
        if args.only in (None, "functional"):
            run_functional(build, tally, args.pattern)
    print(f"== done in {time.time() - start:.0f}s")
    for f in tally.failures:
        print(f"FAILED: {f}")
    line = f"{tally.passed} passed, {tally.failed} failed"
    if tally.skipped:
        line += f", {tally.skipped} skipped"
    print(line)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
