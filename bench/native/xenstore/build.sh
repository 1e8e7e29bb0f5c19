#!/usr/bin/env bash
# Builds the libxenstore bench peer into .build/xenstore_bench/ when out of date.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.build/xenstore_bench"
bin="$out/xs_bench"
mkdir -p "$out"
if [ -x "$bin" ] && [ "$bin" -nt "$here/xs_bench.c" ] && [ "$bin" -nt "$here/build.sh" ]; then
  exit 0
fi
gcc -O2 -Wall -o "$bin.tmp" "$here/xs_bench.c" -lxenstore
mv "$bin.tmp" "$bin"
