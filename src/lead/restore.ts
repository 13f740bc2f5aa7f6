// The term's first phase: the last execution of every job, from the newest
// usable snapshot plus the ledger rows past it, keyed by the config's names.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock } from '../runtime/clock.js';
import { snapshotCodec } from '../snapshot/snapshot-codec.js';
import { JobState, keyedByConfig } from '../state/job-state.js';
import type { OnBadRow } from '../store/bad-rows.js';
import type { Db } from '../store/db.js';
import { restoreState, type RestoredState } from '../store/restore-state.js';

/**
 * A function of its own so that nothing of the restore (the decoded map, its
 * names' text) stays referenced from the term while it runs.
 */
export async function restoreJobState(o: {
  db: Db;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  onBadRow: OnBadRow;
}): Promise<JobState> {
  const restored = await restoreState(o.db, snapshotCodec, o.onBadRow);
  logRestore(o.logger, restored);
  for (const s of restored.skipped) o.metrics.restoreFallbacks.inc({ reason: s.reason });
  return new JobState(
    keyedByConfig(restored.lastExecution, o.config.jobs),
    restored.highWater,
    o.clock.now(),
  );
}

function logRestore(logger: Logger, restored: RestoredState): void {
  for (const s of restored.skipped) {
    logger.error(
      { snapshotId: s.id, reason: s.reason, detail: s.message },
      'snapshot unusable: skipped, falling back',
    );
  }
  logger.info(
    {
      snapshotId: restored.snapshotId ?? null,
      format: restored.snapshotFormat ?? null,
      highWater: restored.highWater,
      replayedRows: restored.replayedRows,
      jobs: restored.lastExecution.size,
    },
    restored.snapshotId !== undefined
      ? 'state restored'
      : restored.replayedRows > 0 || restored.skipped.length > 0
        ? 'restored from the run ledger alone (no usable snapshot)'
        : 'no previous state: a new store',
  );
}
