/**
 * Small standard helpers xlite needs and Deno's standard library would otherwise supply
 * (command-line argument parsing).
 *
 * @module
 */
export * from "./cli.ts";
