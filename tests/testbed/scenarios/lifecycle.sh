#!/bin/sh
# Lifecycle scenario (one boot): domains made by `xl create`, driven by xlite's list / pause /
# unpause / shutdown / destroy and compared with what xl prints and does.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/lc; mkdir -p $T
# run <name> <cmd...>: stdout -> $T/<name>.out, stderr -> $T/<name>.err, exit code -> $T/<name>.rc
run() { n=$1; shift; "$@" > $T/$n.out 2> $T/$n.err; echo $? > $T/$n.rc; }
show() { for f in out err; do [ -s $T/$1.$f ] && sed "s/^/  $1.$f| /" $T/$1.$f; done; return 0; }

guest_cfg g1 /tmp/g1.cfg xlite.hold
check "xl create -p g1" xl create -q -p /tmp/g1.cfg
D1=$(xl domid g1)

say "--- list"
run xl-list xl list; run xlite-list xlite list; show xlite-list
notime < $T/xl-list.out > $T/a; notime < $T/xlite-list.out > $T/b
same "xlite list == xl list (Time(s) masked)" $T/a $T/b
expect_eq "xlite list exit code" "$(cat $T/xlite-list.rc)" 0
run xl-list-v xl list -v g1; run xlite-list-v xlite list -v g1
notime < $T/xl-list-v.out > $T/a; notime < $T/xlite-list-v.out > $T/b
same "xlite list -v g1 == xl list -v g1" $T/a $T/b
run xl-list-l xl list -l; run xlite-list-l xlite list -l; show xlite-list-l
same "xlite list -l == xl list -l (Domain-0 and g1)" $T/xl-list-l.out $T/xlite-list-l.out
run xlite-json xlite list --json
check "xlite list --json names g1 with its domid" grep -q "\"domid\": $D1," $T/xlite-json.out
check "xlite list --json: g1 is paused" sh -c "grep -A8 '\"name\": \"g1\"' $T/xlite-json.out | grep -q '\"paused\": true'"

say "--- unpause / pause"
check "xlite unpause g1" xlite unpause g1
check "g1 boots (xlite unpause really unpaused it)" wait_for 60 console_has g1 '===DOMU-DONE'
check "xlite pause g1" xlite pause g1
run xl-list-p xl list g1; show xl-list-p
check "xl list shows g1 paused" grep -q 'g1 .* ..p...  ' $T/xl-list-p.out
check "xlite unpause $D1 (by domid)" xlite unpause $D1
check "xl list shows g1 not paused" sh -c "xl list g1 | tail -1 | grep -qv '..p...  '"

say "--- shutdown -w"
run xlite-shutdown xlite shutdown -w g1; show xlite-shutdown
expect_eq "xlite shutdown -w exit code" "$(cat $T/xlite-shutdown.rc)" 0
printf 'Shutting down domain %s\nWaiting for 1 domains\nDomain %s has been shut down, reason code 0\n' $D1 $D1 > $T/want
same "xlite shutdown -w prints xl's lines" $T/want $T/xlite-shutdown.err
check "g1 is gone (xl's daemon destroyed it on poweroff)" wait_for 20 gone g1

say "--- destroy (a guest with a PV disk), compared with xl destroy"
dd if=/dev/zero of=/tmp/disk2.img bs=1M count=8 2>/dev/null
dd if=/dev/zero of=/tmp/disk3.img bs=1M count=8 2>/dev/null
xenstore-ls -f / | sort > $T/xs-before
guest_cfg g2 /tmp/g2.cfg xlite.hold; echo "disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/disk2.img' ]" >> /tmp/g2.cfg
check "xl create -p g2 (PV disk)" xl create -q -p /tmp/g2.cfg
D2=$(xl domid g2)
run xl-list-l2 xl list -l g2; run xlite-list-l2 xlite list -l g2
same "xlite list -l g2 == xl list -l g2 (a guest with a PV disk)" $T/xl-list-l2.out $T/xlite-list-l2.out
run xlite-destroy xlite destroy g2; show xlite-destroy
expect_eq "xlite destroy exit code" "$(cat $T/xlite-destroy.rc)" 0
check "g2 is gone" wait_for 20 gone g2
check "no /local/domain/$D2 left" sh -c "! xenstore-exists /local/domain/$D2"
check "no /libxl/$D2 left" sh -c "! xenstore-exists /libxl/$D2"
check "no vbd backend for $D2 left" sh -c "! xenstore-exists /local/domain/0/backend/vbd/$D2"
check "no userdata for $D2 left" sh -c "! ls /var/lib/xen/userdata-d.$D2.* 2>/dev/null"
sleep 1; xenstore-ls -f / | sort > $T/xs-after-xlite
same "xenstore after xlite destroy == before the create" $T/xs-before $T/xs-after-xlite
guest_cfg g3 /tmp/g3.cfg xlite.hold; echo "disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/disk3.img' ]" >> /tmp/g3.cfg
xl create -q -p /tmp/g3.cfg; run xl-destroy xl destroy g3; show xl-destroy
sleep 1; xenstore-ls -f / | sort > $T/xs-after-xl
same "xenstore after xl destroy == after xlite destroy" $T/xs-after-xlite $T/xs-after-xl
say "loop devices attached after both destroys: [$(losetup -a 2>/dev/null | tr "\n" " ")]"

say "--- shutdown -a -w"
guest_cfg g4 /tmp/g4.cfg xlite.hold; guest_cfg g5 /tmp/g5.cfg xlite.hold
xl create -q /tmp/g4.cfg; xl create -q /tmp/g5.cfg
check "g4 and g5 booted" wait_for 60 sh -c "grep -q DOMU-DONE /var/log/xen/console/guest-g4.log && grep -q DOMU-DONE /var/log/xen/console/guest-g5.log"
run xlite-shutdown-a xlite shutdown -a -w; show xlite-shutdown-a
expect_eq "xlite shutdown -a -w exit code" "$(cat $T/xlite-shutdown-a.rc)" 0
# xl's daemon destroys a domain as soon as it shuts down (on_poweroff=destroy), so either
# line may come first, as with xl itself; each domain must be reported once
check "each domain reported once" test "$(grep -cE 'Domain [0-9]+ has been (shut down, reason code 0|destroyed)$' $T/xlite-shutdown-a.err)" = 2
check "g4 and g5 are gone" wait_for 20 sh -c "! xl domid g4 2>/dev/null && ! xl domid g5 2>/dev/null"

say "--- errors, compared with xl"
run xl-pause-bad xl pause nosuch; run xlite-pause-bad xlite pause nosuch; show xlite-pause-bad
same "xlite pause <unknown name>: xl's message" $T/xl-pause-bad.err $T/xlite-pause-bad.err
expect_eq "xlite pause <unknown name>: xl's exit code" "$(cat $T/xlite-pause-bad.rc)" "$(cat $T/xl-pause-bad.rc)"
run xl-destroy0 xl destroy 0; run xlite-destroy0 xlite destroy 0
same "xlite destroy 0: xl's refusal" $T/xl-destroy0.err $T/xlite-destroy0.err
expect_eq "xlite destroy 0: xl's exit code" "$(cat $T/xlite-destroy0.rc)" "$(cat $T/xl-destroy0.rc)"
run xl-pause-99 xl pause 99; run xlite-pause-99 xlite pause 99
say "pause of a missing domid: xl rc=$(cat $T/xl-pause-99.rc) [$(cat $T/xl-pause-99.err)], xlite rc=$(cat $T/xlite-pause-99.rc) [$(cat $T/xlite-pause-99.err)]"
check "xlite pause 99: a clear error, exit 1" sh -c "grep -q 'domain 99 does not exist' $T/xlite-pause-99.err && test \$(cat $T/xlite-pause-99.rc) = 1"
run xl-destroy-99 xl destroy 99; run xlite-destroy-99 xlite destroy 99
say "destroy of a missing domid: xl rc=$(cat $T/xl-destroy-99.rc) [$(tail -1 $T/xl-destroy-99.err)], xlite rc=$(cat $T/xlite-destroy-99.rc) [$(cat $T/xlite-destroy-99.err)]"
expect_eq "xlite destroy 99: xl's exit code" "$(cat $T/xlite-destroy-99.rc)" "$(cat $T/xl-destroy-99.rc)"
cp -r $T /mnt/out/lifecycle; cp /var/lib/xen/userdata-* /mnt/out/lifecycle/ 2>/dev/null
finish
