/**
 * The client's transaction script: xenstore operations planned ahead (what libxl issues
 * inside one transaction, spec §2.5), issued one by one into a transaction, and the nodes
 * such a script leaves behind. The device layer and domain creation both plan with it.
 *
 * @module
 */
import type { XenstoreOps } from "./node_ops.ts";
import type { XsPermission } from "./permissions.ts";

/**
 * One xenstore operation of a planned transaction, in the order libxl issues it (a device
 * add, `libxl__device_generic_add`, spec §2.5; or a new domain's directories).
 */
export type XenstoreOp =
  | { op: "rm"; path: string }
  | { op: "mkdir"; path: string }
  | { op: "setPerms"; path: string; perms: XsPermission[] }
  | { op: "write"; path: string; value: string };

/**
 * A node as it stands after a planned transaction: its value and the permissions it ends up
 * with (set explicitly, or inherited from its parent as xenstored does for new nodes).
 */
export interface XenstoreWrite {
  /** Absolute path. */
  path: string;
  /** The value (`""` for a directory made with mkdir). */
  value: string;
  /** Effective permissions after the transaction. */
  perms: XsPermission[];
}

/** Issues one planned operation in `tx`; `rm` of an absent node is not an error (libxl ignores it). */
export async function applyXenstoreOp(tx: XenstoreOps, op: XenstoreOp): Promise<void> {
  switch (op.op) {
    case "rm":
      return await tx.tryRm(op.path);
    case "mkdir":
      return await tx.mkdir(op.path);
    case "setPerms":
      return await tx.setPermissions(op.path, op.perms);
    case "write":
      return await tx.write(op.path, op.value);
  }
}

/**
 * The nodes `ops` leave behind, in the order they were first written, each with its final
 * value and permissions. New nodes inherit their parent's permissions as xenstored does;
 * a node whose parent the plan did not create gets `inherited(path)` — for libxl's private
 * directory that is `n0` (xl creates `/libxl/<domid>` owned by dom0, no access for others).
 */
export function nodesAfter(
  ops: readonly XenstoreOp[],
  inherited: (path: string) => XsPermission[] = () => [{ domid: 0, access: "n" }],
): XenstoreWrite[] {
  const nodes = new Map<string, { value: string; perms: XsPermission[]; explicit: boolean }>();
  const parentPerms = (path: string): XsPermission[] => {
    for (let p = path; p.lastIndexOf("/") > 0;) {
      p = p.slice(0, p.lastIndexOf("/"));
      const node = nodes.get(p);
      if (node) return node.perms;
    }
    return inherited(path);
  };
  const create = (path: string, value: string, explicit: boolean) => {
    const existing = nodes.get(path);
    if (existing) existing.value = value;
    else nodes.set(path, { value, perms: parentPerms(path), explicit });
  };
  for (const op of ops) {
    switch (op.op) {
      case "rm":
        for (const key of [...nodes.keys()]) {
          if (key === op.path || key.startsWith(`${op.path}/`)) nodes.delete(key);
        }
        break;
      case "mkdir":
        if (!nodes.has(op.path)) create(op.path, "", true);
        break;
      case "write":
        create(op.path, op.value, true);
        break;
      case "setPerms": {
        const node = nodes.get(op.path);
        if (node) node.perms = op.perms;
        else nodes.set(op.path, { value: "", perms: op.perms, explicit: true });
        break;
      }
    }
  }
  return [...nodes].filter(([, node]) => node.explicit).map(([path, node]) => ({
    path,
    value: node.value,
    perms: node.perms,
  }));
}
