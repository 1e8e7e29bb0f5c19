#!/bin/sh
# testbed-suite: trixie
# Xen 4.20 scenario (one boot of the Debian trixie testbed: Xen 4.20, Linux 6.12, xl 4.20):
# xlite reads the hypervisor's version and follows 4.20's rules (dry-run default, hypercall
# structs); the same config with 4.20 features (a generic virtio device, a virtio disk with
# grant_usage, nr_spis) made by `xl create -p` and by `xlite create -p` gives the guest the same
# device tree (the guests' /sys/firmware/fdt: Linux NOPs rng-seed) and the same xenstore
# entries (values and permissions; domid, uuid and start time masked); xl and xlite list,
# pause, unpause and destroy each other's guests; tee = "ffa" on a hypervisor built without a
# TEE mediator (Debian's) fails in one line and leaves nothing. The lifecycle, create and
# console_xenstore scenarios run on 4.20 in the same boot after it (xen420_test.ts:
# run.sh xen420+lifecycle+create+console_xenstore; they have no suite line of their own).
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/x420; mkdir -p $T
run() { n=$1; shift; "$@" > $T/$n.out 2> $T/$n.err; echo $? > $T/$n.rc; }
show() { for f in out err; do [ -s $T/$1.$f ] && sed "s/^/  $1.$f| /" $T/$1.$f; done; return 0; }
guest_dtb() {
  tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n '/===FDT-BASE64-BEGIN/,/===FDT-BASE64-END/p' \
    | sed '1d;$d' | base64 -d > "$2"
}
GIC=2; cat /proc/device-tree/interrupt-controller*/compatible 2>/dev/null | tr '\0' '\n' | grep -q '^arm,gic-v3$' && GIC=3

say "--- the hypervisor's version"
MAJ=$(xl info | sed -n 's/^xen_major *: //p'); MIN=$(xl info | sed -n 's/^xen_minor *: //p')
say "xl info: Xen $MAJ.$MIN$(xl info | sed -n 's/^xen_extra *: //p')"
expect_eq "Linux shows the hypervisor's version" "$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)" "$MAJ.$MIN"
guest_cfg v0 $T/v0.cfg
run dry xlite create --dry-run $T/v0.cfg
expect_eq "the dry run defaults to the host's Xen" "$(head -1 $T/dry.out)" "# xlite create --dry-run (emulating Xen $MAJ.$MIN)"

# a virtio backend stand-in: answers state 1 with 2 and 5 with 6 for virtio_disk and generic virtio
rm -f /tmp/vd.fifo; mkfifo /tmp/vd.fifo
( while read -r p; do
    case $p in */backend/virtio_disk/*/*/state|*/backend/virtio/*/*/state)
      case $(xenstore-read "$p" 2>/dev/null) in 1) xenstore-write "$p" 2 ;; 5) xenstore-write "$p" 6 ;; esac ;;
    esac
  done < /tmp/vd.fifo ) &
SIMR=$!
xenstore-watch /local/domain > /tmp/vd.fifo &
SIMW=$!
sleep 0.3

# snapshot <domid>: the domain's xenstore entries, sorted; domid, uuid, start time and the
# console's pty (the second guest gets the next one) masked
snapshot() {
  d=$1; vm=$(xenstore-read /local/domain/$d/vm); u=${vm#/vm/}
  { xenstore-ls -fp /local/domain/$d; xenstore-ls -fp /local/domain/0/backend | grep "/backend/[^/]*/$d[/ ]"
    xenstore-ls -fp /libxl/$d; xenstore-ls -fp $vm; } 2>&1 | grep -v '/local/domain/0/backend/.*/[0-9]*/[0-9]*/state \|start_time' \
    | sed -E "s|$u|UUID|g; s|/$d/|/D/|g; s|/$d |/D |g; s|([nrwb])$d([,)])|\1D\2|g; s|-$d\"|-D\"|" \
    | sed -E "s#(/domid|/frontend-id) = \"$d\"#\1 = \"D\"#; s#(/console/tty) = \".*\"#\1 = \"PTY\"#" \
    | sort  # values and permissions, not the order the nodes were made in
}
dd if=/dev/zero of=/tmp/d1.img bs=1M count=8 2>/dev/null
sed 's/^name = .*/name = "gx"/' /mnt/xlite/tests/golden/4.20/cfg/virtio-generic.cfg > $T/gx.cfg
sed 's/^name = .*/name = "gy"/' /mnt/xlite/tests/golden/4.20/cfg/virtio-generic.cfg > $T/gy.cfg
echo 'extra = "console=hvc0 rdinit=/init xlite.hold"' >> $T/gx.cfg
echo 'extra = "console=hvc0 rdinit=/init xlite.hold"' >> $T/gy.cfg

say "--- 4.20 features: xl create -p vs xlite create -p"
run xl-create xl create -q -p $T/gx.cfg; show xl-create
expect_eq "xl create -p gx (virtio=[...], grant_usage, nr_spis)" "$(cat $T/xl-create.rc)" 0
DX=$(xl domid gx 2>/dev/null)
snapshot "$DX" | sed 's/"gx"/"NAME"/; s/gx\.cfg/NAME.cfg/' > $T/xs-xl.txt
run xlite-create xlite create -q -p $T/gy.cfg; show xlite-create
expect_eq "xlite create -p gy (the same config)" "$(cat $T/xlite-create.rc)" 0
DY=$(xl domid gy 2>/dev/null)
snapshot "$DY" | sed 's/"gy"/"NAME"/; s/gy\.cfg/NAME.cfg/' > $T/xs-xlite.txt
same "xenstore: xlite's entries == xl 4.20's (values and permissions)" $T/xs-xl.txt $T/xs-xlite.txt

say "--- list, pause, unpause across toolstacks"
run xl-list xl list; run xlite-list xlite list; show xlite-list
notime < $T/xl-list.out > $T/a; notime < $T/xlite-list.out > $T/b
same "xlite list == xl list (Time(s) masked)" $T/a $T/b
run xl-list-l xl list -l gy; run xlite-list-l xlite list -l gy
same "xlite list -l gy == xl list -l gy" $T/xl-list-l.out $T/xlite-list-l.out
check "xlite unpause gx (xl's guest)" xlite unpause gx
check "xl unpause gy (xlite's guest)" xl unpause gy
check "gx boots" wait_for 120 console_has gx '===DOMU-DONE'
check "gy boots" wait_for 120 console_has gy '===DOMU-DONE'
guest_dtb gx $T/gx.dtb; guest_dtb gy $T/gy.dtb
check "the guest received a DTB" test -s $T/gy.dtb
same "DTB: xlite's guest == xl 4.20's guest, byte for byte (rng-seed NOP-ed by Linux)" $T/gx.dtb $T/gy.dtb
xlite dtb --dump $T/gy.dtb > $T/gy.dts
check "the guest's DT has the generic virtio device (virtio@2000200)" grep -q 'virtio@2000200 {' $T/gy.dts
check "xlite pause gx" xlite pause gx
check "xl list shows gx paused" sh -c "xl list gx | tail -1 | grep -q ' ..p... '"
check "xl pause gy" xl pause gy
check "xlite list shows gy paused" sh -c "xlite list gy | tail -1 | grep -q ' ..p... '"
check "xlite destroy gx (xl's guest)" xlite destroy gx
check "xl destroy gy (xlite's guest)" xl destroy gy
both_gone() { gone gx && gone gy; }
check "both gone" wait_for 20 both_gone

say "--- tee = \"ffa\" on a Xen without a TEE mediator"
guest_cfg tf $T/tf.cfg; echo 'tee = "ffa"' >> $T/tf.cfg
run ffa xlite create -q $T/tf.cfg; show ffa
expect_eq "tee=ffa: exit 1" "$(cat $T/ffa.rc)" 1
expect_eq "tee=ffa: one line" "$(wc -l < $T/ffa.err)" 1
check "tee=ffa: says the hypervisor has no FF-A mediator" grep -q 'tee = "ffa": this hypervisor has no FF-A mediator' $T/ffa.err
check "tee=ffa: no domain left" gone tf
run xl-ffa xl create -q $T/tf.cfg; show xl-ffa
check "xl create refuses it too" test "$(cat $T/xl-ffa.rc)" != 0
kill $SIMW $SIMR 2>/dev/null; wait $SIMW $SIMR 2>/dev/null

finish
