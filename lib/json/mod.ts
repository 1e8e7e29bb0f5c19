/**
 * JSON as libxl writes it (yajl's generator), for output that must match xl byte for byte.
 *
 * @module
 */
export * from "./yajl.ts";
