// How plans and claim conflicts read in the log: every left-out slot counted,
// never silently.
import type { Logger } from 'pino';
import type { JobPlan } from '../catchup/plan-catch-up.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SlotClaim } from '../schedule/slot.js';

export function logPlan(logger: Logger, p: JobPlan, msg = 'catch-up plan', metrics?: Metrics): void {
  metrics?.countDropped(p.job, p.dropped);
  if (p.firstSeen) {
    logger.info(
      { job: p.job, baseline: new Date(p.baselineMs!).toISOString() },
      'job seen for the first time: no catch-up, baseline now',
    );
    return;
  }
  if (p.missed === 0 && p.expired === 0) return;
  const fields = {
    job: p.job,
    missed: p.missed,
    runs: p.runs.length,
    dropped: p.dropped,
    skipped: p.skipped,
    expired: p.expired,
    exact: p.exact,
  };
  if (p.dropped > 0) logger.warn(fields, `${msg}: ${p.dropped} oldest missed slot(s) dropped by maxCatchup`);
  else logger.info(fields, msg);
}

/** First-seen jobs logged one line each up to this many; beyond it, one line for all. */
const FIRST_SEEN_LINES = 20;

/**
 * The jobs a catch-up sees for the first time, counted as they are planned:
 * only the first few plans are kept for the log. A first start with 100,000
 * jobs kept 100,000 plans of nothing to run until the pass was over.
 */
export class FirstSeenJobs {
  count = 0;
  readonly first: JobPlan[] = [];

  add(p: JobPlan): void {
    this.count++;
    if (this.first.length < FIRST_SEEN_LINES) this.first.push(p);
  }
}

/**
 * Logs the plans of a catch-up: each job's counts, and the jobs seen for the
 * first time — one line for all of them when they are many (a first start with
 * 100,000 jobs must not write 100,000 lines).
 */
export function logPlans(
  logger: Logger,
  plans: readonly JobPlan[],
  firstSeen: FirstSeenJobs,
  metrics?: Metrics,
): void {
  for (const p of plans) logPlan(logger, p, undefined, metrics);
  if (firstSeen.count <= FIRST_SEEN_LINES) {
    for (const p of firstSeen.first) logPlan(logger, p, undefined, metrics);
    return;
  }
  logger.info(
    {
      count: firstSeen.count,
      jobs: firstSeen.first.map((p) => p.job),
      baseline: new Date(firstSeen.first[0]!.baselineMs!).toISOString(),
    },
    `${firstSeen.count} jobs seen for the first time: no catch-up, baseline now`,
  );
}

export function logConflicts(logger: Logger, conflicts: readonly SlotClaim[], metrics?: Metrics): void {
  if (conflicts.length > 0) metrics?.claimConflicts.inc(conflicts.length);
  for (const c of conflicts) {
    logger.warn(
      { job: c.job, scheduledAt: new Date(c.scheduledAtMs).toISOString() },
      'slot already claimed: not running it again',
    );
  }
}
