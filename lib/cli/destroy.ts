/**
 * `xlite destroy [-f] DOM`: destroy a domain at once (xl destroy): its devices, its xenstore
 * directories and stored configuration, then the domain itself.
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

const USAGE = `usage: xlite destroy [options] DOM

Terminates domain DOM (a name or a domid) immediately, as xl destroy does: removes its
devices (each backend gets 10 s to close), its xenstore directories and stored
configuration, then the domain.

options:
  -f            allow destroying domain 0
  -h, --help    this text`;

/** xl's refusal for domain 0 without -f (printed as is). */
export const NOT_DESTROYING_DOM0: string = "Not destroying domain 0; use -f to force.\n" +
  "This can only be done when using a disaggregated hardware domain and toolstack.\n";

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("destroy", args, { boolean: ["force"], alias: { f: "force" } });
  if (flags._.length !== 1) throw new UsageError("destroy: expected exactly one DOM");
  const [{ withXenSession }, { findDomain }, { destroyDomain }] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/destroy.ts"),
  ]);
  await withXenSession(async ({ xc, xs }) => {
    const domid = await findDomain(xs, String(flags._[0]));
    if (domid === 0 && !flags.force) throw new XliteError(NOT_DESTROYING_DOM0, { verbatim: true });
    for (const problem of await destroyDomain(xc, xs, domid)) console.error(`xlite: ${problem}`);
  });
  return 0;
}

/** The `destroy` command. */
export const command: Command = {
  summary: "destroy a domain immediately (xl destroy)",
  usage: USAGE,
  run,
};
