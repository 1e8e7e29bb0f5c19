/**
 * What the query and tuning commands talk to: the lifecycle session (libxenctrl and
 * xenstore) plus the host-control calls (`xc_physinfo`, `xc_vcpu_*`, ...), opened together.
 *
 * @module
 */
import { type HostControl, openHostControl } from "../xen/host_control.ts";
import { withXenSession, type XenSession } from "./xen_session.ts";

/** A lifecycle session plus the host-control handle. */
export interface QuerySession extends XenSession {
  /** The query and tuning calls. */
  hc: HostControl;
}

/** Runs `fn` with an open session and host-control handle, closing both afterwards. */
export async function withQuerySession<T>(fn: (s: QuerySession) => Promise<T>): Promise<T> {
  return await withXenSession(async (session) => {
    const hc = openHostControl();
    try {
      return await fn({ ...session, hc });
    } finally {
      hc.close();
    }
  });
}
