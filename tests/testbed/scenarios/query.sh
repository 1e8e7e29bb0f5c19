#!/bin/sh
# Query scenario (one boot, two CPUs): the commands scripts call -- domid, domname, rename,
# info, uptime, dmesg, mem-set, mem-max, vcpu-list, vcpu-pin, vcpu-set -- run by xl and by
# xlite on the same domains, their output, errors and exit codes compared byte for byte; xl's
# global options (-v -f -t accepted, -N refused where xl refuses it).
# testbed-smp: 2
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/q; mkdir -p $T
run() { n=$1; shift; "$@" > $T/$n.out 2> $T/$n.err; echo $? > $T/$n.rc; }
show() { for f in out err; do [ -s $T/$1.$f ] && sed "s/^/  $1.$f| /" $T/$1.$f; done; return 0; }
# both <name> <args...>: xl and xlite with the same arguments; stdout, stderr and exit code equal
both() {
  b=$1; shift
  run xl-$b xl "$@"; run xlite-$b xlite "$@"
  same "xlite $* == xl $* (stdout)" $T/xl-$b.out $T/xlite-$b.out
  same "xlite $* == xl $* (stderr)" $T/xl-$b.err $T/xlite-$b.err
  expect_eq "xlite $*: xl's exit code" "$(cat $T/xlite-$b.rc)" "$(cat $T/xl-$b.rc)"
}
# lastline <name> <args...>: as both, but where libxl logs first ("libxl: error: <file>:<line>:
# ...: <stale errno>"), only xl's own last line of stderr is compared
lastline() {
  b=$1; shift
  run xl-$b xl "$@"; run xlite-$b xlite "$@"; show xl-$b; show xlite-$b
  same "xlite $* == xl $* (stdout)" $T/xl-$b.out $T/xlite-$b.out
  expect_eq "xlite $*: xl's last line" "$(tail -1 $T/xlite-$b.err)" "$(tail -1 $T/xl-$b.err)"
  expect_eq "xlite $*: xl's exit code" "$(cat $T/xlite-$b.rc)" "$(cat $T/xl-$b.rc)"
}
# vcpu-list moves between two runs: mask the Time(s) column
# (and dom0's vCPU states: the one running xl or xlite is the running one)
notime_vcpu() { sed -E 's/ +[0-9]+\.[0-9]  / T  /; /^Domain-0 /s/ [r-][b-]- T/ S T/'; }

guest_cfg g1 /tmp/g1.cfg xlite.hold
sed -i 's/^vcpus = 1/vcpus = 2/' /tmp/g1.cfg
guest_cfg ga /tmp/ga.cfg xlite.hold
printf 'vcpus = 2\ncpus = ["1", "0"]\ncpus_soft = "1"\n' >> /tmp/ga.cfg
sed -i 's/^vcpus = 1$//' /tmp/ga.cfg
sed 's/^name = "ga"/name = "gx"/' /tmp/ga.cfg > /tmp/gx.cfg
check "xl create -p g1 (2 vCPUs)" xl create -q -p /tmp/g1.cfg
D1=$(xl domid g1)

say "--- cpus / cpus_soft at create"
check "xlite create ga (cpus = [\"1\", \"0\"], cpus_soft = \"1\")" xlite create /tmp/ga.cfg
check "xl create -p gx (the same config)" xl create -q -p /tmp/gx.cfg
xl vcpu-list ga | notime_vcpu | sed -E 's/^ga +[0-9]+//; s/ +[0-9-]+ +[-rbp]{3} //' > $T/a
xl vcpu-list gx | notime_vcpu | sed -E 's/^gx +[0-9]+//; s/ +[0-9-]+ +[-rbp]{3} //' > $T/b
cat $T/a
same "affinity of xlite's ga == affinity of xl's gx (xl vcpu-list)" $T/b $T/a
check "ga's vCPU 0: hard 1, soft 1" grep -q "0T  1 / 1" $T/a
xlite destroy ga; xl destroy gx

say "--- domid / domname"
both domid domid g1
both domid0 domid Domain-0
both domid-bad domid nosuch
both domid-num domid $D1
both domname domname $D1
both domname0 domname 0
both domname-bad domname 99
both domname-nan domname abc
say "--- xl's global options"
both glob-vft -vft domname $D1
both glob-N -N mem-set g1 100

say "--- info"
run xl-info xl info; run xlite-info xlite info; show xlite-info
same "xlite info == xl info" $T/xl-info.out $T/xlite-info.out
expect_eq "xlite info exit code" "$(cat $T/xlite-info.rc)" 0
both info-ver info xen_version
both info-free info free_memory
both info-xen info xen_
both info-nrcpus info nr_cpus
run xlite-info-json xlite info --json
check "xlite info --json: xen_caps is xl's" grep -q "\"xen_caps\": \"$(xl info xen_caps)\"" $T/xlite-info-json.out

say "--- vcpu-list / vcpu-pin"
run xl-vl xl vcpu-list; run xlite-vl xlite vcpu-list; show xlite-vl
notime_vcpu < $T/xl-vl.out > $T/a; notime_vcpu < $T/xlite-vl.out > $T/b
same "xlite vcpu-list == xl vcpu-list (Time(s) masked)" $T/a $T/b
check "xlite vcpu-pin g1 0 1" xlite vcpu-pin g1 0 1
check "xlite vcpu-pin g1 1 0 1" xlite vcpu-pin g1 1 0 1
run xl-vl2 xl vcpu-list g1; run xlite-vl2 xlite vcpu-list g1; show xl-vl2
notime_vcpu < $T/xl-vl2.out > $T/a; notime_vcpu < $T/xlite-vl2.out > $T/b
same "xlite vcpu-list g1 == xl vcpu-list g1 after xlite vcpu-pin" $T/a $T/b
check "xl sees vCPU 0 pinned to CPU 1" sh -c "grep -E '^g1 +$D1 +0 .* 1 / all$' $T/xl-vl2.out"
check "xl sees vCPU 1 hard 0, soft 1" sh -c "grep -E '^g1 +$D1 +1 .* 0 / 1$' $T/xl-vl2.out"
xl vcpu-pin g1 all 0-1 0-1
run xl-vl3 xl vcpu-list g1; run xlite-vl3 xlite vcpu-list g1
notime_vcpu < $T/xl-vl3.out > $T/a; notime_vcpu < $T/xlite-vl3.out > $T/b
same "xlite vcpu-list g1 == xl vcpu-list g1 after xl vcpu-pin all" $T/a $T/b
check "xlite vcpu-pin g1 all all,^0 (hard only)" xlite vcpu-pin g1 all all,^0
both pin-empty vcpu-pin g1 all ^0
check "xl sees every vCPU hard-pinned to CPU 1" sh -c "test \$(xl vcpu-list g1 | grep -cE ' 1 / all$') = 2"
both pin-bad vcpu-pin g1 x 0
both pin-force-all vcpu-pin -f g1 all 0
both pin-range vcpu-pin g1 0 3-1
run xlite-pin-dry xlite -N vcpu-pin g1 0 0-1 1; run xl-pin-dry xl -N vcpu-pin g1 0 0-1 1
same "xlite -N vcpu-pin == xl -N vcpu-pin" $T/xl-pin-dry.out $T/xlite-pin-dry.out

say "--- vcpu-set"
check "xlite vcpu-set g1 1" xlite vcpu-set g1 1
check "cpu/1/availability offline" test "$(xenstore-read /local/domain/$D1/cpu/1/availability)" = offline
check "cpu/0/availability online" test "$(xenstore-read /local/domain/$D1/cpu/0/availability)" = online
both vcpuset-big vcpu-set g1 9
both vcpuset-nan vcpu-set g1 x
lastline vs0 vcpu-set g1 0
check "xlite vcpu-set g1 2" xlite vcpu-set g1 2
check "cpu/1/availability online again" test "$(xenstore-read /local/domain/$D1/cpu/1/availability)" = online

say "--- mem-max / mem-set"
check "xlite mem-max g1 256" xlite mem-max g1 256
expect_eq "static-max after xlite mem-max" "$(xenstore-read /local/domain/$D1/memory/static-max)" 262144
expect_eq "Xen's max_memkb after xlite mem-max (+ LIBXL_MAXMEM_CONSTANT)" "$(xlite list --json g1 | sed -n 's/.*"max_memkb": \([0-9]*\).*/\1/p')" 263168
check "xlite mem-set g1 100m" xlite mem-set g1 100m
expect_eq "memory/target after xlite mem-set" "$(xenstore-read /local/domain/$D1/memory/target)" 102400
U1=$(xl list -v g1 | tail -1 | awk '{print $7}')
expect_eq "/vm/<uuid>/memory after xlite mem-set" "$(xenstore-read /vm/$U1/memory)" 100
expect_eq "Xen's max_memkb after xlite mem-set" "$(xlite list --json g1 | sed -n 's/.*"max_memkb": \([0-9]*\).*/\1/p')" 103424
# xl 4.17's mem-set aborts on Arm (libxl__arch_extra_memory reads b_info.acpi, a defbool
# left at default in the stored config: libxl_defbool_val asserts), so only the checks xl makes
# before libxl are compared; xlite's refusals are checked on their own
run xl-memset xl mem-set g1 110m; show xl-memset
run xlite-over xlite mem-set g1 300; show xlite-over
expect_eq "xlite mem-set g1 300 (over static-max): xl's line" "$(cat $T/xlite-over.err)" "cannot set domid $D1 dynamic max memory to : 300"
expect_eq "xlite mem-set g1 300: exit 1" "$(cat $T/xlite-over.rc)" 1
both memset-bad mem-set g1 12q
lastline memmax-under mem-max g1 64
both memset-nodom mem-set nosuch 100

say "--- rename"
check "xlite rename g1 g1b" xlite rename g1 g1b
both domid-renamed domid g1b
check "xl list knows g1b" sh -c "xl list g1b >/dev/null"
expect_eq "/vm/<uuid>/name" "$(xenstore-read /vm/$U1/name)" g1b
guest_cfg g2 /tmp/g2.cfg xlite.hold
xl create -q -p /tmp/g2.cfg
run xl-ren-taken xl rename g1b g2; run xlite-ren-taken xlite rename g1b g2; show xl-ren-taken; show xlite-ren-taken
expect_eq "xlite rename to a taken name: xl's exit code" "$(cat $T/xlite-ren-taken.rc)" "$(cat $T/xl-ren-taken.rc)"
check "xlite rename to a taken name: xl's last line" sh -c "tail -1 $T/xl-ren-taken.err | cmp -s - $T/xlite-ren-taken.err || test \"\$(tail -1 $T/xl-ren-taken.err)\" = \"\$(tail -1 $T/xlite-ren-taken.err)\""
xl rename g1b g1

say "--- uptime"
run xl-up xl uptime; run xlite-up xlite uptime; show xlite-up
# the two runs are seconds apart, so a minute may roll over between them: the times are masked
# to their shape, then each of xlite's is checked to be 0-120 s after xl's
upmask() { sed -E 's/[0-9]+:[0-9]{2}:[0-9]{2}$/H:MM:SS/'; }
upsecs() { tail -n +2 "$1" | awk '{split($NF, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3]}'; }
upmask < $T/xl-up.out > $T/a; upmask < $T/xlite-up.out > $T/b
same "xlite uptime == xl uptime (times masked)" $T/a $T/b
upsecs $T/xl-up.out > $T/a; upsecs $T/xlite-up.out > $T/b
check "xlite uptime: each time 0-120 s after xl's" sh -c "paste -d' ' $T/a $T/b | \
awk 'NF != 2 || \$2 < \$1 || \$2 - \$1 > 120 { bad = 1 } END { exit bad }'"
run xl-up-s xl uptime -s g1; run xlite-up-s xlite uptime -s g1; show xlite-up-s
sed -E 's/^ [0-9]{2}:[0-9]{2}:[0-9]{2} up +[0-9]+:[0-9]{2},/ HH:MM:SS up H:MM,/' $T/xl-up-s.out > $T/a
sed -E 's/^ [0-9]{2}:[0-9]{2}:[0-9]{2} up +[0-9]+:[0-9]{2},/ HH:MM:SS up H:MM,/' $T/xlite-up-s.out > $T/b
same "xlite uptime -s g1 == xl uptime -s g1 (clock and uptime masked)" $T/a $T/b
both up-bad uptime nosuch

say "--- dmesg"
run xl-dmesg xl dmesg; run xlite-dmesg xlite dmesg
same "xlite dmesg == xl dmesg" $T/xl-dmesg.out $T/xlite-dmesg.out
check "xlite dmesg -c" xlite dmesg -c
run xl-dmesg2 xl dmesg
check "the ring is empty after xlite dmesg -c" test ! -s $T/xl-dmesg2.out
say "dmesg: $(wc -c < $T/xlite-dmesg.out) bytes"

xl destroy g1; xl destroy g2
cp -r $T /mnt/out/query 2>/dev/null
finish
