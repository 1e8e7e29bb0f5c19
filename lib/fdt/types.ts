/**
 * The device-tree writer's interface, shaped like the format (rust-vmm `vm-fdt` style).
 * Implemented over libfdt's sequential-write API compiled to WebAssembly.
 *
 * @module
 */

/**
 * Sequential device-tree writer. Misuse (a property after a child node, unbalanced nodes,
 * finishing with open nodes) throws `FdtError` at the call. Running out of buffer space throws
 * `FdtNoSpaceError`, so a caller can restart with a bigger buffer as libxl does (spec §4.1).
 */
export interface FdtWriter {
  /** Opens a node; the root is `beginNode("")`. */
  beginNode(name: string): void;
  /** Closes the innermost open node. */
  endNode(): void;
  /** A raw property. */
  property(name: string, value: Uint8Array): void;
  /** An empty property (`interrupt-controller;`). */
  propertyEmpty(name: string): void;
  /** One big-endian u32 cell. */
  propertyU32(name: string, value: number): void;
  /** One big-endian u64 (two cells). */
  propertyU64(name: string, value: bigint): void;
  /** Big-endian u32 cells. */
  propertyCells(name: string, cells: readonly number[]): void;
  /** One NUL-terminated string. */
  propertyString(name: string, value: string): void;
  /** NUL-terminated strings, concatenated (`compatible`). */
  propertyStrings(name: string, values: readonly string[]): void;
  /** Finishes the blob (`fdt_finish`) and returns a copy of it. */
  finish(): Uint8Array;
  /** Releases the writer's buffer without finishing (also done by any error and `finish`). */
  abort(): void;
}
