/**
 * Runs the real-Xen testbed (tests/testbed/run.sh: Xen 4.17 arm64 + Linux dom0 under QEMU TCG)
 * from the normal suite: one boot runs the `lifecycle` scenario, which drives domains made by
 * `xl create` with xlite's commands and compares them with xl's; a second boot runs the `create`
 * scenario (guests built by `xlite create`); a third the `console_xenstore` scenario (xlite's
 * creation writes against what `xl create -p` wrote, `xlite console` beside `xl console`). Skipped, with the reason
 * printed, when the host cannot run the testbed (no qemu, packages not reachable).
 *
 * @module
 */
import { assertEquals } from "../support/assert.ts";

const runSh = new URL("./run.sh", import.meta.url).pathname;

async function bash(args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [runSh, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

// Preparing the testbed (download + image build, cached) decides whether the test can run.
const ready = await bash(["--check"]);
const reason = ready.code === 0 ? "" : ready.out.trim().split("\n").pop() ?? "unknown";
if (reason) console.log(`skipping the Xen testbed test: ${reason}`);

Deno.test({
  name: "testbed: real Xen 4.17 on QEMU: xlite list/pause/unpause/shutdown/destroy interop with xl",
  ignore: reason !== "",
  async fn() {
    const { code, out } = await bash(["lifecycle"]);
    if (code !== 0) console.log(out);
    assertEquals(code, 0, "the lifecycle scenario failed (its log is printed above)");
  },
});

Deno.test({
  name:
    "testbed: real Xen 4.17 on QEMU: xlite create boots guests (dry-run DTB, disks), failures leave nothing",
  ignore: reason !== "",
  async fn() {
    const { code, out } = await bash(["create"]);
    if (code !== 0) console.log(out);
    assertEquals(code, 0, "the create scenario failed (its log is printed above)");
  },
});

Deno.test({
  name:
    "testbed: real Xen 4.17 on QEMU: creation xenstore writes equal xl's; xlite console attaches like xl console",
  ignore: reason !== "",
  async fn() {
    const { code, out } = await bash(["console_xenstore"]);
    if (code !== 0) console.log(out);
    assertEquals(code, 0, "the console_xenstore scenario failed (its log is printed above)");
  },
});
