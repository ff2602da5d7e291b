"""A backing chain that loops back on itself is an error, never a crash."""
import os
import subprocess
import tempfile
import unittest

from base import binary_path, is_qemu, run_binary


class BackingCycleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mvm-cycle-")
        self.a = os.path.join(self.tmp.name, "a.qcow2")
        self.b = os.path.join(self.tmp.name, "b.qcow2")
        img = ["qemu-img"]
        subprocess.run(img + ["create", "-q", "-f", "qcow2", self.a, "1M"], check=True)
        subprocess.run(img + ["create", "-q", "-f", "qcow2", "-b", self.a, "-F", "qcow2",
                              self.b], check=True)
        subprocess.run(img + ["rebase", "-u", "-b", self.b, "-F", "qcow2", self.a], check=True)
        self.before = [open(p, "rb").read() for p in (self.a, self.b)]

    def tearDown(self):
        self.tmp.cleanup()

    def run_drive(self, extra):
        drive = f"file={self.b},if=none{extra}"
        rc, out, err = run_binary("-machine", "none", "-nodefaults", "-display", "none",
                                  "-drive", drive)
        self.assertEqual(rc, 1, err)
        self.assertIn(f"-drive {drive}: Could not open backing file: ", err)
        # Nothing was written to either image.
        self.assertEqual(self.before, [open(p, "rb").read() for p in (self.a, self.b)])
        return err

    def test_cycle_read_write(self):
        # Opening the loop read-write trips over the image's own lock, as in QEMU.
        err = self.run_drive("")
        self.assertIn('Failed to get shared "write" lock', err)

    @unittest.skipIf(is_qemu(), "minivm names the cycle; QEMU has no lock to trip over here")
    def test_cycle_read_only(self):
        err = self.run_drive(",readonly=on")
        self.assertIn(f"Backing file '{self.a}' of '{self.b}' makes the backing chain a cycle",
                      err)


if __name__ == "__main__":
    unittest.main()
