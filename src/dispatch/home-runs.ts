// A daemon that stands by adopts the runs of its own home (its host and spool)
// that a dead predecessor there left in flight, as a leader does at its term's
// start (judge-in-flight.ts): another node leads now, cannot read this host's
// spool, and handed them back (recovery 'awaiting-home'). Still running → followed to the end here (timeout and kill
// grace as usual); ended meanwhile → its end read from the spool; either way
// recorded by this node, as a node records the runs it started. Never started
// → taken back, for the leader to run; started with its supervisor gone →
// reported so, for the leader's onInterrupted. The leader waits for these
// reports (watch-remote-runs.ts).
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { JobConfig } from '../config/types.js';
import { inspectSpool, removeSpool, spoolPaths } from '../run/run-spool.js';
import { type RunTrace, recordRecovery } from '../store/attempts.js';
import type { Queryable } from '../store/db.js';
import { readHomeRuns, releaseNeverStarted, reportLost } from '../store/run-homes.js';
import type { RunDispatcher } from './run-dispatcher.js';

export interface HomeRunsContext {
  db: Queryable;
  dispatcher: RunDispatcher;
  home: RunTrace;
  jobs: ReadonlyMap<string, JobConfig>;
  clock: Clock;
  logger: Logger;
}

/** Adopts or reports the runs in flight of this node's home that it does not follow yet; returns how many. */
export async function adoptHomeRuns(ctx: HomeRunsContext): Promise<number> {
  const { db, dispatcher, home, logger } = ctx;
  const followed = new Set(dispatcher.runIds());
  let n = 0;
  for (const run of await readHomeRuns(db, home)) {
    if (followed.has(run.slot.runId)) continue;
    const job = ctx.jobs.get(run.slot.job);
    // No longer configured: the leader records it so.
    if (!job) continue;
    const fields = { job: job.name, runId: run.slot.runId, attempt: run.attempt };
    const paths = spoolPaths(home.spool, { runId: run.slot.runId, attempt: run.attempt, epoch: run.epoch });
    let found;
    try {
      found = await inspectSpool(paths);
    } catch (err) {
      logger.warn({ ...fields, err, spool: paths.dir }, 'cannot read the run spool');
      continue;
    }
    n++;
    const key = { runId: run.slot.runId, attempt: run.attempt, epoch: run.epoch };
    switch (found.kind) {
      case 'never-started':
        // The ledger's own evidence (a pid) wins over a spool that is gone.
        if (run.pid !== null) {
          await reportLost(db, key, ctx.clock.now());
          logger.warn(fields, 'run of this host found without its spool: reported for onInterrupted');
        } else if (await releaseNeverStarted(db, key, ctx.clock.now())) {
          await removeSpool(paths).catch(() => {});
          logger.info(fields, 'run of this host never started (its daemon died first): left to the leader');
        }
        break;
      case 'lost':
        await reportLost(db, key, ctx.clock.now());
        logger.warn(fields, 'run of this host lost its supervisor: reported for onInterrupted');
        break;
      case 'running':
      case 'finished': {
        const running = found.kind === 'running';
        await recordRecovery(db, run.slot.runId, running ? 'adopted' : 'ended-unwatched');
        const adopt = {
          paths,
          startedAtMs: found.startedAtMs,
          supervisor: found.kind === 'running' ? found.supervisor : undefined,
          running,
        };
        void dispatcher.dispatch(job, run.slot, { attempt: run.attempt, adopt });
        break;
      }
    }
  }
  return n;
}
