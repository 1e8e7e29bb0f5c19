#!/bin/sh
# Where the time goes when dom0 runs xlite under TCG (a diagnostic scenario, not run by tests).
. /mnt/xlite/tests/testbed/scenarios/lib.sh
D="/mnt/tools/deno-aarch64"
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
t() { s=$(up); "$@" > /dev/null 2>&1; say "$(echo "$(up) - $s" | bc 2>/dev/null || echo "?") s: $*"; }
t $D eval 1
t $D eval 1
t xlite help
t xlite help
t xlite list
t xlite list
t $D run -A --no-lock --config /mnt/xlite/deno.json /mnt/xlite/lib/xen/mod.ts
t $D run -A --no-lock --config /mnt/xlite/deno.json /mnt/xlite/lib/xenstore/mod.ts
t $D run -A --no-lock --no-config /mnt/xlite/lib/xenstore/mod.ts
t $D run -A --no-lock --config /mnt/xlite/deno.json /mnt/xlite/lib/domain/list.ts
finish
