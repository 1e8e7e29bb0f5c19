/**
 * Runs the libxlutil oracle (`tests/native/disk-oracle`, built into
 * `.build/disk-oracle/diskparse` by `tests/setup.sh`) on a batch of inputs.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Path of the oracle binary. */
export const ORACLE = fileURLToPath(
  new URL("../../.build/disk-oracle/diskparse", import.meta.url),
);

/** Whether the oracle is built (tests skip, saying why, when it is not). */
export const haveOracle = (() => {
  try {
    return Deno.statSync(ORACLE).isFile;
  } catch {
    return false;
  }
})();

/** Logs why an oracle test is skipped. */
export function explainSkip(): void {
  if (!haveOracle) {
    console.log(`skipped: ${ORACLE} is missing (run tests/setup.sh to build the oracle)`);
  }
}

const encoder = new TextEncoder();

/** Lowercase hex of the UTF-8 bytes of `s`. */
export function hex(s: string | Uint8Array): string {
  const bytes = typeof s === "string" ? encoder.encode(s) : s;
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Bytes of a hex string. */
export function unhex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** One oracle answer for a disk spec. */
export interface OracleDisk {
  rc: number;
  json?: string;
  devnum?: number;
  error_hex?: string;
  jammed?: boolean;
}

/** Runs the oracle with `flag` on `lines` (one input each) and returns one JSON per line. */
export async function runOracle<T>(flag: string[], lines: string[]): Promise<T[]> {
  const child = new Deno.Command(ORACLE, {
    args: flag,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const input = encoder.encode(lines.map((l) => l + "\n").join(""));
  const writing = writer.write(input).then(() => writer.close());
  const { stdout, code } = await child.output();
  await writing;
  if (code !== 0) throw new Error(`oracle ${flag.join(" ")} exited ${code}`);
  const text = new TextDecoder().decode(stdout);
  const out = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as T);
  if (out.length !== lines.length) {
    throw new Error(`oracle answered ${out.length} of ${lines.length} inputs`);
  }
  return out;
}

/** Parses single specs with the oracle. */
export function oracleSpecs(specs: string[]): Promise<OracleDisk[]> {
  return runOracle<OracleDisk>([], specs.map((s) => hex(s)));
}

/** Parses groups of specs (each group one disk, like xl block-attach) with the oracle. */
export function oracleGroups(groups: string[][]): Promise<OracleDisk[]> {
  return runOracle<OracleDisk>(["-t"], groups.map((g) => g.map((s) => hex(s)).join(".")));
}
