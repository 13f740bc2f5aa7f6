// How plans and claim conflicts read in the log: every left-out slot counted,
// never silently.
import type { Logger } from 'pino';
import type { JobPlan } from '../catchup/plan-catch-up.js';
import type { Metrics } from '../metrics.js';
import type { SlotClaim } from '../store/ledger.js';

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

export function logConflicts(logger: Logger, conflicts: readonly SlotClaim[], metrics?: Metrics): void {
  if (conflicts.length > 0) metrics?.claimConflicts.inc(conflicts.length);
  for (const c of conflicts) {
    logger.warn(
      { job: c.job, scheduledAt: new Date(c.scheduledAtMs).toISOString() },
      'slot already claimed: not running it again',
    );
  }
}
