/**
 * `xlite rename DOM NEWNAME`: rename a domain (xl rename).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite rename DOM NEWNAME

Renames domain DOM (a name or a domid) to NEWNAME, as xl rename does; NEWNAME must not be
another domain's name.

options:
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("rename", args, {});
  if (flags._.length < 2) throw new UsageError("rename: expected DOM and NEWNAME");
  const [dom, newName] = flags._;
  const [{ withXenSession }, { findDomain }, { renameDomain }] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/rename.ts"),
  ]);
  await withXenSession(async ({ xc, xs }) => {
    await renameDomain(xc, xs, await findDomain(xs, dom), dom, newName);
  });
  return 0;
}

/** The `rename` command. */
export const command: Command = {
  summary: "rename a domain (xl rename)",
  usage: USAGE,
  run,
};
