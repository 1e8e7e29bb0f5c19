/**
 * `xlite mem-max DOM MEM`: set a domain's maximum memory (xl mem-max).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

const USAGE = `usage: xlite mem-max DOM MEM

Sets the maximum memory of domain DOM to MEM, as xl mem-max does; MEM is in MiB, or
with a suffix: b, k, m, g, t. It may not be below the current target (mem-set).

options:
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("mem-max", args, {});
  if (flags._.length < 2) throw new UsageError("mem-max: expected DOM and MEM");
  const [dom, mem] = flags._;
  const [{ withQuerySession }, { findDomain }, memory] = await Promise.all([
    import("../domain/query_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/memory.ts"),
  ]);
  await withQuerySession(async ({ hc, xs }) => {
    const domid = await findDomain(xs, dom);
    const kb = memory.parseMemSizeKb(mem);
    if (kb === undefined) throw new XliteError(`invalid memory size: ${mem}`, { verbatim: true });
    await memory.setMemoryMax(hc, xs, domid, kb, mem);
  });
  return 0;
}

/** The `mem-max` command. */
export const command: Command = {
  summary: "set a domain's maximum memory (xl mem-max)",
  usage: USAGE,
  run,
};
