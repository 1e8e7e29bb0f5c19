#!/usr/bin/env bash
# The xlite testbed: real Xen 4.17 (arm64) + a Debian Linux dom0 under qemu-system-aarch64 (TCG,
# virt with virtualization=on, -device guest-loader), built only from Debian packages and an aarch64
# deno from npm, cached outside the clone. The working tree is shared into dom0 read-only over 9p
# (/mnt/xlite), a results directory read-write (/mnt/out); dom0 runs
# tests/testbed/scenarios/<scenario>.sh and the verdict is that script's exit code, read from the
# results directory (QEMU itself exits 0 whatever happened inside).
#
# usage: tests/testbed/run.sh [--check] [--out DIR] [scenario]      (default scenario: lifecycle)
#   --check   only make sure the testbed can run (downloads + builds the images), then exit
#   --out DIR keep the results (serial.log, scenario.log, files the scenario wrote) in DIR
# exit: 0 pass, 1 fail, 77 this host cannot run the testbed (the reason is printed)
# env: XLITE_TESTBED_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/xlite-testbed), GIC (3|2),
#      SMP (1), MEM (MiB, 2048), DOM0MEM (768M), TIMEOUT (s, 900), XLITE_TESTBED_APPEND (dom0 args),
#      XLITE_TESTBED_XEN (stock | ioreq: Xen with CONFIG_IOREQ_SERVER from build-ioreq-xen.sh;
#      default: the scenario's "# testbed-xen: KIND" line, else stock)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TREE=$(cd "$HERE/../.." && pwd)
C=${XLITE_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xlite-testbed}
CHECK=; OUT=; SCENARIO=lifecycle
while [ $# -gt 0 ]; do
  case $1 in
    --check) CHECK=1 ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "testbed: unknown option $1" >&2; exit 2 ;;
    *) SCENARIO=$1 ;;
  esac
  shift
done
skip() { echo "testbed: cannot run here: $*"; exit 77; }
# the hypervisor: XLITE_TESTBED_XEN, else the scenario's own "# testbed-xen: ioreq" line
XEN_KIND=${XLITE_TESTBED_XEN:-}
[ -z "$XEN_KIND" ] && [ -z "$CHECK" ] && [ -f "$HERE/scenarios/$SCENARIO.sh" ] &&
  XEN_KIND=$(sed -n 's/^# testbed-xen: *//p' "$HERE/scenarios/$SCENARIO.sh" | head -1)
XEN_KIND=${XEN_KIND:-stock}

command -v qemu-system-aarch64 >/dev/null || skip "no qemu-system-aarch64 (Debian package qemu-system-arm)"
for t in cpio dpkg-deb apt-get npm flock timeout; do command -v $t >/dev/null || skip "no $t"; done
mkdir -p "$C" || skip "cannot create the cache directory $C"
exec 9>"$C/.lock"
flock 9
C=$C bash "$HERE/fetch.sh" >&2 || skip "could not download the arm64 packages / aarch64 deno (see above)"
B=$(C=$C bash "$HERE/mkinitrd.sh") || skip "could not build the testbed images (see above)"
XEN_IMAGE=$C/x/boot/xen-4.17-arm64
case $XEN_KIND in
  stock) ;;
  ioreq) XEN_IMAGE=$(C=$C bash "$HERE/build-ioreq-xen.sh") ||
           skip "could not build the IOREQ hypervisor (see above)" ;;
  *) echo "testbed: XLITE_TESTBED_XEN must be stock or ioreq" >&2; exit 2 ;;
esac
flock -u 9
[ -n "$CHECK" ] && { echo "testbed: ready ($B)"; exit 0; }
[ -f "$HERE/scenarios/$SCENARIO.sh" ] || { echo "testbed: no scenario $HERE/scenarios/$SCENARIO.sh" >&2; exit 2; }

TMP=
if [ -z "$OUT" ]; then TMP=$(mktemp -d); OUT=$TMP; fi
mkdir -p "$OUT"; rm -f "$OUT/rc" "$OUT/scenario.log" "$OUT/serial.log"
trap '[ -n "$TMP" ] && rm -rf "$TMP"' EXIT
# the CPU count: SMP, else the scenario's own "# testbed-smp: N" line, else 1
[ -z "${SMP:-}" ] && SMP=$(sed -n 's/^# testbed-smp: *//p' "$HERE/scenarios/$SCENARIO.sh" | head -1)
GIC=${GIC:-3}; SMP=${SMP:-1}; MEM=${MEM:-2048}; DOM0MEM=${DOM0MEM:-768M}; TIMEOUT=${TIMEOUT:-900}
KERNEL=$(ls "$C"/x/boot/vmlinuz-* | head -1)
echo "testbed: booting Xen ($XEN_KIND, GICv$GIC) for scenario '$SCENARIO'; serial log $OUT/serial.log" >&2
START=$(date +%s)
# Memory layout (RAM at 0x40000000): Xen image at 0x40200000 (relocates itself to the top), dom0
# kernel at 0x42000000 (~32 MiB), QEMU's own DTB at 0x48000000 (keep clear: overlapping it makes
# Xen BUG when it frees the boot modules), dom0 initrd at 0x49000000.
timeout "$TIMEOUT" qemu-system-aarch64 \
  -machine virt,virtualization=on,gic-version="$GIC" -cpu cortex-a57 -smp "$SMP" -m "$MEM" \
  -accel tcg,thread=multi -display none -monitor none -no-reboot -nodefaults \
  -serial file:"$OUT/serial.log" \
  -kernel "$XEN_IMAGE" \
  -append "dom0_mem=$DOM0MEM,max:$DOM0MEM loglvl=all guest_loglvl=all console_timestamps=boot" \
  -device guest-loader,addr=0x42000000,kernel="$KERNEL",bootargs="console=hvc0 earlycon=xen rdinit=/init xlite.scenario=$SCENARIO ${XLITE_TESTBED_APPEND:-}" \
  -device guest-loader,addr=0x49000000,initrd="$B/dom0-initrd.cpio.gz" \
  -fsdev local,id=xlite,path="$TREE",security_model=none,readonly=on \
  -device virtio-9p-device,fsdev=xlite,mount_tag=xlite \
  -fsdev local,id=out,path="$OUT",security_model=none \
  -device virtio-9p-device,fsdev=out,mount_tag=out \
  -fsdev local,id=tools,path="$C",security_model=none,readonly=on \
  -device virtio-9p-device,fsdev=tools,mount_tag=tools \
  </dev/null
QRC=$?
echo "testbed: qemu exited ($QRC) after $(( $(date +%s) - START )) s" >&2
[ -f "$OUT/scenario.log" ] && cat "$OUT/scenario.log"
if [ ! -f "$OUT/rc" ]; then
  echo "testbed: FAIL: scenario '$SCENARIO' left no verdict (qemu rc $QRC); last serial lines:"
  tail -n 30 "$OUT/serial.log" 2>/dev/null
  exit 1
fi
RC=$(cat "$OUT/rc")
if [ "$RC" = 0 ]; then echo "testbed: PASS: scenario '$SCENARIO'"; exit 0; fi
echo "testbed: FAIL: scenario '$SCENARIO' exited $RC"
exit 1
