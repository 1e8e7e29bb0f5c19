#!/bin/sh
# testbed-xen: ioreq
# Benchmark scenario (bench/virtio_testbed.ts boots it; a benchmark, not a test): one guest, one
# run, two disks of the same size and content: one served by `xlite devd` (virtio-blk over
# IOREQ), one by Linux's blkback (PV disk). In the guest, busybox dd with O_DIRECT: sequential
# 1 MiB reads and writes (MB/s), 4 KiB reads at random offsets (IOPS; each is a dd process, so
# the same loop reading /dev/zero is timed too, after both disks, and reported beside), and the virtio disk's interrupt
# count (requests completed). In dom0: devd's CPU time over the virtio phase, and its RSS with
# 0, 1, 2 and 4 disks served. Writes "<metric> <subject> <value>" lines to /mnt/out/bench.txt.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/vb; mkdir -p $T
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
MB=${BENCH_MB:-32}; N=${BENCH_RANDOM:-200}
O=/mnt/out/bench.txt; : > $O
out() { echo "$*" | tee -a $O; }
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status; }
# user+system CPU seconds of a process (clock ticks of /proc/<pid>/stat, 100 Hz)
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' /proc/$1/stat; }
guestval() { tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n "s/^===$2 \(.*\)===\$/\1/p" | tail -1; }
say "xl info: $(xl info | grep -E '^xen_(version|extra)' | tr -s ' ' | tr '\n' ' ')"

check "xlite devd -p (detached)" xlite devd -p $T/devd.pid --log $T/devd.log
PID=$(cat $T/devd.pid)
out "rss_kb disks=0 $(rss $PID)"
# warm-up (see virtio_disk.sh): one paused guest served and destroyed first
guest_cfg w0 $T/w0.cfg; truncate -s 1M $T/w0.img
echo "disk = [ '$T/w0.img,raw,xvdb,rw,specification=virtio' ]" >> $T/w0.cfg
xl create -p $T/w0.cfg > /dev/null 2>&1 || say "warm-up guest: xl create -p failed"
xl destroy w0 2>/dev/null
dd if=/dev/urandom of=$T/v.img bs=1M count=$MB 2>/dev/null
cp $T/v.img $T/p.img
# the guest's script (domu-init xlite.run=xvda): the virtio disk is vda, the PV disk xvdb
cat > $T/s.img <<EOS
n=0; while [ ! -b /dev/vda ] && [ \$n -lt 150 ]; do sleep 0.2; n=\$((n + 1)); done
t() { cut -d' ' -f1 /proc/uptime; }
irqs() { awk '/virtio/ { s += \$2 } END { print s + 0 }' /proc/interrupts; }
# N offsets (4 KiB blocks) from a fixed seed, the same for both disks
awk -v n=$N -v max=$((MB * 256)) 'BEGIN { srand(7); for (i = 0; i < n; i++) print int(rand() * max) }' > /offsets
run() { # <subject> <dev>
  i0=\$(irqs)
  a=\$(t); dd if=/dev/\$2 of=/dev/null bs=1M count=$MB iflag=direct 2>/dev/null || echo "===ERR \$1 read==="; b=\$(t)
  echo "===R \$1 seq_read \$a \$b==="
  a=\$(t); dd if=/dev/zero of=/dev/\$2 bs=1M count=$MB oflag=direct 2>/dev/null || echo "===ERR \$1 write==="; b=\$(t)
  echo "===R \$1 seq_write \$a \$b==="
  a=\$(t); while read o; do dd if=/dev/\$2 of=/dev/null bs=4096 count=1 skip=\$o iflag=direct 2>/dev/null; done < /offsets; b=\$(t)
  echo "===R \$1 rand_read \$a \$b==="
  echo "===R \$1 virtio_irqs \$i0 \$(irqs)==="
}
run xlite vda
echo "===VIRTIO-PHASE-DONE==="
sleep 2
run blkback xvdb
a=\$(t); while read o; do dd if=/dev/zero of=/dev/null bs=4096 count=1 2>/dev/null; done < /offsets; b=\$(t)
echo "===R loop rand_read \$a \$b==="
echo "===TEST-DONE==="
EOS
dd if=/dev/zero of=$T/s.img bs=1M count=0 seek=1 2>/dev/null
guest_cfg b1 $T/b1.cfg "xlite.hold xlite.virtio xlite.run=xvda"
echo "disk = [ '$T/s.img,raw,xvda,rw', '$T/p.img,raw,xvdb,rw', '$T/v.img,raw,xvdc,rw,specification=virtio' ]" >> $T/b1.cfg
C0=$(cpu $PID)
check "xlite create b1 (1 virtio disk, 2 PV disks)" xlite create $T/b1.cfg
check "b1: the virtio phase ran" wait_for 1200 console_has b1 '===VIRTIO-PHASE-DONE==='
C1=$(cpu $PID)
check "b1: the blkback phase ran" wait_for 1200 console_has b1 '===TEST-DONE==='
tr -d '\r' < /var/log/xen/console/guest-b1.log | sed -n '/===RUN-BEGIN/,$p' | sed 's/^/  b1| /'
tr -d '\r' < /var/log/xen/console/guest-b1.log | sed -n 's/^===R \(.*\)===$/\1/p' |
  while read subject metric a b; do out "$metric $subject $a $b"; done
out "devd_cpu_s virtio_phase $C0 $C1"
out "rss_kb disks=1 $(rss $PID)"
# more served disks: guests whose virtio disks the guest's driver probes
more() { # <name> <disks>
  guest_cfg $1 $T/$1.cfg "xlite.hold xlite.virtio"
  d=""; i=0
  while [ $i -lt $2 ]; do
    truncate -s 16M $T/$1-$i.img; d="$d${d:+, }'$T/$1-$i.img,raw,xvd$(echo bcdefg | cut -c$((i + 1))),rw,specification=virtio'"
    i=$((i + 1))
  done
  echo "disk = [ $d ]" >> $T/$1.cfg
  check "xlite create $1 ($2 virtio disks)" xlite create $T/$1.cfg
  check "$1: the guest probed its disks" wait_for 300 console_has $1 '===VIRTIO-DISKS vd'
}
more m1 1
out "rss_kb disks=2 $(rss $PID)"
more m2 2
out "rss_kb disks=4 $(rss $PID)"
for g in m2 m1 b1; do xl destroy $g; done
kill $PID
finish
