/**
 * libxl's grow-and-retry loop around the sequential writer (`libxl__prepare_dtb`, spec §4.1):
 * write the whole tree into a 4 KiB buffer; when libfdt runs out of space, start again from
 * scratch with twice the buffer, up to `FDT_MAX_SIZE`.
 *
 * @module
 */
import { FdtNoSpaceError } from "./fdt_error.ts";
import { createFdtWriter, type FdtSequentialWriter } from "./fdt_writer.ts";
import type { FdtWriter } from "./types.ts";

/** libxl's first buffer size (`FDT_MAX_SIZE`'s loop starts at 4 KiB, spec §4.1). */
export const FDT_INITIAL_SIZE = 4096;
/** `FDT_MAX_SIZE` in libxl_arm.c: the largest buffer `libxl__prepare_dtb` tries (1 MiB). */
export const FDT_MAX_SIZE = 1 << 20;

/** Options of {@linkcode buildFdt}. */
export interface BuildFdtOptions<W extends FdtWriter = FdtSequentialWriter> {
  /** First buffer size; libxl starts at {@linkcode FDT_INITIAL_SIZE}. */
  initialSize?: number;
  /** No doubling past this size; libxl stops at {@linkcode FDT_MAX_SIZE}. */
  maxSize?: number;
  /** Makes the writer for one attempt; {@linkcode createFdtWriter} unless given. */
  newWriter?: (capacity: number) => W;
}

/** A finished blob and the buffer sizes tried to make it. */
export interface BuiltFdt {
  /** The finished blob (`fdt_totalsize` bytes). */
  blob: Uint8Array;
  /** Every buffer size attempted, in order (the last one succeeded). */
  attempts: number[];
}

/**
 * libxl's sequential-write loop (spec §4.1): runs `fill` on a fresh writer and finishes it;
 * on {@linkcode FdtNoSpaceError} restarts from scratch with twice the buffer. Running out of
 * space at `maxSize` throws that last `FdtNoSpaceError`.
 *
 * @example
 * ```ts
 * const { blob } = buildFdt((w) => {
 *   w.beginNode("");
 *   w.propertyString("model", "XENVM-4.19");
 *   w.endNode();
 * });
 * ```
 */
export function buildFdt<W extends FdtWriter = FdtSequentialWriter>(
  fill: (writer: W) => void,
  options: BuildFdtOptions<W> = {},
): BuiltFdt {
  const maxSize = options.maxSize ?? FDT_MAX_SIZE;
  const newWriter = options.newWriter ??
    ((capacity: number) => createFdtWriter(capacity) as FdtWriter as W);
  const attempts: number[] = [];
  for (let size = options.initialSize ?? FDT_INITIAL_SIZE;; size *= 2) {
    attempts.push(size);
    const writer = newWriter(size);
    try {
      fill(writer);
      return { blob: writer.finish(), attempts };
    } catch (error) {
      writer.abort();
      if (!(error instanceof FdtNoSpaceError) || size >= maxSize) throw error;
    }
  }
}
