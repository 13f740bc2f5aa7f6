// Writes snapshots of the live state: one at a time, fenced by the leader
// epoch, then trims old rows to the newest `keep`.
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SnapshotCodec } from '../snapshot/snapshot-codec.js';
import { isFlushDue } from '../snapshot/flush-policy.js';
import type { Queryable } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import { compactSnapshots, insertSnapshot } from '../store/snapshot-rows.js';
import type { JobState } from './job-state.js';

export interface SnapshotWriterOptions {
  db: Queryable;
  codec: SnapshotCodec;
  state: JobState;
  fence: () => Fence;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  maxUpdates: number;
  keep: number;
  metrics?: Metrics;
}

export class SnapshotWriter {
  private writing: Promise<void> | undefined;

  constructor(private readonly o: SnapshotWriterOptions) {}

  /** Writes a snapshot if the flush policy says one is due. */
  maybeFlush(): void {
    const { state, clock } = this.o;
    if (this.writing) return;
    if (!isFlushDue(state, { intervalMs: this.o.intervalMs, maxUpdates: this.o.maxUpdates }, clock.now()))
      return;
    void this.flush().catch(() => {});
  }

  /**
   * Writes a snapshot now (unless nothing changed), after any write in progress.
   * Rejects with the error if the write fails (e.g. FencedError).
   */
  async flush(options: { force?: boolean } = {}): Promise<void> {
    while (this.writing) await this.writing.catch(() => {});
    if (this.o.state.updatesSinceFlush === 0 && !options.force) return;
    const p = this.write();
    this.writing = p;
    try {
      await p;
    } finally {
      this.writing = undefined;
    }
  }

  private async write(): Promise<void> {
    const { state, clock, codec, logger, db, metrics } = this.o;
    const fence = this.o.fence();
    const now = clock.now();
    const updates = state.updatesSinceFlush;
    // Encoded right away: the snapshot is a view of the live state.
    const snapshot = state.toSnapshot(now, fence.epoch);
    const jobs = snapshot.lastExecution.size;
    const started = performance.now();
    let payload: Buffer;
    try {
      payload = codec.encode(snapshot);
    } catch (err) {
      state.lastFlushMs = now;
      metrics?.snapshotEncodeErrors.inc();
      logger.error({ err }, 'snapshot could not be serialized; the run ledger still holds every claim');
      throw err;
    }
    try {
      const id = await insertSnapshot(db, fence, {
        formatVersion: codec.writeVersion,
        highWater: snapshot.highWater,
        jobCount: jobs,
        payload,
      });
      // Claims recorded while the write was in flight stay counted for the next one.
      state.updatesSinceFlush = Math.max(0, state.updatesSinceFlush - updates);
      state.lastFlushMs = now;
      const seconds = (performance.now() - started) / 1000;
      metrics?.snapshotsWritten.inc();
      metrics?.snapshotSaveSeconds.observe(seconds);
      metrics?.snapshotBytes.set(payload.length);
      const trimmed = await compactSnapshots(db, this.o.keep, id);
      logger.info(
        {
          snapshotId: id,
          highWater: snapshot.highWater,
          jobs,
          bytes: payload.length,
          trimmed,
          ms: Math.round(seconds * 1000),
        },
        'snapshot written',
      );
    } catch (err) {
      // Retry after another interval, not on every tick of an outage.
      state.lastFlushMs = now;
      metrics?.snapshotSaveErrors.inc();
      logger.error({ err }, 'snapshot write failed; the run ledger still holds every claim');
      throw err;
    }
  }
}
