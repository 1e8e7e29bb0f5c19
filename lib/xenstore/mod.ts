/**
 * xlite's xenstore client: wire protocol, transports, typed errors.
 *
 * @module
 */
export * from "./client.ts";
export * from "./errors.ts";
export * from "./permissions.ts";
export * from "./sanitise.ts";
export * from "./transport.ts";
export * from "./wire.ts";
export * from "./xenbus_state.ts";
