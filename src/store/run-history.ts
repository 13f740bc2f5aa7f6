// The run ledger as operators read it: the newest runs (`cronkeeper runs`),
// one run with its attempts (`runs show`), and each job's recent runs for the
// status document. Read-only; the claims and outcomes are ledger.ts's.
import type { Queryable } from './db.js';

export interface RunRow {
  id: number;
  job: string;
  scheduled_at: Date;
  catchup: boolean;
  /** A run asked for with `cronkeeper trigger`, outside the schedule. */
  manual: boolean;
  /** The control request (trigger or backfill) the row was claimed for. */
  control_id: number | null;
  epoch: number;
  node_id: string;
  claimed_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  outcome: string | null;
  exit_code: number | null;
  signal: string | null;
  http_status: number | null;
  duration_ms: number | null;
  error: string | null;
  /** How a successor learned the outcome when the run's daemon died first (sql/008_run_traces.sql). */
  recovery: string | null;
}

/** Ledger rows, newest first; with a range, those whose scheduled time lies in it. */
export async function listRuns(
  db: Queryable,
  options: { job?: string; limit: number; fromMs?: number; toMs?: number },
): Promise<RunRow[]> {
  return db.query<RunRow>(
    `SELECT id, job, scheduled_at, catchup, manual, control_id, epoch, node_id, claimed_at, started_at,
            finished_at, outcome, exit_code, signal, http_status, duration_ms, error, recovery
     FROM cronkeeper_runs WHERE ($1::text IS NULL OR job = $1)
       AND ($3::timestamptz IS NULL OR scheduled_at >= $3) AND ($4::timestamptz IS NULL OR scheduled_at <= $4)
     ORDER BY id DESC LIMIT $2`,
    [
      options.job ?? null,
      options.limit,
      options.fromMs === undefined ? null : new Date(options.fromMs).toISOString(),
      options.toMs === undefined ? null : new Date(options.toMs).toISOString(),
    ],
  );
}

export interface RecentRun {
  id: number;
  scheduledAt: Date;
  catchup: boolean;
  /** A manual run (cronkeeper trigger): its scheduledAt is the request time. */
  manual: boolean;
  outcome: string | null;
  started: boolean;
  durationMs: number | null;
  attempts: number;
  /** The end of the run's kept output (at most RECENT_OUTPUT_CHARS characters). */
  output: string | null;
}

const RECENT_OUTPUT_CHARS = 400;

/**
 * The newest `perJob` runs of each job, oldest first.
 *
 * Bounded by jobs × perJob whatever the ledger size (/status asks every few
 * seconds): per job, the newest slots walking the slot index backwards and
 * the newest manual runs walking cronkeeper_runs_manual (sql/007), merged and
 * cut to `perJob`. A window over every row of every job took seconds on a
 * ledger of 1,000,000 rows (BENCHMARKS.md).
 *
 * Why `(job, scheduled_at) <= (j.job, 'infinity')` and not `job = j.job`: with
 * the equality the planner drops `job` from the sort order and may walk the
 * scheduled_at index of the whole ledger backwards, filtering on the job (it
 * did with a few jobs: every row older than a rare job's newest was read).
 * The row comparison with ORDER BY job, scheduled_at can only be served by
 * the (job, scheduled_at) indexes; rows of the next job are filtered out after
 * the LIMIT.
 */
export async function readRecentRuns(
  db: Queryable,
  jobs: readonly string[],
  perJob: number,
): Promise<Map<string, RecentRun[]>> {
  const newest = (kind: string) =>
    `(SELECT job, id, scheduled_at, catchup, manual, outcome, started_at IS NOT NULL AS started, duration_ms,
             attempts, right(output_tail, $3) AS output
      FROM cronkeeper_runs
      WHERE (job, scheduled_at) <= (j.job, 'infinity') AND ${kind}
      ORDER BY job DESC, scheduled_at DESC LIMIT $2)`;
  const rows = await db.query<{
    id: number;
    job: string;
    scheduled_at: Date;
    catchup: boolean;
    manual: boolean;
    outcome: string | null;
    started: boolean;
    duration_ms: number | null;
    attempts: number;
    output: string | null;
  }>(
    `SELECT r.id, j.job, r.scheduled_at, r.catchup, r.manual, r.outcome, r.started, r.duration_ms, r.attempts,
            r.output
     FROM unnest($1::text[]) AS j(job)
     CROSS JOIN LATERAL (
       SELECT * FROM (${newest('NOT manual')} UNION ALL ${newest('manual')}) both_kinds
       WHERE job = j.job ORDER BY scheduled_at DESC LIMIT $2) r
     ORDER BY j.job, r.scheduled_at`,
    [jobs, perJob, RECENT_OUTPUT_CHARS],
  );
  const out = new Map<string, RecentRun[]>();
  for (const r of rows) {
    const list = out.get(r.job) ?? [];
    list.push({
      id: r.id,
      scheduledAt: r.scheduled_at,
      catchup: r.catchup,
      manual: r.manual,
      outcome: r.outcome,
      started: r.started,
      durationMs: r.duration_ms,
      attempts: r.attempts,
      output: r.output,
    });
    out.set(r.job, list);
  }
  return out;
}

/** A run row with every column, for `cronkeeper runs show`. */
export interface RunDetailRow extends RunRow {
  /** Attempts restarted after their node stopped mid-run (onInterrupted: rerun). */
  interrupted_attempts: number;
  /** Attempts started so far (0 on rows from before attempts were counted). */
  attempts: number;
  /** When the next attempt is due while a retry is pending. */
  next_attempt_at: Date | null;
  /** The final attempt's output tail. */
  output_tail: string | null;
}

/** One row of cronkeeper_attempts. */
export interface AttemptRow {
  run_id: number;
  /** 1 = the first run, 2 = the first retry, ... */
  attempt: number;
  epoch: number;
  node_id: string;
  /** The pool it was handed to, and the worker that ran it (runOn: <pool>); null for the leader's own. */
  pool: string | null;
  worker: string | null;
  started_at: Date;
  finished_at: Date | null;
  /** NULL while running. */
  outcome: string | null;
  exit_code: number | null;
  signal: string | null;
  http_status: number | null;
  duration_ms: number | null;
  error: string | null;
  output_tail: string | null;
}

export interface RunDetail {
  run: RunDetailRow;
  /** Ordered by attempt; empty for a run from before attempts were recorded. */
  attempts: AttemptRow[];
}

/** One run with all its columns and its attempts, or undefined when there is no run `runId`. Read-only. */
export async function readRunDetail(db: Queryable, runId: number): Promise<RunDetail | undefined> {
  const runs = await db.query<RunDetailRow>(
    `SELECT id, job, scheduled_at, catchup, manual, control_id, epoch, node_id, claimed_at, started_at,
            finished_at, outcome, exit_code, signal, http_status, duration_ms, error, recovery,
            interrupted_attempts, attempts, next_attempt_at, output_tail
     FROM cronkeeper_runs WHERE id = $1`,
    [runId],
  );
  const run = runs[0];
  if (run === undefined) return undefined;
  const attempts = await db.query<AttemptRow>(
    `SELECT run_id, attempt, epoch, node_id, pool, worker, started_at, finished_at, outcome, exit_code, signal,
            http_status, duration_ms, error, output_tail
     FROM cronkeeper_attempts WHERE run_id = $1 ORDER BY attempt`,
    [runId],
  );
  return { run, attempts };
}
