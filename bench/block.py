#!/usr/bin/env python3
"""Block-layer benchmarks: minivm-img beside Debian's qemu-img.

Both tools run the same command on the same images, alternately, and the
best of a few runs counts (the machine may be shared):

- 'bench' with O_DIRECT (-t none) on a fully allocated 1 GiB raw image and
  on its qcow2 copy: 4 KiB random reads and writes at depth 32 (a large odd
  step visits the whole image in a scattered order) and 1 MiB sequential
  reads at depth 8; the time qemu-img bench reports.
- 'convert' of a 2 GiB image, half of it allocated in 8 MiB pieces,
  qcow2 -> raw and raw -> qcow2; the wall-clock time.

Images live under /var/tmp (O_DIRECT does not work on tmpfs).  Run it alone
(python3 bench/block.py --build build) or through bench/run.py.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU_IMG = shutil.which("qemu-img") or "/usr/bin/qemu-img"
QEMU_IO = shutil.which("qemu-io") or "/usr/bin/qemu-io"

MiB = 1 << 20
GiB = 1 << 30
# 4 KiB blocks times an odd number: coprime with the power-of-two block
# count, so the offsets wrap around the image visiting every block.
RANDOM_STEP = 4096 * 104729


def _run(args, cwd):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def _write_pattern(path, fmt, size, chunk, every, cwd):
    """Writes non-zero data into chunks 0, every, 2*every, ... of the image."""
    cmds = []
    for i, off in enumerate(range(0, size, chunk * every)):
        cmds += ["-c", "write -P %d %d %d" % (i % 250 + 1, off, chunk)]
        if len(cmds) >= 64:
            _run([QEMU_IO, "-f", fmt] + cmds + [path], cwd)
            cmds = []
    if cmds:
        _run([QEMU_IO, "-f", fmt] + cmds + [path], cwd)


def prepare(workdir):
    """The images: bench.raw / bench.qcow2 (1 GiB full), half.qcow2 / half.raw (2 GiB)."""
    _run([QEMU_IMG, "create", "-q", "-f", "raw", "bench.raw", str(GiB)], workdir)
    _write_pattern("bench.raw", "raw", GiB, 64 * MiB, 1, workdir)
    _run([QEMU_IMG, "convert", "-O", "qcow2", "bench.raw", "bench.qcow2"], workdir)
    _run([QEMU_IMG, "create", "-q", "-f", "qcow2", "half.qcow2", str(2 * GiB)], workdir)
    _write_pattern("half.qcow2", "qcow2", 2 * GiB, 8 * MiB, 2, workdir)
    _run([QEMU_IMG, "convert", "-O", "raw", "half.qcow2", "half.raw"], workdir)


def bench_seconds(tool, args, cwd):
    out = _run([tool, "bench"] + args, cwd)
    m = re.search(r"Run completed in ([0-9.]+) seconds", out)
    if not m:
        raise RuntimeError("unexpected bench output: %r" % out)
    return float(m.group(1))


def convert_seconds(tool, args, out, cwd):
    path = os.path.join(cwd, out)
    if os.path.exists(path):
        os.unlink(path)
    start = time.perf_counter()
    _run([tool, "convert"] + args + [out], cwd)
    elapsed = time.perf_counter() - start
    os.unlink(path)
    return elapsed


def cases():
    """(row name, kind, arguments) of every benchmark."""
    rows = []
    for fmt in ("raw", "qcow2"):
        img = "bench." + fmt
        common = ["-t", "none", "-f", fmt]
        rows.append(("bench %s 4k randread d32 (s)" % fmt, "bench",
                     ["-c", "50000", "-d", "32", "-s", "4k", "-S", str(RANDOM_STEP)] + common
                     + [img]))
        rows.append(("bench %s 4k randwrite d32 (s)" % fmt, "bench",
                     ["-w", "-c", "50000", "-d", "32", "-s", "4k", "-S", str(RANDOM_STEP)]
                     + common + [img]))
        rows.append(("bench %s 1M seqread d8 (s)" % fmt, "bench",
                     ["-c", "2048", "-d", "8", "-s", "1M"] + common + [img]))
    rows.append(("convert 2G half-alloc qcow2->raw (s)", "convert",
                 (["-O", "raw", "half.qcow2"], "out.raw")))
    rows.append(("convert 2G half-alloc raw->qcow2 (s)", "convert",
                 (["-O", "qcow2", "half.raw"], "out.qcow2")))
    return rows


def run(build_dir, row, runs=3, workdir=None, keep=False):
    """Measures every case and reports it through row(name, ours, theirs, unit)."""
    minivm_img = os.path.join(build_dir, "minivm-img")
    for tool in (minivm_img, QEMU_IMG, QEMU_IO):
        if not os.access(tool, os.X_OK):
            print("%s is missing: block benchmarks skipped" % tool, file=sys.stderr)
            return 1
    base = workdir or ("/var/tmp" if os.path.isdir("/var/tmp") else None)
    tmp = tempfile.mkdtemp(prefix="minivm-block-bench-", dir=base)
    try:
        prepare(tmp)
        for name, kind, args in cases():
            best = {minivm_img: float("inf"), QEMU_IMG: float("inf")}
            for i in range(runs):
                # Alternate who goes first: the page cache and the disk warm up.
                order = (QEMU_IMG, minivm_img) if i % 2 == 0 else (minivm_img, QEMU_IMG)
                for tool in order:
                    if kind == "bench":
                        t = bench_seconds(tool, args, tmp)
                    else:
                        t = convert_seconds(tool, args[0], args[1], tmp)
                    best[tool] = min(best[tool], t)
            row(name, best[minivm_img], best[QEMU_IMG], "s")
    finally:
        if keep:
            print("images kept in %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _row(name, ours, theirs, unit):
    ratio = ours / theirs if theirs else float("nan")
    print(f"{name:<44} {ours:>10.3f} {unit:<4} {theirs:>10.3f} {unit:<4} {ratio:>6.2f}x "
          "(lower is better)", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", help="where the images go (default /var/tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the images")
    args = ap.parse_args()
    print(f"{'benchmark':<44} {'minivm':>15} {'QEMU 7.2':>15} {'ratio':>7}")
    return run(os.path.join(ROOT, args.build), _row, args.runs, args.workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
