#!/usr/bin/env bash
# Downloads (never installs) what the Xen-on-QEMU testbed boots: Debian arm64 packages of one suite
# (bookworm: Xen 4.17, Linux 6.1; trixie: Xen 4.20, Linux 6.12; hypervisor, kernel, Xen tools and
# their libraries, busybox) and an aarch64 Deno from npm, into the cache directory $C (outside the
# clone), and unpacks them there. Trixie's package lists live in a private apt state directory
# ($C/apt), so the host's own apt sources stay as they are.
# Idempotent: does nothing when $C/fetch.stamp matches this script's package list.
# usage: C=<cache dir> [XLITE_TESTBED_SUITE=bookworm|trixie] fetch.sh
set -euo pipefail
C=${C:?cache dir}
DENO_ARM64_VERSION=${DENO_ARM64_VERSION:-2.9.5}   # 2.9.6 (the host's) has no arm64 build on npm
SUITE=${XLITE_TESTBED_SUITE:-bookworm}
KEY="v1 $SUITE deno=$DENO_ARM64_VERSION $(sha256sum "$0" | cut -c1-16)"
if [ -f "$C/fetch.stamp" ] && [ "$(cat "$C/fetch.stamp")" = "$KEY" ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
mkdir -p "$C/debs"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "testbed: enabling the arm64 Debian architecture (dpkg --add-architecture arm64)"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=300
fi
APT=()
case $SUITE in
  bookworm) XV=4.17; EXT2FS=libext2fs2 ;;
  trixie)
    # a private apt state for trixie arm64 (the host's sources.list is bookworm's)
    XV=4.20; EXT2FS=libext2fs2t64; A=$C/apt
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/etc/sources.list.d" "$A/etc/preferences.d"
    echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$A/etc/sources.list"
    touch "$A/status"
    APT=(-o "Dir::Etc::SourceList=$A/etc/sources.list" -o "Dir::Etc::SourceParts=$A/etc/sources.list.d"
         -o "Dir::Etc::Preferences=$A/etc/preferences" -o "Dir::Etc::PreferencesParts=$A/etc/preferences.d"
         -o "Dir::State=$A" -o "Dir::State::Lists=$A/lists" -o "Dir::State::status=$A/status"
         -o "Dir::Cache=$A/cache" -o APT::Architecture=arm64 -o APT::Architectures=arm64)
    apt-get "${APT[@]}" update -qq ;;
  *) echo "testbed: XLITE_TESTBED_SUITE must be bookworm or trixie, not '$SUITE'" >&2; exit 2 ;;
esac
KPKG=$(apt-cache "${APT[@]}" depends linux-image-arm64:arm64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || { echo "testbed: no arm64 kernel package found (apt-get update?)" >&2; exit 1; }
PKGS="xen-hypervisor-$XV-arm64:arm64 $KPKG busybox-static:arm64
 xen-utils-$XV:arm64 xen-utils-common:arm64 xenstore-utils:arm64 libxencall1:arm64 libxendevicemodel1:arm64
 libxenevtchn1:arm64 libxenforeignmemory1:arm64 libxengnttab1:arm64 libxenhypfs1:arm64 libxenmisc$XV:arm64
 libxenstore4:arm64 libxentoolcore1:arm64 libxentoollog1:arm64 libyajl2:arm64 libc6:arm64 libncurses6:arm64
 libtinfo6:arm64 libfdt1:arm64 libgcc-s1:arm64 zlib1g:arm64 liblzma5:arm64 libzstd1:arm64 libbz2-1.0:arm64
 libuuid1:arm64 $EXT2FS:arm64 libcom-err2:arm64 bash:arm64 util-linux:arm64 libxen-dev:arm64"
echo "testbed: downloading arm64 packages into $C/debs"
rm -f "$C"/debs/*.deb
(cd "$C/debs" && apt-get "${APT[@]}" download $PKGS 2>&1 | grep -v '^W:' | tail -1)
echo "testbed: downloading aarch64 deno $DENO_ARM64_VERSION from npm"
rm -rf "$C/npm"; mkdir -p "$C/npm"
(cd "$C/npm" && npm pack --silent "@deno/linux-arm64-glibc@$DENO_ARM64_VERSION" >/dev/null 2>&1)
# unpack: x = hypervisor + kernel (+ modules), full = dom0 userland, extra = bash + util-linux
rm -rf "$C/x" "$C/full" "$C/extra" "$C/dev" "$C/deno"; mkdir -p "$C/x" "$C/full" "$C/extra" "$C/dev" "$C/deno"
for d in "$C"/debs/*.deb; do
  case $d in
    *linux-image*|*xen-hypervisor*) dpkg-deb -x "$d" "$C/x" ;;
    */bash_*|*/util-linux_*) dpkg-deb -x "$d" "$C/extra" ;;
    */libxen-dev_*) dpkg-deb -x "$d" "$C/dev" ;;   # headers only: tests/xen/xen_abi_test.ts
    *) dpkg-deb -x "$d" "$C/full" ;;
  esac
done
# trixie's packages are /usr-merged (no /bin, /sbin, /lib of their own): the symlinks base-files
# would make, so the paths the images use (/bin/busybox, /lib/ld-linux-aarch64.so.1) hold
for t in "$C/full" "$C/extra"; do
  for d in bin sbin lib; do [ -e "$t/$d" ] || [ ! -d "$t/usr/$d" ] || ln -s "usr/$d" "$t/$d"; done
done
tar -xzf "$C"/npm/*.tgz -C "$C/deno"
D=$(find "$C/deno" -type f -name deno | head -1)
[ -n "$D" ] || { echo "testbed: no deno binary in the npm package" >&2; exit 1; }
mv "$D" "$C/deno-aarch64"; chmod +x "$C/deno-aarch64"; rm -rf "$C/deno"
ls "$C/x/boot/xen-$XV-arm64" "$C"/x/boot/vmlinuz-* >/dev/null
echo "$KEY" > "$C/fetch.stamp"
echo "testbed: fetched into $C"
