// The per-second `tick` job of the load runs and how its slots are judged,
// from the job's own output (and the ledger's word on the slots it did not
// run). Each run appends one line: "<scheduledAt ISO> <its start, UTC ms>
// <catchup 0|1> <runId>"; the start is taken by `date` inside the job, so the
// lateness includes the spawn of /bin/sh and date (a few ms).
import fs from 'node:fs';

export interface TickRun {
  /** UTC ms */
  scheduledAtMs: number;
  /** When the job itself started, UTC ms. */
  startedAtMs: number;
  catchup: boolean;
  runId: number;
}

/** The tick job's argv: appends its line to `file` (O_APPEND: lines never interleave). */
export function tickCommand(file: string): string[] {
  return [
    '/bin/sh',
    '-c',
    `echo "$CRONKEEPER_SCHEDULED_AT $(date +%s%3N) $CRONKEEPER_CATCHUP $CRONKEEPER_RUN_ID" >> '${file}'`,
  ];
}

export function readTickRuns(file: string): TickRun[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [at, started, catchup, runId] = l.split(' ');
      return {
        scheduledAtMs: Date.parse(at!),
        startedAtMs: Number(started),
        catchup: catchup === '1',
        runId: Number(runId),
      };
    });
}

/** A ledger row of the tick job, for the slots that did not run. */
export interface TickClaim {
  scheduledAtMs: number;
  outcome: string | null;
  /** When the daemon decided to start it (the ledger's started_at), UTC ms; null: not started. */
  startedAtMs: number | null;
}

export interface TickFigures {
  /** Every second in the window: (fromMs, toMs]. */
  due: number;
  /** Due slots that ran at least once. */
  run: number;
  /** Due slots that never ran (no line in the output). */
  missed: number;
  /** Due slots that ran more than once, or were claimed more than once. */
  duplicated: number;
  /** Of the runs, those started as catch-up runs (the leader lost time and made it up). */
  catchupRuns: number;
  /** Start lateness of the due slots that ran (job start − scheduled time), ms. */
  lateness: { p50: number; p99: number; max: number } | null;
  /**
   * The daemon's part of it: the ledger's started_at (taken just before the start is recorded
   * and the job spawned) − scheduled time, for the same slots. The rest is recording the start,
   * the spawn and the shell's own start on the machine.
   */
  daemonLateness: { p50: number; p99: number; max: number } | null;
  /** Why the missed slots did not run, by the ledger: outcome, 'unfinished', or 'never claimed'. */
  missedBy: Record<string, number>;
  /** Up to 10 problems, for the log. */
  examples: string[];
}

export interface TickWindow {
  /** Exclusive start and inclusive end, UTC ms: slots in it were due. */
  fromMs: number;
  toMs: number;
}

/**
 * Judges every whole second in the window. Pure: the caller reads the output
 * and the ledger's tick rows in the window (`claims` null: the ledger was not
 * read, a miss's reason is unknown, the count is not).
 */
export function judgeTicks(
  runs: readonly TickRun[],
  claims: readonly TickClaim[] | null,
  window: TickWindow,
): TickFigures {
  const byAt = new Map<number, TickRun[]>();
  for (const r of runs) byAt.set(r.scheduledAtMs, [...(byAt.get(r.scheduledAtMs) ?? []), r]);
  const claimsByAt = new Map<number, TickClaim[]>();
  for (const c of claims ?? [])
    claimsByAt.set(c.scheduledAtMs, [...(claimsByAt.get(c.scheduledAtMs) ?? []), c]);
  const f: TickFigures = {
    due: 0,
    run: 0,
    missed: 0,
    duplicated: 0,
    catchupRuns: 0,
    lateness: null,
    daemonLateness: null,
    missedBy: {},
    examples: [],
  };
  const example = (text: string) => {
    if (f.examples.length < 10) f.examples.push(text);
  };
  const late: number[] = [];
  const daemonLate: number[] = [];
  const first = Math.floor(window.fromMs / 1000) * 1000 + 1000;
  for (let t = first; t <= window.toMs; t += 1000) {
    f.due++;
    const ran = byAt.get(t) ?? [];
    const claimed = claimsByAt.get(t) ?? [];
    if (ran.length > 1 || claimed.length > 1) {
      f.duplicated++;
      example(`${iso(t)} ran ${ran.length} times, claimed ${claimed.length} times`);
    }
    if (ran.length === 0) {
      f.missed++;
      const why = claims === null ? 'unknown' : whyNotRun(claimed[0]);
      f.missedBy[why] = (f.missedBy[why] ?? 0) + 1;
      example(`${iso(t)} did not run (${why})`);
      continue;
    }
    f.run++;
    if (ran[0]!.catchup) f.catchupRuns++;
    late.push(ran[0]!.startedAtMs - t);
    const decided = claimed[0]?.startedAtMs;
    if (decided !== null && decided !== undefined) daemonLate.push(decided - t);
  }
  f.lateness = spread(late);
  f.daemonLateness = spread(daemonLate);
  return f;
}

function spread(values: number[]): { p50: number; p99: number; max: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1]! };
}

function whyNotRun(claim: TickClaim | undefined): string {
  if (!claim) return 'never claimed';
  if (claim.outcome === 'success') return 'success recorded, no output';
  return claim.outcome ?? 'unfinished';
}

/** The value at quantile q of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const iso = (ms: number) => new Date(ms).toISOString();
