#!/bin/sh
# Manual check: libvirt 9.0's capability probe of a minivm binary succeeds.
# Needs root, libvirt-daemon-system, libvirt-clients, libvirt-daemon-driver-qemu
# and a libvirtd configured as docs in DEVELOPERS.md describe (user root,
# security_driver none, no namespaces/cgroups).  Not part of `make check`:
# it starts system daemons.
set -eu
bin=$(readlink -f "${1:-build/minivm}")
mkdir -p /run/libvirt
pgrep -x virtlogd >/dev/null || virtlogd -d
pgrep -x libvirtd >/dev/null || libvirtd -d
sleep 2
out=$(virsh -c qemu:///system domcapabilities --emulatorbin "$bin" --arch x86_64 --virttype kvm)
echo "$out" | grep -q "<path>$bin</path>" || { echo "FAIL: probe did not succeed"; exit 1; }
echo "$out" | grep -q "<machine>pc-i440fx-7.2</machine>" || { echo "FAIL: machine"; exit 1; }
echo "libvirt probe of $bin: ok"
