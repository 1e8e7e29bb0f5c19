/**
 * Deno FFI bindings for building an Arm domain by hand, the calls libxl and libxenguest
 * make (spec §2.8, §3.3), in the host release's layout and libraries (4.17 … 4.20:
 * `xen_abi.ts`): libxenctrl (`xc_domain_create`, `xc_domain_max_vcpus`, `xc_domain_setmaxmem`, `xc_set_paging_mempool_size`, `XEN_DOMCTL_set_address_size`,
 * `xc_domain_populate_physmap_exact`, `xc_clear_domain_pages`, `xc_hvm_param_set/get`,
 * `xc_evtchn_alloc_unbound`, `xc_dom_vuart_init`, `xc_vcpu_setcontext`), libxenguest
 * (`xc_dom_gnttab_seed`) and libxenforeignmemory (mapping guest memory).
 *
 * @example
 * ```ts
 * const b = openDomainBuilder();
 * try {
 *   const { domid } = b.createDomain(encodeCreateDomain(config, b.abi.createDomain));
 * } finally {
 *   b.close();
 * }
 * ```
 *
 * @module
 */
import { type CreatedDomainArch, decodeCreatedArch } from "./create_domain_config.ts";
import { XC_PAGE_SIZE } from "./domctl.ts";
import { errnoName, XenCallError } from "./errors.ts";
import { FOREIGNMEMORY_SONAMES, FOREIGNMEMORY_SYMBOLS } from "./foreign_memory.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";
import { openXcInterface, XC_INTERFACE_SYMBOLS } from "./xenctrl.ts";
import { hostXenAbi } from "./host_abi.ts";
import type { XenAbi } from "./xen_abi.ts";

/** `HVM_PARAM_CALLBACK_IRQ`. */
export const HVM_PARAM_CALLBACK_IRQ = 0;
/** `HVM_PARAM_STORE_PFN`. */
export const HVM_PARAM_STORE_PFN = 1;
/** `HVM_PARAM_STORE_EVTCHN`. */
export const HVM_PARAM_STORE_EVTCHN = 2;
/** `HVM_PARAM_CONSOLE_PFN`. */
export const HVM_PARAM_CONSOLE_PFN = 17;
/** `HVM_PARAM_CONSOLE_EVTCHN`. */
export const HVM_PARAM_CONSOLE_EVTCHN = 18;
/** `HVM_PARAM_MONITOR_RING_PFN`. */
export const HVM_PARAM_MONITOR_RING_PFN = 28;
/** `XEN_DOMCTL_set_address_size`. */
export const XEN_DOMCTL_set_address_size = 35;
/** `sizeof(struct xen_domctl)` (144 in 4.17 … 4.20). */
export const XEN_DOMCTL_SIZE = 144;
/** `XEN_DOMCTL_VUART_TYPE_VPL011`. */
export const XEN_DOMCTL_VUART_TYPE_VPL011 = 0;

const XC = {
  ...XC_INTERFACE_SYMBOLS,
  xc_domain_create: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  xc_domain_max_vcpus: { parameters: ["pointer", "u32", "u32"], result: "i32" },
  xc_domain_setmaxmem: { parameters: ["pointer", "u32", "u64"], result: "i32" },
  xc_set_paging_mempool_size: { parameters: ["pointer", "u32", "u64"], result: "i32" },
  xc_domctl: { parameters: ["pointer", "buffer"], result: "i32" },
  xc_domain_populate_physmap_exact: {
    parameters: ["pointer", "u32", "usize", "u32", "u32", "buffer"],
    result: "i32",
  },
  xc_clear_domain_pages: { parameters: ["pointer", "u32", "usize", "i32"], result: "i32" },
  xc_hvm_param_set: { parameters: ["pointer", "u32", "u32", "u64"], result: "i32" },
  xc_hvm_param_get: { parameters: ["pointer", "u32", "u32", "buffer"], result: "i32" },
  xc_evtchn_alloc_unbound: { parameters: ["pointer", "u32", "u32"], result: "i32" },
  xc_dom_vuart_init: {
    parameters: ["pointer", "u32", "u32", "u32", "u64", "buffer"],
    result: "i32",
  },
  xc_vcpu_setcontext: { parameters: ["pointer", "u32", "u32", "buffer"], result: "i32" },
  xc_domain_destroy: { parameters: ["pointer", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const XG = {
  xc_dom_gnttab_seed: {
    parameters: ["pointer", "u32", "bool", "u64", "u64", "u32", "u32"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

const PROT_READ_WRITE = 3;

/** The hypercalls of a domain build. Every method throws `XenCallError` on failure. */
export interface DomainBuilder {
  /** The host's release: its struct layouts and interface versions. */
  readonly abi: XenAbi;
  /** `xc_domain_create` with an encoded `xen_domctl_createdomain`; domid chosen by Xen. */
  createDomain(config: Uint8Array): { domid: number; arch: CreatedDomainArch };
  /** `xc_domain_max_vcpus`. */
  maxVcpus(domid: number, max: number): void;
  /** `xc_domain_setmaxmem` (KiB). */
  setMaxMem(domid: number, maxKb: number): void;
  /** `xc_set_paging_mempool_size` (bytes; the P2M pool). */
  setPagingMempoolSize(domid: number, bytes: number): void;
  /** `XEN_DOMCTL_set_address_size` (32 or 64; `set_mode` in libxenguest). */
  setAddressSize(domid: number, bits: 32 | 64): void;
  /** `xc_domain_populate_physmap_exact`: one extent of `2^order` pages per pfn. */
  populatePhysmapExact(domid: number, order: number, pfns: BigUint64Array): void;
  /** `xc_clear_domain_pages`. */
  clearPages(domid: number, pfn: bigint, count: number): void;
  /** `xc_hvm_param_set`. */
  hvmParamSet(domid: number, param: number, value: bigint): void;
  /** `xc_hvm_param_get`. */
  hvmParamGet(domid: number, param: number): bigint;
  /** `xc_evtchn_alloc_unbound`: a port of `domid` for `remote` to bind. */
  evtchnAllocUnbound(domid: number, remote: number): number;
  /** `xc_dom_vuart_init` (vpl011): the ring at `gfn`; returns the event channel. */
  vuartInit(domid: number, consoleDomid: number, gfn: bigint): number;
  /** `xc_vcpu_setcontext` with an encoded Arm `vcpu_guest_context`. */
  vcpuSetContext(domid: number, vcpu: number, context: Uint8Array): void;
  /** `xc_dom_gnttab_seed` (translated guest): grant entries 0/1 for console and xenstore. */
  gnttabSeed(
    domid: number,
    consoleGfn: bigint,
    xenstoreGfn: bigint,
    consoleDomid: number,
    xenstoreDomid: number,
  ): void;
  /**
   * Maps `length` bytes of guest memory from `gpa` (pages must be populated), hands the
   * mapping to `use`, and unmaps it afterwards.
   */
  mapGuestMemory<T>(
    domid: number,
    gpa: bigint,
    length: number,
    use: (target: Deno.PointerObject) => T,
  ): T;
  /** Copies `data` into guest memory at `gpa` (pages must be populated). */
  writeGuestMemory(domid: number, gpa: bigint, data: Uint8Array): void;
  /** `xc_domain_destroy`. */
  destroy(domid: number): void;
  /** Closes the handles and libraries. */
  close(): void;
}

/**
 * Opens libxenctrl, libxenguest and libxenforeignmemory of the host's release (`abi`);
 * `NoXenError` without Xen, `UnsupportedXenError` on a release xlite does not know.
 */
export function openDomainBuilder(abi?: XenAbi): DomainBuilder {
  requirePrivcmd();
  abi ??= hostXenAbi();
  const xc = openLibrary(abi.xenctrlSonames, XC);
  const opened: { close(): void }[] = [xc];
  const closeAll = () => opened.reverse().forEach((l) => l.close());
  let xg: Deno.DynamicLibrary<typeof XG>;
  let fm: Deno.DynamicLibrary<typeof FOREIGNMEMORY_SYMBOLS>;
  try {
    xg = openLibrary(abi.xenguestSonames, XG);
    opened.push(xg);
    fm = openLibrary(FOREIGNMEMORY_SONAMES, FOREIGNMEMORY_SYMBOLS);
    opened.push(fm);
  } catch (error) {
    closeAll();
    throw error;
  }
  const xch = openXcInterface(xc.symbols, closeAll);
  const fmem = fm.symbols.xenforeignmemory_open(null, 0);
  if (fmem === null) {
    const errno = errnoName(lastErrno());
    xc.symbols.xc_interface_close(xch);
    closeAll();
    throw new XenCallError("xenforeignmemory_open", "opening foreign memory", errno);
  }
  const check = (rc: number, call: string, what: string) => {
    if (rc < 0) throw new XenCallError(call, what, errnoName(lastErrno()));
  };
  const page = BigInt(XC_PAGE_SIZE);

  const mapGuestMemory: DomainBuilder["mapGuestMemory"] = (domid, gpa, length, use) => {
    if (gpa % page !== 0n) throw new RangeError("guest mappings start on a page boundary");
    // The whole range in one mapping, as libxenguest's xc_dom_seg_to_ptr maps a segment (in
    // the testbed, copying the 33 MB kernel this way took 0.5-0.66 s; in 4 MiB chunks,
    // 0.53-1.06 s).
    const pages = Math.ceil(length / XC_PAGE_SIZE);
    const first = gpa / page;
    const pfns = new BigUint64Array(pages);
    for (let i = 0; i < pages; i++) pfns[i] = first + BigInt(i);
    const errs = new Int32Array(pages);
    const what = `mapping ${pages} page(s) of domain ${domid} at 0x${gpa.toString(16)}`;
    const at = fm.symbols.xenforeignmemory_map(
      fmem,
      domid,
      PROT_READ_WRITE,
      BigInt(pages),
      pfns,
      errs,
    );
    if (at === null) {
      throw new XenCallError("xenforeignmemory_map", what, errnoName(lastErrno()));
    }
    try {
      const bad = errs.findIndex((e) => e !== 0);
      if (bad >= 0) {
        throw new XenCallError("xenforeignmemory_map", what, errnoName(Math.abs(errs[bad])));
      }
      return use(at);
    } finally {
      fm.symbols.xenforeignmemory_unmap(fmem, at, BigInt(pages));
    }
  };

  return {
    abi,
    createDomain(config) {
      const domid = new Uint32Array(1); // 0: let Xen pick (libxl's default)
      const buf = config.slice();
      check(
        xc.symbols.xc_domain_create(xch, domid, buf),
        "xc_domain_create",
        "creating the domain",
      );
      return { domid: domid[0], arch: decodeCreatedArch(buf, abi.createDomain) };
    },
    maxVcpus(domid, max) {
      check(
        xc.symbols.xc_domain_max_vcpus(xch, domid, max),
        "xc_domain_max_vcpus",
        `setting domain ${domid}'s maximum vCPUs to ${max}`,
      );
    },
    setMaxMem(domid, maxKb) {
      check(
        xc.symbols.xc_domain_setmaxmem(xch, domid, BigInt(maxKb)),
        "xc_domain_setmaxmem",
        `setting domain ${domid}'s maximum memory to ${maxKb} KiB`,
      );
    },
    setPagingMempoolSize(domid, bytes) {
      check(
        xc.symbols.xc_set_paging_mempool_size(xch, domid, BigInt(bytes)),
        "xc_set_paging_mempool_size",
        `setting domain ${domid}'s paging pool to ${bytes} bytes`,
      );
    },
    setAddressSize(domid, bits) {
      const d = new Uint8Array(XEN_DOMCTL_SIZE);
      const v = new DataView(d.buffer);
      v.setUint32(0, XEN_DOMCTL_set_address_size, true);
      v.setUint32(4, abi.domctlInterfaceVersion, true); // Xen refuses any other: EACCES
      v.setUint16(8, domid, true);
      v.setUint32(16, bits, true); // u.address_size.size
      check(
        xc.symbols.xc_domctl(xch, d),
        "xc_domctl(XEN_DOMCTL_set_address_size)",
        `setting domain ${domid}'s address size to ${bits}`,
      );
    },
    populatePhysmapExact(domid, order, pfns) {
      check(
        xc.symbols.xc_domain_populate_physmap_exact(
          xch,
          domid,
          BigInt(pfns.length),
          order,
          0,
          pfns,
        ),
        "xc_domain_populate_physmap_exact",
        `populating ${pfns.length} extent(s) of order ${order} at pfn 0x${
          pfns[0]?.toString(16)
        } in domain ${domid}`,
      );
    },
    clearPages(domid, pfn, count) {
      check(
        xc.symbols.xc_clear_domain_pages(xch, domid, pfn, count),
        "xc_clear_domain_pages",
        `clearing ${count} page(s) at pfn 0x${pfn.toString(16)} of domain ${domid}`,
      );
    },
    hvmParamSet(domid, param, value) {
      check(
        xc.symbols.xc_hvm_param_set(xch, domid, param, value),
        "xc_hvm_param_set",
        `setting HVM param ${param} of domain ${domid}`,
      );
    },
    hvmParamGet(domid, param) {
      const out = new BigUint64Array(1);
      check(
        xc.symbols.xc_hvm_param_get(xch, domid, param, out),
        "xc_hvm_param_get",
        `reading HVM param ${param} of domain ${domid}`,
      );
      return out[0];
    },
    evtchnAllocUnbound(domid, remote) {
      const port = xc.symbols.xc_evtchn_alloc_unbound(xch, domid, remote);
      check(port, "xc_evtchn_alloc_unbound", `allocating an event channel in domain ${domid}`);
      return port;
    },
    vuartInit(domid, consoleDomid, gfn) {
      const port = new Uint32Array(1);
      check(
        xc.symbols.xc_dom_vuart_init(
          xch,
          XEN_DOMCTL_VUART_TYPE_VPL011,
          domid,
          consoleDomid,
          gfn,
          port,
        ),
        "xc_dom_vuart_init",
        `setting up domain ${domid}'s vpl011 UART`,
      );
      return port[0];
    },
    vcpuSetContext(domid, vcpu, context) {
      check(
        xc.symbols.xc_vcpu_setcontext(xch, domid, vcpu, context.slice()),
        "xc_vcpu_setcontext",
        `setting vCPU ${vcpu} of domain ${domid}`,
      );
    },
    gnttabSeed(domid, consoleGfn, xenstoreGfn, consoleDomid, xenstoreDomid) {
      check(
        xg.symbols.xc_dom_gnttab_seed(
          xch,
          domid,
          true,
          consoleGfn,
          xenstoreGfn,
          consoleDomid,
          xenstoreDomid,
        ),
        "xc_dom_gnttab_seed",
        `seeding domain ${domid}'s grant table`,
      );
    },
    mapGuestMemory,
    writeGuestMemory(domid, gpa, data) {
      if (data.length === 0) return;
      mapGuestMemory(domid, gpa, data.length, (at) => {
        new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(at, data.length)).set(data);
      });
    },
    destroy(domid) {
      check(
        xc.symbols.xc_domain_destroy(xch, domid),
        "xc_domain_destroy",
        `destroying domain ${domid}`,
      );
    },
    close() {
      fm.symbols.xenforeignmemory_close(fmem);
      xc.symbols.xc_interface_close(xch);
      closeAll();
    },
  };
}
