/**
 * Constants from Xen's public Arm headers, named as Xen names them:
 * `xen/include/public/arch-arm.h` (guest memory map, interrupts, PSCI) and
 * `xen/include/public/device_tree_defs.h` (phandles, root cells, IRQ type flags).
 * Spec §3.1 (memory map), §3.2 (interrupts, phandles, PSCI), §3.4 (virtio-mmio window).
 *
 * Addresses and sizes are `bigint` (Xen's `xen_mk_ullong`); counts, INTIDs, phandles and
 * flags are `number`.
 *
 * @module
 */

// ---- Guest physical address map (arch-arm.h; spec §3.1) ----

/** Base of the virtio-mmio window (Xen 4.17+). */
export const GUEST_VIRTIO_MMIO_BASE = 0x0200_0000n;
/** Size of the virtio-mmio window: 1 MiB. */
export const GUEST_VIRTIO_MMIO_SIZE = 0x0010_0000n;

/** GICv2 distributor base. */
export const GUEST_GICD_BASE = 0x0300_1000n;
/** GICv2 distributor size. */
export const GUEST_GICD_SIZE = 0x0000_1000n;
/** GICv2 CPU interface base. */
export const GUEST_GICC_BASE = 0x0300_2000n;
/** GICv2 CPU interface size. */
export const GUEST_GICC_SIZE = 0x0000_2000n;

/** GICv3 distributor base (overlaps the GICv2 map; only one is used). */
export const GUEST_GICV3_GICD_BASE = 0x0300_1000n;
/** GICv3 distributor size. */
export const GUEST_GICV3_GICD_SIZE = 0x0001_0000n;
/** Number of GICv3 redistributor regions. */
export const GUEST_GICV3_RDIST_REGIONS = 1;
/** GICv3 redistributor region 0 base (vCPU 0..127). */
export const GUEST_GICV3_GICR0_BASE = 0x0302_0000n;
/** GICv3 redistributor region 0 size: 16 MiB. */
export const GUEST_GICV3_GICR0_SIZE = 0x0100_0000n;

/** vPCI ECAM base. */
export const GUEST_VPCI_ECAM_BASE = 0x1000_0000n;
/** vPCI ECAM size: 256 MiB (256 buses × 32 devices × 8 functions × 4 KiB). */
export const GUEST_VPCI_ECAM_SIZE = 0x1000_0000n;

/** ACPI tables base. */
export const GUEST_ACPI_BASE = 0x2000_0000n;
/** ACPI tables size. */
export const GUEST_ACPI_SIZE = 0x0200_0000n;

/** vpl011 (SBSA UART) base. */
export const GUEST_PL011_BASE = 0x2200_0000n;
/** vpl011 (SBSA UART) size. */
export const GUEST_PL011_SIZE = 0x0000_1000n;

/** PCI `ranges` flag word for 32-bit non-prefetchable MMIO. */
export const GUEST_VPCI_ADDR_TYPE_MEM = 0x0200_0000;
/** vPCI MMIO window base. */
export const GUEST_VPCI_MEM_ADDR = 0x2300_0000n;
/** vPCI MMIO window size. */
export const GUEST_VPCI_MEM_SIZE = 0x1000_0000n;

/** Grant-table mapping area base (`/hypervisor` reg[0]). */
export const GUEST_GNTTAB_BASE = 0x3800_0000n;
/** Grant-table mapping area size: 16 MiB. */
export const GUEST_GNTTAB_SIZE = 0x0100_0000n;

/** Magic pages base (console, xenstore, monitor, vuart rings; spec §3.3). */
export const GUEST_MAGIC_BASE = 0x3900_0000n;
/** Magic pages area size. */
export const GUEST_MAGIC_SIZE = 0x0100_0000n;

/** Number of guest RAM banks. */
export const GUEST_RAM_BANKS = 2;
/** Low RAM bank base: 1 GiB. */
export const GUEST_RAM0_BASE = 0x4000_0000n;
/** Low RAM bank size: 3 GiB. */
export const GUEST_RAM0_SIZE = 0xc000_0000n;

/** PCI `ranges` flag word for 64-bit prefetchable MMIO (Xen 4.19+). */
export const GUEST_VPCI_ADDR_TYPE_PREFETCH_MEM = 0x4300_0000;
/** The same flag word as Xen 4.17/4.18 wrote it (before commit 232ee07c23). */
export const GUEST_VPCI_ADDR_TYPE_PREFETCH_MEM_4_17 = 0x4200_0000;
/** vPCI prefetchable window base. */
export const GUEST_VPCI_PREFETCH_MEM_ADDR = 0x1_0000_0000n;
/** vPCI prefetchable window size: 4 GiB. */
export const GUEST_VPCI_PREFETCH_MEM_SIZE = 0x1_0000_0000n;

/** High RAM bank base: 8 GiB. */
export const GUEST_RAM1_BASE = 0x2_0000_0000n;
/** High RAM bank size: 1016 GiB. */
export const GUEST_RAM1_SIZE = 0xfe_0000_0000n;

/** Guest RAM base (= bank 0). */
export const GUEST_RAM_BASE: bigint = GUEST_RAM0_BASE;
/** Largest guest RAM (both banks). */
export const GUEST_RAM_MAX: bigint = GUEST_RAM0_SIZE + GUEST_RAM1_SIZE;
/** RAM bank bases, in bank order (`GUEST_RAM_BANK_BASES`). */
export const GUEST_RAM_BANK_BASES: readonly bigint[] = [GUEST_RAM0_BASE, GUEST_RAM1_BASE];
/** RAM bank sizes, in bank order (`GUEST_RAM_BANK_SIZES`). */
export const GUEST_RAM_BANK_SIZES: readonly bigint[] = [GUEST_RAM0_SIZE, GUEST_RAM1_SIZE];

/** Most vCPUs an Arm guest can have. */
export const GUEST_MAX_VCPUS = 128;

// ---- Interrupts, as GIC INTIDs (arch-arm.h; spec §3.2) ----

/** Virtual timer PPI (DT PPI index 11). */
export const GUEST_TIMER_VIRT_PPI = 27;
/** Secure physical timer PPI (DT PPI index 13). */
export const GUEST_TIMER_PHYS_S_PPI = 29;
/** Non-secure physical timer PPI (DT PPI index 14). */
export const GUEST_TIMER_PHYS_NS_PPI = 30;
/** Event-channel upcall PPI (DT PPI index 15). */
export const GUEST_EVTCHN_PPI = 31;
/** vpl011 SPI (SPI 0). */
export const GUEST_VPL011_SPI = 32;
/** First virtio-mmio SPI (SPI 1; Xen 4.17+). */
export const GUEST_VIRTIO_MMIO_SPI_FIRST = 33;
/** Last virtio-mmio SPI, inclusive (SPI 11): 11 virtio-mmio IRQs in all. */
export const GUEST_VIRTIO_MMIO_SPI_LAST = 43;
/** FF-A notification-pending SGI (Xen 4.19+). */
export const GUEST_FFA_NOTIF_PEND_INTR_ID = 8;
/** FF-A schedule-receiver SGI (Xen 4.19+). */
export const GUEST_FFA_SCHEDULE_RECV_INTR_ID = 9;

// ---- PSCI function numbers (arch-arm.h; spec §3.2) ----

/** PSCI 0.1 `cpu_suspend` function number. */
export const PSCI_cpu_suspend = 0;
/** PSCI 0.1 `cpu_off` function number. */
export const PSCI_cpu_off = 1;
/** PSCI 0.1 `cpu_on` function number. */
export const PSCI_cpu_on = 2;
/** PSCI 0.1 `migrate` function number. */
export const PSCI_migrate = 3;

// ---- device_tree_defs.h (spec §3.2) ----

/** Phandle of the guest GIC: 65000 (0xfde8). */
export const GUEST_PHANDLE_GIC = 65000;
/** Phandle of the `xen,grant-dma` IOMMU node: 65001 (0xfde9; Xen 4.17+). */
export const GUEST_PHANDLE_IOMMU = 65001;
/** Root `#address-cells`. */
export const GUEST_ROOT_ADDRESS_CELLS = 2;
/** Root `#size-cells`. */
export const GUEST_ROOT_SIZE_CELLS = 2;

/** DT IRQ type: none. */
export const DT_IRQ_TYPE_NONE = 0x0;
/** DT IRQ type: rising edge. */
export const DT_IRQ_TYPE_EDGE_RISING = 0x1;
/** DT IRQ type: falling edge. */
export const DT_IRQ_TYPE_EDGE_FALLING = 0x2;
/** DT IRQ type: both edges. */
export const DT_IRQ_TYPE_EDGE_BOTH = DT_IRQ_TYPE_EDGE_FALLING | DT_IRQ_TYPE_EDGE_RISING;
/** DT IRQ type: level high. */
export const DT_IRQ_TYPE_LEVEL_HIGH = 0x4;
/** DT IRQ type: level low. */
export const DT_IRQ_TYPE_LEVEL_LOW = 0x8;
/** DT IRQ type: mask of the level bits. */
export const DT_IRQ_TYPE_LEVEL_MASK = DT_IRQ_TYPE_LEVEL_LOW | DT_IRQ_TYPE_LEVEL_HIGH;
/** DT IRQ type: mask of all sense bits. */
export const DT_IRQ_TYPE_SENSE_MASK = 0x0000000f;
/** DT IRQ type: invalid. */
export const DT_IRQ_TYPE_INVALID = 0x00000010;

// ---- libxl_arm.c (spec §3.4) ----

/** Per-device virtio-mmio window: 0x200 ("biggest known" register + config size). */
export const VIRTIO_MMIO_DEV_SIZE = 0x200n;
