/**
 * Helpers for the golden device trees: take the DTB a guest printed on its console
 * (tests/testbed/domu-init prints /sys/firmware/fdt as base64 between markers), and blank
 * a property with FDT_NOP tags in place, the way Linux blanks `/chosen/rng-seed` after use
 * (drivers/of/fdt.c), so a DTB read from guest memory compares byte for byte with the one
 * the guest saw. Also runnable: `deno run -A tests/golden/golden_fdt.ts compare a.dtb b.dtb`.
 *
 * @module
 */

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;

/** Returns a copy of `blob` with every property named `name` overwritten by FDT_NOP tags. */
export function nopProperty(blob: Uint8Array, name: string): { blob: Uint8Array; count: number } {
  const out = blob.slice();
  const view = new DataView(out.buffer);
  if (view.getUint32(0) !== FDT_MAGIC) throw new Error("not a flattened device tree");
  const offStruct = view.getUint32(8);
  const offStrings = view.getUint32(12);
  const end = offStruct + view.getUint32(36);
  const text = new TextDecoder();
  const cstring = (at: number) => text.decode(out.subarray(at, out.indexOf(0, at)));
  let count = 0;
  for (let p = offStruct; p < end;) {
    const tag = view.getUint32(p);
    if (tag === FDT_BEGIN_NODE) {
      p = (out.indexOf(0, p + 4) + 1 + 3) & ~3;
    } else if (tag === FDT_PROP) {
      const len = view.getUint32(p + 4);
      const next = p + 12 + ((len + 3) & ~3);
      if (cstring(offStrings + view.getUint32(p + 8)) === name) {
        for (let w = p; w < next; w += 4) view.setUint32(w, FDT_NOP);
        count++;
      }
      p = next;
    } else if (tag === FDT_END_NODE || tag === FDT_NOP) {
      p += 4;
    } else if (tag === FDT_END) {
      break;
    } else {
      throw new Error(`bad FDT tag ${tag} at ${p}`);
    }
  }
  return { blob: out, count };
}

/** The random seed libxl writes into every guest DTB; mask it before comparing. */
export function maskRngSeed(blob: Uint8Array): Uint8Array {
  return nopProperty(blob, "rng-seed").blob;
}

/** Lines between a line matching `begin` and the next line starting with `end`. */
export function consoleBlock(
  text: string,
  begin: RegExp,
  end: string,
): { header: RegExpMatchArray; lines: string[] } | undefined {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i].match(begin);
    if (!header) continue;
    const out: string[] = [];
    for (let j = i + 1; j < lines.length && !lines[j].startsWith(end); j++) out.push(lines[j]);
    return { header, lines: out };
  }
  return undefined;
}

/** Decodes the DTB a guest printed; checks its size and sha256 against the guest's header. */
export async function consoleFdt(text: string): Promise<Uint8Array> {
  const block = consoleBlock(
    text,
    /^===FDT-BASE64-BEGIN size=(\d+) sha256=([0-9a-f]+)===$/,
    "===FDT-BASE64-END===",
  );
  if (!block) throw new Error("no FDT block in the console log");
  const b64 = block.lines.map((l) => l.trim()).filter((l) => /^[A-Za-z0-9+/=]+$/.test(l)).join("");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const sha = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  if (bytes.length !== Number(block.header[1]) || sha !== block.header[2]) {
    throw new Error(`console FDT damaged: ${bytes.length} bytes, sha256 ${sha}`);
  }
  return bytes;
}

if (import.meta.main) {
  const [cmd, a, b, out] = Deno.args;
  if (cmd === "compare" && a && b) {
    // memory copy (with rng-seed) vs the guest's copy (rng-seed NOP-ed by Linux)
    const masked = maskRngSeed(await Deno.readFile(a));
    const guest = await Deno.readFile(b);
    const same = masked.length === guest.length && masked.every((x, i) => x === guest[i]);
    console.log(`${a} (rng-seed NOP-ed) vs ${b}: ${same ? "IDENTICAL" : "DIFFERENT"}`);
    Deno.exit(same ? 0 : 1);
  } else if (cmd === "extract" && a && b) {
    // console log -> guest DTB; `out` (optional) gets the guest-info blocks
    const text = await Deno.readTextFile(a);
    await Deno.writeFile(b, await consoleFdt(text));
    if (out) {
      const info = [["cmdline", "CMDLINE"], ["/proc/iomem", "IOMEM"], ["info", "INFO"]].map(
        ([title, tag]) => {
          const block = consoleBlock(text, new RegExp(`^===${tag}-BEGIN===$`), `===${tag}-END===`);
          return `### ${title}\n${block?.lines.join("\n") ?? "(missing)"}`;
        },
      );
      await Deno.writeTextFile(out, info.join("\n") + "\n");
    }
  } else {
    console.error(
      "usage: golden_fdt.ts compare <memory.dtb> <guest.dtb>\n" +
        "       golden_fdt.ts extract <console.log> <guest.dtb> [guest-info.txt]",
    );
    Deno.exit(2);
  }
}
