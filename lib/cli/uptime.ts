/**
 * `xlite uptime [-s] [DOM...]`: how long domains have been up (xl uptime).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";

const USAGE = `usage: xlite uptime [options] [DOM...]

Prints how long each domain (or each DOM, a name or a domid) has been up, as xl uptime does.

options:
  -s, --short   uptime(1)-like lines, without the header
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("uptime", args, { boolean: ["short"], alias: { s: "short" } });
  const [{ withXenSession }, { findDomain }, { formatUptime }] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/uptime.ts"),
  ]);
  const text = await withXenSession(async ({ xc, xs }) => {
    const domids: number[] = [];
    for (const dom of flags._) domids.push(await findDomain(xs, dom));
    return await formatUptime(xc, xs, domids, flags.short === true);
  });
  await Deno.stdout.write(new TextEncoder().encode(text));
  return 0;
}

/** The `uptime` command. */
export const command: Command = {
  summary: "show how long domains have been up (xl uptime)",
  usage: USAGE,
  run,
};
