/**
 * Command-line parsing in the shape of `@std/cli`'s `parseArgs`.
 *
 * JSR is unreachable from the build machines, so this stands in for `@std/cli` on top of
 * `node:util`'s `parseArgs`. Swapping back is one line:
 * `export { parseArgs } from "@std/cli/parse-args";`
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";

/** Which flags take values, which are booleans, and their one-letter aliases. */
export interface ParseOptions {
  /** Flags that take a value (`--dtb FILE`, `--dtb=FILE`). */
  string?: string[];
  /** Flags that take no value (`--json`). */
  boolean?: string[];
  /** Flags that may be given several times; their values are collected into an array. */
  collect?: string[];
  /** Short aliases: `{ f: "force" }`. */
  alias?: Record<string, string>;
  /** Stop at the first positional argument (subcommand dispatch). */
  stopEarly?: boolean;
}

/** Parsed arguments: positionals under `_`, flags by their long name. */
export interface Args {
  /** Positional arguments, in order. */
  _: string[];
  /** Each flag's value by its long name. */
  [flag: string]: unknown;
}

/** Parses `args`; an unknown flag throws `TypeError` naming it. */
export function parseArgs(args: string[], options: ParseOptions = {}): Args {
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> =
    {};
  const collect = new Set(options.collect ?? []);
  for (const name of options.string ?? []) config[name] = { type: "string" };
  for (const name of options.boolean ?? []) config[name] = { type: "boolean" };
  for (const name of collect) {
    config[name] = { ...(config[name] ?? { type: "string" }), multiple: true };
  }
  for (const [short, long] of Object.entries(options.alias ?? {})) {
    if (config[long]) config[long].short = short;
  }
  let argv = args;
  let rest: string[] = [];
  if (options.stopEarly) {
    const first = args.findIndex((a) => !a.startsWith("-") || a === "-");
    if (first >= 0) {
      argv = args.slice(0, first);
      rest = args.slice(first);
    }
  }
  const { values, positionals } = nodeParseArgs({
    args: argv,
    options: config,
    allowPositionals: true,
    strict: true,
  });
  const result: Args = { _: [...positionals, ...rest] };
  for (const name of options.boolean ?? []) result[name] = values[name] ?? false;
  for (const [name, value] of Object.entries(values)) result[name] = value;
  return result;
}
