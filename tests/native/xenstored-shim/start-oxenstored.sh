#!/bin/sh
# usage: start-oxenstored.sh DIR [extra oxenstored args]
# Starts Debian's real Xen 4.17 OCaml oxenstored (no hypervisor, via xsshim.so) serving
# DIR/socket. Prints the daemon PID on stdout once the socket answers a read of "/".
set -e
DIR=${1:?dir}; shift
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
SHIM=${XSSHIM:-$ROOT/.build/xenstored-shim/xsshim.so}
[ -e "$SHIM" ] || { echo "missing $SHIM (run tests/native/xenstored-shim/build.sh)" >&2; exit 1; }
mkdir -p "$DIR"
rm -f "$DIR/socket" "$DIR/oxenstored.pid"
printf '1' > "$DIR/xsd_port"            # no trailing newline (int_of_string)
truncate -s 4096 "$DIR/xsd_kva"         # dom0's (unused) ring page
cat > "$DIR/oxenstored.conf" <<CONF
merge-activate = true
conflict-burst-limit = 5.0
conflict-max-history-seconds = 0.05
conflict-rate-limit-is-aggregate = true
perms-activate = true
perms-watch-activate = true
quota-activate = true
quota-maxentity = 1000
quota-maxsize = 2048
quota-maxwatch = 100
quota-transaction = 10
quota-maxrequests = 1024
quota-path-max = 1024
quota-maxoutstanding = 1024
quota-maxwatchevents = 1024
persistent = false
pid-file = $DIR/oxenstored.pid
xenstored-kva = $DIR/xsd_kva
xenstored-port = $DIR/xsd_port
xenstored-log-file = $DIR/xenstored.log
access-log-file = $DIR/access.log
CONF
if [ -n "${XSD_FOREGROUND:-}" ]; then
    XSSHIM_RUNDIR="$DIR" LD_PRELOAD="$SHIM" exec /usr/lib/xen-4.17/bin/oxenstored \
        --config-file "$DIR/oxenstored.conf" --no-fork "$@" </dev/null >"$DIR/out.log" 2>&1
fi
XSSHIM_RUNDIR="$DIR" LD_PRELOAD="$SHIM" setsid /usr/lib/xen-4.17/bin/oxenstored \
    --config-file "$DIR/oxenstored.conf" --no-fork "$@" </dev/null >"$DIR/out.log" 2>&1 &
PID=$!
i=0
until [ -S "$DIR/socket" ] && XENSTORED_PATH="$DIR/socket" xenstore-read / >/dev/null 2>&1; do
    i=$((i+1)); [ $i -gt 1000 ] && { echo "oxenstored did not come up" >&2; cat "$DIR/out.log" >&2; kill $PID 2>/dev/null; exit 1; }
    kill -0 $PID 2>/dev/null || { echo "oxenstored died" >&2; cat "$DIR/out.log" >&2; exit 1; }
    sleep 0.005
done
echo $PID
