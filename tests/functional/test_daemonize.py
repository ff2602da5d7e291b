"""-daemonize and -pidfile, the way libvirt starts and probes an emulator."""

import os
import socket
import stat
import time
import unittest

from base import VMTestCase
from qmp import QMP, _pid_alive


def wait_gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class DaemonizeTest(VMTestCase):
    def daemon(self, *extra):
        vm = self.vm("-daemonize", "-pidfile", "@TMP@/vm.pid", *extra)
        rc = vm.wait()
        pid = self.read_pid(vm)
        if pid:
            vm.extra_pids.append(pid)
        return vm, rc, pid

    def read_pid(self, vm):
        try:
            with open(vm.path("vm.pid")) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def connect_now(self, path):
        # No retry: the monitor must be listening once the parent has exited.
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(path)
        s.settimeout(None)
        c = QMP.from_socket(s)
        return c

    def test_daemonize(self):
        vm, rc, pid = self.daemon()
        self.assertEqual(rc, 0)
        self.assertNoStderr(vm)
        self.assertEqual(vm.stdout(), "")
        c = self.connect_now(vm.qmp_path)
        vm.clients.append(c)
        c.negotiate()
        self.assertEqual(c.cmd("query-status")["status"], "running")
        with open(vm.path("vm.pid")) as f:
            self.assertEqual(f.read(), "%d\n" % pid)
        self.assertNotEqual(pid, vm.proc.pid)
        self.assertTrue(_pid_alive(pid))
        self.assertEqual(stat.S_IMODE(os.stat(vm.path("vm.pid")).st_mode), 0o600)
        c.send({"execute": "quit"})
        c.wait_closed()
        self.assertTrue(wait_gone(pid), "daemon still running after quit")
        self.assertFalse(os.path.exists(vm.path("vm.pid")), "pidfile left behind")
        self.assertFalse(os.path.exists(vm.qmp_path), "socket left behind")

    def test_libvirt_probe_command_line(self):
        # The exact shape of libvirt 9.0's capability probe.
        vm = self.vm("-S", "-no-user-config", "-nodefaults", "-nographic",
                     "-machine", "none,accel=kvm:tcg", "-daemonize", "-pidfile", "@TMP@/vm.pid",
                     defaults=False)
        self.assertEqual(vm.wait(), 0)
        pid = self.read_pid(vm)
        self.assertIsNotNone(pid)
        vm.extra_pids.append(pid)
        self.assertNoStderr(vm)
        c = self.connect_now(vm.qmp_path)
        vm.clients.append(c)
        c.negotiate()
        self.assertEqual(c.cmd("query-status")["status"], "prelaunch")
        c.send({"execute": "quit"})
        c.wait_closed()
        self.assertTrue(wait_gone(pid))

    def test_second_instance_same_pidfile(self):
        vm, rc, pid = self.daemon()
        self.assertEqual(rc, 0)
        for daemonize in (True, False):
            with self.subTest(daemonize=daemonize):
                other = self.vm(*(("-daemonize",) if daemonize else ()),
                                "-pidfile", vm.path("vm.pid"),
                                "-qmp", "unix:@TMP@/other.sock,server=on,wait=off")
                self.assertEqual(other.wait(), 1)
                self.assertEqual(other.stderr(),
                                 "%s: cannot create PID file: Cannot lock pid file: "
                                 "Resource temporarily unavailable\n"
                                 % os.path.basename(other.binary))
                # The loser neither took over the pidfile nor left a socket.
                self.assertFalse(os.path.exists(other.path("other.sock")))
                self.assertEqual(self.read_pid(vm), pid)
        self.assertTrue(_pid_alive(pid))

    def test_pidfile_without_daemonize(self):
        vm = self.vm("-pidfile", "@TMP@/vm.pid")
        c = vm.qmp()
        self.assertEqual(self.read_pid(vm), vm.proc.pid)
        self.quit_and_wait(vm, c)
        self.assertFalse(os.path.exists(vm.path("vm.pid")))

    def test_stale_pidfile_is_reused(self):
        # A pidfile left by a dead process (nobody holds its lock) is taken.
        vm = self.vm("-pidfile", "@TMP@/vm.pid", launch=False)
        with open(vm.path("vm.pid"), "w") as f:
            f.write("999999\n")
        vm.launch()
        c = vm.qmp()
        self.assertEqual(self.read_pid(vm), vm.proc.pid)
        self.quit_and_wait(vm, c)

    def test_daemonize_failure_reported_by_parent(self):
        # An error in the daemon before it is ready makes the parent fail.
        vm = self.vm("-daemonize", "-pidfile", "@TMP@/vm.pid",
                     "-qmp", "unix:/nonexistent-dir/x.sock,server=on,wait=off")
        self.assertEqual(vm.wait(), 1)
        self.assertEqual(vm.stderr(),
                         "%s: -qmp unix:/nonexistent-dir/x.sock,server=on,wait=off: "
                         "Failed to bind socket to /nonexistent-dir/x.sock: "
                         "No such file or directory\n" % os.path.basename(vm.binary))
        self.assertFalse(os.path.exists(vm.path("vm.pid")))


if __name__ == "__main__":
    unittest.main()
