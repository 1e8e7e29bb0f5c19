/**
 * xlite's xenstore client and CLI on real Xen: boots the project's testbed
 * (tests/testbed/run.sh: Xen 4.17 arm64 + Linux dom0 under QEMU TCG) with the scenario
 * `tests/xenstore/testbed_xenbus.sh`, which runs the client over the daemon socket and over
 * /dev/xen/xenbus and compares `xlite xenstore` with Debian's tools. Skipped, with the reason
 * printed, when the host cannot run the testbed.
 *
 * @module
 */
import { testbedScenarioTest, testbedSkipReason } from "../testbed/harness.ts";

// run.sh looks for tests/testbed/scenarios/<name>.sh; this scenario lives beside this test
const SCENARIO = "../../xenstore/testbed_xenbus";

const reason = await testbedSkipReason();
if (reason) console.log(`skipping the xenstore-on-real-Xen test: ${reason}`);

testbedScenarioTest(
  "testbed: xlite xenstore client over the socket and /dev/xen/xenbus on real Xen 4.17",
  SCENARIO,
  reason,
);
