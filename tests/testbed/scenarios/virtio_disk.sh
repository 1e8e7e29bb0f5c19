#!/bin/sh
# testbed-xen: ioreq
# virtio_disk scenario (one boot of the IOREQ hypervisor): `xlite devd` serves virtio disks to
# real guests, end to end (issue 10 "The testbed").
#  v1: `xlite devd -p` (detached) is started first; `xlite create` makes a guest with three
#      virtio disks (R: mode=r with random data, W: rw, F: rw) and one PV disk (blkback) that
#      carries the guest's test script (domu-init xlite.run). The guest's checksum of all of R
#      equals dom0's; writes to R are refused (by Linux's ro flag, and by devd once the guest
#      forces the flag off: the image stays unchanged); a pattern the guest writes to W is in
#      image W; mkfs + mount + write + sync on F, and the file is in image F after the guest
#      is destroyed.
#  v2: the same daemon serves a guest made by `xl create` (R and W disks); it keeps reading
#      its disk while v1 is destroyed, and goes on being served after: no IOREQ server and no
#      mapping is left for v1 (xl list shows no dying domain).
#  v3: after `xl destroy v2` and SIGTERM to the detached daemon (its pid file goes), `xlite
#      devd -F` in the foreground serves a third guest (xlite create) and stops on SIGTERM.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/vd; mkdir -p $T
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
show() { [ -s "$1" ] && sed "s/^/  $2| /" "$1"; return 0; }
say "xl info: $(xl info | grep -E '^xen_(version|extra)' | tr -s ' ' | tr '\n' ' ')"
MIB=1048576
# images: sizes tell the guest which disk is which (4, 6, 8 MiB = 8192, 12288, 16384 sectors)
dd if=/dev/urandom of=$T/r.img bs=1M count=4 2>/dev/null
truncate -s 6M $T/w.img; truncate -s 8M $T/f.img
dd if=/dev/urandom of=$T/r2.img bs=1M count=4 2>/dev/null; truncate -s 6M $T/w2.img
truncate -s 6M $T/w3.img
SUMR=$(sha256sum < $T/r.img | cut -c1-64)
TOKEN=xlite-file-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')

# script <file> <pattern word> [extra shell]: the PV disk that carries the guest's test
# (run by domu-init's xlite.run), NUL-padded to 1 MiB
script() {
  cat > $1 <<EOS
d() { for b in /sys/block/vd*; do [ "\$(cat \$b/size)" = \$1 ] && { echo \${b##*/}; return; }; done; }
n=0; while [ -z "\$(d $4)" ] && [ \$n -lt 150 ]; do sleep 0.2; n=\$((n + 1)); done
R=\$(d 8192); W=\$(d 12288); F=\$(d 16384)
echo "===DEVS R=\$R W=\$W F=\$F ro=\$(cat /sys/block/\$R/ro 2>&1)==="
if [ -n "\$R" ]; then
  echo "===SUM-R \$(sha256sum < /dev/\$R | cut -c1-64)==="
  dd if=/dev/zero of=/dev/\$R bs=4096 count=1 oflag=direct 2>/dev/null; echo "===RO-WRITE rc=\$?==="
  blockdev --setrw /dev/\$R
  dd if=/dev/zero of=/dev/\$R bs=4096 count=1 oflag=direct 2>/dev/null; echo "===RO-WRITE-FORCED rc=\$?==="
fi
if [ -n "\$W" ]; then
  yes $2 | head -c 6291456 | dd of=/dev/\$W bs=1M oflag=direct 2>/dev/null; echo "===PATTERN rc=\$?==="
  echo "===SUM-W \$(dd if=/dev/\$W bs=1M iflag=direct 2>/dev/null | sha256sum | cut -c1-64)==="
fi
$3
echo "===TEST-DONE==="
EOS
  dd if=/dev/zero of=$1 bs=1M count=0 seek=1 2>/dev/null
}
# guest <name> <script> <disks...>: a busybox guest config running the script from xvda
guest() {
  n=$1 s=$2; shift 2
  guest_cfg $n $T/$n.cfg "xlite.hold xlite.virtio xlite.run=xvda"
  d="'$s,raw,xvda,rw'"; for x in "$@"; do d="$d, '$x'"; done
  echo "disk = [ $d ]" >> $T/$n.cfg
}
sum() { sha256sum < $1 | cut -c1-64; }
guestval() { tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n "s/^===$2 \(.*\)===\$/\1/p" | tail -1; }
guestlog() { tr -d '\r' < /var/log/xen/console/guest-$1.log | sed -n '/===RUN-BEGIN/,$p' | grep -v '^===TICK' | sed "s/^/  $1| /"; }
no_domain() { ! xl list | awk 'NR > 1 {print $2}' | grep -qx "$1"; }
devd_log() { show $T/devd.log devd; }
BE=/local/domain/0/backend/virtio_disk

# --- v1: detached devd, xlite create
say "--- v1: xlite devd -p (detached), then xlite create with 3 virtio disks + 1 PV disk"
check "xlite devd -p PIDFILE --log FILE returns once it serves" \
  xlite devd -p $T/devd.pid --log $T/devd.log
check "the detached daemon's pid file names a live process" sh -c "kill -0 \$(cat $T/devd.pid)"
# warm-up: the daemon's first carrier (IOREQ server, the guest's RAM mapped) took more than
# libxl's 10 s InitWait timeout in a loaded testbed (run of 2026-12-04); one paused guest
# served and destroyed first
guest_cfg w0 $T/w0.cfg; truncate -s 1M $T/w0.img
echo "disk = [ '$T/w0.img,raw,xvdb,rw,specification=virtio' ]" >> $T/w0.cfg
xl create -p $T/w0.cfg > $T/create-w0.out 2>&1 || say "warm-up guest: xl create -p failed: $(tail -1 $T/create-w0.out)"
xl destroy w0 2>/dev/null
script $T/s1.img xlite-pattern-one "mkdir -p /m; mke2fs -q /dev/\$F && mount -t ext4 /dev/\$F /m && echo $TOKEN > /m/file && sync; echo \"===FS rc=\$? \$(cat /m/file)===\"" 16384
guest v1 $T/s1.img "$T/r.img,raw,xvdb,r,specification=virtio" \
  "$T/w.img,raw,xvdc,rw,specification=virtio" "$T/f.img,raw,xvdd,rw,specification=virtio"
xlite create $T/v1.cfg > $T/create-v1.out 2>&1; RC=$?
show $T/create-v1.out create
expect_eq "v1: xlite create exit code (devd brought the virtio backends to state 2)" "$RC" 0
D1=$(xl domid v1 2>/dev/null)
for v in 51728 51744 51760; do
  say "v1 backend $v: state=$(xenstore-read $BE/$D1/$v/state 2>&1) base=$(xenstore-read $BE/$D1/$v/base 2>&1) irq=$(xenstore-read $BE/$D1/$v/irq 2>&1)"
done
check "v1: the guest ran its test" wait_for 300 console_has v1 '===TEST-DONE==='
guestlog v1
expect_eq "v1: the guest's checksum of the whole mode=r disk equals dom0's" "$(guestval v1 SUM-R)" "$(sum $T/r.img)"
expect_eq "v1: Linux sees the mode=r disk read-only (VIRTIO_BLK_F_RO)" "$(guestval v1 DEVS | sed 's/.*ro=//')" 1
check "v1: a write to the mode=r disk fails" sh -c "[ \"$(guestval v1 RO-WRITE)\" != 'rc=0' ]"
check "v1: a write forced past Linux's ro flag fails too (devd refuses it)" \
  sh -c "[ -n \"$(guestval v1 RO-WRITE-FORCED)\" ] && [ \"$(guestval v1 RO-WRITE-FORCED)\" != 'rc=0' ]"
expect_eq "v1: image R is unchanged" "$(sum $T/r.img)" "$SUMR"
expect_eq "v1: the guest wrote its pattern to W" "$(guestval v1 PATTERN)" "rc=0"
PAT1=$(yes xlite-pattern-one | head -c 6291456 | sum /dev/stdin)
expect_eq "v1: dom0 finds the guest's pattern in image W" "$(sum $T/w.img)" "$PAT1"
expect_eq "v1: the guest reads its pattern back from W" "$(guestval v1 SUM-W)" "$PAT1"
expect_eq "v1: mkfs + mount + write + sync on F" "$(guestval v1 FS)" "rc=0 $TOKEN"

# --- v2: the same daemon, xl create
say "--- v2: xl create with 2 virtio disks + 1 PV disk, the same daemon"
script $T/s2.img xlite-pattern-two 'i=0; while [ $i -lt 600 ]; do
  echo "===TICK $i $(dd if=/dev/$R bs=4096 count=1 skip=$((i % 1024)) iflag=direct 2>/dev/null | md5sum | cut -c1-8)==="
  i=$((i + 1)); sleep 0.5; done &' 12288
guest v2 $T/s2.img "$T/r2.img,raw,xvdb,r,specification=virtio" "$T/w2.img,raw,xvdc,rw,specification=virtio"
xl create $T/v2.cfg > $T/create-v2.out 2>&1; RC=$?
show $T/create-v2.out create
expect_eq "v2: xl create exit code (devd brought the virtio backends to state 2)" "$RC" 0
D2=$(xl domid v2 2>/dev/null)
check "v2: the guest ran its test" wait_for 300 console_has v2 '===TEST-DONE==='
guestlog v2
expect_eq "v2: the guest's checksum of the whole mode=r disk equals dom0's" "$(guestval v2 SUM-R)" "$(sum $T/r2.img)"
PAT2=$(yes xlite-pattern-two | head -c 6291456 | sum /dev/stdin)
expect_eq "v2: dom0 finds the guest's pattern in image W" "$(sum $T/w2.img)" "$PAT2"

# --- v1 destroyed while v2 is served
say "--- xlite destroy v1 while v2 keeps reading"
check "xlite destroy v1" xlite destroy v1
check "v1 (domain $D1) is gone: not even a dying domain (no mapping or IOREQ server holds it)" \
  wait_for 30 no_domain "$D1"
xl list | sed 's/^/  xl list| /'
check "v1's image F holds the file written and synced before the destroy" grep -q "$TOKEN" $T/f.img
check "no backend directory left for v1" sh -c "! xenstore-ls $BE/$D1 >/dev/null 2>&1"
T1=$(tr -d '\r' < /var/log/xen/console/guest-v2.log | grep -c '^===TICK')
sleep 5
check "v2 is still served after v1's destroy (its reads go on)" \
  wait_for 60 sh -c "[ \$(tr -d '\r' < /var/log/xen/console/guest-v2.log | grep -c '^===TICK') -gt $((T1 + 2)) ]"
say "v2 reads: $T1 before, $(tr -d '\r' < /var/log/xen/console/guest-v2.log | grep -c '^===TICK') after v1's destroy"
check "the hypervisor: debug-keys q lists no domain $D1" sh -c "[ -n '$D1' ] && xl debug-keys q && ! xl dmesg | grep -q 'General information for domain $D1:'"

check "xl destroy v2" xl destroy v2
check "v2 (domain $D2) is gone" wait_for 30 no_domain "$D2"
PID=$(cat $T/devd.pid)
check "SIGTERM stops the detached daemon" sh -c "kill $PID && n=0; while kill -0 $PID 2>/dev/null && [ \$n -lt 60 ]; do sleep 0.5; n=\$((n + 1)); done; ! kill -0 $PID 2>/dev/null"
check "the daemon removed its pid file" sh -c "[ ! -e $T/devd.pid ]"
devd_log

# --- v3: devd -F
say "--- v3: xlite devd -F (foreground), xlite create"
xlite devd -F > $T/devd-f.log 2>&1 &
FG=$!
sleep 20
script $T/s3.img xlite-pattern-three '' 12288
guest v3 $T/s3.img "$T/w3.img,raw,xvdb,rw,specification=virtio"
xlite create $T/v3.cfg > $T/create-v3.out 2>&1; RC=$?
show $T/create-v3.out create
expect_eq "v3: xlite create exit code (devd -F brought the backend to state 2)" "$RC" 0
check "v3: the guest ran its test" wait_for 300 console_has v3 '===TEST-DONE==='
guestlog v3
PAT3=$(yes xlite-pattern-three | head -c 6291456 | sum /dev/stdin)
expect_eq "v3: dom0 finds the guest's pattern in image W" "$(sum $T/w3.img)" "$PAT3"
D3=$(xl domid v3 2>/dev/null)
check "xlite destroy v3" xlite destroy v3
check "v3 is gone" wait_for 30 no_domain "$D3"
kill $FG; wait $FG; RC=$?
expect_eq "devd -F exits 0 on SIGTERM" "$RC" 0
show $T/devd-f.log devd-F
xl list | sed 's/^/  xl list| /'
finish
