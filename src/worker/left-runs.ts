// The runs a dead worker left in this worker's home (the same host and pool,
// the same spool): this worker takes each over in the ledger (one worker
// only) and reads its spool, which says what became of it. Dead: it said it
// stopped, or has been silent for two leases — or, on this very host, its
// process is gone, which a worker restarted after a crash sees at once.
import type { Logger } from 'pino';
import { whyDead } from '../dispatch/worker-liveness.js';
import { type SpoolPaths, type SpoolState, inspectSpool, spoolPaths } from '../run/run-spool.js';
import type { Queryable } from '../store/db.js';
import { type LeftAttempt, type WorkerHome, adoptAttempt, readLeftAttempts } from '../store/worker-homes.js';

export interface LeftRun {
  left: LeftAttempt;
  paths: SpoolPaths;
  /** What the spool says; undefined when it cannot be read (unreadable: why). */
  found: SpoolState | undefined;
  unreadable?: string;
}

/** Whether process `pid` of this host is gone (a pid that exists, even another user's, is not). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Why the worker of `left` is dead at `nowMs` (seen from `host`), or undefined while it may live. */
export function whyLeft(left: LeftAttempt, host: string, nowMs: number, leaseMs: number): string | undefined {
  const seen = { worker: left.worker, seenAtMs: left.workerSeenAtMs, stopped: left.workerStopped };
  const why = whyDead(seen, nowMs, leaseMs);
  if (why !== undefined) return why;
  if (left.workerHost === host && left.workerPid !== null && processGone(left.workerPid))
    return `its worker ${left.worker} (pid ${left.workerPid}) is gone`;
  return undefined;
}

/**
 * Takes over the runs dead workers left in `home`, and reads each one's
 * spool.
 */
export async function takeOverLeftRuns(
  db: Queryable,
  home: WorkerHome,
  me: string,
  o: { nowMs: number; leaseMs: number; logger: Logger },
): Promise<LeftRun[]> {
  const out: LeftRun[] = [];
  for (const left of await readLeftAttempts(db, home, me)) {
    const why = whyLeft(left, home.host, o.nowMs, o.leaseMs);
    if (why === undefined) continue;
    const paths = spoolPaths(home.spool, { runId: left.runId, attempt: left.attempt, epoch: left.epoch });
    const fields = { job: left.slot.job, runId: left.runId, attempt: left.attempt, from: left.worker };
    if (!(await adoptAttempt(db, left, left.worker, me))) continue;
    try {
      const found = await inspectSpool(paths);
      o.logger.info({ ...fields, why, found: found.kind }, 'run of a dead worker taken over');
      out.push({ left, paths, found });
    } catch (err) {
      o.logger.warn({ ...fields, err, spool: paths.dir }, 'cannot read the run spool of a run taken over');
      out.push({ left, paths, found: undefined, unreadable: (err as Error).message });
    }
  }
  return out;
}
