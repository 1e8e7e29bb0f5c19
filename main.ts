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

async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
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
