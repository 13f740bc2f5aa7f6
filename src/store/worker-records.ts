// The workers themselves (sql/011_workers.sql): each records itself at its
// start and at every heartbeat, and says when it stops; the leader takes one
// silent for two leases as dead (dispatch/handed-attempts.ts), and status
// lists them.
import type { Queryable } from './db.js';
import { type Fence, fenceCte } from './fence.js';

/** A worker process, as it records itself. */
export interface WorkerRecord {
  workerId: string;
  pool: string;
  host: string;
  pid: number;
  concurrency: number;
}

/** Records a worker as alive now (at its start, and at each heartbeat). */
export async function recordWorker(db: Queryable, w: WorkerRecord, atMs: number): Promise<void> {
  await db.query(
    `INSERT INTO cronkeeper_workers (worker_id, pool, host, pid, concurrency, started_at, heartbeat_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = $6, stopped_at = NULL`,
    [w.workerId, w.pool, w.host, w.pid, w.concurrency, new Date(atMs).toISOString()],
  );
}

/** A worker says it stopped: the leader need not wait out its silence. */
export async function recordWorkerStopped(db: Queryable, workerId: string, atMs: number): Promise<void> {
  await db.query('UPDATE cronkeeper_workers SET stopped_at = $2 WHERE worker_id = $1', [
    workerId,
    new Date(atMs).toISOString(),
  ]);
}

/**
 * Deletes the records of workers not heard from since `beforeMs` (the ledger's
 * retention) that hold no open attempt, fenced: each restart of a worker adds
 * a record, and status and the metrics read them all. Returns how many.
 */
export async function cleanWorkerRecords(db: Queryable, fence: Fence, beforeMs: number): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH ${fenceCte(2)}, gone AS (
       DELETE FROM cronkeeper_workers w
       WHERE w.heartbeat_at < $1 AND EXISTS (SELECT 1 FROM fence)
         AND NOT EXISTS (SELECT 1 FROM cronkeeper_attempts a
                         WHERE a.worker = w.worker_id AND a.pool IS NOT NULL AND a.finished_at IS NULL)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [new Date(beforeMs).toISOString(), fence.epoch],
  );
  return rows[0]?.n ?? 0;
}

/** A worker as status shows it. */
export interface WorkerStatus extends WorkerRecord {
  startedAtMs: number;
  heartbeatAtMs: number;
  stoppedAtMs: number | null;
  /** Attempts it took and has not ended. */
  running: number;
}

/** The workers seen within `sinceMs` (UTC ms) or still running something, newest first. */
export async function readWorkers(db: Queryable, sinceMs: number): Promise<WorkerStatus[]> {
  const rows = await db.query<{
    worker_id: string;
    pool: string;
    host: string;
    pid: number;
    concurrency: number;
    started_ms: number;
    seen_ms: number;
    stopped_ms: number | null;
    running: number;
  }>(
    `SELECT w.worker_id, w.pool, w.host, w.pid, w.concurrency,
            (extract(epoch FROM w.started_at) * 1000)::float8 AS started_ms,
            (extract(epoch FROM w.heartbeat_at) * 1000)::float8 AS seen_ms,
            (extract(epoch FROM w.stopped_at) * 1000)::float8 AS stopped_ms,
            (SELECT count(*) FROM cronkeeper_attempts a
             WHERE a.worker = w.worker_id AND a.pool IS NOT NULL AND a.finished_at IS NULL)::int AS running
     FROM cronkeeper_workers w
     WHERE w.heartbeat_at >= $1 OR EXISTS (SELECT 1 FROM cronkeeper_attempts a
             WHERE a.worker = w.worker_id AND a.pool IS NOT NULL AND a.finished_at IS NULL)
     ORDER BY w.heartbeat_at DESC
     LIMIT 1000`,
    [new Date(sinceMs).toISOString()],
  );
  return rows.map((r) => ({
    workerId: r.worker_id,
    pool: r.pool,
    host: r.host,
    pid: r.pid,
    concurrency: r.concurrency,
    startedAtMs: Number(r.started_ms),
    heartbeatAtMs: Number(r.seen_ms),
    stoppedAtMs: r.stopped_ms === null ? null : Number(r.stopped_ms),
    running: r.running,
  }));
}

/**
 * What a worker is at `nowMs`: alive (a heartbeat within two leases), silent
 * (none since: dead, see dispatch/worker-liveness.ts), or stopped (it said so).
 */
export function workerState(
  w: { stoppedAtMs: number | null; heartbeatAtMs: number },
  nowMs: number,
  leaseMs: number,
): 'alive' | 'silent' | 'stopped' {
  if (w.stoppedAtMs !== null) return 'stopped';
  return nowMs - w.heartbeatAtMs > 2 * leaseMs ? 'silent' : 'alive';
}
