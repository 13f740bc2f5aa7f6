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
 * Logs the plans of a catch-up: each job's counts, and the jobs seen for the
 * first time — one line for all of them when they are many (a first start with
 * 100,000 jobs must not write 100,000 lines).
 */
export function logPlans(logger: Logger, plans: readonly JobPlan[], msg?: string, metrics?: Metrics): void {
  const firstSeen = plans.filter((p) => p.firstSeen);
  for (const p of plans)
    if (!p.firstSeen || firstSeen.length <= FIRST_SEEN_LINES) logPlan(logger, p, msg, metrics);
  if (firstSeen.length > FIRST_SEEN_LINES) {
    logger.info(
      {
        count: firstSeen.length,
        jobs: firstSeen.slice(0, FIRST_SEEN_LINES).map((p) => p.job),
        baseline: new Date(firstSeen[0]!.baselineMs!).toISOString(),
      },
      `${firstSeen.length} jobs seen for the first time: no catch-up, baseline now`,
    );
  }
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
