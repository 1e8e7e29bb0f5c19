/**
 * `xlite vcpu-pin [-f] DOM VCPU|all HARD [SOFT]`: set vCPU affinity (xl vcpu-pin).
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

const USAGE = `usage: xlite vcpu-pin [options] DOM VCPU|all HARD [SOFT]

Sets the hard (and soft) CPU affinity of vCPU VCPU (or of all vCPUs) of domain DOM, as
xl vcpu-pin does. HARD and SOFT are CPU lists ("0-3,^2", "all"); "-" leaves one as it is.

options:
  -f, --force   also override the affinity the domain set itself (not with 'all')
  -i, --ignore-global-affinity-masks
                do not check the hard affinity against xl.conf's masks
  --dry-run     print the CPU maps only, as xl -N vcpu-pin (xlite -N vcpu-pin too)
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("vcpu-pin", args, {
    boolean: ["force", "dry-run", "ignore-global-affinity-masks"],
    alias: { f: "force", i: "ignore-global-affinity-masks" },
  });
  if (flags._.length < 3) throw new UsageError("vcpu-pin: expected DOM, VCPU and HARD");
  const [dom, vcpuText, hardText, softText] = flags._;
  const vcpuMatch = /^\s*([+-]?[0-9]+)/.exec(vcpuText);
  let vcpu: number | undefined = vcpuMatch ? Number(vcpuMatch[1]) : undefined;
  if (vcpu === undefined || vcpu < 0) {
    if (vcpuText !== "all") {
      throw new XliteError(`Error: Invalid argument ${vcpuText} as VCPU.`, { verbatim: true });
    }
    if (flags.force) {
      throw new XliteError("Error: --force and 'all' as VCPU not allowed.", { verbatim: true });
    }
    vcpu = undefined;
  }
  const [{ withQuerySession }, { findDomain }, { parseCpuRange, printBitmap }, { pinVcpus }] =
    await Promise.all([
      import("../domain/query_session.ts"),
      import("../domain/find_domain.ts"),
      import("../config/cpumap.ts"),
      import("../domain/vcpu.ts"),
    ]);
  await withQuerySession(async ({ hc, xc, xs }) => {
    const domid = await findDomain(xs, dom);
    const maxCpus = hc.maxCpus();
    const bytes = Math.ceil(maxCpus / 8);
    const hard = hardText === "-" ? null : parseCpuRange(hardText, bytes);
    const soft = softText === undefined || softText === "-" ? null : parseCpuRange(softText, bytes);
    if (flags["dry-run"]) {
      const shown = (hard ? printBitmap(hard, maxCpus) : "-") +
        (soft ? ` ${printBitmap(soft, maxCpus)}` : "");
      printOut(`cpumap: ${shown}`);
      return;
    }
    // apply_global_affinity_masks: xl.conf's masks are "all" here, so only emptiness matters
    if (hard && !flags["ignore-global-affinity-masks"] && hard.every((byte) => byte === 0)) {
      throw new XliteError("vcpu hard affinity map is empty", { verbatim: true });
    }
    pinVcpus(hc, xc, domid, vcpu, hard, soft, flags.force === true);
  });
  return 0;
}

/** The `vcpu-pin` command. */
export const command: Command = {
  summary: "set vCPU affinity (xl vcpu-pin)",
  usage: USAGE,
  run,
};
