#!/usr/bin/env bash
# The xlite testbed: real Xen (arm64; 4.17 from Debian bookworm, or 4.20 from trixie) + a Debian
# Linux dom0 under qemu-system-aarch64 (TCG, virt with virtualization=on, -device guest-loader),
# built only from Debian packages and an aarch64 deno from npm, cached outside the clone. The
# working tree is shared into dom0 read-only over 9p (/mnt/xlite), a results directory read-write (/mnt/out); dom0 runs
# tests/testbed/scenarios/<scenario>.sh and the verdict is that script's exit code, read from the
# results directory (QEMU itself exits 0 whatever happened inside).
#
# usage: tests/testbed/run.sh [--check] [--out DIR] [scenario[+scenario...]]  (default: lifecycle;
#        several joined by '+' share one boot, run in order; their testbed-* lines must agree)
#   --check   only make sure the testbed can run (downloads + builds the images), then exit
#   --out DIR keep the results (serial.log, scenario.log, files the scenario wrote) in DIR
# exit: 0 pass, 1 fail, 77 this host cannot run the testbed (the reason is printed)
# env: XLITE_TESTBED_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/xlite-testbed), GIC (3|2),
#      SMP (1), MEM (MiB, 2048), DOM0MEM (768M), TIMEOUT (s, 1800), XLITE_TESTBED_APPEND (dom0 args),
#      XLITE_TESTBED_XEN (stock | ioreq: Xen with CONFIG_IOREQ_SERVER from build-ioreq-xen.sh;
#      default: the scenario's "# testbed-xen: KIND" line, else stock; bookworm only),
#      XLITE_TESTBED_DTB (qemu | passthrough: QEMU's own virt tree, dumped with dumpdtb=, with
#      its pl031 RTC marked xen,passthrough so dom0 leaves it to a guest, booted with -dtb; the
#      partial trees of tests/testbed/passthrough/*.dts compiled into DIR/dts; default: the
#      scenario's "# testbed-dtb: KIND" line, else qemu),
#      XLITE_TESTBED_SUITE (bookworm: Xen 4.17 + Linux 6.1, the default | trixie: Xen 4.20 +
#      Linux 6.12; default: the scenario's "# testbed-suite: SUITE" line, else bookworm; each
#      suite is cached on its own, trixie's in <cache>/trixie)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TREE=$(cd "$HERE/../.." && pwd)
C=${XLITE_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xlite-testbed}
# the suite: XLITE_TESTBED_SUITE, else the scenario's own "# testbed-suite: trixie" line
# header KEY SCENARIO: the scenario's "# testbed-KEY: VALUE" line (SCENARIO may join several
# with '+': they share one boot, so their lines must agree; a disagreement is a usage error)
header() {
  local v="" w part
  for part in ${2//+/ }; do
    [ -f "$HERE/scenarios/$part.sh" ] || continue
    w=$(sed -n "s/^# testbed-$1: *//p" "$HERE/scenarios/$part.sh" | head -1)
    [ -n "$w" ] && [ -n "$v" ] && [ "$w" != "$v" ] &&
      { echo "testbed: the scenarios of '$2' disagree on testbed-$1 ($v, $w)" >&2; exit 2; }
    [ -n "$w" ] && v=$w
  done
  echo "$v"
}
SUITE=${XLITE_TESTBED_SUITE:-}
for a in "$@"; do
  case $a in -*) ;; *) [ -z "$SUITE" ] && { SUITE=$(header suite "$a") || exit 2; } ;; esac
done
SUITE=${SUITE:-bookworm}
case $SUITE in
  bookworm) ;;
  trixie) C=$C/trixie ;;
  *) echo "testbed: XLITE_TESTBED_SUITE must be bookworm or trixie, not '$SUITE'" >&2; exit 2 ;;
esac
export XLITE_TESTBED_SUITE=$SUITE
CHECK=; OUT=; SCENARIO=lifecycle
while [ $# -gt 0 ]; do
  case $1 in
    --check) CHECK=1 ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "testbed: unknown option $1" >&2; exit 2 ;;
    *) SCENARIO=$1 ;;
  esac
  shift
done
skip() { echo "testbed: cannot run here: $*"; exit 77; }
# the hypervisor: XLITE_TESTBED_XEN, else the scenario's own "# testbed-xen: ioreq" line
XEN_KIND=${XLITE_TESTBED_XEN:-}
[ -z "$XEN_KIND" ] && [ -z "$CHECK" ] && { XEN_KIND=$(header xen "$SCENARIO") || exit 2; }
XEN_KIND=${XEN_KIND:-stock}
DTB_KIND=${XLITE_TESTBED_DTB:-}
[ -z "$DTB_KIND" ] && [ -z "$CHECK" ] && { DTB_KIND=$(header dtb "$SCENARIO") || exit 2; }
DTB_KIND=${DTB_KIND:-qemu}
case $DTB_KIND in
  qemu) ;;
  passthrough) for t in dtc fdtput; do command -v $t >/dev/null || skip "no $t (Debian package device-tree-compiler)"; done ;;
  *) echo "testbed: XLITE_TESTBED_DTB must be qemu or passthrough" >&2; exit 2 ;;
esac

command -v qemu-system-aarch64 >/dev/null || skip "no qemu-system-aarch64 (Debian package qemu-system-arm)"
for t in cpio dpkg-deb apt-get npm flock timeout; do command -v $t >/dev/null || skip "no $t"; done
mkdir -p "$C" || skip "cannot create the cache directory $C"
exec 9>"$C/.lock"
flock 9
C=$C bash "$HERE/fetch.sh" >&2 || skip "could not download the arm64 packages / aarch64 deno (see above)"
B=$(C=$C bash "$HERE/mkinitrd.sh") || skip "could not build the testbed images (see above)"
XEN_IMAGE=$(ls "$C"/x/boot/xen-4.*-arm64 | head -1)
case $XEN_KIND in
  stock) ;;
  ioreq) [ "$SUITE" = bookworm ] || skip "the IOREQ hypervisor is built from bookworm's Xen 4.17 only"
          XEN_IMAGE=$(C=$C bash "$HERE/build-ioreq-xen.sh") ||
           skip "could not build the IOREQ hypervisor (see above)" ;;
  *) echo "testbed: XLITE_TESTBED_XEN must be stock or ioreq" >&2; exit 2 ;;
esac
# A private copy of the dom0 initrd (it holds the domU's): another run building other
# images wipes $C/build as soon as the lock is released.
PRIV=$(mktemp -d)
trap 'rm -rf "$PRIV"' EXIT
cp "$B/dom0-initrd.cpio.gz" "$PRIV/" || skip "could not copy the dom0 initrd"
BUILD=$B; B=$PRIV
flock -u 9
[ -n "$CHECK" ] && { echo "testbed: ready ($BUILD)"; exit 0; }
for part in ${SCENARIO//+/ }; do
  [ -f "$HERE/scenarios/$part.sh" ] || { echo "testbed: no scenario $HERE/scenarios/$part.sh" >&2; exit 2; }
done

TMP=
if [ -z "$OUT" ]; then TMP=$(mktemp -d); OUT=$TMP; fi
mkdir -p "$OUT"; rm -f "$OUT/rc" "$OUT/scenario.log" "$OUT/serial.log"
trap 'rm -rf "$PRIV"; [ -n "$TMP" ] && rm -rf "$TMP"' EXIT
# the CPU count: SMP, else the scenario's own "# testbed-smp: N" line, else 1
[ -z "${SMP:-}" ] && { SMP=$(header smp "$SCENARIO") || exit 2; }
GIC=${GIC:-3}; SMP=${SMP:-1}; MEM=${MEM:-2048}; DOM0MEM=${DOM0MEM:-768M}; TIMEOUT=${TIMEOUT:-1800}
KERNEL=$(ls "$C"/x/boot/vmlinuz-* | head -1)
echo "testbed: booting Xen ($SUITE, $XEN_KIND, GICv$GIC) for scenario '$SCENARIO'; serial log $OUT/serial.log" >&2
START=$(date +%s)
# dom0 runs on one vCPU whatever SMP is (dom0_max_vcpus=1): SMP only gives guests more CPUs.
# A 2-vCPU dom0 under TCG on a busy 2-core host crawls (a vCPU spins while the QEMU thread of
# the other is descheduled): with SMP=2 and three QEMUs on the host, each xlite run in dom0 took
# 20-140 s; with one dom0 vCPU on the same host, 8-12 s.
# Memory layout (RAM at 0x40000000): Xen image at 0x40200000 (relocates itself to the top), dom0
# kernel at 0x42000000 (~32 MiB), QEMU's own DTB at 0x48000000 (keep clear: overlapping it makes
# Xen BUG when it frees the boot modules), dom0 initrd at 0x49000000.
QEMU_ARGS=(
  -machine virt,virtualization=on,gic-version="$GIC" -cpu cortex-a57 -smp "$SMP" -m "$MEM"
  -accel tcg,thread=multi -display none -monitor none -no-reboot -nodefaults
  -serial file:"$OUT/serial.log"
  -kernel "$XEN_IMAGE"
  -append "dom0_mem=$DOM0MEM,max:$DOM0MEM dom0_max_vcpus=1 loglvl=all guest_loglvl=all console_timestamps=boot"
  -device guest-loader,addr=0x42000000,kernel="$KERNEL",bootargs="console=hvc0 earlycon=xen rdinit=/init xlite.scenario=$SCENARIO ${XLITE_TESTBED_APPEND:-}"
  -device guest-loader,addr=0x49000000,initrd="$B/dom0-initrd.cpio.gz"
  -fsdev local,id=xlite,path="$TREE",security_model=none,readonly=on
  -device virtio-9p-device,fsdev=xlite,mount_tag=xlite
  -fsdev local,id=out,path="$OUT",security_model=none
  -device virtio-9p-device,fsdev=out,mount_tag=out
  -fsdev local,id=tools,path="$C",security_model=none,readonly=on
  -device virtio-9p-device,fsdev=tools,mount_tag=tools
)
if [ "$DTB_KIND" = passthrough ]; then
  # The same machine's tree (guest-loader modules included), the pl031 left to a guest: Xen
  # gives dom0 neither its mapping nor its IRQ, only the permission to pass them on.
  qemu-system-aarch64 "${QEMU_ARGS[@]}" -machine dumpdtb="$OUT/host.dtb" </dev/null >/dev/null 2>&1
  fdtput -t s "$OUT/host.dtb" /pl031@9010000 xen,passthrough "" ||
    { echo "testbed: could not mark /pl031@9010000 in QEMU's tree" >&2; exit 1; }
  mkdir -p "$OUT/dts"
  for f in "$HERE"/passthrough/*.dts; do
    dtc -q -I dts -O dtb -o "$OUT/dts/$(basename "$f" .dts).dtb" "$f" || exit 1
  done
  QEMU_ARGS+=(-dtb "$OUT/host.dtb")
fi
timeout "$TIMEOUT" qemu-system-aarch64 "${QEMU_ARGS[@]}" </dev/null
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
