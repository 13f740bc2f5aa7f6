// Stopping runs handed to workers: the leader asks the worker of an attempt
// to stop it (overlap: replace), and a pause ends the attempts no worker took
// yet (a worker that takes one later finds it ended).
import type { Queryable } from './db.js';
import { ATTEMPT_END_CHANNEL, type AttemptKey, PAUSED_BEFORE_START } from './worker-attempts.js';

/** The channel the leader notifies on when it asks a worker to stop an attempt (payload: runId:attempt). */
export const ATTEMPT_STOP_CHANNEL = 'cronkeeper_attempt_stop';

/**
 * Asks the worker of an attempt to stop it (overlap: replace), and tells the
 * workers; one no worker took yet is stopped here and then (no worker takes
 * an ended attempt).
 */
export async function requestStop(db: Queryable, key: AttemptKey, atMs: number): Promise<void> {
  await db.query(
    `WITH asked AS (
       UPDATE cronkeeper_attempts
       SET stop_requested_at = $3,
           finished_at = CASE WHEN worker IS NULL THEN $3 ELSE finished_at END,
           outcome = CASE WHEN worker IS NULL THEN 'stopped' ELSE outcome END,
           error = CASE WHEN worker IS NULL THEN 'stopped before a worker took it' ELSE error END
       WHERE run_id = $1 AND attempt = $2 AND finished_at IS NULL AND stop_requested_at IS NULL
       RETURNING run_id)
     SELECT pg_notify($4, '') FROM asked`,
    [key.runId, key.attempt, new Date(atMs).toISOString(), ATTEMPT_STOP_CHANNEL],
  );
}

/** The attempts `workerId` runs whose stop the leader asked for. */
export async function readStopRequests(db: Queryable, workerId: string): Promise<AttemptKey[]> {
  const rows = await db.query<{ run_id: number; attempt: number }>(
    `SELECT run_id, attempt FROM cronkeeper_attempts
     WHERE worker = $1 AND pool IS NOT NULL AND finished_at IS NULL AND stop_requested_at IS NOT NULL`,
    [workerId],
  );
  return rows.map((r) => ({ runId: Number(r.run_id), attempt: r.attempt }));
}

/**
 * A job is paused: its handed attempts that no worker took yet end as
 * skipped (an operator's backfill excepted), and the leader is told. Returns
 * how many.
 */
export async function skipQueuedAttempts(db: Queryable, job: string, atMs: number): Promise<number> {
  const rows = await db.query(
    `UPDATE cronkeeper_attempts a SET finished_at = $2, outcome = 'skipped', error = $3
     FROM cronkeeper_runs r
     WHERE r.id = a.run_id AND r.job = $1 AND r.control_id IS NULL AND r.outcome IS NULL
       AND a.pool IS NOT NULL AND a.worker IS NULL AND a.finished_at IS NULL
     RETURNING pg_notify($4, a.run_id || ':' || a.attempt)`,
    [job, new Date(atMs).toISOString(), PAUSED_BEFORE_START, ATTEMPT_END_CHANNEL],
  );
  return rows.length;
}
