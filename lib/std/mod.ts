/**
 * Small standard helpers xlite needs and Deno's standard library would otherwise supply
 * (command-line argument parsing, SHA-256 as hex).
 *
 * @module
 */
export * from "./cli.ts";
export * from "./sha256.ts";
