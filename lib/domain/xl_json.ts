/**
 * A domain config as `xl -N create` prints it: libxl's JSON of `libxl_domain_config`
 * (`{"c_info":…, "b_info":…, "disks":[…], …}`), with libxl's field order, fields at their
 * default left out, and yajl's beautified layout (4-space indent, empty objects as
 * `{\n\n}`), byte for byte as the golden `xl-N.json` files from real xl 4.17 show it. Only
 * what xlite's `DomainConfig` carries is shown; the uuid xl would generate is random.
 *
 * @module
 */
import type { DomainConfig, VirtioDevice } from "../config/mod.ts";
import { diskToLibxlJson } from "../disk/mod.ts";
import { nicToLibxlJson } from "../devices/mod.ts";
import { type JsonValue, yajlBeautify } from "../json/mod.ts";

/** A JSON value with key order kept (objects as entry lists). */
export type XlJson = string | number | XlJson[] | XlObject;
/** A JSON object as ordered entries. */
export interface XlObject {
  /** Key/value pairs in print order. */
  entries: [string, XlJson][];
}

const obj = (entries: [string, XlJson | undefined][]): XlObject => ({
  /** Key/value pairs in print order. */
  entries: entries.filter((e): e is [string, XlJson] => e[1] !== undefined),
});
const defbool = (value: boolean | undefined) =>
  value === undefined ? undefined : value ? "True" : "False";

/** Prints `value` as yajl with beautify on does (no final newline). */
export function printYajl(value: XlJson): string {
  return yajlBeautify(toPlain(value) as JsonValue);
}

/** Plain JSON (from `JSON.parse`) as an ordered value. */
function fromPlain(value: unknown): XlJson {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value !== null && typeof value === "object") {
    return { entries: Object.entries(value).map(([k, v]) => [k, fromPlain(v)]) };
  }
  return value as string | number;
}

/** One `libxl_device_virtio` (4.18+ IDL order; xl sets devid to the list index). */
export function virtioToXlJson(dev: VirtioDevice): XlObject {
  return obj([
    ["backend_domid", dev.backendDomid || undefined],
    ["backend_domname", dev.backendDomname],
    ["type", dev.type],
    ["transport", dev.transport === "unknown" ? undefined : dev.transport],
    ["grant_usage", defbool(dev.grantUsage)],
    ["devid", dev.devid],
  ]);
}

const action = (a: string) => (a === "destroy" ? undefined : a.replaceAll("-", "_"));

/**
 * The `xl -N create` value of a parsed domain config.
 *
 * @example
 * ```ts
 * printYajl(domainConfigToXlJson(config)) + "\n"; // what xl -N prints
 * ```
 */
export function domainConfigToXlJson(config: DomainConfig, uuid?: string): XlObject {
  const armEntries: [string, XlJson | undefined][] = [
    ["gic_version", config.gicVersion === "default" ? undefined : config.gicVersion],
    ["vuart", config.vuart],
    ["nr_spis", config.nrSpis],
  ];
  return obj([
    [
      "c_info",
      obj([
        ["type", config.type],
        ["name", config.name],
        ["uuid", config.uuid ?? uuid ?? crypto.randomUUID()],
        ["run_hotplug_scripts", "True"],
      ]),
    ],
    [
      "b_info",
      obj([
        ["max_vcpus", config.maxvcpus],
        ["avail_vcpus", Array.from({ length: config.vcpus }, (_, i) => i)],
        ["max_memkb", config.maxmem * 1024],
        ["target_memkb", config.memory * 1024],
        ["sched_params", obj([])],
        ["irqs", config.irqs.length ? [...config.irqs] : undefined],
        [
          "iomem",
          config.iomem.length
            ? config.iomem.map((r) =>
              obj([
                ["start", Number(r.start)],
                ["number", Number(r.numberOfPages)],
                ["gfn", Number(r.gfn)],
              ])
            )
            : undefined,
        ],
        ["claim_mode", "True"],
        ["kernel", config.kernel],
        ["cmdline", config.cmdline],
        ["ramdisk", config.ramdisk],
        ["device_tree", config.deviceTree],
        ["tee", config.tee === "none" ? undefined : config.tee],
        ["type.pvh", obj([])],
        ["arch_arm", obj(armEntries)],
        ["arch_x86", obj([])],
      ]),
    ],
    [
      "disks",
      config.disks.length
        ? config.disks.map((d) => fromPlain(JSON.parse(diskToLibxlJson(d))))
        : undefined,
    ],
    [
      "nics",
      config.vifs.length
        ? config.vifs.map((n) => fromPlain(JSON.parse(nicToLibxlJson(n))))
        : undefined,
    ],
    ["dtdevs", config.dtdev.length ? config.dtdev.map((path) => obj([["path", path]])) : undefined],
    ["virtios", config.virtios.length ? config.virtios.map(virtioToXlJson) : undefined],
    ["on_poweroff", action(config.onPoweroff)],
    ["on_reboot", action(config.onReboot)],
    ["on_watchdog", action(config.onWatchdog ?? "destroy")],
    ["on_crash", action(config.onCrash)],
    ["on_soft_reset", "soft_reset"],
  ]);
}

/** An ordered value as a plain object (for embedding in other JSON). */
export function toPlain(value: XlJson): unknown {
  if (typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(toPlain);
  return Object.fromEntries(value.entries.map(([k, v]) => [k, toPlain(v)]));
}
