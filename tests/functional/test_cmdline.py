"""The command line: errors, -version and the help listings."""

import re
import unittest

from base import VMTestCase, binary_name, requires_kvm, run_binary

DEFAULTS = ("-machine", "none", "-nodefaults", "-display", "none")


def prog():
    # Error messages start with the binary's own basename.
    return binary_name()


class CmdlineErrorTest(unittest.TestCase):
    maxDiff = None

    def check_error(self, args, stderr, defaults=True):
        rc, out, err = run_binary(*((DEFAULTS if defaults else ()) + tuple(args)))
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertEqual(err, stderr.replace("<prog>", prog()))

    def test_invalid_option(self):
        self.check_error(["-foo"], "<prog>: -foo: invalid option\n")
        self.check_error(["--foo"], "<prog>: --foo: invalid option\n")
        self.check_error(["-foo"], "<prog>: -foo: invalid option\n", defaults=False)

    def test_missing_argument(self):
        self.check_error(["-name"], "<prog>: -name: requires an argument\n")
        self.check_error(["-qmp"], "<prog>: -qmp: requires an argument\n")

    def test_bad_memory_size(self):
        self.check_error(["-m", "foo"],
                         "<prog>: -m foo: Parameter 'size' expects a non-negative number "
                         "below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, "
                         "mega-, giga-, tera-, peta-\nand exabytes, respectively.\n")

    def test_bad_memory_suboption(self):
        self.check_error(["-m", "1G,foo=bar"], "<prog>: -m 1G,foo=bar: Invalid parameter 'foo'\n")

    def test_bad_machine(self):
        # QEMU names neither the option nor the value here.
        self.check_error(["-machine", "bogus"],
                         "<prog>: unsupported machine type\n"
                         "Use -machine help to list supported machines\n")

    def test_bad_uuid(self):
        self.check_error(["-uuid", "bad"],
                         "<prog>: -uuid bad: failed to parse UUID string: wrong format\n")

    def test_bad_display(self):
        self.check_error(["-display", "bogus"],
                         "<prog>: -display bogus: Parameter 'type' does not accept "
                         "value 'bogus'\n")

    def test_bad_chardev(self):
        self.check_error(["-chardev", "bogus,id=x"],
                         "<prog>: -chardev bogus,id=x: 'bogus' is not a valid char driver name\n")
        self.check_error(["-chardev", "socket,path=/tmp/x.sock"],
                         "<prog>: -chardev socket,path=/tmp/x.sock: chardev: no id specified\n")

    def test_duplicate_chardev_id(self):
        self.check_error(["-chardev", "null,id=c", "-chardev", "null,id=c"],
                         "<prog>: -chardev null,id=c: Duplicate ID 'c' for chardev\n")


class CmdlineInfoTest(unittest.TestCase):
    maxDiff = None

    def run_ok(self, *args):
        rc, out, err = run_binary(*args)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        return out

    def test_version(self):
        out = self.run_ok("-version")
        lines = out.split("\n")
        m = re.match(r"^QEMU emulator version (\d+)\.(\d+)\.(\d+)(?: \((.+)\))?$", lines[0])
        self.assertTrue(m, lines[0])
        self.assertEqual((m.group(1), m.group(2)), ("7", "2"))
        self.assertTrue(lines[1].startswith("Copyright (c) "), lines[1])
        self.assertEqual(lines[2:], [""])

    def test_version_matches_qmp(self):
        from qmp import VM
        out = self.run_ok("-version").split("\n")[0]
        with VM() as vm:
            v = vm.qmp().cmd("query-version")
        q = v["qemu"]
        expected = "QEMU emulator version %d.%d.%d" % (q["major"], q["minor"], q["micro"])
        if v["package"]:
            expected += " (%s)" % v["package"]
        self.assertEqual(out, expected)

    def test_machine_help(self):
        out = self.run_ok("-machine", "help")
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(lines[0], "Supported machines are:")
        entries = {}
        for line in lines[1:]:
            m = re.match(r"^(\S+) +(.*)$", line)
            self.assertTrue(m, line)
            # "%-20s %s": names padded to 20 columns, then one space.
            if len(m.group(1)) < 20:
                self.assertEqual(line[:21], m.group(1).ljust(21), line)
                self.assertNotEqual(line[21], " ", line)
            entries[m.group(1)] = m.group(2)
        defaults = [n for n, d in entries.items() if d.endswith(" (default)")]
        self.assertEqual(len(defaults), 1, lines)
        self.assertEqual(entries["none"], "empty machine")
        self.assertIn("pc", entries)

    def test_machine_help_alias(self):
        self.assertEqual(self.run_ok("-M", "help"), self.run_ok("-machine", "help"))

    def test_drive_format_help(self):
        out = self.run_ok("-drive", "format=help")
        lines = out.split("\n")
        self.assertEqual(len(lines), 3, lines)
        self.assertEqual(lines[2], "")
        self.assertTrue(lines[0].startswith("Supported formats: "), lines[0])
        self.assertTrue(lines[1].startswith("Supported formats (read-only): "), lines[1])
        rw = lines[0][len("Supported formats: "):].split(" ")
        self.assertEqual(rw, sorted(rw))
        self.assertTrue(all(rw), lines[0])
        self.assertIn("file", rw)
        self.assertIn("raw", rw)

    def test_device_help(self):
        out = self.run_ok("-device", "help")
        entry = re.compile(r'^name "[^"]+"(, bus [^ ,]+)?(, alias "[^"]+")?(, desc "[^"]*")?'
                           r'( \(no-user\))?$')
        for line in out.split("\n"):
            if line == "" or line.endswith(" devices:"):
                continue
            self.assertRegex(line, entry)


class AccelTest(VMTestCase):
    @requires_kvm
    def test_accel_kvm(self):
        c = self.vm("-accel", "kvm").qmp()
        self.assertEqual(c.cmd("query-kvm"), {"enabled": True, "present": True})


if __name__ == "__main__":
    unittest.main()
