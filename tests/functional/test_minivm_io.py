"""minivm-io: qemu-io's commands, options, output and exit status.

Images are made by Debian's qemu-img and checked with qemu-io and
'qemu-img check'; data written by qemu-io is read back by minivm-io.  Where
the exact output matters, the same commands also run through qemu-io and
the outputs must agree once the timing figures are masked.

The program under test is minivm-io next to the minivm binary (or in its
tools/ subdirectory), or $MINIVM_IO.  Against real QEMU the suite runs
qemu-io itself, which checks that the expectations are QEMU's.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from base import minivm_only
from qmp import VM, binary_path, is_qemu

QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
TIMEOUT = 60


def io_binary():
    if os.environ.get("MINIVM_IO"):
        return os.environ["MINIVM_IO"]
    if is_qemu():
        return QEMU_IO or "qemu-io"
    here = os.path.dirname(binary_path())
    for path in (os.path.join(here, "minivm-io"), os.path.join(here, "tools", "minivm-io")):
        if os.access(path, os.X_OK):
            return path
    return os.path.join(here, "minivm-io")


# "64 KiB, 1 ops; 00.00 sec (6.193 MiB/sec and 99.0871 ops/sec)"
_STATS = re.compile(r"^(.+, \d+ ops); (\d\d\.\d\d sec|\d+:\d\d:\d\d\.\d\d) "
                    r"\(\S+ \S+/sec and \d+\.\d{4} ops/sec\)$", re.M)
# -C: "512,1,0:00:00.00,5917706.889,11558.021"
_MACHINE = re.compile(r"^(\d+,\d+),\d+:\d\d:\d\d\.\d\d,\d+\.\d{3},\d+\.\d{3}$", re.M)


def mask_timing(text):
    """Replaces what depends on the clock, keeping sizes and op counts."""
    text = _STATS.sub(r"\1; TIME", text)
    return _MACHINE.sub(r"\1,TIME", text)


def report(op, count, offset, size):
    """The two lines qemu-io prints after an I/O (timing masked)."""
    return "%s %d/%d bytes at offset %d\n%s, 1 ops; TIME\n" % (op, count, count, offset, size)


@unittest.skipUnless(QEMU_IMG and QEMU_IO, "needs Debian's qemu-img and qemu-io")
class IOTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        tag = os.environ.get("MINIVM_FUNCTIONAL_TAG", "")
        self.tmp = tempfile.mkdtemp(prefix="mvm-%s" % (tag + "-" if tag else ""), dir="/tmp")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.binary = io_binary()
        self.assertTrue(os.access(self.binary, os.X_OK), "no program at %s" % self.binary)
        self.prog = os.path.basename(self.binary)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def img(self, *args):
        subprocess.run([QEMU_IMG, *args], cwd=self.tmp, check=True, capture_output=True,
                       timeout=TIMEOUT)

    def create(self, name, size="4M", fmt="qcow2", backing=None, backing_fmt=None):
        args = ["create", "-f", fmt]
        if backing:
            args += ["-b", backing, "-F", backing_fmt]
        self.img(*args, name, size)
        return name

    def _run(self, binary, args, stdin):
        p = subprocess.run([binary, *args], cwd=self.tmp, capture_output=True, text=True,
                           input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                           timeout=TIMEOUT)
        prog = os.path.basename(binary)
        # error_report() prefixes: "qemu-io: ..." vs "minivm-io: ..."
        out = mask_timing(p.stdout).replace(prog + ":", "PROG:")
        err = mask_timing(p.stderr).replace(prog + ":", "PROG:")
        return p.returncode, out, err

    def io(self, *args, stdin=None):
        """Runs the program under test: (exit status, stdout, stderr)."""
        return self._run(self.binary, args, stdin)

    def qio(self, *args, stdin=None):
        """Runs Debian's qemu-io, the reference."""
        return self._run(QEMU_IO, args, stdin)

    @staticmethod
    def cmds(*commands):
        args = []
        for c in commands:
            args += ["-c", c]
        return args

    def assertIO(self, args, out, rc=0, err=""):
        self.assertEqual(self.io(*args), (rc, out, err))

    def assertQemuIOReads(self, image, fmt, ranges):
        """qemu-io finds each (pattern, offset, length) in the image."""
        args = ["-r", "-f", fmt]
        for pattern, offset, length in ranges:
            args += ["-c", "read -q -P %d %d %d" % (pattern, offset, length)]
        self.assertEqual(self.qio(*args, image), (0, "", ""))

    def assertImageClean(self, image):
        p = subprocess.run([QEMU_IMG, "check", image], cwd=self.tmp, capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("No errors were found on the image.", p.stdout)


class ReadWriteTest(IOTestCase):
    def test_qcow2_write_read_report(self):
        self.create("a.qcow2")
        out = report("wrote", 65536, 0, "64 KiB") + report("read", 65536, 0, "64 KiB")
        out += "Pattern verification failed at offset 512, 512 bytes\n"
        out += report("read", 512, 512, "512 bytes")
        self.assertIO(["-f", "qcow2"] + self.cmds("write -P 0xab 0 64k", "read -P 0xab 0 64k",
                                                 "read -P 0xac 512 512") + ["a.qcow2"], out, rc=1)
        self.assertQemuIOReads("a.qcow2", "qcow2", [(0xab, 0, 65536), (0, 65536, 65536)])
        self.assertImageClean("a.qcow2")

    def test_qcow2_many_writes_checked_by_qemu(self):
        self.create("a.qcow2", "64M")
        cmds = []
        expect = []
        for i in range(24):
            # unaligned, cluster-crossing, some overlapping
            off = i * 2654435 % (60 << 20)
            cmds.append("write -q -P %d %d %d" % (i + 1, off, 70000 + i * 333))
            expect.append((i + 1, off, 70000 + i * 333))
        self.assertIO(["-f", "qcow2"] + self.cmds(*cmds) + ["a.qcow2"], "")
        # later writes win where they overlap
        final = []
        for n, (p, off, ln) in enumerate(expect):
            later = [(o, o + l) for _, o, l in expect[n + 1:]]
            start = off
            for s, e in sorted(later):
                if e <= start or s >= off + ln:
                    continue
                if s > start:
                    final.append((p, start, s - start))
                start = max(start, e)
            if start < off + ln:
                final.append((p, start, off + ln - start))
        self.assertQemuIOReads("a.qcow2", "qcow2", final)
        self.assertImageClean("a.qcow2")

    def test_raw_write_read(self):
        self.create("r.raw", "1M", "raw")
        out = report("wrote", 4096, 1000, "4 KiB") + report("read", 4096, 1000, "4 KiB")
        self.assertIO(["-f", "raw"] + self.cmds("write -P 0x5c 1000 4k", "read -P 0x5c 1000 4k")
                      + ["r.raw"], out)
        with open(self.path("r.raw"), "rb") as f:
            data = f.read()
        self.assertEqual(data[1000:5096], b"\x5c" * 4096)
        self.assertEqual(data[:1000] + data[5096:], bytes(len(data) - 4096))

    def test_reads_what_qemu_io_wrote(self):
        self.create("a.qcow2")
        self.create("r.raw", "1M", "raw")
        self.assertEqual(self.qio("-f", "qcow2", "-c", "write -q -P 0x71 0 100k",
                                  "-c", "write -q -z 8k 8k", "a.qcow2")[0], 0)
        self.assertEqual(self.qio("-f", "raw", "-c", "write -q -P 0x72 3 5000", "r.raw")[0], 0)
        self.assertIO(["-f", "qcow2"] + self.cmds("read -q -P 0x71 0 8k", "read -q -P 0 8k 8k",
                                                 "read -q -P 0x71 16k 84k",
                                                 "read -q -P 0 100k 100k") + ["a.qcow2"], "")
        self.assertIO(["-f", "raw"] + self.cmds("read -q -P 0x72 3 5000", "read -q -P 0 0 3")
                      + ["r.raw"], "")
        self.assertIO(["-f", "raw", "-c", "read -q -P 0x73 3 5000", "r.raw"],
                      "Pattern verification failed at offset 3, 5000 bytes\n", rc=1)

    def test_zero_and_compressed_writes(self):
        self.create("a.qcow2")
        self.assertIO(["-f", "qcow2"] + self.cmds(
            "write -q -P 5 0 256k", "write -q -z 64k 64k", "write -q -z -u 128k 64k",
            "write -q -c 1M 64k", "write -q -f 2M 4k") + ["a.qcow2"], "")
        self.assertQemuIOReads("a.qcow2", "qcow2", [
            (5, 0, 65536), (0, 65536, 131072), (5, 196608, 65536), (0xcd, 1 << 20, 65536),
            (0xcd, 2 << 20, 4096)])
        self.assertImageClean("a.qcow2")

    def test_vectored_and_async(self):
        self.create("a.qcow2")
        out = report("wrote", 7168, 4096, "7 KiB") + report("read", 7168, 4096, "7 KiB")
        out += report("wrote", 9216, 65536, "9 KiB") + report("read", 9216, 65536, "9 KiB")
        self.assertIO(["-f", "qcow2"] + self.cmds(
            "writev -P 9 4k 1k 2k 4k", "readv -P 9 4k 3k 4k",
            "aio_write -P 10 64k 4k 4k 1k", "aio_flush", "aio_read -P 10 64k 9k",
            "aio_flush") + ["a.qcow2"], out)
        self.assertQemuIOReads("a.qcow2", "qcow2", [(9, 4096, 7168), (10, 65536, 9216)])

    def test_aio_completes_without_flush(self):
        self.create("a.qcow2")
        # closing the image waits for the request, which then reports
        self.assertIO(["-f", "qcow2", "-c", "aio_write -P 3 0 4k", "a.qcow2"],
                      report("wrote", 4096, 0, "4 KiB"))
        self.assertQemuIOReads("a.qcow2", "qcow2", [(3, 0, 4096)])

    def test_hexdump(self):
        self.create("r.raw", "1M", "raw")
        self.assertEqual(self.qio("-f", "raw", "-c", "write -q -P 0x41 16 3",
                                  "-c", "write -q -P 0x2e 19 1", "r.raw")[0], 0)
        out = ("00000010:  41 41 41 2e 00  AAA..\n" + report("read", 5, 16, "5 bytes"))
        self.assertIO(["-f", "raw", "-c", "read -v 16 5", "r.raw"], out)
        out = ("00000000:  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n"
               "00000010:  41 41  AA\n" + report("read", 18, 0, "18 bytes"))
        # options may follow the operands, as with GNU getopt
        self.assertIO(["-f", "raw", "-c", "read 0 18 -v", "r.raw"], out)

    def test_machine_readable_stats(self):
        self.create("r.raw", "1M", "raw")
        self.assertIO(["-f", "raw", "-c", "write -C 0 512", "-c", "read -C 0 1k", "r.raw"],
                      "512,1,TIME\n1024,1,TIME\n")

    def test_pattern_range(self):
        self.create("r.raw", "1M", "raw")
        self.qio("-f", "raw", "-c", "write -q -P 7 100 10", "r.raw")
        self.assertIO(["-f", "raw", "-c", "read -q -P 7 -s 100 -l 10 0 512", "r.raw"], "")
        self.assertIO(["-f", "raw", "-c", "read -q -P 7 -s 99 -l 10 0 512", "r.raw"],
                      "Pattern verification failed at offset 99, 10 bytes\n", rc=1)
        self.assertIO(["-f", "raw", "-c", "read -q -P 7 -s 600 0 512", "r.raw"],
                      "pattern verification range exceeds end of read data\n", rc=1)

    def test_write_from_file(self):
        self.create("r.raw", "1M", "raw")
        with open(self.path("src"), "wb") as f:
            f.write(b"0123456789")
        self.assertIO(["-f", "raw", "-c", "write -q -s src 0 25", "-c", "read -v 0 25", "r.raw"],
                      "00000000:  30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35  "
                      "0123456789012345\n"
                      "00000010:  36 37 38 39 30 31 32 33 34  678901234\n"
                      + report("read", 25, 0, "25 bytes"))
        self.assertIO(["-f", "raw", "-c", "write -s nonexist 0 1", "r.raw"], "",
                      rc=1, err="nonexist: No such file or directory\n")


class BackingChainTest(IOTestCase):
    """base (raw) <- mid (qcow2) <- top (qcow2), a pattern per layer."""

    def setUp(self):
        super().setUp()
        self.create("base.raw", "4M", "raw")
        self.create("mid.qcow2", backing="base.raw", backing_fmt="raw")
        self.create("top.qcow2", backing="mid.qcow2", backing_fmt="qcow2")
        layers = [("base.raw", "raw", 0x11, 0, "192k", 0xb1, "1M"),
                  ("mid.qcow2", "qcow2", 0x22, "64k", "128k", 0xb2, "2M"),
                  ("top.qcow2", "qcow2", 0x33, "128k", "64k", 0xb3, "3M")]
        for image, fmt, shared, off, length, own, own_off in layers:
            rc = self.qio("-f", fmt, "-c", "write -q -P %d %s %s" % (shared, off, length),
                          "-c", "write -q -P %d %s 64k" % (own, own_off), image)
            self.assertEqual(rc, (0, "", ""))

    def test_reads_through_the_chain(self):
        self.assertIO(["-f", "qcow2"] + self.cmds(
            "read -q -P 0x11 0 64k", "read -q -P 0x22 64k 64k", "read -q -P 0x33 128k 64k",
            "read -q -P 0 192k 832k", "read -q -P 0xb1 1M 64k", "read -q -P 0xb2 2M 64k",
            "read -q -P 0xb3 3M 64k", "read -q -P 0 3136k 960k") + ["top.qcow2"], "")

    def test_map_and_alloc_match_qemu_io(self):
        cmds = self.cmds("map", "alloc 0 64k", "alloc 64k 128k", "alloc 128k 64k",
                         "alloc 1M 64k", "alloc 3M 1M", "alloc 4M", "length", "info")
        ours = self.io("-f", "qcow2", *cmds, "top.qcow2")
        self.assertEqual(ours, self.qio("-f", "qcow2", *cmds, "top.qcow2"))
        self.assertEqual(ours[0], 0)
        self.assertIn("64 KiB (0x10000) bytes     allocated at offset 128 KiB (0x20000)\n",
                      ours[1])
        self.assertIn("65536/1048576 bytes allocated at offset 3 MiB\n", ours[1])

    def test_write_top_leaves_backing_alone(self):
        self.assertIO(["-f", "qcow2", "-c", "write -q -P 0x44 32k 64k", "top.qcow2"], "")
        self.assertQemuIOReads("top.qcow2", "qcow2", [
            (0x11, 0, 32768), (0x44, 32768, 65536), (0x22, 98304, 32768),
            (0x33, 131072, 65536), (0xb1, 1 << 20, 65536)])
        self.assertQemuIOReads("mid.qcow2", "qcow2", [(0x11, 0, 65536), (0x22, 65536, 131072)])
        self.assertQemuIOReads("base.raw", "raw", [(0x11, 0, 196608)])
        for image in ("top.qcow2", "mid.qcow2"):
            self.assertImageClean(image)


class OutputMatchesQemuIOTest(IOTestCase):
    """The same commands on identical images print the same as qemu-io."""

    SCRIPTS = [
        ("qcow2", ["write -P 1 0 64k", "write -P 2 1M 128k", "write -z 2M 64k", "map",
                   "alloc 0", "alloc 0 1M", "alloc 1", "alloc 4M 512", "alloc 3M 4M", "length",
                   "info", "discard 0 64k", "flush", "truncate 8M", "length", "map"]),
        ("qcow2", ["read 0 1M 5", "read 0", "read -x 0 1", "read 0 8M", "read abc 512",
                   "read 0 99999999999999999999", "read 0 2G", "read -P 256 0 512", "bogus",
                   "read -s 3 0 512", "write -z -P 1 0 512", "write -u 0 512",
                   "write -c 1 512", "write -f -c 0 64k", "write -n 0 1", "write -b -z 0 1",
                   "write 0 2G", "write -P 1x 0 1", "write 0 1k 1k", "read 0 -1",
                   "write 8E 1", "write 0x 1", "flush 1", "alloc 0 1 2", "truncate",
                   "truncate -m bogus 16M", "sleep x", "aio_write -z 0 4k 4k",
                   "readv 0 512 3G", "readv 0 1G 1G 1G", "help nope", "quit", "read 0 1"]),
        ("raw", ["length", "info", "map", "alloc 0 64k", "write -P 010 0 1",
                 "read -P 0x08 0 1", "write -P 3 1.5k 512", "read -P 3 0x600 512",
                 "aio_read -i 0 4k", "aio_write -P 5 0 4k 4k 1k", "aio_flush",
                 "write -z -u 64k 64k", "discard 0 4k", "help", "help map", "help l",
                 "help sleep"]),
    ]

    def test_scripts(self):
        for n, (fmt, script) in enumerate(self.SCRIPTS):
            with self.subTest(script=n):
                for d in ("ours", "ref"):
                    os.makedirs(self.path(d), exist_ok=True)
                    self.create(os.path.join(d, "img"), "4M" if fmt == "qcow2" else "1M", fmt)
                args = ["-f", fmt] + self.cmds(*script)
                self.assertEqual(self.io(*args, "ours/img"), self.qio(*args, "ref/img"))
                shutil.rmtree(self.path("ours"))
                shutil.rmtree(self.path("ref"))

    def test_extended_help(self):
        # the synopsis is qemu-io's; the explanation below it minivm's own
        for cmd in ("read", "r", "write", "aio_write", "open"):
            with self.subTest(cmd=cmd):
                ours = self.io("-c", "help " + cmd)
                ref = self.qio("-c", "help " + cmd)
                self.assertEqual((ours[0], ours[2]), (0, ""))
                self.assertEqual(ours[1].split("\n")[0], ref[1].split("\n")[0])
                self.assertGreater(len(ours[1].split("\n")), 5)

    def test_number_syntax(self):
        self.img("create", "-f", "raw", "big.raw", "16G")
        values = ["0X10", "1.k", ".5k", "1.0000001k", "1kB", "k", "1k5", "+1", "0b1", "1.5b",
                  "1.5K", "0.5", "1.5m", "1e-3", "010", "08", "1.2k", "1.999k", "0.1k",
                  "1E1", "0x1.8k", "5g", "12345678901", "0.0000000001k", "1__",
                  "0x8000000000000000", "9223372036854775807", "9223372036854775808",
                  "18446744073709551616", "1.1", "1e", "0.5b", "3.0", "0.00048828125k",
                  "0.00048828124k", "00x10", "1.0b"]
        args = ["-f", "raw"] + self.cmds(*["read -v %s 1" % v for v in values]) + ["big.raw"]
        self.assertEqual(self.io(*args), self.qio(*args))
        rc, out, err = self.io("-f", "raw", "-c", "read -v 1.5M 1", "-c", "read -v 0x10k 1",
                               "big.raw")
        self.assertEqual(out.splitlines()[0], "00180000:  00  .")
        self.assertEqual(out.splitlines()[3], "00004000:  00  .")
        self.assertEqual(err, "PROG: warning: Using a multiplier suffix on hex numbers is "
                              "deprecated: 0x10k\n")


class ProgramTest(IOTestCase):
    def test_exit_status(self):
        self.create("a.qcow2")
        cases = [
            (["read 0 512"], 0),
            (["read 0 8M"], 1),
            (["bogus", "read 0 1"], 1),
            (["read 0"], 1),
            (["read -P 1 0 1"], 1),
            (["aio_read -P 1 0 1", "aio_flush"], 0),  # async failures do not count
            (["help nope"], 1),
            (["sleep 1"], 0),
            (["quit", "bogus"], 0),
            (["write -q 0 1", "quit"], 0),
        ]
        for cmds, rc in cases:
            with self.subTest(cmds=cmds):
                self.assertEqual(self.io("-f", "qcow2", *self.cmds(*cmds), "a.qcow2")[0], rc)

    def test_errors(self):
        self.create("a.qcow2")
        self.assertIO(self.cmds("read 0 1", "close"), "", rc=1,
                      err="no file open, try 'help open'\n" * 2)
        self.assertIO(["-f", "qcow2", "-c", "read 0 1", "nonexist.img"], "", rc=1,
                      err="PROG: can't open device nonexist.img: Could not open "
                          "'nonexist.img': No such file or directory\n")
        self.assertIO(["-r", "-f", "qcow2", "-c", "write 0 1", "-c", "read -q 0 1", "a.qcow2"],
                      "", rc=1, err="PROG: Block node is read-only\n")
        self.assertIO(["-U", "-f", "qcow2", "-c", "read 0 1", "a.qcow2"], "", rc=1,
                      err="PROG: can't open device a.qcow2: force-share=on can only be used "
                          "with read-only images\n")
        self.assertIO(["-t", "bogus", "a.qcow2"], "", rc=1,
                      err="PROG: Invalid cache option: bogus\n")
        self.assertIO(["-i", "bogus", "a.qcow2"], "", rc=1,
                      err="PROG: Invalid aio option: bogus\n")
        self.assertIO(["-f", "qcow2", "-c", "read -x 0 1", "a.qcow2"],
                      "read [-abCqv] [-P pattern [-s off] [-l len]] off len -- reads a number "
                      "of bytes at a specified offset\n", rc=1,
                      err="read: invalid option -- 'x'\n")
        rc, out, err = self.io("a.qcow2", "b.qcow2")
        self.assertEqual((rc, err), (1, ""))
        self.assertTrue(out.startswith("Usage: %s [OPTIONS]... [-c STRING]... [file]\n"
                                       % self.prog))

    def test_image_in_use(self):
        self.create("a.qcow2")
        vm = VM("-drive", "file=%s,if=none,id=d0,format=qcow2" % self.path("a.qcow2"))
        self.addCleanup(vm.shutdown)
        vm.launch()
        vm.qmp()  # running, so the image is locked
        self.assertIO(["-f", "qcow2", "-c", "read 0 1", "a.qcow2"], "", rc=1,
                      err="PROG: can't open device a.qcow2: Failed to get \"write\" lock\n"
                          "Is another process using the image [a.qcow2]?\n")
        self.assertIO(["-U", "-r", "-f", "qcow2", "-c", "read -q -P 0 0 64k", "a.qcow2"], "")

    def test_open_close(self):
        self.create("a.qcow2")
        self.qio("-f", "qcow2", "-c", "write -q -P 9 0 1k", "a.qcow2")
        self.assertIO(self.cmds(
            "open -o driver=qcow2 a.qcow2", "read -q -P 9 0 1k", "open a.qcow2", "close",
            "close", "open -r -o driver=qcow2,file.filename=a.qcow2", "write 0 1",
            "read -q -P 9 0 1k", "close",
            'open json:{"driver":"qcow2","file":{"driver":"file","filename":"a.qcow2"}}',
            "read -q -P 9 0 1k", "close", "open", "open -x"),
            "open [-rsCnkU] [-t cache] [-d discard] [-o options] [path] -- open the file "
            "specified by path\n", rc=1,
            err="PROG: file open already, try 'help close'\n"
                "no file open, try 'help open'\n"
                "PROG: Block node is read-only\n"
                "bad argument count 0 to open, expected at least 1 arguments\n"
                "open: invalid option -- 'x'\n")
        self.assertIO(["--image-opts", "-c", "read -q -P 9 0 1k",
                       "driver=qcow2,file.filename=a.qcow2"], "")

    def test_interactive(self):
        self.create("a.qcow2")
        rc, out, err = self.io("-f", "qcow2", "a.qcow2",
                               stdin="write -P 5 0 512\n\n  read   -q -P 5 0 512\nbogus\n"
                                     "quit\nread 0 1\n")
        self.assertEqual((rc, err), (1, 'command "bogus" not found\n'))
        self.assertEqual(out, "qemu-io> " + report("wrote", 512, 0, "512 bytes")
                         + "qemu-io> qemu-io> qemu-io> qemu-io> ")
        rc, out, err = self.io(stdin="open -o driver=qcow2 a.qcow2\nread -q -P 5 0 512")
        self.assertEqual((rc, out, err), (0, "qemu-io> qemu-io> qemu-io> ", ""))

    @minivm_only("-q is minivm-io's own option")
    def test_quiet_option(self):
        self.create("a.qcow2")
        self.assertIO(["-q", "-f", "qcow2", "-c", "write 0 1k", "-c", "read -P 0xcd 0 1k",
                       "-c", "aio_write 0 1k", "-c", "length", "a.qcow2"], "4 MiB\n")


class BlkdebugTest(IOTestCase):
    def test_breakpoint_over_aio_write(self):
        self.create("r.raw", "1M", "raw")
        out = ("blkdebug: Suspended request 'A'\n"
               + report("read", 4096, 0, "4 KiB")
               + "blkdebug: Resuming request 'A'\n"
               + report("wrote", 4096, 0, "4 KiB")
               + report("read", 4096, 0, "4 KiB"))
        self.assertIO(self.cmds(
            "open -o driver=raw blkdebug::r.raw", "break pwritev A", "aio_write -P 7 0 4k",
            "wait_break A", "sleep 20", "read -P 0 0 4k", "resume A", "aio_flush",
            "read -P 7 0 4k"), out)
        self.assertQemuIOReads("r.raw", "raw", [(7, 0, 4096)])

    def test_breakpoint_errors(self):
        self.create("r.raw", "1M", "raw")
        self.assertIO(self.cmds(
            "open -o driver=raw blkdebug::r.raw", "break nonsense A", "remove_break B",
            "resume B", "break pwritev A", "remove_break A", "write -q 0 1"),
            "Could not set breakpoint: No such file or directory\n"
            "Could not remove breakpoint B: No such file or directory\n"
            "Could not resume request: No such file or directory\n", rc=1)
        self.assertIO(["-f", "raw"] + self.cmds("break pwritev A", "resume A") + ["r.raw"],
                      "Could not set breakpoint: Operation not supported\n"
                      "Could not resume request: Operation not supported\n", rc=1)

    def test_injected_errors(self):
        self.create("r.raw", "1M", "raw")
        self.assertIO(self.cmds(
            "open -o driver=raw,file.driver=blkdebug,file.inject-error.0.event=read_aio,"
            "file.inject-error.1.event=write_aio,file.image.driver=file,"
            "file.image.filename=r.raw",
            "read 0 512", "write 0 512", "aio_read 0 512", "aio_flush", "aio_write 0 512",
            "aio_flush", "readv 0 512", "writev 0 512", "length"),
            "read failed: Input/output error\n"
            "write failed: Input/output error\n"
            "readv failed: Input/output error\n"
            "aio_write failed: Input/output error\n"
            "readv failed: Input/output error\n"
            "writev failed: Input/output error\n"
            "1 MiB\n", rc=1)

    def test_two_requests_stopped(self):
        self.create("r.raw", "1M", "raw")
        rc, out, err = self.io(*self.cmds(
            "open -o driver=raw blkdebug::r.raw", "break pwritev A", "aio_write -P 7 0 4k",
            "wait_break A", "break pwritev B", "aio_write -P 8 8k 4k", "wait_break B",
            "resume B", "resume A", "aio_flush"))
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[:4], ["blkdebug: Suspended request 'A'",
                                     "blkdebug: Suspended request 'B'",
                                     "blkdebug: Resuming request 'B'",
                                     "blkdebug: Resuming request 'A'"])
        # completion order is up to the host
        self.assertEqual(sorted(lines[4:]), sorted(
            report("wrote", 4096, 0, "4 KiB").splitlines()
            + report("wrote", 4096, 8192, "4 KiB").splitlines()))
        self.assertQemuIOReads("r.raw", "raw", [(7, 0, 4096), (8, 8192, 4096)])


if __name__ == "__main__":
    unittest.main()
