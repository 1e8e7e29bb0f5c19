/**
 * Runs in dom0 (testbed `golden` scenario): copies the device tree libxl placed in a paused,
 * never-run domain out of its memory (lib/xen foreign memory) and writes it, cut to the FDT
 * header's `totalsize`.
 *
 * usage: deno run -A tests/golden/read_guest_dtb.ts <domid> <gpa> <segment-length> <out.dtb>
 *
 * @module
 */
import { readGuestMemory } from "../../lib/xen/foreign_memory.ts";

const FDT_MAGIC = 0xd00dfeed;

/** Cuts a page-rounded memory segment to the FDT it holds; throws when it holds none. */
export function cutToFdt(segment: Uint8Array): Uint8Array {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  if (segment.length < 40 || view.getUint32(0) !== FDT_MAGIC) {
    throw new Error("no FDT magic at the start of the devicetree segment");
  }
  const total = view.getUint32(4);
  if (total > segment.length) throw new Error(`FDT totalsize ${total} > segment ${segment.length}`);
  return segment.slice(0, total);
}

if (import.meta.main) {
  const [domid, gpa, length, out] = Deno.args;
  if (!out) {
    console.error("usage: read_guest_dtb.ts <domid> <gpa> <length> <out.dtb>");
    Deno.exit(2);
  }
  const blob = cutToFdt(readGuestMemory(Number(domid), BigInt(gpa), Number(length)));
  await Deno.writeFile(out, blob);
  console.log(`read ${blob.length} bytes of FDT from d${domid} at ${gpa}`);
}
