import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { checkAll, sha256Hex } from "../../build.ts";
import {
  buildLibfdt,
  debianVersion,
  emccEnv,
  EMSCRIPTEN,
  LIBFDT_EXPORTS,
  LibfdtBuildError,
  LINUX_SOURCE,
  requirePackage,
} from "../../wasm/libfdt.recipe.ts";

const root = new URL("../../", import.meta.url);
const committed = await Deno.readFile(new URL("wasm/libfdt.wasm", root));
const provenance = JSON.parse(
  await Deno.readTextFile(new URL("wasm/libfdt.provenance.json", root)),
);

const havePinned = (await debianVersion(LINUX_SOURCE.package)) === LINUX_SOURCE.version &&
  (await debianVersion(EMSCRIPTEN.package)) === EMSCRIPTEN.version;
if (!havePinned) {
  console.log(
    `libfdt rebuild test skipped: needs Debian ${LINUX_SOURCE.package} ${LINUX_SOURCE.version} ` +
      `and ${EMSCRIPTEN.package} ${EMSCRIPTEN.version} installed`,
  );
}

Deno.test({
  name: "libfdt.wasm: two rebuilds in separate temp dirs are byte-identical to the committed one",
  ignore: !havePinned,
  fn: async () => {
    const [a, b] = await Promise.all([buildLibfdt(), buildLibfdt()]);
    assertEquals(await sha256Hex(a), await sha256Hex(b));
    assertEquals(await sha256Hex(a), await sha256Hex(committed));
  },
});

Deno.test("libfdt.wasm: matches its provenance, standalone, exports what the bindings use", async () => {
  assertEquals(await sha256Hex(committed), provenance.outputSha256);
  assertEquals((await checkAll()).filter((line) => line.includes("libfdt")), []);
  assertEquals(provenance.source.tarballSha256, LINUX_SOURCE.sha256);
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
