#!/bin/sh
# Installs the Debian 12 packages minivm needs to build and test.
# Run as root it installs what is missing with apt-get; otherwise it only
# lists what is missing and fails.  Usage: install-deps.sh [build|test|run]
set -eu

build_pkgs="gcc make pkg-config meson ninja-build libglib2.0-dev libjansson-dev liburing-dev zlib1g-dev check python3"
# Debian's qemu is the reference the tests compare with (never linked).
test_pkgs="qemu-utils qemu-system-x86"
run_pkgs=""

what=${1:-test}
case $what in
build) pkgs=$build_pkgs ;;
test) pkgs="$build_pkgs $test_pkgs" ;;
run) pkgs="$build_pkgs $test_pkgs $run_pkgs" ;;
*) echo "usage: $0 [build|test|run]" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "minivm: missing Debian packages:$missing" >&2
    echo "minivm: install them as root: apt-get install$missing" >&2
    exit 1
fi
echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
