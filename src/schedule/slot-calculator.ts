// The slots of one schedule as plain numbers: UTC epoch milliseconds.
//
// Cost matters at scale (100,000 jobs, 10,000 firing every second): a croner
// step in a zone other than UTC costs an order of magnitude more. So
// - jobs with the same (pattern, zone) share one calculator (SlotCalculators,
//   owned by the daemon), which remembers its last next() and newest()
//   answers: 10,000 jobs firing on the same pattern cost one croner step per
//   second, not 10,000;
// - the common patterns are matched by compact-cron.ts (no croner instance:
//   100,000 distinct patterns cannot afford a croner instance each);
// - a zoned pattern is computed on the zone's wall clock in UTC arithmetic
//   and shifted by the zone's offset, whenever the offset is the same from 3
//   hours before to 3 hours after a span under a week (so no DST transition
//   lies in it or near enough to make one of its wall times skipped or
//   repeated: transitions are months apart and shift by at most 2 hours); any
//   other span asks croner's zoned arithmetic, which owns the DST rules.
import type { ScheduleSpec } from '../config/types.js';
import { type CompactPattern, compactNext, compactPrevious, parseCompactPattern } from './compact-cron.js';
import { CronInstances } from './cron-calculator.js';
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

/**
 * The calculators of one daemon (or one command): jobs with the same
 * (pattern, zone) share one, built once. Owned by whoever asks for slots and
 * passed to its parts; nothing is shared through module state.
 */
export class SlotCalculators {
  /** By zone, then pattern (the config's own strings as keys: no key built per job). */
  private readonly shared = new Map<string, Map<string, CronCalculator>>();
  private count = 0;
  private readonly memo = new TurnMemo();
  private readonly crons = new CronInstances();

  forSchedule(spec: ScheduleSpec): SlotCalculator {
    if (spec.kind === 'every') return new EveryCalculator(spec.everyMs, spec.offsetMs);
    return this.cron(spec.pattern, spec.timezone);
  }

  /** The calculator shared by every job with this (pattern, timezone). */
  cron(pattern: string, timezone: string): CronCalculator {
    let byPattern = this.shared.get(timezone);
    if (!byPattern) this.shared.set(timezone, (byPattern = new Map()));
    let calc = byPattern.get(pattern);
    if (!calc) {
      if (this.count >= MAX_SHARED) {
        for (const m of this.shared.values()) m.clear();
        this.count = 0;
      }
      calc = new CronCalculator(pattern, timezone, this.memo, this.crons);
      byPattern.set(pattern, calc);
      this.count++;
    }
    return calc;
  }
}

/** A calculator of its own, for a one-off question (a CLI command, a check): nothing shared. */
export function createSlotCalculator(spec: ScheduleSpec): SlotCalculator {
  return new SlotCalculators().forSchedule(spec);
}

/** A cron calculator of its own (see createSlotCalculator). */
export function cronSlots(pattern: string, timezone: string): CronCalculator {
  return new CronCalculator(pattern, timezone, new TurnMemo(), new CronInstances());
}

/** Fixed-rate slots: k * everyMs + offsetMs for every integer k. Pure arithmetic, any range in O(1). */
class EveryCalculator implements SlotCalculator {
  constructor(
    private readonly everyMs: number,
    private readonly offsetMs: number,
  ) {}

  /** Index of the last grid point at or before t. */
  private floorIndex(t: number): number {
    return Math.floor((t - this.offsetMs) / this.everyMs);
  }

  next(afterMs: number): number {
    return (this.floorIndex(afterMs) + 1) * this.everyMs + this.offsetMs;
  }

  newest(n: number, afterMs: number, atOrBeforeMs: number): number[] {
    const out: number[] = [];
    for (let k = this.floorIndex(atOrBeforeMs); out.length < n; k--) {
      const slot = k * this.everyMs + this.offsetMs;
      if (slot <= afterMs) break;
      out.push(slot);
    }
    return out;
  }

  count(afterMs: number, atOrBeforeMs: number): { count: number; exact: boolean } {
    const count = Math.max(0, this.floorIndex(atOrBeforeMs) - this.floorIndex(afterMs));
    return { count, exact: true };
  }
}

// Answers are remembered for one turn of the event loop: long enough for the
// jobs sharing a calculator to ask in turn (a planning pass, the slots due at
// one instant), short enough that they do not stay: kept for good, they were
// a large share of the heap with 100,000 distinct patterns.
class TurnMemo {
  private readonly remembering: CronCalculator[] = [];

  /** Lists `calc`, which is about to remember an answer, to forget it after this turn. */
  add(calc: CronCalculator): void {
    if (this.remembering.length === 0) setImmediate(() => this.forgetAll());
    this.remembering.push(calc);
  }

  private forgetAll(): void {
    for (const calc of this.remembering) calc.forgetAnswers();
    this.remembering.length = 0;
  }
}

interface CountAnswer {
  afterMs: number;
  atOrBeforeMs: number;
  budget: number;
  count: number;
  exact: boolean;
}

interface NewestAnswer {
  n: number;
  afterMs: number;
  atOrBeforeMs: number;
  value: number[];
}

function answers(a: NewestAnswer | undefined, n: number, afterMs: number, atOrBeforeMs: number): boolean {
  return a !== undefined && a.n === n && a.afterMs === afterMs && a.atOrBeforeMs === atOrBeforeMs;
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

/**
 * A cron pattern in a zone. A class, fields only: 100,000 distinct patterns
 * each hold one, and a bundle of closures cost several times the memory.
 */
export class CronCalculator implements SlotCalculator {
  /** The compact form of the pattern, or undefined when croner must compute it. */
  readonly compact: CompactPattern | undefined;
  private readonly shifted: boolean;
  // The last answers: jobs sharing the calculator ask the same questions in turn. The planner
  // asks newest() twice per job (its runs, then the end of what it leaves out): two are kept.
  // The newest()/count() answers last one turn of the event loop (see TurnMemo).
  private nextAfterMs = NaN;
  private nextValue: number | undefined;
  // Two newest() answers, each in a field: a list per calculator of answers (and the
  // copies handed out) came to tens of megabytes of garbage for 100,000 distinct patterns.
  private newestA: NewestAnswer | undefined;
  private newestB: NewestAnswer | undefined;
  private countMemo: CountAnswer | undefined;

  constructor(
    readonly pattern: string,
    readonly timezone: string,
    private readonly memo: TurnMemo,
    private readonly crons: CronInstances,
  ) {
    this.compact = parseCompactPattern(pattern);
    this.shifted = timezone !== 'UTC';
  }

  next(afterMs: number): number | undefined {
    if (this.nextAfterMs !== afterMs) {
      this.nextValue = this.computeNext(afterMs);
      this.nextAfterMs = afterMs;
    }
    return this.nextValue;
  }

  newest(n: number, afterMs: number, atOrBeforeMs: number): number[] {
    let hit = answers(this.newestA, n, afterMs, atOrBeforeMs)
      ? this.newestA
      : answers(this.newestB, n, afterMs, atOrBeforeMs)
        ? this.newestB
        : undefined;
    if (!hit) {
      if (!this.newestA && !this.countMemo) this.memo.add(this);
      hit = { n, afterMs, atOrBeforeMs, value: this.computeNewest(n, afterMs, atOrBeforeMs) };
      this.newestB = this.newestA;
      this.newestA = hit;
    }
    // An empty answer (the usual one) is not copied: there is nothing in it to change.
    return hit.value.length === 0 ? [] : hit.value.slice();
  }

  count(afterMs: number, atOrBeforeMs: number, budget: number): { count: number; exact: boolean } {
    const m = this.countMemo;
    if (m?.afterMs !== afterMs || m.atOrBeforeMs !== atOrBeforeMs || m.budget !== budget) {
      if (!this.newestA && !m) this.memo.add(this);
      this.countMemo = { afterMs, atOrBeforeMs, budget, ...this.computeCount(afterMs, atOrBeforeMs, budget) };
    }
    const { count, exact } = this.countMemo!;
    return { count, exact };
  }

  private computeCount(
    afterMs: number,
    atOrBeforeMs: number,
    budget: number,
  ): { count: number; exact: boolean } {
    let count = 0;
    let last = afterMs;
    for (let s = this.computeNext(afterMs); s !== undefined && s <= atOrBeforeMs; s = this.computeNext(s)) {
      if (count === budget) {
        const estimate = Math.round((count * (atOrBeforeMs - afterMs)) / (last - afterMs));
        return { count: Math.max(count + 1, estimate), exact: false };
      }
      count++;
      last = s;
    }
    return { count, exact: true };
  }

  /** Drops the remembered newest()/count() answers. */
  forgetAnswers(): void {
    this.newestA = undefined;
    this.newestB = undefined;
    this.countMemo = undefined;
  }

  /** The first match strictly after `afterMs` on a UTC wall clock, or undefined. */
  private wallNext(afterMs: number): number | undefined {
    const t = this.compact ? compactNext(this.compact, afterMs) : undefined;
    return t ?? this.crons.get(this.pattern, 'UTC').nextRun(new Date(afterMs))?.getTime();
  }

  /** Up to `n` matches strictly before `beforeMs` on a UTC wall clock, newest first; may stop after one at or before `floorMs`. */
  private wallPrevious(n: number, beforeMs: number, floorMs: number): number[] {
    if (this.compact) {
      const out: number[] = [];
      for (
        let t = compactPrevious(this.compact, beforeMs);
        t !== undefined;
        t = compactPrevious(this.compact, t)
      ) {
        out.push(t);
        if (out.length === n || t <= floorMs) return out;
      }
    }
    return this.crons
      .get(this.pattern, 'UTC')
      .previousRuns(n, new Date(beforeMs))
      .map((d) => d.getTime());
  }

  private computeNext(afterMs: number): number | undefined {
    let t: number | undefined;
    if (!this.shifted) {
      t = this.wallNext(afterMs);
    } else {
      const zone = this.timezone;
      const offset = zoneOffsetMs(zone, afterMs);
      const wall = this.wallNext(afterMs + offset);
      if (wall !== undefined && steadyOffset(zone, offset, afterMs, wall - offset)) t = wall - offset;
      else t = this.crons.get(this.pattern, zone).nextRun(new Date(afterMs))?.getTime();
    }
    if (t === undefined) return undefined;
    // Guard against a calculator that does not move forward: a loop over
    // next() must always terminate.
    return t > afterMs ? t : undefined;
  }

  /** Up to `n` slots strictly before `beforeMs`, newest first; may stop after one at or before `floorMs`. */
  private previous(n: number, beforeMs: number, floorMs: number): number[] {
    if (!this.shifted) return this.wallPrevious(n, beforeMs, floorMs);
    const zone = this.timezone;
    const offset = zoneOffsetMs(zone, beforeMs);
    const runs = this.wallPrevious(n, beforeMs + offset, floorMs + offset).map((t) => t - offset);
    const oldest = runs[runs.length - 1];
    if (oldest === undefined || steadyOffset(zone, offset, oldest, beforeMs)) return runs;
    return this.crons
      .get(this.pattern, zone)
      .previousRuns(n, new Date(beforeMs))
      .map((d) => d.getTime());
  }

  private computeNewest(n: number, afterMs: number, atOrBeforeMs: number): number[] {
    if (n <= 0 || atOrBeforeMs <= afterMs) return [];
    // croner's previousRuns is strictly before its reference; slots fall on whole seconds.
    const out: number[] = [];
    for (const t of this.previous(n, atOrBeforeMs + 1, afterMs)) {
      if (t <= afterMs || t > atOrBeforeMs) break;
      if (out.length > 0 && t >= out[out.length - 1]!) break; // must strictly decrease
      out.push(t);
    }
    return out;
  }
}
