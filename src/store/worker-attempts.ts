// The ledger's side of workers (sql/011_workers.sql). The leader hands an
// attempt of a `runOn: <pool>` job to the pool's queue (graphile-worker, in
// the same statement that records the attempt: both or neither); a worker of
// the pool takes it (once: the first to set itself on the attempt), runs it
// and writes its end; the leader follows the attempt's row and records the
// run as it records its own. A worker that falls silent is found dead by the
// leader, which ends its attempts as interrupted.
import type { ClaimedSlot } from '../schedule/slot.js';
import { type AttemptResult, START_RUN_CTE } from './attempts.js';
import type { Queryable } from './db.js';
import { type Fence, fenceCte } from './fence.js';
import { slotOfRow } from './ledger.js';

/** The channel a worker notifies on when it writes an attempt's end (payload: runId:attempt). */
export const ATTEMPT_END_CHANNEL = 'cronkeeper_attempt_end';

/** An attempt of a run, by its ledger keys. */
export interface AttemptKey {
  runId: number;
  attempt: number;
}

/** graphile-worker's task name for a pool: a worker of the pool asks for its own only. */
export function poolTask(pool: string): string {
  return `cronkeeper/${pool}`;
}

/** The queue's key of a handed attempt: one job per attempt, whatever is retried. */
export function queueJobKey(key: AttemptKey): string {
  return `cronkeeper:${key.runId}:${key.attempt}`;
}

/** An attempt to hand to a pool's queue. */
export interface HandOff extends AttemptKey {
  pool: string;
  /** What the job is told (CRONKEEPER_CATCHUP). */
  catchup: boolean;
}

/**
 * Hands attempts to their pools, fenced as startAttempt is (only the leader
 * that owns each run, only once, in order), all in one statement: each
 * attempt's row (its pool, no worker yet) and the queue's job for it are
 * written together, so both are there or neither. Answers, per hand-off in
 * order, whether it was handed (false: no longer ours).
 */
export async function handOffAttempts(
  db: Queryable,
  fence: Fence,
  handOffs: readonly HandOff[],
  atMs: number,
): Promise<boolean[]> {
  if (handOffs.length === 0) return [];
  const rows = await db.query<{ run_id: string; attempt: number }>(
    `WITH ${fenceCte(3)},
     starting AS (
       SELECT * FROM unnest($1::bigint[], $4::int[], $6::boolean[], $7::text[], $8::text[], $9::text[])
         AS s(run_id, attempt, catchup, pool, task, job_key)),
     ${START_RUN_CTE},
     attempt AS (
       INSERT INTO cronkeeper_attempts (run_id, attempt, epoch, node_id, started_at, pool)
       SELECT run.id, run.attempt, $3, $5, $2, s.pool FROM run JOIN starting s ON s.run_id = run.id
       RETURNING run_id, attempt),
     queued AS (
       SELECT 1 FROM graphile_worker.add_jobs((
         SELECT array_agg(ROW(s.task, json_build_object('runId', a.run_id, 'attempt', a.attempt), NULL, NULL, 25,
                              s.job_key, NULL, NULL)::graphile_worker.job_spec)
         FROM attempt a JOIN starting s ON s.run_id = a.run_id)))
     SELECT run_id::text, attempt FROM attempt WHERE (SELECT count(*) FROM queued) >= 0`,
    [
      handOffs.map((h) => h.runId),
      new Date(atMs).toISOString(),
      fence.epoch,
      handOffs.map((h) => h.attempt),
      fence.nodeId,
      handOffs.map((h) => h.catchup),
      handOffs.map((h) => h.pool),
      handOffs.map((h) => poolTask(h.pool)),
      handOffs.map((h) => queueJobKey(h)),
    ],
  );
  const handed = new Set(rows.map((r) => `${r.run_id}:${r.attempt}`));
  return handOffs.map((h) => handed.has(`${h.runId}:${h.attempt}`));
}

/** What a worker needs to run an attempt it took. */
export interface TakenAttempt {
  slot: ClaimedSlot;
  attempt: number;
  /** The leader's epoch and node that handed it (the job is told them). */
  epoch: number;
  nodeId: string;
}

/** The worker taking an attempt, and where its traces go. */
export interface WorkerTrace {
  workerId: string;
  pool: string;
  host: string;
  spool: string;
}

/**
 * A worker takes a handed attempt: only the first worker, only while the
 * attempt and its run are open. An attempt of a job paused since it was
 * handed is not started (unless an operator's backfill asked for it): it ends
 * as skipped, and the leader is told. Undefined: not to run (taken by
 * another, ended, skipped, or gone with the run's row).
 */
export async function takeAttempt(
  db: Queryable,
  key: AttemptKey,
  worker: WorkerTrace,
  atMs: number,
): Promise<TakenAttempt | undefined> {
  const rows = await db.query<{
    id: number;
    job: string;
    at_ms: number;
    catchup: boolean;
    manual: boolean;
    control_id: number | null;
    epoch: number;
    node_id: string;
  }>(
    `WITH open AS (
       SELECT a.run_id, (r.control_id IS NULL AND EXISTS (
                SELECT 1 FROM cronkeeper_job_controls c WHERE c.job = r.job AND c.paused)) AS paused
       FROM cronkeeper_attempts a JOIN cronkeeper_runs r ON r.id = a.run_id
       WHERE a.run_id = $1 AND a.attempt = $2 AND a.pool = $4 AND a.worker IS NULL AND a.finished_at IS NULL
         AND r.outcome IS NULL),
     skipped AS (
       UPDATE cronkeeper_attempts a SET finished_at = $7, outcome = 'skipped', error = $8
       FROM open WHERE open.paused AND a.run_id = open.run_id AND a.attempt = $2
       RETURNING pg_notify($9, a.run_id || ':' || a.attempt)),
     taken AS (
       UPDATE cronkeeper_attempts a
       SET worker = $3, host = $5, spool = $6, started_at = $7
       FROM open WHERE NOT open.paused AND a.run_id = open.run_id AND a.attempt = $2
       RETURNING a.run_id, a.epoch, a.node_id)
     SELECT r.id, r.job, (extract(epoch FROM r.scheduled_at) * 1000)::float8 AS at_ms, r.catchup, r.manual,
            r.control_id, t.epoch, t.node_id
     FROM taken t JOIN cronkeeper_runs r ON r.id = t.run_id`,
    [
      key.runId,
      key.attempt,
      worker.workerId,
      worker.pool,
      worker.host,
      worker.spool,
      new Date(atMs).toISOString(),
      PAUSED_BEFORE_START,
      ATTEMPT_END_CHANNEL,
    ],
  );
  const r = rows[0];
  if (!r || !Number.isFinite(Number(r.at_ms))) return undefined;
  return {
    slot: slotOfRow(r),
    attempt: key.attempt,
    epoch: Number(r.epoch),
    nodeId: r.node_id,
  };
}

/** Why a handed attempt ended skipped. */
export const PAUSED_BEFORE_START = 'the job was paused before a worker started the run';

/**
 * A worker records how an attempt it took ended, and notifies the leader.
 * Only its own and only once: an attempt the leader ended meanwhile (the
 * worker was found dead) keeps the leader's end. False then.
 */
export async function finishWorkerAttempt(
  db: Queryable,
  key: AttemptKey,
  workerId: string,
  atMs: number,
  r: AttemptResult,
): Promise<boolean> {
  const rows = await db.query<{ n: number }>(
    `WITH ended AS (
       UPDATE cronkeeper_attempts
       SET finished_at = $4, outcome = $5, exit_code = $6, signal = $7, http_status = $8, duration_ms = $9,
           error = $10, output_tail = $11
       WHERE run_id = $1 AND attempt = $2 AND worker = $3 AND finished_at IS NULL
       RETURNING run_id, attempt),
     told AS (SELECT pg_notify($12, run_id || ':' || attempt) FROM ended)
     SELECT (SELECT count(*) FROM ended)::int AS n, (SELECT count(*) FROM told)::int AS told`,
    [
      key.runId,
      key.attempt,
      workerId,
      new Date(atMs).toISOString(),
      r.outcome,
      r.exitCode,
      r.signal,
      r.httpStatus,
      r.durationMs,
      r.error,
      r.outputTail,
      ATTEMPT_END_CHANNEL,
    ],
  );
  return (rows[0]?.n ?? 0) > 0;
}

/** What the leader follows of an attempt it handed to a pool. */
export interface HandedAttemptState extends AttemptKey {
  /** The pool it was handed to; null for an attempt the leader ran itself. */
  pool: string | null;
  /** The worker that took it, and its host; null while it waits in the queue. */
  worker: string | null;
  host: string | null;
  /** When it was handed, then (once taken) when its worker started it (UTC ms). */
  startedAtMs: number;
  /** Set once its end is written (by its worker, or by the leader for a dead worker). */
  end: (AttemptResult & { finishedAtMs: number }) | undefined;
  /** The worker's last heartbeat (UTC ms), and whether it said it stopped. */
  workerSeenAtMs: number | null;
  workerStopped: boolean;
}

/** The rows of handed attempts, by their keys (those gone with their runs are left out). */
export async function readHandedAttempts(
  db: Queryable,
  keys: readonly AttemptKey[],
): Promise<HandedAttemptState[]> {
  if (keys.length === 0) return [];
  const rows = await db.query<{
    run_id: number;
    attempt: number;
    pool: string | null;
    worker: string | null;
    host: string | null;
    started_ms: number;
    finished_ms: number | null;
    outcome: string | null;
    exit_code: number | null;
    signal: string | null;
    http_status: number | null;
    duration_ms: number | null;
    error: string | null;
    output_tail: string | null;
    seen_ms: number | null;
    stopped: boolean | null;
  }>(
    `SELECT a.run_id, a.attempt, a.pool, a.worker, a.host, (extract(epoch FROM a.started_at) * 1000)::float8 AS started_ms,
            (extract(epoch FROM a.finished_at) * 1000)::float8 AS finished_ms,
            a.outcome, a.exit_code, a.signal, a.http_status, a.duration_ms, a.error, a.output_tail,
            (extract(epoch FROM w.heartbeat_at) * 1000)::float8 AS seen_ms, w.stopped_at IS NOT NULL AS stopped
     FROM unnest($1::int8[], $2::int4[]) AS k(run_id, attempt)
     JOIN cronkeeper_attempts a ON a.run_id = k.run_id AND a.attempt = k.attempt
     LEFT JOIN cronkeeper_workers w ON w.worker_id = a.worker`,
    [keys.map((k) => k.runId), keys.map((k) => k.attempt)],
  );
  return rows.map((r) => {
    const finishedAtMs = r.finished_ms === null ? NaN : Number(r.finished_ms);
    return {
      runId: Number(r.run_id),
      attempt: r.attempt,
      pool: r.pool,
      worker: r.worker,
      host: r.host,
      startedAtMs: Number(r.started_ms),
      end:
        Number.isFinite(finishedAtMs) && r.outcome !== null
          ? {
              finishedAtMs,
              outcome: r.outcome,
              exitCode: r.exit_code,
              signal: r.signal,
              httpStatus: r.http_status,
              durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
              error: r.error,
              outputTail: r.output_tail,
            }
          : undefined,
      workerSeenAtMs: r.seen_ms === null ? null : Number(r.seen_ms),
      workerStopped: r.stopped === true,
    };
  });
}

/**
 * The leader ends an attempt whose worker is dead and that no worker of its
 * home took over within ha.hostWait (dispatch/worker-liveness.ts):
 * interrupted, as a lost supervisor is. Its job leaves the queue. False when
 * it ended, or was taken over, meanwhile.
 */
export async function endLostAttempt(
  db: Queryable,
  key: AttemptKey,
  worker: string,
  atMs: number,
  why: string,
): Promise<boolean> {
  const rows = await db.query<{ run_id: number }>(
    `UPDATE cronkeeper_attempts
     SET finished_at = $4, outcome = 'interrupted', error = $5
     WHERE run_id = $1 AND attempt = $2 AND worker = $3 AND finished_at IS NULL
     RETURNING run_id`,
    [key.runId, key.attempt, worker, new Date(atMs).toISOString(), why],
  );
  if (rows.length === 0) return false;
  await removeQueueJob(db, key);
  return true;
}

/**
 * The queue workers (graphile-worker's ids) that locked the queue jobs of
 * untaken attempts more than `olderThanMs` ago: a worker killed between
 * graphile-worker's lock and its take in the ledger (which takes
 * milliseconds) leaves the job locked for graphile-worker's four hours.
 */
export async function readStaleQueueLockers(
  db: Queryable,
  keys: readonly AttemptKey[],
  olderThanMs: number,
): Promise<string[]> {
  if (keys.length === 0) return [];
  const rows = await db.query<{ locked_by: string }>(
    `SELECT DISTINCT j.locked_by FROM graphile_worker.jobs j
     WHERE j.key = ANY($1::text[]) AND j.locked_by IS NOT NULL
       AND j.locked_at < now() - make_interval(secs => $2::float8 / 1000)`,
    [keys.map(queueJobKey), olderThanMs],
  );
  return rows.map((r) => r.locked_by);
}

/**
 * Frees every queue job those queue workers locked (graphile-worker's
 * force_unlock_workers). Harmless under a queue worker that lives after all:
 * only one worker can take an attempt in the ledger.
 */
export async function unlockQueueWorkers(db: Queryable, lockers: readonly string[]): Promise<void> {
  if (lockers.length > 0)
    await db.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [lockers]);
}

/** Removes a handed attempt's job from the queue, wherever it is (a dead worker's lock is no matter). */
export async function removeQueueJob(db: Queryable, key: AttemptKey): Promise<void> {
  await db.query(
    `SELECT graphile_worker.complete_jobs(ARRAY(SELECT id FROM graphile_worker.jobs WHERE key = $1))`,
    [queueJobKey(key)],
  );
}

/**
 * The run of an attempt interrupted by its worker's death, fenced: with
 * `rerun` a retry is made pending now (the next attempt), else the run is
 * recorded as interrupted. False when the run is no longer this leader's.
 */
export async function interruptRun(
  db: Queryable,
  fence: Fence,
  runId: number,
  atMs: number,
  rerun: boolean,
  why: string,
): Promise<boolean> {
  const rows = await db.query<{ id: number }>(
    `WITH ${fenceCte(3)}
     UPDATE cronkeeper_runs r
     SET interrupted_attempts = r.interrupted_attempts + 1,
         next_attempt_at = CASE WHEN $4::boolean THEN $2::timestamptz ELSE NULL END,
         outcome = CASE WHEN $4::boolean THEN NULL ELSE 'interrupted' END,
         finished_at = CASE WHEN $4::boolean THEN NULL ELSE $2::timestamptz END,
         error = CASE WHEN $4::boolean THEN r.error ELSE $5 END
     FROM fence WHERE r.id = $1 AND r.epoch = fence.epoch AND r.outcome IS NULL
     RETURNING r.id`,
    [runId, new Date(atMs).toISOString(), fence.epoch, rerun, why],
  );
  return rows.length > 0;
}
