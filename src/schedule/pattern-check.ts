// Whether a cron pattern can be scheduled in a zone: the config's check of
// every job's `schedule`. It builds the calculator the scheduler will use
// (slot-calculator.ts), so a pattern is parsed once, and a pattern shared by
// many jobs is checked once.
import type { Cron } from 'croner';
import { compactNext } from './compact-cron.js';
import { getCron, isValidTimeZone } from './cron-calculator.js';
import { cronSlots } from './slot-calculator.js';

/**
 * Why a cron pattern cannot be used, or undefined when it can. `nowMs` (UTC ms)
 * is the instant from which the pattern must still have an occurrence: an
 * impossible date such as `0 0 31 2 *` is an error, found by croner's bounded
 * search rather than an endless loop.
 */
export function checkCronPattern(pattern: string, timezone: string, nowMs: number): string | undefined {
  if (!isValidTimeZone(timezone)) return `unknown time zone '${timezone}'`;
  // A pattern with an occurrence after some instant has one after every earlier
  // instant, and a config load checks every job at the same `nowMs`.
  const calc = cronSlots(pattern, timezone);
  if (nowMs <= calc.checkedAtMs) return undefined;
  // The common patterns are checked without building a croner instance.
  if (calc.compact && compactNext(calc.compact, nowMs) !== undefined) {
    calc.checkedAtMs = nowMs;
    return undefined;
  }
  // The rest (croner's patterns, and problems) are rare enough to remember apart.
  const key = `${timezone}\u0000${pattern}`;
  const known = problems.get(key);
  if (known && nowMs >= known.nowMs) return known.problem;
  const problem = croneProblem(pattern, timezone, nowMs);
  if (problem === undefined) {
    calc.checkedAtMs = nowMs;
    return undefined;
  }
  if (problems.size >= MAX_PROBLEMS) problems.clear();
  problems.set(key, { nowMs, problem });
  return problem;
}

const MAX_PROBLEMS = 10_000;
/** A pattern without an occurrence after some instant has none after every later one. */
const problems = new Map<string, { nowMs: number; problem: string }>();

function croneProblem(pattern: string, timezone: string, nowMs: number): string | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (!pattern.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    return `'${pattern}' has ${fields.length} fields; a cron pattern has 5, or 6 with seconds first`;
  }
  const outOfRange = fieldOutOfRange(fields);
  if (outOfRange) return `invalid cron pattern '${pattern}': ${outOfRange}`;
  let cron: Cron;
  try {
    cron = getCron(pattern, timezone);
  } catch (err) {
    return `invalid cron pattern '${pattern}': ${(err as Error).message.replace(/^CronPattern:\s*/, '')}`;
  }
  if (cron.nextRun(new Date(nowMs)) === null) {
    return `cron pattern '${pattern}' never matches a date (e.g. the 31st of February)`;
  }
  return undefined;
}

/** The fields of a 6-field pattern (seconds first); a 5-field pattern has no seconds. */
const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

/**
 * A number outside its field's range, quoted as written (croner counts months
 * and days from 0 inside, and would report month 13 as 12).
 */
function fieldOutOfRange(fields: readonly string[]): string | undefined {
  if (fields.length !== 5 && fields.length !== 6) return undefined;
  const specs = fields.length === 5 ? FIELDS.slice(1) : FIELDS;
  for (const [i, field] of fields.entries()) {
    const spec = specs[i]!;
    for (const item of field.split(',')) {
      // The values of an item: `a`, `a-b`, with a step after `/` or an nth after `#` (not values).
      const values = item.split(/[/#]/)[0]!.replace(/[LW]/gi, '');
      for (const v of values.split('-')) {
        if (!/^\d+$/.test(v)) continue;
        const n = Number(v);
        if (n < spec.min || n > spec.max) {
          const where = field === v ? '' : ` (in '${field}')`;
          return `${spec.name} '${v}' is out of range ${spec.min}-${spec.max}${where}`;
        }
      }
    }
  }
  return undefined;
}
