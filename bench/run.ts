/**
 * Runs every host benchmark in turn, each printing xlite beside its native peer and the
 * ratio. The real-Xen benchmark needs the QEMU testbed: `deno task bench:xen`.
 *
 *   deno run -A bench/run.ts [disk_parse|dtb|xenstore|xl_cfg|virtio_blk ...]
 *
 * @module
 */

const BENCHES: Record<string, string[]> = {
  disk_parse: ["bench/disk_parse.ts"],
  dtb: ["bench/dtb.ts"],
  xenstore: ["bench/xenstore.ts", "--flavour", "both"],
  xl_cfg: ["bench/xl_cfg.ts"],
  virtio_blk: ["bench/virtio_blk.ts"],
};

const chosen = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHES);
let failures = 0;
for (const name of chosen) {
  const args = BENCHES[name];
  if (!args) {
    console.error(`bench: unknown benchmark '${name}' (known: ${Object.keys(BENCHES).join(", ")})`);
    Deno.exit(2);
  }
  console.log(`\n=== ${name}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: new URL("..", import.meta.url),
  }).spawn().status;
  if (code !== 0) {
    console.error(`bench: ${name} failed (exit ${code})`);
    failures++;
  }
}
Deno.exit(failures === 0 ? 0 : 1);
