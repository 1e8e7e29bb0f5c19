/**
 * Runs tests/testbed/run.sh (real Xen 4.17 arm64 under QEMU TCG) from Deno tests: one
 * readiness check per test file, and one Deno test per scenario, skipped with the reason
 * printed when the host cannot run the testbed (no qemu, packages not reachable).
 *
 * @module
 */
import { assertEquals } from "../support/assert.ts";

const runSh = new URL("./run.sh", import.meta.url).pathname;

/**
 * Runs `run.sh ARGS...` (with `env` added, e.g. `XLITE_TESTBED_SUITE`); returns its exit code
 * and everything it printed.
 */
export async function runTestbed(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [runSh, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

/**
 * Why the testbed of `suite` (bookworm, trixie) cannot run here, or "" when it can. Preparing
 * it (download + image build, cached) is what decides, so this runs `run.sh --check`.
 */
export async function testbedSkipReason(suite = "bookworm"): Promise<string> {
  const ready = await runTestbed(["--check"], { XLITE_TESTBED_SUITE: suite });
  return ready.code === 0 ? "" : ready.out.trim().split("\n").pop() ?? "unknown";
}

/**
 * Registers a Deno test that boots the testbed (of `suite`, when given; else the scenario's
 * own `# testbed-suite:` line, else bookworm) and runs `scenario` there (several joined by
 * `+` share the boot).
 */
export function testbedScenarioTest(
  name: string,
  scenario: string,
  skipReason: string,
  suite?: string,
): void {
  Deno.test({
    name,
    ignore: skipReason !== "",
    async fn() {
      const { code, out } = await runTestbed(
        [scenario],
        suite ? { XLITE_TESTBED_SUITE: suite } : {},
      );
      if (code !== 0) console.log(out);
      assertEquals(code, 0, `the ${scenario} scenario failed (its log is printed above)`);
    },
  });
}
