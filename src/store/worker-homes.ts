// A worker's home: its host and the spool its command runs are supervised in
// (one per pool on a host). A worker's runs outlive it there, and the next
// worker of the pool on that host takes over what a dead one left: still
// running → followed to its end; ended meanwhile → its end recorded; never
// started → run. The leader waits for that before it calls such a run
// interrupted (dispatch/handed-attempts.ts).
import type { ClaimedSlot } from '../schedule/slot.js';
import type { Queryable } from './db.js';
import { slotOfRow } from './ledger.js';
import { type AttemptKey, removeQueueJob } from './worker-attempts.js';

export interface WorkerHome {
  host: string;
  spool: string;
  pool: string;
}

/** An open attempt of a home, taken by another worker, with what that worker last said of itself. */
export interface LeftAttempt extends AttemptKey {
  slot: ClaimedSlot;
  /** The handing leader's epoch and node (the job is told them; the spool's name has the epoch). */
  epoch: number;
  nodeId: string;
  worker: string;
  /** The job's pid once spawned (evidence it ran). */
  jobPid: number | null;
  /** The worker's record; all null when it has none. */
  workerPid: number | null;
  workerHost: string | null;
  workerSeenAtMs: number | null;
  workerStopped: boolean;
}

/** The open attempts of `home` taken by workers other than `me`, oldest first. */
export async function readLeftAttempts(db: Queryable, home: WorkerHome, me: string): Promise<LeftAttempt[]> {
  const rows = await db.query<{
    id: number;
    job: string;
    at_ms: number;
    catchup: boolean;
    manual: boolean;
    control_id: number | null;
    attempt: number;
    epoch: number;
    node_id: string;
    worker: string;
    job_pid: number | null;
    worker_pid: number | null;
    worker_host: string | null;
    seen_ms: number | null;
    stopped: boolean | null;
  }>(
    `SELECT r.id, r.job, (extract(epoch FROM r.scheduled_at) * 1000)::float8 AS at_ms, r.catchup, r.manual,
            r.control_id, a.attempt, a.epoch, a.node_id, a.worker, a.pid AS job_pid, w.pid AS worker_pid,
            w.host AS worker_host, (extract(epoch FROM w.heartbeat_at) * 1000)::float8 AS seen_ms,
            w.stopped_at IS NOT NULL AS stopped
     FROM cronkeeper_attempts a
     JOIN cronkeeper_runs r ON r.id = a.run_id
     LEFT JOIN cronkeeper_workers w ON w.worker_id = a.worker
     WHERE a.pool = $1 AND a.finished_at IS NULL AND a.worker IS NOT NULL AND a.worker <> $2
       AND a.host = $3 AND a.spool = $4 AND r.outcome IS NULL
     ORDER BY r.id, a.attempt`,
    [home.pool, me, home.host, home.spool],
  );
  return rows
    .filter((r) => Number.isFinite(Number(r.at_ms)))
    .map((r) => ({
      runId: Number(r.id),
      attempt: r.attempt,
      slot: slotOfRow(r),
      epoch: Number(r.epoch),
      nodeId: r.node_id,
      worker: r.worker,
      jobPid: r.job_pid,
      workerPid: r.worker_pid,
      workerHost: r.worker_host,
      workerSeenAtMs: r.seen_ms === null ? null : Number(r.seen_ms),
      workerStopped: r.stopped === true,
    }));
}

/**
 * Worker `to` takes over an open attempt from `from`, which is dead: only one
 * worker can, and only while the attempt is open and still `from`'s. Its job
 * leaves the queue (the dead worker's lock on it would hold for hours). False:
 * taken over by another, or ended meanwhile.
 */
export async function adoptAttempt(
  db: Queryable,
  key: AttemptKey,
  from: string,
  to: string,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE cronkeeper_attempts SET worker = $4
     WHERE run_id = $1 AND attempt = $2 AND worker = $3 AND finished_at IS NULL
     RETURNING run_id`,
    [key.runId, key.attempt, from, to],
  );
  if (rows.length === 0) return false;
  await removeQueueJob(db, key);
  return true;
}
