#!/usr/bin/env bash
# Builds the native libxlutil disk-spec bench peer into .build/disk_parse_bench/ when out of date.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.build/disk_parse_bench"
bin="$out/disk_parse_bench"
mkdir -p "$out"
if [ -x "$bin" ] && [ "$bin" -nt "$here/disk_parse_bench.c" ] && [ "$bin" -nt "$here/build.sh" ]; then
  exit 0
fi
gcc -O2 -Wall -o "$bin.tmp" "$here/disk_parse_bench.c" -lxlutil -lxenlight
mv "$bin.tmp" "$bin"
