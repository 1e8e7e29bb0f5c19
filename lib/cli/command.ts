/**
 * The shape every `xlite` subcommand module has, and helpers they share.
 *
 * @module
 */
import { type Args, parseArgs, type ParseOptions } from "../std/cli.ts";
import { UsageError, XliteError } from "../errors.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";

/** A subcommand: `run` gets the arguments after the command name and returns the exit code. */
export interface Command {
  /** One line for `xlite help`. */
  summary: string;
  /** The usage text for `xlite <cmd> --help`. */
  usage: string;
  /** Runs the command; throws `XliteError` for a user-facing failure. */
  run(args: string[]): Promise<number>;
}

/** Parses a subcommand's flags; unknown flags become a `UsageError`. `--help` is always known. */
export function parseCommandArgs(command: string, args: string[], options: ParseOptions): Args {
  try {
    return parseArgs(args, {
      ...options,
      boolean: [...(options.boolean ?? []), "help"],
      alias: { h: "help", ...(options.alias ?? {}) },
    });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/** Writes `text` to stdout, adding a final newline when missing. */
export function printOut(text: string): void {
  const encoded = new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n");
  let written = 0;
  while (written < encoded.length) written += Deno.stdout.writeSync(encoded.subarray(written));
}

/** Writes via a temporary file and a rename, so a failure leaves nothing half-written. */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.dtb.tmp`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new XliteError(`${path}: cannot write: ${(error as Error).message}`);
  }
}

/** Parses a `--timeout` value (seconds, > 0) into milliseconds. */
export function timeoutOption(command: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(`${command}: --timeout '${value}': expected a number of seconds > 0`);
  }
  return Math.round(seconds * 1000);
}

/** The steps that differ between `block-attach` and `network-attach`. */
export interface AttachSteps<T> {
  /** Parses the device words (after the domain is known, as xl does). */
  parse(): T;
  /** The `-N` line, e.g. `disk: <libxl JSON>`. */
  dryRunLine(device: T): string;
  /** Adds the device to the running domain. */
  attach(xs: XenstoreClient, domid: number, device: T): Promise<unknown>;
}

/**
 * xl's `*-attach` flow: a domid needs no xenstore, so a dry run works anywhere; a name is
 * looked up first. Then the device is parsed, printed (`-N`) or attached.
 */
export async function attachToDomain<T>(
  qualifier: string,
  dryRun: boolean,
  steps: AttachSteps<T>,
): Promise<number> {
  const [domains, xenstore] = await Promise.all([
    import("../domain/resolve.ts"),
    import("../xenstore/mod.ts"),
  ]);
  let xs: XenstoreClient | undefined;
  try {
    let domid = domains.numericDomid(qualifier);
    if (domid === undefined) {
      xs = await xenstore.openXenstore();
      domid = await domains.resolveDomain(xs, qualifier);
    }
    const device = steps.parse();
    if (dryRun) {
      // libxl's JSON ends in a newline and xl's printf adds another.
      printOut(`${steps.dryRunLine(device)}\n`);
      return 0;
    }
    xs ??= await xenstore.openXenstore();
    await steps.attach(xs, domid, device);
    return 0;
  } finally {
    xs?.close();
  }
}
