"""QMP wire protocol: greeting, capability negotiation, ids, request errors."""

import unittest

from base import VMTestCase, expect


class GreetingTest(VMTestCase):
    def test_greeting_shape(self):
        vm = self.vm()
        c = vm.qmp(negotiate=False)
        g = c.greeting
        self.assertEqual(list(g), ["QMP"])
        self.assertEqual(sorted(g["QMP"]), ["capabilities", "version"])
        ver = g["QMP"]["version"]
        self.assertEqual(sorted(ver), ["package", "qemu"])
        self.assertEqual(sorted(ver["qemu"]), ["major", "micro", "minor"])
        self.assertEqual(ver["qemu"]["major"], 7)
        self.assertEqual(ver["qemu"]["minor"], 2)
        self.assertIsInstance(ver["qemu"]["micro"], int)
        self.assertIsInstance(ver["package"], str)
        # minivm has no out-of-band execution, so offers no capability.
        self.assertEqual(g["QMP"]["capabilities"], expect(qemu=["oob"], minivm=[]))
        c.negotiate()
        self.quit_and_wait(vm, c)

    def test_greeting_matches_query_version(self):
        vm = self.vm()
        c = vm.qmp()
        self.assertEqual(c.cmd("query-version"), c.greeting["QMP"]["version"])

    def test_replies_are_crlf_terminated_lines(self):
        # QEMU ends every QMP message with "\r\n", on every transport.
        vm = self.vm()
        c = vm.qmp(negotiate=False)
        c.raw('{"execute":"qmp_capabilities"}\n')
        self.assertEqual(c.raw_line(), '{"return": {}}\r\n')
        c.raw('{"execute":"query-status","id":1}\n')
        self.assertEqual(c.raw_line(), '{"return": {"status": "running", "singlestep": false, '
                         '"running": true}, "id": 1}\r\n')


class NegotiationTest(VMTestCase):
    def test_command_before_capabilities(self):
        vm = self.vm()
        c = vm.qmp(negotiate=False)
        for name in ("query-status", "quit", "nope"):
            self.assertQMPError(c.execute(name), "CommandNotFound",
                                "Expecting capabilities negotiation with 'qmp_capabilities'")
        self.assertEqual(c.cmd("qmp_capabilities"), {})
        self.assertEqual(c.cmd("query-status")["status"], "running")

    def test_id_echoed_in_negotiation_mode(self):
        vm = self.vm()
        c = vm.qmp(negotiate=False)
        resp = c.execute("query-status", id="x1")
        self.assertEqual(resp["id"], "x1")
        self.assertEqual(resp["error"]["class"], "CommandNotFound")

    def test_second_capabilities(self):
        vm = self.vm()
        c = vm.qmp()
        self.assertQMPError(c.execute("qmp_capabilities"), "CommandNotFound",
                            "Capabilities negotiation is already complete, command ignored")
        # Still usable afterwards.
        self.assertEqual(c.cmd("query-status")["status"], "running")

    def test_capabilities_with_empty_enable(self):
        vm = self.vm()
        c = vm.qmp(negotiate=False)
        self.assertEqual(c.cmd("qmp_capabilities", enable=[]), {})

    def test_capabilities_unknown_capability(self):
        # QEMU names the list element 'null' (sic): its visitor has no name
        # for list members.  A faithful error text keeps that.
        vm = self.vm()
        c = vm.qmp(negotiate=False)
        self.assertQMPError(c.execute("qmp_capabilities", {"enable": ["bogus"]}),
                            "GenericError",
                            "Parameter 'null' does not accept value 'bogus'")

    def test_negotiation_is_per_connection(self):
        vm = self.vm("-qmp", "unix:@TMP@/b.sock,server=on,wait=off")
        a = vm.qmp()
        b = vm.qmp(vm.path("b.sock"), negotiate=False)
        self.assertEqual(a.cmd("query-status")["status"], "running")
        self.assertEqual(b.execute("query-status")["error"]["class"], "CommandNotFound")


class IdTest(VMTestCase):
    IDS = ["abc", "", 0, 17, -3, 1.5, None, True, False, [], [1, "two", None],
           {}, {"a": {"b": [1, 2]}, "c": "d"}, "\u00e9\u4e2d\n\"quoted\""]

    def test_id_echoed_verbatim(self):
        vm = self.vm()
        c = vm.qmp()
        for ident in self.IDS:
            with self.subTest(id=ident):
                resp = c.execute("query-status", id=ident)
                self.assertIn("id", resp)
                self.assertEqual(resp["id"], ident)
                self.assertIs(type(resp["id"]), type(ident))
                self.assertIn("return", resp)

    def test_id_echoed_on_errors(self):
        vm = self.vm()
        c = vm.qmp()
        for ident in self.IDS:
            with self.subTest(id=ident):
                resp = c.execute("nope", id=ident)
                self.assertEqual(resp["id"], ident)
                self.assertEqual(resp["error"]["class"], "CommandNotFound")
        resp = c.execute("query-status", {"foo": 1}, id=[7])
        self.assertEqual(resp["id"], [7])
        self.assertEqual(resp["error"]["desc"], "Parameter 'foo' is unexpected")

    def test_no_id_no_id_member(self):
        vm = self.vm()
        c = vm.qmp()
        resp = c.execute("query-status")
        self.assertNotIn("id", resp)


class ErrorTest(VMTestCase):
    def setUp(self):
        self.v = self.vm()
        self.c = self.v.qmp()

    def test_command_not_found(self):
        self.assertQMPError(self.c.execute("nope"), "CommandNotFound",
                            "The command nope has not been found")

    def test_unexpected_parameter(self):
        self.assertQMPError(self.c.execute("query-status", {"foo": 1}),
                            "GenericError", "Parameter 'foo' is unexpected")

    def test_wrong_parameter_type(self):
        self.assertQMPError(
            self.c.execute("human-monitor-command", {"command-line": 1}),
            "GenericError", "Invalid parameter type for 'command-line', expected: string")

    def test_missing_parameter(self):
        self.assertQMPError(self.c.execute("human-monitor-command"),
                            "GenericError", "Parameter 'command-line' is missing")
        self.assertQMPError(self.c.execute("human-monitor-command", {}),
                            "GenericError", "Parameter 'command-line' is missing")

    def test_request_not_an_object(self):
        for raw in ("[]", '"str"', "1", "null", "true", '[{"execute":"query-status"}]'):
            with self.subTest(raw=raw):
                self.c.raw(raw + "\n")
                self.assertEqual(self.c.reply()["error"],
                                 {"class": "GenericError",
                                  "desc": "QMP input must be a JSON object"})

    def test_execute_not_a_string(self):
        for val in ("1", "null", "[]", "{}", "true"):
            with self.subTest(val=val):
                self.c.raw('{"execute": %s}\n' % val)
                self.assertEqual(self.c.reply()["error"],
                                 {"class": "GenericError",
                                  "desc": "QMP input member 'execute' must be a string"})

    def test_arguments_not_an_object(self):
        for val in ("[]", "1", '"x"', "null"):
            with self.subTest(val=val):
                self.c.raw('{"execute": "query-status", "arguments": %s}\n' % val)
                self.assertEqual(self.c.reply()["error"],
                                 {"class": "GenericError",
                                  "desc": "QMP input member 'arguments' must be an object"})

    def test_unexpected_member(self):
        self.c.raw('{"execute": "query-status", "foo": 1}\n')
        self.assertEqual(self.c.reply()["error"],
                         {"class": "GenericError",
                          "desc": "QMP input member 'foo' is unexpected"})

    def test_missing_execute(self):
        for raw in ("{}", '{"arguments": {}}'):
            with self.subTest(raw=raw):
                self.c.raw(raw + "\n")
                self.assertEqual(self.c.reply()["error"],
                                 {"class": "GenericError",
                                  "desc": "QMP input lacks member 'execute'"})
        self.c.raw('{"id": 5}\n')
        resp = self.c.reply()
        self.assertEqual(resp["id"], 5)
        self.assertEqual(resp["error"]["desc"], "QMP input lacks member 'execute'")

    def test_errors_do_not_break_the_connection(self):
        self.c.execute("nope")
        self.c.execute("query-status", {"foo": 1})
        self.c.raw("[]\n")
        self.c.reply()
        self.assertEqual(self.c.cmd("query-status")["status"], "running")
        self.quit_and_wait(self.v, self.c)


if __name__ == "__main__":
    unittest.main()
