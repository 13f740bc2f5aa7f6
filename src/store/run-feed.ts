// Reads for `cronkeeper logs` and `runs --follow`: a job's newest runs with
// their kept output, and what changed in the ledger since the last look —
// each by the primary key or the (job, scheduled_at) indexes, so neither
// grows with the ledger.
import type { Queryable } from './db.js';

export interface FeedRun {
  id: number;
  job: string;
  scheduledAt: Date;
  catchup: boolean;
  manual: boolean;
  controlId: number | null;
  nodeId: string;
  startedAt: Date | null;
  outcome: string | null;
  exitCode: number | null;
  durationMs: number | null;
  error: string | null;
  outputTail: string | null;
}

const COLUMNS = `id, job, scheduled_at, catchup, manual, control_id, node_id, started_at, outcome, exit_code,
  duration_ms, error, output_tail`;

interface Row {
  id: string | number;
  job: string;
  scheduled_at: Date;
  catchup: boolean;
  manual: boolean;
  control_id: string | number | null;
  node_id: string;
  started_at: Date | null;
  outcome: string | null;
  exit_code: number | null;
  duration_ms: number | null;
  error: string | null;
  output_tail: string | null;
}

function toRun(r: Row): FeedRun {
  return {
    id: Number(r.id),
    job: r.job,
    scheduledAt: r.scheduled_at,
    catchup: r.catchup,
    manual: r.manual,
    controlId: r.control_id === null ? null : Number(r.control_id),
    nodeId: r.node_id,
    startedAt: r.started_at,
    outcome: r.outcome,
    exitCode: r.exit_code,
    durationMs: r.duration_ms,
    error: r.error,
    outputTail: r.output_tail,
  };
}

/** The job's newest `n` runs (slots and manual runs), oldest first. */
export async function readNewestRuns(db: Queryable, job: string, n: number): Promise<FeedRun[]> {
  const newest = (kind: string) =>
    `(SELECT ${COLUMNS} FROM cronkeeper_runs WHERE job = $1 AND ${kind} ORDER BY scheduled_at DESC LIMIT $2)`;
  const rows = await db.query<Row>(
    `SELECT * FROM (SELECT * FROM (${newest('NOT manual')} UNION ALL ${newest('manual')}) both_kinds
       ORDER BY scheduled_at DESC LIMIT $2) newest ORDER BY scheduled_at, id`,
    [job, n],
  );
  return rows.map(toRun);
}

/** Runs claimed after `afterId`, and the runs of `open` as they stand now; by id. */
export async function readRunChanges(
  db: Queryable,
  afterId: number,
  open: readonly number[],
  job: string | undefined,
  limit: number,
): Promise<FeedRun[]> {
  const rows = await db.query<Row>(
    `SELECT ${COLUMNS} FROM (
       (SELECT ${COLUMNS} FROM cronkeeper_runs WHERE id > $1 ORDER BY id LIMIT $4)
       UNION
       SELECT ${COLUMNS} FROM cronkeeper_runs WHERE id = ANY($2::bigint[])) r
     WHERE $3::text IS NULL OR job = $3
     ORDER BY id`,
    [afterId, open, job ?? null, limit],
  );
  return rows.map(toRun);
}

/** The newest run id, the starting point of a follow. */
export async function newestRunId(db: Queryable): Promise<number> {
  const rows = await db.query<{ id: string | null }>('SELECT max(id) AS id FROM cronkeeper_runs');
  return Number(rows[0]?.id ?? 0);
}
