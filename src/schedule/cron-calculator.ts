// croner used purely as a date calculator. Instances are shared by every job
// with the same (pattern, zone) and kept in a bounded LRU: a job only needs its
// calculator while computing its next slot, never while it waits for it.
//
// A croner 11 instance holds a table of 10,000 years (~80 KB); for a pattern
// whose year field is `*` that table is all ones, so every such instance is
// given one shared, frozen copy (~1.5 KB each instead). croner only reads it.
import { Cron } from 'croner';
import { compactNext, parseCompactPattern } from './compact-cron.js';

/** croner options shared by validation and scheduling, so both agree on every pattern. */
const CRON_OPTIONS = {
  paused: true,
  mode: '5-or-6-parts',
  // Vixie cron's rule: a job with no wildcard or step in its time fields is a
  // fixed-time job (runs once after a DST gap, once on a repeated hour).
  fixedTimeRule: 'no-wildcard',
} as const;

const MAX_CACHED = 2048;
const cache = new Map<string, Cron>();

/** The shared calculator for (pattern, timezone). Throws croner's error for a bad pattern or zone. */
export function getCron(pattern: string, timezone: string): Cron {
  const key = `${timezone}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) {
    // Re-insert to mark as most recently used.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const cron = new Cron(pattern, { ...CRON_OPTIONS, timezone });
  shareYearTable(cron);
  cache.set(key, cron);
  if (cache.size > MAX_CACHED) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return cron;
}

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

/** Number of calculators currently cached (for tests and metrics). */
export function cachedCronCount(): number {
  return cache.size;
}

/**
 * Why a cron pattern cannot be used, or undefined when it can. `nowMs` (UTC ms)
 * is the instant from which the pattern must still have an occurrence: an
 * impossible date such as `0 0 31 2 *` is an error, found by croner's bounded
 * search rather than an endless loop.
 */
export function checkCronPattern(pattern: string, timezone: string, nowMs: number): string | undefined {
  // Jobs sharing a (pattern, zone) share the check. A pattern with an occurrence
  // after some instant has one after every earlier instant, and one without none
  // after every later instant; a config load checks every job at the same `nowMs`.
  const key = `${timezone}\u0000${pattern}`;
  const known = checked.get(key);
  if (known && (known.problem === undefined ? nowMs <= known.nowMs : nowMs >= known.nowMs)) {
    return known.problem;
  }
  const problem = findPatternProblem(pattern, timezone, nowMs);
  if (checked.size >= MAX_CHECKED) checked.clear();
  checked.set(key, { nowMs, problem });
  return problem;
}

const MAX_CHECKED = 200_000;
const checked = new Map<string, { nowMs: number; problem: string | undefined }>();

function findPatternProblem(pattern: string, timezone: string, nowMs: number): string | undefined {
  if (!isValidTimeZone(timezone)) return `unknown time zone '${timezone}'`;
  const fields = pattern.trim().split(/\s+/);
  if (!pattern.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    return `'${pattern}' has ${fields.length} fields; a cron pattern has 5, or 6 with seconds first`;
  }
  // The common patterns are checked without building a croner instance.
  const compact = parseCompactPattern(pattern);
  if (compact && compactNext(compact, nowMs) !== undefined) return undefined;
  let cron: Cron;
  try {
    cron = getCron(pattern, timezone);
  } catch (err) {
    return `invalid cron pattern '${pattern}': ${stripPrefix((err as Error).message)}`;
  }
  if (cron.nextRun(new Date(nowMs)) === null) {
    return `cron pattern '${pattern}' never matches a date (e.g. the 31st of February)`;
  }
  return undefined;
}

// Constructing an Intl.DateTimeFormat costs ~100 µs; a config names a handful of zones.
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

function stripPrefix(message: string): string {
  return message.replace(/^CronPattern:\s*/, '');
}
