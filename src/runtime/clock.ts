// The one place that reads the wall clock. Everything else takes a Clock (or a
// `nowMs`) so that planning, DST and clock jumps are testable at fixed instants.
export interface Clock {
  /** Wall-clock time as UTC epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
