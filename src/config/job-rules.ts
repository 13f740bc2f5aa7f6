// The rules of a job that tie several of its keys together. They run on the
// job's plain data, independently of the per-key schema, so a job with a bad
// key still gets all its other problems reported.
import { checkCronPattern, isValidTimeZone } from '../schedule/cron-calculator.js';
import type { Anchor, PathSegment } from './locate-problem.js';
import { durationMsOf } from './schema.js';

export interface RuleIssue {
  /** Relative to the job's entry. */
  path: PathSegment[];
  message: string;
  at: Anchor;
}

export function checkJobRules(job: Record<string, unknown>, nowMs: number): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const has = (key: string) => Object.hasOwn(job, key);
  const keys = Object.keys(job);
  /** Of two keys, the one written second. */
  const later = (a: string, b: string) => (keys.indexOf(a) > keys.indexOf(b) ? a : b);

  const exactlyOne = (a: string, b: string) => {
    const message = `exactly one of '${a}' or '${b}' is required`;
    if (has(a) && has(b)) issues.push({ path: [later(a, b)], message: `${message}, not both`, at: 'key' });
    else if (!has(a) && !has(b)) issues.push({ path: [], message, at: 'key' });
  };
  const onlyWith = (key: string, other: string) => {
    if (has(key) && !has(other)) {
      issues.push({ path: [key], message: `'${key}' is only allowed with '${other}'`, at: 'key' });
    }
  };

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
    const problem = checkCronPattern(schedule.trim(), zone, nowMs);
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
  return issues;
}
