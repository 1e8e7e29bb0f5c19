/**
 * `xlite console [-t pv|serial|vuart] [-n NUM] DOM`: attach to a guest console (xl console).
 * Like xl, it runs Xen's `xenconsole` (see `lib/domain/console.ts`).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite console [options] DOM

Attaches to the console of domain DOM (a name or a domid), as xl console does: runs Xen's
xenconsole (found at run time in /usr/lib/xen-<version>/bin, /usr/libexec/xen/bin or
/usr/lib/xen/bin; $XENCONSOLE overrides) with the domain's console. Ctrl-] detaches.
Without -t, the domain's primary console (the PV console of a PV/PVH guest). The exit
status is xenconsole's.

options:
  -t TYPE       console type: pv, serial or vuart (vuart: the SBSA UART of vuart="sbsa_uart")
  -n NUM        console number (with -t; default 0)
  -h, --help    this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("console", args, {
    string: ["type", "num"],
    alias: { t: "type", n: "num" },
  });
  if (flags._.length !== 1) throw new UsageError("console: expected exactly one DOM");
  const [console_, { findDomain }, { openXenstore }] = await Promise.all([
    import("../domain/console.ts"),
    import("../domain/find_domain.ts"),
    import("../xenstore/mod.ts"),
  ]);
  const type = flags.type === undefined ? undefined : console_.parseConsoleType(String(flags.type));
  // xl reads -n with atoi: digits up to the first non-digit, 0 when there are none
  const num = flags.num === undefined ? 0 : Number.parseInt(String(flags.num), 10) || 0;
  const xenconsole = console_.findXenconsole();
  const xs = await openXenstore();
  let target;
  try {
    const domid = await findDomain(xs, String(flags._[0]));
    target = type === undefined ? await console_.primaryConsole(xs, domid) : { domid, num, type };
  } finally {
    xs.close();
  }
  return await console_.attachConsole(xenconsole, target);
}

/** The `console` command. */
export const command: Command = {
  summary: "attach to a domain's console (xl console)",
  usage: USAGE,
  run,
};
