#!/usr/bin/env bash
# Regenerates the golden data under tests/golden/<config>/ from tests/golden/cfg/*.cfg with real
# xl/libxl 4.17 on real Xen (the testbed, tests/testbed/run.sh, scenario "golden"): one GICv3 boot
# for most configs, one GICv2 boot (QEMU gic-version=2) for those marked "# golden-gic: 2".
# Per config: memory.dtb (read from the paused guest's RAM: exactly what libxl wrote, random
# rng-seed included), memory.dts (dtc -I dtb), guest.dtb (what the guest's /sys/firmware/fdt
# showed: rng-seed NOP-ed by Linux), xl-N.json, xl-create.log (xl -vvv create -p),
# xenstore.txt (xenstore-ls -fp, guest not yet run), xl-list-l.json, guest-info.txt, meta.txt.
# Fails unless memory.dtb with rng-seed NOP-ed is byte-identical to guest.dtb.
# Configs under cfg-fail/ must make real xl create fail: fail/<config>/ keeps xl-N.json,
# xl-N.stderr, xl-create.log (the error) and xl-create.rc.
# With XLITE_TESTBED_SUITE=trixie: real xl/libxl 4.20 (one GICv3 boot) for tests/golden/4.20/cfg,
# into tests/golden/4.20/<config>/.
# usage: [XLITE_TESTBED_SUITE=trixie] tests/golden/regenerate.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
C=${XLITE_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xlite-testbed}
bash "$HERE/../testbed/run.sh" --out "$W/gic3" golden
if [ "${XLITE_TESTBED_SUITE:-bookworm}" = trixie ]; then
  HERE=$HERE/4.20; C=$C/trixie; mkdir -p "$W/gic3/fail"
else
  GIC=2 XLITE_TESTBED_APPEND=xlite.gic=2 bash "$HERE/../testbed/run.sh" --out "$W/gic2" golden
fi
FDT="deno run -A $(cd "$(dirname "$0")" && pwd)/golden_fdt.ts"
for g in 3 2; do [ -d "$W/gic$g" ] && cp "$W/gic$g/env-gic$g.txt" "$HERE/env-gic$g.txt"; done
(cd "$C/debs" && ls *.deb) > "$HERE/packages.txt"
for O in "$W"/gic3/fail/*/; do
  [ -d "$O" ] || continue
  N=$(basename "$O"); D=$HERE/fail/$N
  rm -rf "$D"; mkdir -p "$D"
  cp "$O"/{xl-N.json,xl-N.stderr,xl-create.log,xl-create.rc} "$D/"
  echo "golden: fail/$N updated"
done
for O in "$W"/gic*/*/; do
  [ "$(basename "$O")" = fail ] && continue
  N=$(basename "$O"); D=$HERE/$N
  rm -rf "$D"; mkdir -p "$D"
  cp "$O"/{memory.dtb,xl-N.json,xl-create.log,xenstore.txt,xl-list-l.json} "$D/"
  $FDT extract "$O/console.log" "$D/guest.dtb" "$D/guest-info.txt"
  $FDT compare "$D/memory.dtb" "$D/guest.dtb"
  dtc -q -I dtb -O dts "$D/memory.dtb" > "$D/memory.dts"
  {
    echo "config: ${HERE#"$ROOT"/}/cfg/$N.cfg"
    echo "host: QEMU virt gic-version=$(basename "$(dirname "$O")" | tr -dc 0-9), cortex-a57, Xen $(sed -n 's/^xen_version *: //p' "$W/gic3/env-gic3.txt")"
    echo "kernel file (gzip of the Debian arm64 Image): Image $(stat -c %s "$C"/x/boot/vmlinuz-*) bytes"
    echo "ramdisk file: $(zcat -f "$C"/build/*/domu-initrd.cpio.gz | wc -c) bytes unpacked, $(stat -c %s "$C"/build/*/domu-initrd.cpio.gz) bytes as loaded"
    echo "dtb: $(stat -c %s "$D/memory.dtb") bytes"
    echo "segments (xl -vvv create -p):"
    sed -n 's/.*xc_dom_alloc_segment: *\([a-z0-9]*\) *: \(.*\)/  \1: \2/p' "$D/xl-create.log"
  } > "$D/meta.txt"
  echo "golden: $N updated"
done
