#!/bin/sh
# testbed-dtb: passthrough
# Passthrough scenario (one boot, issue 13): QEMU virt's pl031 RTC is marked xen,passthrough in
# the host tree (run.sh), so dom0 leaves it alone; a guest created by `xlite create` with
# iomem + irqs + device_tree for it binds rtc-pl031, reads the RTC and gets its alarm
# interrupt; the same config under `xl create` gives the same guest DTB (rng-seed masked) and
# the same behaviour; bad input (an IRQ dom0 uses, a partial tree
# without /passthrough, dtdev without an IOMMU) fails under both with xl's text and leaves
# nothing; iomem of the host GIC is accepted by both. The partial trees are tests/testbed/passthrough/*.dts, compiled by run.sh into
# /mnt/out/dts.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/pt; mkdir -p $T
DTS=/mnt/out/dts
GIC=2; cat /proc/device-tree/interrupt-controller*/compatible 2>/dev/null | tr '\0' '\n' | grep -q '^arm,gic-v3$' && GIC=3
run() { n=$1; shift; "$@" > $T/$n.out 2> $T/$n.err; echo $? > $T/$n.rc; }
show() { for f in out err; do [ -s $T/$1.$f ] && sed "s/^/  $1.$f| /" $T/$1.$f; done; return 0; }
guest_dtb() {
  tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n '/===FDT-BASE64-BEGIN/,/===FDT-BASE64-END/p' \
    | sed '1d;$d' | base64 -d > "$2"
}
# marker <guest> <NAME>: the text of the guest's ===NAME ...=== line
marker() { tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n "s/^===$2 \(.*\)===\$/\1/p" | tail -1; }
only_dom0() { [ "$(xl list | tail -n +2 | awk '{print $1}' | tr '\n' ' ')" = "Domain-0 " ] &&
  [ "$(xenstore-list /local/domain | tr '\n' ' ')" = "0 " ]; }
# pt_cfg <file> <extra kernel args> <lines...>: the busybox guest "pt" with extra config lines
pt_cfg() { f=$1; a=$2; shift 2; guest_cfg pt "$f" "$a"; for l in "$@"; do echo "$l" >> "$f"; done; }
# destroy_all: destroys every guest (a bad input a toolstack accepted)
destroy_all() { for d in $(xl list | tail -n +3 | awk '{print $2}'); do xl destroy "$d"; done; }
# irq_count <line>: the sum of the per-CPU counts of a /proc/interrupts line
irq_count() { echo "$1" | awk '{s=0; for (i=2;i<=NF;i++) { if ($i ~ /^[0-9]+$/) s+=$i; else break }; print s}'; }

say "--- host tree: /pl031@9010000 is xen,passthrough"
# Xen drops the property from dom0's copy and disables the node instead (domain_build.c)
expect_eq "dom0's tree has the pl031 disabled" \
  "$(tr -d '\0' < /proc/device-tree/pl031@9010000/status 2>&1)" disabled
check "dom0 did not bind the pl031 (no rtc0 in dom0)" sh -c '! test -e /sys/class/rtc/rtc0'

GOOD="iomem = [ \"0x9010,1\" ]|irqs = [ 34 ]|device_tree = \"$DTS/pl031.dtb\""
IFS='|'; set -- $GOOD; unset IFS
pt_cfg $T/pt.cfg "xlite.rtc xlite.hold" "$@"
sed 's/^/  pt.cfg| /' $T/pt.cfg

say "--- dry run: the merged tree"
run plan xlite dtb --gic v$GIC $T/pt.cfg -o $T/plan.dtb; show plan
xlite dtb --dump $T/plan.dtb | grep -v rng-seed > $T/plan.dts
check "the dry-run tree has /passthrough/pl031@9010000 and /aliases" \
  sh -c "grep -q 'pl031@9010000 {' $T/plan.dts && grep -q 'rtc0 = \"/passthrough/pl031@9010000\"' $T/plan.dts"

# boot_pt <toolstack> <tag>: create "pt" with the toolstack, read what the guest saw, destroy it
boot_pt() {
  say "--- $1 create: iomem + irqs + device_tree for the pl031"
  rm -f /var/log/xen/console/guest-pt.log
  run create-$2 $1 create $T/pt.cfg; show create-$2
  expect_eq "$1 create exit code" "$(cat $T/create-$2.rc)" 0
  check "$2: the guest boots" wait_for 120 console_has pt '===DOMU-DONE'
  guest_dtb pt $T/$2.dtb
  xlite dtb --dump $T/$2.dtb | grep -v rng-seed > $T/$2.dts
  for m in RTC-NAME RTC-DRIVER RTC-TIME RTC-IRQ-BEFORE RTC-IRQ-AFTER RTC-ALARM-LEFT; do
    echo "$(marker pt $m)" > $T/$2.$m; say "$2 $m: $(cat $T/$2.$m)"
  done
  expect_eq "$2: rtc0 is bound by the rtc-pl031 driver" "$(cat $T/$2.RTC-DRIVER)" rtc-pl031
  check "$2: the RTC reads a time (seconds since the epoch > 0)" \
    sh -c "[ \"\$(cut -d' ' -f1 $T/$2.RTC-TIME)\" -gt 0 ] 2>/dev/null"
  before=$(irq_count "$(cat $T/$2.RTC-IRQ-BEFORE)"); after=$(irq_count "$(cat $T/$2.RTC-IRQ-AFTER)")
  check "$2: the alarm interrupt was delivered (count $before -> $after)" \
    sh -c "[ -n '$after' ] && [ '$after' -gt '${before:-0}' ]"
  expect_eq "$2: the alarm fired (wakealarm cleared)" "$(cat $T/$2.RTC-ALARM-LEFT)" "[]"
  cp /var/log/xen/console/guest-pt.log /mnt/out/guest-pt-$2.log 2>/dev/null
  check "$2: xl destroy" xl destroy pt
  check "$2: nothing left" wait_for 20 only_dom0
}
boot_pt xlite xlite
same "guest DTB (xlite create) == dry-run DTB (rng-seed masked)" $T/plan.dts $T/xlite.dts
boot_pt xl xl
same "guest DTB: xlite create == xl create (rng-seed masked)" $T/xl.dts $T/xlite.dts
cp $T/xl.dts $T/xlite.dts $T/plan.dts /mnt/out/ 2>/dev/null

# bad <tag> <text> <config lines...>: xl and xlite both refuse, both say <text>, nothing is left
bad() {
  tag=$1; text=$2; shift 2
  pt_cfg $T/$tag.cfg "" "$@"
  say "--- bad input: $tag"
  run $tag-xl xl create $T/$tag.cfg; destroy_all; run $tag-xlite xlite create $T/$tag.cfg
  show $tag-xl; show $tag-xlite
  check "$tag: xl create fails" sh -c "[ \$(cat $T/$tag-xl.rc) != 0 ]"
  check "$tag: xlite create fails" sh -c "[ \$(cat $T/$tag-xlite.rc) != 0 ]"
  check "$tag: xl says '$text'" grep -qF "$text" $T/$tag-xl.err
  check "$tag: xlite says '$text'" grep -qF "$text" $T/$tag-xlite.err
  destroy_all
  check "$tag: nothing left" wait_for 20 only_dom0
}
say "--- iomem of the host GIC distributor (0x08000000): Xen lets dom0 hand it out (seen in the testbed)"
pt_cfg $T/gic.cfg "" 'iomem = [ "0x8000,1@0x9010" ]'
run gic-xl xl create -p $T/gic.cfg; destroy_all; run gic-xlite xlite create -p $T/gic.cfg; destroy_all
show gic-xl; show gic-xlite
expect_eq "gic: xl and xlite exit codes agree" "$(cat $T/gic-xlite.rc)" "$(cat $T/gic-xl.rc)"
check "gic: nothing left" wait_for 20 only_dom0
# an SPI routed to dom0 (one of its virtio-mmio transports)
DOM0IRQ=$(awk '/virtio/ { for (i = 1; i < NF; i++) if ($i ~ /^GIC/) { print $(i + 1); exit } }' /proc/interrupts)
say "dom0's virtio IRQ: ${DOM0IRQ:-none found}"
if [ -n "$DOM0IRQ" ]; then
  bad irq-of-dom0 "failed give domain access to irq $DOM0IRQ" "irqs = [ $DOM0IRQ ]"
else
  fail "no dom0 virtio IRQ found in /proc/interrupts"; cat /proc/interrupts
fi
bad no-passthrough-node 'Can'"'"'t copy the node "/passthrough" from the partial FDT' \
  "device_tree = \"$DTS/nopassthrough.dtb\""
bad dtdev-no-iommu "passthrough not supported on this platform" 'dtdev = [ "/pl061@9030000" ]'

say "--- iomem over the guest's RAM: xlite refuses before any hypercall; xl (informational)"
pt_cfg $T/ram.cfg "" 'iomem = [ "0x9010,1@0x40000" ]'
run ram-xlite xlite create $T/ram.cfg; show ram-xlite
check "ram: xlite refuses" grep -q "overlaps the guest's RAM bank 0" $T/ram-xlite.err
run ram-xl xl create $T/ram.cfg; show ram-xl
say "ram: xl create exit code $(cat $T/ram-xl.rc) (informational: libxl 4.17 does not check)"
destroy_all
check "ram: nothing left" wait_for 20 only_dom0
finish
