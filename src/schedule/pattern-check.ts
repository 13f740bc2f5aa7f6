// Whether a cron pattern can be scheduled in a zone: the config's check of
// every job's `schedule`, and the CLI's of a pattern it is given.
import type { Cron } from 'croner';
import { compactNext, parseCompactPattern } from './compact-cron.js';
import { isValidTimeZone, newCron } from './cron-calculator.js';

/**
 * Why a cron pattern cannot be used, or undefined when it can. `nowMs` (UTC ms)
 * is the instant from which the pattern must still have an occurrence: an
 * impossible date such as `0 0 31 2 *` is an error, found by croner's bounded
 * search rather than an endless loop.
 */
export function checkCronPattern(pattern: string, timezone: string, nowMs: number): string | undefined {
  if (!isValidTimeZone(timezone)) return `unknown time zone '${timezone}'`;
  // The common patterns are checked without building a croner instance.
  const compact = parseCompactPattern(pattern);
  if (compact && compactNext(compact, nowMs) !== undefined) return undefined;
  return croneProblem(pattern, timezone, nowMs);
}

/** The pattern check of one config reading, at one instant: a pattern shared by many jobs is checked once. */
export class PatternCheck {
  /** By zone, then pattern (the config's own strings as keys: no key built per job). */
  private readonly known = new Map<string, Map<string, string | undefined>>();

  constructor(private readonly nowMs: number) {}

  check(pattern: string, timezone: string): string | undefined {
    let byPattern = this.known.get(timezone);
    if (!byPattern) this.known.set(timezone, (byPattern = new Map()));
    if (byPattern.has(pattern)) return byPattern.get(pattern);
    const problem = checkCronPattern(pattern, timezone, this.nowMs);
    byPattern.set(pattern, problem);
    return problem;
  }
}

function croneProblem(pattern: string, timezone: string, nowMs: number): string | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (!pattern.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    return `'${pattern}' has ${fields.length} fields; a cron pattern has 5, or 6 with seconds first`;
  }
  const outOfRange = fieldOutOfRange(fields);
  if (outOfRange) return `invalid cron pattern '${pattern}': ${outOfRange}`;
  let cron: Cron;
  try {
    cron = newCron(pattern, timezone);
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
