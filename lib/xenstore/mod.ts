/**
 * xlite's xenstore client, from the bottom up: the wire protocol (`wire.ts`), the byte
 * stream to the daemon (`transport.ts`, chosen by `open_transport.ts`), one connection
 * (`connection.ts`), watches (`watch_queue.ts`), node operations (`node_ops.ts`),
 * transactions (`transaction.ts`) and the client (`client.ts`); above them, the transaction
 * script other layers plan with (`xenstore_op.ts`), permissions, value sanitising and the
 * xenbus states.
 *
 * @module
 */
export { openXenstore, xenstoreOverTransport } from "./client.ts";
export type { XenstoreClient, XenstoreOptions } from "./client.ts";
export type { ConnectionFailure, WatchEvent } from "./connection.ts";
export type { XliteError } from "../errors.ts";
export { describeErrno, isXenstoreErrno, XenstoreError } from "./errors.ts";
export type { XenstoreErrorKind, XenstoreErrorOptions } from "./errors.ts";
export type { XenstoreOps } from "./node_ops.ts";
export { openTransport, XENBUS_DEVICE, XENSTORED_SOCKET } from "./open_transport.ts";
export type { TransportOptions } from "./open_transport.ts";
export { formatPermission, parsePermission } from "./permissions.ts";
export type { XsAccess, XsPermission } from "./permissions.ts";
export { sanitiseValue, unsanitiseValue } from "./sanitise.ts";
export type {
  TransactionOptions,
  XenstoreTransaction,
  XenstoreTransactionHandle,
} from "./transaction.ts";
export { resourceTransport } from "./transport.ts";
export type { TransportResource, XenstoreTransport } from "./transport.ts";
export { openUnixTransport } from "./transport_unix.ts";
export { openXenbusTransport } from "./transport_xenbus.ts";
export type { XenstoreWatch } from "./watch_queue.ts";
export * from "./wire.ts";
export * from "./xenbus_state.ts";
export { applyXenstoreOp, nodesAfter } from "./xenstore_op.ts";
export type { XenstoreOp, XenstoreWrite } from "./xenstore_op.ts";
