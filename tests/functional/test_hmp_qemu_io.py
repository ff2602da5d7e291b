"""HMP 'qemu-io': qemu-io commands on a running VM's block devices.

Driven over QMP human-monitor-command.  The data written must be what
Debian's qemu-io finds in the image once the VM has quit.  QEMU 7.2 prints
qemu-io's own output on its stdout (the monitor gets only error_report()
messages); minivm prints all of it on the monitor.  The tests check the
same text in whichever place the binary puts it.
"""

import shutil
import subprocess
import unittest

from base import VMTestCase, expect, minivm_only
from qmp import is_qemu

QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")


def stats(op, count, offset, size):
    """qemu-io's report of one request, without its timing line."""
    return ["%s %d/%d bytes at offset %d" % (op, count, count, offset), "%s, 1 ops;" % size]


@unittest.skipUnless(QEMU_IMG and QEMU_IO, "needs Debian's qemu-img and qemu-io")
class HMPQemuIOTest(VMTestCase):
    def start(self, image_fmt="qcow2", drive=None, extra=()):
        self.vm_ = self.vm(launch=False, *extra)
        self.image = self.vm_.path("disk.img")
        subprocess.run([QEMU_IMG, "create", "-f", image_fmt, self.image, "4M"], check=True,
                       capture_output=True)
        self.vm_.args += ["-drive", drive or
                          "file=%s,if=none,id=d0,format=%s,node-name=n0" % (self.image,
                                                                          image_fmt)]
        self.vm_.launch()
        self.c = self.vm_.qmp()
        self.printed = []  # what qemu-io printed, in order

    def hmp(self, line):
        return self.c.cmd("human-monitor-command", command_line=line)

    def io(self, target, command):
        """Runs one qemu-io command; its output (minivm) is kept for later."""
        out = self.hmp('qemu-io %s "%s"' % (target, command))
        if is_qemu():
            self.assertEqual(out, "")
        else:
            self.printed += out.replace("\r\n", "\n").splitlines()
        return out

    def quit(self):
        self.quit_and_wait(self.vm_, self.c)
        if is_qemu():
            # QEMU's stdout; its blkdebug reports breakpoints there too
            self.printed = [l for l in self.vm_.stdout().splitlines()
                            if not l.startswith("blkdebug: ")]

    def assertPrinted(self, lines):
        """The output, timing figures cut after "ops;"."""
        got = [l.split(" ops;")[0] + " ops;" if " ops; " in l else l for l in self.printed]
        self.assertEqual(got, lines)

    def assertHostReads(self, fmt, ranges):
        args = [QEMU_IO, "-r", "-f", fmt]
        for pattern, offset, length in ranges:
            args += ["-c", "read -q -P %d %d %d" % (pattern, offset, length)]
        p = subprocess.run(args + [self.image], capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))

    def test_write_read_then_host_sees_it(self):
        self.start()
        self.io("d0", "write -P 0x5a 0 64k")
        self.io("d0", "read -P 0x5a 0 64k")
        self.io("d0", "read -P 0x5b 4k 512")
        self.io("d0", "write -z 64k 64k")
        self.io("d0", "map")
        self.io("d0", "length")
        self.quit()
        self.assertPrinted(
            stats("wrote", 65536, 0, "64 KiB") + stats("read", 65536, 0, "64 KiB")
            + ["Pattern verification failed at offset 4096, 512 bytes"]
            + stats("read", 512, 4096, "512 bytes") + stats("wrote", 65536, 65536, "64 KiB")
            + ["128 KiB (0x20000) bytes     allocated at offset 0 bytes (0x0)",
               "3.875 MiB (0x3e0000) bytes not allocated at offset 128 KiB (0x20000)",
               "4 MiB"])
        self.assertHostReads("qcow2", [(0x5a, 0, 65536), (0, 65536, 65536)])
        p = subprocess.run([QEMU_IMG, "check", self.image], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_node_name(self):
        self.start("raw", extra=())
        self.io("n0", "write -P 0x21 1k 1k")
        self.io("n0", "read -P 0x21 1k 1k")
        self.quit()
        self.assertPrinted(stats("wrote", 1024, 1024, "1 KiB")
                           + stats("read", 1024, 1024, "1 KiB"))
        self.assertHostReads("raw", [(0, 0, 1024), (0x21, 1024, 1024), (0, 2048, 4096)])

    def test_blockdev_node_without_backend(self):
        self.vm_ = self.vm(launch=False)
        self.image = self.vm_.path("disk.img")
        subprocess.run([QEMU_IMG, "create", "-f", "qcow2", self.image, "1M"], check=True,
                       capture_output=True)
        self.vm_.args += ["-blockdev", "driver=qcow2,node-name=top,file.driver=file,"
                          "file.filename=%s" % self.image]
        self.vm_.launch()
        self.c = self.vm_.qmp()
        self.printed = []
        self.io("top", "write -q -P 0x66 0 8k")
        self.io("top", "aio_write -q -P 0x67 8k 8k")  # waited for: the backend is temporary
        self.quit()
        self.assertPrinted([])
        self.assertHostReads("qcow2", [(0x66, 0, 8192), (0x67, 8192, 8192)])

    def test_errors(self):
        self.start()
        self.assertEqual(self.hmp('qemu-io nope "read 0 1"'),
                         "Error: Cannot find device='' nor node-name='nope'\r\n")
        self.assertEqual(self.hmp('qemu-io -d d0 "read 0 1"'),
                         "Error: Device 'd0' not found\r\n")
        self.assertEqual(self.hmp("qemu-io d0"),
                         'qemu-io: string expected\r\nTry "help qemu-io" for more information\r\n')
        self.assertEqual(self.hmp('qemu-io d0 "truncate -m bogus 8M"'),
                         "Invalid preallocation mode 'bogus'\r\n")
        self.assertEqual(self.hmp('qemu-io d0 ""'), "")
        self.assertEqual(self.hmp("help qemu-io"),
                         'qemu-io [-d] [device] "[command]" -- run a qemu-io command on a block '
                         'device\r\n\t\t\t-d: [device] is a device ID rather than a drive ID or '
                         'node name\r\n')
        self.quit()

    @minivm_only("QEMU prints these on its stderr")
    def test_command_errors_on_monitor(self):
        self.start()
        self.assertEqual(self.hmp('qemu-io d0 "bogus"'), 'command "bogus" not found\r\n')
        # open, close and quit belong to the stand-alone program
        self.assertEqual(self.hmp('qemu-io d0 "close"'), 'command "close" not found\r\n')
        self.assertEqual(self.hmp('qemu-io d0 "read 0"'),
                         "bad argument count 1 to read, expected at least 2 arguments\r\n")
        self.quit()

    def test_read_only_drive(self):
        self.start(drive=None)
        self.quit()
        self.vm_ = self.vm(launch=False)
        self.vm_.args += ["-drive", "file=%s,if=none,id=d0,format=qcow2,readonly=on"
                          % self.image]
        self.vm_.launch()
        self.c = self.vm_.qmp()
        self.assertEqual(self.hmp('qemu-io d0 "write 0 512"'), "Block node is read-only\r\n")
        self.quit()

    def test_aio_write_runs_after_return(self):
        """A request stopped at a breakpoint outlives the command that started it."""
        self.start("raw")
        self.quit()
        self.vm_ = self.vm(launch=False)
        self.vm_.args += ["-drive", "file=blkdebug::%s,if=none,id=d0,format=raw" % self.image]
        self.vm_.launch()
        self.c = self.vm_.qmp()
        self.printed = []
        self.io("d0", "break pwritev A")
        self.io("d0", "aio_write -P 0x33 0 4k")
        self.io("d0", "wait_break A")
        self.io("d0", "read -P 0 0 4k")  # the write has not happened yet
        self.io("d0", "resume A")
        self.io("d0", "aio_flush")
        self.io("d0", "read -P 0x33 0 4k")
        self.quit()
        # minivm has nowhere to print a completion once the command is over
        done = expect(qemu=stats("wrote", 4096, 0, "4 KiB"), minivm=[])
        self.assertPrinted(stats("read", 4096, 0, "4 KiB") + done
                           + stats("read", 4096, 0, "4 KiB"))
        self.assertHostReads("raw", [(0x33, 0, 4096), (0, 4096, 4096)])


if __name__ == "__main__":
    unittest.main()
