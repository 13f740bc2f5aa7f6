// A Kubernetes CronJob's `spec.schedule` as a cronkeeper pattern with the
// meaning the CronJob controller gives it: robfig/cron's standard parser
// (five fields, names, `?`, `N/step` as `N-max/step`, day of week 0-6, the
// `@hourly`-style descriptors) and its day rule: the day fields are ANDed
// when either holds an unstepped `*` or `?` (robfig's star bit, which a step
// over 1 clears: `*/2` is a restricted field), ORed otherwise. Where robfig
// ANDs them the day of week is written with croner's `+` (AND): the same days
// whatever croner makes of a `*/1`. Pure.
import { isValidTimeZone } from '../schedule/cron-calculator.js';
import { checkCronFields } from './crontab-lines.js';

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const NAMES = [
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
];
const MAX = [59, 23, 31, 12, 6];

export type ScheduleReading =
  | { pattern: string; zone: string | undefined; prefix: boolean }
  | { error: string }
  | { unsupported: string };

/**
 * `schedule` as a pattern, the zone of a `CRON_TZ=` or `TZ=` prefix, or why
 * there is none: an error where Kubernetes refuses the schedule, unsupported
 * where cronkeeper has no pattern for it.
 */
export function readSchedule(schedule: string): ScheduleReading {
  let text = schedule.trim();
  let zone: string | undefined;
  const prefix = /^(?:CRON_TZ|TZ)=(\S*)\s+/.exec(text);
  if (prefix) {
    zone = prefix[1]!;
    if (!isValidTimeZone(zone)) return { error: `unknown time zone '${zone}' in the schedule` };
    text = text.slice(prefix[0].length);
  }
  if (text.startsWith('@')) {
    const word = text.toLowerCase();
    if (word.startsWith('@every')) {
      return {
        unsupported: `'${text}' counts from the CronJob's last run: a cron pattern cannot say it (a fixed grid from the Unix epoch is every: ${text.slice(6).trim()})`,
      };
    }
    const pattern = DESCRIPTORS[word];
    if (!pattern)
      return {
        error: `'${text}' is no schedule descriptor Kubernetes knows (@hourly, @daily, @weekly, ...)`,
      };
    return { pattern, zone, prefix: prefix !== null };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5)
    return { error: `'${text}' has ${fields.length} fields; a CronJob schedule has 5` };
  const normal = fields.map((f, i) => normalField(f, i));
  const problem = checkCronFields(normal);
  if (problem) return { error: problem };
  if (normal[4]!.split(',').some((item) => /(?:^|-)7(?:\/|$)/.test(item))) {
    return { error: `day of week '${fields[4]}': 7 is out of range 0-6 for Kubernetes` };
  }
  const [dom, dow] = [normal[2]!, normal[4]!];
  // robfig ANDs the day fields when either has a star item (`*` or `?`, unstepped: parser.go's
  // starBit, cleared by a step over 1); cronkeeper ORs them unless one is just `*`.
  const star = (f: string) => f.split(',').some((item) => item === '*' || item === '*/1');
  if (dom !== '*' && dow !== '*' && (star(dom) || star(dow))) normal[4] = `+${dow}`;
  return { pattern: normal.join(' '), zone, prefix: prefix !== null };
}

/** One field in numbers: names as their numbers, `?` as `*`, `N/step` as `N-max/step`. */
function normalField(field: string, index: number): string {
  const names = index === 3 ? NAMES[0]! : index === 4 ? NAMES[1]! : [];
  return field
    .split(',')
    .map((item) => {
      let out = item.replace(/^\?/, '*').replace(/[a-z]{3}/gi, (name) => {
        const i = names.indexOf(name.toLowerCase());
        return i < 0 ? name : String(i + (index === 3 ? 1 : 0));
      });
      const single = /^(\d+)\/(\d+)$/.exec(out);
      if (single) out = `${single[1]}-${MAX[index]}/${single[2]}`;
      return out;
    })
    .join(',');
}
