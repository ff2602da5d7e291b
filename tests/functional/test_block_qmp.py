"""
The block layer over QMP and HMP: blockdev-add/-del, the queries, block_resize,
permissions, image locking against Debian's qemu-img/qemu-io, and what the
images look like after quit.

Replies are compared whole, member order included (a manager's parser may
depend on it), against QEMU 7.2's on the same images; generated node names
("#block123") are compared by pattern.  The image helpers here are shared by
test_block_cmdline.py and test_block_libvirt.py.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from base import VMTestCase, binary_name, is_qemu, run_binary

QEMU_IMG = shutil.which("qemu-img") or "/usr/bin/qemu-img"
QEMU_IO = shutil.which("qemu-io") or "/usr/bin/qemu-io"
MiB = 1 << 20
DEFAULTS = ("-machine", "none", "-nodefaults", "-display", "none")

# ---------------------------------------------------------------- helpers


def tool(*args, check=True, input=None):
    """Runs qemu-img/qemu-io to completion."""
    p = subprocess.run(args, capture_output=True, text=True, timeout=30, input=input,
                       stdin=None if input is not None else subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


class Images:
    """A temporary directory of images made with Debian's qemu-img."""

    def __init__(self, test, prefix="blk"):
        tag = os.environ.get("MINIVM_FUNCTIONAL_TAG", "")
        self.dir = tempfile.mkdtemp(prefix="mvm-%s%s-" % (tag + "-" if tag else "", prefix),
                                    dir="/tmp")
        test.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def qcow2(self, name, size=64 * MiB, backing=None, opts=None):
        """backing: a name as it goes into the header (relative to the image)."""
        args = [QEMU_IMG, "create", "-q", "-f", "qcow2"]
        if opts:
            args += ["-o", opts]
        if backing:
            args += ["-b", backing, "-F", "qcow2"]
        args.append(self.path(name))
        if not backing:
            args.append(str(size))
        tool(*args)
        return self.path(name)

    def raw(self, name, size=MiB):
        tool(QEMU_IMG, "create", "-q", "-f", "raw", self.path(name), str(size))
        return self.path(name)

    def chain(self, subdir=""):
        """base <- mid <- top, each naming its backing file relatively."""
        base = self.qcow2(os.path.join(subdir, "base.qcow2"))
        mid = self.qcow2(os.path.join(subdir, "mid.qcow2"), backing="base.qcow2")
        top = self.qcow2(os.path.join(subdir, "top.qcow2"), backing="mid.qcow2")
        return base, mid, top


AUTO_NAME = re.compile(r"#block\d{3,}")


def anon(obj):
    """Generated node names replaced by "#block" (member order kept)."""
    if isinstance(obj, dict):
        return {k: ("#block" if k == "node-name" and isinstance(v, str)
                    and AUTO_NAME.fullmatch(v) else anon(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [anon(v) for v in obj]
    return obj


def anon_text(text):
    return AUTO_NAME.sub("#block", text.replace("\r\n", "\n"))


def alloc(path):
    """What QEMU reports as actual-size: the file's allocation."""
    return os.stat(path).st_blocks * 512


def size_str(n):
    """QEMU's human size ("196 KiB"): 3 significant digits, binary units."""
    units = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
    i = 0
    while i < 6 and n >= 1000 * (1 << (10 * i)):
        i += 1
    return "%0.3g %sB" % (n / (1 << (10 * i)), units[i])


QCOW2_SPECIFIC = {"type": "qcow2", "data": {
    "compat": "1.1", "compression-type": "zlib", "lazy-refcounts": False, "refcount-bits": 16,
    "corrupt": False, "extended-l2": False}}


def file_size(path):
    """A file node's length: the file's, in whole 512-byte sectors."""
    return (os.path.getsize(path) + 511) // 512 * 512


def file_image(path):
    """ImageInfo of a 'file' node, in QEMU's member order."""
    return {"virtual-size": file_size(path), "filename": path, "format": "file",
            "actual-size": alloc(path), "dirty-flag": False}


def qcow2_image(path, vsize=64 * MiB, backing=None, backing_image=None, filename=None,
                specific=QCOW2_SPECIFIC):
    """ImageInfo of a qcow2 node; backing = (header name, full path)."""
    d = {}
    if backing_image is not None:
        d["backing-image"] = backing_image
    if backing:
        d["backing-filename-format"] = "qcow2"
    d["virtual-size"] = vsize
    d["filename"] = filename or path
    d["cluster-size"] = 65536
    d["format"] = "qcow2"
    d["actual-size"] = alloc(path)
    d["format-specific"] = specific
    if backing:
        d["full-backing-filename"] = backing[1]
        d["backing-filename"] = backing[0]
    d["dirty-flag"] = False
    return d


def device_info(image, node, drv, file, ro=False, depth=0, backing_file=None, direct=False,
                no_flush=False, writeback=True, detect_zeroes="off"):
    """BlockDeviceInfo in QEMU's member order."""
    d = {"iops_rd": 0, "detect_zeroes": detect_zeroes, "image": image, "iops_wr": 0, "ro": ro,
         "node-name": node, "backing_file_depth": depth, "drv": drv, "iops": 0, "bps_wr": 0,
         "write_threshold": 0}
    if backing_file:
        d["backing_file"] = backing_file
    d.update({"encrypted": False, "bps": 0, "bps_rd": 0,
              "cache": {"no-flush": no_flush, "direct": direct, "writeback": writeback},
              "file": file})
    return d


def chain_images(base, mid, top, nested):
    """The ImageInfo of base, mid and top of Images.chain() (nested: with backing-image)."""
    d = os.path.dirname(top)
    b = qcow2_image(base)
    m = qcow2_image(mid, backing=(os.path.basename(base), base),
                    backing_image=b if nested else None)
    t = qcow2_image(top, backing=(os.path.basename(mid), mid),
                    backing_image=m if nested else None)
    assert os.path.dirname(base) == d
    return b, m, t


def chain_nodes(base, mid, top, top_name="top", flat=True, ro_top=False, **cache):
    """query-named-block-nodes for a chain opened from its top, newest first."""
    b, m, t = chain_images(base, mid, top, nested=not flat)
    return [
        device_info(b, "#block", "qcow2", base, ro=True, **cache),
        device_info(file_image(base), "#block", "file", base, ro=True, **cache),
        device_info(m, "#block", "qcow2", mid, ro=True, depth=0 if flat else 1,
                    backing_file=base, **cache),
        device_info(file_image(mid), "#block", "file", mid, ro=True, **cache),
        device_info(t, top_name, "qcow2", top, ro=ro_top, depth=0 if flat else 2,
                    backing_file=mid, **cache),
        device_info(file_image(top), "#block", "file", top, ro=ro_top, **cache),
    ]


ZERO_STATS = {
    "unmap_operations": 0, "unmap_merged": 0, "flush_total_time_ns": 0, "wr_highest_offset": 0,
    "wr_total_time_ns": 0, "failed_wr_operations": 0, "failed_rd_operations": 0, "wr_merged": 0,
    "wr_bytes": 0, "timed_stats": [], "failed_unmap_operations": 0, "failed_flush_operations": 0,
    "account_invalid": False, "rd_total_time_ns": 0, "invalid_unmap_operations": 0,
    "flush_operations": 0, "wr_operations": 0, "unmap_bytes": 0, "rd_merged": 0, "rd_bytes": 0,
    "unmap_total_time_ns": 0, "invalid_flush_operations": 0, "account_failed": False,
    "rd_operations": 0, "invalid_wr_operations": 0, "invalid_rd_operations": 0}


def stats(**kw):
    s = dict(ZERO_STATS)
    s.update(kw)
    return s


FILE_DRIVER_STATS = {"discard-bytes-ok": 0, "discard-nb-ok": 0, "driver": "file",
                     "discard-nb-failed": 0}


def lock_hint(path):
    return "Is another process using the image [%s]?\n" % path


class BlockTestCase(VMTestCase):
    def setUp(self):
        self.img = Images(self)

    def assertJSON(self, actual, expected):
        """Equal, member order included; generated node names by pattern."""
        self.assertEqual(json.dumps(anon(actual), indent=1), json.dumps(expected, indent=1))

    def assertError(self, c, cmd, args, desc, cls="GenericError"):
        self.assertQMPError(c.execute(cmd, args), cls, desc)

    def quit(self, vm, c):
        self.quit_and_wait(vm, c)

    def assertClean(self, path):
        """qemu-img check finds nothing and the image was closed cleanly."""
        p = tool(QEMU_IMG, "check", path, check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("No errors were found on the image.", p.stdout)
        info = json.loads(tool(QEMU_IMG, "info", "--output=json", path).stdout)
        self.assertIs(info["dirty-flag"], False)
        return info


# ---------------------------------------------------------------- blockdev-add / -del


class BlockdevAddDelTest(BlockTestCase):
    def test_layers_by_reference(self):
        img = self.img.qcow2("a.qcow2", 4 * MiB)
        c = self.vm().qmp()
        self.assertEqual(c.cmd("blockdev-add", driver="file", node_name="a-storage",
                               filename=img, auto_read_only=True, discard="unmap"), {})
        self.assertEqual(c.cmd("blockdev-add", driver="qcow2", node_name="a-format",
                               file="a-storage", read_only=False, backing=None), {})
        self.assertJSON(c.cmd("query-named-block-nodes", flat=True), [
            device_info(qcow2_image(img, 4 * MiB), "a-format", "qcow2", img),
            device_info(file_image(img), "a-storage", "file", img),
        ])
        # Each layer goes on its own, the top first.
        self.assertError(c, "blockdev-del", {"node-name": "a-storage"},
                         "Block device a-storage is in use")
        self.assertEqual(c.cmd("blockdev-del", node_name="a-format"), {})
        self.assertEqual(c.cmd("blockdev-del", node_name="a-storage"), {})
        self.assertEqual(c.cmd("query-named-block-nodes"), [])
        self.assertEqual(c.cmd("query-block"), [])

    def test_inline_children_go_with_the_node(self):
        base, mid, top = self.img.chain()
        c = self.vm().qmp()
        c.cmd("blockdev-add", driver="qcow2", node_name="top",
              file={"driver": "file", "filename": top})
        self.assertJSON(c.cmd("query-named-block-nodes", flat=True),
                        chain_nodes(base, mid, top))
        # Children opened with it are not the monitor's to delete.
        names = [n["node-name"] for n in c.cmd("query-named-block-nodes")]
        self.assertTrue(AUTO_NAME.fullmatch(names[-1]), names)
        self.assertError(c, "blockdev-del", {"node-name": names[-1]},
                         "Node %s is not owned by the monitor" % names[-1])
        self.assertEqual(c.cmd("blockdev-del", node_name="top"), {})
        self.assertEqual(c.cmd("query-named-block-nodes"), [])

    def test_del_refusals(self):
        img = self.img.qcow2("d.qcow2", MiB)
        vm = self.vm("-drive", "if=none,id=d0,file=%s,node-name=n0" % img)
        c = vm.qmp()
        self.assertError(c, "blockdev-del", {"node-name": "n0"}, "Node n0 is in use")
        # A backend's name is not a node name.
        self.assertError(c, "blockdev-del", {"node-name": "d0"},
                         "Failed to find node with node-name='d0'")
        self.assertError(c, "blockdev-del", {"node-name": "nope"},
                         "Failed to find node with node-name='nope'")
        self.assertError(c, "blockdev-del", {}, "Parameter 'node-name' is missing")
        file_node = c.cmd("query-named-block-nodes")[-1]["node-name"]
        self.assertError(c, "blockdev-del", {"node-name": file_node},
                         "Node %s is not owned by the monitor" % file_node)
        # Deleted nodes are gone for good; a second delete finds nothing.
        c.cmd("blockdev-add", driver="null-co", node_name="nul")
        self.assertEqual(c.cmd("blockdev-del", node_name="nul"), {})
        self.assertError(c, "blockdev-del", {"node-name": "nul"},
                         "Failed to find node with node-name='nul'")
        self.quit(vm, c)

    def test_add_errors(self):
        img = self.img.qcow2("e.qcow2", MiB)
        free = self.img.qcow2("free.qcow2", MiB)
        raw = self.img.raw("e.raw")
        vm = self.vm("-drive", "if=none,id=d0,file=%s,node-name=n0" % img)
        c = vm.qmp()
        F = {"driver": "file", "filename": raw}
        cases = [
            ({"driver": "null-co"}, "'node-name' must be specified for the root node"),
            ({"driver": "null-co", "node-name": "d0"},
             "node-name=d0 is conflicting with a device id"),
            (dict(F, **{"node-name": "n0"}), "Duplicate nodes with node-name='n0'"),
            (dict(F, **{"node-name": "a b"}), "Invalid node-name: 'a b'"),
            (dict(F, **{"node-name": "#x"}), "Invalid node-name: '#x'"),
            (dict(F, **{"node-name": "a" * 32}), "Node name too long"),
            (dict(F, **{"node-name": "x", "bogus": 1}), "Parameter 'bogus' is unexpected"),
            ({"driver": "file", "node-name": "x", "filename": 1},
             "Invalid parameter type for 'filename', expected: string"),
            ({"driver": "file", "node-name": "x"}, "Parameter 'filename' is missing"),
            ({"driver": "bogus", "node-name": "x"},
             "Parameter 'driver' does not accept value 'bogus'"),
            ({"node-name": "x"}, "Parameter 'driver' is missing"),
            ({"driver": "file", "node-name": "x", "filename": self.img.path("nonexistent")},
             "Could not open '%s': No such file or directory" % self.img.path("nonexistent")),
            ({"driver": "qcow2", "node-name": "x", "file": F}, "Image is not in qcow2 format"),
            ({"driver": "qcow2", "node-name": "x", "file": "nope"},
             "Cannot find device='nope' nor node-name='nope'"),
            ({"driver": "qcow2", "node-name": "x", "file": {"driver": "file", "filename": free},
              "backing": "nope"},
             "Could not open backing file: Cannot find device='nope' nor node-name='nope'"),
            ({"driver": "raw", "node-name": "x", "file": "x"},
             "Cannot find device='x' nor node-name='x'"),
            ({"driver": "blkdebug", "node-name": "x", "image": "x"},
             "Making 'x' a image child of 'x' would create a cycle"),
            (dict(F, **{"node-name": "x", "aio": "bogus"}),
             "Parameter 'aio' does not accept value 'bogus'"),
            (dict(F, **{"node-name": "x", "read-only": "on"}),
             "Invalid parameter type for 'read-only', expected: boolean"),
            (dict(F, **{"node-name": "x", "force-share": True}),
             "force-share=on can only be used with read-only images"),
            (dict(F, **{"node-name": "x", "detect-zeroes": "unmap"}),
             "setting detect-zeroes to unmap is not allowed without setting discard operation "
             "to unmap"),
        ]
        for args, desc in cases:
            with self.subTest(args=args):
                self.assertError(c, "blockdev-add", args, desc)
        self.assertError(c, "blockdev-add", None, "Parameter 'driver' is missing")
        # Nothing was left behind by the failures.
        self.assertEqual(len(c.cmd("query-named-block-nodes")), 2)
        self.quit(vm, c)

    def test_self_reference_as_backing(self):
        img = self.img.qcow2("s.qcow2", MiB)
        c = self.vm().qmp()
        c.cmd("blockdev-add", driver="file", node_name="f", filename=img)
        self.assertError(c, "blockdev-add", {"driver": "qcow2", "node-name": "q", "file": "f",
                                             "backing": "q"},
                         "Making 'q' a backing child of 'q' would create a cycle")
        self.assertEqual([n["node-name"] for n in c.cmd("query-named-block-nodes")], ["f"])

    def test_permission_conflict(self):
        img = self.img.qcow2("p.qcow2", MiB)
        vm = self.vm()
        c = vm.qmp()
        c.cmd("blockdev-add", driver="file", node_name="f0", filename=img)
        c.cmd("blockdev-add", driver="qcow2", node_name="q0", file="f0")
        self.assertError(c, "blockdev-add", {"driver": "qcow2", "node-name": "q1", "file": "f0"},
                         "Permission conflict on node 'f0': permissions 'write, resize' are both "
                         "required by node 'q0' (uses node 'f0' as 'file' child) and unshared by "
                         "node 'q1' (uses node 'f0' as 'file' child).")
        # raw takes on its file only what its own users take: nothing yet.
        self.assertEqual(c.cmd("blockdev-add", driver="raw", node_name="r1", file="f0"), {})
        self.assertEqual(c.cmd("blockdev-add", driver="raw", node_name="r2", file="f0",
                               read_only=True), {})
        self.assertEqual(c.cmd("blockdev-del", node_name="r2"), {})
        self.assertEqual(c.cmd("blockdev-del", node_name="r1"), {})
        self.quit(vm, c)

    def test_writer_on_a_drive_node(self):
        # A -drive without a device only reads; a writer may go on top of it.
        img = self.img.raw("w.raw")
        c = self.vm("-drive", "if=none,id=d0,file=%s,format=raw,node-name=n0" % img).qmp()
        self.assertError(c, "blockdev-add", {"driver": "qcow2", "node-name": "q", "file": "n0"},
                         "Image is not in qcow2 format")
        self.assertEqual(c.cmd("blockdev-add", driver="raw", node_name="r", file="n0"), {})


# ---------------------------------------------------------------- queries


class BlockQueryTest(BlockTestCase):
    def test_named_nodes_of_a_chain(self):
        base, mid, top = self.img.chain()
        c = self.vm("-blockdev", "driver=qcow2,node-name=top,file.driver=file,"
                    "file.filename=" + top).qmp()
        self.assertJSON(c.cmd("query-named-block-nodes", flat=True), chain_nodes(base, mid, top))
        nested = chain_nodes(base, mid, top, flat=False)
        self.assertJSON(c.cmd("query-named-block-nodes", flat=False), nested)
        self.assertJSON(c.cmd("query-named-block-nodes"), nested)
        # A node that is no backend's root is not in query-block.
        self.assertEqual(c.cmd("query-block"), [])

    def test_query_block_drive(self):
        base, mid, top = self.img.chain()
        c = self.vm("-drive", "if=none,id=d0,file=%s,node-name=n0" % top,
                    "-drive", "if=none,id=empty").qmp()
        b, m, t = chain_images(base, mid, top, nested=True)
        self.assertJSON(c.cmd("query-block"), [
            {"device": "d0", "locked": False, "removable": True,
             "inserted": device_info(t, "n0", "qcow2", top, depth=2, backing_file=mid),
             "type": "unknown"},
            {"device": "empty", "locked": False, "removable": True, "type": "unknown"},
        ])

    def test_query_blockstats(self):
        base, mid, top = self.img.chain()
        raw = self.img.raw("s.raw")
        c = self.vm("-drive", "if=none,id=d0,file=%s,node-name=n0" % top,
                    "-blockdev", "driver=file,node-name=f1,filename=" + raw,
                    "-blockdev", "driver=raw,node-name=r1,file=f1",
                    "-drive", "if=none,id=empty").qmp()
        backend = stats(account_invalid=True, account_failed=True)

        def file_stats(name):
            return {"stats": stats(), "node-name": name, "driver-specific": FILE_DRIVER_STATS}

        def fmt(name, file_name, backing=None):
            d = {"parent": file_stats(file_name), "stats": stats()}
            if backing:
                d["backing"] = backing
            d["node-name"] = name
            return d

        self.assertJSON(c.cmd("query-blockstats"), [
            {"device": "d0", "parent": file_stats("#block"), "stats": backend,
             "backing": fmt("#block", "#block", fmt("#block", "#block")), "node-name": "n0"},
            {"device": "empty", "stats": backend},
        ])
        self.assertJSON(c.cmd("query-blockstats", query_nodes=True), [
            file_stats("f1"), fmt("r1", "f1"),
            file_stats("#block"), fmt("n0", "#block"),
            file_stats("#block"), fmt("#block", "#block"),
            file_stats("#block"), fmt("#block", "#block"),
        ])
        self.assertEqual(c.cmd("query-blockstats", query_nodes=False),
                         c.cmd("query-blockstats"))

    def test_filters_and_protocol_nodes(self):
        img = self.img.qcow2("f.qcow2", 4 * MiB)
        c = self.vm("-blockdev", "driver=blkdebug,node-name=bd,image.driver=qcow2,"
                    "image.file.driver=file,image.file.filename=" + img,
                    "-blockdev", "driver=null-co,node-name=nul,size=1048576").qmp()
        q = qcow2_image(img, 4 * MiB)
        bd_image = {"virtual-size": 4 * MiB, "filename": "blkdebug::" + img,
                    "cluster-size": 65536, "format": "blkdebug", "dirty-flag": False}
        null_name = 'json:{"driver": "null-co", "size": 1048576}'
        null_image = {"virtual-size": MiB, "filename": null_name, "format": "null-co",
                      "actual-size": 0}
        self.assertJSON(c.cmd("query-named-block-nodes", flat=True), [
            device_info(null_image, "nul", "null-co", null_image["filename"]),
            device_info(q, "#block", "qcow2", img),
            device_info(file_image(img), "#block", "file", img),
            device_info(bd_image, "bd", "blkdebug", "blkdebug::" + img),
        ])
        # Unflattened, a filter shows the image below it as its backing image.
        nodes = c.cmd("query-named-block-nodes")
        self.assertJSON(nodes[-1], device_info(dict({"backing-image": q}, **bd_image), "bd",
                                               "blkdebug", "blkdebug::" + img, depth=1))

    def test_backing_overridden(self):
        # An explicit backing link other than the header's, or none, makes a
        # json:{...} name; the header's wish stays in the image info.
        sub_base = self.img.qcow2("b.qcow2", MiB)
        top = self.img.qcow2("t.qcow2", backing="b.qcow2")
        top2 = self.img.qcow2("t2.qcow2", backing="b.qcow2")
        c = self.vm("-blockdev", "driver=qcow2,node-name=b,read-only=on,file.driver=file,"
                    "file.filename=" + sub_base,
                    "-blockdev", "driver=qcow2,node-name=t,file.driver=file,file.filename=%s,"
                    "backing=b" % top,
                    "-blockdev", '{"driver":"qcow2","node-name":"t2","file":{"driver":"file",'
                    '"filename":"%s"},"backing":null}' % top2).qmp()
        nodes = {n["node-name"]: n for n in c.cmd("query-named-block-nodes", flat=True)}
        self.assertEqual(nodes["t"]["file"],
                         'json:{"backing": {"driver": "qcow2", "file": {"driver": "file", '
                         '"filename": "%s"}}, "driver": "qcow2", "file": {"driver": "file", '
                         '"filename": "%s"}}' % (sub_base, top))
        self.assertEqual(nodes["t"]["backing_file"], sub_base)
        self.assertEqual(nodes["t2"]["file"],
                         'json:{"backing": null, "driver": "qcow2", "file": {"driver": "file", '
                         '"filename": "%s"}}' % top2)
        self.assertNotIn("backing_file", nodes["t2"])
        self.assertEqual(nodes["t2"]["image"]["backing-filename"], "b.qcow2")
        self.assertEqual(nodes["t2"]["image"]["full-backing-filename"], sub_base)


# ---------------------------------------------------------------- block_resize


class BlockResizeTest(BlockTestCase):
    def test_resize_grows_the_image(self):
        img = self.img.qcow2("r.qcow2", MiB)
        vm = self.vm("-blockdev", "driver=file,node-name=f,filename=" + img,
                     "-blockdev", "driver=qcow2,node-name=q,file=f",
                     "-drive", "if=none,id=d0,file=%s,format=raw" % self.img.raw("r.raw"))
        c = vm.qmp()
        self.assertEqual(c.cmd("block_resize", node_name="q", size=8 * MiB), {})
        self.assertEqual(c.cmd("block_resize", device="d0", size=2 * MiB), {})
        node = c.cmd("query-named-block-nodes", flat=True)[-2]
        self.assertEqual((node["node-name"], node["image"]["virtual-size"]), ("q", 8 * MiB))
        self.assertEqual(c.cmd("query-block")[0]["inserted"]["image"]["virtual-size"], 2 * MiB)
        hmp = c.cmd("human-monitor-command", command_line="block_resize q 16M")
        self.assertEqual(hmp, "Error: Cannot find device='q' nor node-name=''\r\n")
        self.assertEqual(c.cmd("human-monitor-command", command_line="block_resize d0 4M"), "")
        self.quit(vm, c)
        info = self.assertClean(img)
        self.assertEqual(info["virtual-size"], 8 * MiB)
        self.assertEqual(os.path.getsize(self.img.path("r.raw")), 4 * MiB)

    def test_resize_refusals(self):
        img = self.img.qcow2("r.qcow2", MiB)
        vm = self.vm("-blockdev", "driver=file,node-name=f,filename=" + img,
                     "-blockdev", "driver=qcow2,node-name=q,file=f",
                     "-drive", "if=none,id=ro,file=%s,format=raw,readonly=on"
                     % self.img.raw("ro.raw"),
                     "-blockdev", "driver=null-co,node-name=nul")
        c = vm.qmp()
        cases = [
            ({"size": 4 * MiB}, "Cannot find device='' nor node-name=''"),
            ({"device": "nope", "size": 4 * MiB}, "Cannot find device='nope' nor node-name=''"),
            ({"node-name": "nope", "size": 4 * MiB},
             "Cannot find device='' nor node-name='nope'"),
            ({"node-name": "q", "size": -1}, "Parameter 'size' expects a >0 size"),
            ({"node-name": "q", "size": 1000}, "The new size must be a multiple of 512"),
            ({"device": "ro", "size": 4 * MiB}, "Image is read-only"),
            ({"node-name": "nul", "size": 4 * MiB}, "Image format driver does not support resize"),
            # qcow2 lets nobody else resize its file.
            ({"node-name": "f", "size": 4 * MiB},
             "Permission conflict on node 'f': permissions 'resize' are both required by an "
             "unnamed block device (uses node 'f' as 'root' child) and unshared by node 'q' "
             "(uses node 'f' as 'file' child)."),
        ]
        for args, desc in cases:
            with self.subTest(args=args):
                self.assertError(c, "block_resize", args, desc)
        self.assertEqual(c.cmd("human-monitor-command", command_line="block_resize nope 1M"),
                         "Error: Cannot find device='nope' nor node-name=''\r\n")
        self.quit(vm, c)
        self.assertEqual(self.assertClean(img)["virtual-size"], MiB)


# ---------------------------------------------------------------- locking


class ImageLockingTest(BlockTestCase):
    """Locks as QEMU takes them: Debian's tools and minivm keep off each other."""

    def test_vm_holds_the_image(self):
        img = self.img.qcow2("l.qcow2", MiB)
        vm = self.vm("-blockdev", "driver=qcow2,node-name=q,file.driver=file,file.filename=" + img)
        c = vm.qmp()
        p = tool(QEMU_IMG, "info", img, check=False)
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertEqual(p.stderr, "qemu-img: Could not open '%s': Failed to get shared "
                         '"write" lock\n%s' % (img, lock_hint(img)))
        p = tool(QEMU_IO, "-c", "write 0 512", img, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "qemu-io: can't open device %s: Failed to get \"write\" "
                         "lock\n%s" % (img, lock_hint(img)))
        # Sharing is what -U asks for.
        p = tool(QEMU_IMG, "info", "-U", "--output=json", img)
        self.assertEqual(json.loads(p.stdout)["virtual-size"], MiB)
        # Once the node is gone, so are its locks.
        self.assertEqual(c.cmd("blockdev-del", node_name="q"), {})
        tool(QEMU_IMG, "info", img)
        tool(QEMU_IO, "-c", "write 0 512", img)
        self.quit(vm, c)

    def test_read_only_vm_lets_readers_in(self):
        img = self.img.qcow2("l.qcow2", MiB)
        c = self.vm("-blockdev", "driver=qcow2,node-name=q,read-only=on,file.driver=file,"
                    "file.filename=" + img).qmp()
        tool(QEMU_IMG, "info", img)
        tool(QEMU_IO, "-r", "-c", "read 0 512", img)
        p = tool(QEMU_IO, "-c", "write 0 512", img, check=False)
        self.assertEqual(p.stderr, "qemu-io: can't open device %s: Failed to get \"write\" "
                         "lock\n%s" % (img, lock_hint(img)))
        c.cmd("query-block")

    def hold_with_qemu_io(self, img, *opts):
        """A qemu-io that keeps img open (and locked) until the test ends."""
        io = subprocess.Popen([QEMU_IO, *opts, "-c", "sleep 60000", img],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)

        def stop():
            io.kill()
            io.wait()
            io.stderr.close()
        self.addCleanup(stop)
        needle = ":%d " % os.stat(img).st_ino
        deadline = time.monotonic() + 10
        while True:
            with open("/proc/locks") as f:
                if any(needle in line for line in f):
                    return io
            if io.poll() is not None:
                self.fail("qemu-io exited: %r" % io.stderr.read())
            self.assertLess(time.monotonic(), deadline, "qemu-io took no lock")
            time.sleep(0.02)

    def test_qemu_io_holds_the_image(self):
        img = self.img.qcow2("l.qcow2", MiB)
        self.hold_with_qemu_io(img, "-f", "qcow2")
        vm = self.vm()
        c = vm.qmp()
        self.assertError(c, "blockdev-add", {"driver": "qcow2", "node-name": "q", "file": {
            "driver": "file", "filename": img}}, 'Failed to get "write" lock')
        self.assertError(c, "blockdev-add", {"driver": "qcow2", "node-name": "q",
                                             "read-only": True, "file": {
                                                 "driver": "file", "filename": img}},
                         'Failed to get shared "write" lock')
        # force-share reaches the storage below: a reader that insists gets in.
        self.assertEqual(c.cmd("blockdev-add", driver="qcow2", node_name="q", read_only=True,
                               force_share=True, file={"driver": "file", "filename": img}), {})
        c.cmd("blockdev-del", node_name="q")
        # The file node alone takes nothing it would have to share.
        self.assertEqual(c.cmd("blockdev-add", driver="file", node_name="f", filename=img), {})
        self.assertError(c, "blockdev-add", {"driver": "qcow2", "node-name": "q", "file": "f"},
                         'Failed to get "write" lock')
        self.quit(vm, c)
        for args, what in (
                (["-blockdev", "driver=qcow2,node-name=q,file.driver=file,file.filename=" + img],
                 '"write"'),
                (["-drive", "if=none,file=" + img], '"write"'),
                (["-drive", "if=none,file=%s,readonly=on" % img], 'shared "write"')):
            with self.subTest(args=args):
                rc, out, err = run_binary(*DEFAULTS, *args)
                self.assertEqual((rc, out), (1, ""))
                self.assertEqual(err, "%s: %s %s: Failed to get %s lock\n%s"
                                 % (binary_name(), args[0], args[1], what, lock_hint(img)))


# ---------------------------------------------------------------- data and clean images


class BlockDataTest(BlockTestCase):
    def hmp(self, c, line):
        return c.cmd("human-monitor-command", command_line=line)

    def require_qemu_io(self, c):
        out = self.hmp(c, 'qemu-io nonexistent-device "read 0 1"')
        if "unknown command" in out:
            raise unittest.SkipTest("no HMP qemu-io in this binary")

    def test_write_through_hmp_qemu_io(self):
        img = self.img.qcow2("w.qcow2", 4 * MiB)
        vm = self.vm("-drive", "if=none,id=d0,file=" + img)
        c = vm.qmp()
        self.require_qemu_io(c)
        out = self.hmp(c, 'qemu-io d0 "write -P 0xab 0 64k"')
        # QEMU prints qemu-io's report on its stdout; minivm on the monitor.
        if is_qemu():
            self.assertEqual(out, "")
        else:
            self.assertTrue(out.startswith("wrote 65536/65536 bytes at offset 0\r\n"), out)
        out = self.hmp(c, 'qemu-io d0 "read -P 0xab 0 64k"')
        self.assertNotIn("failed", out)
        self.assertEqual(c.cmd("query-blockstats")[0]["stats"]["wr_highest_offset"], 65536)
        self.quit(vm, c)
        p = tool(QEMU_IO, "-f", "qcow2", "-c", "read -P 0xab 0 64k", "-c", "read -P 0 64k 64k",
                 img)
        self.assertNotIn("Pattern verification failed", p.stdout + p.stderr)
        self.assertIn("read 65536/65536 bytes at offset 65536", p.stdout)
        self.assertClean(img)

    def test_images_are_clean_after_quit(self):
        base, mid, top = self.img.chain()
        lazy = self.img.qcow2("lazy.qcow2", 4 * MiB, opts="lazy_refcounts=on")
        other = self.img.qcow2("other.qcow2", 4 * MiB)
        raw = self.img.raw("plain.raw")
        vm = self.vm("-drive", "if=none,id=d0,file=" + top,
                     "-drive", "if=none,id=d1,file=%s,format=raw" % raw,
                     "-blockdev", "driver=qcow2,node-name=lazy,file.driver=file,"
                     "file.filename=" + lazy,
                     "-blockdev", "driver=file,node-name=of,filename=" + other,
                     "-blockdev", "driver=qcow2,node-name=o,file=of")
        c = vm.qmp()
        c.cmd("block_resize", device="d0", size=128 * MiB)
        c.cmd("block_resize", node_name="lazy", size=8 * MiB)
        c.cmd("blockdev-del", node_name="o")
        out = self.hmp(c, 'qemu-io nonexistent "read 0 1"')
        if "unknown command" not in out:
            for dev in ("d0", "lazy", "d1"):
                self.hmp(c, 'qemu-io %s "write -P 0x5a 1M 192k"' % dev)
            # With lazy refcounts the open image is marked dirty meanwhile.
            p = tool(QEMU_IMG, "info", "-U", "--output=json", lazy)
            self.assertIs(json.loads(p.stdout)["dirty-flag"], True)
        self.quit(vm, c)
        self.assertEqual(self.assertClean(top)["virtual-size"], 128 * MiB)
        self.assertEqual(self.assertClean(lazy)["virtual-size"], 8 * MiB)
        self.assertClean(other)
        for ro in (base, mid):
            self.assertClean(ro)


# ---------------------------------------------------------------- HMP


def hmp_image(path, fmt="qcow2", vsize=64 * MiB, backing=None, cluster=True):
    lines = ["image: " + path, "file format: " + fmt,
             "virtual size: %s (%d bytes)" % (size_str(vsize), vsize),
             "disk size: " + size_str(alloc(path))]
    if cluster:
        lines.append("cluster_size: 65536")
    if backing:
        lines.append("backing file: %s (actual path: %s)" % backing)
        lines.append("backing file format: qcow2")
    if fmt == "qcow2":
        lines += ["Format specific information:", "    compat: 1.1",
                  "    compression type: zlib", "    lazy refcounts: false",
                  "    refcount bits: 16", "    corrupt: false", "    extended l2: false"]
    return "\n".join(lines) + "\n"


class BlockHMPTest(BlockTestCase):
    def setUp(self):
        super().setUp()
        self.base, self.mid, self.top = self.img.chain()
        self.vmi = self.vm("-drive", "if=none,id=d0,file=%s,cache=none,discard=unmap,"
                           "detect-zeroes=unmap" % self.top,
                           "-blockdev", "driver=null-co,node-name=nul,size=1048576",
                           "-drive", "if=none,id=cd,media=cdrom",
                           "-monitor", "unix:@TMP@/h.sock,server=on,wait=off")
        self.c = self.vmi.qmp()
        self.h = self.vmi.hmp(self.vmi.path("h.sock"))

    def info(self, line):
        text = self.h.cmd(line)
        # The socket and human-monitor-command print the same text.
        self.assertEqual(text, self.c.cmd("human-monitor-command", command_line=line))
        return anon_text(text)

    def d0(self):
        return ("d0 (#block): %s (qcow2)\n"
                "    Removable device: not locked, tray closed\n"
                "    Cache mode:       writeback, direct\n"
                "    Backing file:     %s (chain depth: 2)\n"
                "    Detect zeroes:    unmap\n" % (self.top, self.mid))

    def images(self):
        return ("\nImages:\n" + hmp_image(self.top, backing=("mid.qcow2", self.mid))
                + hmp_image(self.mid, backing=("base.qcow2", self.base)) + hmp_image(self.base))

    CD = "cd: [not inserted]\n    Removable device: not locked, tray closed\n"
    NUL = 'nul: json:{"driver": "null-co", "size": 1048576} (null-co)\n' \
          "    Cache mode:       writeback\n"
    NUL_IMAGE = ('\nImages:\nimage: json:{"driver": "null-co", "size": 1048576}\n'
                 "file format: null-co\nvirtual size: 1 MiB (1048576 bytes)\ndisk size: 0 B\n")

    def test_info_block(self):
        self.assertEqual(self.info("info block"), self.d0() + "\n" + self.CD)
        self.assertEqual(self.info("info block -v"), self.d0() + self.images() + "\n" + self.CD)
        self.assertEqual(self.info("info block d0"), self.d0())
        # A device that is not first in the list is set off by a blank line.
        self.assertEqual(self.info("info block cd"), "\n" + self.CD)
        self.assertEqual(self.info("info block nope"), "")
        # A node name that is no device shows the node.
        self.assertEqual(self.info("info block -v nul"), "\n" + self.NUL + self.NUL_IMAGE)

    def test_info_block_nodes(self):
        def node(path, drv, ro, extra=""):
            return ("#block: %s (%s%s)\n    Cache mode:       writeback, direct\n%s"
                    % (path, drv, ", read-only" if ro else "", extra))
        nodes = [
            node(self.base, "qcow2", True), node(self.base, "file", True),
            node(self.mid, "qcow2", True,
                 "    Backing file:     %s (chain depth: 1)\n" % self.base),
            node(self.mid, "file", True),
            node(self.top, "qcow2", False,
                 "    Backing file:     %s (chain depth: 2)\n    Detect zeroes:    unmap\n"
                 % self.mid),
            node(self.top, "file", False), self.NUL]
        self.assertEqual(self.info("info block -n"), "\n".join(nodes))
        self.assertEqual(self.info("info block -n d0"), "")
        images = [
            "\nImages:\n" + hmp_image(self.base),
            "\nImages:\n" + hmp_image(self.base, "file", file_size(self.base), cluster=False),
            "\nImages:\n" + hmp_image(self.mid, backing=("base.qcow2", self.base))
            + hmp_image(self.base),
            "\nImages:\n" + hmp_image(self.mid, "file", file_size(self.mid), cluster=False),
            self.images(),
            "\nImages:\n" + hmp_image(self.top, "file", file_size(self.top), cluster=False),
            self.NUL_IMAGE]
        self.assertEqual(self.info("info block -n -v"),
                         "\n".join(n + i for n, i in zip(nodes, images)))

    def test_info_blockstats(self):
        line = ("%s: rd_bytes=0 wr_bytes=0 rd_operations=0 wr_operations=0 flush_operations=0 "
                "wr_total_time_ns=0 rd_total_time_ns=0 flush_total_time_ns=0 rd_merged=0 "
                "wr_merged=0 idle_time_ns=0\n")
        self.assertEqual(self.info("info blockstats"), line % "d0" + line % "cd")


if __name__ == "__main__":
    unittest.main()
