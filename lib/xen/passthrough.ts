/**
 * Deno FFI bindings for Arm device passthrough, the libxenctrl calls libxl 4.17 makes for
 * `irqs`, `iomem` and `dtdev` (libxl_create.c `domcreate_launch_dm`, `libxl__add_dtdevs`;
 * libxl_arm.c `libxl__arch_domain_map_irq`), and `xc_physinfo` for whether the host has an
 * IOMMU for passthrough (`cap_hvm_directio`).
 *
 * @example
 * ```ts
 * const pt = openPassthrough();
 * try {
 *   pt.bindPtSpiIrq(domid, 34);
 * } finally {
 *   pt.close();
 * }
 * ```
 *
 * @module
 */
import { errnoName, XenCallError } from "./errors.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";
import { openXcInterface, XC_INTERFACE_SYMBOLS } from "./xenctrl.ts";
import { hostXenAbi } from "./host_abi.ts";

/** `XEN_SYSCTL_PHYSCAP_directio` (public/sysctl.h): the host can pass devices through. */
export const XEN_SYSCTL_PHYSCAP_directio = 1 << 2;
/** Offset of `capabilities` in `struct xen_sysctl_physinfo` (public/sysctl.h). */
const PHYSINFO_CAPABILITIES = 28;
/** `sizeof(xc_physinfo_t)` in 4.17 is 104 bytes; room to spare. */
const PHYSINFO_SIZE = 256;
/** `DPCI_ADD_MAPPING` (public/domctl.h). */
export const DPCI_ADD_MAPPING = 1;

const SYMBOLS = {
  ...XC_INTERFACE_SYMBOLS,
  xc_physinfo: { parameters: ["pointer", "buffer"], result: "i32" },
  xc_domain_irq_permission: { parameters: ["pointer", "u32", "u32", "bool"], result: "i32" },
  xc_domain_bind_pt_spi_irq: { parameters: ["pointer", "u32", "u16", "u16"], result: "i32" },
  xc_domain_iomem_permission: {
    parameters: ["pointer", "u32", "u64", "u64", "u8"],
    result: "i32",
  },
  xc_domain_memory_mapping: {
    parameters: ["pointer", "u32", "u64", "u64", "u64", "u32"],
    result: "i32",
  },
  xc_assign_dt_device: { parameters: ["pointer", "u32", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The passthrough hypercalls. Every method throws `XenCallError` on failure. */
export interface Passthrough {
  /** `xc_physinfo` `capabilities & XEN_SYSCTL_PHYSCAP_directio` (libxl's `cap_hvm_directio`). */
  hasDirectIo(): boolean;
  /** `xc_domain_irq_permission(domid, irq, allow)`. */
  irqPermission(domid: number, irq: number, allow: boolean): void;
  /** `xc_domain_bind_pt_spi_irq(domid, irq, irq)`: routes SPI `irq` 1:1 (PT_IRQ_TYPE_SPI). */
  bindPtSpiIrq(domid: number, irq: number): void;
  /** `xc_domain_iomem_permission(domid, mfn, count, allow)`. */
  iomemPermission(domid: number, mfn: bigint, count: bigint, allow: boolean): void;
  /** `xc_domain_memory_mapping(domid, gfn, mfn, count, DPCI_ADD_MAPPING)`. */
  memoryMapping(domid: number, gfn: bigint, mfn: bigint, count: bigint): void;
  /** `xc_assign_dt_device(domid, path)`: the host device at `path` to the domain. */
  assignDtDevice(domid: number, path: string): void;
  /** Closes the handle and the library. */
  close(): void;
}

/** Opens libxenctrl for the passthrough calls; `NoXenError` without Xen. */
export function openPassthrough(): Passthrough {
  requirePrivcmd();
  const lib = openLibrary(hostXenAbi().xenctrlSonames, SYMBOLS);
  const xch = openXcInterface(lib.symbols, () => lib.close());
  const s = lib.symbols;
  // xc_domain_memory_mapping returns -EINVAL itself for a domain it cannot look up; every
  // other failure is -1 with errno set.
  const check = (rc: number, call: string, what: string) => {
    if (rc >= 0) return;
    const errno = rc < -1 ? -rc : lastErrno();
    throw new XenCallError(call, what, errnoName(errno));
  };
  const hex = (n: bigint) => n.toString(16);
  return {
    hasDirectIo() {
      const info = new Uint8Array(PHYSINFO_SIZE);
      check(s.xc_physinfo(xch, info), "xc_physinfo", "reading the host's capabilities");
      const caps = new DataView(info.buffer).getUint32(PHYSINFO_CAPABILITIES, true);
      return (caps & XEN_SYSCTL_PHYSCAP_directio) !== 0;
    },
    irqPermission(domid, irq, allow) {
      check(
        s.xc_domain_irq_permission(xch, domid, irq, allow),
        "xc_domain_irq_permission",
        `${allow ? "giving" : "taking"} domain ${domid} access to irq ${irq}`,
      );
    },
    bindPtSpiIrq(domid, irq) {
      check(
        s.xc_domain_bind_pt_spi_irq(xch, domid, irq, irq),
        "xc_domain_bind_pt_spi_irq",
        `routing irq ${irq} to domain ${domid}`,
      );
    },
    iomemPermission(domid, mfn, count, allow) {
      check(
        s.xc_domain_iomem_permission(xch, domid, mfn, count, allow ? 1 : 0),
        "xc_domain_iomem_permission",
        `giving domain ${domid} access to iomem range ${hex(mfn)}-${hex(mfn + count - 1n)}`,
      );
    },
    memoryMapping(domid, gfn, mfn, count) {
      check(
        s.xc_domain_memory_mapping(xch, domid, gfn, mfn, count, DPCI_ADD_MAPPING),
        "xc_domain_memory_mapping",
        `mapping iomem range ${hex(mfn)}-${hex(mfn + count - 1n)} to guest address ${
          hex(gfn)
        } of domain ${domid}`,
      );
    },
    assignDtDevice(domid, path) {
      const bytes = new TextEncoder().encode(`${path}\0`);
      check(
        s.xc_assign_dt_device(xch, domid, bytes),
        "xc_assign_dt_device",
        `assigning device "${path}" to domain ${domid}`,
      );
    },
    close() {
      s.xc_interface_close(xch);
      lib.close();
    },
  };
}
