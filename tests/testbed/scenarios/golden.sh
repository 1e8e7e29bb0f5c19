#!/bin/sh
# Golden-data capture (tests/golden/regenerate.sh boots the testbed with this scenario). For each
# tests/golden/cfg/*.cfg whose "# golden-gic:" (default 3) matches this boot's xlite.gic=, with
# real xl/libxl 4.17, writes to /mnt/out/<name>/: xl-N.json (xl -N), xl-create.log
# (xl -vvv create -p), xenstore.txt (xenstore-ls -fp of the new domain's paths, guest never ran),
# memory.dtb (the DTB read out of the paused guest's memory), xl-list-l.json, then unpauses the
# guest, which prints the DTB it received on its console (console.log), and destroys it.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
GIC=3
for w in $(cat /proc/cmdline); do case $w in xlite.gic=*) GIC=${w#xlite.gic=} ;; esac; done
DENO="/mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json"
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
for i in 1 2 3; do dd if=/dev/zero of=/tmp/d$i.img bs=1M count=16 2>/dev/null; done
{ echo "### xl info"; xl info; echo "### /proc/cmdline"; cat /proc/cmdline; } > /mnt/out/env-gic$GIC.txt 2>&1
# the configs of this boot's Xen: tests/golden/cfg (4.17), tests/golden/4.20/cfg (trixie's 4.20)
XV=$(xl info | sed -n 's/^xen_major *: //p').$(xl info | sed -n 's/^xen_minor *: //p')
CFGDIR=/mnt/xlite/tests/golden/cfg; [ "$XV" = 4.17 ] || CFGDIR=/mnt/xlite/tests/golden/$XV/cfg
say "Xen $XV: configs from $CFGDIR"

# standalone virtio-disk backend stand-in: answer backend state 1 (Initialising) with 2 (InitWait),
# which libxl waits for on create, and 5 (Closing) with 6 (Closed), which it waits for on destroy
# (spec §2.6); watches every domain's backend/virtio_disk
start_virtio_sim() {
  rm -f /tmp/vd.fifo; mkfifo /tmp/vd.fifo
  ( while read -r p; do
      case $p in */backend/virtio_disk/*/*/state|*/backend/virtio/*/*/state)
        case $(xenstore-read "$p" 2>/dev/null) in
          1) xenstore-write "$p" 2 && echo "[$(up)] $p: 1 -> 2" ;;
          5) xenstore-write "$p" 6 && echo "[$(up)] $p: 5 -> 6"
             # a driver domain removes its own backend directory; libxl waits for that
             case $p in /local/domain/0/*) ;; *) xenstore-rm "${p%/state}" ;; esac ;;
        esac ;;
      esac
    done < /tmp/vd.fifo >> /tmp/vdsim.log 2>&1 ) &
  SIMR=$!
  xenstore-watch /local/domain > /tmp/vd.fifo &
  SIMW=$!
  sleep 0.3
}
stop_virtio_sim() { kill $SIMW $SIMR 2>/dev/null; wait $SIMW $SIMR 2>/dev/null; }

snapshot() { # <domid> <backend domids...>
  d=$1; shift
  echo "### xenstore-ls -fp /local/domain/$d"; xenstore-ls -fp /local/domain/$d
  for b in "$@"; do echo "### xenstore-ls -fp /local/domain/$b/backend"; xenstore-ls -fp /local/domain/$b/backend; done
  echo "### xenstore-ls -fp /libxl/$d"; xenstore-ls -fp /libxl/$d
  vm=$(xenstore-read /local/domain/$d/vm)
  echo "### xenstore-ls -fp $vm"; xenstore-ls -fp $vm
}

for CFG in $CFGDIR/*.cfg; do
  N=$(basename $CFG .cfg)
  WANT=$(sed -n 's/^# golden-gic: *//p' $CFG); [ -n "$WANT" ] || WANT=3
  [ "$WANT" = "$GIC" ] || { say "skip $N (needs GICv$WANT)"; continue; }
  O=/mnt/out/$N; rm -rf $O; mkdir -p $O
  GN=$(sed -n 's/^ *name *= *"\([^"]*\)".*/\1/p' $CFG)
  say "=== $N (guest $GN)"
  cp $CFG /etc/xen/$N.cfg
  xl -N create /etc/xen/$N.cfg > $O/xl-N.json 2> $O/xl-N.stderr; echo "rc=$?" >> $O/xl-N.stderr
  DRV=$(sed -n 's/^# golden-driver-domain: *//p' $CFG); BACKENDS=0
  if [ -n "$DRV" ]; then
    guest_cfg $DRV /tmp/$DRV.cfg xlite.hold
    check "$N: driver domain $DRV created (paused)" xl create -p /tmp/$DRV.cfg
    BACKENDS="0 $(xl domid $DRV)"
  fi
  SIMW=; grep -q 'specification *= *virtio\|^virtio *=' $CFG && start_virtio_sim
  xl -vvv create -p /etc/xen/$N.cfg > $O/xl-create.log 2>&1; RC=$?
  expect_eq "$N: xl create -p" "$RC" 0
  D=$(xl domid $GN 2>/dev/null)
  if [ -n "$D" ]; then
    { echo "# domid=$D name=$GN (after 'xl create -p': the guest never ran)"; snapshot $D $BACKENDS; } > $O/xenstore.txt 2>&1
    xl list -l $GN > $O/xl-list-l.json 2>&1
    SEG=$(sed -n 's/.*xc_dom_alloc_segment: *devicetree *: \(0x[0-9a-f]*\) -> \(0x[0-9a-f]*\).*/\1 \2/p' $O/xl-create.log)
    set -- $SEG
    if [ -n "${1:-}" ]; then
      check "$N: DTB read from guest memory" $DENO /mnt/xlite/tests/golden/read_guest_dtb.ts $D $1 $(( $2 - $1 )) $O/memory.dtb
    else
      fail "$N: no devicetree segment in the xl log"
    fi
    check "$N: xl unpause" xl unpause $GN
    check "$N: guest printed its device tree" wait_for 120 console_has $GN '===DOMU-DONE'
    cp /var/log/xen/console/guest-$GN.log $O/console.log
    xl destroy $GN
  fi
  [ -n "$SIMW" ] && stop_virtio_sim
  [ -n "$DRV" ] && xl destroy $DRV
  [ -f /tmp/vdsim.log ] && mv /tmp/vdsim.log $O/virtio-backend-sim.log
done
# configs real xl must refuse: keep what xl -N and xl -vvv create say
for CFG in /mnt/xlite/tests/golden/cfg-fail/*.cfg; do
  [ "$GIC" = 3 ] && [ "$XV" = 4.17 ] || break
  N=$(basename $CFG .cfg); O=/mnt/out/fail/$N; rm -rf $O; mkdir -p $O
  GN=$(sed -n 's/^ *name *= *"\([^"]*\)".*/\1/p' $CFG)
  say "=== $N (must fail)"
  cp $CFG /etc/xen/$N.cfg
  xl -N create /etc/xen/$N.cfg > $O/xl-N.json 2> $O/xl-N.stderr; echo "rc=$?" >> $O/xl-N.stderr
  SIMW=; grep -q 'specification *= *virtio' $CFG && start_virtio_sim
  xl -vvv create -p /etc/xen/$N.cfg > $O/xl-create.log 2>&1; RC=$?
  echo "rc=$RC" > $O/xl-create.rc
  check "$N: xl create -p fails" test "$RC" != 0
  check "$N: no domain left behind" gone $GN
  xl destroy $GN 2>/dev/null
  [ -n "$SIMW" ] && stop_virtio_sim
  rm -f /tmp/vdsim.log
done
finish
