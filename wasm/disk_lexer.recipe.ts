/**
 * Recipe for `wasm/disk_lexer.wasm`: the xl disk-spec engine (`core/disk_lexer.ts`),
 * compiled by the AssemblyScript compiler (stub runtime, no imports) and then optimised
 * by binaryen with fixed settings, so a rebuild from the same inputs is byte-identical.
 *
 * @module
 */
import type { WasmRecipe } from "../build.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = "core/disk_lexer.ts";

/** The asc options; none of them embeds paths, times or anything host-specific. */
const ASC_ARGS = [
  SOURCE,
  "--outFile",
  "disk_lexer.wasm",
  "--runtime",
  "stub",
  "--noAssert",
  "--use",
  "abort=",
  "--optimizeLevel",
  "0",
  "--shrinkLevel",
  "0",
  "--initialMemory",
  "1",
  "--noColors",
];

/** binaryen optimisation settings applied after asc. */
const BINARYEN = { optimizeLevel: 3, shrinkLevel: 1 };

async function packageVersion(name: string): Promise<string> {
  const text = await Deno.readTextFile(join(ROOT, "node_modules", name, "package.json"));
  return JSON.parse(text).version as string;
}

/** How `wasm/disk_lexer.wasm` is made. */
export const recipe: WasmRecipe = {
  output: "disk_lexer.wasm",
  inputs() {
    return Promise.resolve([SOURCE, "wasm/disk_lexer.recipe.ts"]);
  },
  async tools() {
    return {
      assemblyscript: await packageVersion("assemblyscript"),
      binaryen: await packageVersion("binaryen"),
      deno: Deno.version.deno,
      ascArgs: ASC_ARGS.slice(1).join(" "),
      binaryenOptimize:
        `optimizeLevel=${BINARYEN.optimizeLevel} shrinkLevel=${BINARYEN.shrinkLevel}`,
    };
  },
  async build() {
    const asc = (await import("assemblyscript/asc")).default;
    const binaryen = (await import("binaryen")).default;
    let wasm: Uint8Array | undefined;
    const errors: string[] = [];
    const result = await asc.main(ASC_ARGS, {
      readFile: async (name: string, baseDir: string) => {
        try {
          return await Deno.readTextFile(join(ROOT, baseDir, name));
        } catch {
          return null;
        }
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") wasm = contents;
      },
      listFiles: () => [],
      stdout: { write: () => true } as never,
      stderr: { write: (text: string | Uint8Array) => (errors.push(String(text)), true) } as never,
    });
    if (result.error || !wasm) {
      throw new Error(
        `asc failed for ${SOURCE}: ${result.error?.message ?? ""}\n${errors.join("")}`,
      );
    }
    const module = binaryen.readBinary(wasm);
    try {
      binaryen.setOptimizeLevel(BINARYEN.optimizeLevel);
      binaryen.setShrinkLevel(BINARYEN.shrinkLevel);
      binaryen.setDebugInfo(false);
      module.optimize();
      if (!module.validate()) throw new Error(`binaryen: optimised ${SOURCE} does not validate`);
      return module.emitBinary();
    } finally {
      module.dispose();
    }
  },
  provenance: {
    source: SOURCE,
    description: "xl disk-spec scanner and parser (spec §1), AssemblyScript, stub runtime",
  },
};
