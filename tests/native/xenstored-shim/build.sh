#!/usr/bin/env bash
# Builds the xenstored LD_PRELOAD shim into .build/xenstored-shim/xsshim.so, only when
# xsshim.c is newer than the library. Lets Debian's real xenstored / oxenstored (Xen 4.17)
# run without a hypervisor for the tests and benchmarks.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.build/xenstored-shim"
mkdir -p "$out"
if [ ! -e "$out/xsshim.so" ] || [ "$here/xsshim.c" -nt "$out/xsshim.so" ]; then
  # a private temp name: parallel test files may build at the same time
  gcc -shared -fPIC -O2 -Wall -o "$out/xsshim.so.$$" "$here/xsshim.c" -ldl
  mv "$out/xsshim.so.$$" "$out/xsshim.so"
fi
