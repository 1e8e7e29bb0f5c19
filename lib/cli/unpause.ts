/**
 * `xlite unpause DOM`: let a paused domain run again (xl unpause).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite unpause DOM

Unpauses domain DOM (a name or a domid), as xl unpause does.

options:
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("unpause", args, {});
  if (flags._.length !== 1) throw new UsageError("unpause: expected exactly one DOM");
  const [{ withXenSession }, { findDomain }, { unpauseDomain }] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/unpause.ts"),
  ]);
  await withXenSession(async ({ xc, xs }) => {
    unpauseDomain(xc, await findDomain(xs, String(flags._[0])));
  });
  return 0;
}

/** The `unpause` command. */
export const command: Command = {
  summary: "unpause a domain (xl unpause)",
  usage: USAGE,
  run,
};
