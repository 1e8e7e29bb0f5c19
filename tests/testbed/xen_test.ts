/**
 * Runs the real-Xen testbed (tests/testbed/run.sh: Xen 4.17 arm64 + Linux dom0 under QEMU TCG)
 * from the normal suite: one boot runs the `lifecycle` scenario, which drives domains made by
 * `xl create` with xlite's commands and compares them with xl's; a second boot runs the `create`
 * scenario (guests built by `xlite create`); a third the `console_xenstore` scenario (xlite's
 * creation writes against what `xl create -p` wrote, `xlite console` beside `xl console`); a
 * fourth, on the testbed's IOREQ hypervisor (build-ioreq-xen.sh, built once and cached), the
 * `ioreq` scenario (xlite's Xen frontend carrier serves a guest's MMIO window); a fifth, on the
 * same hypervisor, the `virtio_disk` scenario (`xlite devd` serves virtio disks end to end to
 * guests made by `xlite create` and `xl create`); a sixth, with QEMU's pl031 marked
 * xen,passthrough, the `passthrough` scenario (iomem + irqs + device_tree on real create, beside
 * xl); a seventh `network+query` (a guest's vif on a dom0 bridge: pings, transfers, xenstore
 * nodes and network-list equal xl's, network-attach/-detach, bad input; then the query commands
 * beside xl, byte for byte); an eighth the `lifecycle_actions` scenario (what `xlite watch` does
 * when xlite's guests power off, reboot or crash, against xl's child on the same configs); the
 * Debian trixie flavour (Xen 4.20) boots from xen420_test.ts, which runs beside this
 * file (`deno test --parallel` runs files side by side; each boot keeps one core busy). Skipped,
 * with the reason printed, when the host cannot run the testbed (no qemu, packages not reachable).
 *
 * @module
 */
import { testbedScenarioTest, testbedSkipReason } from "./harness.ts";

const reason = await testbedSkipReason();
if (reason) console.log(`skipping the Xen testbed test: ${reason}`);

testbedScenarioTest(
  "testbed: real Xen 4.17 on QEMU: xlite list/pause/unpause/shutdown/destroy interop with xl",
  "lifecycle",
  reason,
);
testbedScenarioTest(
  "testbed: real Xen 4.17 on QEMU: xlite create boots guests (dry-run DTB, disks), failures leave nothing",
  "create",
  reason,
);
testbedScenarioTest(
  "testbed: real Xen 4.17 on QEMU: creation xenstore writes equal xl's; xlite console attaches like xl console",
  "console_xenstore",
  reason,
);
testbedScenarioTest(
  "testbed: Xen 4.17 with IOREQ servers on QEMU: the Xen frontend carrier serves a guest's virtio-mmio window",
  "ioreq",
  reason,
);
testbedScenarioTest(
  "testbed: Xen 4.17 with IOREQ servers on QEMU: xlite devd serves virtio disks to guests of xlite create and xl create",
  "virtio_disk",
  reason,
);
testbedScenarioTest(
  "testbed: real Xen 4.17 on QEMU: vifs on a dom0 bridge carry pings and data, equal xl's; the query commands print what xl prints",
  "network+query",
  reason,
);
testbedScenarioTest(
  "testbed: real Xen 4.17 on QEMU: a passed-through pl031 works in an xlite guest as in xl's; bad input fails as xl's",
  "passthrough",
  reason,
);
testbedScenarioTest(
  "testbed: real Xen 4.17 on QEMU: on_poweroff/on_reboot/on_crash of xlite's guests act as xl's (destroy, restart, rename-restart, preserve, coredump, create -F, a crash loop)",
  "lifecycle_actions",
  reason,
);
