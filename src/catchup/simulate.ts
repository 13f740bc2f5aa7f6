// `cronkeeper simulate`: what the daemon would do with every slot of a period
// in which it was down for the given windows. Pure: no clock, no store, no run.
// All instants are UTC ms.
//
// The model is the daemon's own:
// - at `fromMs` the daemon is running: each job's last execution is its newest
//   slot before `fromMs` (backfillFrom and the first-seen baseline only apply
//   to a job without one, which a running daemon does not have);
// - a slot before a downtime, or after one, runs on time (`run`), with its
//   deterministic jitter; a claim takes no time;
// - a downtime [startMs, endMs] covers its slots, ends included: a slot at
//   startMs was not claimed before the daemon stopped, and endMs is the
//   restarted daemon's "boot now", at which it plans the catch-up of the slots
//   in (last execution, endMs] with planJob — exactly as the boot catch-up
//   does — and after which normal scheduling resumes.
// Not modeled: run durations (so overlap policies, retries and the catch-up
// concurrency limit), pauses and other operator controls, clock jumps.
import { slotJitterMs } from '../schedule/jitter.js';
import { planJob, type PlanJobInput } from './plan-catch-up.js';
import { MAX_BACKFILL_SLOTS, slotsInRange } from './slots-in-range.js';
import { isoUtc } from '../text/iso-time.js';

export type SlotOutcome = 'run' | 'catchup' | 'dropped' | 'skipped' | 'expired';

export const SLOT_OUTCOMES: readonly SlotOutcome[] = ['run', 'catchup', 'dropped', 'skipped', 'expired'];

/** A window in which no daemon ran, ends included (UTC ms, startMs <= endMs). */
export interface Downtime {
  startMs: number;
  endMs: number;
}

export interface SimulatedJob extends PlanJobInput {
  /** A regular run starts this much (deterministically, per slot) in [0, jitterMs) after its slot. */
  jitterMs: number;
}

export interface SimulatedSlot {
  job: string;
  scheduledAtMs: number;
  /**
   * run: on time; catchup: run at the end of its downtime; dropped: left out by
   * maxCatchup; skipped: left out by catchup latest or none; expired: older than
   * the catch-up window at the end of its downtime.
   */
  outcome: SlotOutcome;
  /** When the run would start (UTC ms): slot + jitter for `run`, the downtime's end for `catchup`. */
  startsAtMs: number | undefined;
  /** The downtime the slot fell in; undefined for a slot the daemon was up for. */
  downtime: Downtime | undefined;
}

export type OutcomeTotals = Record<SlotOutcome, number>;

export interface Simulation {
  /** Every slot of every job in [fromMs, toMs], by scheduled time, then job name. */
  slots: SimulatedSlot[];
  /** Per job (every job given, also one without slots in the period). */
  totals: Map<string, OutcomeTotals>;
}

export interface SimulateInput {
  jobs: readonly SimulatedJob[];
  fromMs: number;
  toMs: number;
  /** Sorted, not overlapping, inside [fromMs, toMs]: see checkDowntimes. */
  downtimes: readonly Downtime[];
  /** At most this many slots in all (TooManySlotsError beyond). */
  maxSlots?: number;
}

/** Why the period and windows cannot be simulated, or undefined when they can. */
export function checkDowntimes(
  fromMs: number,
  toMs: number,
  downtimes: readonly Downtime[],
): string | undefined {
  const show = (d: Downtime) => `${isoUtc(d.startMs)}..${isoUtc(d.endMs)}`;
  if (fromMs > toMs) return `--from ${isoUtc(fromMs)} is after --to ${isoUtc(toMs)}`;
  for (const d of downtimes) {
    if (d.endMs < d.startMs) return `--down ${show(d)} ends before it starts`;
    if (d.startMs < fromMs || d.endMs > toMs)
      return `--down ${show(d)} is not inside --from ${isoUtc(fromMs)} .. --to ${isoUtc(toMs)}`;
  }
  const sorted = [...downtimes].sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    // Touching windows overlap too: the restart at a's end would be a stop at the same instant.
    if (b.startMs <= a.endMs) return `--down ${show(a)} and ${show(b)} overlap`;
  }
  return undefined;
}

export function simulate(input: SimulateInput): Simulation {
  const downtimes = [...input.downtimes].sort((a, b) => a.startMs - b.startMs);
  const problem = checkDowntimes(input.fromMs, input.toMs, downtimes);
  if (problem !== undefined) throw new RangeError(problem);
  let budget = input.maxSlots ?? MAX_BACKFILL_SLOTS;
  const slots: SimulatedSlot[] = [];
  const totals = new Map<string, OutcomeTotals>();
  for (const job of input.jobs) {
    const jobSlots = simulateJob(job, input.fromMs, input.toMs, downtimes, budget);
    budget -= jobSlots.length;
    const t: OutcomeTotals = { run: 0, catchup: 0, dropped: 0, skipped: 0, expired: 0 };
    for (const s of jobSlots) t[s.outcome]++;
    totals.set(job.name, t);
    slots.push(...jobSlots);
  }
  slots.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs || (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  return { slots, totals };
}

function simulateJob(
  job: SimulatedJob,
  fromMs: number,
  toMs: number,
  downtimes: readonly Downtime[],
  maxSlots: number,
): SimulatedSlot[] {
  const all = slotsInRange(job.slots, fromMs, toMs, maxSlots);
  const out: SimulatedSlot[] = [];
  // The daemon was up before fromMs: it claimed the job's newest earlier slot.
  let last = job.slots.newest(1, Number.NEGATIVE_INFINITY, fromMs - 1)[0] ?? fromMs - 1;
  let i = 0;
  const runUntil = (endMs: number) => {
    for (; i < all.length && all[i]! < endMs; i++) {
      const s = all[i]!;
      out.push({
        job: job.name,
        scheduledAtMs: s,
        outcome: 'run',
        startsAtMs: s + slotJitterMs(job.name, s, job.jitterMs),
        downtime: undefined,
      });
      last = s;
    }
  };
  for (const down of downtimes) {
    runUntil(down.startMs);
    const plan = planJob(job, last, down.endMs);
    // The planner's runs all lie in this downtime: every earlier slot after
    // `last` ran on time, or was left out at an earlier restart by a rule that
    // leaves it out again now (catchup none, maxCatchup 0, an expired slot).
    const runs = new Set(plan.runs);
    // The planner's rule: slots at or before endMs - catchupWindow are expired.
    const windowStartMs = down.endMs - job.catchupWindowMs;
    for (; i < all.length && all[i]! <= down.endMs; i++) {
      const s = all[i]!;
      const outcome: SlotOutcome = runs.has(s)
        ? 'catchup'
        : s <= windowStartMs
          ? 'expired'
          : job.catchup === 'all'
            ? 'dropped'
            : 'skipped';
      out.push({
        job: job.name,
        scheduledAtMs: s,
        outcome,
        startsAtMs: outcome === 'catchup' ? down.endMs : undefined,
        downtime: down,
      });
    }
    const newestRun = plan.runs[plan.runs.length - 1];
    if (newestRun !== undefined) last = newestRun;
  }
  runUntil(Number.POSITIVE_INFINITY);
  return out;
}
