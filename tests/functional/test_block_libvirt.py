"""
libvirt's start of a domain with two qcow2 disks, block part only: the
-blockdev JSON per layer it puts on the command line (as captured from
libvirt 9 driving QEMU 7.2), then the block queries it sends before 'cont'
and later for domblkinfo.  Devices are left out (none exist yet), so no
backend shows up in query-block; the nodes must be exactly QEMU's.
"""

import json
import os
import unittest

from test_block_qmp import (MiB, BlockTestCase, FILE_DRIVER_STATS, QCOW2_SPECIFIC, alloc,
                            device_info, file_image, qcow2_image, stats)

# libvirt's options besides devices, chardevs and -object (from its command line).
LIBVIRT_ARGS = (
    "-name", "guest=mini,debug-threads=on", "-S", "-overcommit", "mem-lock=off",
    "-uuid", "95216eb9-a42a-4f93-bd9a-e5c3bd6cbc86", "-no-user-config", "-rtc", "base=utc",
    "-no-shutdown", "-boot", "strict=on",
    "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
    "-msg", "timestamp=on",
)


def storage(path, n):
    return json.dumps({"driver": "file", "filename": path, "node-name": "libvirt-%d-storage" % n,
                       "auto-read-only": True, "discard": "unmap"}, separators=(",", ":"))


def fmt(n, read_only, backing):
    return json.dumps({"node-name": "libvirt-%d-format" % n, "read-only": read_only,
                       "driver": "qcow2", "file": "libvirt-%d-storage" % n, "backing": backing},
                      separators=(",", ":"))


class LibvirtStartTest(BlockTestCase):
    def setUp(self):
        super().setUp()
        # libvirt names backing files absolutely in the images it makes.
        self.base = self.img.qcow2("base.qcow2", 64 * MiB)
        self.top = self.img.qcow2("top.qcow2", backing=self.base)
        self.ide = self.img.qcow2("ide.qcow2", 32 * MiB)
        self.args = LIBVIRT_ARGS + (
            "-blockdev", storage(self.base, 3), "-blockdev", fmt(3, True, None),
            "-blockdev", storage(self.top, 2), "-blockdev", fmt(2, False, "libvirt-3-format"),
            "-blockdev", storage(self.ide, 1), "-blockdev", fmt(1, False, None))
        self.vmi = self.vm(*self.args)
        self.c = self.vmi.qmp(negotiate=False)
        self.n = 0

    def send(self, name, args=None):
        """A command with libvirt's ids; the reply must echo the id."""
        self.n += 1
        ident = "libvirt-%d" % self.n
        resp = self.c.execute(name, args, id=ident)
        self.assertEqual(resp.get("id"), ident, resp)
        self.assertEqual(list(resp), ["return", "id"], resp)
        return resp["return"]

    def expected_nodes(self):
        top = qcow2_image(self.top, backing=(self.base, self.base))
        return [
            device_info(qcow2_image(self.ide, 32 * MiB), "libvirt-1-format", "qcow2", self.ide),
            device_info(file_image(self.ide), "libvirt-1-storage", "file", self.ide),
            device_info(top, "libvirt-2-format", "qcow2", self.top, backing_file=self.base),
            device_info(file_image(self.top), "libvirt-2-storage", "file", self.top),
            device_info(qcow2_image(self.base), "libvirt-3-format", "qcow2", self.base,
                        ro=True),
            device_info(file_image(self.base), "libvirt-3-storage", "file", self.base),
        ]

    def test_start_sequence(self):
        self.assertEqual(self.send("qmp_capabilities"), {})
        self.assertEqual(self.send("query-status"),
                         {"status": "prelaunch", "singlestep": False, "running": False})
        # qemuProcessLaunch: "Setting up transient disk".
        nodes = self.send("query-named-block-nodes", {"flat": True})
        self.assertJSON(nodes, self.expected_nodes())
        # What libvirt's qemuBlockGetNamedNodeData reads, spelled out.
        by_name = {n["node-name"]: n for n in nodes}
        for name, vsize, fmtname in (("libvirt-2-format", 64 * MiB, "qcow2"),
                                     ("libvirt-1-format", 32 * MiB, "qcow2"),
                                     ("libvirt-2-storage", None, "file")):
            with self.subTest(node=name):
                image = by_name[name]["image"]
                self.assertEqual(image["format"], fmtname)
                if vsize:
                    self.assertEqual(image["virtual-size"], vsize)
                    self.assertEqual(image["cluster-size"], 65536)
                    self.assertEqual(image["format-specific"], QCOW2_SPECIFIC)
                self.assertIs(image["dirty-flag"], False)
                self.assertIsInstance(image["actual-size"], int)
                self.assertEqual(by_name[name]["write_threshold"], 0)
        self.assertEqual(by_name["libvirt-2-format"]["image"]["backing-filename"], self.base)
        # No device, so no backend for query-block to list.
        self.assertEqual(self.send("query-block"), [])
        self.assertEqual(self.send("cont"), {})
        ev = self.c.wait_event("RESUME")
        self.assertTimestamp(ev)
        self.assertEqual(self.send("query-status"),
                         {"status": "running", "singlestep": False, "running": True})
        # Unflattened, a format node carries its backing chain.
        nested = self.send("query-named-block-nodes")
        top = nested[2]
        self.assertEqual(top["backing_file_depth"], 1)
        self.assertJSON(top["image"]["backing-image"], qcow2_image(self.base))
        self.quit_and_wait(self.vmi, self.c)
        for path in (self.top, self.ide):
            self.assertClean(path)

    def test_domblkinfo_queries(self):
        self.send("qmp_capabilities")
        self.assertEqual(self.send("query-blockstats"), [])
        per_node = self.send("query-blockstats", {"query-nodes": True})

        def storage_stats(n):
            return {"stats": stats(), "node-name": "libvirt-%d-storage" % n,
                    "driver-specific": FILE_DRIVER_STATS}

        def format_stats(n):
            return {"parent": storage_stats(n), "stats": stats(),
                    "node-name": "libvirt-%d-format" % n}

        # Oldest first here (QEMU's node list order), unlike query-named-block-nodes.
        self.assertJSON(per_node, [storage_stats(3), format_stats(3), storage_stats(2),
                                   format_stats(2), storage_stats(1), format_stats(1)])
        # domblkinfo's Allocation/Physical come from these.
        nodes = self.send("query-named-block-nodes", {"flat": True})
        self.assertEqual(nodes[2]["image"]["actual-size"], alloc(self.top))
        self.assertEqual(nodes[3]["image"]["virtual-size"],
                         (os.path.getsize(self.top) + 511) // 512 * 512)

    def test_hotplug_layers(self):
        # snapshot-disk-only adds an overlay's layers the same way at run time.
        overlay = self.img.qcow2("vda-s1.qcow2", backing=self.top)
        self.send("qmp_capabilities")
        self.assertEqual(self.send("blockdev-add", json.loads(storage(overlay, 4))), {})
        self.assertEqual(self.send("blockdev-add", json.loads(fmt(4, False, None))), {})
        nodes = self.send("query-named-block-nodes", {"flat": True})
        self.assertEqual([n["node-name"] for n in nodes[:2]],
                         ["libvirt-4-format", "libvirt-4-storage"])
        json_name = ('json:{"backing": null, "driver": "qcow2", "file": {"driver": "file", '
                     '"filename": "%s"}}' % overlay)
        self.assertJSON(nodes[0], device_info(
            qcow2_image(overlay, backing=(self.top, self.top), filename=json_name),
            "libvirt-4-format", "qcow2", json_name))
        # They are libvirt's to delete again, top layer first.
        self.assertQMPError(self.c.execute("blockdev-del", {"node-name": "libvirt-4-storage"}),
                            "GenericError", "Block device libvirt-4-storage is in use")
        self.assertEqual(self.send("blockdev-del", {"node-name": "libvirt-4-format"}), {})
        self.assertEqual(self.send("blockdev-del", {"node-name": "libvirt-4-storage"}), {})
        self.assertJSON(self.send("query-named-block-nodes", {"flat": True}),
                        self.expected_nodes())


if __name__ == "__main__":
    unittest.main()
