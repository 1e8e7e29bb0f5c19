#!/usr/bin/env bash
# Builds the testbed's IOREQ hypervisor: Debian's arm64 Xen is built without CONFIG_IOREQ_SERVER
# (dm_op returns ENOSYS, a guest touching a virtio-mmio window gets a data abort), so the virtio
# data plane needs its own. Recipe: Debian bookworm's `xen` source package (orig tarball only,
# via `apt-get source` with a deb-src entry in a private apt state directory, never touching the
# system's apt), Debian's own arm64 config (from the cached xen-hypervisor package) plus
# CONFIG_EXPERT=y CONFIG_IOREQ_SERVER=y, olddefconfig, cross-built with gcc-aarch64-linux-gnu.
# The result is $C/ioreq-xen/<key>/xen (~1 MB), where <key> hashes this script and Debian's config:
# rebuilt only when the recipe changes. Xen's source and the binary stay in the cache.
# usage: C=<cache dir> build-ioreq-xen.sh      prints the path of the built hypervisor
set -euo pipefail
C=${C:?cache dir}
CONFIG=$C/x/boot/xen-4.17-arm64.config
[ -f "$CONFIG" ] || { echo "ioreq-xen: no $CONFIG (run fetch.sh first)" >&2; exit 1; }
KEY=$(cat "$0" "$CONFIG" | sha256sum | cut -c1-16)
O=$C/ioreq-xen/$KEY
if [ -f "$O/xen" ] && [ -f "$O/done" ]; then echo "$O/xen"; exit 0; fi
for t in aarch64-linux-gnu-gcc flex bison make apt-get xz python3; do
  command -v $t >/dev/null || { echo "ioreq-xen: needs $t (tests/setup.sh installs it)" >&2; exit 1; }
done
rm -rf "$C/ioreq-xen"; mkdir -p "$O"
W=$C/ioreq-xen/work; mkdir -p "$W/apt/lists/partial" "$W/apt/cache/archives/partial" "$W/src"
# a private apt: bookworm main's sources only (the security suite's sources are not served)
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" > "$W/apt/sources.list"
APT=(-o Dir::Etc::SourceList="$W/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$W/apt/lists" -o Dir::Cache="$W/apt/cache" -o Dir::State::status=/var/lib/dpkg/status
     -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
echo "ioreq-xen: fetching Debian bookworm's xen source package" >&2
apt-get "${APT[@]}" -qq update >&2
# --print-uris: the orig tarball is all the hypervisor needs (Debian's patches touch the tools)
ORIG=$(apt-get "${APT[@]}" -qq source --print-uris xen | awk -F"'" '/orig\.tar/{print $2}' | head -1)
[ -n "$ORIG" ] || { echo "ioreq-xen: bookworm main serves no xen orig tarball" >&2; exit 1; }
(cd "$W/src" && apt-get "${APT[@]}" -qq source --download-only xen >&2)
T=$(ls "$W"/src/xen_*.orig.tar.* | head -1)
echo "ioreq-xen: building from $(basename "$T") (from $ORIG)" >&2
mkdir -p "$W/tree"; tar -xf "$T" -C "$W/tree" --strip-components=1
cd "$W/tree/xen"
cp "$CONFIG" .config
# IOREQ_SERVER is "bool ... if EXPERT && !X86" in xen/common/Kconfig: invisible without EXPERT
{ echo "CONFIG_EXPERT=y"; echo "CONFIG_IOREQ_SERVER=y"; } >> .config
MK=(XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
make "${MK[@]}" olddefconfig >&2
grep -qx 'CONFIG_IOREQ_SERVER=y' .config || { echo "ioreq-xen: olddefconfig dropped CONFIG_IOREQ_SERVER" >&2; exit 1; }
make "${MK[@]}" -j"${JOBS:-2}" >&2
cp xen "$O/xen"; cp .config "$O/config"; echo "$(basename "$T")" > "$O/source"
rm -rf "$W"
touch "$O/done"
echo "$O/xen"
