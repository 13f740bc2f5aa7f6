// Snapshot rows: the versioned envelopes written by the leader, newest kept.
import type { Queryable } from './db.js';
import { type Fence, assertFence, fenceCte } from './fence.js';

export interface SnapshotRowMeta {
  id: number;
  formatVersion: number;
  highWater: number;
  epoch: number;
  nodeId: string;
  jobCount: number;
  createdAt: Date;
  bytes: number;
}

export interface SnapshotRow extends SnapshotRowMeta {
  payload: Buffer;
}

const META_COLUMNS = `id, format_version, high_water, epoch, node_id, job_count, created_at, octet_length(payload) AS bytes`;

interface MetaRecord {
  id: number;
  format_version: number;
  high_water: number;
  epoch: number;
  node_id: string;
  job_count: number;
  created_at: Date;
  bytes: number;
}

function toMeta(r: MetaRecord): SnapshotRowMeta {
  return {
    id: r.id,
    formatVersion: r.format_version,
    highWater: r.high_water,
    epoch: r.epoch,
    nodeId: r.node_id,
    jobCount: r.job_count,
    createdAt: r.created_at,
    bytes: r.bytes,
  };
}

/** Inserts a snapshot; throws FencedError when `fence` is stale. Returns the new row id. */
export async function insertSnapshot(
  db: Queryable,
  fence: Fence,
  row: { formatVersion: number; highWater: number; jobCount: number; payload: Buffer },
): Promise<number> {
  const rows = await db.query<{ id: number }>(
    `WITH ${fenceCte(1)}
     INSERT INTO cronkeeper_snapshots (format_version, high_water, epoch, node_id, job_count, payload)
     SELECT $2, $3, fence.epoch, $4, $5, $6 FROM fence
     RETURNING id`,
    [fence.epoch, row.formatVersion, row.highWater, fence.nodeId, row.jobCount, row.payload],
  );
  const id = rows[0]?.id;
  if (id === undefined) {
    await assertFence(db, fence);
    throw new Error('snapshot insert wrote no row');
  }
  return id;
}

/** Snapshot rows newest first; `limit` of them (undefined: all). */
export async function listSnapshots(db: Queryable, limit?: number): Promise<SnapshotRowMeta[]> {
  const rows = await db.query<MetaRecord>(
    `SELECT ${META_COLUMNS} FROM cronkeeper_snapshots ORDER BY id DESC LIMIT $1`,
    [limit ?? null],
  );
  return rows.map(toMeta);
}

/** One snapshot with its payload, or undefined. */
export async function readSnapshot(db: Queryable, id: number): Promise<SnapshotRow | undefined> {
  const rows = await db.query<MetaRecord & { payload: Buffer }>(
    `SELECT ${META_COLUMNS}, payload FROM cronkeeper_snapshots WHERE id = $1`,
    [id],
  );
  const r = rows[0];
  return r ? { ...toMeta(r), payload: r.payload } : undefined;
}

/** The newest snapshot with an id below `beforeId` (undefined = no bound), payload included. */
export async function readSnapshotBefore(
  db: Queryable,
  beforeId: number | undefined,
): Promise<SnapshotRow | undefined> {
  const rows = await db.query<MetaRecord & { payload: Buffer }>(
    `SELECT ${META_COLUMNS}, payload FROM cronkeeper_snapshots
     WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT 1`,
    [beforeId ?? null],
  );
  const r = rows[0];
  return r ? { ...toMeta(r), payload: r.payload } : undefined;
}

/**
 * Keeps the newest `keep` rows and deletes the rest, but never the row
 * `protectId` (the newest one known to decode), so a run of corrupt rows can
 * never push the last good snapshot out. Returns how many rows were deleted.
 */
export async function compactSnapshots(db: Queryable, keep: number, protectId?: number): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM cronkeeper_snapshots
       WHERE id NOT IN (SELECT id FROM cronkeeper_snapshots ORDER BY id DESC LIMIT $1)
         AND ($2::bigint IS NULL OR id <> $2)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [keep, protectId ?? null],
  );
  return rows[0]?.n ?? 0;
}

export async function clearSnapshots(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM cronkeeper_snapshots RETURNING 1) SELECT count(*)::int AS n FROM gone`,
  );
  return rows[0]?.n ?? 0;
}

/** The lowest high-water mark among the kept snapshots: ledger rows at or below it are covered by all of them. */
export async function lowestHighWater(db: Queryable): Promise<number> {
  const rows = await db.query<{ hw: number | null }>(
    'SELECT min(high_water) AS hw FROM cronkeeper_snapshots',
  );
  return rows[0]?.hw ?? 0;
}
