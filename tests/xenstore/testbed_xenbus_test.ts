/**
 * xlite's xenstore client and CLI on real Xen: boots the project's testbed
 * (tests/testbed/run.sh: Xen 4.17 arm64 + Linux dom0 under QEMU TCG) with the scenario
 * `tests/xenstore/testbed_xenbus.sh`, which runs the client over the daemon socket and over
 * /dev/xen/xenbus and compares `xlite xenstore` with Debian's tools. Skipped, with the reason
 * printed, when the host cannot run the testbed.
 *
 * @module
 */
import { assertEquals } from "../support/assert.ts";

const runSh = new URL("../testbed/run.sh", import.meta.url).pathname;
// run.sh looks for tests/testbed/scenarios/<name>.sh; this scenario lives beside this test
const SCENARIO = "../../xenstore/testbed_xenbus";

async function bash(args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [runSh, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

const ready = await bash(["--check"]);
const reason = ready.code === 0 ? "" : ready.out.trim().split("\n").pop() ?? "unknown";
if (reason) console.log(`skipping the xenstore-on-real-Xen test: ${reason}`);

Deno.test({
  name: "testbed: xlite xenstore client over the socket and /dev/xen/xenbus on real Xen 4.17",
  ignore: reason !== "",
  async fn() {
    const { code, out } = await bash([SCENARIO]);
    if (code !== 0) console.log(out);
    assertEquals(code, 0, "the testbed_xenbus scenario failed (its log is printed above)");
  },
});
