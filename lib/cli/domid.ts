/**
 * `xlite domid NAME`: the domid of the domain named NAME (xl domid).
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

const USAGE = `usage: xlite domid NAME

Prints the domid of the domain named NAME, as xl domid does (a number is a name here too).

options:
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("domid", args, {});
  if (flags._.length < 1) throw new UsageError("domid: expected a domain NAME");
  const name = flags._[0];
  const [{ withXenSession }, { nameToDomid }] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/rename.ts"),
  ]);
  const domid = await withXenSession(({ xc, xs }) => nameToDomid(xc, xs, name));
  if (domid === undefined) {
    throw new XliteError(
      `Can't get domid of domain name '${name}', maybe this domain does not exist.`,
      { verbatim: true },
    );
  }
  printOut(String(domid));
  return 0;
}

/** The `domid` command. */
export const command: Command = {
  summary: "print a domain's domid from its name (xl domid)",
  usage: USAGE,
  run,
};
