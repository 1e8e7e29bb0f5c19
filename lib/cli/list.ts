/**
 * `xlite list [-l] [-v] [--json] [DOM]`: the domains on this host in `xl list`'s columns
 * (Name, ID, Mem, VCPUs, State, Time(s)); `-l` prints each domain's stored libxl
 * configuration as `xl list -l` does; `--json` prints libxl_dominfo objects.
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite list [options] [DOM]

Lists the domains (or only DOM, a name or a domid) as xl list does:
Name, ID, Mem (MiB), VCPUs, State (r running, b blocked, p paused, s shut down + reason
letter, d dying), Time(s) (CPU time).

options:
  -l, --long     print each domain's stored configuration (JSON), as xl list -l
  -v, --verbose  add the UUID, shutdown reason code and security label columns
  --json         print a JSON array of libxl_dominfo objects (plus "name" and "state")
  -h, --help     this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("list", args, {
    boolean: ["long", "verbose", "json"],
    alias: { l: "long", v: "verbose" },
  });
  if (flags._.length > 1) throw new UsageError("list: at most one DOM");
  const qualifier = flags._[0] === undefined ? undefined : String(flags._[0]);
  const [{ withXenSession }, list] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/list.ts"),
  ]);
  const text = await withXenSession(async ({ xc, xs }) => {
    const rows = await list.listDomainRows(xc, xs, qualifier);
    if (flags.json) return JSON.stringify(rows.map(list.domainRowJson), null, 2);
    if (flags.long) return await list.formatDomainDetails(xc, xs, rows);
    return list.formatDomainList(rows, flags.verbose === true);
  });
  printOut(text);
  return 0;
}

/** The `list` command. */
export const command: Command = {
  summary: "list domains (xl list)",
  usage: USAGE,
  run,
};
