#!/bin/sh
# Benchmark scenario (bench/xen_lifecycle.ts boots it): xl and xlite side by side in dom0 on the
# same domains. Writes "<row> <tool> <runs> <seconds>" lines to /mnt/out/bench.txt.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
N=${BENCH_RUNS:-3}; M=${BENCH_LOOPS:-50}
B=/mnt/out/bench.txt; : > $B
# the hypervisor's release, for the bench's heading ("xen 4.20.4")
xl info | awk '/^xen_major/ { M = $3 } /^xen_minor/ { m = $3 } /^xen_extra/ { e = $3 } END { print "xen " M "." m e }' >> $B
guest_cfg g1 /tmp/g1.cfg xlite.hold
check "xl create -p g1" xl create -q -p /tmp/g1.cfg
# timed <row> <tool> <runs> <cmd...>: wall time of <runs> runs of cmd (dom0 uptime, 10 ms ticks)
timed() {
  row=$1 tool=$2 runs=$3; shift 3
  s=$(up); i=0; while [ $i -lt $runs ]; do "$@" > /dev/null 2>&1 || fail "$row: $*"; i=$((i + 1)); done
  e=$(up); echo "$row $tool $runs $(awk "BEGIN { print $e - $s }")" | tee -a $B
}
timed "list (process)" xl $N xl list
timed "list (process)" xlite $N xlite list
timed "pause+unpause (process)" xl $N sh -c 'xl pause g1 && xl unpause g1'
timed "pause+unpause (process)" xlite $N sh -c 'xlite pause g1 && xlite unpause g1'
# in process: xlite's list path M times in one deno process, against xl list M times
timed "list x$M (in process)" xl 1 sh -c "i=0; while [ \$i -lt $M ]; do xl list > /dev/null; i=\$((i+1)); done"
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
/mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json /mnt/xlite/bench/xen_list_loop.ts $M >> $B || fail "xen_list_loop.ts"
tail -1 $B
xl destroy g1
finish
