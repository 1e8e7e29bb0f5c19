/** The `xlite disk-parse` and `xlite vdev` commands, run as a user runs them. */
import { assertEquals } from "../support/assert.ts";
import { runXlite } from "../support/xlite_cli.ts";

const xlite = (...args: string[]) => runXlite(args);

Deno.test("cli: disk-parse --json prints exactly libxl's JSON", async () => {
  const r = await xlite("disk-parse", "--json", "/dev/vg/d1,raw,xvda,rw,specification=virtio");
  assertEquals(r.code, 0);
  assertEquals(
    r.stdout,
    '{\n    "pdev_path": "/dev/vg/d1",\n    "vdev": "xvda",\n    "format": "raw",\n' +
      '    "readwrite": 1,\n    "specification": "virtio"\n}\n',
  );
  assertEquals(r.stderr, "");
});

Deno.test("cli: disk-parse joins words into one disk and lists fields", async () => {
  const r = await xlite("disk-parse", "phy:/dev/x", "xvdb", "ro");
  assertEquals(r.code, 0);
  assertEquals(r.stdout.split("\n").slice(2, 4), ['pdev_path: "/dev/x"', 'vdev: "xvdb"']);
  assertEquals(r.stdout.includes("readwrite: 0\n"), true);
});

Deno.test("cli: disk-parse with a bad spec prints xl's text and exits 1", async () => {
  const r = await xlite("disk-parse", "--json", "/x,raw,xvda,transport=mmio");
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  assertEquals(
    r.stderr,
    "command line: config parsing error in disk specification: unknown parameter: near `transport=m' in `/x,raw,xvda,transport=mmio'\n",
  );
  const usage = await xlite("disk-parse");
  assertEquals(usage.code, 2);
});

Deno.test("cli: vdev maps names and numbers both ways, --json too", async () => {
  const r = await xlite("vdev", "xvda", "51713", "hdc", "d1p2");
  assertEquals(r.code, 0);
  assertEquals(r.stdout, "xvda\t51712\n51713\txvda1\nhdc\t5632\nd1p2\t51730\n");
  const j = await xlite("vdev", "--json", "xvdq");
  assertEquals(JSON.parse(j.stdout), [{ input: "xvdq", vdev: "xvdq", devid: 268439552 }]);
  const bad = await xlite("vdev", "xvd");
  assertEquals(bad.code, 1);
  assertEquals(bad.stderr, "xlite: Invalid or unsupported virtual disk identifier xvd\n");
});
