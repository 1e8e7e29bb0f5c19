/**
 * `xlite info [--json] [FIELD]`: the host and hypervisor, in xl info's lines.
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";

const USAGE = `usage: xlite info [options] [FIELD]

Prints information about the host and the hypervisor as xl info does (host, release,
nr_cpus, total_memory, free_memory, free_cpus, xen_version, xen_caps, xen_scheduler, ...).
With FIELD, prints only the value of each line whose name starts with FIELD.

options:
  --json        print the fields as one JSON object
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("info", args, { boolean: ["json"] });
  const field = flags._[0];
  const [{ withQuerySession }, info] = await Promise.all([
    import("../domain/query_session.ts"),
    import("../domain/xl_info.ts"),
  ]);
  const report = await withQuerySession(({ hc, xc }) =>
    Promise.resolve(info.gatherHostReport(hc, xc, info.readUname()))
  );
  const text = flags.json
    ? JSON.stringify(info.xlInfoJson(report), null, 2) + "\n"
    : info.formatXlInfo(report, field);
  await Deno.stdout.write(new TextEncoder().encode(text));
  return 0;
}

/** The `info` command. */
export const command: Command = {
  summary: "show host and hypervisor information (xl info)",
  usage: USAGE,
  run,
};
