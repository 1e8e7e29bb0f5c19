/**
 * `xlite pause DOM`: pause a domain (xl pause).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite pause DOM

Pauses domain DOM (a name or a domid), as xl pause does. Pauses nest: each needs an unpause.

options:
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("pause", args, {});
  if (flags._.length !== 1) throw new UsageError("pause: expected exactly one DOM");
  const [{ withXenSession }, { findDomain }, { pauseDomain }] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/pause.ts"),
  ]);
  await withXenSession(async ({ xc, xs }) => {
    pauseDomain(xc, await findDomain(xs, String(flags._[0])));
  });
  return 0;
}

/** The `pause` command. */
export const command: Command = {
  summary: "pause a domain (xl pause)",
  usage: USAGE,
  run,
};
