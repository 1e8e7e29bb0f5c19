/**
 * A domain config as `xl -N create` prints it: libxl's generated JSON of
 * `libxl_domain_config` (`{"c_info":…, "b_info":…, "disks":[…], …}`), where fields at their
 * default are left out, as libxl's JSON generator does. Only what xlite's `DomainConfig`
 * carries is shown.
 *
 * @module
 */
import type { DomainConfig, VirtioDevice } from "../config/types.ts";
import type { DiskSpec } from "../disk/types.ts";

/** JSON values as libxl prints them (defbools are the strings "True"/"False"). */
export type XlJson = string | number | boolean | null | XlJson[] | { [key: string]: XlJson };

const defbool = (value: boolean | undefined): XlJson | undefined =>
  value === undefined ? undefined : value ? "True" : "False";

/** Drops `undefined`, `0` and `"unknown"` entries, as libxl's JSON generator skips defaults. */
function compact(entries: [string, XlJson | undefined][]): { [key: string]: XlJson } {
  const out: { [key: string]: XlJson } = {};
  for (const [key, value] of entries) {
    if (value === undefined || value === 0 || value === "unknown") continue;
    out[key] = value;
  }
  return out;
}

/** One `libxl_device_disk`, fields in libxl's order (spec §2.1). */
export function diskToXlJson(disk: DiskSpec): { [key: string]: XlJson } {
  return compact([
    ["backend_domid", disk.backendDomid],
    ["backend_domname", disk.backendDomname],
    ["pdev_path", disk.pdevPath],
    ["vdev", disk.vdev],
    ["backend", disk.backend],
    ["format", disk.format],
    ["script", disk.script],
    ["removable", disk.removable],
    ["readwrite", disk.readwrite],
    ["is_cdrom", disk.isCdrom],
    ["direct_io_safe", disk.directIoSafe ? "True" : undefined],
    ["discard_enable", defbool(disk.discardEnable)],
    ["specification", disk.specification],
    ["transport", disk.transport],
    ["irq", disk.irq],
    ["base", disk.base === 0n ? undefined : Number(disk.base)],
    ["colo_enable", defbool(disk.coloEnable)],
    ["colo_restore_enable", defbool(disk.coloRestoreEnable)],
    ["colo_host", disk.coloHost],
    ["colo_port", disk.coloPort],
    ["colo_export", disk.coloExport],
    ["active_disk", disk.activeDisk],
    ["hidden_disk", disk.hiddenDisk],
    ["trusted", defbool(disk.trusted)],
    ["grant_usage", defbool(disk.grantUsage)],
  ]);
}

/** One `libxl_device_virtio` (spec §2.1). */
export function virtioToXlJson(dev: VirtioDevice): { [key: string]: XlJson } {
  return compact([
    ["backend_domid", dev.backendDomid],
    ["backend_domname", dev.backendDomname],
    ["type", dev.type],
    ["transport", dev.transport],
    ["grant_usage", defbool(dev.grantUsage)],
    ["devid", dev.devid],
    ["irq", dev.irq],
    ["base", dev.base === 0n ? undefined : Number(dev.base)],
  ]);
}

/**
 * The `xl -N create` shape of a domain config.
 *
 * @example
 * ```ts
 * JSON.stringify(domainConfigToXlJson(config), null, 4);
 * ```
 */
export function domainConfigToXlJson(config: DomainConfig): { [key: string]: XlJson } {
  const out: { [key: string]: XlJson } = {
    c_info: compact([["type", config.type], ["name", config.name], ["uuid", config.uuid]]),
    b_info: compact([
      ["max_vcpus", config.maxvcpus],
      ["avail_vcpus", Array.from({ length: config.vcpus }, (_, i) => i)],
      ["max_memkb", config.maxmem * 1024],
      ["target_memkb", config.memory * 1024],
      ["kernel", config.kernel],
      ["cmdline", config.cmdline],
      ["ramdisk", config.ramdisk],
      [
        "iomem",
        config.iomem.length
          ? config.iomem.map((r) => ({
            start: Number(r.start),
            number: Number(r.numberOfPages),
            gfn: Number(r.gfn),
          }))
          : undefined,
      ],
      ["irqs", config.irqs.length ? [...config.irqs] : undefined],
      ["tee", config.tee === "none" ? undefined : config.tee],
      ["type.pvh", {}],
      [
        "arch_arm",
        compact([
          ["gic_version", config.gicVersion === "default" ? undefined : config.gicVersion],
          ["vuart", config.vuart],
          ["nr_spis", config.nrSpis],
        ]),
      ],
    ]),
  };
  if (config.disks.length) out.disks = config.disks.map(diskToXlJson);
  if (config.virtios.length) out.virtios = config.virtios.map(virtioToXlJson);
  out.on_poweroff = config.onPoweroff;
  out.on_reboot = config.onReboot;
  out.on_crash = config.onCrash;
  return out;
}
