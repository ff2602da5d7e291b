"""Events and the run state: stop/cont/system_reset/system_powerdown/quit."""

import os
import unittest

from base import VMTestCase, minivm_only, qemu_only

TWO_MONITORS = ("-qmp", "unix:@TMP@/b.sock,server=on,wait=off")


class EventDeliveryTest(VMTestCase):
    def test_events_reach_every_negotiated_client(self):
        vm = self.vm(*TWO_MONITORS, "-qmp", "unix:@TMP@/c.sock,server=on,wait=off")
        a = vm.qmp()
        b = vm.qmp(vm.path("b.sock"))
        quiet = vm.qmp(vm.path("c.sock"), negotiate=False)
        self.assertEqual(a.cmd("stop"), {})
        for c in (a, b):
            ev = c.wait_event("STOP")
            self.assertEqual(sorted(ev), ["event", "timestamp"])  # no "data"
            self.assertTimestamp(ev)
        self.assertEqual(b.cmd("cont"), {})
        for c in (a, b):
            ev = c.wait_event("RESUME")
            self.assertEqual(sorted(ev), ["event", "timestamp"])
            self.assertTimestamp(ev)
        # A client still in negotiation mode gets no events at all; once it
        # negotiates it gets the ones that follow (and none from before).
        self.assertEqual(quiet.drain(0.3), [])
        quiet.negotiate()
        self.assertEqual(quiet.events, [])
        a.cmd("stop")
        self.assertEqual(quiet.wait_event("STOP")["event"], "STOP")
        self.assertEqual(quiet.events, [])

    def test_event_timestamps_increase(self):
        vm = self.vm()
        c = vm.qmp()
        c.cmd("stop")
        c.cmd("cont")
        t1 = c.wait_event("STOP")["timestamp"]
        t2 = c.wait_event("RESUME")["timestamp"]
        self.assertLessEqual((t1["seconds"], t1["microseconds"]),
                             (t2["seconds"], t2["microseconds"]))

    def test_event_line_format(self):
        # {"timestamp": {"seconds": S, "microseconds": U}, "event": "STOP"}
        vm = self.vm()
        c = vm.qmp()
        c.raw('{"execute":"stop"}\n')
        lines = [c.raw_line(), c.raw_line()]
        ev = [l for l in lines if '"event"' in l][0]
        self.assertRegex(ev, r'^\{"timestamp": \{"seconds": \d+, "microseconds": \d+\}, '
                             r'"event": "STOP"\}\r\n$')
        self.assertIn('{"return": {}}\r\n', lines)


class RunStateTest(VMTestCase):
    def setUp(self):
        self.v = self.vm()
        self.c = self.v.qmp()

    def status(self):
        return self.c.cmd("query-status")

    def test_initial_status(self):
        self.assertEqual(self.status(),
                         {"status": "running", "singlestep": False, "running": True})

    def test_initial_status_with_S(self):
        vm = self.vm("-S")
        c = vm.qmp()
        self.assertEqual(c.cmd("query-status"),
                         {"status": "prelaunch", "singlestep": False, "running": False})
        c.cmd("cont")
        self.assertEqual(c.wait_event("RESUME")["event"], "RESUME")
        self.assertEqual(c.cmd("query-status")["status"], "running")

    def test_stop_cont(self):
        self.assertEqual(self.c.cmd("stop"), {})
        self.c.wait_event("STOP")
        self.assertEqual(self.status(),
                         {"status": "paused", "singlestep": False, "running": False})
        # Stopping a stopped VM succeeds quietly: no second STOP.
        self.assertEqual(self.c.cmd("stop"), {})
        self.assertEqual(self.c.cmd("cont"), {})
        self.c.wait_event("RESUME")
        self.assertEqual(self.status()["status"], "running")
        # Likewise cont on a running VM: success, no event.
        self.assertEqual(self.c.cmd("cont"), {})
        self.assertEqual(self.c.drain(0.3), [])
        self.assertEqual(self.c.events, [])

    def test_system_reset(self):
        self.assertEqual(self.c.cmd("system_reset"), {})
        ev = self.c.wait_event("RESET")
        self.assertEqual(ev["data"], {"guest": False, "reason": "host-qmp-system-reset"})
        self.assertTimestamp(ev)
        self.assertEqual(self.status()["status"], "running")

    def test_system_reset_while_paused(self):
        self.c.cmd("stop")
        self.c.cmd("system_reset")
        self.c.wait_event("RESET")
        # A reset does not resume a paused VM, and QEMU reports the reset
        # VM as "prelaunch" (it has not run since the reset), not "paused".
        self.assertEqual(self.status(),
                         {"status": "prelaunch", "singlestep": False, "running": False})
        self.c.cmd("cont")
        self.c.wait_event("RESUME")
        self.assertEqual(self.status()["status"], "running")

    def test_system_powerdown(self):
        # With -machine none nothing answers the ACPI request: POWERDOWN is
        # sent and the VM simply keeps running.
        self.assertEqual(self.c.cmd("system_powerdown"), {})
        ev = self.c.wait_event("POWERDOWN")
        self.assertEqual(sorted(ev), ["event", "timestamp"])
        self.assertEqual(self.c.drain(0.3), [])
        self.assertEqual(self.status()["status"], "running")
        self.assertTrue(self.v.alive())

    def test_system_wakeup_unsupported(self):
        self.assertQMPError(self.c.execute("system_wakeup"), "GenericError",
                            "wake-up from suspend is not supported by this guest")

    def test_status_flows_through_hmp_too(self):
        self.c.cmd("human-monitor-command", command_line="stop")
        self.c.wait_event("STOP")
        self.assertEqual(self.status()["status"], "paused")
        self.c.cmd("human-monitor-command", command_line="c")
        self.c.wait_event("RESUME")
        self.assertEqual(self.status()["status"], "running")


class QuitTest(VMTestCase):
    def quit_messages(self, vm, c):
        c.send({"execute": "quit", "id": "q"})
        msgs = c.wait_closed()
        self.assertEqual(vm.wait(), 0)
        self.assertNoStderr(vm)
        return msgs

    def test_quit(self):
        vm = self.vm()
        c = vm.qmp()
        msgs = self.quit_messages(vm, c)
        self.assertEqual(len(msgs), 2, msgs)
        ret = [m for m in msgs if "event" not in m]
        ev = [m for m in msgs if "event" in m]
        self.assertEqual(ret, [{"return": {}, "id": "q"}])
        self.assertEqual(ev[0]["event"], "SHUTDOWN")
        self.assertEqual(ev[0]["data"], {"guest": False, "reason": "host-qmp-quit"})
        self.assertTimestamp(ev[0])
        # The server's socket file goes away with it.
        self.assertFalse(os.path.exists(vm.qmp_path))

    @minivm_only("QEMU 7.2 emits SHUTDOWN before the reply; minivm promises "
                 "the reply first so a manager sees its command answered")
    def test_quit_return_before_shutdown(self):
        vm = self.vm()
        c = vm.qmp()
        msgs = self.quit_messages(vm, c)
        self.assertEqual([m.get("event", "return") for m in msgs], ["return", "SHUTDOWN"])

    @qemu_only("documents QEMU 7.2's order, which minivm deliberately reverses")
    def test_quit_order_in_qemu(self):
        vm = self.vm()
        c = vm.qmp()
        msgs = self.quit_messages(vm, c)
        self.assertEqual([m.get("event", "return") for m in msgs], ["SHUTDOWN", "return"])

    def test_quit_seen_by_other_client(self):
        vm = self.vm(*TWO_MONITORS)
        a = vm.qmp()
        b = vm.qmp(vm.path("b.sock"))
        a.send({"execute": "quit"})
        a.wait_closed()
        msgs = b.wait_closed()
        self.assertEqual([m["event"] for m in msgs], ["SHUTDOWN"])
        self.assertEqual(msgs[0]["data"], {"guest": False, "reason": "host-qmp-quit"})
        self.assertEqual(vm.wait(), 0)
        self.assertNoStderr(vm)

    def test_quit_with_argument_rejected(self):
        vm = self.vm()
        c = vm.qmp()
        self.assertQMPError(c.execute("quit", {"force": True}), "GenericError",
                            "Parameter 'force' is unexpected")
        self.assertTrue(vm.alive())

    def test_quit_while_paused(self):
        vm = self.vm()
        c = vm.qmp()
        c.cmd("stop")
        self.quit_and_wait(vm, c)

    def test_sigterm(self):
        # A signal is a host-initiated shutdown too; QEMU says so on stderr.
        vm = self.vm()
        c = vm.qmp()
        os.kill(vm.proc.pid, 15)
        msgs = c.wait_closed()
        self.assertEqual([m["event"] for m in msgs], ["SHUTDOWN"])
        self.assertEqual(msgs[0]["data"], {"guest": False, "reason": "host-signal"})
        self.assertEqual(vm.wait(), 0)
        self.assertRegex(vm.stderr(),
                         r"^%s: terminating on signal 15 from pid \d+ \(.*\)\n$"
                         % os.path.basename(vm.binary))


if __name__ == "__main__":
    unittest.main()
