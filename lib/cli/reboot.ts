/**
 * `xlite reboot [-a] [-w] [-F] [DOM]`: ask domains to reboot (xl reboot), through their PV
 * control node; what then happens is the guest's `on_reboot` (carried out by whoever watches
 * it: xl's child, or `xlite watch` for a guest xlite created).
 *
 * @module
 */
import type { Command } from "./command.ts";
import { shutdownOrReboot } from "./shutdown.ts";

const USAGE = `usage: xlite reboot [options] <-a|DOM>

Asks domain DOM (a name or a domid), or with -a every domain but domain 0, to reboot, as
xl reboot does: writes "reboot" to control/shutdown and waits (60 s at most) for the guest to
acknowledge. What follows is the guest's on_reboot (default restart), carried out by whoever
watches it (xl's child for xl's guests, xlite watch for xlite's).

options:
  -a, --all     reboot all guest domains
  -w, --wait    wait until the domain(s) have shut down (for the reboot) or are gone
  -F            accepted for xl compatibility (Arm guests always have PV control)
  -h, --help    this text`;

/** The `reboot` command. */
export const command: Command = {
  summary: "reboot a domain (xl reboot)",
  usage: USAGE,
  run: (args) => shutdownOrReboot(true, args),
};
