"""Query commands and introspection."""

import unittest

from base import VMTestCase
from schema import Schema

# Every command the other functional tests use: a manager finds them all in
# query-commands and in the schema.
COMMANDS = [
    "qmp_capabilities", "quit", "query-status", "stop", "cont", "system_reset",
    "system_powerdown", "query-version", "query-name", "query-uuid", "query-target",
    "query-kvm", "query-machines", "query-commands", "query-qmp-schema",
    "query-chardev", "human-monitor-command",
]
EVENTS = ["SHUTDOWN", "STOP", "RESUME", "RESET", "POWERDOWN"]
UUID = "12345678-9abc-def0-1234-56789abcdef0"


class QueryTest(VMTestCase):
    def test_query_version(self):
        c = self.vm().qmp()
        v = c.cmd("query-version")
        self.assertEqual(sorted(v), ["package", "qemu"])
        self.assertEqual((v["qemu"]["major"], v["qemu"]["minor"]), (7, 2))
        self.assertIsInstance(v["qemu"]["micro"], int)
        self.assertIsInstance(v["package"], str)

    def test_query_name(self):
        c = self.vm("-name", "guest=foo").qmp()
        self.assertEqual(c.cmd("query-name"), {"name": "foo"})

    def test_query_name_plain_form(self):
        c = self.vm("-name", "bar,debug-threads=on").qmp()
        self.assertEqual(c.cmd("query-name"), {"name": "bar"})

    def test_query_name_unset(self):
        c = self.vm().qmp()
        self.assertEqual(c.cmd("query-name"), {})

    def test_query_uuid(self):
        c = self.vm("-uuid", UUID).qmp()
        self.assertEqual(c.cmd("query-uuid"), {"UUID": UUID})

    def test_query_uuid_unset(self):
        c = self.vm().qmp()
        self.assertEqual(c.cmd("query-uuid"), {"UUID": "00000000-0000-0000-0000-000000000000"})

    def test_query_target(self):
        c = self.vm().qmp()
        self.assertEqual(c.cmd("query-target"), {"arch": "x86_64"})

    def test_query_kvm(self):
        c = self.vm().qmp()
        kvm = c.cmd("query-kvm")
        self.assertEqual(sorted(kvm), ["enabled", "present"])
        self.assertIsInstance(kvm["enabled"], bool)
        self.assertIsInstance(kvm["present"], bool)
        if kvm["enabled"]:
            self.assertTrue(kvm["present"])

    def test_query_machines(self):
        c = self.vm().qmp()
        machines = c.cmd("query-machines")
        by_name = {m["name"]: m for m in machines}
        self.assertIn("none", by_name)
        self.assertFalse(by_name["none"].get("is-default", False))
        # "pc" is either a machine of its own or the alias of the versioned
        # one (QEMU: pc-i440fx-7.2, alias pc); either way it is the default.
        pc = by_name.get("pc") or next(m for m in machines if m.get("alias") == "pc")
        self.assertTrue(pc.get("is-default"), pc)
        self.assertEqual(sum(1 for m in machines if m.get("is-default")), 1)
        for m in machines:
            self.assertIsInstance(m["cpu-max"], int)
            self.assertIsInstance(m["hotpluggable-cpus"], bool)
            self.assertIsInstance(m["deprecated"], bool)

    def test_query_commands(self):
        c = self.vm().qmp()
        cmds = c.cmd("query-commands")
        for entry in cmds:
            self.assertEqual(list(entry), ["name"])
        names = [e["name"] for e in cmds]
        self.assertEqual(len(names), len(set(names)), "duplicates in query-commands")
        for name in COMMANDS:
            self.assertIn(name, names)
        # Nothing is listed that does not exist.
        for name in names:
            r = c.execute(name, {"no-such-argument-xyz": 1})
            if "error" in r:
                self.assertNotEqual(r["error"]["class"], "CommandNotFound", name)
            self.assertTrue(self.vm_alive(c), name)

    def vm_alive(self, c):
        return c.cmd("query-target") == {"arch": "x86_64"}


class SchemaTest(VMTestCase):
    def setUp(self):
        self.c = self.vm("-name", "guest=foo", "-uuid", UUID).qmp()
        self.raw = self.c.cmd("query-qmp-schema")
        self.schema = Schema(self.raw)

    def test_schema_shape(self):
        self.assertIsInstance(self.raw, list)
        names = [e["name"] for e in self.raw]
        self.assertEqual(len(names), len(set(names)), "duplicate schema entries")
        for e in self.raw:
            self.assertIn(e["meta-type"], ("builtin", "enum", "array", "object",
                                           "alternate", "command", "event"))
        self.assertEqual(self.schema.dangling_references(), set())

    def test_schema_commands_match_query_commands(self):
        listed = {e["name"] for e in self.c.cmd("query-commands")}
        self.assertEqual(self.schema.commands(), listed)

    def test_schema_events(self):
        for name in EVENTS:
            self.assertIn(name, self.schema.events())

    def test_replies_conform_to_schema(self):
        for name in ("query-status", "query-version", "query-name", "query-uuid",
                     "query-target", "query-kvm", "query-machines", "query-commands",
                     "query-chardev"):
            with self.subTest(command=name):
                ret_type = self.schema.entries[name]["ret-type"]
                self.schema.check(ret_type, self.c.cmd(name), name)

    def test_events_conform_to_schema(self):
        self.c.cmd("stop")
        self.c.cmd("cont")
        self.c.cmd("system_reset")
        self.c.cmd("system_powerdown")
        for name in ("STOP", "RESUME", "RESET", "POWERDOWN"):
            ev = self.c.wait_event(name)
            with self.subTest(event=name):
                self.schema.check(self.schema.entries[name]["arg-type"],
                                  ev.get("data", {}), name)

    def test_argument_types(self):
        hmc = self.schema.entries["human-monitor-command"]
        args = self.schema.entries[hmc["arg-type"]]
        members = {m["name"]: m for m in args["members"]}
        self.assertEqual(self.schema.entries[members["command-line"]["type"]]["json-type"],
                         "string")
        self.assertNotIn("default", members["command-line"])  # mandatory
        self.assertEqual(self.schema.entries[hmc["ret-type"]]["json-type"], "string")


class ChardevQueryTest(VMTestCase):
    def test_query_chardev_monitor(self):
        vm = self.vm()
        c = vm.qmp()
        devs = c.cmd("query-chardev")
        self.assertEqual(devs, [{"frontend-open": True,
                                 "filename": "unix:%s,server=on" % vm.qmp_path,
                                 "label": "compat_monitor0"}])

    def test_query_chardev_labels_and_states(self):
        vm = self.vm("-chardev", "socket,id=mon1,path=@TMP@/m1.sock,server=on,wait=off",
                     "-mon", "chardev=mon1,mode=control",
                     "-monitor", "unix:@TMP@/h.sock,server=on,wait=off")
        c = vm.qmp()
        devs = {d["label"]: d for d in c.cmd("query-chardev")}
        self.assertEqual(sorted(devs), ["compat_monitor0", "compat_monitor1", "mon1"])
        # A server socket nobody is connected to is "disconnected:".
        self.assertEqual(devs["mon1"]["filename"],
                         "disconnected:unix:%s,server=on" % vm.path("m1.sock"))
        self.assertEqual(devs["compat_monitor1"]["filename"],
                         "disconnected:unix:%s,server=on" % vm.path("h.sock"))
        self.assertEqual(devs["compat_monitor0"]["filename"],
                         "unix:%s,server=on" % vm.qmp_path)
        for d in devs.values():
            self.assertIs(d["frontend-open"], True)
        # HMP's view of the same.
        out = c.cmd("human-monitor-command", command_line="info chardev")
        lines = sorted(out.split("\r\n")[:-1])
        self.assertEqual(lines, sorted("%s: filename=%s" % (k, v["filename"])
                                       for k, v in devs.items()))


class MachineNoneQueryTest(VMTestCase):
    """What libvirt asks about CPUs and threads, on a machine without CPUs."""

    def test_cpus_and_threads(self):
        c = self.vm().qmp()
        self.assertEqual(c.cmd("query-cpus-fast"), [])
        self.assertEqual(c.cmd("query-iothreads"), [])
        r = c.execute("query-hotpluggable-cpus")
        self.assertEqual(r["error"], {"class": "GenericError",
                                      "desc": "The feature 'query-hotpluggable-cpus' is not enabled"})


if __name__ == "__main__":
    unittest.main()
