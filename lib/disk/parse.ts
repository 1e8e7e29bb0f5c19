/**
 * Parsing xl disk specifications (spec §1): one disk from one or several strings, or a
 * batch of disks at once.
 *
 * @module
 */
import type { DiskSpec } from "./types.ts";
import { DiskSpecError } from "./disk_spec_error.ts";
import { type DiskGrammar, parseGroups } from "./engine.ts";

export type { DiskGrammar } from "./engine.ts";

/** Options of `parseDiskSpec` and `parseDiskSpecs`. */
export interface ParseDiskSpecOptions {
  /** Named in error texts: a config file name, or `command line` (the default). */
  source?: string;
  /**
   * The Xen release whose grammar to follow: `4.19` (default: adds `trusted`,
   * `untrusted`, `grant_usage=0|1`) or `4.17` (Debian bookworm's libxlutil).
   */
  grammar?: DiskGrammar;
}

/**
 * Parses a disk specification as xl does (`xlu_disk_parse`, spec §1). Several strings
 * are scanned into ONE disk, as `xl block-attach dom A B C` does (spec §1.8).
 * Throws `DiskSpecError` with xl's exact text when xl would reject the spec.
 *
 * @example
 * ```ts
 * const disk = parseDiskSpec("/dev/vg/d1,raw,xvda,rw,specification=virtio");
 * disk.specification; // "virtio"
 * ```
 */
export function parseDiskSpec(
  spec: string | string[],
  options: ParseDiskSpecOptions = {},
): DiskSpec {
  const specs = typeof spec === "string" ? [spec] : spec;
  const [result] = parseGroups(
    [{ specs, source: options.source ?? "command line" }],
    options.grammar,
  );
  if (result instanceof DiskSpecError) throw result;
  return result;
}

/**
 * Parses many disk specifications, one disk per string, in one pass through the engine.
 * Each result is the disk or the `DiskSpecError` xl would report for it.
 */
export function parseDiskSpecs(
  specs: string[],
  options: ParseDiskSpecOptions = {},
): (DiskSpec | DiskSpecError)[] {
  const source = options.source ?? "command line";
  return parseGroups(specs.map((s) => ({ specs: [s], source })), options.grammar);
}
