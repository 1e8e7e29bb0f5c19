#!/bin/sh
# testbed-xen: ioreq
# IOREQ scenario (one boot of the IOREQ hypervisor, build-ioreq-xen.sh): xlite's Xen frontend
# carrier alone, before any virtio device model. `xl create -p` of a 2-vCPU guest with one
# virtio disk; a dom0 deno script (ioreq_probe.ts) opens the carrier for it and serves the
# disk's window 0x2000000 with a handler that reads 0x74726976 at offset 0; the scenario
# writes backend state 2 (what xl waits for, spec §2.6), unpauses, and the guest's
# `devmem 0x02000000 32`, on each of its vCPUs, must print that value. Then the carrier is
# closed (Xen must have no IOREQ server left) and the guest destroyed. A second guest is
# destroyed while its carrier is still open (a frontend dying under devd), then the carrier
# closed. Neither guest may remain (a foreign mapping left behind keeps a dying domain).
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/io; P=$T/probe; mkdir -p $T $P
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
show() { [ -s "$1" ] && sed "s/^/  $2| /" "$1"; return 0; }

say "xl info: $(xl info | grep -E '^xen_(version|extra)' | tr -s ' ' | tr '\n' ' ')"
check "the hypervisor has CONFIG_IOREQ_SERVER (hypfs build config)" \
  sh -c "xenhypfs cat /buildinfo/config 2>/dev/null | grep -qx 'CONFIG_IOREQ_SERVER=y'"

/mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json \
  /mnt/xlite/tests/testbed/scenarios/ioreq_probe.ts $P > $T/probe.out 2>&1 &
PROBE=$!
# deno takes 6-11 s to start under TCG; libxl gives the backend 10 s once the disk is written
check "the probe started" wait_for 90 test -f $P/started

dd if=/dev/zero of=$T/vd.img bs=1M count=1 2>/dev/null
# served_guest <name> <phase> [kernel args]: xl create -p with one virtio disk, served by the
# probe's phase
served_guest() {
  guest_cfg $1 $T/$1.cfg "xlite.hold xlite.devmem=0x02000000 $3"
  sed -i 's/^vcpus = 1/vcpus = 2/' $T/$1.cfg
  echo "disk = [ '$T/vd.img,raw,xvda,rw,specification=virtio' ]" >> $T/$1.cfg
  xl create -p $T/$1.cfg > $T/create-$1.out 2>&1 &
  CREATE=$!
  check "$1: xl create -p: the domain exists" wait_for 10 sh -c "xl domid $1 >/dev/null 2>&1"
  D=$(xl domid $1 2>/dev/null)
  BE=/local/domain/0/backend/virtio_disk/$D/51712
  check "$1: the virtio disk's backend is at state 1" \
    wait_for 10 sh -c "[ \"\$(xenstore-read $BE/state 2>/dev/null)\" = 1 ]"
  BASE=$(xenstore-read $BE/base 2>/dev/null); IRQ=$(xenstore-read $BE/irq 2>/dev/null)
  expect_eq "$1: the disk's window and SPI (xenstore base, irq)" "$BASE $IRQ" "33554432 33"
  echo "$D $BASE $IRQ" > $P/go$2
  check "$1: the probe serves the window (carrier open, window mapped)" wait_for 60 test -f $P/ready$2
  xenstore-write $BE/state 2
  wait $CREATE; RC=$?
  show $T/create-$1.out create
  expect_eq "$1: xl create -p exit code (backend reached state 2 in time)" "$RC" 0
  check "$1: xl unpause" xl unpause $1
  check "$1: the guest read the window: devmem 0x02000000 = 0x74726976" \
    wait_for 120 console_has $1 '===DEVMEM 0x02000000 0x74726976==='
}
# destroy <name>: xl destroy, the stand-in answering libxl's state 5 with 6 (spec §2.6)
destroy() {
  ( for i in $(seq 1 100); do
      [ "$(xenstore-read $BE/state 2>/dev/null)" = 5 ] && { xenstore-write $BE/state 6; break; }
      sleep 0.1
    done ) &
  check "$1: xl destroy" xl destroy $1
}
no_domain() { ! xl list | awk '{print $2}' | grep -qx "$1"; }
# probe_done <phase>: stop the phase, show its lines, every check passed
probe_done() {
  touch $P/stop$1
  check "probe phase $1 finished" wait_for 60 test -f $P/result$1
  show $P/result$1 probe$1
  check "probe phase $1: every check passed" sh -c "grep -q '^ok: ' $P/result$1 && ! grep -q '^FAIL' $P/result$1"
}

say "--- io1: served, read on both vCPUs, carrier closed, then destroyed"
served_guest io1 1 xlite.mmiotime=0x02000000:200
check "io1: vCPU 0 read it too (its own ioreq slot and event channel)" \
  wait_for 30 console_has io1 '===DEVMEM-CPU0 0x02000000 0x74726976==='
check "io1: vCPU 1 read it too (its own ioreq slot and event channel)" \
  wait_for 30 console_has io1 '===DEVMEM-CPU1 0x02000000 0x74726976==='
tr -d '\r' < /var/log/xen/console/guest-io1.log | grep '===DEVMEM' | sed 's/^/  guest| /'
check "io1: timed 200 reads of the window and of GICD_CTLR" \
  wait_for 300 console_has io1 '===MMIOTIME 0x03001000'
tr -d '\r' < /var/log/xen/console/guest-io1.log | sed -n 's/^===MMIOTIME \(.*\)===$/\1/p' |
  awk '{ ms[$1] = ($4 - $3) * 1000 / $2; printf "  guest| %s: %d devmem reads, %.2f ms each\n", $1, $2, ms[$1] }
       END { if (ms["0x02000000"] && ms["0x03001000"]) printf "  => forwarding to the dom0 IOREQ server: ~%.2f ms per access (TCG, informational)\n", ms["0x02000000"] - ms["0x03001000"] }'
probe_done 1
destroy io1
check "io1 is gone from the hypervisor (no dying domain held by a mapping)" wait_for 20 no_domain "$D"

say "--- io2: destroyed while its carrier is open, then the carrier closed"
# xlite.virtio: the guest loads Debian's virtio_mmio (its probe reads the magic, then version
# 0 from the trivial handler and gives up: "Version 0 not supported"), virtio_blk and ext4
served_guest io2 2 xlite.virtio
check "io2: the guest went through loading the virtio and ext4 modules" \
  wait_for 60 console_has io2 '===VIRTIO-DISKS'
check "io2: no insmod failed" sh -c "! grep 'insmod .* failed' /var/log/xen/console/guest-io2.log"
tr -d '\r' < /var/log/xen/console/guest-io2.log | grep -E '===VIRTIO|insmod|virtio' | sed 's/^/  guest| /'
destroy io2
xl list | sed 's/^/  xl list (carrier still open)| /'
probe_done 2
check "io2 is gone from the hypervisor once the carrier is closed" wait_for 20 no_domain "$D"
wait $PROBE
show $T/probe.out probe-stdout
xl list | sed 's/^/  xl list| /'
finish
