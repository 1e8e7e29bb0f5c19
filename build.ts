/**
 * Builds xlite's WebAssembly and its single executable.
 *
 *   deno run -A build.ts            rebuild every wasm/*.wasm from its recipe
 *   deno run -A build.ts --check    exit 1 when a committed .wasm is stale against its inputs
 *   deno run -A build.ts compile [--target T] [--output FILE]
 *                                   the one `xlite` executable (deno compile, wasm embedded)
 *
 * Each `wasm/<name>.recipe.ts` exports `recipe: WasmRecipe`. Its provenance (input hash,
 * output hash, tool versions) is written to `wasm/<name>.provenance.json`; a rebuild from the
 * same inputs is byte-identical, so `--check` compares hashes without rebuilding.
 *
 * @module
 */
import { parseArgs, sha256Hex } from "./lib/std/mod.ts";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** How one committed `.wasm` is made. */
export interface WasmRecipe {
  /** Output file name under `wasm/` (e.g. `disk_lexer.wasm`). */
  output: string;
  /** Every file whose bytes determine the output, relative to the project root. */
  inputs(): Promise<string[]>;
  /** Tool names and versions that determine the output (recorded in the provenance). */
  tools(): Promise<Record<string, string>>;
  /** Builds the module and returns its bytes. */
  build(): Promise<Uint8Array>;
  /** Extra provenance to record (source package, licence, …). */
  provenance?: Record<string, unknown>;
}

/** What `wasm/<name>.provenance.json` holds. */
export interface Provenance {
  output: string;
  outputSha256: string;
  inputsSha256: string;
  inputs: string[];
  tools: Record<string, string>;
  [extra: string]: unknown;
}

const ROOT = dirname(fileURLToPath(import.meta.url));
const WASM_DIR = join(ROOT, "wasm");

/** Supported `deno compile` targets. */
export const TARGETS = ["aarch64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"] as const;

export { sha256Hex };

/** One hash over the inputs' names and contents, in a fixed order. */
export async function hashInputs(inputs: string[]): Promise<string> {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for (const path of [...inputs].sort()) {
    const bytes = await Deno.readFile(join(ROOT, path));
    parts.push(encoder.encode(`${path}\0${bytes.length}\0`), bytes);
  }
  const total = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    total.set(part, offset);
    offset += part.length;
  }
  return await sha256Hex(total);
}

async function loadRecipes(only?: string): Promise<Map<string, WasmRecipe>> {
  const recipes = new Map<string, WasmRecipe>();
  const names: string[] = [];
  for await (const entry of Deno.readDir(WASM_DIR)) {
    if (entry.isFile && entry.name.endsWith(".recipe.ts")) names.push(entry.name);
  }
  for (const file of names.sort()) {
    const name = file.slice(0, -".recipe.ts".length);
    if (only && only !== name) continue;
    const module = await import(join(WASM_DIR, file));
    recipes.set(name, module.recipe as WasmRecipe);
  }
  return recipes;
}

async function buildAll(only?: string): Promise<void> {
  for (const [name, recipe] of await loadRecipes(only)) {
    const started = performance.now();
    const bytes = await recipe.build();
    const inputs = (await recipe.inputs()).sort();
    const provenance: Provenance = {
      output: recipe.output,
      outputSha256: await sha256Hex(bytes),
      inputsSha256: await hashInputs(inputs),
      inputs,
      tools: await recipe.tools(),
      ...(recipe.provenance ?? {}),
    };
    await Deno.writeFile(join(WASM_DIR, recipe.output), bytes);
    await Deno.writeTextFile(
      join(WASM_DIR, `${name}.provenance.json`),
      JSON.stringify(provenance, null, 2) + "\n",
    );
    const ms = Math.round(performance.now() - started);
    console.log(`built wasm/${recipe.output} (${bytes.length} bytes, ${ms} ms)`);
  }
}

/** Returns one line per stale or missing artefact; empty when everything is current. */
export async function checkAll(): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, recipe] of await loadRecipes()) {
    let provenance: Provenance;
    try {
      provenance = JSON.parse(await Deno.readTextFile(join(WASM_DIR, `${name}.provenance.json`)));
    } catch {
      problems.push(`wasm/${name}.provenance.json is missing: run 'deno task build'`);
      continue;
    }
    let wasm: Uint8Array;
    try {
      wasm = await Deno.readFile(join(WASM_DIR, recipe.output));
    } catch {
      problems.push(`wasm/${recipe.output} is missing: run 'deno task build'`);
      continue;
    }
    if (await sha256Hex(wasm) !== provenance.outputSha256) {
      problems.push(`wasm/${recipe.output} does not match its provenance: run 'deno task build'`);
    }
    const inputs = (await recipe.inputs()).sort();
    if (await hashInputs(inputs) !== provenance.inputsSha256) {
      problems.push(`wasm/${recipe.output} is stale against its inputs: run 'deno task build'`);
    }
  }
  return problems;
}

async function compile(args: string[]): Promise<number> {
  const flags = parseArgs(args, { string: ["target", "output"] });
  const target = (flags.target as string | undefined) ?? hostTarget();
  if (!(TARGETS as readonly string[]).includes(target)) {
    console.error(`build: unsupported --target '${target}' (supported: ${TARGETS.join(", ")})`);
    return 2;
  }
  const output = (flags.output as string | undefined) ??
    (target === hostTarget() ? "xlite" : `xlite-${target}`);
  // Without DENORT_BIN, deno compile fetches its base binary from Deno's servers itself.
  const denort = Deno.env.get("DENORT_BIN") || undefined;
  if (denort !== undefined) {
    try {
      if (!Deno.statSync(denort).isFile) throw new Error("not a file");
    } catch {
      console.error(`build: DENORT_BIN=${denort} is not a readable file`);
      return 1;
    }
  }
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--allow-all",
      "--no-check",
      "--target",
      target,
      "--include",
      "wasm/",
      "--output",
      output,
      "main.ts",
    ],
    cwd: ROOT,
    env: denort !== undefined ? { DENORT_BIN: denort, NO_COLOR: "1" } : { NO_COLOR: "1" },
    stderr: "piped",
  });
  const { code, stderr } = await command.output();
  const text = new TextDecoder().decode(stderr);
  if (code === 0) {
    await Deno.stderr.write(stderr);
    console.log(`built ${relative(Deno.cwd(), join(ROOT, output))} for ${target}`);
    return 0;
  }
  const fetchFailure = denort === undefined ? baseBinaryFetchFailure(text) : undefined;
  if (fetchFailure !== undefined) {
    console.error(
      `build: deno compile could not fetch its denort base binary for ${target} (${fetchFailure}); ` +
        `set DENORT_BIN to a denort ${Deno.version.deno} binary for ${target}`,
    );
    return 1;
  }
  await Deno.stderr.write(stderr);
  console.error(`build: deno compile failed for ${target} (exit ${code})`);
  return code;
}

/**
 * The reason `deno compile` gave for failing to set up its base binary (the download of
 * `denort-<target>.zip`), or `undefined` when it failed for another reason.
 */
function baseBinaryFetchFailure(stderr: string): string | undefined {
  if (!/Setting up base binary|denort-/.test(stderr)) return undefined;
  // its "Caused by:" chain (before any stack backtrace) ends with the innermost cause
  const chain = stderr.split("Caused by:")[1]?.split("Stack backtrace:")[0] ?? "";
  const causes = chain.split("\n").map((line) => /^\s*\d+: (.*)$/.exec(line)?.[1])
    .filter((cause): cause is string => cause !== undefined && cause !== "");
  return causes.at(-1) ?? "download failed";
}

function hostTarget(): string {
  return `${Deno.build.arch}-unknown-linux-gnu`;
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "compile") return await compile(args.slice(1));
  const flags = parseArgs(args, { boolean: ["check"], string: ["only"] });
  if (flags.check) {
    const problems = await checkAll();
    for (const line of problems) console.error(`build: ${line}`);
    return problems.length === 0 ? 0 : 1;
  }
  await buildAll(flags.only as string | undefined);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
