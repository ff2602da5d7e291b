"""
Shared pieces of the functional tests: a TestCase that owns its VMs, and
decorators for tests whose expectation depends on the binary.

Most tests encode QEMU 7.2's behaviour and must pass against real QEMU as
well as minivm.  Where minivm deliberately differs, a test is marked:

  @minivm_only("why")   skipped against QEMU (QEMU does something else)
  @qemu_only("why")     skipped against minivm
  expect(qemu=..., minivm=...) picks the expected value per binary
"""

import functools
import os
import time
import unittest

from qmp import (QMP, QMPError, VM, binary_name, binary_path, is_qemu,  # noqa: F401
                 run_binary)


def minivm_only(reason):
    """A deliberate minivm guarantee that QEMU does not give."""
    return unittest.skipIf(is_qemu(), "minivm only: " + reason)


def qemu_only(reason):
    return unittest.skipUnless(is_qemu(), "QEMU only: " + reason)


def slow_on_qemu(reason):
    """Runs against QEMU only with MINIVM_SLOW=1 (the suite must stay short)."""
    return unittest.skipIf(is_qemu() and not os.environ.get("MINIVM_SLOW"),
                           "too slow on QEMU (set MINIVM_SLOW=1): " + reason)


def requires_kvm(test):
    """Skips, loudly, when /dev/kvm cannot be opened."""
    @functools.wraps(test)
    def wrapper(self, *a, **kw):
        try:
            fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
        except OSError as e:
            print("\nSKIP %s: /dev/kvm unavailable: %s" % (self.id(), e), flush=True)
            raise unittest.SkipTest("needs /dev/kvm: %s" % e)
        os.close(fd)
        return test(self, *a, **kw)
    return wrapper


def expect(qemu, minivm):
    return qemu if is_qemu() else minivm


class VMTestCase(unittest.TestCase):
    """A TestCase whose VMs are always torn down."""

    maxDiff = None

    def vm(self, *args, launch=True, **kw):
        vm = VM(*args, **kw)
        self.addCleanup(vm.shutdown)
        if launch:
            vm.launch()
        return vm

    def assertNoStderr(self, vm):
        # A manager treats anything on stderr as a failure.
        self.assertEqual(vm.stderr(), "", "unexpected stderr output")

    def assertQMPError(self, resp, cls, desc):
        self.assertIn("error", resp, "expected an error, got %r" % (resp,))
        self.assertEqual(resp["error"], {"class": cls, "desc": desc})

    def assertTimestamp(self, ev):
        ts = ev["timestamp"]
        self.assertEqual(sorted(ts), ["microseconds", "seconds"])
        self.assertIsInstance(ts["seconds"], int)
        self.assertIsInstance(ts["microseconds"], int)
        self.assertTrue(0 <= ts["microseconds"] < 1000000, ts)
        self.assertLess(abs(ts["seconds"] + ts["microseconds"] / 1e6 - time.time()), 60)

    def quit_and_wait(self, vm, client=None):
        """QMP quit; asserts a clean exit with nothing on stderr."""
        c = client or vm.qmp()
        c.send({"execute": "quit"})
        c.wait_closed()
        self.assertEqual(vm.wait(), 0)
        self.assertNoStderr(vm)
