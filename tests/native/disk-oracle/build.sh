#!/usr/bin/env bash
# Builds the libxlutil disk-spec oracle into .build/disk-oracle/ when out of date.
# Links Debian libxen-dev's static libxlutil.a and libxenlight.a (libxl's internal
# vdev functions are hidden in the shared library) against the shared Xen libraries.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.build/disk-oracle"
bin="$out/diskparse"
mkdir -p "$out"
if [ -x "$bin" ] && [ "$bin" -nt "$here/diskparse.c" ] && [ "$bin" -nt "$here/build.sh" ]; then
  exit 0
fi
libdir=/usr/lib/$(gcc -print-multiarch)
gcc -O2 -Wall -o "$bin.tmp" "$here/diskparse.c" \
  "$libdir/libxlutil.a" "$libdir/libxenlight.a" \
  -lxenctrl -lxenguest -lxenstore -lxentoollog -lxenevtchn -lxengnttab -lxencall \
  -lxendevicemodel -lxenforeignmemory -lxentoolcore -lxenhypfs -l:libyajl.so.2 \
  -luuid -lutil -lpthread -lm
mv "$bin.tmp" "$bin"
echo "built .build/disk-oracle/diskparse"
