/**
 * Prints the applet names of a (foreign-architecture) busybox binary, one per line: the
 * host cannot run the arm64 `busybox --list`, so read the sorted, NUL-separated name table
 * that starts with "[\0[[\0" straight out of the binary.
 *
 * usage: deno run --allow-read tests/testbed/busybox_applets.ts <busybox>
 *
 * @module
 */

/** Returns the applet names found in a busybox binary's name table. */
export function busyboxApplets(binary: Uint8Array): string[] {
  const start = findTable(binary);
  if (start < 0) throw new Error("no applet name table found");
  const names: string[] = [];
  let at = start;
  while (at < binary.length && binary[at] !== 0) {
    const end = binary.indexOf(0, at);
    names.push(new TextDecoder("latin1").decode(binary.subarray(at, end)));
    at = end + 1;
  }
  return names;
}

function findTable(binary: Uint8Array): number {
  const needle = [0x5b, 0, 0x5b, 0x5b, 0]; // "[\0[[\0"
  outer: for (let i = binary.indexOf(0x5b); i >= 0; i = binary.indexOf(0x5b, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (binary[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

if (import.meta.main) {
  const [path] = Deno.args;
  if (!path) {
    console.error("usage: busybox_applets.ts <busybox>");
    Deno.exit(2);
  }
  console.log(busyboxApplets(await Deno.readFile(path)).join("\n"));
}
