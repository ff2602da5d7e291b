"""QMP input parsing: malformed JSON, resynchronisation, limits, wire format."""

import unittest

from base import VMTestCase, is_qemu, slow_on_qemu


def replies_until_sync(c, sync="sync"):
    """Sends a marker command; returns the replies that came before it."""
    c.send({"execute": "query-status", "id": sync})
    out = []
    while True:
        r = c.reply()
        if r.get("id") == sync:
            assert r.get("return", {}).get("status") == "running", r
            return out
        out.append(r)


class MalformedJSONTest(VMTestCase):
    def setUp(self):
        self.v = self.vm()
        self.c = self.v.qmp()

    def check(self, raw, desc):
        self.c.raw(raw + "\n")
        replies = replies_until_sync(self.c)
        self.assertGreaterEqual(len(replies), 1, "no error for %r" % raw)
        self.assertEqual(replies[0], {"error": {"class": "GenericError", "desc": desc}})

    def test_error_texts(self):
        cases = [
            ('{"execute": }', "JSON parse error, expecting value"),
            ('{"a":1,,}', "JSON parse error, expecting value"),
            ('{"execute":"query-status",}', "JSON parse error, expecting value"),
            ("}", "JSON parse error, expecting value"),
            ("]", "JSON parse error, expecting value"),
            ('{"a" 1}', "JSON parse error, missing : in object pair"),
            ("@", "JSON parse error, stray '@'"),
            ('{"execute":"query-status" "id":2}',
             "JSON parse error, expected separator in dict"),
            ("[1 2]", "JSON parse error, expected separator in list"),
            ('{"execute":"query-status","id":tru}', "JSON parse error, invalid keyword 'tru'"),
            ('{"execute":"query-\\x41"}', "JSON parse error, invalid escape sequence in string"),
            ("{1:2}", "JSON parse error, key is not a string in object"),
            ('{"execute":"query-status","id":"\\ud800"}',
             "JSON parse error, \\ud800 is not a valid Unicode character"),
        ]
        for raw, desc in cases:
            with self.subTest(raw=raw):
                self.check(raw, desc)

    def test_invalid_utf8_byte(self):
        # 0xFF never occurs in UTF-8; QEMU reports it as U+FFFD.
        self.c.raw(b"\xff\n")
        replies = replies_until_sync(self.c)
        self.assertEqual(replies, [{"error": {"class": "GenericError",
                                              "desc": "JSON parse error, stray '\ufffd'"}}])

    def test_resync_after_errors(self):
        # Every kind of garbage, then good commands on the same connection.
        for raw in ('{"execute": }', "@@@", "}}}", "]]", '{"a" 1}', "[1 2]",
                    '{"execute":"query-status","id":01}', b"\xff\xfe"):
            with self.subTest(raw=raw):
                self.c.raw(raw + (b"\n" if isinstance(raw, bytes) else "\n"))
                replies = replies_until_sync(self.c)
                self.assertGreaterEqual(len(replies), 1)
                for r in replies:
                    self.assertEqual(r["error"]["class"], "GenericError")
                    self.assertTrue(r["error"]["desc"].startswith("JSON parse error, "), r)
        self.assertEqual(self.c.cmd("query-status")["status"], "running")
        self.quit_and_wait(self.v, self.c)

    def test_garbage_after_a_command(self):
        # A complete object is executed even when junk follows it.
        self.c.raw('{"execute":"query-status","id":1}}\n')
        replies = replies_until_sync(self.c)
        self.assertEqual(replies[0]["id"], 1)
        self.assertIn("return", replies[0])
        self.assertEqual(replies[1]["error"]["desc"], "JSON parse error, expecting value")

    def test_commands_split_across_writes_and_batched(self):
        # Message boundaries come from the JSON, not from reads or newlines.
        self.c.raw('{"execute":"query-')
        self.c.raw('status","id":1}{"execute":"query-status","id":2}  {"execute"')
        self.c.raw(':"query-status","id":3}')
        self.assertEqual([self.c.reply()["id"] for _ in range(3)], [1, 2, 3])

    def test_single_quoted_strings_accepted(self):
        # QEMU's parser takes 'single-quoted' strings too.
        self.c.raw("{'execute': 'query-status', 'id': 'sq'}\n")
        r = self.c.reply()
        self.assertEqual(r["id"], "sq")
        self.assertEqual(r["return"]["status"], "running")

    def test_nesting_limit(self):
        # Nesting deeper than 1024 is refused; the rest of the message is
        # discarded as errors and the connection stays usable.
        depth = 1025
        self.c.raw("[" * depth + "]" * depth + "\n")
        replies = replies_until_sync(self.c)
        self.assertEqual(replies[0], {"error": {"class": "GenericError",
                                                "desc": "JSON nesting depth limit exceeded"}})
        for r in replies[1:]:
            self.assertEqual(r["error"]["class"], "GenericError")
        # 1024 deep is fine: the command is parsed (and rejected for its
        # argument, not for its shape).
        arg = "[" * 1023 + "]" * 1023
        self.c.raw('{"execute":"query-status","arguments":%s}\n' % arg)
        r = self.c.reply()
        self.assertEqual(r["error"]["desc"], "QMP input member 'arguments' must be an object")


class WireFormatTest(VMTestCase):
    def test_numbers_echoed(self):
        v = self.vm()
        c = v.qmp()
        for raw, expected in (("9223372036854775807", "9223372036854775807"),
                              ("-9223372036854775808", "-9223372036854775808"),
                              # Integers beyond int64 but within uint64 stay
                              # integers; beyond that they become doubles.
                              ("12345678901234567890", "12345678901234567890"),
                              ("1.5", "1.5"), ("-0.25", "-0.25"),
                              ("1.0", "1"), ("1E2", "100"), ("-0", "0")):
            with self.subTest(raw=raw):
                c.raw('{"execute":"query-status","id":%s}\n' % raw)
                line = c.raw_line()
                self.assertTrue(line.endswith(', "id": %s}\r\n' % expected), line)

    def test_non_ascii_escaped_uppercase(self):
        # QEMU's JSON writer emits only ASCII, escaping with upper-case hex.
        v = self.vm()
        c = v.qmp()
        c.raw('{"execute":"query-status","id":"\u00e9\\u4e2d\\u0001"}\n'.encode())
        line = c.raw_line()
        self.assertTrue(line.endswith(', "id": "\\u00E9\\u4E2D\\u0001"}\r\n'), line)


class OversizedTest(VMTestCase):
    @slow_on_qemu("QEMU's QMP reads one byte per main-loop turn (~250 KB/s)")
    def test_oversized_message(self):
        # QEMU's limit is 64 MiB per message; a 70 MB string argument is
        # refused with an error and the connection stays usable.
        v = self.vm()
        c = v.qmp()
        c.timeout = 900 if is_qemu() else 60
        size = 70 * 1000 * 1000
        payload = b'{"execute":"human-monitor-command","arguments":{"command-line":"' + \
            b"a" * size + b'"}}\n'
        c.raw(payload)
        del payload
        replies = replies_until_sync(c)
        self.assertGreaterEqual(len(replies), 1)
        self.assertEqual(replies[0], {"error": {"class": "GenericError",
                                                "desc": "JSON token size limit exceeded"}})
        for r in replies:
            self.assertEqual(r["error"]["class"], "GenericError")
        self.assertEqual(c.cmd("query-status")["status"], "running")


if __name__ == "__main__":
    unittest.main()
