#!/bin/sh
# testbed-xen: stock
# Debian's own hypervisor (no CONFIG_IOREQ_SERVER): opening xlite's Xen frontend carrier for a
# paused guest fails with the one clear line of IoreqUnsupportedError, and leaves nothing
# behind (the guest is destroyed cleanly afterwards). Not in the suite (one more boot); run it
# with `tests/testbed/run.sh ioreq_stock`.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/ios; mkdir -p $T
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
xenhypfs cat /buildinfo/config > $T/config 2>&1
check "the hypervisor has no CONFIG_IOREQ_SERVER (hypfs build config)" \
  sh -c "grep -q '^CONFIG_' $T/config && ! grep -q 'CONFIG_IOREQ_SERVER=y' $T/config"
guest_cfg st1 $T/st1.cfg xlite.hold
check "xl create -p st1" xl create -p $T/st1.cfg
D=$(xl domid st1 2>/dev/null)
cat > $T/open.ts <<EOF
import { openXenFrontendCarrier } from "/mnt/xlite/lib/devd/xen_carrier.ts";
try {
  await openXenFrontendCarrier($D);
  console.log("opened");
} catch (e) {
  console.log(\`\${(e as Error).name}: \${(e as Error).message}\`);
}
EOF
/mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json $T/open.ts > $T/open.out 2>&1
sed 's/^/  open| /' $T/open.out
check "IoreqUnsupportedError, naming CONFIG_IOREQ_SERVER" \
  grep -q "^IoreqUnsupportedError: creating an IOREQ server for domain $D failed: .*CONFIG_IOREQ_SERVER" $T/open.out
check "xl destroy st1" xl destroy st1
check "st1 is gone from the hypervisor" wait_for 20 sh -c "! xl list | awk '{print \$2}' | grep -qx '$D'"
finish
