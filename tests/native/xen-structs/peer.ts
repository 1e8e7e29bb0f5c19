/**
 * The C peer of the hypercall-struct tests: tests/native/xen-structs, built (once, by its
 * build.sh) from Debian's libxen-dev headers, prints the structs it fills as hex.
 *
 * @module
 */
const PEER = new URL("../../../.build/xen-structs/xen-structs", import.meta.url).pathname;
const BUILD = new URL("./build.sh", import.meta.url).pathname;

/** Runs `xen-structs ARGS...` (building it first when needed); its output, trimmed. */
export async function xenStructsPeer(...args: string[]): Promise<string> {
  await new Deno.Command("sh", { args: [BUILD] }).output();
  const { code, stdout, stderr } = await new Deno.Command(PEER, { args }).output();
  const text = new TextDecoder();
  if (code !== 0) throw new Error(`xen-structs ${args.join(" ")}: ${text.decode(stderr)}`);
  return text.decode(stdout).trim();
}

/** Lower-case hex of `bytes`, as the peer prints them. */
export const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
