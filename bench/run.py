#!/usr/bin/env python3
"""Side-by-side benchmarks: minivm against Debian's QEMU on this machine.

Each row prints minivm's number, QEMU's, and the ratio (for times,
minivm/QEMU: below 1.0 is better; for rates, minivm/QEMU: above 1.0 is
better).  Benchmarks are measured here, never asserted in tests.
"""
import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = "/usr/bin/qemu-system-x86_64"


def time_to_qmp_ready(binary, accel_none_args):
    """Seconds from exec to a negotiated QMP answering query-status."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "qmp.sock")
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "-machine", "none", "-nodefaults", "-display", "none",
                                 "-qmp", f"unix:{path},server=on,wait=off"] + accel_none_args,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            sock = socket.socket(socket.AF_UNIX)
            while True:
                try:
                    sock.connect(path)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if proc.poll() is not None:
                        raise RuntimeError(f"{binary} exited early")
                    time.sleep(0.0002)
            f = sock.makefile("rwb", buffering=0)
            f.readline()
            sock.sendall(b'{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n')
            f.readline()
            f.readline()
            elapsed = time.perf_counter() - start
            sock.sendall(b'{"execute":"quit"}\n')
            sock.close()
            proc.wait(timeout=10)
            return elapsed
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def peak_rss_kib(binary):
    """Peak RSS of an idle -machine none process after QMP negotiation."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "qmp.sock")
        proc = subprocess.Popen([binary, "-machine", "none", "-nodefaults", "-display", "none",
                                 "-accel", "kvm", "-qmp", f"unix:{path},server=on,wait=off"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            sock = socket.socket(socket.AF_UNIX)
            for _ in range(10000):
                try:
                    sock.connect(path)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    time.sleep(0.001)
            f = sock.makefile("rwb", buffering=0)
            f.readline()
            sock.sendall(b'{"execute":"qmp_capabilities"}\n')
            f.readline()
            with open(f"/proc/{proc.pid}/status") as st:
                for line in st:
                    if line.startswith("VmHWM:"):
                        rss = int(line.split()[1])
            sock.sendall(b'{"execute":"quit"}\n')
            proc.wait(timeout=10)
            return rss
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def row(name, ours, theirs, unit, lower_is_better=True):
    ratio = ours / theirs if theirs else float("nan")
    better = "(lower is better)" if lower_is_better else "(higher is better)"
    print(f"{name:<44} {ours:>10.2f} {unit:<4} {theirs:>10.2f} {unit:<4} {ratio:>6.2f}x {better}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--skip-block", action="store_true",
                    help="leave out the block benchmarks (minivm-img against qemu-img)")
    ap.add_argument("--block-runs", type=int, default=3)
    args = ap.parse_args()
    minivm = os.path.join(ROOT, args.build, "minivm")
    if not os.path.exists(QEMU):
        print(f"{QEMU} is missing: install qemu-system-x86 to compare", file=sys.stderr)
        return 1
    print(f"{'benchmark':<44} {'minivm':>15} {'QEMU 7.2':>15} {'ratio':>7}")
    ours = [time_to_qmp_ready(minivm, ["-accel", "kvm"]) for _ in range(args.runs)]
    theirs = [time_to_qmp_ready(QEMU, ["-accel", "kvm"]) for _ in range(args.runs)]
    row("start to QMP ready, -machine none (median)", statistics.median(ours) * 1000,
        statistics.median(theirs) * 1000, "ms")
    row("peak RSS idle, -machine none", peak_rss_kib(minivm) / 1024, peak_rss_kib(QEMU) / 1024,
        "MiB")
    if not args.skip_block:
        return block.run(os.path.join(ROOT, args.build), row, runs=args.block_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
