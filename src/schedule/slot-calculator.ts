// The slots of one schedule as plain numbers: UTC epoch milliseconds.
//
// Cost matters at scale (100,000 jobs, 10,000 firing every second): a croner
// step costs ~5 µs in UTC but ~60 µs in another zone. So
// - jobs with the same (pattern, zone) share one calculator, which remembers
//   its last next() and newest() answers: 10,000 jobs firing on the same
//   pattern cost one croner step per second, not 10,000;
// - the common patterns are matched by compact-cron.ts (no croner instance:
//   100,000 distinct patterns cannot afford ~60 µs and ~80 KB to build each);
// - a zoned pattern is computed on the zone's wall clock in UTC arithmetic
//   and shifted by the zone's offset, whenever the offset is the same from 3
//   hours before to 3 hours after a span under a week (so no DST transition
//   lies in it or near enough to make one of its wall times skipped or
//   repeated: transitions are months apart and shift by at most 2 hours); any
//   other span asks croner's zoned arithmetic, which owns the DST rules.
import type { ScheduleSpec } from '../config/types.js';
import { compactNext, compactPrevious, parseCompactPattern } from './compact-cron.js';
import { getCron } from './cron-calculator.js';
import { zoneOffsetMs } from './zone-offset.js';

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

const MAX_SHARED = 200_000;
const shared = new Map<string, SlotCalculator>();

export function createSlotCalculator(spec: ScheduleSpec): SlotCalculator {
  if (spec.kind === 'every') return everyCalculator(spec.everyMs, spec.offsetMs);
  const key = `${spec.timezone}\u0000${spec.pattern}`;
  let calc = shared.get(key);
  if (!calc) {
    calc = cronCalculator(spec.pattern, spec.timezone);
    if (shared.size >= MAX_SHARED) shared.clear();
    shared.set(key, calc);
  }
  return calc;
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

const WEEK_MS = 7 * 86_400_000;
const MARGIN_MS = 3 * 3_600_000;

/** True when `zone` has offset `offsetMs` throughout [fromMs - 3h, toMs + 3h] (a span under a week). */
function steadyOffset(zone: string, offsetMs: number, fromMs: number, toMs: number): boolean {
  return (
    toMs - fromMs < WEEK_MS &&
    zoneOffsetMs(zone, fromMs - MARGIN_MS) === offsetMs &&
    zoneOffsetMs(zone, toMs + MARGIN_MS) === offsetMs
  );
}

function cronCalculator(pattern: string, timezone: string): SlotCalculator {
  const zoned = () => getCron(pattern, timezone);
  const shifted = timezone !== 'UTC';
  const compact = parseCompactPattern(pattern);

  /** The first match strictly after `afterMs` on a UTC wall clock, or undefined. */
  const wallNext = (afterMs: number): number | undefined => {
    const t = compact ? compactNext(compact, afterMs) : undefined;
    return t ?? getCron(pattern, 'UTC').nextRun(new Date(afterMs))?.getTime();
  };
  /** Up to `n` matches strictly before `beforeMs` on a UTC wall clock, newest first; may stop after one at or before `floorMs`. */
  const wallPrevious = (n: number, beforeMs: number, floorMs: number): number[] => {
    if (compact) {
      const out: number[] = [];
      for (let t = compactPrevious(compact, beforeMs); t !== undefined; t = compactPrevious(compact, t)) {
        out.push(t);
        if (out.length === n || t <= floorMs) return out;
      }
    }
    return getCron(pattern, 'UTC')
      .previousRuns(n, new Date(beforeMs))
      .map((d) => d.getTime());
  };
  const computeNext = (afterMs: number): number | undefined => {
    let t: number | undefined;
    if (!shifted) {
      t = wallNext(afterMs);
    } else {
      const offset = zoneOffsetMs(timezone, afterMs);
      const wall = wallNext(afterMs + offset);
      if (wall !== undefined && steadyOffset(timezone, offset, afterMs, wall - offset)) t = wall - offset;
      else t = zoned().nextRun(new Date(afterMs))?.getTime();
    }
    if (t === undefined) return undefined;
    // Guard against a calculator that does not move forward: a loop over
    // next() must always terminate.
    return t > afterMs ? t : undefined;
  };
  /** Up to `n` slots strictly before `beforeMs`, newest first; may stop after one at or before `floorMs`. */
  const previous = (n: number, beforeMs: number, floorMs: number): number[] => {
    if (!shifted) return wallPrevious(n, beforeMs, floorMs);
    const offset = zoneOffsetMs(timezone, beforeMs);
    const runs = wallPrevious(n, beforeMs + offset, floorMs + offset).map((t) => t - offset);
    const oldest = runs[runs.length - 1];
    if (oldest === undefined || steadyOffset(timezone, offset, oldest, beforeMs)) return runs;
    return zoned()
      .previousRuns(n, new Date(beforeMs))
      .map((d) => d.getTime());
  };
  let nextMemo: { afterMs: number; value: number | undefined } | undefined;
  const next = (afterMs: number): number | undefined => {
    if (nextMemo?.afterMs !== afterMs) nextMemo = { afterMs, value: computeNext(afterMs) };
    return nextMemo.value;
  };

  let newestMemo: { n: number; afterMs: number; atOrBeforeMs: number; value: number[] } | undefined;
  const computeNewest = (n: number, afterMs: number, atOrBeforeMs: number): number[] => {
    if (n <= 0 || atOrBeforeMs <= afterMs) return [];
    // croner's previousRuns is strictly before its reference; slots fall on whole seconds.
    const out: number[] = [];
    for (const t of previous(n, atOrBeforeMs + 1, afterMs)) {
      if (t <= afterMs || t > atOrBeforeMs) break;
      if (out.length > 0 && t >= out[out.length - 1]!) break; // must strictly decrease
      out.push(t);
    }
    return out;
  };
  return {
    next,
    newest(n, afterMs, atOrBeforeMs) {
      const m = newestMemo;
      if (m?.n !== n || m.afterMs !== afterMs || m.atOrBeforeMs !== atOrBeforeMs) {
        newestMemo = { n, afterMs, atOrBeforeMs, value: computeNewest(n, afterMs, atOrBeforeMs) };
      }
      return newestMemo!.value.slice();
    },
    count(afterMs, atOrBeforeMs, budget) {
      let count = 0;
      let last = afterMs;
      for (let s = computeNext(afterMs); s !== undefined && s <= atOrBeforeMs; s = computeNext(s)) {
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
