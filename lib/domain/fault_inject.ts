/**
 * The fake fault of `xlite create`'s tests: `XLITE_FAULT_INJECT_CREATE=<step>` makes one
 * named step throw, so the cleanup of a half-built domain can be tested on real Xen.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** The steps, in order, by the names `XLITE_FAULT_INJECT_CREATE` takes. */
export const CREATE_STEPS = [
  "domain_create",
  "max_vcpus",
  "setmaxmem",
  "paging_pool",
  "evtchn",
  "callback_irq",
  "address_size",
  "populate",
  "load",
  "magic_pages",
  "vuart",
  "vcpu_context",
  "gnttab",
  "xenstore",
  "introduce",
  "userdata",
  "devices",
  "unpause",
] as const;

/** One step's name. */
export type CreateStep = typeof CREATE_STEPS[number];

/** The environment variable of the fake fault (tests only). */
export const FAULT_INJECT_ENV = "XLITE_FAULT_INJECT_CREATE";

/** A fault injected with {@linkcode FAULT_INJECT_ENV}: not a real failure. */
export class FakeInjectedFault extends XliteError {
  /** The step that was made to fail. */
  readonly step: CreateStep;
  /** `step` failed because the environment asked for it. */
  constructor(step: CreateStep) {
    super(`fault injected at step ${step} (${FAULT_INJECT_ENV})`);
    this.name = "FakeInjectedFault";
    this.step = step;
  }
}

/** Throws {@linkcode FakeInjectedFault} when the environment names `step`. */
export function injectFault(step: CreateStep): void {
  if (Deno.env.get(FAULT_INJECT_ENV) === step) throw new FakeInjectedFault(step);
}
