#!/bin/sh
# Builds the libxlutil config oracle into .build/cfg-oracle/ when out of date.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/.build/cfg-oracle"
mkdir -p "$out"
if [ ! -x "$out/cfg-oracle" ] || [ "$here/cfg_oracle.c" -nt "$out/cfg-oracle" ]; then
  cc -O1 -Wall -Werror -o "$out/cfg-oracle.tmp" "$here/cfg_oracle.c" -lxlutil -lxenlight
  mv "$out/cfg-oracle.tmp" "$out/cfg-oracle"
fi
