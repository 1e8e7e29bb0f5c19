#!/bin/sh
# Builds the libxlutil config-parsing bench peer into .build/xl_cfg_bench/ when out of date.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/.build/xl_cfg_bench"
mkdir -p "$out"
if [ ! -x "$out/xl_cfg_peer" ] || [ "$here/xl_cfg_peer.c" -nt "$out/xl_cfg_peer" ]; then
  cc -O2 -Wall -Werror -o "$out/xl_cfg_peer.tmp" "$here/xl_cfg_peer.c" -lxlutil -lxenlight
  mv "$out/xl_cfg_peer.tmp" "$out/xl_cfg_peer"
fi
