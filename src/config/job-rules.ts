// The rules of a job that tie several of its keys together. They run on the
// job's plain data, independently of the per-key schema, so a job with a bad
// key still gets all its other problems reported. The same rules hold for the
// hooks and retries under `defaults:` (checkDefaultsRules).
import { isValidTimeZone } from '../schedule/cron-calculator.js';
import type { PatternCheck } from '../schedule/pattern-check.js';
import { formatDuration } from '../schedule/duration.js';
import type { PathIssue, PathSegment } from './locate-problem.js';
import { durationMsOf } from './field-values.js';

/** The backoff bounds a `retries` map falls back on for the fields it leaves out. */
export interface InheritedBackoff {
  backoffMs: number;
  maxBackoffMs: number;
}

const HOOKS = ['onFailure', 'onSuccess'] as const;

export function checkJobRules(
  job: Record<string, unknown>,
  patterns: PatternCheck,
  inherited: InheritedBackoff,
): PathIssue[] {
  const issues: PathIssue[] = [];
  const { exactlyOne, onlyWith } = keyRules(job, [], issues);

  exactlyOne('schedule', 'every');
  onlyWith('timezone', 'schedule');
  onlyWith('offset', 'every');
  exactlyOne('command', 'http');
  onlyWith('cwd', 'command');
  onlyWith('env', 'command');

  const { schedule, timezone } = job;
  if (typeof schedule === 'string' && schedule.trim() !== '') {
    // A bad zone is reported by the schema; check the pattern itself on UTC then.
    const zone = typeof timezone === 'string' && isValidTimeZone(timezone) ? timezone : 'UTC';
    const problem = patterns.check(schedule.trim(), zone);
    if (problem !== undefined) issues.push({ path: ['schedule'], message: problem, at: 'value' });
  }

  const everyMs = durationMsOf(job.every);
  const offsetMs = durationMsOf(job.offset);
  if (everyMs !== undefined && everyMs > 0 && offsetMs !== undefined && offsetMs >= everyMs) {
    issues.push({
      path: ['offset'],
      message: `must be less than 'every' (${String(job.every)})`,
      at: 'value',
    });
  }

  issues.push(...checkPolicyRules(job, inherited));
  return issues;
}

/** The rules of the `defaults` map (its plain value); a missing retries field falls back on `builtin`. */
export function checkDefaultsRules(defaults: unknown, builtin: InheritedBackoff): PathIssue[] {
  return isPlainMap(defaults) ? checkPolicyRules(defaults, builtin) : [];
}

/** Rules of the policies a job and `defaults:` share: the hooks and the retry backoff. */
function checkPolicyRules(map: Record<string, unknown>, inherited: InheritedBackoff): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const key of HOOKS) {
    const hook = map[key];
    if (!isPlainMap(hook)) continue;
    const { exactlyOne, onlyWith } = keyRules(hook, [key], issues);
    exactlyOne('command', 'http');
    onlyWith('cwd', 'command');
    onlyWith('env', 'command');
  }
  const retries = map.retries;
  if (isPlainMap(retries)) issues.push(...checkBackoff(retries, inherited));
  return issues;
}

/**
 * maxBackoff >= backoff, for the values in effect: those of `retries`, else
 * the inherited ones. Reported only where `retries` sets one of them; a value
 * that is not a valid duration has its own problem from the schema.
 */
function checkBackoff(retries: Record<string, unknown>, inherited: InheritedBackoff): PathIssue[] {
  const own = (key: string): number | null | undefined => {
    if (!Object.hasOwn(retries, key)) return undefined;
    const ms = durationMsOf(retries[key]);
    return ms !== undefined && ms > 0 ? ms : null;
  };
  const ownBackoff = own('backoff');
  const ownMax = own('maxBackoff');
  if (ownBackoff === null || ownMax === null) return [];
  if (ownBackoff === undefined && ownMax === undefined) return [];
  const backoffMs = ownBackoff ?? inherited.backoffMs;
  const maxBackoffMs = ownMax ?? inherited.maxBackoffMs;
  if (maxBackoffMs >= backoffMs) return [];
  if (ownMax !== undefined) {
    const message =
      ownBackoff !== undefined
        ? `must be at least 'backoff' (${String(retries.backoff)})`
        : `must be at least the 'backoff' it inherits (${formatDuration(backoffMs)})`;
    return [{ path: ['retries', 'maxBackoff'], message, at: 'value' }];
  }
  return [
    {
      path: ['retries', 'backoff'],
      message: `must be at most the 'maxBackoff' it inherits (${formatDuration(maxBackoffMs)}); set 'maxBackoff' too`,
      at: 'value',
    },
  ];
}

/** The "exactly one of" and "only with" rules of the keys of `map`, which stands at `base`. */
function keyRules(map: Record<string, unknown>, base: PathSegment[], issues: PathIssue[]) {
  const has = (key: string) => Object.hasOwn(map, key);
  const keys = Object.keys(map);
  /** Of two keys, the one written second. */
  const later = (a: string, b: string) => (keys.indexOf(a) > keys.indexOf(b) ? a : b);
  return {
    exactlyOne(a: string, b: string): void {
      const message = `exactly one of '${a}' or '${b}' is required`;
      if (has(a) && has(b)) {
        issues.push({ path: [...base, later(a, b)], message: `${message}, not both`, at: 'key' });
      } else if (!has(a) && !has(b)) {
        issues.push({ path: base, message, at: 'key' });
      }
    },
    onlyWith(key: string, other: string): void {
      if (has(key) && !has(other)) {
        issues.push({ path: [...base, key], message: `'${key}' is only allowed with '${other}'`, at: 'key' });
      }
    },
  };
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
