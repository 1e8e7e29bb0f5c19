#!/bin/sh
# usage: start-xenstored.sh DIR [extra xenstored args]
# Starts Debian's real Xen 4.17 C xenstored (no hypervisor, via xsshim.so) serving DIR/socket.
# Prints the daemon PID on stdout once the socket answers a read of "/".
# XSD_FOREGROUND=1: exec the daemon instead (the caller waits for the socket and reaps it).
set -e
DIR=${1:?dir}; shift
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
SHIM=${XSSHIM:-$ROOT/.build/xenstored-shim/xsshim.so}
[ -e "$SHIM" ] || { echo "missing $SHIM (run tests/native/xenstored-shim/build.sh)" >&2; exit 1; }
mkdir -p "$DIR"
rm -f "$DIR/socket" "$DIR/xenstored.pid"
export XENSTORED_RUNDIR="$DIR" XENSTORED_PATH="$DIR/socket"
# -N: no fork (backgrounded here); -F: pid file
if [ -n "${XSD_FOREGROUND:-}" ]; then
    LD_PRELOAD="$SHIM" exec /usr/lib/xen-4.17/bin/xenstored -N -F "$DIR/xenstored.pid" "$@" \
        </dev/null >"$DIR/xenstored.log" 2>&1
fi
LD_PRELOAD="$SHIM" setsid /usr/lib/xen-4.17/bin/xenstored -N -F "$DIR/xenstored.pid" "$@" \
    </dev/null >"$DIR/xenstored.log" 2>&1 &
PID=$!
i=0
until [ -S "$DIR/socket" ] && xenstore-read / >/dev/null 2>&1; do
    i=$((i+1)); [ $i -gt 1000 ] && { echo "xenstored did not come up" >&2; cat "$DIR/xenstored.log" >&2; kill $PID 2>/dev/null; exit 1; }
    kill -0 $PID 2>/dev/null || { echo "xenstored died" >&2; cat "$DIR/xenstored.log" >&2; exit 1; }
    sleep 0.005
done
echo $PID
