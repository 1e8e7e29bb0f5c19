/**
 * One item of `virtio = [ "KEY=VALUE,..." ]` (Xen 4.18+), tokenised as xl's
 * `parse_virtio_list` / `parse_virtio_config` do (spec §2.9): split at commas with empty
 * fields skipped (C `strtok`), leading spaces dropped, and a `type=virtio...` field glued
 * to the field after it, so `type=virtio,device22` stays whole.
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import type { VirtioDevice, VirtioTransport } from "./types.ts";

/** Options for {@linkcode parseVirtioSpec}. */
export interface VirtioSpecOptions {
  /** Accept `grant_usage=` (Xen 4.18 from commit c14254065f on; default true). */
  grantUsage?: boolean;
}

/** A `virtio=` item xl rejects; `message` is xl's text where xl has one. */
export class VirtioSpecError extends XliteError {
  /** Makes the error; `message` is printed as is. */
  constructor(message: string) {
    super(message, { verbatim: true });
    this.name = "VirtioSpecError";
  }
}

/** C `strtoul(s, NULL, 0)` as far as zero/non-zero goes (what `grant_usage=` needs). */
function strtoulNonZero(s: string): boolean {
  const m = /^[ \t\n\v\f\r]*[+-]?(0[xX](?=[0-9a-fA-F])([0-9a-fA-F]+)|([0-9]+))/.exec(s);
  if (!m) return false;
  return /[1-9a-fA-F]/.test(m[2] ?? m[3]);
}

/** Splits like repeated C `strtok(…, ",")`: empty fields vanish. */
function strtokCommas(text: string): string[] {
  return text.split(",").filter((field) => field !== "");
}

/**
 * Parses one `virtio=` item into a device with `devid` (xl uses the list index).
 * `irq`/`base` start at 0 for the allocator (spec §3.4) to fill.
 *
 * @example
 * ```ts
 * parseVirtioSpec("type=virtio,device22,transport=mmio", 0).type; // "virtio,device22"
 * ```
 */
export function parseVirtioSpec(
  item: string,
  devid: number,
  options: VirtioSpecOptions = {},
): VirtioDevice {
  const device: VirtioDevice = { backendDomid: 0, transport: "unknown", devid, irq: 0, base: 0n };
  const fields = strtokCommas(item);
  for (let i = 0; i < fields.length; i++) {
    let token = fields[i].replace(/^ +/, "");
    if (token.startsWith("type=") && token.slice(5).startsWith("virtio")) {
      // xl glues the next strtok field back on (a `type=virtio…` last crashes xl).
      if (i + 1 >= fields.length) {
        throw new VirtioSpecError(
          `virtio spec "${item}": type "${
            token.slice(5)
          }" needs the device part after its comma (e.g. type=virtio,device22)`,
        );
      }
      token = `${token},${fields[++i]}`;
    }
    applyField(device, token, item, options);
  }
  return device;
}

function applyField(
  device: VirtioDevice,
  token: string,
  item: string,
  options: VirtioSpecOptions,
): void {
  const eq = token.indexOf("=");
  const key = eq < 0 ? token : token.slice(0, eq);
  const value = token.slice(eq + 1);
  if (eq >= 0 && key === "backend") {
    device.backendDomname = value;
    // libxl_domain_qualifier_to_domid: an all-digit qualifier is a domid.
    if (/^[0-9]+$/.test(value)) device.backendDomid = Number(value);
  } else if (eq >= 0 && key === "type") {
    device.type = value;
  } else if (eq >= 0 && key === "transport") {
    // libxl_virtio_transport_from_string: case-insensitive; xl exits without a message.
    const transport = value.toLowerCase();
    if (transport !== "unknown" && transport !== "mmio") {
      throw new VirtioSpecError(
        `virtio spec "${item}": unknown transport "${value}" (libxl knows mmio)`,
      );
    }
    device.transport = transport as VirtioTransport;
  } else if (eq >= 0 && key === "grant_usage" && options.grantUsage !== false) {
    device.grantUsage = strtoulNonZero(value);
  } else {
    throw new VirtioSpecError(`Unknown string "${token}" in virtio spec`);
  }
}
