/**
 * Deno FFI bindings to libxenctrl (`libxenctrl.so.4.17` … `4.20`, the host's release: see
 * `xen_abi.ts`): list domains, pause, unpause, shut down and destroy them. The library is
 * found at run time; without it, or without `/dev/xen/privcmd`, opening fails with "no Xen hypervisor here; use --dry-run".
 *
 * @example
 * ```ts
 * const xc = openXenCtrl();
 * try {
 *   for (const d of xc.listDomains()) console.log(d.domid, d.currentMemkb);
 * } finally {
 *   xc.close();
 * }
 * ```
 *
 * @module
 */
import { getdomaininfoSize } from "./domctl.ts";
import { hostXenAbi } from "./host_abi.ts";
import { decodeDomainInfo, type DomainInfo } from "./domain_info.ts";
import { errnoName, XenCallError } from "./errors.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";

/** `xc_interface_open` / `xc_interface_close`: the handle every libxenctrl call takes. */
export const XC_INTERFACE_SYMBOLS = {
  xc_interface_open: { parameters: ["pointer", "pointer", "u32"], result: "pointer" },
  xc_interface_close: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * `xc_interface_open(NULL, NULL, 0)` on a loaded libxenctrl. On failure `release` runs (after
 * `errno` is read) and a `XenCallError` names the errno.
 */
export function openXcInterface(
  symbols: Deno.DynamicLibrary<typeof XC_INTERFACE_SYMBOLS>["symbols"],
  release: () => void,
): Deno.PointerObject {
  const xch = symbols.xc_interface_open(null, null, 0);
  if (xch === null) {
    const errno = errnoName(lastErrno());
    release();
    throw new XenCallError("xc_interface_open", "opening the Xen control interface", errno);
  }
  return xch;
}

const SYMBOLS = {
  ...XC_INTERFACE_SYMBOLS,
  xc_domain_getinfolist: { parameters: ["pointer", "u32", "u32", "buffer"], result: "i32" },
  xc_domain_pause: { parameters: ["pointer", "u32"], result: "i32" },
  xc_domain_unpause: { parameters: ["pointer", "u32"], result: "i32" },
  xc_domain_destroy: { parameters: ["pointer", "u32"], result: "i32" },
  xc_domain_shutdown: { parameters: ["pointer", "u32", "i32"], result: "i32" },
  xc_sched_id: { parameters: ["pointer", "buffer"], result: "i32" },
  xc_sched_credit_domain_get: { parameters: ["pointer", "u32", "buffer"], result: "i32" },
  xc_sched_credit2_domain_get: { parameters: ["pointer", "u32", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** An open libxenctrl handle (`xc_interface *`). */
export interface XenCtrl {
  /** Every domain, in domid order (`libxl_list_domain`). */
  listDomains(): DomainInfo[];
  /** One domain, or `undefined` when there is no domain `domid`. */
  domainInfo(domid: number): DomainInfo | undefined;
  /** `xc_domain_pause`. */
  pause(domid: number): void;
  /** `xc_domain_unpause`. */
  unpause(domid: number): void;
  /** `xc_domain_destroy` (the hypervisor part only; xenstore cleanup is the caller's). */
  destroy(domid: number): void;
  /** `xc_domain_shutdown` with a `SHUTDOWN_*` reason (what the guest would report). */
  shutdown(domid: number, reason: number): void;
  /** `xc_domain_dumpcore`: the domain's memory as an ELF core file at `path` (`xl dump-core`). */
  dumpCore(domid: number, path: string): Promise<void>;
  /** The scheduler of the host's default CPU pool (`xc_sched_id`): a `XEN_SCHEDULER_*` id. */
  schedulerId(): number;
  /**
   * A domain's credit or credit2 parameters (`xc_sched_credit[2]_domain_get`,
   * `struct xen_domctl_sched_credit[2]`).
   */
  creditParams(domid: number, credit2: boolean): { weight: number; cap: number };
  /** Closes the handle and the library. */
  close(): void;
}

const BATCH = 1024;

/**
 * libxenguest's `xc_domain_dumpcore` (tools/libs/guest/xg_core.c; it takes libxenctrl's
 * handle), on a thread of its own: it writes the guest's whole memory to the file.
 */
const DUMPCORE_SYMBOLS = {
  xc_domain_dumpcore: {
    parameters: ["pointer", "u32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * Opens the host release's libxenctrl; throws `NoXenError` when this host has no Xen and
 * `UnsupportedXenError` when it runs a release xlite does not know.
 */
export function openXenCtrl(): XenCtrl {
  requirePrivcmd();
  const lib = openLibrary(hostXenAbi().xenctrlSonames, SYMBOLS);
  const xch = openXcInterface(lib.symbols, () => lib.close());
  const size = getdomaininfoSize();
  const check = (rc: number, call: string, what: string) => {
    if (rc < 0) throw new XenCallError(call, what, errnoName(lastErrno()));
  };
  const getinfo = (first: number, max: number): DomainInfo[] => {
    const buf = new Uint8Array(size * max);
    const n = lib.symbols.xc_domain_getinfolist(xch, first, max, buf);
    check(n, "xc_domain_getinfolist", "listing domains");
    const view = new DataView(buf.buffer);
    return Array.from({ length: n }, (_, i) => decodeDomainInfo(view, i * size));
  };
  return {
    listDomains() {
      const all: DomainInfo[] = [];
      for (let first = 0;;) {
        const batch = getinfo(first, BATCH);
        all.push(...batch);
        if (batch.length < BATCH) return all;
        first = batch[batch.length - 1].domid + 1;
      }
    },
    domainInfo(domid) {
      const [info] = getinfo(domid, 1);
      return info?.domid === domid ? info : undefined;
    },
    pause(domid) {
      check(lib.symbols.xc_domain_pause(xch, domid), "xc_domain_pause", `pausing domain ${domid}`);
    },
    unpause(domid) {
      check(
        lib.symbols.xc_domain_unpause(xch, domid),
        "xc_domain_unpause",
        `unpausing domain ${domid}`,
      );
    },
    destroy(domid) {
      check(
        lib.symbols.xc_domain_destroy(xch, domid),
        "xc_domain_destroy",
        `destroying domain ${domid}`,
      );
    },
    shutdown(domid, reason) {
      check(
        lib.symbols.xc_domain_shutdown(xch, domid, reason),
        "xc_domain_shutdown",
        `shutting down domain ${domid}`,
      );
    },
    async dumpCore(domid, path) {
      const guest = openLibrary(hostXenAbi().xenguestSonames, DUMPCORE_SYMBOLS);
      try {
        const name = new TextEncoder().encode(path + "\0");
        const rc = await guest.symbols.xc_domain_dumpcore(xch, domid, name);
        check(rc, "xc_domain_dumpcore", `dumping the core of domain ${domid} to ${path}`);
      } finally {
        guest.close();
      }
    },
    schedulerId() {
      const id = new Int32Array(1);
      check(lib.symbols.xc_sched_id(xch, id), "xc_sched_id", "reading the scheduler");
      return id[0];
    },
    creditParams(domid, credit2) {
      const params = new Uint16Array(2); // weight, cap
      const rc = credit2
        ? lib.symbols.xc_sched_credit2_domain_get(xch, domid, params)
        : lib.symbols.xc_sched_credit_domain_get(xch, domid, params);
      const call = credit2 ? "xc_sched_credit2_domain_get" : "xc_sched_credit_domain_get";
      check(rc, call, `reading domain ${domid}'s scheduler parameters`);
      return { weight: params[0], cap: params[1] };
    },
    close() {
      lib.symbols.xc_interface_close(xch);
      lib.close();
    },
  };
}
