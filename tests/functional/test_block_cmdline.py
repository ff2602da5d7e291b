"""
The block layer from the command line: -blockdev (JSON and dotted keyval),
-drive and json:{...} file names; the graphs they build and every refusal,
with QEMU 7.2's exact texts and exit status.
"""

import json
import os
import unittest

from base import binary_name, expect, minivm_only, run_binary
from test_block_qmp import (DEFAULTS, MiB, BlockTestCase, QEMU_IMG, anon, chain_images,
                            chain_nodes, device_info, file_image, qcow2_image, tool)


class BlockCmdlineErrorTest(BlockTestCase):
    """Refusals: "<prog>: <option> <argument>: <message>" and exit status 1."""

    def setUp(self):
        super().setUp()
        self.q = self.img.qcow2("q.qcow2", 4 * MiB)
        self.q2 = self.img.qcow2("q2.qcow2", 4 * MiB)
        self.r = self.img.raw("r.raw")
        self.none = self.img.path("nonexistent.qcow2")

    def expand(self, text):
        return (text.replace("@Q@", self.q).replace("@Q2@", self.q2).replace("@R@", self.r)
                .replace("@NONE@", self.none))

    def check(self, args, message):
        """args: options and their arguments, the last one to blame."""
        args = [self.expand(a) for a in args]
        rc, out, err = run_binary(*DEFAULTS, *args)
        self.assertEqual((rc, out), (1, ""), err)
        self.assertEqual(err, "%s: %s %s: %s\n" % (binary_name(), args[-2], args[-1],
                                                   self.expand(message)))

    def check_all(self, cases):
        for args, message in cases:
            with self.subTest(args=args):
                self.check(args, message)

    def test_blockdev(self):
        Q = "driver=qcow2,node-name=t,file.driver=file,file.filename=@Q@"
        self.check_all([
            (["-blockdev", "driver=qcow2,node-name=t,file.driver=file,file.filename=@NONE@"],
             "Could not open '@NONE@': No such file or directory"),
            (["-blockdev", "driver=qcow2,node-name=t,file.driver=file,file.filename=@R@"],
             "Image is not in qcow2 format"),
            (["-blockdev", "driver=qcow2,file.driver=file,file.filename=@Q@"],
             "'node-name' must be specified for the root node"),
            (["-blockdev", "driver=file,node-name=a b,filename=@Q@"], "Invalid node-name: 'a b'"),
            (["-blockdev", "driver=file,node-name=#t,filename=@Q@"], "Invalid node-name: '#t'"),
            (["-blockdev", "driver=file,node-name=1t,filename=@Q@"], "Invalid node-name: '1t'"),
            (["-blockdev", "driver=file,node-name=%s,filename=@Q@" % ("a" * 32)],
             "Node name too long"),
            (["-blockdev", "driver=bogus,node-name=t"],
             "Parameter 'driver' does not accept value 'bogus'"),
            (["-blockdev", "node-name=t"], "Parameter 'driver' is missing"),
            (["-blockdev", "driver=file,node-name=t"], "Parameter 'filename' is missing"),
            (["-blockdev", "driver=file,node-name=t,filename=@R@,bogus=1"],
             "Parameter 'bogus' is unexpected"),
            (["-blockdev", "driver=file,node-name=t,filename=@R@,aio=bogus"],
             "Parameter 'aio' does not accept value 'bogus'"),
            (["-blockdev", "driver=file,node-name=t,filename=@R@,discard=bogus"],
             "Parameter 'discard' does not accept value 'bogus'"),
            (["-blockdev", Q + ",cache.direct=on,cache.no-flush=bogus"],
             "Parameter 'cache.no-flush' expects 'on' or 'off'"),
            (["-blockdev", Q + ",l2-cache-size=1M"], "Parameter 'l2-cache-size' expects integer"),
            (["-blockdev", "driver=qcow2,node-name=t,file=nonexistent"],
             "Cannot find device='nonexistent' nor node-name='nonexistent'"),
            (["-blockdev", Q + ",backing=nope"],
             "Could not open backing file: Cannot find device='nope' nor node-name='nope'"),
            (["-blockdev", Q + ",backing.driver=qcow2,backing.file.driver=file,"
              "backing.file.filename=@R@"],
             "Could not open backing file: Image is not in qcow2 format"),
            (["-blockdev", Q + ",backing.driver=qcow2,backing.node-name=t,"
              "backing.file.driver=file,backing.file.filename=@Q2@"],
             "Could not open backing file: Duplicate nodes with node-name='t'"),
            (["-blockdev", "driver=raw,node-name=t,file.driver=file,file.filename=@R@,"
              "offset=4096,size=100"], "Specified size is not multiple of 512"),
            (["-blockdev", "driver=file,node-name=t,filename=@R@,detect-zeroes=unmap"],
             "setting detect-zeroes to unmap is not allowed without setting discard operation "
             "to unmap"),
            (["-blockdev", "driver=file,node-name=t,filename=@R@,force-share=on"],
             "force-share=on can only be used with read-only images"),
        ])

    def test_blockdev_json(self):
        self.check_all([
            (["-blockdev", '{"driver":"file","node-name":"t","filename":"@R@","bogus":1}'],
             "Parameter 'bogus' is unexpected"),
            # JSON is typed: what keyval would convert is refused.
            (["-blockdev", '{"driver":"file","node-name":"t","filename":"@R@","read-only":"on"}'],
             "Invalid parameter type for 'read-only', expected: boolean"),
            (["-blockdev", '{"driver":"null-co","node-name":"t","size":"4096"}'],
             "Invalid parameter type for 'size', expected: integer"),
            (["-blockdev", '{"driver":"file","node-name":"t","filename":"@R@"'],
             "JSON parse error, premature EOI"),
            (["-blockdev", '{"driver":"qcow2","node-name":"t","file":{"driver":"file",'
              '"filename":"@Q@"},"backing":{"driver":"qcow2","file":{"driver":"file",'
              '"filename":"@R@"}}}'], "Could not open backing file: Image is not in qcow2 format"),
            (["-blockdev", '{"driver":"qcow2","node-name":"t","file":{"driver":"file",'
              '"filename":"@Q@"}}', "-blockdev", '{"driver":"null-co","node-name":"t"}'],
             "Duplicate nodes with node-name='t'"),
        ])

    def test_blockdev_order_of_checks(self):
        # The second option is blamed; a format's storage is opened before
        # its name is checked, the format's own open comes after.
        self.check(["-blockdev", "driver=file,node-name=a,filename=@Q@",
                    "-blockdev", "driver=qcow2,node-name=a,file.driver=file,"
                    "file.filename=@NONE@"], "Could not open '@NONE@': No such file or directory")
        self.check(["-blockdev", "driver=file,node-name=a,filename=@Q@",
                    "-blockdev", "driver=qcow2,node-name=a,file.driver=file,file.filename=@R@"],
                   "Duplicate nodes with node-name='a'")

    def test_drive(self):
        D = "if=none,id=d0,file=@Q@"
        self.check_all([
            (["-drive", "if=none,id=d0,file=@NONE@"],
             "Could not open '@NONE@': No such file or directory"),
            (["-drive", D + ",format=bogus"], "Unknown driver 'bogus'"),
            (["-drive", "if=none,id=d0,file=@R@,format=qcow2"], "Image is not in qcow2 format"),
            (["-drive", D + ",cache=bogus"], "invalid cache option"),
            (["-drive", D + ",aio=bogus"], "invalid aio option"),
            (["-drive", D + ",aio=native"],
             "aio=native was specified, but it requires cache.direct=on, which was not "
             "specified."),
            (["-drive", D + ",discard=bogus"], "Invalid discard option"),
            (["-drive", D + ",bogus=1"],
             "Block format 'qcow2' does not support the option 'bogus'"),
            (["-drive", D + ",format=raw,file.bogus=1"],
             "Block protocol 'file' doesn't support the option 'bogus'"),
            (["-drive", D + ",node-name=a b"], "Invalid node-name: 'a b'"),
            (["-drive", D + ",readonly=bogus"], "Parameter 'read-only' expects 'on' or 'off'"),
            (["-drive", D + ",detect-zeroes=bogus"], "invalid parameter value: bogus"),
            (["-drive", D + ",file.detect-zeroes=bogus"], "invalid parameter value: bogus"),
            (["-drive", D + ",file.locking=bogus"], "invalid parameter value: bogus"),
            (["-drive", D + ",file.aio=bogus"], "invalid parameter value: bogus"),
            (["-drive", D + ",file.discard=bogus"], "Invalid discard option"),
            (["-drive", D + ",overlap-check=bogus"],
             "Unsupported value 'bogus' for qcow2 option 'overlap-check'. Allowed are any of "
             "the following: none, constant, cached, all"),
            (["-drive", D + ",l2-cache-size=bogus"],
             "Parameter 'l2-cache-size' expects a non-negative number below 2^64\nOptional "
             "suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, "
             "respectively."),
            (["-drive", "if=none,id=d0,file=@R@,format=raw,size=1.5"],
             "Parameter 'size' expects a non-negative number below 2^64\nOptional "
             "suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, "
             "respectively."),
            (["-drive", "if=none,id=d0,file=@R@,format=raw,size=16E"],
             "Value '16E' is out of range for parameter 'size'"),
            (["-drive", D + ",file.aio-max-batch=bogus"],
             "Parameter 'aio-max-batch' expects a number"),
            (["-drive", D + ",lazy-refcounts=bogus"],
             "Parameter 'lazy-refcounts' expects 'on' or 'off'"),
            (["-drive", "if=none,id=1d,file=@Q@"],
             "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, "
             "'-', '.', '_', starting with a letter."),
            (["-drive", D + ",force-share=on"],
             "force-share=on can only be used with read-only images"),
            (["-drive", D + ",file.filename=@Q2@"],
             "Can't specify 'file' and 'filename' options at the same time"),
            (["-drive", D + ",format=qcow2,driver=qcow2"],
             "Cannot specify both 'driver' and 'format'"),
            (["-drive", D + ",node-name=x", "-drive", "if=none,id=d1,file=@Q2@,node-name=x"],
             "Duplicate nodes with node-name='x'"),
            (["-drive", D, "-drive", "if=none,id=d0,file=@Q2@"], "Duplicate ID 'd0' for drive"),
            (["-drive", D, "-drive", "if=none,id=d1,file=@Q@"],
             "Failed to get \"write\" lock\nIs another process using the image [@Q@]?"),
            (["-drive", D + ",readonly=on", "-drive", "if=none,id=d1,file=@Q@"],
             "Failed to get \"write\" lock\nIs another process using the image [@Q@]?"),
        ])

    def test_json_filenames(self):
        J = "if=none,id=d0,file=json:"
        self.check_all([
            (["-drive", J + '{"driver":"qcow2",,"file":{"driver":"file",,"filename":"@NONE@"}}'],
             "Could not open '@NONE@': No such file or directory"),
            (["-drive", J + '{"driver":"qcow2"'],
             "Could not parse the JSON options: JSON parse error, premature EOI"),
            (["-drive", J + "{x}"],
             "Could not parse the JSON options: JSON parse error, invalid keyword 'x'"),
            (["-drive", J + '{"a":1}}'],
             "Could not parse the JSON options: Expecting at most one JSON value"),
            (["-drive", J + '{"driver":"raw" "file":1}'],
             "Could not parse the JSON options: JSON parse error, expected separator in dict"),
            (["-drive", J], "Could not parse the JSON options: Expecting a JSON value"),
            (["-drive", J + "[1]"], "Invalid JSON object given"),
            (["-drive", J + '{"driver":"qcow2",,"file":{"driver":"file",,"filename":"@R@"}}'],
             "Image is not in qcow2 format"),
            (["-drive", J + '{"driver":"qcow2",,"file":{"driver":"file",,"filename":"@Q@"},,'
              '"bogus":1}'], "Block format 'qcow2' does not support the option 'bogus'"),
        ])

    @minivm_only("snapshot=on and copy-on-read=on are not implemented")
    def test_drive_unsupported(self):
        for opt in ("snapshot", "copy-on-read"):
            with self.subTest(opt=opt):
                self.check(["-drive", "if=none,id=d0,file=@Q@,%s=on" % opt],
                           "%s=on is not supported by minivm" % opt)


class BlockdevCmdlineTest(BlockTestCase):
    def nodes(self, *args):
        """query-named-block-nodes flat and not, of a VM that is then gone."""
        vm = self.vm(*args)
        c = vm.qmp()
        flat, nested = (c.cmd("query-named-block-nodes", flat=f) for f in (True, False))
        self.quit_and_wait(vm, c)
        return flat, nested

    def test_chain_from_headers_json_and_keyval(self):
        base, mid, top = self.img.chain()
        expected = chain_nodes(base, mid, top)
        kv, _ = self.nodes("-blockdev", "driver=qcow2,node-name=top,file.driver=file,"
                           "file.filename=" + top)
        self.assertJSON(kv, expected)
        js, _ = self.nodes("-blockdev", json.dumps({"driver": "qcow2", "node-name": "top", "file": {
            "driver": "file", "filename": top}}))
        self.assertJSON(js, expected)

    def test_relative_backing_names(self):
        # Backing names in headers are relative to the image, not to the cwd.
        os.mkdir(self.img.path("sub"))
        base, mid, top = self.img.chain("sub")
        self.assertEqual(json.loads(tool(QEMU_IMG, "info", "--output=json", top).stdout)[
            "backing-filename"], "mid.qcow2")
        self.assertNotEqual(os.getcwd(), os.path.dirname(top))
        flat, nested = self.nodes("-blockdev", "driver=qcow2,node-name=top,file.driver=file,"
                                  "file.filename=" + top)
        self.assertJSON(flat, chain_nodes(base, mid, top))
        self.assertJSON(nested, chain_nodes(base, mid, top, flat=False))

    def test_layers_by_reference_and_backing_null(self):
        base, mid, top = self.img.chain()
        nodes, nested = self.nodes(
            "-blockdev", json.dumps({"driver": "file", "filename": mid, "node-name": "m-storage",
                                     "auto-read-only": True, "discard": "unmap"}),
            "-blockdev", json.dumps({"node-name": "m-format", "read-only": True,
                                     "driver": "qcow2", "file": "m-storage", "backing": None}),
            "-blockdev", "driver=file,filename=%s,node-name=t-storage" % top,
            "-blockdev", "driver=qcow2,node-name=t-format,file=t-storage,backing=m-format")
        json_name = ('json:{"backing": null, "driver": "qcow2", "file": {"driver": "file", '
                     '"filename": "%s"}}' % mid)
        m = qcow2_image(mid, backing=("base.qcow2", base), filename=json_name)
        # The header names mid.qcow2; the link goes elsewhere, so json:{...}.
        t = qcow2_image(top, backing=("mid.qcow2", mid),
                        filename='json:{"backing": {"backing": null, "driver": "qcow2", "file": '
                        '{"driver": "file", "filename": "%s"}}, "driver": "qcow2", "file": '
                        '{"driver": "file", "filename": "%s"}}' % (mid, top))
        self.assertJSON(nodes, [
            device_info(t, "t-format", "qcow2", t["filename"], backing_file=json_name),
            device_info(file_image(top), "t-storage", "file", top),
            device_info(m, "m-format", "qcow2", json_name, ro=True),
            device_info(file_image(mid), "m-storage", "file", mid),
        ])
        # Unflattened, the chain ends where the backing link does.
        t_nested = nested[0]
        self.assertEqual(t_nested["backing_file_depth"], 1)
        self.assertNotIn("backing-image", t_nested["image"]["backing-image"])

    def test_inline_backing_with_names(self):
        base, mid, top = self.img.chain()
        nodes, _ = self.nodes("-blockdev", json.dumps({
            "driver": "qcow2", "node-name": "t", "file": {"driver": "file", "filename": top,
                                                          "node-name": "tf"},
            "backing": {"driver": "qcow2", "node-name": "m", "file": {
                "driver": "file", "filename": mid, "node-name": "mf"}}}))
        names = [n["node-name"] for n in anon(nodes)]
        # mid's own backing comes from its header; then mid, then top, newest first.
        self.assertEqual(names, ["#block", "#block", "m", "mf", "t", "tf"])
        self.assertEqual([n["ro"] for n in nodes], [True, True, True, True, False, False])
        # The header names the same file, but relatively: QEMU sees a choice.
        self.assertEqual(nodes[4]["file"],
                         'json:{"backing": {"driver": "qcow2", "file": {"driver": "file", '
                         '"filename": "%s"}}, "driver": "qcow2", "file": {"driver": "file", '
                         '"filename": "%s"}}' % (mid, top))

    def test_deprecated_empty_backing(self):
        base, mid, top = self.img.chain()
        arg = "driver=qcow2,node-name=t,file.driver=file,file.filename=%s,backing=" % top
        vm = self.vm("-blockdev", arg)
        nodes = vm.qmp().cmd("query-named-block-nodes", flat=True)
        self.assertEqual(len(nodes), 2)
        self.assertEqual(vm.stderr(), '%s: -blockdev %s: warning: Use of "backing": "" is '
                         'deprecated; use "backing": null instead\n' % (binary_name(), arg))


class DriveCmdlineTest(BlockTestCase):
    def inserted(self, *opts, stderr=""):
        """query-block's 'inserted' of one -drive, and the nodes, after quit."""
        vm = self.vm("-drive", ",".join(("if=none", "id=d0") + opts))
        c = vm.qmp()
        info = c.cmd("query-block")
        nodes = c.cmd("query-named-block-nodes", flat=True)
        self.assertEqual([b["device"] for b in info], ["d0"])
        c.send({"execute": "quit"})
        c.wait_closed()
        self.assertEqual(vm.wait(), 0)
        self.assertEqual(vm.stderr(), stderr)
        return nodes, info[0]["inserted"]

    def test_cache_and_access_modes(self):
        img = self.img.qcow2("d.qcow2", 4 * MiB)
        q = qcow2_image(img, 4 * MiB)
        cases = [
            ((), {}),
            (("cache=writeback",), {}),
            (("cache=none",), {"direct": True}),
            (("cache=writethrough",), {"writeback": False}),
            (("cache=directsync",), {"direct": True, "writeback": False}),
            (("cache=unsafe",), {"no_flush": True}),
            (("cache.direct=on", "aio=native"), {"direct": True}),
            (("cache.writeback=off",), {"writeback": False}),
            (("aio=threads",), {}),
            (("aio=io_uring", "cache=none"), {"direct": True}),
            (("readonly=on",), {"ro": True}),
            (("read-only=on",), {"ro": True}),
            (("discard=unmap", "detect-zeroes=unmap"), {"detect_zeroes": "unmap"}),
            # -drive sets detect-zeroes on the node unchecked against discard.
            (("detect-zeroes=unmap",), {"detect_zeroes": "unmap"}),
            (("detect-zeroes=on",), {"detect_zeroes": "on"}),
            (("discard=on",), {}),
            (("format=qcow2", "l2-cache-size=1M", "cache-clean-interval=0"), {}),
        ]
        for opts, kw in cases:
            with self.subTest(opts=opts):
                nodes, ins = self.inserted("file=" + img, "node-name=n0", *opts)
                self.assertJSON(ins, device_info(q, "n0", "qcow2", img, **kw))
                # Nodes keep a write cache; only the backend shows it off.
                node_cache = dict(ins["cache"], writeback=True)
                for n in nodes:
                    self.assertEqual(n["cache"], node_cache)
                    self.assertEqual(n["ro"], ins["ro"])

    def test_formats_and_names(self):
        raw = self.img.raw("d.raw", 4 * MiB)
        r_image = {"virtual-size": 4 * MiB, "filename": raw, "format": "raw",
                   "actual-size": os.stat(raw).st_blocks * 512, "dirty-flag": False}
        _, ins = self.inserted("file=" + raw, "format=raw")
        self.assertJSON(ins, device_info(r_image, "#block", "raw", raw))
        # A probed raw image is raw too, with a warning.
        _, ins = self.inserted("file=" + raw, stderr=(
            "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
            "         Automatically detecting the format is dangerous for raw images, write "
            "operations on block 0 will be restricted.\n"
            "         Specify the 'raw' format explicitly to remove the restrictions.\n" % raw))
        self.assertJSON(ins, device_info(r_image, "#block", "raw", raw))
        # QemuOpts sizes take suffixes.
        _, ins = self.inserted("file=" + raw, "format=raw", "offset=512b", "size=1k")
        self.assertEqual(ins["image"]["virtual-size"], 1024)
        # QEMU's name keeps -drive's strings as typed; minivm keeps the values
        # (a known difference: only -drive's own options are affected).
        self.assertEqual(ins["file"], 'json:{"offset": %s, "driver": "raw", "size": %s, '
                         '"file": {"driver": "file", "filename": "%s"}}'
                         % (expect(qemu='"512b"', minivm="512"), expect(qemu='"1k"', minivm="1024"),
                            raw))
        _, ins = self.inserted("driver=null-co", "size=0x100000")
        self.assertEqual(ins["image"]["virtual-size"], MiB)

    def test_no_medium(self):
        c = self.vm("-drive", "if=none,id=empty", "-drive", "if=none,id=cd,media=cdrom").qmp()
        self.assertEqual(c.cmd("query-block"), [
            {"device": "empty", "locked": False, "removable": True, "type": "unknown"},
            {"device": "cd", "locked": False, "removable": True, "type": "unknown"}])
        self.assertEqual(c.cmd("query-named-block-nodes"), [])

    def test_chain_of_a_drive(self):
        base, mid, top = self.img.chain()
        nodes, ins = self.inserted("file=" + top, "cache=none")
        b, m, t = chain_images(base, mid, top, nested=True)
        self.assertJSON(ins, device_info(t, "#block", "qcow2", top, depth=2, backing_file=mid,
                                         direct=True))
        self.assertJSON(nodes, chain_nodes(base, mid, top, top_name="#block", direct=True))

    def test_json_filenames(self):
        base, mid, top = self.img.chain()
        raw = self.img.raw("j.raw")
        t = qcow2_image(top, backing=("mid.qcow2", mid))
        for spec in ('{"driver":"qcow2","file":{"driver":"file","filename":"%s"}}' % top,
                     '{"driver":"qcow2","file.filename":"%s"}' % top,
                     '{"driver":"qcow2","file":{"filename":"%s"}}' % top,
                     '{"file.filename":"%s"}' % top,
                     '{"file":{"driver":"file","filename":"%s"}}' % top):
            with self.subTest(spec=spec):
                nodes, ins = self.inserted("file=json:" + spec.replace(",", ",,"))
                self.assertJSON(nodes, chain_nodes(base, mid, top, top_name="#block"))
                self.assertEqual((ins["file"], ins["backing_file_depth"]), (top, 2))
        _, ins = self.inserted('file=json:{"driver":"raw",,"file":{"driver":"file",,'
                               '"filename":"%s"}}' % raw, "readonly=on")
        self.assertEqual((ins["drv"], ins["file"], ins["ro"]), ("raw", raw, True))

    def test_json_backing_file_name(self):
        # A header may name its backing file as json:{...}; the node opened
        # from it is what the header asked for, so the name stays plain.
        base = self.img.qcow2("base.qcow2")
        spec = "json:" + json.dumps({"driver": "qcow2", "file": {"driver": "file",
                                                                  "filename": base}})
        top = self.img.qcow2("jtop.qcow2", backing=spec)
        _, ins = self.inserted("file=" + top)
        self.assertEqual(ins["file"], top)
        self.assertEqual(ins["backing_file"], base)
        self.assertEqual(ins["image"]["backing-filename"], spec)
        self.assertEqual(ins["image"]["full-backing-filename"], spec)
        self.assertJSON(ins["image"]["backing-image"], qcow2_image(base))


if __name__ == "__main__":
    unittest.main()
