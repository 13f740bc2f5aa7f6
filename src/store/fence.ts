// Fencing: every write a leader makes names its epoch; the database refuses it
// once a newer epoch exists. The leader row is read FOR SHARE inside the write,
// so a takeover (an UPDATE of that row) waits for in-flight writes and every
// write after it sees the new epoch.
import type { Queryable } from './db.js';

export interface Fence {
  epoch: number;
  nodeId: string;
}

export class FencedError extends Error {
  constructor(
    readonly epoch: number,
    readonly currentEpoch: number,
  ) {
    super(`leader epoch ${epoch} is stale (the current epoch is ${currentEpoch}): this node no longer leads`);
    this.name = 'FencedError';
  }
}

/** SQL for a CTE that yields one row only while `$n` is the current epoch. */
export function fenceCte(param: number): string {
  return `fence AS (SELECT epoch FROM cronkeeper_leader WHERE id = 1 AND epoch = $${param} FOR SHARE)`;
}

export async function currentEpoch(db: Queryable): Promise<number> {
  const rows = await db.query<{ epoch: number }>('SELECT epoch FROM cronkeeper_leader WHERE id = 1');
  return rows[0]?.epoch ?? 0;
}

/** Throws FencedError when `fence` is no longer the current epoch. */
export async function assertFence(db: Queryable, fence: Fence): Promise<void> {
  const epoch = await currentEpoch(db);
  if (epoch !== fence.epoch) throw new FencedError(fence.epoch, epoch);
}

/** Takes the next epoch for `nodeId` and records it as leader. Call only while holding leadership. */
export async function bumpEpoch(db: Queryable, nodeId: string): Promise<Fence> {
  const rows = await db.query<{ epoch: number }>(
    `UPDATE cronkeeper_leader SET epoch = epoch + 1, node_id = $1, since = now(), heartbeat_at = now()
     WHERE id = 1 RETURNING epoch`,
    [nodeId],
  );
  const epoch = rows[0]?.epoch;
  if (epoch === undefined) throw new Error('cronkeeper_leader has no row: the schema is not migrated');
  return { epoch, nodeId };
}
