// croner used purely as a date calculator. A Cron instance holds ~80 KB (a year
// table), so instances are shared by every job with the same (pattern, zone) and
// kept in a bounded LRU: a job only needs its calculator while computing its next
// slot, never while it waits for it.
import { Cron } from 'croner';

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
  cache.set(key, cron);
  if (cache.size > MAX_CACHED) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return cron;
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
  if (!isValidTimeZone(timezone)) return `unknown time zone '${timezone}'`;
  const fields = pattern.trim().split(/\s+/);
  if (!pattern.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    return `'${pattern}' has ${fields.length} fields; a cron pattern has 5, or 6 with seconds first`;
  }
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

export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function stripPrefix(message: string): string {
  return message.replace(/^CronPattern:\s*/, '');
}
