/**
 * How `wasm/libfdt.wasm` is made: libfdt from Debian's `linux-source-6.1` package
 * (`scripts/dtc/libfdt/`, used under its BSD-2-Clause option), compiled with Debian's
 * emscripten 3.1.6 into a standalone module with no imports and no JS glue.
 *
 * The libfdt files are extracted into a private temp directory at build time and accepted only
 * when their sha256 hashes are the pinned ones: the files are pinned, not the package version,
 * so a Debian update that leaves libfdt alone still rebuilds (and a change names the file). emcc runs with a scrubbed environment (PATH=/usr/bin:/bin, Debian's
 * frozen emscripten cache) so it cannot pick up `node_modules/.bin/wasm-opt`, and the output is
 * byte-identical from build to build.
 *
 * @module
 */
import type { WasmRecipe } from "../build.ts";
import { sha256Hex } from "../lib/std/mod.ts";
import { fileURLToPath } from "node:url";

/** The Debian package and tarball libfdt's sources come from (any version; the files are pinned). */
export const LINUX_SOURCE = {
  package: "linux-source-6.1",
  tarball: "/usr/src/linux-source-6.1.tar.xz",
  directory: "linux-source-6.1/scripts/dtc/libfdt",
} as const;

/** The Debian emscripten package the module is built with (pinned). */
export const EMSCRIPTEN = { package: "emscripten", version: "3.1.6~dfsg-5" } as const;

/** libfdt files taken from the tarball (no overlay, addresses or empty-tree code). */
export const LIBFDT_SOURCES = [
  "fdt.c",
  "fdt_ro.c",
  "fdt_wip.c",
  "fdt_sw.c",
  "fdt_rw.c",
  "fdt_strerror.c",
] as const;

const LIBFDT_HEADERS = ["fdt.h", "libfdt.h", "libfdt_env.h", "libfdt_internal.h"] as const;

/**
 * The sha256 of every libfdt file the module is built from, as linux-source-6.1 6.1.192-3
 * ships them (the module built from them is byte-identical to the one committed from 6.1.192-2).
 */
export const LIBFDT_FILES_SHA256: Readonly<Record<string, string>> = {
  "fdt.c": "4f3b3ca6da6bd0a7608b767e9988020950f71924878318d13f1a0a3928ceeeb3",
  "fdt_ro.c": "8fbd21bb76940dfe5b32091025172ecbe6105e22f0c63bd400454006f7d39c44",
  "fdt_wip.c": "a26966b2d991b432473f5c7f6740a3db97ae51313da0ad9eba56048d56c06c73",
  "fdt_sw.c": "e9d193f023880f4359c3ed9954d678b51a87b1d66b783318a9d69a8122378122",
  "fdt_rw.c": "dd7c00cd8c23638a934b20f902ac94dbd75c752455549f55b6a7baf30d51daea",
  "fdt_strerror.c": "4a1de9eb7eadefe07cfe53c238785aa9bdd54e5387903c2faa7e42006027c137",
  "fdt.h": "60269146c0f49a3da5e260763f4c59ff3257bc1ca01d0b11784ded6d2cb07492",
  "libfdt.h": "4dfc3947c59040fa0fbe2435aafe512098da4e9a988db829546be889affd7e07",
  "libfdt_env.h": "273bb264cacd60bb005cfa558bee084558469b9107eaf40d7e1362571ed1bc94",
  "libfdt_internal.h": "7c29a6e30115cdd0a30fb4014c7674ead0d4bd39b9989bed46acb4f838bbd4e8",
};

/** Functions the module exports (C names). */
export const LIBFDT_EXPORTS = [
  // sequential write (libxl__prepare_dtb, spec §4.1)
  "fdt_create",
  "fdt_add_reservemap_entry",
  "fdt_finish_reservemap",
  "fdt_begin_node",
  "fdt_property",
  "fdt_end_node",
  "fdt_finish",
  // read
  "fdt_check_header",
  "fdt_next_tag",
  "fdt_next_node",
  "fdt_first_property_offset",
  "fdt_next_property_offset",
  "fdt_getprop_by_offset",
  "fdt_get_name",
  "fdt_path_offset",
  "fdt_getprop",
  "fdt_num_mem_rsv",
  "fdt_get_mem_rsv",
  // edit (libxl__arch_domain_finalise_hw_description, spec §4.4)
  "fdt_setprop",
  "fdt_setprop_inplace",
  "fdt_nop_node",
  "fdt_open_into",
  "fdt_pack",
  "fdt_strerror",
  // glue and allocator
  "xlite_fdt_totalsize",
  "xlite_heap_top",
  "malloc",
  "free",
] as const;

/** Fixed linear memory: 16 MiB, no growth (DTBs are capped at 1 MiB by libxl, 2 MiB by Linux). */
export const WASM_MEMORY_BYTES = 16 * 1024 * 1024;

/** emcc flags (the inputs and `-o` are added by the build). */
export const EMCC_FLAGS = [
  "-O2",
  // link-time optimisation across libfdt and the glue: glue.c's memcmp is inlined into
  // libfdt's string-table search, which runs once per property written (bench/dtb.ts)
  "-flto",
  "-sSTANDALONE_WASM",
  "--no-entry",
  "-sMALLOC=emmalloc",
  "-sFILESYSTEM=0",
  `-sINITIAL_MEMORY=${WASM_MEMORY_BYTES}`,
  "-sALLOW_MEMORY_GROWTH=0",
  "-sTOTAL_STACK=65536",
  "-sERROR_ON_UNDEFINED_SYMBOLS=1",
  `-sEXPORTED_FUNCTIONS=${LIBFDT_EXPORTS.map((name) => `_${name}`).join(",")}`,
  "-I.",
] as const;

/** The environment emcc runs in: nothing inherited (no node_modules/.bin on PATH). */
export function emccEnv(home: string): Record<string, string> {
  return {
    PATH: "/usr/bin:/bin",
    HOME: home,
    TMPDIR: home,
    LANG: "C",
    LC_ALL: "C",
    EM_CONFIG: "/usr/share/emscripten/.emscripten",
    EM_CACHE: "/usr/share/emscripten/cache",
  };
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GLUE = "wasm/libfdt/glue.c";

/** A failure of the libfdt build, naming what is missing or different. */
export class LibfdtBuildError extends Error {
  /** `message` names the missing tool or package, or the changed file. */
  constructor(message: string) {
    super(`libfdt recipe: ${message}`);
    this.name = "LibfdtBuildError";
  }
}

async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      clearEnv: options.env !== undefined,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new LibfdtBuildError(`cannot run ${cmd}: ${(error as Error).message}`);
  }
  const decoder = new TextDecoder();
  if (!output.success) {
    const stderr = decoder.decode(output.stderr).trim().split("\n").slice(-5).join(" | ");
    throw new LibfdtBuildError(`${cmd} ${args[0] ?? ""} failed (exit ${output.code}): ${stderr}`);
  }
  return decoder.decode(output.stdout);
}

/** The installed version of a Debian package, or undefined when it is not installed. */
export async function debianVersion(pkg: string): Promise<string | undefined> {
  const output = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f=${Status}\t${Version}", pkg],
    stdout: "piped",
    stderr: "null",
  }).output();
  const [status, version] = new TextDecoder().decode(output.stdout).split("\t");
  return output.success && status?.endsWith(" installed") ? version : undefined;
}

/** Fails with a `LibfdtBuildError` unless Debian package `pkg` is installed at `version`. */
export async function requirePackage(pkg: string, version: string): Promise<void> {
  const installed = await debianVersion(pkg);
  if (installed === undefined) {
    throw new LibfdtBuildError(
      `Debian package ${pkg} is not installed (apt-get install ${pkg}=${version})`,
    );
  }
  if (installed !== version) {
    throw new LibfdtBuildError(
      `Debian package ${pkg} is ${installed}, the recipe is pinned to ${version}`,
    );
  }
}

/**
 * Extracts libfdt's files from the installed `linux-source-6.1` into `dir` and checks them
 * against {@linkcode LIBFDT_FILES_SHA256}; a `LibfdtBuildError` names the package when it is
 * missing, or the file that changed.
 */
export async function extractLibfdt(dir: string): Promise<void> {
  if (await debianVersion(LINUX_SOURCE.package) === undefined) {
    throw new LibfdtBuildError(
      `Debian package ${LINUX_SOURCE.package} is not installed (apt-get install ${LINUX_SOURCE.package})`,
    );
  }
  const members = [...LIBFDT_SOURCES, ...LIBFDT_HEADERS].map((f) =>
    `${LINUX_SOURCE.directory}/${f}`
  );
  await run("tar", [
    "-xJf",
    LINUX_SOURCE.tarball,
    "-C",
    dir,
    `--strip-components=${LINUX_SOURCE.directory.split("/").length}`,
    ...members,
  ]);
  await checkLibfdtFiles(dir, LINUX_SOURCE.package);
}

/** Fails with a `LibfdtBuildError` naming every file in `dir` whose sha256 is not the pinned one. */
export async function checkLibfdtFiles(dir: string, origin = dir): Promise<void> {
  const changed: string[] = [];
  for (const [file, pinned] of Object.entries(LIBFDT_FILES_SHA256)) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${dir}/${file}`);
    } catch {
      changed.push(`${file} is missing`);
      continue;
    }
    const sum = await sha256Hex(bytes);
    if (sum !== pinned) changed.push(`${file} has sha256 ${sum}, pinned ${pinned}`);
  }
  if (changed.length > 0) {
    throw new LibfdtBuildError(
      `libfdt in ${origin} differs from the pinned files (${changed.join("; ")})`,
    );
  }
}

/**
 * Builds libfdt.wasm and returns its bytes; from the files in `sourceDir` when given (checked
 * against the pins again), else extracted from the installed package.
 */
export async function buildLibfdt(options: { sourceDir?: string } = {}): Promise<Uint8Array> {
  await requirePackage(EMSCRIPTEN.package, EMSCRIPTEN.version);
  const dir = await Deno.makeTempDir({ prefix: "xlite-libfdt-" });
  try {
    if (options.sourceDir === undefined) {
      await extractLibfdt(dir);
    } else {
      await checkLibfdtFiles(options.sourceDir);
      for (const file of Object.keys(LIBFDT_FILES_SHA256)) {
        await Deno.copyFile(`${options.sourceDir}/${file}`, `${dir}/${file}`);
      }
    }
    await Deno.copyFile(`${ROOT}/${GLUE}`, `${dir}/glue.c`);
    const home = `${dir}/home`;
    await Deno.mkdir(home);
    await run("emcc", [
      ...EMCC_FLAGS,
      `-ffile-prefix-map=${dir}=.`,
      ...LIBFDT_SOURCES,
      "glue.c",
      "-o",
      "libfdt.wasm",
    ], { cwd: dir, env: emccEnv(home) });
    const bytes = await Deno.readFile(`${dir}/libfdt.wasm`);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    if (imports.length > 0) {
      const names = imports.map((i) => `${i.module}.${i.name}`).join(", ");
      throw new LibfdtBuildError(`libfdt.wasm must be standalone but imports ${names}`);
    }
    return bytes;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function toolVersions(): Promise<Record<string, string>> {
  const env = emccEnv("/nonexistent");
  const emcc = (await run("emcc", ["--version"], { env })).split("\n")[0].trim();
  const wasmOpt = (await run("wasm-opt", ["--version"], { env })).trim();
  return {
    emcc,
    "wasm-opt": wasmOpt,
    "debian:emscripten": (await debianVersion("emscripten")) ?? "missing",
    "debian:binaryen": (await debianVersion("binaryen")) ?? "missing",
    "debian:clang-14": (await debianVersion("clang-14")) ?? "missing",
    "debian:linux-source-6.1": (await debianVersion("linux-source-6.1")) ?? "missing",
  };
}

/** The recipe `build.ts` runs. */
export const recipe: WasmRecipe = {
  output: "libfdt.wasm",
  inputs: () => Promise.resolve(["wasm/libfdt.recipe.ts", GLUE]),
  tools: toolVersions,
  build: buildLibfdt,
  provenance: {
    source: {
      package: LINUX_SOURCE.package,
      tarball: LINUX_SOURCE.tarball,
      directory: LINUX_SOURCE.directory,
      filesSha256: LIBFDT_FILES_SHA256,
    },
    licence: "BSD-2-Clause (libfdt is GPL-2.0-or-later OR BSD-2-Clause; " +
      "xlite takes the BSD-2-Clause option, see wasm/libfdt.LICENSE)",
    compiler: { package: `${EMSCRIPTEN.package} ${EMSCRIPTEN.version}`, flags: [...EMCC_FLAGS] },
    exports: [...LIBFDT_EXPORTS],
  },
};
