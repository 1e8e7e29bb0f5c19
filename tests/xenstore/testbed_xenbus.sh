#!/bin/sh
# Testbed scenario (real Xen 4.17 on QEMU, run in dom0 by tests/testbed/run.sh as scenario
# ../../xenstore/testbed_xenbus): xlite's xenstore client and CLI over the daemon socket and
# over the kernel's /dev/xen/xenbus device, beside Debian's xenstore-* tools.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
D=/mnt/tools/deno-aarch64
export DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
run_client() { $D run -A --no-lock --config /mnt/xlite/deno.json /mnt/xlite/tests/xenstore/testbed_client.ts; }
check "client over the daemon socket" run_client
check "client over /dev/xen/xenbus" env XENSTORED_PATH=/dev/xen/xenbus "$D" run -A --no-lock \
  --config /mnt/xlite/deno.json /mnt/xlite/tests/xenstore/testbed_client.ts
for via in /var/run/xenstored/socket /dev/xen/xenbus; do
  export XENSTORED_PATH=$via
  xlite xenstore write /xlite-cli/a 'x\ty' /xlite-cli/b/c 2
  expect_eq "[$via] xenstore-read of what xlite wrote" "$(xenstore-read /xlite-cli/a)" 'x\ty'
  xenstore-ls -fp / > /tmp/ls-debian; xlite xenstore ls -fp / > /tmp/ls-xlite
  same "[$via] xlite xenstore ls -fp / == xenstore-ls -fp /" /tmp/ls-xlite /tmp/ls-debian
  xenstore-ls /local/domain/0 > /tmp/ls-debian; xlite xenstore ls /local/domain/0 > /tmp/ls-xlite
  same "[$via] xlite xenstore ls == xenstore-ls (dom0)" /tmp/ls-xlite /tmp/ls-debian
  xlite xenstore rm -t /xlite-cli/b/c
  check "[$via] rm -t tidied /xlite-cli/b" sh -c '! xenstore-exists /xlite-cli/b'
  xlite xenstore rm /xlite-cli
done
finish
