// The slots of one schedule in a closed range, for `cronkeeper backfill` and
// `cronkeeper next`: the same calculator the scheduler uses, so a backfilled
// slot is exactly the slot the schedule would have claimed.
import type { SlotCalculator } from '../schedule/slot-calculator.js';

/** More slots than this in one backfill is almost surely a mistake (a per-second job over a year). */
export const MAX_BACKFILL_SLOTS = 100_000;

export class TooManySlotsError extends Error {
  constructor(readonly limit: number) {
    super(`the range holds more than ${limit} slots; backfill a shorter range at a time`);
    this.name = 'TooManySlotsError';
  }
}

/** The slots in [fromMs, toMs], oldest first. Throws TooManySlotsError past `limit`. */
export function slotsInRange(
  slots: SlotCalculator,
  fromMs: number,
  toMs: number,
  limit = MAX_BACKFILL_SLOTS,
): number[] {
  const out: number[] = [];
  for (let t = slots.next(fromMs - 1); t !== undefined && t <= toMs; t = slots.next(t)) {
    if (out.length === limit) throw new TooManySlotsError(limit);
    out.push(t);
  }
  return out;
}

/** The next `n` slots strictly after `afterMs` (fewer when the schedule ends). */
export function nextSlots(slots: SlotCalculator, afterMs: number, n: number): number[] {
  const out: number[] = [];
  for (let t = slots.next(afterMs); t !== undefined && out.length < n; t = slots.next(t)) out.push(t);
  return out;
}
