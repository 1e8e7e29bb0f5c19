/**
 * The `xlite` command line: every subcommand by name, loaded on first use so start-up stays
 * small, and the shape they share. Each command only parses its arguments and prints; the
 * work is in `lib/domain`, `lib/devices`, `lib/disk`, `lib/fdt` and `lib/xenstore`.
 *
 * @module
 */
import type { Command } from "./command.ts";

export type { Command } from "./command.ts";
export { parseCommandArgs, printOut, timeoutOption, writeAtomically } from "./command.ts";
export type { Args, ParseOptions } from "../std/cli.ts";

/** Every subcommand, loaded lazily, in `xlite help`'s order. */
export const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  "disk-parse": () => import("./disk_parse.ts"),
  vdev: () => import("./vdev.ts"),
  create: () => import("./create.ts"),
  dtb: () => import("./dtb.ts"),
  "block-attach": () => import("./block_attach.ts"),
  "block-detach": () => import("./block_detach.ts"),
  "block-list": () => import("./block_list.ts"),
  "network-attach": () => import("./network_attach.ts"),
  "network-detach": () => import("./network_detach.ts"),
  "network-list": () => import("./network_list.ts"),
  list: () => import("./list.ts"),
  pause: () => import("./pause.ts"),
  unpause: () => import("./unpause.ts"),
  shutdown: () => import("./shutdown.ts"),
  reboot: () => import("./reboot.ts"),
  destroy: () => import("./destroy.ts"),
  console: () => import("./console.ts"),
  xenstore: () => import("./xenstore.ts"),
  devd: () => import("./devd.ts"),
  domid: () => import("./domid.ts"),
  domname: () => import("./domname.ts"),
  rename: () => import("./rename.ts"),
  info: () => import("./info.ts"),
  uptime: () => import("./uptime.ts"),
  dmesg: () => import("./dmesg.ts"),
  "mem-set": () => import("./mem_set.ts"),
  "mem-max": () => import("./mem_max.ts"),
  "vcpu-list": () => import("./vcpu_list.ts"),
  "vcpu-pin": () => import("./vcpu_pin.ts"),
  "vcpu-set": () => import("./vcpu_set.ts"),
  watch: () => import("./watch.ts"),
};
