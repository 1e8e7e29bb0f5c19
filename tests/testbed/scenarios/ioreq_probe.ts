/**
 * The dom0 side of the `ioreq` scenario: opens the Xen frontend carrier
 * (lib/devd/xen_carrier.ts) for a paused guest, serves one MMIO window with a trivial handler
 * (offset 0 reads 0x74726976, "virt"), and checks the guest's RAM mapping; driven through
 * files in a control directory so it can start (deno is slow under TCG) before the guest
 * exists. Two guests, one after the other (phase N = 1, 2):
 *   out DIR/started  once loaded
 *   in  DIR/goN    "<domid> <base> <irq>"    out DIR/readyN  written once the window is served
 *   in  DIR/stopN  (any content)             out DIR/resultN "ok: ..." / "FAIL: ..." lines
 * Phase 1 checks the RAM mapping and, after closing the carrier, that Xen has no IOREQ server
 * left; in phase 2 the guest is destroyed while the carrier is still open (as when a frontend
 * dies under `xlite devd`), then the carrier is closed.
 * usage: ioreq_probe.ts DIR
 *
 * @module
 */
import { openXenFrontendCarrier, xenFrontendCarrierOpener } from "../../../lib/devd/xen_carrier.ts";
import { openDeviceModel } from "../../../lib/xen/devicemodel.ts";
import { readGuestMemory } from "../../../lib/xen/foreign_memory.ts";
import type { GuestRam } from "../../../lib/xen/guest_ram.ts";
import type { MmioHandler } from "../../../lib/virtio_backend/interfaces.ts";

const dir = Deno.args[0];
let lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  console.log(line);
};
const check = (what: string, ok: boolean, detail = "") =>
  say(ok ? `ok: ${what}` : `FAIL: ${what}${detail ? `: ${detail}` : ""}`);
const exists = (path: string) => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};
const until = async (path: string) => {
  while (!exists(path)) await new Promise((r) => setTimeout(r, 50));
};

await Deno.writeTextFile(`${dir}/started`, "started\n");
for (const phase of [1, 2]) {
  lines = [];
  await until(`${dir}/go${phase}`);
  const go = (await Deno.readTextFile(`${dir}/go${phase}`)).trim().split(/\s+/).map(Number);
  const [domid, base, irq] = go;
  const accesses: string[] = [];
  const handler: MmioHandler = {
    read(offset, size) {
      accesses.push(`r${size}@${offset}`);
      return offset === 0 ? 0x74726976n : 0n;
    },
    write(offset, size, value) {
      accesses.push(`w${size}@${offset}=${value}`);
    },
  };
  const logged: string[] = [];
  const t0 = performance.now();
  const carrier = phase === 1
    ? await xenFrontendCarrierOpener({ log: (l) => logged.push(l) })(domid)
    : await openXenFrontendCarrier(domid);
  const line = carrier.addDevice(BigInt(base), 0x200, irq, handler);
  await Deno.writeTextFile(`${dir}/ready${phase}`, "ready\n");
  say(
    `serving domain ${domid}: window 0x${base.toString(16)}+0x200, SPI ${irq} ` +
      `(carrier open + window mapped in ${Math.round(performance.now() - t0)} ms)`,
  );
  // the guest's RAM: the arm64 Image header ("ARM\x64" at offset 56, text_offset 0) at RAM0
  const magic = new Uint8Array(4);
  check(
    "guest RAM: read the kernel's Image magic at 0x40000038",
    carrier.memory.read(0x40000038n, magic) && new TextDecoder().decode(magic) === "ARM\x64",
    JSON.stringify([...magic]),
  );
  const dm = openDeviceModel();
  const serverInfo = () => {
    try {
      dm.ioreqServerInfo(domid, 0);
      return "";
    } catch (e) {
      return String(e);
    }
  };
  let view: Uint8Array | null = null;
  if (phase === 1) {
    view = carrier.memory.view(0x40000000n, 4096);
    check("guest RAM: a live view of the first page", view !== null && view.length === 4096);
    check(
      "guest RAM: an address below RAM is refused",
      carrier.memory.view(0x3000000n, 16) === null &&
        !carrier.memory.read(0x3000000n, new Uint8Array(4)),
    );
    check(
      "guest RAM: a range running past bank 0 is refused",
      !carrier.memory.write(0x40000000n + 0xc0000000n - 2n, new Uint8Array(4)),
    );
    // 128 MiB of RAM; libxl's maxmem has 1 MiB more, which Xen never populated
    check(
      "guest RAM: the page past the guest's RAM (maxmem slack) is refused, the last one is not",
      !carrier.memory.read(0x48000000n, new Uint8Array(4)) &&
        carrier.memory.view(0x47fff000n, 4096) !== null,
    );
    check(
      "guest RAM: a read across a 2 MiB chunk boundary",
      carrier.memory.read(0x401ffffcn, new Uint8Array(8)),
    );
    const info = serverInfo();
    check("Xen has IOREQ server 0 for the guest while the carrier is open", info === "", info);
  }
  await until(`${dir}/stop${phase}`);
  check(
    "the guest's read reached the handler (offset 0, 4 bytes)",
    accesses.includes("r4@0"),
    accesses.slice(0, 12).join(" "),
  );
  say(`${accesses.length} accesses: ${accesses.slice(0, 12).join(" ")}`);
  const ram = carrier.memory as GuestRam;
  say(`IOREQ_TYPE_INVALIDATE seen (RAM remapped in place) ${ram.invalidations} time(s)`);
  if (view) {
    // the view taken before the guest ran (and before any remap) against a fresh mapping
    const fresh = readGuestMemory(domid, 0x40000000n, 4096);
    check(
      "guest RAM: the view taken before the guest ran shows its current first page",
      fresh.every((b, i) => b === view![i]),
    );
  }
  if (phase === 2) {
    check(
      "the guest's virtio_mmio driver read the magic and the version",
      accesses.includes("r4@0") && accesses.includes("r4@4"),
    );
  }
  if (phase === 1) {
    let refused = "";
    try {
      carrier.addDevice(BigInt(base) + 0x200n, 0x200, 200, handler);
    } catch (e) {
      refused = String(e);
    }
    check("addDevice with an SPI the guest does not have (200) throws", refused !== "");
    say(`addDevice with SPI 200: ${refused}`);
    let again = "";
    try {
      carrier.addDevice(BigInt(base) + 0x200n, 0x200, irq, handler);
      carrier.removeDevice(BigInt(base) + 0x200n);
    } catch (e) {
      again = String(e);
    }
    check(
      "... and leaves no window behind (the same window can be added after)",
      again === "",
      again,
    );
    line.raise();
    check(
      "raising SPI (set_irq_level 1 then 0) logged no error",
      logged.every((l) => !l.includes("SPI")),
      logged.join(" | "),
    );
    carrier.removeDevice(BigInt(base));
  }
  let closeError = "";
  try {
    carrier.close();
  } catch (e) {
    closeError = String(e);
  }
  check("closing the carrier", closeError === "", closeError);
  if (phase === 1) {
    const info = serverInfo();
    check("after close Xen has no IOREQ server 0 for the guest", info !== "", "get_info succeeded");
    say(`server info after close: ${info}`);
  }
  dm.close();
  if (logged.length) say(`carrier log: ${logged.join(" | ")}`);
  await Deno.writeTextFile(`${dir}/result${phase}`, lines.join("\n") + "\n");
}
