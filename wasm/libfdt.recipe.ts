/**
 * How `wasm/libfdt.wasm` is made: libfdt from Debian's `linux-source-6.1` package
 * (`scripts/dtc/libfdt/`, used under its BSD-2-Clause option), compiled with Debian's
 * emscripten 3.1.6 into a standalone module with no imports and no JS glue.
 *
 * Only the pinned tarball is accepted; the libfdt files are extracted into a private temp
 * directory at build time. emcc runs with a scrubbed environment (PATH=/usr/bin:/bin, Debian's
 * frozen emscripten cache) so it cannot pick up `node_modules/.bin/wasm-opt`, and the output is
 * byte-identical from build to build.
 *
 * @module
 */
import type { WasmRecipe } from "../build.ts";
import { fileURLToPath } from "node:url";

/** The Debian package and tarball libfdt's sources come from (pinned). */
export const LINUX_SOURCE = {
  package: "linux-source-6.1",
  version: "6.1.192-2",
  tarball: "/usr/src/linux-source-6.1.tar.xz",
  sha256: "4d415b3d364834fd818270e88813e90323bbfce4f519a0e6bd4940ddcd7df693",
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

/** Extracts the pinned libfdt sources into `dir` after checking the tarball's sha256. */
async function extractLibfdt(dir: string): Promise<void> {
  await requirePackage(LINUX_SOURCE.package, LINUX_SOURCE.version);
  const sum = (await run("sha256sum", [LINUX_SOURCE.tarball])).split(" ")[0];
  if (sum !== LINUX_SOURCE.sha256) {
    throw new LibfdtBuildError(
      `${LINUX_SOURCE.tarball} has sha256 ${sum}, the recipe is pinned to ${LINUX_SOURCE.sha256}`,
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
}

/** Builds libfdt.wasm and returns its bytes. */
export async function buildLibfdt(): Promise<Uint8Array> {
  await requirePackage(EMSCRIPTEN.package, EMSCRIPTEN.version);
  const dir = await Deno.makeTempDir({ prefix: "xlite-libfdt-" });
  try {
    await extractLibfdt(dir);
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
      version: LINUX_SOURCE.version,
      tarball: LINUX_SOURCE.tarball,
      tarballSha256: LINUX_SOURCE.sha256,
      directory: LINUX_SOURCE.directory,
      files: [...LIBFDT_SOURCES, ...LIBFDT_HEADERS],
    },
    licence: "BSD-2-Clause (libfdt is GPL-2.0-or-later OR BSD-2-Clause; " +
      "xlite takes the BSD-2-Clause option, see wasm/libfdt.LICENSE)",
    compiler: { package: `${EMSCRIPTEN.package} ${EMSCRIPTEN.version}`, flags: [...EMCC_FLAGS] },
    exports: [...LIBFDT_EXPORTS],
  },
};
