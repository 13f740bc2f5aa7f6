// `cronkeeper next [JOB]`: a job's next slots (or every job's, merged in time
// order) in UTC and in the job's zone, and `cronkeeper calendar EXPR`: an
// expression's, with no config — the way `systemd-analyze calendar` previews a
// timer. Computed by the scheduler's own calculator; the store is not opened.
import { nextSlots } from '../catchup/slots-in-range.js';
import type { Config, ScheduleSpec } from '../config/types.js';
import { checkCronPattern } from '../schedule/pattern-check.js';
import { SlotHeap } from '../schedule/slot-heap.js';
import { formatDuration, parseDuration } from '../schedule/duration.js';
import { createSlotCalculator, SlotCalculators } from '../schedule/slot-calculator.js';
import {
  EXIT,
  UsageError,
  findJob,
  parseInstantArg,
  parsePositiveInt,
  printJson,
  printTable,
} from './common.js';
import { out } from './cli-io.js';
import { isoOrNull } from '../text/iso-time.js';

export function nextCommand(
  config: Config,
  args: string[],
  o: { n?: string; from?: string; json: boolean },
  nowMs = Date.now(),
): number {
  const [name, extra] = args;
  if (extra !== undefined) throw new UsageError(`next takes one job name, got '${name}' and '${extra}'`);
  const fromMs = o.from === undefined ? nowMs : parseInstantArg(o.from, '--from');
  if (name === undefined) return nextOfAll(config, o, fromMs, nowMs);
  const job = findJob(config, name);
  const n = slotCount(o.n, 5);
  const zone = zoneOf(job.schedule);
  return printSlots(nextSlots(createSlotCalculator(job.schedule), fromMs, n), zone, o, fromMs, nowMs, {
    job: job.name,
    empty: `'${job.name}' has no slot after ${isoOrNull(fromMs)}`,
  });
}

/**
 * `cronkeeper calendar EXPR`: when a cron pattern (or `every DURATION`) fires, with no
 * config at all, like `systemd-analyze calendar`. The same checks and calculator as a job's.
 */
export function calendarCommand(
  args: string[],
  o: { n?: string; from?: string; timezone?: string; json: boolean },
  nowMs = Date.now(),
): number {
  if (args.length === 0)
    throw new UsageError("calendar needs an expression: cronkeeper calendar '0 2 * * *'");
  const expression = args.join(' ').trim();
  const schedule = parseExpression(expression, o.timezone ?? 'UTC', nowMs);
  const fromMs = o.from === undefined ? nowMs : parseInstantArg(o.from, '--from');
  const zone = zoneOf(schedule);
  if (!o.json) out(`expression: ${expression}\nzone: ${zone}\n`);
  return printSlots(
    nextSlots(createSlotCalculator(schedule), fromMs, slotCount(o.n, 5)),
    zone,
    o,
    fromMs,
    nowMs,
    {
      expression,
      empty: `'${expression}' has no occurrence after ${isoOrNull(fromMs)}`,
    },
  );
}

function parseExpression(expression: string, timezone: string, nowMs: number): ScheduleSpec {
  const every = /^every\s+(\S+)$/i.exec(expression);
  if (every) {
    const everyMs = parseDuration(every[1]!);
    if (everyMs === undefined || everyMs < 1000) {
      throw new UsageError(`'${every[1]}' is not a duration of a second or more (e.g. 90s, 15m, 1h30m)`);
    }
    if (timezone !== 'UTC') throw new UsageError('--timezone applies to cron patterns; every is zone-free');
    return { kind: 'every', everyMs, offsetMs: 0 };
  }
  const problem = checkCronPattern(expression, timezone, nowMs);
  if (problem) throw new UsageError(`'${expression}': ${problem}`);
  return { kind: 'cron', pattern: expression, timezone };
}

/** The next slots of every job, merged in time order: a heap of each job's next slot. */
function nextOfAll(config: Config, o: { n?: string; json: boolean }, fromMs: number, nowMs: number): number {
  const n = slotCount(o.n, 10);
  // Jobs with the same pattern and zone share a calculator.
  const calculators = new SlotCalculators();
  const calcs = config.jobs.map((j) => calculators.forSchedule(j.schedule));
  const heap = new SlotHeap();
  calcs.forEach((c, i) => {
    const next = c.next(fromMs);
    if (next !== undefined) heap.push({ dueMs: next, job: i });
  });
  const rows: Array<{ job: string; ms: number; zone: string }> = [];
  while (rows.length < n && heap.size > 0) {
    const { dueMs, job } = heap.pop()!;
    rows.push({ job: config.jobs[job]!.name, ms: dueMs, zone: zoneOf(config.jobs[job]!.schedule) });
    const next = calcs[job]!.next(dueMs);
    if (next !== undefined) heap.push({ dueMs: next, job });
  }
  if (o.json) {
    printJson({
      from: isoOrNull(fromMs),
      slots: rows.map((r) => ({
        job: r.job,
        utc: isoOrNull(r.ms),
        zone: r.zone,
        local: localTime(r.ms, r.zone),
      })),
    });
    return EXIT.ok;
  }
  if (rows.length === 0) {
    out(`no job has a slot after ${isoOrNull(fromMs)}\n`);
    return EXIT.ok;
  }
  printTable(
    ['UTC', 'JOB', 'LOCAL (JOB ZONE)', 'IN'],
    rows.map((r) => [
      isoOrNull(r.ms),
      r.job,
      `${localTime(r.ms, r.zone)}${r.zone === 'UTC' ? '' : ` ${r.zone}`}`,
      left(r.ms, nowMs),
    ]),
  );
  return EXIT.ok;
}

function printSlots(
  slots: number[],
  zone: string,
  o: { from?: string; json: boolean },
  fromMs: number,
  nowMs: number,
  what: { job?: string; expression?: string; empty: string },
): number {
  if (o.json) {
    printJson({
      ...(what.job !== undefined ? { job: what.job } : { expression: what.expression }),
      zone,
      from: isoOrNull(fromMs),
      slots: slots.map((ms) => ({ utc: isoOrNull(ms)!, local: localTime(ms, zone), inMs: ms - nowMs })),
    });
    return EXIT.ok;
  }
  if (slots.length === 0) {
    out(`${what.empty}\n`);
    return EXIT.ok;
  }
  printTable(
    ['UTC', `LOCAL (${zone})`, 'IN'],
    slots.map((ms) => [isoOrNull(ms), localTime(ms, zone), left(ms, nowMs)]),
  );
  return EXIT.ok;
}

/** Time left until `ms`; "passed" for an instant before now (a --from in the past). */
function left(ms: number, nowMs: number): string {
  if (ms < nowMs) return 'passed';
  return ms - nowMs < 1000 ? 'now' : formatDuration(Math.round((ms - nowMs) / 1000) * 1000);
}

function slotCount(text: string | undefined, fallback: number): number {
  const n = parsePositiveInt(text, '-n', fallback);
  if (n > 10_000) throw new UsageError(`-n: at most 10000 slots, got ${n}`);
  return n;
}

function zoneOf(schedule: ScheduleSpec): string {
  return schedule.kind === 'cron' ? schedule.timezone : 'UTC';
}

/** "2026-03-29 03:30:00 +02:00": wall-clock time in `zone` with its UTC offset (which tells DST apart). */
export function localTime(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = get('timeZoneName').replace(/^GMT/, '') || '+00:00';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${offset}`;
}
