// The slots of one schedule as plain numbers: UTC epoch milliseconds.
import type { ScheduleSpec } from '../config/types.js';
import { getCron } from './cron-calculator.js';

export interface SlotCalculator {
  /** The first slot strictly after `afterMs`, or undefined when there is none. */
  next(afterMs: number): number | undefined;
  /** Up to `n` slots at or before `atOrBeforeMs` and strictly after `afterMs`, newest first. */
  newest(n: number, afterMs: number, atOrBeforeMs: number): number[];
  /**
   * How many slots lie in (afterMs, atOrBeforeMs]. At most `budget` slots are
   * enumerated; past that the count is extrapolated from the span they covered
   * and `exact` is false (a per-second job down for a week has 604,800 slots).
   */
  count(afterMs: number, atOrBeforeMs: number, budget: number): { count: number; exact: boolean };
}

export function createSlotCalculator(spec: ScheduleSpec): SlotCalculator {
  return spec.kind === 'every'
    ? everyCalculator(spec.everyMs, spec.offsetMs)
    : cronCalculator(spec.pattern, spec.timezone);
}

/** Fixed-rate slots: k * everyMs + offsetMs for every integer k. Pure arithmetic, any range in O(1). */
function everyCalculator(everyMs: number, offsetMs: number): SlotCalculator {
  // Index of the last grid point at or before t.
  const floorIndex = (t: number) => Math.floor((t - offsetMs) / everyMs);
  const at = (k: number) => k * everyMs + offsetMs;
  return {
    next: (afterMs) => at(floorIndex(afterMs) + 1),
    newest(n, afterMs, atOrBeforeMs) {
      const out: number[] = [];
      for (let k = floorIndex(atOrBeforeMs); out.length < n; k--) {
        const slot = at(k);
        if (slot <= afterMs) break;
        out.push(slot);
      }
      return out;
    },
    count(afterMs, atOrBeforeMs) {
      const count = Math.max(0, floorIndex(atOrBeforeMs) - floorIndex(afterMs));
      return { count, exact: true };
    },
  };
}

function cronCalculator(pattern: string, timezone: string): SlotCalculator {
  const cron = () => getCron(pattern, timezone);
  const next = (afterMs: number): number | undefined => {
    const d = cron().nextRun(new Date(afterMs));
    if (d === null) return undefined;
    const t = d.getTime();
    // Guard against a calculator that does not move forward: a loop over
    // next() must always terminate.
    return t > afterMs ? t : undefined;
  };
  return {
    next,
    newest(n, afterMs, atOrBeforeMs) {
      if (n <= 0 || atOrBeforeMs <= afterMs) return [];
      // croner's previousRuns is strictly before its reference; slots fall on whole seconds.
      const runs = cron().previousRuns(n, new Date(atOrBeforeMs + 1));
      const out: number[] = [];
      for (const d of runs) {
        const t = d.getTime();
        if (t <= afterMs || t > atOrBeforeMs) break;
        if (out.length > 0 && t >= out[out.length - 1]!) break; // must strictly decrease
        out.push(t);
      }
      return out;
    },
    count(afterMs, atOrBeforeMs, budget) {
      let count = 0;
      let last = afterMs;
      for (let s = next(afterMs); s !== undefined && s <= atOrBeforeMs; s = next(s)) {
        if (count === budget) {
          const estimate = Math.round((count * (atOrBeforeMs - afterMs)) / (last - afterMs));
          return { count: Math.max(count + 1, estimate), exact: false };
        }
        count++;
        last = s;
      }
      return { count, exact: true };
    },
  };
}
