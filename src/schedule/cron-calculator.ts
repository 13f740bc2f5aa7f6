// croner used purely as a date calculator: instances of their own, or shared
// by the calculators of one daemon (CronInstances).
//
// A croner 11 instance holds a table of 10,000 years; for a pattern whose
// year field is `*` that table is all ones, so every such instance is given
// one shared, frozen copy. croner only reads it.
import { Cron } from 'croner';

/** croner options shared by validation and scheduling, so both agree on every pattern. */
const CRON_OPTIONS = {
  paused: true,
  mode: '5-or-6-parts',
  // Vixie cron's rule: a job with no wildcard or step in its time fields is a
  // fixed-time job (runs once after a DST gap, once on a repeated hour).
  fixedTimeRule: 'no-wildcard',
} as const;

/** A croner instance for (pattern, timezone), of its own. Throws croner's error for a bad pattern or zone. */
export function newCron(pattern: string, timezone: string): Cron {
  const cron = new Cron(pattern, { ...CRON_OPTIONS, timezone });
  shareYearTable(cron);
  return cron;
}

/**
 * The croner instances of one set of calculators (SlotCalculators), shared by
 * every job with the same (pattern, zone), the last MAX_CACHED used kept: a
 * job needs its instance only while computing its next slot, never while it
 * waits for it.
 */
export class CronInstances {
  private readonly cache = new Map<string, Cron>();

  get(pattern: string, timezone: string): Cron {
    const key = `${timezone}\u0000${pattern}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Re-insert to mark as most recently used.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const cron = newCron(pattern, timezone);
    this.cache.set(key, cron);
    if (this.cache.size > MAX_CACHED) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return cron;
  }

  /** How many are kept (for tests). */
  get size(): number {
    return this.cache.size;
  }
}

const MAX_CACHED = 2048;

const ANY_YEAR: readonly number[] = Object.freeze(new Array<number>(10_000).fill(1));

/** Replaces an all-years table by the shared one (see the top of this file). */
function shareYearTable(cron: Cron): void {
  const pattern = (cron as unknown as { _states?: { pattern?: { starYear?: boolean; year?: number[] } } })
    ._states?.pattern;
  if (pattern?.starYear === true && Array.isArray(pattern.year) && pattern.year.length === ANY_YEAR.length) {
    pattern.year = ANY_YEAR as number[];
  }
}

/** True when `cron` uses the shared all-years table (for tests). */
export function sharesYearTable(cron: Cron): boolean {
  return (
    (cron as unknown as { _states?: { pattern?: { year?: unknown } } })._states?.pattern?.year === ANY_YEAR
  );
}

// Constructing an Intl.DateTimeFormat is slow; a config names a handful of zones.
const zoneValidity = new Map<string, boolean>();

export function isValidTimeZone(timezone: string): boolean {
  const known = zoneValidity.get(timezone);
  if (known !== undefined) return known;
  let valid: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    valid = true;
  } catch {
    valid = false;
  }
  if (zoneValidity.size < 10_000) zoneValidity.set(timezone, valid);
  return valid;
}
