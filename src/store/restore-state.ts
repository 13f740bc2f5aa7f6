// Restore = the newest snapshot that decodes + the ledger rows written after it.
// A row that fails its checksum, fails to decode, or has an unknown format is
// reported and skipped; the previous row is tried, and the ledger makes up the
// difference. Nothing a restore needs is ever deleted (see cleanLedger).
import type { SnapshotCodec, SnapshotDecodeReason } from '../snapshot/snapshot-codec.js';
import { SnapshotDecodeError } from '../snapshot/snapshot-codec.js';
import type { OnBadRow } from './bad-rows.js';
import type { Queryable } from './db.js';
import { readLedgerTail } from './ledger.js';
import { readSnapshotBefore } from './snapshot-rows.js';

export interface SkippedSnapshot {
  id: number;
  reason: SnapshotDecodeReason;
  message: string;
}

export interface RestoredState {
  /** job -> newest claimed slot (or baseline), UTC ms. */
  lastExecution: Map<string, number>;
  /** Highest ledger id reflected in lastExecution. */
  highWater: number;
  /** The snapshot restored from, if any decoded. */
  snapshotId: number | undefined;
  snapshotFormat: number | undefined;
  /** Newer rows that could not be used, newest first. */
  skipped: SkippedSnapshot[];
  /** Ledger rows replayed on top of the snapshot. */
  replayedRows: number;
}

/** `onBad` hears of ledger rows left out of the replay (see readLedgerTail). */
export async function restoreState(
  db: Queryable,
  codec: SnapshotCodec,
  onBad?: OnBadRow,
): Promise<RestoredState> {
  const skipped: SkippedSnapshot[] = [];
  let base: { id: number; format: number; lastExecution: Map<string, number>; highWater: number } | undefined;
  for (let before: number | undefined = undefined; ;) {
    const row = await readSnapshotBefore(db, before);
    if (!row) break;
    try {
      const { version, snapshot } = codec.decode(row.payload);
      base = {
        id: row.id,
        format: version,
        lastExecution: snapshot.lastExecution,
        highWater: snapshot.highWater,
      };
      break;
    } catch (err) {
      if (!(err instanceof SnapshotDecodeError)) throw err;
      skipped.push({ id: row.id, reason: err.reason, message: err.message });
      before = row.id;
    }
  }
  // The decoded map is this restore's own: added to in place, not copied (100,000 entries).
  const lastExecution = base?.lastExecution ?? new Map<string, number>();
  const tail = await readLedgerTail(db, base?.highWater ?? 0, onBad);
  for (const [job, ms] of tail.lastExecution) {
    // Max, not overwrite: a slot claimed before a backward clock jump stays the newest.
    const known = lastExecution.get(job);
    if (known === undefined || ms > known) lastExecution.set(job, ms);
  }
  return {
    lastExecution,
    highWater: tail.maxId,
    snapshotId: base?.id,
    snapshotFormat: base?.format,
    skipped,
    replayedRows: tail.rows,
  };
}
