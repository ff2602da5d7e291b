"""Monitor transports: unix and tcp servers, stdio, client mode, passed fds."""

import os
import socket
import stat
import tempfile
import shutil
import time
import unittest

from base import VMTestCase, minivm_only
from qmp import QMP, QMPTimeout, free_tcp_port


class TransportTest(VMTestCase):
    def smoke(self, c):
        """The connection speaks QMP: negotiated, answering, ids kept."""
        self.assertEqual(c.greeting["QMP"]["version"]["qemu"]["major"], 7)
        self.assertEqual(c.execute("query-status", id=1)["id"], 1)

    def chardev(self, c, label):
        return next(d for d in c.cmd("query-chardev") if d["label"] == label)

    def test_qmp_unix(self):
        vm = self.vm(qmp=False, *("-qmp", "unix:@TMP@/u.sock,server=on,wait=off"))
        c = vm.qmp(vm.path("u.sock"))
        self.smoke(c)
        self.quit_and_wait(vm, c)
        self.assertFalse(os.path.exists(vm.path("u.sock")))

    def test_qmp_unix_legacy_server_nowait(self):
        # The old spelling is still accepted (with a deprecation warning
        # nowhere: QEMU 7.2 takes it silently).
        vm = self.vm(qmp=False, *("-qmp", "unix:@TMP@/u.sock,server,nowait"))
        c = vm.qmp(vm.path("u.sock"))
        self.smoke(c)
        self.quit_and_wait(vm, c)

    def test_qmp_tcp(self):
        port = free_tcp_port()
        vm = self.vm("-qmp", "tcp:127.0.0.1:%d,server=on,wait=off" % port)
        c = QMP.tcp("127.0.0.1", port, alive=vm.alive)
        vm.clients.append(c)
        c.negotiate()
        self.smoke(c)
        dev = self.chardev(c, "compat_monitor1")
        local = c.stream.chan._keep[0].getsockname()
        self.assertEqual(dev["filename"], "tcp:127.0.0.1:%d,server=on <-> 127.0.0.1:%d"
                         % (port, local[1]))
        self.quit_and_wait(vm, c)

    def test_qmp_stdio(self):
        vm = self.vm("-qmp", "stdio", qmp=False, stdio=True)
        c = vm.qmp_stdio()
        self.smoke(c)
        self.assertEqual(c.cmd("query-chardev"),
                         [{"frontend-open": True, "filename": "stdio",
                           "label": "compat_monitor0"}])
        self.quit_and_wait(vm, c)

    def test_qmp_stdio_eof_keeps_running(self):
        # Closing stdin ends the monitor's connection, not the VM.
        vm = self.vm("-qmp", "stdio", qmp=True, stdio=True)
        c = vm.qmp_stdio()
        vm.proc.stdin.close()
        time.sleep(0.3)
        self.assertTrue(vm.alive())
        self.quit_and_wait(vm)

    def test_chardev_stdio_mon(self):
        vm = self.vm("-chardev", "stdio,id=s0", "-mon", "chardev=s0,mode=control",
                     qmp=False, stdio=True)
        c = vm.qmp_stdio()
        self.assertEqual(c.cmd("query-chardev"),
                         [{"frontend-open": True, "filename": "stdio", "label": "s0"}])
        self.quit_and_wait(vm, c)

    def test_chardev_socket_server_mon(self):
        vm = self.vm("-chardev", "socket,id=X,path=@TMP@/x.sock,server=on,wait=off",
                     "-mon", "chardev=X,mode=control", qmp=False)
        c = vm.qmp(vm.path("x.sock"))
        self.smoke(c)
        self.assertEqual(self.chardev(c, "X"),
                         {"frontend-open": True, "label": "X",
                          "filename": "unix:%s,server=on" % vm.path("x.sock")})
        self.quit_and_wait(vm, c)

    def test_chardev_socket_client_mode(self):
        # The binary connects out to a socket we listen on.
        d = tempfile.mkdtemp(prefix="mvm-", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "client.sock")
        ls = socket.socket(socket.AF_UNIX)
        self.addCleanup(ls.close)
        ls.bind(path)
        ls.listen(1)
        ls.settimeout(10)
        vm = self.vm("-chardev", "socket,id=X,path=%s" % path,
                     "-mon", "chardev=X,mode=control", qmp=False)
        conn, _ = ls.accept()
        c = QMP.from_socket(conn)
        vm.clients.append(c)
        c.negotiate()
        self.smoke(c)
        # QEMU shows a connected client socket as just "unix:".
        self.assertEqual(self.chardev(c, "X"),
                         {"frontend-open": True, "filename": "unix:", "label": "X"})
        self.quit_and_wait(vm, c)
        # The binary does not remove a socket it did not create.
        self.assertTrue(os.path.exists(path))

    def test_chardev_socket_client_no_listener(self):
        path = "/tmp/mvm-nonexistent-%d.sock" % os.getpid()
        vm = self.vm("-chardev", "socket,id=X,path=%s" % path,
                     "-mon", "chardev=X,mode=control", qmp=False)
        self.assertEqual(vm.wait(), 1)
        self.assertEqual(vm.stderr(),
                         "%s: -chardev socket,id=X,path=%s: Failed to connect to "
                         "'%s': No such file or directory\n"
                         % (os.path.basename(vm.binary), path, path))

    def test_chardev_socket_fd_passing(self):
        # A listening socket created by the manager, inherited as an fd.
        d = tempfile.mkdtemp(prefix="mvm-", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "fd.sock")
        ls = socket.socket(socket.AF_UNIX)
        self.addCleanup(ls.close)
        ls.bind(path)
        ls.listen(1)
        fd = ls.fileno()
        vm = self.vm("-chardev", "socket,id=X,fd=%d,server=on,wait=off" % fd,
                     "-mon", "chardev=X,mode=control", qmp=False, pass_fds=[fd])
        ls.close()  # the child has its own copy
        c = vm.qmp(path)
        self.smoke(c)
        self.assertEqual(self.chardev(c, "X"),
                         {"frontend-open": True, "label": "X",
                          "filename": "unix:%s,server=on" % path})
        # Reconnecting works: the inherited socket keeps listening.
        c.close()
        c = vm.qmp(path)
        self.smoke(c)
        self.quit_and_wait(vm, c)

    def test_chardev_socket_bad_fd(self):
        vm = self.vm("-chardev", "socket,id=X,fd=987,server=on,wait=off",
                     "-mon", "chardev=X,mode=control", qmp=False)
        self.assertEqual(vm.wait(), 1)
        self.assertEqual(vm.stderr(),
                         "%s: -chardev socket,id=X,fd=987,server=on,wait=off: "
                         "File descriptor '987' is not a socket\n"
                         % os.path.basename(vm.binary))

    def test_two_monitors_independent(self):
        vm = self.vm("-qmp", "unix:@TMP@/b.sock,server=on,wait=off")
        a = vm.qmp()
        b = vm.qmp(vm.path("b.sock"), negotiate=False)
        # Negotiation, errors and ids on one do not affect the other.
        self.assertEqual(b.execute("query-status")["error"]["class"], "CommandNotFound")
        a.raw("{bad\n")  # leaves a's parser mid-object
        b.negotiate()
        self.assertEqual(b.execute("query-status", id="b")["id"], "b")
        a.close()
        self.assertEqual(b.execute("query-status", id="b2")["id"], "b2")
        # A fresh connection to a's socket starts from scratch.
        a2 = vm.qmp()
        self.assertEqual(a2.execute("query-status", id="a2")["id"], "a2")
        self.quit_and_wait(vm, b)

    def test_one_client_per_socket(self):
        # A socket chardev serves one connection at a time: a second client
        # waits (no greeting) until the first disconnects.
        vm = self.vm()
        first = vm.qmp()
        s = socket.socket(socket.AF_UNIX)
        s.connect(vm.qmp_path)
        second = QMP.from_socket(s, greeting=False, timeout=10)
        vm.clients.append(second)
        with self.assertRaises(QMPTimeout):
            second.recv(0.5)
        first.close()
        self.assertIn("QMP", second.recv())
        second.negotiate()
        self.assertEqual(second.cmd("query-status")["status"], "running")

    def test_reconnect_renegotiates(self):
        vm = self.vm()
        c = vm.qmp()
        c.close()
        c = vm.qmp(negotiate=False)
        self.assertEqual(c.execute("query-status")["error"]["class"], "CommandNotFound")
        c.negotiate()
        self.assertEqual(c.cmd("query-status")["status"], "running")
        self.assertNoStderr(vm)

    @minivm_only("QEMU leaves socket permissions to the umask (0755 with "
                 "umask 022); minivm creates monitor sockets 0600")
    def test_unix_socket_mode_0600(self):
        vm = self.vm("-chardev", "socket,id=X,path=@TMP@/x.sock,server=on,wait=off",
                     "-mon", "chardev=X,mode=control")
        vm.qmp()
        for p in (vm.qmp_path, vm.path("x.sock")):
            st = os.stat(p)
            self.assertTrue(stat.S_ISSOCK(st.st_mode))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, p)

    def test_bind_failure(self):
        vm = self.vm("-qmp", "unix:/nonexistent-dir/x.sock,server=on,wait=off", qmp=False)
        self.assertEqual(vm.wait(), 1)
        self.assertEqual(vm.stderr(),
                         "%s: -qmp unix:/nonexistent-dir/x.sock,server=on,wait=off: "
                         "Failed to bind socket to /nonexistent-dir/x.sock: "
                         "No such file or directory\n" % os.path.basename(vm.binary))

    def test_mon_unknown_chardev(self):
        vm = self.vm("-mon", "chardev=nope", qmp=False)
        self.assertEqual(vm.wait(), 1)
        self.assertEqual(vm.stderr(), '%s: -mon chardev=nope: chardev "nope" not found\n'
                         % os.path.basename(vm.binary))


if __name__ == "__main__":
    unittest.main()
