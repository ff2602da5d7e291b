#!/usr/bin/env python3
"""
Runs the functional tests: tests/functional/run.py [--binary PATH] [-k PATTERN] [-v]

Prints one line per test ("ok", "FAIL" or "skip", the test's name, and for
the last two the reason), the tracebacks of failures, and ends with
"N passed, N failed" (", N skipped" when some were skipped).  Exits 0 iff
nothing failed.  Tests run in parallel over -j processes (default 2).

Without --binary the tests use $MINIVM, or build/minivm at the repository
root.  MINIVM_SLOW=1 enables tests that are too slow against real QEMU.
"""

import argparse
import fnmatch
import glob
import io
import multiprocessing
import os
import shutil
import signal
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree

# Seconds; every read in a test already has its own deadline.  Slow tests
# against QEMU (MINIVM_SLOW=1) need minutes.
PER_TEST_TIMEOUT = 900 if os.environ.get("MINIVM_SLOW") else 120
RUN_TOKEN_VAR = "MINIVM_FUNCTIONAL_RUN"


class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout("test took longer than %d s" % PER_TEST_TIMEOUT)


class _Result(unittest.TestResult):
    """Keeps the outcome of one test, subtests folded in."""

    def __init__(self):
        super().__init__()
        self.status = "ok"
        self.reason = ""
        self.details = ""

    def _fail(self, test, err):
        self.status = "FAIL"
        exc = err[1]
        first = str(exc).strip().split("\n")[0] if str(exc).strip() else type(exc).__name__
        if not self.reason:
            self.reason = "%s: %s" % (type(exc).__name__, first[:300])
        self.details += "".join(traceback.format_exception(*err))

    def addError(self, test, err):
        self._fail(test, err)

    def addFailure(self, test, err):
        self._fail(test, err)

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self._fail(subtest, err)

    def addSkip(self, test, reason):
        if self.status == "ok":
            self.status = "skip"
            self.reason = reason

    def addUnexpectedSuccess(self, test):
        self.status = "FAIL"
        self.reason = "unexpected success"


def _run_one(test_id):
    """Runs one test in a worker process: (status, id, reason, details, secs)."""
    start = time.monotonic()
    result = _Result()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(PER_TEST_TIMEOUT)
    try:
        suite = unittest.defaultTestLoader.loadTestsFromName(test_id)
        # Output a test prints goes nowhere; results speak for it.
        saved = sys.stdout
        sys.stdout = io.StringIO()
        try:
            suite.run(result)
        finally:
            sys.stdout = saved
    except BaseException as e:  # noqa: B902 - a worker must always answer
        result.status = "FAIL"
        result.reason = "%s: %s" % (type(e).__name__, e)
        result.details = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return result.status, test_id, result.reason, result.details, time.monotonic() - start


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


def _discover():
    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    ids = []
    for t in _flatten(suite):
        if isinstance(t, unittest.loader._FailedTest):
            ids.append(("import-error", t.id(), t._exception))
        else:
            ids.append(("test", t.id(), None))
    return ids


def _matches(test_id, patterns):
    if not patterns:
        return True
    for p in patterns:
        if not any(ch in p for ch in "*?["):
            p = "*%s*" % p
        if fnmatch.fnmatchcase(test_id, p):
            return True
    return False


def _leaked_processes(token):
    """Processes still carrying this run's token in their environment."""
    needle = ("%s=%s" % (RUN_TOKEN_VAR, token)).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read().split(b"\0")
            if needle not in env:
                continue
            with open("/proc/%s/stat" % name) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            found.append((int(name), cmd))
        except (OSError, IndexError):
            continue
    return found


def main():
    ap = argparse.ArgumentParser(description="minivm functional tests")
    ap.add_argument("--binary", help="binary under test (default $MINIVM or build/minivm)")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help="only tests whose id matches (substring or glob); repeatable")
    ap.add_argument("-v", action="store_true", help="print tracebacks as tests fail")
    ap.add_argument("-j", type=int, default=2, help="parallel processes (default 2)")
    opts = ap.parse_args()

    if opts.binary:
        os.environ["MINIVM"] = os.path.abspath(opts.binary)
    from qmp import binary_path, is_qemu

    binary = binary_path()
    token = "%d-%d" % (os.getpid(), time.time_ns())
    os.environ[RUN_TOKEN_VAR] = token
    tag = "r%d" % os.getpid()
    os.environ["MINIVM_FUNCTIONAL_TAG"] = tag
    print("binary: %s%s" % (binary, " (real QEMU)" if is_qemu() else ""), flush=True)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("FAIL binary not found or not executable: %s" % binary)
        print("0 passed, 1 failed")
        return 1
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("note: /dev/kvm is not available; tests that need it will skip", flush=True)

    entries = [e for e in _discover() if _matches(e[1], opts.k)]
    passed = failed = skipped = 0
    failures = []
    tests = []
    for kind, test_id, exc in entries:
        if kind == "import-error":
            failed += 1
            print("FAIL %s -- cannot import: %s" % (test_id, exc), flush=True)
            failures.append((test_id, str(exc)))
        else:
            tests.append(test_id)

    start = time.monotonic()
    ctx = multiprocessing.get_context("fork")
    # SIGTERM interrupts the run like ^C does, so the clean-up below runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    interrupted = False
    try:
        with ctx.Pool(max(1, opts.j), maxtasksperchild=20,
                      initializer=signal.signal,
                      initargs=(signal.SIGTERM, signal.SIG_DFL)) as pool:
            for result in pool.imap_unordered(_run_one, tests):
                passed, failed, skipped = _report(result, opts, failures,
                                                  passed, failed, skipped)
    except KeyboardInterrupt:
        interrupted = True
        failed += 1
        print("FAIL interrupted", flush=True)

    for pid, cmd in _leaked_processes(token):
        if not interrupted:
            failed += 1
            print("FAIL leaked process %d: %s" % (pid, cmd), flush=True)
            failures.append(("leaked process %d" % pid, cmd))
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for d in glob.glob("/tmp/mvm-%s-*" % tag):
        if not interrupted:
            failed += 1
            print("FAIL leaked directory %s" % d, flush=True)
            failures.append(("leaked directory", d))
        shutil.rmtree(d, ignore_errors=True)

    if failures and not opts.v:
        print("\n==== failures ====")
        for test_id, details in failures:
            print("---- %s\n%s" % (test_id, details.rstrip()))
        print()
    print("time: %.1fs" % (time.monotonic() - start))
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary, flush=True)
    return 0 if failed == 0 else 1


def _report(result, opts, failures, passed, failed, skipped):
    """Prints one test's line; returns the updated counts."""
    status, test_id, reason, details, secs = result
    if status == "ok":
        passed += 1
        line = "ok   %s (%.1fs)" % (test_id, secs)
    elif status == "skip":
        skipped += 1
        line = "skip %s -- %s" % (test_id, reason)
    else:
        failed += 1
        line = "FAIL %s -- %s" % (test_id, reason)
        failures.append((test_id, details))
    print(line, flush=True)
    if opts.v and status == "FAIL":
        print(details, flush=True)
    return passed, failed, skipped


if __name__ == "__main__":
    sys.exit(main())
