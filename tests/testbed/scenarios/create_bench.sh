#!/bin/sh
# Create benchmark scenario (bench/create.ts boots it): `xl create -p` and `xlite create -p` of
# the same config, N times each in one boot (each followed by an untimed destroy), Deno's
# start-up alone (`xlite help`), and xlite's create path in one process (bench/create_loop.ts).
# Writes "<row> <tool> <runs> <seconds>" lines to /mnt/out/bench.txt.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
N=${BENCH_RUNS:-3}
B=/mnt/out/bench.txt; : > $B
# the hypervisor's release, for the bench's heading ("xen 4.20.4")
xl info | awk '/^xen_major/ { M = $3 } /^xen_minor/ { m = $3 } /^xen_extra/ { e = $3 } END { print "xen " M "." m e }' >> $B
guest_cfg b1 /tmp/b1.cfg xlite.hold
# create_timed <tool> <cmd...>: N creates of b1, timed one by one, each destroyed untimed
create_timed() {
  tool=$1; shift; total=0; i=0
  while [ $i -lt $N ]; do
    s=$(up); "$@" > /dev/null 2>&1 || fail "$tool create"; e=$(up)
    total=$(awk "BEGIN { print $total + $e - $s }")
    xl destroy b1 > /dev/null 2>&1 || fail "destroy after $tool create"
    i=$((i + 1))
  done
  echo "create -p (process) $tool $N $total" | tee -a $B
}
create_timed xl xl create -q -p /tmp/b1.cfg
create_timed xlite xlite create -q -p /tmp/b1.cfg
s=$(up); i=0; while [ $i -lt $N ]; do xlite help > /dev/null; i=$((i + 1)); done; e=$(up)
echo "deno start-up (xlite help) xlite $N $(awk "BEGIN { print $e - $s }")" | tee -a $B
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
/mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json \
  /mnt/xlite/bench/create_loop.ts /tmp/b1.cfg $N | tee -a $B || fail "create_loop.ts"
finish
