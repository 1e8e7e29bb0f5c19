/**
 * `xlite mem-set DOM MEM`: set a domain's memory target (xl mem-set).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

const USAGE = `usage: xlite mem-set DOM MEM

Sets the memory target (the balloon's goal) of domain DOM to MEM, as xl mem-set does;
MEM is in MiB, or with a suffix: b, k, m, g, t. It may not exceed the maximum (mem-max).

options:
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("mem-set", args, {});
  if (flags._.length < 2) throw new UsageError("mem-set: expected DOM and MEM");
  const [dom, mem] = flags._;
  const [{ withQuerySession }, { findDomain }, memory] = await Promise.all([
    import("../domain/query_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/memory.ts"),
  ]);
  await withQuerySession(async ({ hc, xc, xs }) => {
    const domid = await findDomain(xs, dom);
    const kb = memory.parseMemSizeKb(mem);
    if (kb === undefined) throw new XliteError(`invalid memory size: ${mem}`, { verbatim: true });
    await memory.setMemoryTarget(hc, xc, xs, domid, kb, mem);
  });
  return 0;
}

/** The `mem-set` command. */
export const command: Command = {
  summary: "set a domain's memory target (xl mem-set)",
  usage: USAGE,
  run,
};
