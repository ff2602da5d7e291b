#!/bin/sh
# Boots the default guest of `make run`.
# The pc machine and the guest builders are not in yet, so this starts minivm
# with an empty machine and the HMP monitor on this terminal ('help' lists the
# commands, 'quit' leaves).  A QMP socket is opened beside it for managers.
set -eu
build=${1:-build}
sock=${TMPDIR:-/tmp}/minivm-run-$$.qmp
echo "minivm: no guest machine yet (see README): starting an empty machine with HMP on stdio"
echo "minivm: QMP is on $sock"
exec "$build/minivm" -machine none -nodefaults -display none -name minivm-demo \
    -qmp "unix:$sock,server=on,wait=off" -monitor stdio
