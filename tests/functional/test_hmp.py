"""The human monitor: over a socket, and through human-monitor-command."""

import re
import unittest

from base import VMTestCase

HELP_LINE = re.compile(r"^(\S+) (.*?)-- (.*)$")


class HMPSocketTest(VMTestCase):
    def start(self, *extra, **kw):
        args = extra or ("-monitor", "unix:@TMP@/h.sock,server=on,wait=off")
        vm = self.vm(*args, **kw)
        return vm, vm.hmp(vm.path("h.sock"))

    def test_banner_and_prompt(self):
        vm, h = self.start()
        v = vm.qmp().cmd("query-version")
        self.assertEqual(h.banner, "QEMU %d.%d.%d monitor - type 'help' for more information\r\n"
                         % (v["qemu"]["major"], v["qemu"]["minor"], v["qemu"]["micro"]))

    def test_mon_readline(self):
        vm, h = self.start("-chardev", "socket,id=H,path=@TMP@/h.sock,server=on,wait=off",
                           "-mon", "chardev=H,mode=readline")
        self.assertTrue(h.banner.endswith("monitor - type 'help' for more information\r\n"))
        self.assertEqual(h.cmd("info status"), "VM status: running\r\n")

    def test_help(self):
        vm, h = self.start()
        out = h.cmd("help")
        self.assertTrue(out.endswith("\r\n"))
        lines = out.split("\r\n")[:-1]
        entries = {}
        for line in lines:
            m = HELP_LINE.match(line)
            if m and not line.startswith(("\t", " ")):
                entries[m.group(1)] = (m.group(2), m.group(3))
        self.assertEqual(entries["info"], ("[subcommand] ", "show various information about the system state"))
        self.assertEqual(entries["quit|q"], (" ", "quit the emulator"))
        self.assertEqual(entries["stop|s"], (" ", "stop emulation"))
        self.assertEqual(entries["cont|c"], (" ", "resume emulation"))
        self.assertEqual(entries["help|?"], ("[cmd] ", "show the help"))
        self.assertEqual(entries["system_reset"], (" ", "reset the system"))
        self.assertEqual(entries["system_powerdown"], (" ", "send system power down event"))
        # Sorted by the whole "name|alias" string, byte-wise: QEMU lists
        # "stopcapture" before "stop|s" because 'c' < '|'.
        names = [l.split(" ")[0] for l in lines
                 if re.match(r"^[a-z]", l) and HELP_LINE.match(l)]
        self.assertGreater(len(names), 5)
        self.assertEqual(names, sorted(names))

    def test_help_one_command(self):
        vm, h = self.start()
        self.assertEqual(h.cmd("help quit"), "quit|q  -- quit the emulator\r\n")
        self.assertEqual(h.cmd("help info status"),
                         "info status  -- show the current VM status (running|paused)\r\n")

    def test_info_lists_subcommands(self):
        vm, h = self.start()
        out = h.cmd("info")
        lines = out.split("\r\n")[:-1]
        self.assertIn("info status  -- show the current VM status (running|paused)", lines)
        self.assertIn("info name  -- show the current VM name", lines)
        self.assertIn("info version  -- show the version of QEMU", lines)
        self.assertIn("info chardev  -- show the character devices", lines)

    def test_info_status(self):
        vm, h = self.start()
        self.assertEqual(h.cmd("info status"), "VM status: running\r\n")
        self.assertEqual(h.cmd("stop"), "")
        self.assertEqual(h.cmd("info status"), "VM status: paused\r\n")
        self.assertEqual(h.cmd("c"), "")
        self.assertEqual(h.cmd("info status"), "VM status: running\r\n")
        self.assertEqual(h.cmd("s"), "")
        self.assertEqual(vm.qmp().cmd("query-status")["status"], "paused")

    def test_info_status_prelaunch(self):
        vm, h = self.start("-S", "-monitor", "unix:@TMP@/h.sock,server=on,wait=off")
        self.assertEqual(h.cmd("info status"), "VM status: paused (prelaunch)\r\n")

    def test_info_version(self):
        vm, h = self.start()
        v = vm.qmp().cmd("query-version")
        # No space between the version and the package string.
        self.assertEqual(h.cmd("info version"), "%d.%d.%d%s\r\n" % (
            v["qemu"]["major"], v["qemu"]["minor"], v["qemu"]["micro"], v["package"]))

    def test_info_name(self):
        vm, h = self.start("-name", "guest=foo",
                           "-monitor", "unix:@TMP@/h.sock,server=on,wait=off")
        self.assertEqual(h.cmd("info name"), "foo\r\n")

    def test_info_name_unset(self):
        vm, h = self.start()
        self.assertEqual(h.cmd("info name"), "")

    def test_unknown_commands(self):
        vm, h = self.start()
        self.assertEqual(h.cmd("bogus"), "unknown command: 'bogus'\r\n")
        self.assertEqual(h.cmd("info bogus"), "unknown command: 'info bogus'\r\n")
        self.assertEqual(h.cmd(""), "")
        self.assertEqual(h.cmd("   "), "")

    def test_extra_arguments(self):
        vm, h = self.start()
        self.assertEqual(h.cmd("cont foo"), "cont|c: extraneous characters at the end of line\r\n"
                         'Try "help cont" for more information\r\n')
        self.assertEqual(h.cmd("info status extra"),
                         "status: extraneous characters at the end of line\r\n"
                         'Try "help info status" for more information\r\n')

    def test_quit(self):
        vm, h = self.start()
        q = vm.qmp()
        h.send_line("quit")
        h.wait_closed()
        msgs = q.wait_closed()
        self.assertEqual([m["event"] for m in msgs], ["SHUTDOWN"])
        # QEMU reports an HMP quit with the same reason as a QMP one.
        self.assertEqual(msgs[0]["data"], {"guest": False, "reason": "host-qmp-quit"})
        self.assertEqual(vm.wait(), 0)
        self.assertNoStderr(vm)

    def test_reconnect_gets_new_banner(self):
        vm, h = self.start()
        h.cmd("stop")
        h.close()
        h2 = vm.hmp(vm.path("h.sock"))
        self.assertIn("monitor - type 'help' for more information", h2.banner)
        self.assertEqual(h2.cmd("info status"), "VM status: paused\r\n")


class HumanMonitorCommandTest(VMTestCase):
    def setUp(self):
        self.v = self.vm("-name", "guest=foo",
                         "-monitor", "unix:@TMP@/h.sock,server=on,wait=off")
        self.c = self.v.qmp()

    def hmc(self, line):
        return self.c.cmd("human-monitor-command", command_line=line)

    def test_same_text_as_socket(self):
        h = self.v.hmp(self.v.path("h.sock"))
        for line in ("info status", "info version", "info name", "help quit", "bogus",
                     "cont foo", "help"):
            with self.subTest(line=line):
                self.assertEqual(self.hmc(line), h.cmd(line))

    def test_texts(self):
        self.assertEqual(self.hmc("info status"), "VM status: running\r\n")
        self.assertEqual(self.hmc("info name"), "foo\r\n")
        self.assertEqual(self.hmc("bogus"), "unknown command: 'bogus'\r\n")
        self.assertEqual(self.hmc(""), "")

    def test_stop_cont_via_hmp(self):
        self.assertEqual(self.hmc("stop"), "")
        self.c.wait_event("STOP")
        self.assertEqual(self.hmc("info status"), "VM status: paused\r\n")
        self.assertEqual(self.hmc("cont"), "")
        self.c.wait_event("RESUME")

    def test_cpu_index_argument(self):
        # With no CPUs (-machine none) no cpu-index can be selected.
        r = self.c.execute("human-monitor-command",
                           {"command-line": "info status", "cpu-index": 0})
        self.assertEqual(r["error"], {"class": "GenericError",
                                      "desc": "Parameter 'cpu-index' expects a CPU number"})


if __name__ == "__main__":
    unittest.main()
