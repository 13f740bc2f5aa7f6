// `cronkeeper next JOB`: a job's next slots in UTC and in its own zone, the way
// `systemd-analyze calendar` previews a timer. Computed by the scheduler's own
// calculator; the store is not opened.
import { nextSlots } from '../catchup/slots-in-range.js';
import type { Config } from '../config/types.js';
import { formatDuration } from '../schedule/duration.js';
import { createSlotCalculator } from '../schedule/slot-calculator.js';
import {
  EXIT,
  UsageError,
  findJob,
  iso,
  parseInstantArg,
  parsePositiveInt,
  printJson,
  printTable,
} from './common.js';
import { out } from './cli-io.js';

export function nextCommand(
  config: Config,
  args: string[],
  o: { n?: string; from?: string; json: boolean },
  nowMs = Date.now(),
): number {
  const [name, extra] = args;
  if (name === undefined) throw new UsageError('next needs a job name: cronkeeper next JOB');
  if (extra !== undefined) throw new UsageError(`next takes one job name, got '${name}' and '${extra}'`);
  const job = findJob(config, name);
  const n = parsePositiveInt(o.n, '-n', 5);
  if (n > 10_000) throw new UsageError(`-n: at most 10000 slots, got ${n}`);
  const fromMs = o.from === undefined ? nowMs : parseInstantArg(o.from, '--from');
  const zone = job.schedule.kind === 'cron' ? job.schedule.timezone : 'UTC';
  const slots = nextSlots(createSlotCalculator(job.schedule), fromMs, n);
  const rows = slots.map((ms) => ({
    utc: iso(ms)!,
    local: localTime(ms, zone),
    in: formatDuration(Math.max(ms - nowMs, 0)),
  }));
  if (o.json) {
    printJson({
      job: job.name,
      zone,
      from: iso(fromMs),
      slots: rows.map((r) => ({ utc: r.utc, local: r.local })),
    });
    return EXIT.ok;
  }
  if (rows.length === 0) {
    out(`'${job.name}' has no slot after ${iso(fromMs)}\n`);
    return EXIT.ok;
  }
  printTable(
    ['UTC', `LOCAL (${zone})`, ...(o.from === undefined ? ['IN'] : [])],
    rows.map((r) => [r.utc, r.local, ...(o.from === undefined ? [r.in] : [])]),
  );
  return EXIT.ok;
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
