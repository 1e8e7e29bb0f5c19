/**
 * Assertions in the shape of `@std/assert`, on top of `node:assert/strict` (JSR is
 * unreachable here). Swapping back is one line: `export * from "@std/assert";`
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Fails unless `condition` is truthy. */
export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Fails unless `actual` deep-equals `expected`. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails if `actual` deep-equals `expected`. */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Fails unless `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, message?: string): void {
  nodeAssert.match(actual, expected, message);
}

/** Fails unless `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

/** Fails unless `fn` throws an error of `ErrorClass` whose message includes `msgIncludes`. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => E,
  msgIncludes?: string,
): E {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) nodeAssert.fail("expected the function to throw");
  if (ErrorClass) {
    nodeAssert.ok(caught instanceof ErrorClass, `expected ${ErrorClass.name}, got ${caught}`);
  }
  if (msgIncludes !== undefined) assertStringIncludes((caught as Error).message, msgIncludes);
  return caught as E;
}

/** Fails unless the promise returned by `fn` rejects with `ErrorClass` and `msgIncludes`. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => E,
  msgIncludes?: string,
): Promise<E> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) nodeAssert.fail("expected the promise to reject");
  if (ErrorClass) {
    nodeAssert.ok(caught instanceof ErrorClass, `expected ${ErrorClass.name}, got ${caught}`);
  }
  if (msgIncludes !== undefined) assertStringIncludes((caught as Error).message, msgIncludes);
  return caught as E;
}
