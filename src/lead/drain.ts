// The term's last phase. Claiming and starting stop at once; what waits to
// start (jittered starts, queued slots, pending retries) stays in the ledger
// for the next leader. After a requested stop the term still leads while its
// runs finish, so that no other node takes them for interrupted, and ends with
// a snapshot the next start restores from without replaying. After a lost
// leadership it returns at once to contend again; its runs go on.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { LeaderControls } from '../controls/leader-controls.js';
import type { ClaimQueue } from '../dispatch/claim-queue.js';
import type { JobScheduler } from '../dispatch/job-scheduler.js';
import type { RunDispatcher } from '../dispatch/run-dispatcher.js';
import type { SnapshotWriter } from '../state/snapshot-writer.js';
import type { FreshnessTracker } from '../status/freshness-tracker.js';

export interface DrainInputs {
  reason: 'stopped' | 'lost';
  config: Config;
  logger: Logger;
  scheduler: JobScheduler;
  claims: ClaimQueue;
  controls: LeaderControls;
  dispatcher: RunDispatcher;
  freshness: FreshnessTracker;
  snapshots: SnapshotWriter;
  /** The boot catch-up, settled or not. */
  catchUp: Promise<void>;
  /** False once the term gave up (a fenced write): its snapshot would be fenced too. */
  mayFlush: () => boolean;
}

/** Resolves false when the final snapshot could not be written. */
export async function drain(o: DrainInputs): Promise<boolean> {
  const { logger, dispatcher } = o;
  o.freshness.stop();
  await o.controls.stop();
  o.scheduler.stop();
  await o.claims.idle().catch(() => {});
  dispatcher.releaseWaiting();
  if (o.reason === 'lost') {
    // Claim and start nothing more, and contend for leadership again at once. What runs goes on and
    // is recorded when it ends: carried into this node's next term if it leads again, else (another
    // node took over) by the outcome it really had.
    logger.warn(
      { running: dispatcher.activeCount },
      'no longer leading: claiming nothing more; running jobs go on and are recorded when they end',
    );
    return true;
  }
  logger.info({ running: dispatcher.activeCount }, 'stopping: no new slots will be claimed');
  await dispatcher.drain(o.config.shutdownGraceMs, maxKillGraceMs(o.config));
  await o.catchUp;
  await o.controls.idle();
  await dispatcher.flushLedgerWrites();
  if (!o.mayFlush()) return true;
  return o.snapshots.flush().then(
    () => true,
    () => false,
  );
}

/** The longest killGrace of the configured jobs (ms). */
export function maxKillGraceMs(config: Config): number {
  let max = 0;
  for (const j of config.jobs) max = Math.max(max, j.killGraceMs);
  return max;
}
