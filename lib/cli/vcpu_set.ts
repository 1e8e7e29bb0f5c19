/**
 * `xlite vcpu-set [-i] DOM COUNT`: set how many vCPUs a domain has online (xl vcpu-set).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

const USAGE = `usage: xlite vcpu-set [options] DOM COUNT

Sets the number of online vCPUs of domain DOM to COUNT (at most its maxvcpus), as xl
vcpu-set does: the guest's kernel brings vCPUs up or down.

options:
  -i, --ignore-host  allow more vCPUs than the host has CPUs
  -h, --help         this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("vcpu-set", args, {
    boolean: ["ignore-host"],
    alias: { i: "ignore-host" },
  });
  if (flags._.length < 2) throw new UsageError("vcpu-set: expected DOM and COUNT");
  const [dom, countText] = flags._;
  const [{ withQuerySession }, { findDomain }, { setVcpusOnline }] = await Promise.all([
    import("../domain/query_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/vcpu.ts"),
  ]);
  await withQuerySession(async ({ hc, xc, xs }) => {
    const domid = await findDomain(xs, dom);
    const match = /^\s*([+-]?[0-9]+)/.exec(countText);
    const count = match ? Number(match[1]) : NaN;
    if (!match || count > 0x7fffffff || count < 0) {
      throw new XliteError("Error: Invalid argument.", { verbatim: true });
    }
    if (!flags["ignore-host"]) {
      const hostCpus = hc.maxCpus();
      const info = xc.domainInfo(domid);
      if (!info) throw new XliteError(`Domain ${domid} does not exist.`, { verbatim: true });
      if (count > info.vcpuOnline && count > hostCpus) {
        throw new XliteError(
          `You are overcommmitting! You have ${hostCpus} physical CPUs and want ${count} vCPUs! ` +
            "Aborting, use --ignore-host to continue",
          { verbatim: true },
        );
      }
    }
    await setVcpusOnline(xc, xs, domid, count);
  });
  return 0;
}

/** The `vcpu-set` command. */
export const command: Command = {
  summary: "set the number of online vCPUs (xl vcpu-set)",
  usage: USAGE,
  run,
};
