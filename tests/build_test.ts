/**
 * Tests of build.ts: a rebuild is byte-identical to the committed wasm, `--check` detects a
 * stale input, `compile` without DENORT_BIN lets deno compile fetch its base binary (and says
 * in one line that DENORT_BIN can name one when that fails), and a bad DENORT_BIN is one line.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { fileURLToPath } from "node:url";
import { checkAll, hashInputs, sha256Hex } from "../build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("build: rebuilding disk_lexer.wasm gives the committed bytes and provenance", async () => {
  const { recipe } = await import("../wasm/disk_lexer.recipe.ts");
  const committed = await Deno.readFile(`${ROOT}wasm/disk_lexer.wasm`);
  const provenance = JSON.parse(await Deno.readTextFile(`${ROOT}wasm/disk_lexer.provenance.json`));
  const first = await recipe.build();
  const second = await recipe.build();
  assertEquals(await sha256Hex(first), await sha256Hex(second));
  assertEquals(await sha256Hex(first), await sha256Hex(committed));
  assertEquals(provenance.outputSha256, await sha256Hex(committed));
  assertEquals(provenance.inputsSha256, await hashInputs((await recipe.inputs()).sort()));
  assertEquals(provenance.tools, await recipe.tools());
});

Deno.test("build: --check passes on the tree and names a stale wasm when an input changes", async () => {
  assertEquals((await checkAll()).filter((l) => l.includes("disk_lexer")), []);
  // a copy of the project's build inputs in a temp dir, with one source byte changed
  const dir = await Deno.makeTempDir({ prefix: "xlite-build-" });
  try {
    for (const sub of ["wasm", "core", "lib/std"]) {
      await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    }
    for (
      const f of [
        "build.ts",
        "lib/std/cli.ts",
        "lib/std/mod.ts",
        "lib/std/sha256.ts",
        "core/disk_lexer.ts",
        "wasm/disk_lexer.recipe.ts",
        "wasm/disk_lexer.wasm",
        "wasm/disk_lexer.provenance.json",
        "deno.json",
      ]
    ) await Deno.copyFile(`${ROOT}${f}`, `${dir}/${f}`);
    await Deno.symlink(`${ROOT}node_modules`, `${dir}/node_modules`);
    const check = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "build.ts", "--check"],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const clean = await check();
    assertEquals(clean.code, 0, new TextDecoder().decode(clean.stderr));
    await Deno.writeTextFile(
      `${dir}/core/disk_lexer.ts`,
      (await Deno.readTextFile(`${dir}/core/disk_lexer.ts`)) + "\n// changed\n",
    );
    const stale = await check();
    assertEquals(stale.code, 1);
    assertEquals(
      new TextDecoder().decode(stale.stderr),
      "build: wasm/disk_lexer.wasm is stale against its inputs: run 'deno task build'\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `build.ts compile` with `env` (nothing inherited) and an output in a temp dir. */
async function compileWith(env: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "xlite-compile-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "build.ts", "compile", "--output", `${dir}/xlite`],
      cwd: ROOT,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const built = await Deno.stat(`${dir}/xlite`).then((s) => s.isFile, () => false);
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      built,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("build: compile without DENORT_BIN lets deno compile fetch its base binary; a failed fetch is one line naming DENORT_BIN", async () => {
  const env = Deno.env.toObject();
  delete env.DENORT_BIN;
  const out = await compileWith(env);
  if (out.code === 0) {
    // a machine that reaches Deno's servers gets the executable
    assert(out.built, "compile succeeded but wrote no executable");
    assert(out.stdout.startsWith("built "), out.stdout);
    return;
  }
  // this machine cannot reach dl.deno.land: deno compile tried, and build.ts says so
  assertEquals(out.code, 1);
  const lines = out.stderr.split("\n").filter((l) => l !== "");
  assertEquals(lines.length, 1, out.stderr);
  assert(
    lines[0].startsWith("build: deno compile could not fetch its denort base binary for "),
    lines[0],
  );
  assert(
    lines[0].endsWith(
      `set DENORT_BIN to a denort ${Deno.version.deno} binary for ${Deno.build.arch}-unknown-linux-gnu`,
    ),
    lines[0],
  );
  assertEquals(out.stdout, "");
  assertEquals(out.built, false);
});

Deno.test("build: compile with a DENORT_BIN that is not a file fails with one line and exit 1", async () => {
  const env = Deno.env.toObject();
  env.DENORT_BIN = "/nonexistent/denort";
  const out = await compileWith(env);
  assertEquals(out.code, 1);
  assertEquals(out.stderr, "build: DENORT_BIN=/nonexistent/denort is not a readable file\n");
  assertEquals(out.stdout, "");
  assertEquals(out.built, false);
});
