/**
 * `xlite`: a Xen toolstack for Arm in one executable. This file only wires the CLI to
 * `lib/`: commands are loaded on first use, so start-up stays small.
 *
 * @module
 */
import { COMMANDS } from "./lib/cli/mod.ts";
import { XliteError } from "./lib/errors.ts";

const HELP = `xlite: a Xen toolstack for Arm in one executable

usage: xlite <command> [options] [arguments]

commands:
{COMMANDS}
Run 'xlite <command> --help' for a command's options.`;

/** xl's global options (`xl [-vfNtT] <subcommand>`) xlite accepts before the command. */
const GLOBAL_OPTIONS = "vfNtT";

/**
 * The commands that honour `-N` (xl's dry run: `can_dryrun` in xl_cmdtable.c), and the flag
 * each takes for it.
 */
const DRY_RUN_FLAG: Record<string, string> = {
  create: "--dry-run",
  "vcpu-pin": "--dry-run",
  "block-attach": "--dry-run",
  "network-attach": "--dry-run",
};

/**
 * Splits xl's global options off the front of `args` (getopt "+vftTN": up to the first
 * non-option): `-N` becomes the command's dry-run flag; `-v`, `-f`, `-t` and `-T` are
 * accepted (xlite's messages have no levels, progress lines or timestamps to change).
 */
function globalOptions(args: string[]): { args: string[]; dryRun: boolean } | number {
  let dryRun = false;
  let i = 0;
  for (; i < args.length && /^-[^-]/.test(args[i]) && args[i] !== "-h"; i++) {
    for (const letter of args[i].slice(1)) {
      if (!GLOBAL_OPTIONS.includes(letter)) {
        console.error("unknown global option");
        return 1;
      }
      if (letter === "N") dryRun = true;
    }
  }
  return { args: args.slice(i), dryRun };
}

async function main(argv: string[]): Promise<number> {
  const global = globalOptions(argv);
  if (typeof global === "number") return global;
  const [name, ...rest] = global.args;
  if (global.dryRun && name !== undefined && name in COMMANDS) {
    if (!(name in DRY_RUN_FLAG)) {
      console.error("command does not implement -N (dryrun) option");
      return 1;
    }
    rest.unshift(DRY_RUN_FLAG[name]);
  }
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    if (rest.length > 0 && rest[0] in COMMANDS) return showUsage(rest[0]);
    const lines = await Promise.all(
      Object.keys(COMMANDS).map(async (cmd) =>
        `  ${cmd.padEnd(14)}${(await COMMANDS[cmd]()).command.summary}`
      ),
    );
    console.log(HELP.replace("{COMMANDS}", lines.join("\n") + "\n"));
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`xlite: unknown command '${name}' (try 'xlite help')`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) return showUsage(name);
  const { command } = await load();
  return await command.run(rest);
}

async function showUsage(name: string): Promise<number> {
  const { command } = await COMMANDS[name]();
  console.log(command.usage);
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    if (error instanceof XliteError) {
      console.error(error.verbatim ? error.message : `xlite: ${error.message}`);
      code = error.exitCode;
    } else {
      throw error;
    }
  }
  Deno.exit(code);
}
