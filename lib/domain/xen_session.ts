/**
 * What the lifecycle commands talk to: the hypervisor (libxenctrl) and xenstore, opened
 * together. The hypervisor is opened first, so a host without Xen gets "no Xen hypervisor
 * here; use --dry-run" rather than a xenstore error.
 *
 * @module
 */
import { openXenCtrl, type XenCtrl } from "../xen/mod.ts";
import { openXenstore, type XenstoreClient } from "../xenstore/mod.ts";

/** An open hypervisor handle and xenstore connection. */
export interface XenSession {
  /** libxenctrl. */
  xc: XenCtrl;
  /** xenstore. */
  xs: XenstoreClient;
  /** Closes both. */
  close(): void;
}

/** Opens libxenctrl, then xenstore; throws `NoXenError` without Xen. */
export async function openXenSession(): Promise<XenSession> {
  const xc = openXenCtrl();
  let xs: XenstoreClient;
  try {
    xs = await openXenstore();
  } catch (error) {
    xc.close();
    throw error;
  }
  return {
    xc,
    xs,
    close() {
      xs.close();
      xc.close();
    },
  };
}

/** Runs `fn` with an open session and closes it afterwards. */
export async function withXenSession<T>(fn: (session: XenSession) => Promise<T>): Promise<T> {
  const session = await openXenSession();
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}
