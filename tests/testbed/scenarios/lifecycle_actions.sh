#!/bin/sh
# Lifecycle actions (issue 12 §1): what happens when a guest of `xlite create` powers off,
# reboots or crashes, compared with xl on the same configs (xl's child logs to
# /var/log/xen/xl-<name>.log, xlite's watcher to /var/log/xen/xlite-<name>.log; domids,
# pids and the preserve time masked): on_poweroff=destroy, on_poweroff=preserve,
# on_reboot=restart after `xlite reboot` (new domid, same config and disk),
# on_reboot=rename-restart, `create -F`, a guest crashing in a loop (on_crash=restart; the
# watcher survives and keeps one pid), on_crash=coredump-destroy (a core in /var/lib/xen/dump
# as xl's), the watcher's RSS with 1..4 guests, and the watcher gone once no guest is left.
# On this testbed xl 4.17's own re-create after a guest reboot fails (libxc cannot map the new
# guest's pages); its lines are then compared up to "Done. Rebooting now".
. /mnt/xlite/tests/testbed/scenarios/lib.sh
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
T=/tmp/la; mkdir -p $T
run() { n=$1; shift; "$@" > $T/$n.out 2> $T/$n.err; echo $? > $T/$n.rc; }
show() { for f in out err; do [ -s $T/$1.$f ] && sed "s/^/  $1.$f| /" $T/$1.$f; done; return 0; }
mask() {
  sed -E 's/\(domid [0-9]+\)/(domid N)/; s/^Domain [0-9]+ /Domain N /; s/\[pid [0-9]+\]/[pid P]/;
    s/domain [0-9]+ /domain N /; s/suffix-[0-9]{8}T[0-9]{4}Z/suffix-T/'
}
xllog() { mask < /var/log/xen/xl-$1.log; }
ylog() { mask < /var/log/xen/xlite-$1.log; }
haslog() { grep -q "$2" /var/log/xen/$1.log 2>/dev/null; }
wpid() { cat /run/xlite/watch.pid 2>/dev/null; }
alive() { [ -n "$1" ] && [ -d /proc/$1 ]; }
rss() { echo "$(awk '/^VmRSS/ {print $2}' /proc/$1/status 2>/dev/null) kB (PSS $(awk '/^Pss:/ {print $2}' /proc/$1/smaps_rollup 2>/dev/null))"; }
state() { xl list "$1" 2>/dev/null | awk 'NR == 2 {print $5}'; }
running() { xl domid "$1" >/dev/null 2>&1 && ! state "$1" | grep -q s; }
domid_not() { _d=$(xl domid "$1" 2>/dev/null) && [ "$_d" != "$2" ] && running "$1"; }
count() { n=$(cat /var/log/xen/$1.log 2>/dev/null | grep -c "$2"); echo "${n:-0}"; }
# xl_restarted <name>: xl's child re-created the guest (2nd "Waiting for") or gave up
xl_restarted() { [ "$(count xl-$1 '^Waiting for')" -ge 2 ] || haslog xl-$1 'cannot (re-)build'; }
# compare_restart <name> <description>: xlite's log against xl's, up to xl's failure if any
compare_restart() {
  if haslog xl-$1 'cannot (re-)build'; then
    say "xl 4.17 could not re-create $1: $(grep -m1 'xc: error' /var/log/xen/xl-$1.log)"
    head -5 $T/xl-$1 > $T/a; head -5 $T/y-$1 > $T/b
    same "$2: xlite's log == xl's (up to xl's failed re-create)" $T/a $T/b
  else
    same "$2: xlite's log == xl's" $T/xl-$1 $T/y-$1
  fi
}

# The crash helper starts now (deno is slow under TCG); it waits for xc, then yc, by name.
/mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json \
  /mnt/xlite/tests/testbed/scenarios/crash_guest.ts xc 3 yc 3 xd 1 yd 1 > $T/crash.out 2>&1 &
CRASHER=$!

say "--- a guest that holds keeps the watcher up"
guest_cfg gk /tmp/gk.cfg xlite.hold
run create-gk xlite create -q /tmp/gk.cfg; show create-gk
expect_eq "xlite create gk exit code" "$(cat $T/create-gk.rc)" 0
check "the watcher runs (pid file names a live process)" wait_for 120 sh -c 'd=$(cat /run/xlite/watch.pid 2>/dev/null) && [ -d /proc/$d ]'
W=$(wpid)
check "the watcher greeted gk" wait_for 60 haslog xlite-gk "Waiting for domain gk"
say "watcher RSS with 1 guest: $(rss $W)"

say "--- on_poweroff=destroy, xl then xlite"
guest_cfg ga /tmp/ga.cfg xlite.linger=2
xl create -q /tmp/ga.cfg; check "xl: ga powered off and destroyed" wait_for 60 gone ga
run create-ga xlite create -q /tmp/ga.cfg
expect_eq "xlite create ga exit code" "$(cat $T/create-ga.rc)" 0
check "xlite: ga powered off and destroyed by the watcher" wait_for 90 sh -c '! xl domid ga >/dev/null 2>&1 && grep -q "Exiting now" /var/log/xen/xlite-ga.log'
xllog ga > $T/xl-ga; ylog ga > $T/y-ga; sed 's/^/  xlite-ga.log| /' $T/y-ga
same "on_poweroff=destroy: xlite's log == xl's" $T/xl-ga $T/y-ga

say "--- on_poweroff=preserve"
guest_cfg gs /tmp/gs.cfg xlite.linger=2; sed -i 's/^on_poweroff.*/on_poweroff = "preserve"/' /tmp/gs.cfg
xl create -q /tmp/gs.cfg; check "xl: gs preserved" wait_for 60 haslog xl-gs "Exiting now"
xllog gs > $T/xl-gs; xl destroy gs
run create-gs xlite create -q /tmp/gs.cfg
check "xlite: gs shut down and the watch ended" wait_for 90 haslog xlite-gs "Exiting now"
check "xlite: gs is kept, shut down" sh -c "xl list gs | awk 'NR == 2 {print \$5}' | grep -q s"
ylog gs > $T/y-gs; same "on_poweroff=preserve: xlite's log == xl's" $T/xl-gs $T/y-gs
xl destroy gs

say "--- on_reboot=restart after a reboot: new domid, same config and disk"
dd if=/dev/zero of=/tmp/gb.img bs=1M count=4 2>/dev/null
guest_cfg gb /tmp/gb.cfg xlite.hold
echo "disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/gb.img' ]" >> /tmp/gb.cfg
xl create -q /tmp/gb.cfg; XB=$(xl domid gb)
check "xl: gb booted" wait_for 60 console_has gb DOMU-DONE
xl reboot gb; check "xl: gb's child re-created gb or gave up" wait_for 60 xl_restarted gb
xl destroy gb 2>/dev/null; sleep 2
xllog gb > $T/xl-gb; rm -f /var/log/xen/console/guest-gb.log
run create-gb xlite create -q /tmp/gb.cfg; B1=$(xl domid gb)
check "xlite: gb booted" wait_for 60 console_has gb DOMU-DONE
run list1 xlite list -l gb; xl block-list gb | tail -n +2 | sed "s/ $B1 / N /; s#/$B1/#/N/#" > $T/blk1
say "watcher RSS with 2 guests: $(rss $W)"
run reboot-gb xlite reboot -w gb; show reboot-gb
expect_eq "xlite reboot -w exit code" "$(cat $T/reboot-gb.rc)" 0
printf 'Rebooting domain %s\nWaiting for 1 domains\nDomain %s has been shut down, reason code 1\n' $B1 $B1 > $T/want
same "xlite reboot -w prints xl's lines" $T/want $T/reboot-gb.err
check "xlite: gb came back with a new domid" wait_for 120 domid_not gb $B1
B2=$(xl domid gb); say "gb: domid $B1 -> $B2"
check "xlite: the new gb booted" wait_for 60 sh -c "[ \$(grep -c DOMU-DONE /var/log/xen/console/guest-gb.log) -ge 2 ]"
run list2 xlite list -l gb; xl block-list gb | tail -n +2 | sed "s/ $B2 / N /; s#/$B2/#/N/#" > $T/blk2
sed "s/\"domid\": $B1,/\"domid\": N,/" $T/list1.out > $T/a; sed "s/\"domid\": $B2,/\"domid\": N,/" $T/list2.out > $T/b
same "the restarted gb has the same stored config (xlite list -l, domid masked)" $T/a $T/b
same "the restarted gb has the same disk (xl block-list, domid masked)" $T/blk1 $T/blk2
xl destroy gb; check "xlite: the watch of gb ended" wait_for 60 haslog xlite-gb "has been destroyed"
ylog gb > $T/y-gb; sed 's/^/  xlite-gb.log| /' $T/y-gb
compare_restart gb "on_reboot=restart"

say "--- on_reboot=rename-restart"
guest_cfg gr /tmp/gr.cfg xlite.hold; echo 'on_reboot = "rename-restart"' >> /tmp/gr.cfg
xl create -q /tmp/gr.cfg; XR=$(xl domid gr)
check "xl: gr booted" wait_for 60 console_has gr DOMU-DONE
xl reboot gr; check "xl: gr's child re-created gr or gave up" wait_for 60 xl_restarted gr
check "xl: the old gr was renamed gr-<UTC time>" sh -c "xl list | grep -qE '^gr-[0-9]{8}T[0-9]{4}Z +$XR '"
xl destroy gr 2>/dev/null; sleep 2
xllog gr > $T/xl-gr; xl destroy $XR; rm -f /var/log/xen/console/guest-gr.log
run create-gr xlite create -q /tmp/gr.cfg; R1=$(xl domid gr)
check "xlite: gr booted" wait_for 60 console_has gr DOMU-DONE
xl reboot gr; check "xlite: gr came back with a new domid" wait_for 120 domid_not gr $R1
xl list | grep '^gr' > $T/y-gr-list; sed 's/^/  /' $T/y-gr-list
check "xlite: the old gr was renamed gr-<UTC time>" grep -qE "^gr-[0-9]{8}T[0-9]{4}Z +$R1 " $T/y-gr-list
expect_eq "xlite: two domains named gr* (the renamed one and the new gr)" "$(wc -l < $T/y-gr-list)" 2
xl destroy gr; check "xlite: the watch of gr ended" wait_for 60 haslog xlite-gr "has been destroyed"
ylog gr > $T/y-gr; compare_restart gr "on_reboot=rename-restart"
xl destroy $R1

say "--- create -F stays until the guest is gone"
guest_cfg gf /tmp/gf.cfg xlite.linger=2
xl create -F /tmp/gf.cfg > $T/xl-F.out 2> $T/xl-F.err; echo $? > $T/xl-F.rc
run create-F xlite create -F /tmp/gf.cfg; show create-F
expect_eq "xlite create -F exit code (xl's: $(cat $T/xl-F.rc))" "$(cat $T/create-F.rc)" "$(cat $T/xl-F.rc)"
check "gf is gone when xlite create -F returns" gone gf
mask < $T/xl-F.err > $T/a; mask < $T/create-F.err > $T/b
same "xlite create -F's lines == xl create -F's" $T/a $T/b

say "--- a guest crashing in a loop (on_crash=restart)"
guest_cfg xc /tmp/xc.cfg xlite.hold; sed -i 's/^on_crash.*/on_crash = "restart"/' /tmp/xc.cfg
sed 's/"xc"/"yc"/' /tmp/xc.cfg > /tmp/yc.cfg
xl create -q /tmp/xc.cfg
check "xl: xc crashed 3 times" wait_for 240 sh -c '[ "$(grep -c "reason code 3 0x3" /var/log/xen/xl-xc.log)" -ge 3 ]'
check "xl: xc back after its 3rd crash" wait_for 60 sh -c '[ "$(grep -c "^Waiting for" /var/log/xen/xl-xc.log)" -ge 4 ]'
XP=$(sed -n 's/.*\[pid \([0-9]*\)\].*/\1/p' /var/log/xen/xl-xc.log | tail -1)
say "xl's child for xc (pid $XP) RSS: $(rss $XP)"
xl destroy xc; check "xl: the watch ended" wait_for 20 haslog xl-xc "has been destroyed"
run create-yc xlite create -q /tmp/yc.cfg
say "watcher RSS with 2 guests (gk, yc): $(rss $W)"
check "xlite: yc crashed 3 times" wait_for 300 sh -c '[ "$(cat /var/log/xen/xlite-yc.log 2>/dev/null | grep -c "reason code 3 0x3")" -ge 3 ]'
check "xlite: yc back after its 3rd crash" wait_for 120 sh -c '[ "$(cat /var/log/xen/xlite-yc.log 2>/dev/null | grep -c "^Waiting for")" -ge 4 ] && xl domid yc >/dev/null'
sed 's/^/  /' $T/crash.out
expect_eq "the watcher survived the crash loop (same pid)" "$(wpid)" "$W"
check "the watcher process is alive" alive $W
xl destroy yc; check "xlite: the watch of yc ended" wait_for 60 haslog xlite-yc "has been destroyed"
xllog xc | sed 's/xc/NAME/' > $T/xl-xc; ylog yc | sed 's/yc/NAME/' > $T/y-yc
sed 's/^/  xlite-yc.log| /' $T/y-yc
same "on_crash=restart loop: xlite's log == xl's (names masked)" $T/xl-xc $T/y-yc

say "--- on_crash=coredump-destroy: a core in /var/lib/xen/dump, as xl's"
mkdir -p /var/lib/xen/dump
guest_cfg xd /tmp/xd.cfg xlite.hold; sed -i 's/^on_crash.*/on_crash = "coredump-destroy"/' /tmp/xd.cfg
sed 's/"xd"/"yd"/' /tmp/xd.cfg > /tmp/yd.cfg
xl create -q /tmp/xd.cfg
check "xl: xd crashed, dumped and destroyed" wait_for 180 haslog xl-xd "Exiting now"
XSIZE=$(wc -c < /var/lib/xen/dump/xd 2>/dev/null); rm -f /var/lib/xen/dump/xd
run create-yd xlite create -q /tmp/yd.cfg
check "xlite: yd crashed, dumped and destroyed" wait_for 240 haslog xlite-yd "Exiting now"
check "yd is gone" gone yd
YSIZE=$(wc -c < /var/lib/xen/dump/yd 2>/dev/null)
say "cores: xl's $XSIZE bytes, xlite's $YSIZE bytes ($(head -c 4 /var/lib/xen/dump/yd 2>/dev/null | tail -c 3))"
check "xlite wrote an ELF core" sh -c 'head -c 4 /var/lib/xen/dump/yd | grep -q ELF'
expect_eq "xlite's core is as large as xl's" "$YSIZE" "$XSIZE"
rm -f /var/lib/xen/dump/yd
xllog xd | sed 's/xd/NAME/g' > $T/xl-xd; ylog yd | sed 's/yd/NAME/g' > $T/y-yd
sed 's/^/  xlite-yd.log| /' $T/y-yd
same "on_crash=coredump-destroy: xlite's log == xl's (names masked)" $T/xl-xd $T/y-yd
kill $CRASHER 2>/dev/null

say "--- the watcher's RSS with 4 guests"
for g in m1 m2 m3; do guest_cfg $g /tmp/$g.cfg xlite.hold; done
run create-m xlite create -q /tmp/m1.cfg
xlite create -q /tmp/m2.cfg; xlite create -q /tmp/m3.cfg
check "the watcher greeted m1..m3" wait_for 60 haslog xlite-m3 Waiting
say "watcher RSS with 4 guests (gk, m1, m2, m3): $(rss $W); records: $(ls /run/xlite/watch | tr '\n' ' ')"
want=$(for g in gk m1 m2 m3; do echo "$(xl domid $g).json"; done | sort | tr '\n' ' ')
expect_eq "the watcher's records: exactly xlite's 4 guests (none of xl's)" "$(ls /run/xlite/watch | sort | tr '\n' ' ')" "$want"

say "--- the watcher exits once no guest is left"
for g in m1 m2 m3 gk; do xl destroy $g; done
check "the watcher has gone" wait_for 60 sh -c "! [ -d /proc/$W ]"
check "no pid file left" test ! -e /run/xlite/watch.pid
sed 's/^/  xlite-watch.log| /' /var/log/xen/xlite-watch.log
finish
