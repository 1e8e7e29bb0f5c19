#!/bin/sh
# Create scenario (one boot; Xen 4.17 or, with XLITE_TESTBED_SUITE=trixie, 4.20): guests built
# by `xlite create` — they boot (the domU prints its device tree on hvc0), xl and xlite list
# them, xl and xlite destroy them; the DTB the guest received equals xlite's dry-run DTB
# (rng-seed masked); failures at any step leave no domain and no xenstore entries; a PV disk
# served by blkback and virtio disks (backend stand-in) reach the guest; disks hot-plugged by
# xlite and by xl (block-attach) reach its blkfront with the same xenstore entries, both
# block-lists agree, and each toolstack detaches the other's disk.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/cr; mkdir -p $T
# the host's GIC, from dom0's device tree (Xen gives guests the host's GIC version)
GIC=2; cat /proc/device-tree/interrupt-controller*/compatible 2>/dev/null | tr '\0' '\n' | grep -q '^arm,gic-v3$' && GIC=3
say "host GICv$GIC (the dry-run DTBs below are made with --gic v$GIC)"
run() { n=$1; shift; "$@" > $T/$n.out 2> $T/$n.err; echo $? > $T/$n.rc; }
show() { for f in out err; do [ -s $T/$1.$f ] && sed "s/^/  $1.$f| /" $T/$1.$f; done; return 0; }
# guest_dtb <name> <file>: the DTB the guest printed on its console
guest_dtb() {
  tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n '/===FDT-BASE64-BEGIN/,/===FDT-BASE64-END/p' \
    | sed '1d;$d' | base64 -d > "$2"
}
# no_traces <domid>: nothing of the domain is left in Xen or xenstore
no_traces() {
  ! xl list "$1" >/dev/null 2>&1 && ! xenstore-exists /local/domain/$1 && ! xenstore-exists /libxl/$1 \
    && ! xenstore-ls /local/domain/0/backend 2>/dev/null | grep -q "^ *$1 = "
}
domains() { xl list | tail -n +2 | awk '{print $1, $2}'; }

say "--- plain guest: xlite create, boot, list, DTB, xl destroy"
guest_cfg c1 $T/c1.cfg xlite.hold
run create1 xlite create -v $T/c1.cfg; show create1
expect_eq "xlite create c1 exit code" "$(cat $T/create1.rc)" 0
D1=$(xl domid c1 2>/dev/null)
check "xl list shows c1" sh -c "xl list | grep -q '^c1 '"
check "c1 boots (marker on its console)" wait_for 90 console_has c1 '===DOMU-DONE'
run list1 xlite list; show list1
check "xlite list shows c1" grep -q "^c1 " $T/list1.out
run xl-list-l1 xl list -l c1; run xlite-list-l1 xlite list -l c1; show xlite-list-l1
check "xl list -l c1 reads the stored config (userdata)" grep -q '"name": "c1"' $T/xl-list-l1.out
same "xlite list -l c1 == xl list -l c1" $T/xl-list-l1.out $T/xlite-list-l1.out
guest_dtb c1 $T/c1-guest.dtb
run dtb1 xlite dtb --gic v$GIC $T/c1.cfg --domid "$D1" -o $T/c1-plan.dtb; show dtb1
xlite dtb --dump $T/c1-guest.dtb | grep -v rng-seed > $T/c1-guest.dts
xlite dtb --dump $T/c1-plan.dtb | grep -v rng-seed > $T/c1-plan.dts
check "the guest received a DTB" test -s $T/c1-guest.dtb
same "guest DTB == dry-run DTB (rng-seed masked)" $T/c1-plan.dts $T/c1-guest.dts
check "xl destroy c1" xl destroy c1
check "c1 leaves no traces" wait_for 20 no_traces "$D1"

say "--- xlite destroy of an xlite-created guest (a PV disk; disks hot-plugged and unplugged by both toolstacks)"
dd if=/dev/zero of=$T/pv2.img bs=1M count=4 2>/dev/null
guest_cfg c2 $T/c2.cfg "xlite.hold xlite.readdisk=xvda"
echo "disk = [ 'format=raw, vdev=xvda, access=rw, target=$T/pv2.img' ]" >> $T/c2.cfg
run create2 xlite create -q $T/c2.cfg; show create2
D2=$(xl domid c2 2>/dev/null)
check "c2 boots" wait_for 90 console_has c2 '===DOMU-DONE'
say "--- block-attach by xlite, block-list, block-detach by xl on c2 (its blkfront is loaded)"
dd if=/dev/zero of=$T/b1.img bs=1M count=4 2>/dev/null
dd if=/dev/zero of=$T/b2.img bs=1M count=4 2>/dev/null
# Each guest gets one hot-plugged disk: trixie's Linux 6.12 domU leaves a second hot-plugged
# vbd's frontend in state 3 (Initialised) for good, with xl alone too (probed beside xl 4.20).
connected() { test "$(xenstore-read /local/domain/0/backend/vbd/$1/$2/state 2>/dev/null)" = 4; }
fe_connected() { test "$(xenstore-read /local/domain/$1/device/vbd/$2/state 2>/dev/null)" = 4; }
both_connected() { connected $1 $2 && fe_connected $1 $2; }
detached() { ! xenstore-exists /local/domain/0/backend/vbd/$1/$2 && ! xenstore-exists /local/domain/$1/device/vbd/$2 && ! xenstore-exists /libxl/$1/device/vbd/$2; }
# vbd_nodes <domid> <image>: xvdd's backend, frontend and /libxl nodes with the domid, image,
# loop device (node), ring and event channel masked
vbd_nodes() {
  { xenstore-ls -fp /local/domain/0/backend/vbd/$1/51760; xenstore-ls -fp /local/domain/$1/device/vbd/51760
    xenstore-ls -fp /libxl/$1/device/vbd/51760; } 2>&1 | sed -E "s|$2|IMG|; s|/$1/|/D/|g; s|([nrwb])$1([,)])|\1D\2|g; s|(frontend-id) = \"$1\"|\1 = \"D\"|" \
    | sed -E 's/^(.*\/(physical-device|physical-device-path|node|ring-ref|event-channel)) = "[^"]*"/\1 = "X"/'
}
run ba-xlite xlite block-attach c2 "format=raw, vdev=xvdd, access=rw, target=$T/b1.img"; show ba-xlite
expect_eq "xlite block-attach c2 xvdd: exit code" "$(cat $T/ba-xlite.rc)" 0
check "xvdd connected: blkback and the guest's blkfront in state 4" wait_for 60 both_connected $D2 51760
vbd_nodes $D2 $T/b1.img > $T/vbd-xlite.txt
run bl-xl xl block-list c2; run bl-xlite xlite block-list c2; show bl-xlite
same "xlite block-list c2 == xl block-list c2" $T/bl-xl.out $T/bl-xlite.out
check "block-list shows xvda and xvdd (51712, 51760)" sh -c "grep -q '^51712 ' $T/bl-xl.out && grep -q '^51760 ' $T/bl-xl.out"
run bd-xl xl block-detach c2 xvdd; show bd-xl
expect_eq "xl block-detach c2 xvdd (xlite's disk): exit code" "$(cat $T/bd-xl.rc)" 0
check "xvdd leaves no xenstore entries" wait_for 20 detached $D2 51760
check "the config's PV disk (xvda) is still connected" connected $D2 51712
run destroy2 xlite destroy c2; show destroy2
expect_eq "xlite destroy c2 exit code" "$(cat $T/destroy2.rc)" 0
check "c2 leaves no traces" wait_for 20 no_traces "$D2"

say "--- vuart=sbsa_uart (vpl011 through xc_dom_vuart_init)"
guest_cfg c4 $T/c4.cfg "xlite.hold xlite.readdisk=xvda"; echo 'vuart = "sbsa_uart"' >> $T/c4.cfg
run create4 xlite create -q $T/c4.cfg; show create4
D4=$(xl domid c4 2>/dev/null)
check "c4 (vuart) boots" wait_for 90 console_has c4 '===DOMU-DONE'
check "c4: vuart ring in xenstore" xenstore-exists /local/domain/$D4/vuart/0/ring-ref
guest_dtb c4 $T/c4-guest.dtb
xlite dtb --dump $T/c4-guest.dtb | grep -v rng-seed > $T/c4-guest.dts
xlite dtb --gic v$GIC $T/c4.cfg --domid "$D4" -o $T/c4-plan.dtb
xlite dtb --dump $T/c4-plan.dtb | grep -v rng-seed > $T/c4-plan.dts
same "c4: guest DTB == dry-run DTB (sbsa-uart node)" $T/c4-plan.dts $T/c4-guest.dts
say "--- block-attach by xl, block-list, block-detach by xlite on c4 (blkfront loaded, no disk)"
run ba-xl xl block-attach c4 "format=raw, vdev=xvdd, access=rw, target=$T/b2.img"; show ba-xl
expect_eq "xl block-attach c4 xvdd: exit code" "$(cat $T/ba-xl.rc)" 0
check "xvdd connected: blkback and the guest's blkfront in state 4" wait_for 60 both_connected $D4 51760
vbd_nodes $D4 $T/b2.img > $T/vbd-xl.txt
same "block-attach: xlite's xenstore entries (c2) == xl's (c4) (values and permissions)" $T/vbd-xl.txt $T/vbd-xlite.txt
run bl-xl4 xl block-list c4; run bl-xlite4 xlite block-list c4; show bl-xlite4
same "xlite block-list c4 == xl block-list c4" $T/bl-xl4.out $T/bl-xlite4.out
run bd-xlite xlite block-detach c4 xvdd; show bd-xlite
expect_eq "xlite block-detach c4 xvdd (xl's disk): exit code" "$(cat $T/bd-xlite.rc)" 0
check "xvdd leaves no xenstore entries" wait_for 20 detached $D4 51760
cp /var/log/xen/console/guest-c2.log /var/log/xen/console/guest-c4.log /mnt/out/ 2>/dev/null
check "xl destroy c4" xl destroy c4
check "c4 leaves no traces" wait_for 20 no_traces "$D4"

say "--- failures leave nothing behind"
snap() { { domains; for d in /local/domain /libxl /vm; do echo "## $d"; xenstore-list $d 2>/dev/null; done; } > "$1"; }
settled() { snap $T/after; cmp -s $T/before $T/after; }
snap $T/before
# fails <name> <expected stderr substring> [VAR=value] xlite create <args...>
fails() {
  fn=$1; want=$2; shift 2
  run $fn env "$@"; show $fn
  expect_eq "$fn: exit code" "$(cat $T/$fn.rc)" 1
  expect_eq "$fn: one line on stderr" "$(wc -l < $T/$fn.err)" 1
  check "$fn: says '$want'" grep -q "$want" $T/$fn.err
  # a destroyed domain whose rings xenstored/xenconsoled mapped lingers until they let go
  wait_for 20 settled
  snap $T/after; same "$fn: no domain, no xenstore entries left" $T/before $T/after
}
guest_cfg f1 $T/f1.cfg
fails missing-kernel "kernel /nonexistent/Image: cannot read" xlite create -q $T/f1.cfg 'kernel="/nonexistent/Image"'
fails low-memory "memory" xlite create -q $T/f1.cfg memory=16
fails maxmem "maxmem (256 MiB) > memory (128 MiB): Xen on Arm populates all of maxmem" xlite create -q $T/f1.cfg maxmem=256
if [ "$GIC" = 3 ]; then
  fails gic-v2 "gic_version = \"v2\": the host's GIC cannot give the guest a GICv2" xlite create -q $T/f1.cfg 'gic_version="v2"'
fi
guest_cfg f12 $T/f12.cfg
printf "disk = [ " >> $T/f12.cfg
for l in a b c d e f g h i j k l; do printf "'/tmp/cr/v.img,raw,xvd$l,rw,specification=virtio', " >> $T/f12.cfg; done
echo "]" >> $T/f12.cfg
fails virtio-12 "Ran out of reserved range for Virtio MMIO IRQ 44" xlite create -q $T/f12.cfg
fails fault-populate "fault injected at step populate" XLITE_FAULT_INJECT_CREATE=populate xlite create -q $T/f1.cfg
fails fault-devices "fault injected at step devices" XLITE_FAULT_INJECT_CREATE=devices xlite create -q $T/f1.cfg

say "--- virtio disks (backend stand-in: state 1 -> 2, 5 -> 6) and a PV disk (blkback)"
dd if=/dev/zero of=$T/v.img bs=1M count=4 2>/dev/null
dd if=/dev/zero of=$T/pv.img bs=1M count=4 2>/dev/null
MARK="XLITE-PV-DISK-MARKER-$$"; printf '%s' "$MARK" | dd of=$T/pv.img conv=notrunc 2>/dev/null
rm -f /tmp/vd.fifo; mkfifo /tmp/vd.fifo
( while read -r p; do
    case $p in */backend/virtio_disk/*/*/state)
      case $(xenstore-read "$p" 2>/dev/null) in 1) xenstore-write "$p" 2 ;; 5) xenstore-write "$p" 6 ;; esac ;;
    esac
  done < /tmp/vd.fifo ) &
SIMR=$!
xenstore-watch /local/domain > /tmp/vd.fifo &
SIMW=$!
sleep 0.3
guest_cfg c3 $T/c3.cfg "xlite.hold xlite.readdisk=xvdc"
echo "disk = [ '$T/v.img,raw,xvda,rw,specification=virtio', '$T/v.img,raw,xvdb,ro,specification=virtio', 'format=raw, vdev=xvdc, access=rw, target=$T/pv.img' ]" >> $T/c3.cfg
run create3 xlite create $T/c3.cfg; show create3
expect_eq "xlite create c3 (2 virtio + 1 PV disk) exit code" "$(cat $T/create3.rc)" 0
D3=$(xl domid c3 2>/dev/null)
check "c3 boots" wait_for 90 console_has c3 '===DOMU-DONE'
guest_dtb c3 $T/c3-guest.dtb
xlite dtb --dump $T/c3-guest.dtb > $T/c3-guest.dts
check "the guest's DT: virtio@2000000, virtio,mmio, SPI 1 (IRQ 33)" sh -c "grep -A3 'virtio@2000000 {' $T/c3-guest.dts | tr -d '\t\n' | grep -q 'compatible = \"virtio,mmio\";reg = <0x00 0x2000000 0x00 0x200>;interrupts = <0x00 0x01 0xf01>;'"
check "the guest's DT: virtio@2000200, virtio,mmio, SPI 2 (IRQ 34)" sh -c "grep -A3 'virtio@2000200 {' $T/c3-guest.dts | tr -d '\t\n' | grep -q 'compatible = \"virtio,mmio\";reg = <0x00 0x2000200 0x00 0x200>;interrupts = <0x00 0x02 0xf01>;'"
xlite dtb --gic v$GIC $T/c3.cfg --domid "$D3" -o $T/c3-plan.dtb
xlite dtb --dump $T/c3-plan.dtb | grep -v rng-seed > $T/c3-plan.dts
grep -v rng-seed $T/c3-guest.dts > $T/c3-guest-masked.dts
same "c3: guest DTB == dry-run DTB (rng-seed masked)" $T/c3-plan.dts $T/c3-guest-masked.dts
expect_eq "PV disk: blkback state is 4 (Connected)" "$(xenstore-read /local/domain/0/backend/vbd/$D3/51744/state 2>/dev/null)" 4
check "PV disk: the guest read the marker from xvdc (blkfront <-> blkback)" console_has c3 "===DISK xvdc $MARK"
check "PV disk: blkback opened the image (physical-device set by the hotplug script)" xenstore-exists /local/domain/0/backend/vbd/$D3/51744/physical-device

run destroy3 xlite destroy c3; show destroy3
check "c3 leaves no traces" wait_for 30 no_traces "$D3"
kill $SIMW $SIMR 2>/dev/null; wait $SIMW $SIMR 2>/dev/null

finish
