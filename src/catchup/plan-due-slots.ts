// Which slots of one job to claim when its timer fires. Pure: no clock, no I/O.
//
// Usually exactly one slot is due. When several are — the wall clock jumped
// forward, or the process stalled — the newest runs as scheduled and the older
// ones are missed slots, handled by the job's catch-up policy like after a
// restart.
import { planJob, slotRange, type JobPlan, type PlanJobInput } from './plan-catch-up.js';

export interface DueSlot {
  /** UTC ms */
  scheduledAtMs: number;
  catchup: boolean;
}

export interface DueSlots {
  /** Oldest first; the last one is the regular (non-catch-up) slot. */
  slots: DueSlot[];
  /** The plan for the missed slots, when there were any (for logging). */
  missed: JobPlan | undefined;
  /** The newest slot handed out: the job's next slot comes after it. */
  plannedUpToMs: number;
}

/**
 * @param plannedUpToMs the newest slot already handed out for this job (UTC ms)
 * @param dueMs the slot the timer fired for (UTC ms), after plannedUpToMs
 * @param nowMs the wall clock when the timer fired (UTC ms), at or after dueMs
 */
export function planDueSlots(
  job: PlanJobInput,
  plannedUpToMs: number,
  dueMs: number,
  nowMs: number,
): DueSlots {
  const after = job.slots.next(dueMs);
  if (after === undefined || after > nowMs) {
    return { slots: [{ scheduledAtMs: dueMs, catchup: false }], missed: undefined, plannedUpToMs: dueMs };
  }
  const newest = job.slots.newest(1, plannedUpToMs, nowMs)[0] ?? dueMs;
  const missed = withoutRegularSlot(job, planJob(job, plannedUpToMs, nowMs), newest);
  const slots: DueSlot[] = missed.runs
    .filter((s) => s < newest)
    .map((s) => ({ scheduledAtMs: s, catchup: true }));
  slots.push({ scheduledAtMs: newest, catchup: false });
  return { slots, missed, plannedUpToMs: newest };
}

/**
 * The planner counts the newest slot among the missed ones; here it runs as the
 * regular slot, so a policy that runs none of the missed ones (none) did not skip it.
 */
function withoutRegularSlot(job: PlanJobInput, plan: JobPlan, newest: number): JobPlan {
  if (plan.runs.length > 0 || plan.skipped === 0) return plan;
  const gaps = plan.gaps.flatMap((g) => {
    if (g.reason !== 'skipped' || g.lastMs !== newest) return [g];
    const shorter = slotRange(job, 'skipped', g.firstMs - 1, newest - 1, g.count - 1, g.exact);
    return shorter ? [shorter] : [];
  });
  return { ...plan, skipped: plan.skipped - 1, gaps };
}
