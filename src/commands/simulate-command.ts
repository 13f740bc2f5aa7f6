// `cronkeeper simulate`: replays the configured schedules through simulated
// time with downtime windows and prints what the daemon's planner would do
// with every slot. Reads the config only: no store, no clock, no job.
import { toPlanInput } from '../catchup/plan-input.js';
import {
  SLOT_OUTCOMES,
  checkDowntimes,
  simulate,
  type Downtime,
  type SimulatedSlot,
  type Simulation,
} from '../catchup/simulate.js';
import { MAX_BACKFILL_SLOTS, TooManySlotsError } from '../catchup/slots-in-range.js';
import type { Config, JobConfig } from '../config/types.js';
import { formatDuration } from '../schedule/duration.js';
import { SlotCalculators } from '../schedule/slot-calculator.js';
import { EXIT, UsageError, findJob, parseInstantArg, printJson, printTable } from './common.js';
import { localTime } from './next-command.js';
import { out } from './cli-io.js';
import { isoOrNull } from '../text/iso-time.js';

export interface SimulateArgs {
  fromMs: number;
  toMs: number;
  downtimes: Downtime[];
}

/** The period and downtime windows of the command line; a UsageError when they make no sense. */
export function readSimulateArgs(o: { from?: string; to?: string; down?: string[] }): SimulateArgs {
  if (o.from === undefined || o.to === undefined)
    throw new UsageError('simulate needs --from ISO and --to ISO');
  const fromMs = parseInstantArg(o.from, '--from');
  const toMs = parseInstantArg(o.to, '--to');
  const downtimes = (o.down ?? []).map((text) => {
    const parts = text.split('..');
    if (parts.length !== 2)
      throw new UsageError(
        `--down: '${text}' is not a window START..END, e.g. 2026-03-29T01:00Z..2026-03-29T04:00Z`,
      );
    return {
      startMs: parseInstantArg(parts[0]!, '--down start'),
      endMs: parseInstantArg(parts[1]!, '--down end'),
    };
  });
  const problem = checkDowntimes(fromMs, toMs, downtimes);
  if (problem !== undefined) throw new UsageError(problem);
  return { fromMs, toMs, downtimes: downtimes.sort((a, b) => a.startMs - b.startMs) };
}

export function simulateCommand(
  config: Config,
  args: string[],
  o: { from?: string; to?: string; down?: string[]; job?: string; json: boolean },
): number {
  if (args.length > 0) throw new UsageError(`simulate takes no arguments, got '${args.join(' ')}'`);
  const { fromMs, toMs, downtimes } = readSimulateArgs(o);
  const jobs = o.job === undefined ? config.jobs : [findJob(config, o.job)];
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const calculators = new SlotCalculators();
  let result: Simulation;
  try {
    result = simulate({
      jobs: jobs.map((j) => ({
        ...toPlanInput(j, calculators.forSchedule(j.schedule)),
        jitterMs: j.jitterMs,
      })),
      fromMs,
      toMs,
      downtimes,
    });
  } catch (err) {
    if (err instanceof TooManySlotsError)
      throw new UsageError(
        `the period holds more than ${MAX_BACKFILL_SLOTS} slots: simulate a shorter one, or one job (--job)`,
      );
    throw err;
  }
  const rows = result.slots.map((s) => {
    const job = byName.get(s.job)!;
    return {
      job: s.job,
      scheduledAt: isoOrNull(s.scheduledAtMs)!,
      local: localTime(s.scheduledAtMs, zoneOf(job)),
      outcome: s.outcome,
      startsAt: isoOrNull(s.startsAtMs),
      note: noteFor(s, job),
    };
  });
  const down = downtimes.map((d) => ({ from: isoOrNull(d.startMs), to: isoOrNull(d.endMs) }));
  if (o.json) {
    printJson({
      from: isoOrNull(fromMs),
      to: isoOrNull(toMs),
      down,
      slots: rows,
      totals: Object.fromEntries(result.totals),
    });
    return EXIT.ok;
  }
  const downText =
    down.length === 0 ? 'no downtime' : `down ${down.map((d) => `${d.from}..${d.to}`).join(', ')}`;
  out(`simulated ${isoOrNull(fromMs)}..${isoOrNull(toMs)}, ${downText}: ${rows.length} slot(s)\n`);
  if (rows.length > 0) {
    printTable(
      ['TIME (UTC)', 'TIME (JOB ZONE)', 'JOB', 'OUTCOME', 'NOTE'],
      rows.map((r) => [r.scheduledAt, r.local, r.job, r.outcome, r.note]),
    );
  }
  out('\n');
  printTable(
    ['JOB', ...SLOT_OUTCOMES.map((k) => k.toUpperCase())],
    [...result.totals].map(([job, t]) => [job, ...SLOT_OUTCOMES.map((k) => t[k])]),
  );
  out('(run durations are not known: overlap policies and retries are not simulated)\n');
  return EXIT.ok;
}

function zoneOf(job: JobConfig): string {
  return job.schedule.kind === 'cron' ? job.schedule.timezone : 'UTC';
}

/** Why the slot has its outcome, in the words of the job's policy. */
function noteFor(s: SimulatedSlot, job: JobConfig): string {
  const end = s.downtime ? isoOrNull(s.downtime.endMs) : '';
  switch (s.outcome) {
    case 'run':
      return s.startsAtMs !== undefined && s.startsAtMs > s.scheduledAtMs
        ? `starts ${isoOrNull(s.startsAtMs)} (jitter +${formatDuration(s.startsAtMs - s.scheduledAtMs)})`
        : '';
    case 'catchup':
      return `catch-up run at restart ${end}`;
    case 'dropped':
      return `maxCatchup ${job.maxCatchup}: only the newest missed slot(s) run at ${end}`;
    case 'skipped':
      return job.catchup === 'latest'
        ? `catchup: latest runs only the newest missed slot at ${end}`
        : `catchup: none: missed slots are not run`;
    case 'expired':
      return `older than catchupWindow ${formatDuration(job.catchupWindowMs)} at restart ${end}`;
  }
}
