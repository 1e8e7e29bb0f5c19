#!/usr/bin/env bash
# Builds dtb_peer (libxl-style guest DTB with the system libfdt) into .build/dtb-peer/,
# only when the source is newer than the binary.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=.build/dtb-peer/dtb_peer
src=bench/native/dtb/dtb_peer.c
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p .build/dtb-peer
  gcc -O2 -Wall -o "$out" "$src" -lfdt
fi
