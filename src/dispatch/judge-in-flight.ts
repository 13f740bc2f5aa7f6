// What became of a run that was in flight when its daemon died, judged from
// evidence instead of guessed: the ledger says which host and spool started
// the attempt (its home; and its pid once it ran); the spool says the rest
// (see run/run-spool.ts). Only a daemon at the run's home can read it: a run
// started elsewhere is left for its home to report (home-runs.ts) until
// ha.hostWait gives it up; a run with no traces is unknown, for onInterrupted.
import type { Logger } from 'pino';
import { inspectSpool, removeSpool, spoolPaths } from '../run/run-spool.js';
import {
  type Recovery,
  type RunTrace,
  type UnfinishedRun,
  carryOverRuns,
  readRunTrace,
  recordRecovery,
  resetNeverStarted,
} from '../store/attempts.js';
import type { Queryable } from '../store/db.js';
import { readHandedAttempts } from '../store/worker-attempts.js';
import type { Fence } from '../store/fence.js';
import type { AdoptedAttempt } from './run-slot.js';

export type InFlightVerdict =
  /** It cannot have run: the attempt was taken back, and is due again now. */
  | { kind: 'never-started' }
  /** Still running, or ended unwatched: follow it (carried into this term). */
  | { kind: 'adopt'; adopt: AdoptedAttempt }
  /** Unknown whether it did its work: the job's onInterrupted decides. */
  | { kind: 'interrupted'; recovery: Recovery }
  /** Started on another host (or spool) that may still come back and report it: wait. */
  | { kind: 'elsewhere'; home: RunTrace }
  /** Its attempt ended and was recorded by its home, not its run: the leader records or retries it. */
  | { kind: 'reported'; finishedAtMs: number; outcome: string }
  /** Handed to a pool and not ended: its worker runs it, or the queue holds it; followed (carried into this term). */
  | { kind: 'handed' }
  /** Its row changed meanwhile (another leader): leave it. */
  | { kind: 'gone' };

export async function judgeInFlight(
  db: Queryable,
  fence: Fence,
  mine: RunTrace,
  run: UnfinishedRun,
  atMs: number,
  logger: Logger,
  o: { homeLost: boolean } = { homeLost: false },
): Promise<InFlightVerdict> {
  const attempt = Math.max(run.attempts, 1);
  // A worker's run goes on whoever leads: the new leader follows it in the ledger.
  const [handed] = await readHandedAttempts(db, [{ runId: run.runId, attempt }]);
  if (handed?.pool != null && !handed.end) {
    return (await carryOverRuns(db, fence, [run.runId])).length > 0 ? { kind: 'handed' } : { kind: 'gone' };
  }
  const trace = await readRunTrace(db, run.runId, attempt);
  if (!trace) return { kind: 'interrupted', recovery: 'host-unknown' };
  if (trace.ended) {
    // Its home found it started and its supervisor gone: nobody knows how it ended.
    if (trace.ended.outcome === 'interrupted') return { kind: 'interrupted', recovery: 'supervisor-lost' };
    return { kind: 'reported', ...trace.ended };
  }
  if (trace.host !== mine.host || trace.spool !== mine.spool) {
    return o.homeLost
      ? { kind: 'interrupted', recovery: 'host-lost' }
      : { kind: 'elsewhere', home: { host: trace.host, spool: trace.spool } };
  }
  const paths = spoolPaths(trace.spool, { runId: run.runId, attempt, epoch: trace.epoch });
  let found;
  try {
    found = await inspectSpool(paths);
  } catch (err) {
    logger.warn({ err, runId: run.runId, spool: paths.dir }, 'cannot read the run spool');
    return { kind: 'interrupted', recovery: 'supervisor-lost' };
  }
  switch (found.kind) {
    case 'never-started':
      // The ledger's own evidence wins over a spool that is gone.
      if (trace.pid !== null) return { kind: 'interrupted', recovery: 'supervisor-lost' };
      if (!(await resetNeverStarted(db, fence, run.runId, attempt, atMs))) return { kind: 'gone' };
      // Its marker taken, the directory can go: a late supervisor of it then finds nowhere to start.
      await removeSpool(paths).catch(() => {});
      return { kind: 'never-started' };
    case 'lost':
      return { kind: 'interrupted', recovery: 'supervisor-lost' };
    case 'running':
    case 'finished': {
      const carried = await carryOverRuns(db, fence, [run.runId]);
      if (carried.length === 0) return { kind: 'gone' };
      const running = found.kind === 'running';
      await recordRecovery(db, run.runId, running ? 'adopted' : 'ended-unwatched');
      return {
        kind: 'adopt',
        adopt: {
          paths,
          startedAtMs: found.startedAtMs,
          supervisor: found.kind === 'running' ? found.supervisor : undefined,
          running,
        },
      };
    }
  }
}
