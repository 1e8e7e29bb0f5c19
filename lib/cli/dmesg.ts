/**
 * `xlite dmesg [-c]`: the hypervisor's console ring (xl dmesg).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";

const USAGE = `usage: xlite dmesg [options]

Prints the hypervisor's console ring buffer, as xl dmesg does.

options:
  -c, --clear   clear the ring after reading it
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("dmesg", args, { boolean: ["clear"], alias: { c: "clear" } });
  const { openHostControl } = await import("../xen/host_control.ts");
  const hc = openHostControl();
  let chunks: Uint8Array[];
  try {
    chunks = hc.readConsoleRing(flags.clear === true);
  } finally {
    hc.close();
  }
  for (const chunk of chunks) {
    // xl prints each chunk with printf("%s"): up to its first NUL
    const end = chunk.indexOf(0);
    const bytes = end < 0 ? chunk : chunk.subarray(0, end);
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
  }
  return 0;
}

/** The `dmesg` command. */
export const command: Command = {
  summary: "read the hypervisor's console ring (xl dmesg)",
  usage: USAGE,
  run,
};
