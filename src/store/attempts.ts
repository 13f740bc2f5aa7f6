// Attempts: a claimed slot is run by one or more attempts (retries), each a
// row of cronkeeper_attempts; the run row says how many were started, whether
// a retry is pending (next_attempt_at), and, once final, the outcome.
import { type OnBadRow, describeTime, rowTimeMs } from './bad-rows.js';
import type { Queryable } from './db.js';
import { type Fence, fenceCte } from './fence.js';
import type { RunOutcomeRecord } from './ledger.js';

/**
 * Starts attempt `attempt` of a run, fenced: only the leader that owns the run
 * (its epoch), only once, and only in order (attempt 1 of an unstarted run, or
 * the next attempt of a run with a retry pending). False: do not start it.
 * `catchup`: what the job is told (CRONKEEPER_CATCHUP), recorded so the ledger
 * agrees — a slot claimed by a leader that died first runs late, as catch-up.
 */
export async function startAttempt(
  db: Queryable,
  fence: Fence,
  runId: number,
  attempt: number,
  atMs: number,
  trace?: RunTrace,
  catchup?: boolean,
): Promise<boolean> {
  const rows = await db.query<{ run_id: number }>(
    `WITH ${fenceCte(3)},
     starting AS (SELECT $1::bigint AS run_id, $4::int AS attempt, $8::boolean AS catchup),
     ${START_RUN_CTE}
     INSERT INTO cronkeeper_attempts (run_id, attempt, epoch, node_id, started_at, host, spool)
     SELECT id, $4, $3, $5, $2, $6, $7 FROM run
     RETURNING run_id`,
    [
      runId,
      new Date(atMs).toISOString(),
      fence.epoch,
      attempt,
      fence.nodeId,
      trace?.host ?? null,
      trace?.spool ?? null,
      catchup ?? null,
    ],
  );
  return rows.length > 0;
}

/**
 * The run's side of starting attempts at $2 under the fence's epoch (a
 * `fence` CTE before it), for each row (run_id, attempt, catchup) of a
 * `starting` CTE before it (catchup: what the job is told, or null to keep
 * it): a CTE `run` (id, attempt) with the runs that are to start. Shared by
 * the leader's own start and the hand-offs to pools (worker-attempts.ts).
 */
export const START_RUN_CTE = `run AS (
       UPDATE cronkeeper_runs r
       SET attempts = s.attempt, next_attempt_at = NULL, started_at = coalesce(r.started_at, $2),
           catchup = coalesce(s.catchup, r.catchup)
       FROM fence, starting s
       WHERE r.id = s.run_id AND r.epoch = fence.epoch AND r.outcome IS NULL AND r.attempts = s.attempt - 1
         AND (CASE WHEN s.attempt = 1 THEN r.started_at IS NULL ELSE r.next_attempt_at IS NOT NULL END)
       RETURNING r.id, s.attempt)`;

/** Where an attempt's traces are: the host and spool root of the node that starts it. */
export interface RunTrace {
  host: string;
  spool: string;
}

/** Records the pid of an attempt's job (its process group), once it runs: evidence it was spawned. */
export async function recordSpawn(db: Queryable, runId: number, attempt: number, pid: number): Promise<void> {
  await db.query('UPDATE cronkeeper_attempts SET pid = $3 WHERE run_id = $1 AND attempt = $2', [
    runId,
    attempt,
    pid,
  ]);
}

/** The traces recorded for an attempt (null: started before traces were kept, or not a command). */
export async function readRunTrace(
  db: Queryable,
  runId: number,
  attempt: number,
): Promise<(RunTrace & { pid: number | null; epoch: number; ended: AttemptEnd | undefined }) | undefined> {
  const rows = await db.query<{
    host: string | null;
    spool: string | null;
    pid: number | null;
    epoch: number;
    finished_ms: number | null;
    outcome: string | null;
  }>(
    `SELECT host, spool, pid, epoch, (extract(epoch FROM finished_at) * 1000)::float8 AS finished_ms, outcome
     FROM cronkeeper_attempts WHERE run_id = $1 AND attempt = $2`,
    [runId, attempt],
  );
  const r = rows[0];
  if (!r || r.host === null || r.spool === null) return undefined;
  const finishedAtMs = r.finished_ms === null ? NaN : Number(r.finished_ms);
  return {
    host: r.host,
    spool: r.spool,
    pid: r.pid,
    epoch: r.epoch,
    ended:
      Number.isFinite(finishedAtMs) && r.outcome !== null ? { finishedAtMs, outcome: r.outcome } : undefined,
  };
}

/** How an attempt ended, as recorded on its row (by its own node, or by its home reporting it). */
export interface AttemptEnd {
  finishedAtMs: number;
  outcome: string;
}

/** How a successor learned what became of a run its daemon left (see sql/008_run_traces.sql). */
export type Recovery =
  | 'never-started'
  | 'adopted'
  | 'ended-unwatched'
  | 'supervisor-lost'
  | 'host-unknown'
  | 'host-lost'
  /** Not decided yet: handed back to its home, waited for (watch-remote-runs.ts). */
  | 'awaiting-home';

/**
 * Takes over a run whose attempt left no trace of having started (fenced): the
 * attempt row goes, the run is again one whose attempt `attempt` is due now,
 * and `recovery` says why. False when the row changed meanwhile.
 */
export async function resetNeverStarted(
  db: Queryable,
  fence: Fence,
  runId: number,
  attempt: number,
  atMs: number,
): Promise<boolean> {
  const rows = await db.query<{ id: number }>(
    `WITH ${fenceCte(2)},
     run AS (
       UPDATE cronkeeper_runs r
       SET epoch = fence.epoch, node_id = $3, attempts = $4 - 1, recovery = 'never-started',
           started_at = CASE WHEN $4 = 1 THEN NULL ELSE r.started_at END,
           next_attempt_at = CASE WHEN $4 = 1 THEN NULL ELSE $5::timestamptz END
       FROM fence
       WHERE r.id = $1 AND r.outcome IS NULL AND r.epoch < fence.epoch AND r.attempts = $4
       RETURNING r.id),
     gone AS (DELETE FROM cronkeeper_attempts a USING run WHERE a.run_id = run.id AND a.attempt = $4)
     SELECT id FROM run`,
    [runId, fence.epoch, fence.nodeId, attempt, new Date(atMs).toISOString()],
  );
  return rows.length > 0;
}

/** Records how a successor learned a run's fate (see Recovery). */
export async function recordRecovery(db: Queryable, runId: number, recovery: Recovery): Promise<void> {
  await db.query('UPDATE cronkeeper_runs SET recovery = $2 WHERE id = $1', [runId, recovery]);
}

export interface AttemptResult extends RunOutcomeRecord {
  outputTail: string | null;
}

/** Records how an attempt ended. */
export async function finishAttempt(
  db: Queryable,
  runId: number,
  attempt: number,
  atMs: number,
  r: AttemptResult,
): Promise<void> {
  await db.query(
    `UPDATE cronkeeper_attempts
     SET finished_at = $3, outcome = $4, exit_code = $5, signal = $6, http_status = $7, duration_ms = $8,
         error = $9, output_tail = $10
     WHERE run_id = $1 AND attempt = $2`,
    [
      runId,
      attempt,
      new Date(atMs).toISOString(),
      r.outcome,
      r.exitCode,
      r.signal,
      r.httpStatus,
      r.durationMs,
      r.error,
      r.outputTail,
    ],
  );
}

/** Marks a retry of the run as pending at `atMs` (UTC ms). Fenced; false when no longer ours. */
export async function scheduleRetry(
  db: Queryable,
  fence: Fence,
  runId: number,
  atMs: number,
): Promise<boolean> {
  const rows = await db.query<{ id: number }>(
    `WITH ${fenceCte(3)}
     UPDATE cronkeeper_runs r SET next_attempt_at = $2 FROM fence
     WHERE r.id = $1 AND r.epoch = fence.epoch AND r.outcome IS NULL
     RETURNING r.id`,
    [runId, new Date(atMs).toISOString(), fence.epoch],
  );
  return rows.length > 0;
}

/** Records the final outcome of a run (after its last attempt), with that attempt's output tail. */
export async function finishRun(db: Queryable, runId: number, atMs: number, r: AttemptResult): Promise<void> {
  await db.query(
    `UPDATE cronkeeper_runs
     SET finished_at = $2, outcome = $3, exit_code = $4, signal = $5, http_status = $6, duration_ms = $7,
         error = $8, output_tail = $9, next_attempt_at = NULL
     WHERE id = $1`,
    [
      runId,
      new Date(atMs).toISOString(),
      r.outcome,
      r.exitCode,
      r.signal,
      r.httpStatus,
      r.durationMs,
      r.error,
      r.outputTail,
    ],
  );
}

/** Records a claimed slot that was never run, and why (overlap, a pause, a catch-up policy). */
export function recordSkipped(db: Queryable, runId: number, atMs: number, why: string): Promise<void> {
  return finishRun(db, runId, atMs, {
    outcome: 'skipped',
    exitCode: null,
    signal: null,
    httpStatus: null,
    durationMs: null,
    error: why,
    outputTail: null,
  });
}

export interface UnfinishedRun {
  runId: number;
  job: string;
  scheduledAtMs: number;
  catchup: boolean;
  /** Attempts started (0: never started). */
  attempts: number;
  /** True when an attempt had started (legacy rows: started_at without attempts). */
  started: boolean;
  /** When a pending retry is due (UTC ms), if one is. */
  nextAttemptAtMs: number | undefined;
  epoch: number;
  nodeId: string;
  /** The control request (trigger or backfill) it was claimed for: an operator asked for this run. */
  controlId: number | undefined;
  /** A manual run (cronkeeper trigger), not a slot. */
  manual: boolean;
  /** Why the row cannot be run (its scheduled_at is no instant); then scheduledAtMs is 0. */
  problem?: string;
}

/**
 * Runs with no outcome claimed under an older epoch: their node stopped before
 * finishing them. A scheduled_at that is no instant makes the run's `problem`;
 * a pending retry's time that is no instant is clamped to "due now" (0) and
 * reported to `onBad`.
 */
export async function readUnfinishedRuns(
  db: Queryable,
  beforeEpoch: number,
  onBad?: OnBadRow,
): Promise<UnfinishedRun[]> {
  const rows = await db.query<{
    id: number;
    job: string;
    scheduled_at: Date;
    catchup: boolean;
    attempts: number;
    started_at: Date | null;
    next_attempt_at: Date | null;
    epoch: number;
    node_id: string;
    control_id: number | null;
    manual: boolean;
  }>(
    `SELECT id, job, scheduled_at, catchup, attempts, started_at, next_attempt_at, epoch, node_id, control_id, manual
     FROM cronkeeper_runs WHERE outcome IS NULL AND epoch < $1 ORDER BY id`,
    [beforeEpoch],
  );
  return rows.map((r) => {
    const scheduledAtMs = rowTimeMs(r.scheduled_at);
    let nextAttemptAtMs = r.next_attempt_at === null ? undefined : rowTimeMs(r.next_attempt_at);
    if (r.next_attempt_at !== null && nextAttemptAtMs === undefined) {
      nextAttemptAtMs = 0;
      const problem = `next_attempt_at is ${describeTime(r.next_attempt_at)}: the pending retry is due now`;
      onBad?.({ table: 'cronkeeper_runs', key: String(r.id), problem });
    }
    const run: UnfinishedRun = {
      runId: r.id,
      job: r.job,
      scheduledAtMs: scheduledAtMs ?? 0,
      catchup: r.catchup,
      attempts: r.attempts,
      started: r.started_at !== null,
      nextAttemptAtMs,
      epoch: r.epoch,
      nodeId: r.node_id,
      controlId: r.control_id ?? undefined,
      manual: r.manual,
    };
    if (scheduledAtMs === undefined)
      run.problem = `its scheduled_at is ${describeTime(r.scheduled_at)}, no instant`;
    return run;
  });
}

/**
 * Carries runs this node started under an earlier term of its own, and that are
 * still running here, into its current term (fenced): they are not interrupted,
 * they go on and are recorded when they end. Returns the ids carried over.
 */
export async function carryOverRuns(
  db: Queryable,
  fence: Fence,
  runIds: readonly number[],
): Promise<number[]> {
  if (runIds.length === 0) return [];
  const rows = await db.query<{ id: number }>(
    `WITH ${fenceCte(2)}
     UPDATE cronkeeper_runs r SET epoch = fence.epoch, node_id = $3 FROM fence
     WHERE r.id = ANY($1::bigint[]) AND r.outcome IS NULL AND r.epoch < fence.epoch
     RETURNING r.id`,
    [runIds, fence.epoch, fence.nodeId],
  );
  return rows.map((r) => r.id);
}

/**
 * Takes an unfinished run of an earlier leader over (fenced): this leader then
 * owns its next attempt. An attempt that was in progress is recorded as
 * interrupted; with `retryInterrupted` a retry is made pending now, else the
 * caller records the run as interrupted. False when the row changed meanwhile.
 */
export async function adoptUnfinishedRun(
  db: Queryable,
  fence: Fence,
  run: UnfinishedRun,
  atMs: number,
  options: { retryInterrupted: boolean },
): Promise<boolean> {
  const inProgress = run.started && run.nextAttemptAtMs === undefined;
  const rows = await db.query<{ id: number }>(
    `WITH ${fenceCte(2)}
     UPDATE cronkeeper_runs r
     SET epoch = fence.epoch, node_id = $3,
         next_attempt_at = CASE WHEN $5::boolean AND $6::boolean THEN $4::timestamptz ELSE r.next_attempt_at END,
         interrupted_attempts = r.interrupted_attempts + (CASE WHEN $5::boolean THEN 1 ELSE 0 END),
         -- A legacy row (started before attempts were counted) had one attempt.
         attempts = greatest(r.attempts, CASE WHEN r.started_at IS NULL THEN 0 ELSE 1 END)
     FROM fence
     WHERE r.id = $1 AND r.outcome IS NULL AND r.epoch < fence.epoch
     RETURNING r.id`,
    [
      run.runId,
      fence.epoch,
      fence.nodeId,
      new Date(atMs).toISOString(),
      inProgress,
      options.retryInterrupted,
    ],
  );
  if (rows.length === 0) return false;
  if (inProgress) {
    await db.query(
      `UPDATE cronkeeper_attempts SET outcome = 'interrupted', finished_at = $2,
         error = 'its node stopped before the attempt finished'
       WHERE run_id = $1 AND outcome IS NULL`,
      [run.runId, new Date(atMs).toISOString()],
    );
  }
  return true;
}
