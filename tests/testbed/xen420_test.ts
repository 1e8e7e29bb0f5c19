/**
 * Runs the testbed's Debian trixie flavour (Xen 4.20, Linux 6.12, xl 4.20; tests/testbed/run.sh
 * with `XLITE_TESTBED_SUITE=trixie`) from the normal suite: the `xen420` scenario (4.20 features
 * by xl and by xlite compared, cross-toolstack lifecycle, tee=ffa refusal). A file of its own so
 * that `deno test --parallel` boots it beside xen_test.ts's bookworm boots. Skipped, with the
 * reason printed, when the host cannot run the trixie testbed.
 *
 * @module
 */
import { testbedScenarioTest, testbedSkipReason } from "./harness.ts";

// Debian trixie's Xen 4.20: one boot runs the xen420 scenario (4.20 features by xl and by
// xlite compared, cross-toolstack lifecycle, tee=ffa refusal).
const trixie = await testbedSkipReason("trixie");
if (trixie) console.log(`skipping the Xen 4.20 (trixie) testbed test: ${trixie}`);
testbedScenarioTest(
  "testbed: real Xen 4.20 (trixie) on QEMU: xlite's 4.20 guests equal xl 4.20's (DT, xenstore); xl/xlite manage each other's",
  "xen420",
  trixie,
);
testbedScenarioTest(
  "testbed: real Xen 4.20 (trixie) on QEMU: on_poweroff/on_reboot/on_crash of xlite's guests act as xl 4.20's (destroy, restart, rename-restart, preserve, coredump, create -F, a crash loop)",
  "lifecycle_actions",
  trixie,
);
