"""minivm-img against Debian's qemu-img: same inputs, same outputs.

Every command runs twice, once with each tool, in twin directories holding
identical images (made by QEMU's own qemu-img and qemu-io), and stdout,
stderr (program name aside) and the exit code must match.  What the
commands leave behind is judged by QEMU's tools: qemu-img check must find
no error in an image minivm-img wrote, qemu-img compare must agree with the
data, and qemu-io reads back the patterns written.

minivm-img is looked up next to the binary under test; without it (or
without qemu-img / qemu-io) the tests skip.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from qmp import binary_path

QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
MINIVM_IMG = os.path.join(os.path.dirname(binary_path()), "minivm-img")

KiB = 1024
MiB = 1024 * KiB


def _tmp_root():
    # O_DIRECT (bench -t none) does not work on tmpfs.
    return "/var/tmp" if os.path.isdir("/var/tmp") and os.access("/var/tmp", os.W_OK) else None


def sh(cmd, cwd):
    """Runs a fixture-building shell command; it must succeed."""
    p = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True,
                       executable="/bin/bash")
    if p.returncode:
        raise RuntimeError("fixture command failed: %s\n%s%s" % (cmd, p.stdout, p.stderr))
    return p.stdout


def poke(path, offset, data):
    """Overwrites bytes of a file (corrupting images on purpose)."""
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


# A three-layer chain with data, zero clusters and holes in every layer,
# and the same content as one raw file.
CHAIN = """
qemu-img create -q -f qcow2 base.qcow2 4M
qemu-io -c 'write -P 1 0 1M' -c 'write -z 2M 512k' base.qcow2
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
qemu-io -c 'write -P 2 512k 1M' mid.qcow2
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -c 'write -P 3 3M 64k' -c 'write -z 64k 64k' top.qcow2
qemu-img convert -O raw top.qcow2 top.raw
"""

# What top.qcow2 reads as: (offset, length, pattern byte).
CHAIN_CONTENT = [
    (0, 64 * KiB, 1), (64 * KiB, 64 * KiB, 0), (128 * KiB, 384 * KiB, 1),
    (512 * KiB, 1 * MiB, 2), (1536 * KiB, 1536 * KiB, 0), (3 * MiB, 64 * KiB, 3),
    (3 * MiB + 64 * KiB, 960 * KiB, 0),
]


@unittest.skipUnless(QEMU_IMG and QEMU_IO, "qemu-img and qemu-io are needed as references")
class MinivmImgTest(unittest.TestCase):
    def setUp(self):
        if not os.access(MINIVM_IMG, os.X_OK):
            self.skipTest("no minivm-img next to %s" % binary_path())
        self.tmp = tempfile.mkdtemp(prefix="minivm-img-", dir=_tmp_root())
        self.addCleanup(shutil.rmtree, self.tmp, True)

    # ------------------------------------------------------------ helpers

    def subdir(self, name, setup=None):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        if setup:
            sh(setup, d)
        return d

    def twins(self, setup=""):
        """Two directories with the same fixture: one per tool."""
        return self.subdir("q", setup), self.subdir("m", setup)

    def run_tool(self, tool, args, cwd, input_shell=None):
        """Runs qemu-img or minivm-img; stderr names the program 'IMG'."""
        p = subprocess.run([tool] + list(args), cwd=cwd, capture_output=True, timeout=60)
        name = os.path.basename(tool)
        err = p.stderr.decode(errors="replace")
        err = err.replace("'%s --help'" % name, "'IMG --help'").replace(name + ":", "IMG:")
        return p.stdout.decode(errors="replace"), err, p.returncode

    def qemu(self, args, cwd):
        return self.run_tool(QEMU_IMG, args, cwd)

    def ours(self, args, cwd):
        return self.run_tool(MINIVM_IMG, args, cwd)

    def assertSame(self, args, qdir, mdir, stderr=True, mask=None):
        """The command gives the same results with both tools."""
        q = list(self.qemu(args, qdir))
        m = list(self.ours(args, mdir))
        if mask:
            q[0], m[0] = mask(q[0]), mask(m[0])
        if not stderr:
            q[1] = m[1] = ""
        self.assertEqual(m, q, "minivm-img %s" % " ".join(args))
        return q

    def assertSameBoth(self, args, d, stderr=True):
        """Both tools on the very same directory (read-only commands)."""
        q = self.qemu(args, d)
        m = self.ours(args, d)
        if not stderr:
            q, m = q[::2], m[::2]
        self.assertEqual(m, q, "minivm-img %s" % " ".join(args))
        return q

    def qemu_check_clean(self, path):
        p = subprocess.run([QEMU_IMG, "check", path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, "qemu-img check %s:\n%s%s" % (path, p.stdout, p.stderr))

    def qemu_compare(self, a, b, cwd):
        p = subprocess.run([QEMU_IMG, "compare", a, b], cwd=cwd, capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stdout), (0, "Images are identical.\n"),
                         "qemu-img compare %s %s: %s" % (a, b, p.stderr))

    def qemu_read(self, path, content, cwd, fmt=None):
        """qemu-io reads every (offset, length, pattern) of content back."""
        cmds = []
        for off, length, pat in content:
            cmds += ["-c", "read -P %d %d %d" % (pat, off, length)]
        args = [QEMU_IO] + (["-f", fmt] if fmt else []) + cmds + [path]
        p = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        self.assertNotIn("verification failed", p.stdout + p.stderr)
        self.assertEqual(p.stdout.count("read "), len(content), p.stdout + p.stderr)

    def info_json(self, path, cwd):
        p = subprocess.run([QEMU_IMG, "info", "--output=json", path], cwd=cwd,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    # ------------------------------------------------------------ create

    def test_create(self):
        q, m = self.twins("qemu-img create -q -f qcow2 a.qcow2 1M")
        cases = [
            ["create", "-f", "qcow2", "c1.qcow2", "1M"],
            ["create", "-f", "raw", "c2.raw", "1M"],
            ["create", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", "c3.qcow2"],
            ["create", "-f", "qcow2", "-o",
             "cluster_size=4k,lazy_refcounts=on,compat=1.1,refcount_bits=8,"
             "preallocation=metadata", "c4.qcow2", "10M"],
            ["create", "-f", "qcow2", "-o", "compat=0.10", "c5.qcow2", "1000"],
            ["create", "-f", "raw", "-o", "preallocation=full", "c6.raw", "1M"],
            ["create", "-f", "qcow2", "-u", "-b", "nonexist.qcow2", "-F", "qcow2", "c7.qcow2",
             "5M"],
            ["create", "-f", "qcow2", "-o", "backing_file=a.qcow2,backing_fmt=qcow2",
             "c8.qcow2"],
            ["create", "-q", "-f", "qcow2", "c9.qcow2", "1.5M"],
            ["create", "-f", "qcow2", "-o", "cluster_size=4k", "-o", "cluster_size=8k",
             "-o", "lazy_refcounts", "c10.qcow2", "1G"],
            ["create", "-f", "file", "c11.raw", "64k"],
            # errors
            ["create", "-f", "qcow2", "-b", "a.qcow2", "e.qcow2"],
            ["create", "-f", "qcow2", "-u", "-b", "x.qcow2", "e.qcow2", "1M"],
            ["create", "-f", "qcow2", "-b", "nonex.qcow2", "-F", "qcow2", "e.qcow2"],
            ["create", "-f", "qcow2", "-b", "e.qcow2", "-F", "qcow2", "e.qcow2", "1M"],
            ["create", "-f", "qcow2", "-o", "foo=bar", "e.qcow2", "1M"],
            ["create", "-f", "qcow2", "-o", "cluster_size=3000", "e.qcow2", "1M"],
            ["create", "-f", "qcow2", "-o", "compat=2", "e.qcow2", "1M"],
            ["create", "-f", "qcow2", "-o", "lazy_refcounts=maybe", "e.qcow2", "1M"],
            ["create", "-f", "qcow2", "-o", "cluster_size=x", "e.qcow2", "1M"],
            ["create", "-f", "qcow2", "-o", "compat=0.10,lazy_refcounts=on", "e.qcow2", "1M"],
            ["create", "-f", "raw", "-o", "size=2M", "e.raw", "1M"],
            ["create", "-f", "raw", "-o", "preallocation=bogus", "e.raw", "1M"],
            ["create", "-f", "raw", "-b", "a.qcow2", "-F", "qcow2", "e.raw", "1M"],
            ["create", "-f", "foo", "e.img", "1M"],
            ["create", "-f", "null-co", "e.img", "1M"],
            ["create", "-f", "qcow2", "e.qcow2"],
            ["create", "-f", "qcow2", "e.qcow2", "1x"],
            ["create", "-f", "qcow2", "e.qcow2", "-1"],
            ["create", "-f", "raw", "e.raw", "100000000000000000000"],
            ["create", "-f", "qcow2", "e.qcow2", "1M", "extra"],
            ["create", "-f", "qcow2", "-o", "cluster_size=512", "e.qcow2", "1T"],
            ["create"],
            ["create", "-f", "qcow2", "-o", "help"],
            ["create", "-f", "raw", "-o", "help", "e.raw"],
            ["create", "-f", "qcow2", "-o", "?", "e.qcow2"],
        ]
        for args in cases:
            with self.subTest(args=args):
                self.assertSame(args, q, m)
        # What minivm-img created is what qemu-img would have created.
        for name in ["c1.qcow2", "c2.raw", "c3.qcow2", "c4.qcow2", "c5.qcow2", "c6.raw",
                     "c7.qcow2", "c8.qcow2", "c9.qcow2", "c10.qcow2", "c11.raw"]:
            with self.subTest(image=name):
                qi, mi = self.info_json(name, q), self.info_json(name, m)
                for i in (qi, mi):
                    i.pop("actual-size", None)
                self.assertEqual(mi, qi)
                if name.endswith(".qcow2") and name != "c7.qcow2":
                    self.qemu_check_clean(os.path.join(m, name))

    # ------------------------------------------------------------ info

    def test_info(self):
        d = self.subdir("d", CHAIN + """
qemu-img create -q -f qcow2 -o compat=0.10 v2.qcow2 1M
qemu-img create -q -f qcow2 -o cluster_size=4k,lazy_refcounts=on,refcount_bits=8 lazy.qcow2 10M
qemu-img create -q -f qcow2 -b top.raw -F raw overraw.qcow2
qemu-img create -q -f qcow2 -u -b missing.qcow2 -F qcow2 dangling.qcow2 1M
qemu-img create -q -f qcow2 -b "a,b.qcow2" -F qcow2 -u comma.qcow2 1M
mkdir sub && cp base.qcow2 mid.qcow2 top.qcow2 sub/
""")
        images = ["top.qcow2", "base.qcow2", "top.raw", "v2.qcow2", "lazy.qcow2",
                  "overraw.qcow2", "dangling.qcow2", "comma.qcow2", "sub/top.qcow2",
                  os.path.join(d, "sub/top.qcow2")]
        for img in images:
            for extra in ([], ["--output=json"], ["--backing-chain"],
                          ["--backing-chain", "--output=json"], ["-U"]):
                with self.subTest(image=img, extra=extra):
                    self.assertSameBoth(["info"] + extra + [img], d)
        for args in (["info", "-f", "qcow2", "top.raw"], ["info", "-f", "raw", "top.qcow2"],
                     ["info", "nonexist"], ["info", "--output=xml", "top.qcow2"],
                     ["info"], ["info", "a", "b"], ["info", "-f", "foo", "top.raw"],
                     ["info", "-Z", "x"], ["info", "-f"]):
            with self.subTest(args=args):
                self.assertSameBoth(args, d)

    # ------------------------------------------------------------ check

    def test_check(self):
        setup = """
qemu-img create -q -f qcow2 clean.qcow2 1M
qemu-io -c 'write -P 0x11 0 64k' -c 'write -P 0x22 256k 128k' -c 'write -c -P 0x33 512k 64k' clean.qcow2
qemu-img create -q -f qcow2 empty.qcow2 1M
qemu-img create -q -f raw a.raw 1M
cp clean.qcow2 leak.qcow2 && truncate -s 1M leak.qcow2
cp clean.qcow2 corrupt.qcow2
"""
        q, m = self.twins(setup)
        for d in (q, m):
            # A refcount for a cluster nobody uses (a leak) ...
            poke(os.path.join(d, "leak.qcow2"), 0x20000 + 2 * 12, b"\x00\x01")
            # ... and a zero refcount for the L1 table (a corruption).
            poke(os.path.join(d, "corrupt.qcow2"), 0x20000 + 2 * 3, b"\x00\x00")
            shutil.copy(os.path.join(d, "leak.qcow2"), os.path.join(d, "leak2.qcow2"))
            shutil.copy(os.path.join(d, "leak.qcow2"), os.path.join(d, "leak3.qcow2"))
            shutil.copy(os.path.join(d, "corrupt.qcow2"), os.path.join(d, "corrupt2.qcow2"))
        for img in ("clean.qcow2", "empty.qcow2", "a.raw", "leak.qcow2", "corrupt.qcow2"):
            for extra in ([], ["--output=json"], ["-q"], ["-U", "-T", "none"]):
                with self.subTest(image=img, extra=extra):
                    self.assertSame(["check"] + extra + [img], q, m)
        for args in (["check", "-r", "foo", "clean.qcow2"], ["check", "-T", "foo", "clean.qcow2"],
                     ["check", "--output=x", "clean.qcow2"], ["check", "nonexist"], ["check"]):
            with self.subTest(args=args):
                self.assertSame(args, q, m)
        # Repairs: the same verdict and result; then QEMU finds the image clean.
        # (The per-cluster report on stderr is the qcow2 driver's.)
        for args, img in ((["check", "-r", "leaks"], "leak2.qcow2"),
                          (["check", "--output=json", "-r", "all"], "leak3.qcow2"),
                          (["check", "-r", "all"], "corrupt2.qcow2")):
            with self.subTest(args=args):
                qr, mr = self.qemu(args + [img], q), self.ours(args + [img], m)
                self.assertEqual(mr[2], qr[2])
                if img.startswith("leak"):
                    self.assertEqual(mr[0], qr[0])
                self.qemu_check_clean(os.path.join(m, img))
                self.qemu_read(os.path.join(m, img),
                               [(0, 64 * KiB, 0x11), (256 * KiB, 128 * KiB, 0x22),
                                (512 * KiB, 64 * KiB, 0x33)], m)

    # ------------------------------------------------------------ map

    def test_map(self):
        d = self.subdir("d", CHAIN + """
qemu-img create -q -f qcow2 comp.qcow2 1M
qemu-io -c 'write -c -P 3 0 64k' comp.qcow2
qemu-img create -q -f qcow2 -b top.qcow2 -F qcow2 big.qcow2 8M
qemu-img create -q -f qcow2 -b top.raw -F raw overraw.qcow2
qemu-io -c 'write -P 9 1M 64k' overraw.qcow2
mkdir sub && cp base.qcow2 mid.qcow2 top.qcow2 sub/
""")
        images = ["top.qcow2", "top.raw", "comp.qcow2", "big.qcow2", "overraw.qcow2",
                  "sub/top.qcow2", os.path.join(d, "sub/top.qcow2"), "base.qcow2"]
        for img in images:
            for extra in ([], ["--output=json"], ["-f", "raw"]):
                with self.subTest(image=img, extra=extra):
                    self.assertSameBoth(["map"] + extra + [img], d)
        for args in (["map", "--output=json", "--start-offset=1M", "--max-length=1M",
                      "top.qcow2"], ["map", "-s", "100k", "top.qcow2"],
                     ["map", "--output=json", "-l", "1", "top.qcow2"], ["map", "nonexist"],
                     ["map", "--output=foo", "top.qcow2"], ["map"]):
            with self.subTest(args=args):
                self.assertSameBoth(args, d)

    # ------------------------------------------------------------ compare

    def test_compare(self):
        d = self.subdir("d", CHAIN + """
cp top.raw big.raw && truncate -s 8M big.raw
cp big.raw bigdiff.raw && printf Y | dd of=bigdiff.raw bs=1 seek=6296456 conv=notrunc status=none
qemu-img create -q -f raw zero.raw 8M
qemu-img create -q -f raw z1.raw 1M
cp z1.raw d1.raw && printf X | dd of=d1.raw bs=1 seek=1000 conv=notrunc status=none
cp d1.raw d2.raw && printf X | dd of=d2.raw bs=1 seek=100 conv=notrunc status=none
qemu-img create -q -f qcow2 z1.qcow2 1M
qemu-img create -q -f qcow2 d1.qcow2 1M
qemu-io -c 'write -P 0 64k 64k' -c 'write -P 7 66536 1' d1.qcow2
qemu-img create -q -f qcow2 -b top.qcow2 -F qcow2 ov8.qcow2 8M
""")
        pairs = [("top.qcow2", "top.raw"), ("base.qcow2", "top.qcow2"), ("mid.qcow2", "top.qcow2"),
                 ("top.raw", "zero.raw"), ("top.raw", "big.raw"), ("big.raw", "top.raw"),
                 ("top.raw", "bigdiff.raw"), ("z1.raw", "d1.raw"), ("z1.raw", "d2.raw"),
                 ("z1.qcow2", "d1.qcow2"), ("z1.qcow2", "z1.raw"), ("top.qcow2", "top.qcow2"),
                 ("ov8.qcow2", "big.raw"), ("ov8.qcow2", "bigdiff.raw")]
        for a, b in pairs:
            for extra in ([], ["-s"], ["-p"], ["-q"]):
                for x, y in ((a, b), (b, a)):
                    with self.subTest(a=x, b=y, extra=extra):
                        self.assertSameBoth(["compare"] + extra + [x, y], d)
        for args in (["compare", "-f", "qcow2", "-F", "raw", "top.qcow2", "top.raw"],
                     ["compare", "-f", "raw", "top.qcow2", "top.raw"],
                     ["compare", "top.raw", "nonexist"], ["compare", "nonexist", "top.raw"],
                     ["compare", "-T", "foo", "a", "b"], ["compare", "a"]):
            with self.subTest(args=args):
                self.assertSameBoth(args, d)

    # ------------------------------------------------------------ convert

    def test_convert(self):
        q, m = self.twins(CHAIN)
        converts = [
            ["convert", "-O", "qcow2", "top.qcow2", "o1.qcow2"],
            ["convert", "-p", "-O", "raw", "top.qcow2", "o2.raw"],
            ["convert", "-O", "qcow2", "top.raw", "o3.qcow2"],
            ["convert", "-c", "-p", "-O", "qcow2", "top.qcow2", "o4.qcow2"],
            ["convert", "-O", "qcow2", "-B", "mid.qcow2", "-F", "qcow2", "top.qcow2", "o5.qcow2"],
            ["convert", "-O", "qcow2", "-o", "cluster_size=4k", "top.qcow2", "o6.qcow2"],
            ["convert", "-O", "raw", "-S", "0", "top.qcow2", "o7.raw"],
            ["convert", "-O", "qcow2", "-S", "64k", "top.raw", "o8.qcow2"],
            ["convert", "-O", "raw", "-m", "1", "-W", "top.qcow2", "o9.raw"],
            ["convert", "-O", "qcow2", "-m", "16", "-W", "top.raw", "o10.qcow2"],
            ["convert", "-O", "raw", "top.raw", "base.qcow2", "o11.raw"],
            ["convert", "-O", "qcow2", "-o", "preallocation=metadata", "top.qcow2", "o12.qcow2"],
            ["convert", "-q", "-O", "qcow2", "-o", "compat=0.10", "top.qcow2", "o13.qcow2"],
        ]
        for args in converts:
            with self.subTest(args=args):
                self.assertSame(args, q, m)
                out = args[-1]
                if "-W" not in args:
                    # Out-of-order writes allocate in whatever order they land.
                    self.assertSame(["map", "--output=json", out], q, m)
                if out.endswith(".qcow2"):
                    self.qemu_check_clean(os.path.join(m, out))
                ref = "top.raw" if out != "o11.raw" else None
                if ref:
                    self.qemu_compare(out, ref, m)
        # -n into existing images (which hold other data).
        for d in (q, m):
            sh("qemu-img create -q -f qcow2 n1.qcow2 4M && qemu-io -c 'write -P 9 0 4M' n1.qcow2"
               " && qemu-img create -q -f raw n2.raw 4M && qemu-io -f raw -c 'write -P 9 0 4M'"
               " n2.raw", d)
        for args in (["convert", "-n", "-O", "qcow2", "top.qcow2", "n1.qcow2"],
                     ["convert", "-n", "-O", "raw", "top.qcow2", "n2.raw"]):
            with self.subTest(args=args):
                self.assertSame(args, q, m)
                self.qemu_compare(args[-1], "top.raw", m)
        self.qemu_check_clean(os.path.join(m, "n1.qcow2"))
        # A sparse source makes a sparse target.
        for d in (q, m):
            sh("qemu-img create -q -f qcow2 sparse.qcow2 1G && "
               "qemu-io -c 'write -P 5 100M 1M' -c 'write -P 6 900M 64k' sparse.qcow2", d)
        for fmt, out in (("raw", "s.raw"), ("qcow2", "s.qcow2")):
            with self.subTest(sparse=fmt):
                self.assertSame(["convert", "-O", fmt, "sparse.qcow2", out], q, m)
                self.qemu_compare("sparse.qcow2", out, m)
                self.assertLess(os.stat(os.path.join(m, out)).st_blocks * 512, 8 * MiB)
                self.assertSame(["map", "--output=json", out], q, m)
        for args in (["convert", "-O", "qcow2", "nonexist", "e.qcow2"],
                     ["convert", "-O", "raw", "top.qcow2"],
                     ["convert", "-c", "-O", "raw", "top.qcow2", "e.raw"],
                     ["convert", "-n", "-O", "raw", "top.qcow2", "nonex.raw"],
                     ["convert", "-O", "foo", "top.qcow2", "e.raw"],
                     ["convert", "-O", "qcow2", "-B", "mid.qcow2", "top.qcow2", "e.qcow2"],
                     ["convert", "-O", "raw", "-S", "1000", "top.qcow2", "e.raw"],
                     ["convert", "-O", "raw", "-m", "0", "top.qcow2", "e.raw"],
                     ["convert", "-O", "raw", "-t", "foo", "top.qcow2", "e.raw"],
                     ["convert", "-O", "raw", "-T", "foo", "top.qcow2", "e.raw"],
                     ["convert", "-O", "qcow2", "-o", "foo=bar", "top.qcow2", "e.qcow2"],
                     ["convert", "-c", "-O", "qcow2", "-o", "preallocation=metadata",
                      "top.qcow2", "e.qcow2"],
                     ["convert", "--target-is-zero", "-O", "raw", "top.qcow2", "e.raw"],
                     ["convert", "-O", "qcow2", "-o", "help", "top.qcow2", "e.qcow2"]):
            with self.subTest(args=args):
                self.assertSame(args, q, m)

    # ------------------------------------------------------------ rebase

    def test_rebase(self):
        q, m = self.twins(CHAIN + "mkdir sub && cp base.qcow2 mid.qcow2 top.qcow2 sub/\n"
                          "cp top.raw big.raw && truncate -s 8M big.raw\n")
        cases = [
            ("r1", ["rebase", "-p", "-b", "base.qcow2", "-F", "qcow2"]),
            ("r2", ["rebase", "-b", ""]),
            ("r3", ["rebase", "-b", "mid.qcow2", "-F", "qcow2"]),
            ("r4", ["rebase", "-b", "top.raw", "-F", "raw"]),
            ("r5", ["rebase", "-q", "-b", "big.raw", "-F", "raw"]),
            ("r6", ["rebase", "-b", "base.qcow2"]),
        ]
        for name, args in cases:
            with self.subTest(args=args):
                for d in (q, m):
                    shutil.copy(os.path.join(d, "top.qcow2"), os.path.join(d, name + ".qcow2"))
                self.assertSame(args + [name + ".qcow2"], q, m)
                self.assertSame(["map", "--output=json", name + ".qcow2"], q, m)
                self.assertSame(["info", name + ".qcow2"], q, m)
                self.qemu_check_clean(os.path.join(m, name + ".qcow2"))
                self.qemu_read(name + ".qcow2", CHAIN_CONTENT, m)
        # Unsafe: only the header changes.
        for d in (q, m):
            shutil.copy(os.path.join(d, "top.qcow2"), os.path.join(d, "u1.qcow2"))
            shutil.copy(os.path.join(d, "top.qcow2"), os.path.join(d, "sub/u2.qcow2"))
        self.assertSame(["rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", "u1.qcow2"], q, m)
        self.assertSame(["map", "--output=json", "u1.qcow2"], q, m)
        self.qemu_read("u1.qcow2", [(0, 64 * KiB, 1), (64 * KiB, 64 * KiB, 0),
                                    (512 * KiB, 512 * KiB, 1), (1 * MiB, 512 * KiB, 0),
                                    (3 * MiB, 64 * KiB, 3)], m)
        self.assertSame(["rebase", "-b", "top.qcow2", "-F", "qcow2", "sub/u2.qcow2"], q, m)
        self.assertSame(["map", "--output=json", "sub/u2.qcow2"], q, m)
        for args in (["rebase", "top.qcow2"], ["rebase", "-b", "nonex.qcow2", "-F", "qcow2",
                                               "top.qcow2"],
                     ["rebase", "-b", "base.qcow2", "-F", "foo", "top.qcow2"],
                     ["rebase", "-b", "base.qcow2", "-F", "qcow2", "top.raw"],
                     ["rebase", "-b", "base.qcow2", "-F", "qcow2", "-t", "foo", "top.qcow2"],
                     ["rebase", "-u", "-b", "base.qcow2", "a", "b"]):
            with self.subTest(args=args):
                self.assertSame(args, q, m)

    # ------------------------------------------------------------ commit

    def test_commit(self):
        q, m = self.twins(CHAIN + "mkdir sub && cp base.qcow2 mid.qcow2 top.qcow2 sub/\n"
                          "qemu-img create -q -f qcow2 -b top.qcow2 -F qcow2 ov8.qcow2 8M\n"
                          "qemu-io -c 'write -P 8 6M 128k' ov8.qcow2\n")
        # Into the backing file: the image is emptied afterwards.
        self.assertSame(["commit", "top.qcow2"], q, m)
        self.assertSame(["map", "--output=json", "top.qcow2"], q, m)
        self.assertSame(["map", "--output=json", "mid.qcow2"], q, m)
        for img in ("top.qcow2", "mid.qcow2", "base.qcow2"):
            self.qemu_check_clean(os.path.join(m, img))
        self.qemu_read("mid.qcow2", CHAIN_CONTENT, m)
        self.qemu_read("top.qcow2", CHAIN_CONTENT, m)
        # Down to the base: the image and the layer between keep their data.
        self.assertSame(["commit", "-p", "-b", "base.qcow2", "sub/top.qcow2"], q, m,
                        mask=lambda s: s.rsplit("\r", 1)[-1])
        self.assertSame(["map", "--output=json", "sub/top.qcow2"], q, m)
        self.qemu_read("sub/base.qcow2", CHAIN_CONTENT, m)
        self.qemu_read("sub/top.qcow2", CHAIN_CONTENT, m)
        for img in ("sub/top.qcow2", "sub/mid.qcow2", "sub/base.qcow2"):
            self.qemu_check_clean(os.path.join(m, img))
        # A larger image grows its backing file; -d keeps the image.
        self.assertSame(["commit", "-d", "ov8.qcow2"], q, m)
        # (An image emptied by minivm-img keeps its L2 tables: the disk size differs.)
        self.assertSame(["info", "top.qcow2"], q, m,
                        mask=lambda s: re.sub(r"disk size: .*\n", "", s))
        self.assertSame(["map", "--output=json", "ov8.qcow2"], q, m)
        self.qemu_read("top.qcow2", CHAIN_CONTENT + [(6 * MiB, 128 * KiB, 8)], m)
        for args in (["commit", "base.qcow2"], ["commit", "-b", "nonex", "top.qcow2"],
                     ["commit", "-t", "foo", "top.qcow2"], ["commit"], ["commit", "nonexist"]):
            with self.subTest(args=args):
                self.assertSame(args, q, m)

    # ------------------------------------------------------------ resize

    def test_resize(self):
        q, m = self.twins(CHAIN)
        cases = [
            ["resize", "top.qcow2", "+1M"], ["info", "top.qcow2"],
            ["resize", "top.qcow2", "-1M"], ["resize", "--shrink", "top.qcow2", "-1M"],
            ["info", "top.qcow2"], ["resize", "--shrink", "top.qcow2", "1M"],
            ["map", "--output=json", "top.qcow2"], ["check", "top.qcow2"],
            ["resize", "top.raw", "8M"], ["info", "top.raw"], ["resize", "top.raw", "1000"],
            ["resize", "--shrink", "top.raw", "1000"], ["info", "top.raw"],
            ["resize", "--preallocation=full", "top.raw", "+1M"], ["info", "top.raw"],
            ["resize", "-q", "base.qcow2", "+64k"],
            ["resize", "--preallocation=metadata", "base.qcow2", "+1M"],
            ["map", "--output=json", "base.qcow2"], ["check", "base.qcow2"],
            ["resize", "top.raw", "+1x"], ["resize", "top.raw", "0"], ["resize", "top.raw"],
            ["resize"], ["resize", "top.raw", "1M", "2M"],
            ["resize", "--preallocation=foo", "top.raw", "+1M"],
            ["resize", "--preallocation=falloc", "top.raw", "-1k"], ["resize", "nonexist", "1M"],
        ]
        for args in cases:
            with self.subTest(args=args):
                self.assertSame(args, q, m)
        self.qemu_check_clean(os.path.join(m, "base.qcow2"))

    # ------------------------------------------------------------ bench

    def test_bench(self):
        q, m = self.twins(CHAIN)
        mask = lambda s: re.sub(r"in \d+\.\d{3} seconds", "in X seconds", s)  # noqa: E731
        cases = [
            ["bench", "-c", "2000", "top.qcow2"],
            ["bench", "-c", "1000", "-w", "-d", "4", "-s", "8k", "-S", "16k", "-o", "1M",
             "top.qcow2"],
            ["bench", "-c", "200", "-w", "--pattern=5", "--flush-interval=64", "top.qcow2"],
            ["bench", "-c", "200", "-w", "-d", "2", "--flush-interval=10", "--no-drain",
             "top.raw"],
            ["bench", "-c", "200", "-t", "none", "-f", "raw", "top.raw"],
            ["bench", "-c", "100", "-q", "-i", "threads", "top.qcow2"],
            ["bench", "-c", "100", "-w", "--flush-interval=10", "top.qcow2"],
            ["bench", "-c", "100", "--flush-interval=100", "top.qcow2"],
            ["bench", "-c", "x", "top.qcow2"], ["bench", "-d", "-1", "top.qcow2"],
            ["bench", "-s", "3G", "top.qcow2"], ["bench", "-t", "foo", "top.qcow2"],
            ["bench", "-i", "foo", "top.qcow2"], ["bench", "--pattern=256", "top.qcow2"],
            ["bench"], ["bench", "-c", "10", "nonexist"],
        ]
        for args in cases:
            with self.subTest(args=args):
                out = self.assertSame(args, q, m, mask=mask)[0]
                if out:
                    self.assertRegex(out, r"^Sending \d+ (read|write) requests, \d+ bytes each, "
                                          r"\d+ in parallel \(starting at offset \d+, step size "
                                          r"\d+\)\n(Sending flush every \d+ requests\n)?"
                                          r"Run completed in X seconds\.\n$")
        # Writes went where they should: the pattern of the second case.
        self.qemu_read("top.qcow2", [(1 * MiB, 8 * KiB, 0), (1 * MiB + 8 * KiB, 8 * KiB, 2),
                                     (1 * MiB + 16 * KiB, 8 * KiB, 0)], m)
        self.qemu_check_clean(os.path.join(m, "top.qcow2"))
        # Allocating writes with flushes, the last flush still in flight at
        # the end: everything must reach the image.
        sh("qemu-img create -q -f qcow2 flush.qcow2 64M", m)
        out = self.ours(["bench", "-w", "-c", "2000", "-d", "4", "--flush-interval=100",
                         "--pattern=0x5a", "flush.qcow2"], m)
        self.assertEqual(out[1:], ("", 0))
        self.qemu_check_clean(os.path.join(m, "flush.qcow2"))
        self.qemu_read("flush.qcow2", [(0, 2000 * 4096, 0x5a)], m)

    # ------------------------------------------------------------ command line

    def test_command_line(self):
        d = self.subdir("d", CHAIN)
        for args in ([], ["foo"], ["info", "-Z"], ["check", "--bogus", "x"],
                     ["map", "-f"], ["compare", "-f"], ["convert"], ["rebase"], ["commit", "-b"]):
            with self.subTest(args=args):
                self.assertSameBoth(args, d)


if __name__ == "__main__":
    unittest.main()
