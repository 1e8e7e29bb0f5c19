#!/usr/bin/env bash
# Builds the xl LD_PRELOAD shim into .build/xl-shim/xlshim.so, only when xlshim.c is newer
# than the library. With the xenstored shim it lets Debian's real xl 4.17 run block-attach,
# block-detach and block-list against a test's private xenstored (tests/devices/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.build/xl-shim"
mkdir -p "$out"
if [ ! -e "$out/xlshim.so" ] || [ "$here/xlshim.c" -nt "$out/xlshim.so" ]; then
  gcc -shared -fPIC -O2 -Wall -Werror -o "$out/xlshim.so.tmp" "$here/xlshim.c"
  mv "$out/xlshim.so.tmp" "$out/xlshim.so"
fi
