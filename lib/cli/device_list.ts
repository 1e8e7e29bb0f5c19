/**
 * What `xlite block-list` and `xlite network-list` share (spec §5): xl's loop over the
 * domains named, the header and each domain's rows printed as soon as known, xl's lines for
 * a domain that cannot be listed, and `--json`.
 *
 * @module
 */
import { parseCommandArgs, printOut } from "./command.ts";
import { UsageError } from "../errors.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";

/** The steps that differ between `block-list` and `network-list`. */
export interface DeviceListSteps<R> {
  /** xl's header line. */
  header: string;
  /** The rows of one domain (`listDisks`, `listNics`); throws `DeviceError` as libxl fails. */
  rows(xs: XenstoreClient, domid: number): Promise<R[]>;
  /** One row in xl's columns. */
  line(row: R): string;
  /** One row as a libxl info object, for `--json`. */
  json(row: R): Record<string, unknown>;
}

/**
 * Runs `xlite <command> [--json] DOM...`: for each DOM, a bad name is xl's line and the next
 * DOM follows; a domain whose devices cannot be listed gets libxl's log line (when libxl logs
 * one) and no row. Exits 0, as xl does.
 */
export async function runDeviceList<R>(
  command: string,
  args: string[],
  steps: DeviceListSteps<R>,
): Promise<number> {
  const flags = parseCommandArgs(command, args, { boolean: ["json"] });
  if (flags._.length < 1) throw new UsageError(`${command}: expected at least one DOM`);
  const [devices, domains, xenstore] = await Promise.all([
    import("../devices/errors.ts"), // single modules: start-up stays small
    import("../domain/resolve.ts"),
    import("../xenstore/mod.ts"),
  ]);
  const xs = await xenstore.openXenstore();
  // Like xl, the header and each domain's rows go out as soon as known (errors interleave on
  // stderr).
  if (!flags.json) printOut(steps.header);
  const json: Record<string, unknown>[] = [];
  try {
    for (const qualifier of flags._) {
      let rows;
      try {
        rows = await steps.rows(xs, await domains.resolveDomain(xs, qualifier));
      } catch (error) {
        if (error instanceof domains.DomainQualifierError) {
          console.error(error.message); // xl reports it and goes on with the next domain
        } else if (error instanceof devices.DeviceError) {
          if (error.logged) console.error(error.logLine); // xl prints no row for this domain
        } else throw error;
        continue;
      }
      for (const row of rows) {
        if (!flags.json) printOut(steps.line(row));
        json.push(steps.json(row));
      }
    }
  } finally {
    xs.close();
  }
  if (flags.json) printOut(JSON.stringify(json, null, 2));
  return 0;
}
