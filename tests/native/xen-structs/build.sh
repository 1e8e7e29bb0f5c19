#!/bin/sh
# Builds the Xen struct-layout peer (Debian's libxen-dev headers) into .build/xen-structs/
# when out of date.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/.build/xen-structs"
mkdir -p "$out"
if [ ! -x "$out/xen-structs" ] || [ "$here/xen_structs.c" -nt "$out/xen-structs" ]; then
  cc -O1 -Wall -Werror -o "$out/xen-structs.tmp" "$here/xen_structs.c"
  mv "$out/xen-structs.tmp" "$out/xen-structs"
fi
