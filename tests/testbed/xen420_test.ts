/**
 * Runs the testbed's Debian trixie flavour (Xen 4.20, Linux 6.12, xl 4.20; tests/testbed/run.sh
 * with `XLITE_TESTBED_SUITE=trixie`) from the normal suite, in one boot: the `xen420` scenario
 * (4.20 features by xl and by xlite compared, cross-toolstack lifecycle, tee=ffa refusal), then
 * the `lifecycle`, `create` (block-attach/list/detach included) and `console_xenstore`
 * scenarios that xen_test.ts boots on 4.17, here on 4.20; a second boot runs `network+query`
 * (vifs and the query commands beside xl 4.20). A file of its own so that
 * `deno test --parallel` boots it beside xen_test.ts's bookworm boots. Skipped, with the
 * reason printed, when the host cannot run the trixie testbed.
 *
 * @module
 */
import { testbedScenarioTest, testbedSkipReason } from "./harness.ts";

const trixie = await testbedSkipReason("trixie");
if (trixie) console.log(`skipping the Xen 4.20 (trixie) testbed test: ${trixie}`);
testbedScenarioTest(
  "testbed: real Xen 4.20 (trixie) on QEMU: xlite's 4.20 guests equal xl 4.20's (DT, xenstore); lifecycle, create, block-*, console and creation xenstore as on 4.17",
  "xen420+lifecycle+create+console_xenstore",
  trixie,
  "trixie",
);
// The same network and query scenarios as on bookworm, compared with xl 4.20.
testbedScenarioTest(
  "testbed: real Xen 4.20 (trixie) on QEMU: vifs carry pings and data, equal xl 4.20's; the query commands print what xl 4.20 prints",
  "network+query",
  trixie,
  "trixie",
);
testbedScenarioTest(
  "testbed: real Xen 4.20 (trixie) on QEMU: on_poweroff/on_reboot/on_crash of xlite's guests act as xl 4.20's (destroy, restart, rename-restart, preserve, coredump, create -F, a crash loop)",
  "lifecycle_actions",
  trixie,
  "trixie",
);
