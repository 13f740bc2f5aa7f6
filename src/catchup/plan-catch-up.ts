// The catch-up planner: which missed slots to run, given each job's last
// execution time and `now`. Pure: no clock, no I/O. All instants are UTC ms.
//
// A job's missed slots are those in (max(last, now - catchupWindow), now].
//   all    -> every missed slot, oldest first, at most maxCatchup (older ones dropped, counted)
//   latest -> only the newest missed slot
//   none   -> none
// A job with no last execution is seen for the first time: no missed slots and
// its baseline is now — unless it names a backfill start, which then stands in
// for its last execution.
import type { CatchupPolicy } from '../config/types.js';
import type { SlotCalculator } from '../schedule/slot-calculator.js';

/**
 * Slots enumerated per count; beyond it counts are estimates (exact: false).
 * Enumerating is a croner step per slot, and the counts only serve
 * the log: a per-second job down for a week must not stall the boot.
 */
export const COUNT_BUDGET = 5_000;

export interface PlanJobInput {
  name: string;
  slots: SlotCalculator;
  catchup: CatchupPolicy;
  catchupWindowMs: number;
  maxCatchup: number;
  backfillFromMs: number | undefined;
}

/** A run of consecutive slots of one job left out, and why: recorded so that nothing is decided silently. */
export interface SlotGap {
  /**
   * expired: older than catchupWindow; dropped: beyond maxCatchup; skipped: by
   * catchup latest/none; paused: while paused; reanchored: left behind by a
   * schedule change with onScheduleChange: reanchor.
   */
  reason: 'expired' | 'dropped' | 'skipped' | 'paused' | 'reanchored';
  /** The oldest and newest slot left out (UTC ms). */
  firstMs: number;
  lastMs: number;
  /** How many slots (an estimate when !exact). */
  count: number;
  exact: boolean;
}

export interface JobPlan {
  job: string;
  /** Slots to run, oldest first. */
  runs: readonly number[];
  /** Missed slots inside the window (an estimate when !exact). */
  missed: number;
  /** Missed slots left out by maxCatchup (policy all). */
  dropped: number;
  /** Missed slots left out by the policy itself (latest, none). */
  skipped: number;
  /** Slots since the last execution that fell outside the catch-up window. */
  expired: number;
  /** False when a count went past COUNT_BUDGET and is an estimate. */
  exact: boolean;
  /** True when the job had no last execution; `baselineMs` then becomes its last execution. */
  firstSeen: boolean;
  baselineMs: number | undefined;
  /** The slots left out (expired, dropped, skipped), as ranges, oldest first. */
  gaps: readonly SlotGap[];
}

export interface PlannedRun {
  job: string;
  scheduledAtMs: number;
}

export interface CatchUpPlan {
  nowMs: number;
  /** Every run of every job, ordered by scheduled time (then job name). */
  runs: PlannedRun[];
  jobs: JobPlan[];
}

// Shared by the plans with nothing to run or leave out (most of them, at 100,000 jobs).
const NO_SLOTS: readonly number[] = Object.freeze([]);
const NO_GAPS: readonly SlotGap[] = Object.freeze([]);

export function planJob(job: PlanJobInput, lastMs: number | undefined, nowMs: number): JobPlan {
  const plan: JobPlan = {
    job: job.name,
    runs: NO_SLOTS,
    missed: 0,
    dropped: 0,
    skipped: 0,
    expired: 0,
    exact: true,
    firstSeen: false,
    baselineMs: undefined,
    gaps: NO_GAPS,
  };
  let last = lastMs;
  if (last === undefined) {
    if (job.backfillFromMs === undefined || job.backfillFromMs > nowMs) {
      plan.firstSeen = true;
      plan.baselineMs = nowMs;
      return plan;
    }
    // The backfill start itself is included: it stands for a last execution just before it.
    last = job.backfillFromMs - 1;
  }
  if (last >= nowMs) return plan; // e.g. after a backward clock jump: nothing is missed

  const windowStart = nowMs - job.catchupWindowMs;
  const lower = Math.max(last, windowStart);
  if (windowStart > last) {
    const expired = job.slots.count(last, windowStart, COUNT_BUDGET);
    plan.expired = expired.count;
    plan.exact &&= expired.exact;
    const gap = slotRange(job, 'expired', last, windowStart, expired.count, expired.exact);
    if (gap) plan.gaps = [gap];
  }
  const wanted = job.catchup === 'all' ? job.maxCatchup : job.catchup === 'latest' ? 1 : 0;
  // One more than wanted tells whether anything is left out; only then is a full count needed.
  const newest = job.slots.newest(wanted + 1, lower, nowMs);
  if (newest.length <= wanted) {
    plan.missed = newest.length;
  } else {
    const missed = job.slots.count(lower, nowMs, COUNT_BUDGET);
    plan.missed = Math.max(missed.count, newest.length);
    plan.exact &&= missed.exact;
  }
  if (newest.length > 0) plan.runs = newest.slice(0, wanted).reverse();
  const leftOut = Math.max(0, plan.missed - plan.runs.length);
  if (job.catchup === 'all') plan.dropped = leftOut;
  else plan.skipped = leftOut;
  if (leftOut > 0) {
    // The runs are the newest missed slots: what is left out lies before the first of them.
    const upTo = plan.runs.length > 0 ? plan.runs[0]! - 1 : nowMs;
    const reason = job.catchup === 'all' ? 'dropped' : 'skipped';
    const gap = slotRange(job, reason, lower, upTo, leftOut, plan.exact);
    if (gap) plan.gaps = [...plan.gaps, gap];
  }
  return plan;
}

/** The gap of the slots in (afterMs, atOrBeforeMs], or undefined when there is none. */
export function slotRange(
  job: Pick<PlanJobInput, 'slots'>,
  reason: SlotGap['reason'],
  afterMs: number,
  atOrBeforeMs: number,
  count: number,
  exact: boolean,
): SlotGap | undefined {
  const firstMs = job.slots.next(afterMs);
  const lastMs = job.slots.newest(1, afterMs, atOrBeforeMs)[0];
  if (firstMs === undefined || lastMs === undefined || firstMs > atOrBeforeMs || count <= 0) return undefined;
  return { reason, firstMs, lastMs, count, exact };
}

export function planCatchUp(
  jobs: readonly PlanJobInput[],
  lastExecution: ReadonlyMap<string, number>,
  nowMs: number,
): CatchUpPlan {
  return assemblePlan(
    jobs.map((job) => planJob(job, lastExecution.get(job.name), nowMs)),
    nowMs,
  );
}

/** The plan of every job: the jobs' plans, and all their runs in order of scheduled time (then job name). */
export function assemblePlan(plans: JobPlan[], nowMs: number): CatchUpPlan {
  const runs: PlannedRun[] = [];
  for (const p of plans) for (const s of p.runs) runs.push({ job: p.job, scheduledAtMs: s });
  runs.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs || (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  return { nowMs, runs, jobs: plans };
}
