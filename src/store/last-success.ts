// What freshness (maxAge) is judged on, read from the run ledger: per job its
// newest successful run and its oldest row. Read-only.
import { rowTimeMs } from './bad-rows.js';
import type { Queryable } from './db.js';

/** Per job; times are UTC epoch ms, undefined when the ledger has none. */
export interface SuccessFacts {
  /** Scheduled time of the newest run with outcome success (a manual run: its request time). */
  lastSuccessMs: number | undefined;
  /** Scheduled time of the job's oldest ledger row (slot or manual run). */
  firstRowMs: number | undefined;
}

/**
 * The facts of the `jobs` that have any: a job with no ledger row is absent
 * (a term start asks for 100,000 jobs; a new store holds none, and 100,000
 * rows of nulls were 100,000 objects for nothing). Times travel as epoch ms
 * (whole: a manual run's time has microseconds).
 *
 * One statement, a few index probes per job rather than a scan of the ledger:
 * slots through the (job, scheduled_at) slot index (newest success walking
 * back from the newest slot, the oldest slot as its first row); manual runs,
 * which that partial index leaves out, through the control_id index (every
 * manual run has its trigger's control_id).
 */
export async function readSuccessFacts(
  db: Queryable,
  jobs: readonly string[],
): Promise<Map<string, SuccessFacts>> {
  // GREATEST and LEAST skip NULLs: NULL only when both are.
  const rows = await db.query<{ job: string; last_success: number | null; first_row: number | null }>(
    `SELECT job, floor(extract(epoch FROM last_success) * 1000)::float8 AS last_success,
            floor(extract(epoch FROM first_row) * 1000)::float8 AS first_row
     FROM (
     SELECT j.job, GREATEST(s.scheduled_at, m.success) AS last_success,
            LEAST(f.scheduled_at, m.first) AS first_row
     FROM unnest($1::text[]) AS j(job)
     LEFT JOIN LATERAL (
       SELECT r.scheduled_at FROM cronkeeper_runs r
       WHERE r.job = j.job AND NOT r.manual AND r.outcome = 'success'
       ORDER BY r.scheduled_at DESC LIMIT 1) s ON true
     LEFT JOIN LATERAL (
       SELECT r.scheduled_at FROM cronkeeper_runs r
       WHERE r.job = j.job AND NOT r.manual
       ORDER BY r.scheduled_at LIMIT 1) f ON true
     LEFT JOIN LATERAL (
       SELECT max(r.scheduled_at) FILTER (WHERE r.outcome = 'success') AS success, min(r.scheduled_at) AS first
       FROM cronkeeper_runs r
       WHERE r.control_id IS NOT NULL AND r.manual AND r.job = j.job) m ON true
     ) facts
     WHERE first_row IS NOT NULL`,
    [jobs],
  );
  const out = new Map<string, SuccessFacts>();
  for (const r of rows) {
    // A row of 'infinity' (a bad row) gives ±Infinity here: no time to judge freshness by.
    out.set(r.job, { lastSuccessMs: rowTimeMs(r.last_success), firstRowMs: rowTimeMs(r.first_row) });
  }
  return out;
}
