/**
 * Unit tests of the disk-spec API: the man page's equivalences, error texts, multi-string
 * disks, NUL, and flat WASM memory over many parses.
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  DiskSpecError,
  diskToLibxlJson,
  parseDiskSpec,
  parseDiskSpecs,
  setDiskDefaults,
} from "../../lib/disk/mod.ts";
import { engineMemory } from "../../lib/disk/engine.ts";
import { XliteError } from "../../lib/errors.ts";

Deno.test("disk: the man page's equivalent specs give identical disks (spec §1.1)", () => {
  const same = (specs: string[]) => {
    const json = specs.map((s) => diskToLibxlJson(parseDiskSpec(s)));
    for (const j of json) assertEquals(j, json[0]);
    return parseDiskSpec(specs[0]);
  };
  const disk = same([
    "/dev/vg/guest-volume,,hda",
    "/dev/vg/guest-volume,raw,hda,rw",
    "format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
    "raw:/dev/vg/guest-volume,hda,w",
  ]);
  assertEquals([disk.pdevPath, disk.vdev, disk.format, disk.readwrite], [
    "/dev/vg/guest-volume",
    "hda",
    "raw",
    1,
  ]);
  const cd = same([
    "/root/image.iso,,hdc,cdrom",
    "/root/image.iso,,hdc,,cdrom",
    "/root/image.iso,raw,hdc,devtype=cdrom",
    "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso",
    "raw:/root/image.iso,hdc:cdrom,ro",
  ]);
  assertEquals([cd.isCdrom, cd.removable, cd.readwrite], [1, 1, 0]);
});

Deno.test("disk: virtio spec to libxl JSON, byte for byte", () => {
  assertEquals(
    diskToLibxlJson(parseDiskSpec("/dev/vg/d1,raw,xvda,rw,specification=virtio")),
    '{\n    "pdev_path": "/dev/vg/d1",\n    "vdev": "xvda",\n    "format": "raw",\n' +
      '    "readwrite": 1,\n    "specification": "virtio"\n}\n',
  );
});

Deno.test("disk: errors carry xl's exact text, several lines, and the config file name", () => {
  const err = assertThrows(
    () => parseDiskSpec("x,raw,xvda,format=qcow,format=vhd,vdev=x", { source: "/etc/xen/d.cfg" }),
    DiskSpecError,
  );
  assertEquals(
    err.message,
    [
      "/etc/xen/d.cfg: config parsing error in disk specification: format respecified: near `qcow' in `x,raw,xvda,format=qcow,format=vhd,vdev=x'",
      "/etc/xen/d.cfg: config parsing error in disk specification: format respecified: near `vhd' in `x,raw,xvda,format=qcow,format=vhd,vdev=x'",
      "/etc/xen/d.cfg: config parsing error in disk specification: vdev respecified: near `x' in `x,raw,xvda,format=qcow,format=vhd,vdev=x'",
    ].join("\n"),
  );
  assert(err instanceof XliteError && err.verbatim && err.exitCode === 1);
  assertEquals(
    assertThrows(() => parseDiskSpec("foo=bar"), DiskSpecError).message,
    "command line: config parsing error in disk specification: unknown parameter: near `foo=b' in `foo=bar'",
  );
  assertEquals(
    assertThrows(() => parseDiskSpec("/x"), DiskSpecError).message,
    "command line: config parsing error in disk specification: no vdev specified in `/x'",
  );
});

Deno.test("disk: a near text that cuts a UTF-8 character keeps xl's bytes", () => {
  const err = assertThrows(() => parseDiskSpec("foo=é"), DiskSpecError);
  const enc = (t: string) => [...new TextEncoder().encode(t)];
  assertEquals(Array.from(err.bytes), [
    ...enc(
      "command line: config parsing error in disk specification: unknown parameter: near `foo=",
    ),
    0xc3,
    ...enc("' in `foo=é'"),
  ]);
  assert(err.message.includes("near `foo=\uFFFD'"));
});

Deno.test("disk: several strings make one disk, as xl block-attach does (spec §1.8)", () => {
  const disk = parseDiskSpec(["phy:/dev/vg/d1", "xvda", "w"]);
  assertEquals([disk.pdevPath, disk.vdev, disk.readwrite], ["/dev/vg/d1", "xvda", 1]);
  const err = assertThrows(() => parseDiskSpec(["/x", "raw", "bogus=1"]), DiskSpecError);
  assertEquals(
    err.message,
    "command line: config parsing error in disk specification: unknown parameter: near `bogus=1' in `bogus=1'",
  );
});

Deno.test("disk: a NUL character is one clear error, in the batch as a value", () => {
  const [r] = parseDiskSpecs(["/x\0y,raw,xvda"]);
  assert(r instanceof DiskSpecError);
  assertEquals(
    r.message,
    "command line: config parsing error in disk specification: NUL character in disk specification in `/x\\0y,raw,xvda'",
  );
});

Deno.test("disk: WASM memory stays flat over a million parses", () => {
  const specs = Array.from(
    { length: 10_000 },
    (_, i) =>
      i % 3 === 0
        ? `/dev/vg/d${i},raw,xvda,rw,specification=virtio`
        : i % 3 === 1
        ? `foo=bar,${i}`
        : `format=raw,vdev=xvd${String.fromCharCode(97 + (i % 26))},target=/é/${i}`,
  );
  parseDiskSpecs(specs); // first use lays memory out
  const before = engineMemory().buffer.byteLength;
  for (let round = 0; round < 100; round++) parseDiskSpecs(specs);
  for (let i = 0; i < 1000; i++) {
    try {
      parseDiskSpec(specs[i]);
    } catch { /* errors are fine here */ }
  }
  assertEquals(engineMemory().buffer.byteLength, before);
});

Deno.test("disk: setDiskDefaults selects backends as libxl does (spec §2.2, §2.3)", () => {
  const stat = (kind: "block" | "file" | "other" | "missing") => () => kind;
  const virtio = parseDiskSpec("/dev/vg/d1,raw,xvda,specification=virtio");
  const d = setDiskDefaults(virtio, { hotplug: false, statTarget: stat("block") });
  assertEquals(
    [d.backend, d.transport, d.grantUsage, d.trusted, d.discardEnable, d.specification],
    ["standalone", "mmio", false, true, true, "virtio"],
  );
  assertEquals(
    setDiskDefaults({ ...virtio, backendDomid: 1 }, { hotplug: false, statTarget: stat("missing") })
      .grantUsage,
    true,
  );
  assertThrows(
    () => setDiskDefaults(virtio, { hotplug: true, statTarget: stat("block") }),
    XliteError,
    "Hotplug isn't supported for specification virtio",
  );
  assertThrows(
    () => setDiskDefaults(virtio, { hotplug: false, statTarget: stat("missing") }),
    XliteError,
    "Disk vdev=xvda failed to stat: /dev/vg/d1: No such file or directory",
  );
  assertThrows(
    () => setDiskDefaults(virtio, { hotplug: false, statTarget: stat("other") }),
    XliteError,
    "no suitable backend for disk xvda",
  );
  const xen = (spec: string, kind: "block" | "file" | "other") =>
    setDiskDefaults(parseDiskSpec(spec), { hotplug: true, statTarget: stat(kind) }).backend;
  assertEquals(xen("/img,raw,xvda", "file"), "phy");
  assertEquals(xen("/img,qcow2,xvda", "file"), "qdisk");
  assertEquals(xen("/img,vhd,xvda,script=block-x", "file"), "tap");
  assertEquals(xen("/img,raw,xvda", "other"), "qdisk");
  assertEquals(xen(",hdc:cdrom,r", "other"), "phy");
  assertThrows(
    () =>
      setDiskDefaults({ ...parseDiskSpec("/x,raw,xvda"), transport: "mmio" }, { hotplug: false }),
    XliteError,
    "Transport is only supported for specification virtio",
  );
  assertThrows(
    () =>
      setDiskDefaults({ ...parseDiskSpec("/img,,hdc,cdrom"), format: "empty" }, {
        hotplug: false,
      }),
    XliteError,
    "Disk vdev=hdc is empty but an image has been provided: /img",
  );
  assertThrows(
    () => setDiskDefaults({ ...parseDiskSpec("/img,,hdc"), format: "empty" }, { hotplug: false }),
    XliteError,
    "Disk vdev=hdc is empty but not cdrom",
  );
  assertThrows(
    () => xen("/x,raw,xvda,backendtype=standalone", "file"),
    XliteError,
    "no suitable backend for disk xvda",
  );
});
