/**
 * `xlite domname DOMID`: the name of domain DOMID (xl domname).
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

const USAGE = `usage: xlite domname DOMID

Prints the name of domain DOMID, as xl domname does.

options:
  -h, --help    this text`;

/** C `strtol(text, &end, 10)` cast to `uint32_t`, or `undefined` when there are no digits. */
export function strtolDomid(text: string): number | undefined {
  const match = /^\s*([+-]?)([0-9]+)/.exec(text);
  if (!match) return undefined;
  const value = BigInt(match[1] === "-" ? `-${match[2]}` : match[2]);
  const clamped = value > 0x7fff_ffff_ffff_ffffn
    ? 0x7fff_ffff_ffff_ffffn
    : value < -0x8000_0000_0000_0000n
    ? -0x8000_0000_0000_0000n
    : value;
  return Number(BigInt.asUintN(32, clamped));
}

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("domname", args, {});
  if (flags._.length < 1) throw new UsageError("domname: expected a DOMID");
  const domid = strtolDomid(flags._[0]);
  if (domid === undefined) throw new XliteError("Invalid domain id.\n", { verbatim: true });
  const [{ withXenSession }, { domainName }] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/resolve.ts"),
  ]);
  const name = await withXenSession(({ xs }) => domainName(xs, domid));
  if (name === undefined) {
    throw new XliteError(
      `Can't get domain name of domain id '${domid}', maybe this domain does not exist.`,
      { verbatim: true },
    );
  }
  printOut(name);
  return 0;
}

/** The `domname` command. */
export const command: Command = {
  summary: "print a domain's name from its domid (xl domname)",
  usage: USAGE,
  run,
};
