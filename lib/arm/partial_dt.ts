/**
 * The partial device tree of `device_tree = "…"` (spec §4.1, §4.3): libxl's checks on the
 * file (`check_partial_fdt`) and the copy of its `/passthrough` and `/aliases` nodes into the
 * guest device tree (`copy_partial_fdt`), with libxl's error texts.
 *
 * @module
 */
import { FDT_MAGIC, FdtError, type FdtNode, type FdtWriter, readFdt } from "../fdt/mod.ts";
import { XliteError } from "../errors.ts";

/** A partial device tree libxl would refuse, with libxl's text. */
export class PartialDtError extends XliteError {
  /** An error with libxl's `message`. */
  constructor(message: string) {
    super(message);
    this.name = "PartialDtError";
  }
}

/** The nodes of a checked partial device tree the guest gets. */
export interface PartialDt {
  /** `/passthrough`, exactly that name (libxl compares the unit address too). */
  passthrough: FdtNode | undefined;
  /** `/aliases`, if any. */
  aliases: FdtNode | undefined;
}

/**
 * `check_partial_fdt`: the magic, `fdt_check_header`, and a `totalsize` within the file;
 * then the tree read (a structure block libfdt cannot walk fails as libxl's copy would).
 *
 * @example
 * ```ts
 * const partial = checkPartialDt(await Deno.readFile("passthrough.dtb"));
 * ```
 */
export function checkPartialDt(blob: Uint8Array): PartialDt {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length < 4 || view.getUint32(0) !== FDT_MAGIC) {
    throw new PartialDtError("Partial FDT is not a valid Flat Device Tree");
  }
  let tree;
  try {
    tree = readFdt(blob);
  } catch (error) {
    if (!(error instanceof FdtError)) throw error;
    if (error.code !== undefined) {
      throw new PartialDtError(`Failed to check the partial FDT (${error.code})`);
    }
    if (blob.length >= 8 && view.getUint32(4) > blob.length) {
      throw new PartialDtError("Partial FDT totalsize is too big");
    }
    throw new PartialDtError(`Failed to check the partial FDT: ${error.message}`);
  }
  return {
    passthrough: exactNode(tree.root, "passthrough"),
    aliases: exactNode(tree.root, "aliases"),
  };
}

/**
 * The root child libfdt's `fdt_path_offset("/name")` finds (the first named `name` or
 * `name@…`), kept only when its name is exactly `name` (libxl's `copy_node_by_path`).
 */
function exactNode(root: FdtNode, name: string): FdtNode | undefined {
  const found = root.children.find((c) => c.name === name || c.name.startsWith(`${name}@`));
  return found?.name === name ? found : undefined;
}

/**
 * `copy_partial_fdt`: `/passthrough` (mandatory) then `/aliases` (optional), each copied
 * recursively, properties verbatim and in order, into the open root node of `w`.
 */
export function copyPartialDt(w: FdtWriter, partial: PartialDt): void {
  if (!partial.passthrough) {
    throw new PartialDtError('Can\'t copy the node "/passthrough" from the partial FDT');
  }
  copyNode(w, partial.passthrough);
  if (partial.aliases) copyNode(w, partial.aliases);
}

function copyNode(w: FdtWriter, node: FdtNode): void {
  w.beginNode(node.name);
  for (const p of node.properties) w.property(p.name, p.value);
  for (const child of node.children) copyNode(w, child);
  w.endNode();
}
