/**
 * The flattened device tree format's constants, named as libfdt's `fdt.h` and `libfdt.h`
 * name them (Devicetree Specification §5): the header magic, the structure-block tags and
 * the versions libfdt writes and reads.
 *
 * @module
 */

/** `FDT_MAGIC`: the first word of every blob. */
export const FDT_MAGIC = 0xd00dfeed;
/** `FDT_SW_MAGIC` (libfdt_internal.h): the magic of a tree still being written (`~FDT_MAGIC`). */
export const FDT_SW_MAGIC = ~FDT_MAGIC >>> 0;
/** `FDT_BEGIN_NODE`: start of a node, followed by its name. */
export const FDT_BEGIN_NODE = 1;
/** `FDT_END_NODE`: end of a node. */
export const FDT_END_NODE = 2;
/** `FDT_PROP`: a property (length, name offset, value). */
export const FDT_PROP = 3;
/** `FDT_NOP`: a no-op (what `fdt_nop_node` leaves behind). */
export const FDT_NOP = 4;
/** `FDT_END`: end of the structure block. */
export const FDT_END = 9;
/** `FDT_LAST_COMPATIBLE_VERSION`: what `fdt_finish` writes as `last_comp_version`. */
export const FDT_LAST_COMPATIBLE_VERSION = 0x10;
/** `FDT_LAST_SUPPORTED_VERSION`: the version libfdt writes (17). */
export const FDT_LAST_SUPPORTED_VERSION = 0x11;
/** C's `INT_MAX`, the bound libfdt puts on offsets and sizes. */
export const INT_MAX = 0x7fff_ffff;
