import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { checkAll, sha256Hex } from "../../build.ts";
import {
  buildLibfdt,
  checkLibfdtFiles,
  debianVersion,
  emccEnv,
  EMSCRIPTEN,
  extractLibfdt,
  LIBFDT_EXPORTS,
  LIBFDT_FILES_SHA256,
  LibfdtBuildError,
  requirePackage,
} from "../../wasm/libfdt.recipe.ts";

const root = new URL("../../", import.meta.url);
const committed = await Deno.readFile(new URL("wasm/libfdt.wasm", root));
const provenance = JSON.parse(
  await Deno.readTextFile(new URL("wasm/libfdt.provenance.json", root)),
);

// The rebuild needs the pinned emscripten and libfdt files with the pinned hashes (whatever
// linux-source-6.1 version carries them); extracted once, each rebuild copies them.
const sources = await Deno.makeTempDir({ prefix: "xlite-libfdt-sources-" });
globalThis.addEventListener("unload", () => Deno.removeSync(sources, { recursive: true }));
let skipReason: string | undefined;
const emscripten = await debianVersion(EMSCRIPTEN.package);
if (emscripten !== EMSCRIPTEN.version) {
  skipReason = `needs Debian ${EMSCRIPTEN.package} ${EMSCRIPTEN.version} (installed: ${
    emscripten ?? "none"
  })`;
} else {
  try {
    await extractLibfdt(sources);
  } catch (error) {
    if (!(error instanceof LibfdtBuildError)) throw error;
    skipReason = error.message;
  }
}
if (skipReason !== undefined) console.log(`libfdt rebuild test skipped: ${skipReason}`);

Deno.test({
  name: "libfdt.wasm: two rebuilds in separate temp dirs are byte-identical to the committed one",
  ignore: skipReason !== undefined,
  fn: async () => {
    const [a, b] = await Promise.all([
      buildLibfdt({ sourceDir: sources }),
      buildLibfdt({ sourceDir: sources }),
    ]);
    assertEquals(await sha256Hex(a), await sha256Hex(b));
    assertEquals(await sha256Hex(a), await sha256Hex(committed));
  },
});

Deno.test("libfdt.wasm: matches its provenance, standalone, exports what the bindings use", async () => {
  assertEquals(await sha256Hex(committed), provenance.outputSha256);
  assertEquals((await checkAll()).filter((line) => line.includes("libfdt")), []);
  assertEquals(provenance.source.filesSha256, LIBFDT_FILES_SHA256);
  assertEquals(provenance.tools["debian:emscripten"], EMSCRIPTEN.version);
  const module = new WebAssembly.Module(committed as BufferSource);
  assertEquals(WebAssembly.Module.imports(module), []);
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const name of [...LIBFDT_EXPORTS, "memory"]) assert(exported.has(name), name);
  assert(committed.length > 12_000 && committed.length < 24_000, `${committed.length} bytes`);
  console.log(`libfdt.wasm: ${committed.length} bytes, ${exported.size} exports, no imports`);
});

Deno.test("libfdt recipe: emcc never sees node_modules/.bin (its own wasm-opt)", () => {
  const env = emccEnv("/tmp/x");
  assertEquals(env.PATH, "/usr/bin:/bin");
  assertEquals(env.EM_CACHE, "/usr/share/emscripten/cache");
  assert(!Object.values(env).some((v) => v.includes("node_modules")));
});

Deno.test("libfdt recipe: a missing or different Debian package is a clear error", async () => {
  await assertRejects(
    () => requirePackage("xlite-no-such-package", "1.0"),
    LibfdtBuildError,
    "libfdt recipe: Debian package xlite-no-such-package is not installed",
  );
  const installed = await debianVersion("dpkg");
  await assertRejects(
    () => requirePackage("dpkg", "0.0-pinned"),
    LibfdtBuildError,
    `Debian package dpkg is ${installed}, the recipe is pinned to 0.0-pinned`,
  );
});

Deno.test({
  name: "libfdt recipe: a libfdt file that differs from its pinned hash is named",
  ignore: skipReason !== undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "xlite-libfdt-changed-" });
    try {
      for (const file of Object.keys(LIBFDT_FILES_SHA256)) {
        await Deno.copyFile(`${sources}/${file}`, `${dir}/${file}`);
      }
      await checkLibfdtFiles(dir); // the real files pass
      await Deno.writeTextFile(`${dir}/fdt_ro.c`, "/* changed */\n", { append: true });
      await Deno.remove(`${dir}/libfdt.h`);
      const error = await assertRejects(
        () => checkLibfdtFiles(dir, "linux-source-6.1"),
        LibfdtBuildError,
      );
      assert(
        error.message.startsWith(
          "libfdt recipe: libfdt in linux-source-6.1 differs from the pinned files (fdt_ro.c has sha256 ",
        ),
        error.message,
      );
      assert(error.message.includes(`pinned ${LIBFDT_FILES_SHA256["fdt_ro.c"]}`), error.message);
      assert(error.message.endsWith("; libfdt.h is missing)"), error.message);
      await assertRejects(() => buildLibfdt({ sourceDir: dir }), LibfdtBuildError, "fdt_ro.c");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
