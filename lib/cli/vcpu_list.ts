/**
 * `xlite vcpu-list [DOM...]`: every vCPU, its state, CPU time and affinity (xl vcpu-list).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";

const USAGE = `usage: xlite vcpu-list [DOM...]

Lists the vCPUs of every domain (or of each DOM, a name or a domid) as xl vcpu-list does:
Name, ID, VCPU, CPU, State, Time(s), Affinity (Hard / Soft).

options:
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("vcpu-list", args, {});
  const [{ withQuerySession }, { findDomain }, { formatVcpuList }] = await Promise.all([
    import("../domain/query_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/vcpu.ts"),
  ]);
  const text = await withQuerySession(async ({ hc, xc, xs }) => {
    const domids: number[] = [];
    for (const dom of flags._) domids.push(await findDomain(xs, dom));
    if (flags._.length === 0) domids.push(...xc.listDomains().map((d) => d.domid));
    return await formatVcpuList(hc, xc, xs, domids);
  });
  await Deno.stdout.write(new TextEncoder().encode(text));
  return 0;
}

/** The `vcpu-list` command. */
export const command: Command = {
  summary: "list vCPUs and their affinity (xl vcpu-list)",
  usage: USAGE,
  run,
};
