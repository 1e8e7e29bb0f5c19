/**
 * Deno FFI bindings to libxendevicemodel (`libxendevicemodel.so.1`): the `dm_op` calls a
 * device model makes for a guest on Arm — create an IOREQ server, route an MMIO range to it,
 * enable it, set the level of an SPI, destroy it.
 *
 * A hypervisor built without `CONFIG_IOREQ_SERVER` (Debian's arm64 Xen) answers every call
 * with ENOSYS; that is reported as {@linkcode IoreqUnsupportedError}.
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import { errnoName, XenCallError } from "./errors.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";

/** Library names tried in order. */
export const DEVICEMODEL_SONAMES = ["libxendevicemodel.so.1", "libxendevicemodel.so"];

/** `HVM_IOREQSRV_BUFIOREQ_OFF` (public/hvm/dm_op.h): no buffered-ioreq page. */
export const HVM_IOREQSRV_BUFIOREQ_OFF = 0;

const SYMBOLS = {
  xendevicemodel_open: { parameters: ["pointer", "u32"], result: "pointer" },
  xendevicemodel_close: { parameters: ["pointer"], result: "i32" },
  xendevicemodel_create_ioreq_server: {
    parameters: ["pointer", "u16", "i32", "buffer"],
    result: "i32",
  },
  xendevicemodel_get_ioreq_server_info: {
    parameters: ["pointer", "u16", "u16", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  xendevicemodel_map_io_range_to_ioreq_server: {
    parameters: ["pointer", "u16", "u16", "i32", "u64", "u64"],
    result: "i32",
  },
  xendevicemodel_unmap_io_range_from_ioreq_server: {
    parameters: ["pointer", "u16", "u16", "i32", "u64", "u64"],
    result: "i32",
  },
  xendevicemodel_set_ioreq_server_state: {
    parameters: ["pointer", "u16", "u16", "i32"],
    result: "i32",
  },
  xendevicemodel_set_irq_level: { parameters: ["pointer", "u16", "u32", "u32"], result: "i32" },
  xendevicemodel_destroy_ioreq_server: { parameters: ["pointer", "u16", "u16"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The hypervisor has no IOREQ servers (built without `CONFIG_IOREQ_SERVER`: `dm_op` is ENOSYS). */
export class IoreqUnsupportedError extends XliteError {
  /** `what` is the operation that needed an IOREQ server. */
  constructor(what: string) {
    super(
      `${what} failed: this Xen has no IOREQ servers (built without CONFIG_IOREQ_SERVER), ` +
        "so it cannot forward a guest's virtio-mmio accesses",
    );
    this.name = "IoreqUnsupportedError";
  }
}

/** An open libxendevicemodel handle; every call names the guest domain it acts on. */
export interface DeviceModel {
  /** Creates an IOREQ server for `domid` without a buffered-ioreq page; returns its id. */
  createIoreqServer(domid: number): number;
  /**
   * Checks that server `id` exists (`get_ioreq_server_info` with no gfns: on Arm the pages are
   * reached by resource mapping only).
   */
  ioreqServerInfo(domid: number, id: number): void;
  /** Routes the guest's MMIO accesses to `[start, end]` (inclusive) to server `id`. */
  mapMmioRange(domid: number, id: number, start: bigint, end: bigint): void;
  /** Stops routing `[start, end]` (inclusive) to server `id`. */
  unmapMmioRange(domid: number, id: number, start: bigint, end: bigint): void;
  /** Enables (requests flow) or disables server `id`. */
  setIoreqServerState(domid: number, id: number, enabled: boolean): void;
  /** Sets the level of SPI `irq` (Arm `dm.c` accepts SPIs below the domain's `nr_spis` only). */
  setIrqLevel(domid: number, irq: number, level: 0 | 1): void;
  /** Destroys server `id` (its ranges, pages and event channels go with it). */
  destroyIoreqServer(domid: number, id: number): void;
  /** Closes the handle and the library. */
  close(): void;
}

/** Opens libxendevicemodel; throws `NoXenError` when this host has no Xen. */
export function openDeviceModel(): DeviceModel {
  requirePrivcmd();
  const lib = openLibrary(DEVICEMODEL_SONAMES, SYMBOLS);
  const s = lib.symbols;
  const dmod = s.xendevicemodel_open(null, 0);
  if (dmod === null) {
    const errno = errnoName(lastErrno());
    lib.close();
    throw new XenCallError("xendevicemodel_open", "opening the device-model interface", errno);
  }
  const check = (rc: number, call: string, what: string) => {
    if (rc >= 0) return;
    const errno = errnoName(lastErrno());
    if (errno === "ENOSYS") throw new IoreqUnsupportedError(what);
    throw new XenCallError(call, what, errno);
  };
  return {
    createIoreqServer(domid) {
      const id = new Uint16Array(1);
      check(
        s.xendevicemodel_create_ioreq_server(dmod, domid, HVM_IOREQSRV_BUFIOREQ_OFF, id),
        "xendevicemodel_create_ioreq_server",
        `creating an IOREQ server for domain ${domid}`,
      );
      return id[0];
    },
    ioreqServerInfo(domid, id) {
      check(
        s.xendevicemodel_get_ioreq_server_info(dmod, domid, id, null, null, null),
        "xendevicemodel_get_ioreq_server_info",
        `reading IOREQ server ${id} of domain ${domid}`,
      );
    },
    mapMmioRange(domid, id, start, end) {
      check(
        s.xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 1, start, end),
        "xendevicemodel_map_io_range_to_ioreq_server",
        `routing MMIO ${hex(start)}-${hex(end)} of domain ${domid} to IOREQ server ${id}`,
      );
    },
    unmapMmioRange(domid, id, start, end) {
      check(
        s.xendevicemodel_unmap_io_range_from_ioreq_server(dmod, domid, id, 1, start, end),
        "xendevicemodel_unmap_io_range_from_ioreq_server",
        `unrouting MMIO ${hex(start)}-${hex(end)} of domain ${domid} from IOREQ server ${id}`,
      );
    },
    setIoreqServerState(domid, id, enabled) {
      check(
        s.xendevicemodel_set_ioreq_server_state(dmod, domid, id, enabled ? 1 : 0),
        "xendevicemodel_set_ioreq_server_state",
        `${enabled ? "enabling" : "disabling"} IOREQ server ${id} of domain ${domid}`,
      );
    },
    setIrqLevel(domid, irq, level) {
      check(
        s.xendevicemodel_set_irq_level(dmod, domid, irq, level),
        "xendevicemodel_set_irq_level",
        `setting SPI ${irq} of domain ${domid} to ${level}`,
      );
    },
    destroyIoreqServer(domid, id) {
      check(
        s.xendevicemodel_destroy_ioreq_server(dmod, domid, id),
        "xendevicemodel_destroy_ioreq_server",
        `destroying IOREQ server ${id} of domain ${domid}`,
      );
    },
    close() {
      s.xendevicemodel_close(dmod);
      lib.close();
    },
  };
}

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}
