/**
 * Device-tree source text exactly as `dtc -I dtb -O dts` (dtc 1.6.1, `treesource.c`) prints
 * a blob: with no type information in a blob, dtc guesses each value's form (string list,
 * u32 cells or bytes) and so does this module, rule for rule.
 *
 * @module
 */
import { type FdtNode, type FdtTree, readFdt } from "./fdt_reader.ts";

/**
 * The `dtc -I dtb -O dts` text of `blob`.
 *
 * @example
 * ```ts
 * console.log(toDts(await Deno.readFile("guest.dtb")));
 * ```
 */
export function toDts(blob: Uint8Array): string {
  return treeToDts(readFdt(blob));
}

/** The `dtc -I dtb -O dts` text of a tree already read with `readFdt`. */
export function treeToDts(tree: FdtTree): string {
  const out: string[] = ["/dts-v1/;\n\n"];
  for (const { address, size } of tree.memoryReservations) {
    out.push(`/memreserve/\t0x${hex64(address)} 0x${hex64(size)};\n`);
  }
  writeNode(out, tree.root, 0);
  return out.join("");
}

function hex64(value: bigint): string {
  return value.toString(16).padStart(16, "0");
}

function writeNode(out: string[], node: FdtNode, level: number): void {
  const indent = "\t".repeat(level);
  out.push(`${indent}${node.name === "" ? "/" : node.name} {\n`);
  for (const { name, value } of node.properties) {
    out.push(`${indent}\t${name}${propertyValue(value)}\n`);
  }
  for (const child of node.children) {
    out.push("\n");
    writeNode(out, child, level + 1);
  }
  out.push(`${indent}};\n`);
}

/** dtc's `write_propval` for a value without type markers. */
function propertyValue(value: Uint8Array): string {
  if (value.length === 0) return ";";
  switch (guessValueType(value)) {
    case "string":
      return ` = ${quoteStrings(value)};`;
    case "cells": {
      const view = new DataView(value.buffer, value.byteOffset, value.length);
      const cells: string[] = [];
      for (let i = 0; i < value.length; i += 4) {
        cells.push(`0x${view.getUint32(i).toString(16).padStart(2, "0")}`);
      }
      return ` = <${cells.join(" ")}>;`;
    }
    case "bytes":
      return ` = [${Array.from(value, (b) => b.toString(16).padStart(2, "0")).join(" ")}];`;
  }
}

/** C-locale `isprint`, or NUL, or one of `\a\b\t\n\v\f\r` (dtc's `isstring`). */
function isStringByte(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0 || (b >= 7 && b <= 13);
}

/** dtc's `guess_value_type`: a string list when NUL-terminated, printable, NULs ≤ half. */
function guessValueType(value: Uint8Array): "string" | "cells" | "bytes" {
  let notString = 0;
  let nul = 0;
  for (const b of value) {
    if (!isStringByte(b)) notString++;
    if (b === 0) nul++;
  }
  if (value[value.length - 1] === 0 && notString === 0 && nul <= value.length - nul) {
    return "string";
  }
  return value.length % 4 === 0 ? "cells" : "bytes";
}

const ESCAPES: Record<number, string> = {
  0: "\\0",
  7: "\\a",
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
  0x5c: "\\\\",
  0x22: '\\"',
};

/** dtc's `write_propval_string`: one quoted string, inner NULs as `\0`. */
function quoteStrings(value: Uint8Array): string {
  let text = '"';
  for (let i = 0; i < value.length - 1; i++) {
    const b = value[i];
    text += ESCAPES[b] ??
      (b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`);
  }
  return text + '"';
}
