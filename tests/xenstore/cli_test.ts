/**
 * `xlite xenstore ...` against Debian's xenstore-* tools on the same real daemon: same
 * stdout, same exit codes, same store contents after writes.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  startXenstored,
  type Xenstored,
  xenstoredMissing,
  xenstoreTool,
} from "../support/xenstored.ts";
import { runXlite, type XliteRun } from "../support/xlite_cli.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

function xlite(xsd: Xenstored, args: string[]): Promise<XliteRun> {
  return runXlite(["xenstore", ...args], xsd.env);
}

/** Runs the same command through xlite and Debian's tool; stdout and exit code must match. */
async function same(xsd: Xenstored, tool: string, args: string[]): Promise<string> {
  const [ours, theirs] = await Promise.all([
    xlite(xsd, [tool, ...args]),
    xenstoreTool(xsd, tool, args),
  ]);
  const what = `xenstore-${tool} ${args.join(" ")}`;
  assertEquals(ours.stdout, theirs.stdout, `stdout of ${what}`);
  assertEquals(ours.code, theirs.code, `exit code of ${what} (stderr: ${ours.stderr})`);
  return ours.stdout;
}

async function populate(xsd: Xenstored, root: string): Promise<void> {
  const long = "z".repeat(100);
  const name = "n".repeat(90);
  const r = await xenstoreTool(xsd, "write", [
    `${root}/a`,
    "hello world",
    `${root}/b/c`,
    "tab\\there\\nnl\\\\bs\\001\\x7f\\xff",
    `${root}/b/d/e`,
    long,
    `${root}/${name}`,
    "v",
    `${root}/empty`,
    "",
    `${root}/q/r/s`,
    "",
  ]);
  assertEquals(r.code, 0, r.stderr);
  await xenstoreTool(xsd, "chmod", [`${root}/b/c`, "b3", "r5", "w7"]);
}

for (const flavour of ["c", "ocaml"] as const) {
  const missing = xenstoredMissing(flavour);
  if (missing) console.log(`skipping xenstore CLI tests on ${flavour}: ${missing}`);
  const test = (name: string, fn: (xsd: Xenstored) => Promise<void>) =>
    Deno.test({
      name: `${name} [${flavour}]`,
      ignore: missing !== undefined,
      fn: async () => {
        await using xsd = await startXenstored({ flavour });
        await fn(xsd);
      },
    });

  test("xlite xenstore ls/read/list/exists print what Debian's tools print", async (xsd) => {
    await populate(xsd, "/t");
    const ls = await same(xsd, "ls", ["/t"]);
    assertStringIncludes(ls, ' c = "tab\\there\\nnl\\\\bs\\001\\x7f\\xff"');
    await same(xsd, "ls", ["-f", "/t"]);
    assertStringIncludes(await same(xsd, "ls", ["-p", "/t"]), "(b3,r5,w7)");
    await same(xsd, "ls", ["-fp", "/t/b"]);
    await same(xsd, "ls", []);
    await same(xsd, "ls", ["/t/nope"]);
    await same(xsd, "read", ["/t/a", "/t/b/c", "/t/empty"]);
    await same(xsd, "read", ["-p", "/t/a", "/t/b/d/e"]);
    await same(xsd, "read", ["-R", "/t/b/c"]);
    await same(xsd, "read", ["/t/a", "/t/nope", "/t/empty"]);
    await same(xsd, "list", ["/t", "/t/b"]);
    await same(xsd, "list", ["-p", "/t/b"]);
    await same(xsd, "exists", ["/t/a", "/t/b"]);
    await same(xsd, "exists", ["/t/a", "/t/nope"]);
  });

  test("xlite xenstore write/rm -t/chmod -r -u leave the store as Debian's tools do", async (xsd) => {
    await populate(xsd, "/x"); // xlite works on /x, Debian's tools on /d
    await populate(xsd, "/d");
    const both = async (tool: string, args: (root: string) => string[]) => {
      const ours = await xlite(xsd, [tool, ...args("/x")]);
      const theirs = await xenstoreTool(xsd, tool, args("/d"));
      assertEquals(ours.code, theirs.code, `${tool}: ${ours.stderr} / ${theirs.stderr}`);
      const [a, b] = await Promise.all([
        xenstoreTool(xsd, "ls", ["-p", "/x"]),
        xenstoreTool(xsd, "ls", ["-p", "/d"]),
      ]);
      assertEquals(a.stdout, b.stdout, `store after ${tool} ${args("/").join(" ")}`);
    };
    await both("write", (r) => [`${r}/w1`, "a\\x41\\101\\tz\\", `${r}/w2`, "plain"]);
    await both("write", (r) => ["-R", `${r}/w3`, "raw\\n"]);
    await both("rm", (r) => ["-t", `${r}/q/r/s`]);
    await both("rm", (r) => [`${r}/b/d`]);
    await both("chmod", (r) => ["-r", `${r}/b`, "r2", "b4"]);
    await both("chmod", (r) => ["-u", `${r}/b/c`, "n9"]);
    await both("chmod", (r) => [`${r}/nope`, "n1"]);
    const bad = await xlite(xsd, ["chmod", "/x/a", "q1"]);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr, "xlite: xenstore chmod: Invalid permission specification: 'q'\n");
    const missingRead = await xlite(xsd, ["read", "/x/nope"]);
    assertEquals(
      missingRead.stderr,
      "xlite: xenstore read: couldn't read path /x/nope: ENOENT (no such node)\n",
    );
  });

  test("xlite xenstore watch -n prints the same paths as xenstore-watch", async (xsd) => {
    await xenstoreTool(xsd, "write", ["/wt/a", "0"]);
    const spawn = (cmd: string, args: string[]) =>
      new Deno.Command(cmd, { args, env: xsd.env, stdout: "piped", stderr: "null" }).spawn();
    const children = [
      spawn(Deno.execPath(), ["run", "-A", MAIN, "xenstore", "watch", "-n", "4", "/wt"]),
      spawn("xenstore-watch", ["-n", "4", "/wt"]),
    ];
    // each prints the initial event once its watch is registered
    const readers = children.map((c) => c.stdout.getReader());
    const got = ["", ""];
    for (let i = 0; i < 2; i++) {
      while (!got[i].includes("\n")) {
        const { value, done } = await readers[i].read();
        if (done) break;
        got[i] += new TextDecoder().decode(value);
      }
    }
    await xenstoreTool(xsd, "write", ["/wt/a", "1"]);
    await xenstoreTool(xsd, "write", ["/wt/b/c", "2"]);
    await xenstoreTool(xsd, "rm", ["/wt/a"]);
    for (let i = 0; i < 2; i++) {
      for (;;) {
        const { value, done } = await readers[i].read();
        if (done) break;
        got[i] += new TextDecoder().decode(value);
      }
    }
    const status = await Promise.all(children.map((c) => c.status));
    assertEquals(status.map((s) => s.code), [0, 0]);
    assertEquals(got[0], got[1]);
    assertEquals(got[0], "/wt\n/wt/a\n/wt/b/c\n/wt/a\n");
  });

  test("xlite xenstore --json output and usage errors", async (xsd) => {
    await populate(xsd, "/j");
    const read = await xlite(xsd, ["read", "--json", "/j/a", "/j/empty"]);
    assertEquals(JSON.parse(read.stdout), { "/j/a": "hello world", "/j/empty": "" });
    const ls = await xlite(xsd, ["ls", "--json", "-p", "/j/b"]);
    const rows = JSON.parse(ls.stdout);
    assertEquals(rows[0], {
      path: "/j/b/c",
      value: "tab\there\nnl\\bs\u0001\u007f\ufffd",
      perms: ["b3", "r5", "w7"],
    });
    assertEquals(rows.map((r: { path: string }) => r.path), ["/j/b/c", "/j/b/d", "/j/b/d/e"]);
    const list = await xlite(xsd, ["list", "--json", "/j/q"]);
    assertEquals(JSON.parse(list.stdout), { "/j/q": ["r"] });
    const usage = await xlite(xsd, ["write", "/j/odd"]);
    assertEquals(usage.code, 2);
    assertEquals(usage.stderr, "xlite: xenstore write: wants key value pairs\n");
    const flag = await xlite(xsd, ["rm", "-p", "/j/a"]);
    assertEquals(flag.code, 2);
    assert(flag.stderr.startsWith("xlite: xenstore rm: "), flag.stderr);
  });
}
