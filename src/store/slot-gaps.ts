// The slots a catch-up policy or a pause left out, as ranges per job: with the
// run ledger, a record of what happened to every slot. Written by the leader
// (fenced) when it plans; aged out with the ledger retention.
import type { SlotGap } from '../catchup/plan-catch-up.js';
import { rowTimeMs } from './bad-rows.js';
import type { Queryable } from './db.js';
import { type Fence, assertFence, fenceCte } from './fence.js';

export interface JobSlotGap extends SlotGap {
  job: string;
}

export interface SlotGapRow extends JobSlotGap {
  id: number;
  recordedAt: Date;
  epoch: number;
  nodeId: string;
}

/**
 * Records gaps in one statement. A plan made again after a crash finds the same
 * gap (same job, reason and first slot) and widens it to the newer range.
 */
export async function recordSlotGaps(
  db: Queryable,
  fence: Fence,
  gaps: readonly JobSlotGap[],
): Promise<void> {
  if (gaps.length === 0) return;
  const rows = await db.query(
    `WITH ${fenceCte(7)}
     INSERT INTO cronkeeper_slot_gaps (job, reason, first_slot, last_slot, slots, exact, epoch, node_id)
     SELECT g.job, g.reason, g.first_slot, g.last_slot, g.slots, g.exact, fence.epoch, $8
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::boolean[])
          AS g(job, reason, first_slot, last_slot, slots, exact), fence
     ON CONFLICT (job, reason, first_slot) DO UPDATE
       SET last_slot = greatest(cronkeeper_slot_gaps.last_slot, excluded.last_slot),
           slots = greatest(cronkeeper_slot_gaps.slots, excluded.slots),
           exact = excluded.exact
     RETURNING 1`,
    [
      gaps.map((g) => g.job),
      gaps.map((g) => g.reason),
      gaps.map((g) => new Date(g.firstMs).toISOString()),
      gaps.map((g) => new Date(g.lastMs).toISOString()),
      gaps.map((g) => g.count),
      gaps.map((g) => g.exact),
      fence.epoch,
      fence.nodeId,
    ],
  );
  if (rows.length === 0) await assertFence(db, fence);
}

/** Gaps of `job` (or all jobs) that overlap [fromMs, toMs], oldest first. */
export async function listSlotGaps(
  db: Queryable,
  o: { job?: string; fromMs?: number; toMs?: number; limit: number },
): Promise<SlotGapRow[]> {
  const rows = await db.query<{
    id: number;
    job: string;
    reason: SlotGap['reason'];
    first_slot: Date;
    last_slot: Date;
    slots: number;
    exact: boolean;
    epoch: number;
    node_id: string;
    recorded_at: Date;
  }>(
    `SELECT id, job, reason, first_slot, last_slot, slots, exact, epoch, node_id, recorded_at
     FROM cronkeeper_slot_gaps
     WHERE ($1::text IS NULL OR job = $1)
       AND ($2::timestamptz IS NULL OR last_slot >= $2)
       AND ($3::timestamptz IS NULL OR first_slot <= $3)
     ORDER BY last_slot DESC LIMIT $4`,
    [
      o.job ?? null,
      o.fromMs === undefined ? null : new Date(o.fromMs).toISOString(),
      o.toMs === undefined ? null : new Date(o.toMs).toISOString(),
      o.limit,
    ],
  );
  return rows
    .filter(hasUsableTimes)
    .map((r) => ({
      id: r.id,
      job: r.job,
      reason: r.reason,
      firstMs: r.first_slot.getTime(),
      lastMs: r.last_slot.getTime(),
      count: r.slots,
      exact: r.exact,
      epoch: r.epoch,
      nodeId: r.node_id,
      recordedAt: r.recorded_at,
    }))
    .reverse();
}

/**
 * The newest `perJob` gaps of each job, oldest first (for /status and the status page): per job a
 * LIMIT walking the (job, last_slot) index backwards, bounded whatever the table holds.
 */
export async function readRecentGaps(
  db: Queryable,
  jobs: readonly string[],
  perJob: number,
): Promise<Map<string, JobSlotGap[]>> {
  const rows = await db.query<{
    job: string;
    reason: SlotGap['reason'];
    first_slot: Date;
    last_slot: Date;
    slots: number;
    exact: boolean;
  }>(
    `SELECT j.job, g.reason, g.first_slot, g.last_slot, g.slots, g.exact
     FROM unnest($1::text[]) AS j(job)
     CROSS JOIN LATERAL (
       SELECT reason, first_slot, last_slot, slots, exact FROM cronkeeper_slot_gaps
       WHERE job = j.job ORDER BY last_slot DESC LIMIT $2) g
     ORDER BY j.job, g.last_slot`,
    [jobs, perJob],
  );
  const out = new Map<string, JobSlotGap[]>();
  for (const r of rows) {
    if (!hasUsableTimes(r)) continue;
    const list = out.get(r.job) ?? [];
    list.push({
      job: r.job,
      reason: r.reason,
      firstMs: r.first_slot.getTime(),
      lastMs: r.last_slot.getTime(),
      count: r.slots,
      exact: r.exact,
    });
    out.set(r.job, list);
  }
  return out;
}

/** False for a (bad) row whose first or last slot is no instant (infinity): it is left out of listings. */
function hasUsableTimes(r: { first_slot: unknown; last_slot: unknown }): boolean {
  return rowTimeMs(r.first_slot) !== undefined && rowTimeMs(r.last_slot) !== undefined;
}

/** Deletes gaps recorded before `beforeMs` (fenced: only the leader cleans). */
export async function cleanSlotGaps(db: Queryable, fence: Fence, beforeMs: number): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH ${fenceCte(2)}, gone AS (
       DELETE FROM cronkeeper_slot_gaps WHERE recorded_at < $1 AND EXISTS (SELECT 1 FROM fence) RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [new Date(beforeMs).toISOString(), fence.epoch],
  );
  return rows[0]?.n ?? 0;
}
