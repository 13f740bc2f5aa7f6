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
  /** Whether a scheduled slot of the job (not a manual run) is in the ledger: it ran. */
  slotRan: boolean;
}

/**
 * The facts of the `jobs` that have any: a job with no ledger row is absent
 * (a term start asks for 100,000 jobs; a new store holds none, and 100,000
 * rows of nulls were 100,000 objects for nothing). Times travel as epoch ms
 * (whole: a manual run's time has microseconds).
 *
 * One statement, three index probes per job (LIMIT 1 each), whatever the
 * ledger holds: the newest success through cronkeeper_runs_success (sql/007;
 * walking back from the newest slot read every failure since the last
 * success), the oldest slot through the slot index, the oldest manual run
 * through cronkeeper_runs_manual. Row comparisons rather than `job = j.job`
 * keep the planner on those indexes (see readRecentRuns in run-history.ts); a row
 * of the neighbouring job is dropped by the join condition.
 */
export async function readSuccessFacts(
  db: Queryable,
  jobs: readonly string[],
): Promise<Map<string, SuccessFacts>> {
  // LEAST skips NULLs: NULL only when both are.
  const rows = await db.query<{
    job: string;
    last_success: number | null;
    first_row: number | null;
    slot_ran: boolean;
  }>(
    `SELECT job, floor(extract(epoch FROM last_success) * 1000)::float8 AS last_success,
            floor(extract(epoch FROM first_row) * 1000)::float8 AS first_row, slot_ran
     FROM (
     SELECT j.job, s.scheduled_at AS last_success, LEAST(f.scheduled_at, m.scheduled_at) AS first_row,
            f.job IS NOT NULL AS slot_ran
     FROM unnest($1::text[]) AS j(job)
     LEFT JOIN LATERAL (
       SELECT r.job, r.scheduled_at FROM cronkeeper_runs r
       WHERE (r.job, r.scheduled_at) <= (j.job, 'infinity') AND r.outcome = 'success'
       ORDER BY r.job DESC, r.scheduled_at DESC LIMIT 1) s ON s.job = j.job
     LEFT JOIN LATERAL (
       SELECT r.job, r.scheduled_at FROM cronkeeper_runs r
       WHERE (r.job, r.scheduled_at) >= (j.job, '-infinity') AND NOT r.manual
       ORDER BY r.job, r.scheduled_at LIMIT 1) f ON f.job = j.job
     LEFT JOIN LATERAL (
       SELECT r.job, r.scheduled_at FROM cronkeeper_runs r
       WHERE (r.job, r.scheduled_at) >= (j.job, '-infinity') AND r.manual
       ORDER BY r.job, r.scheduled_at LIMIT 1) m ON m.job = j.job
     ) facts
     WHERE first_row IS NOT NULL`,
    [jobs],
  );
  const out = new Map<string, SuccessFacts>();
  for (const r of rows) {
    // A row of 'infinity' (a bad row) gives ±Infinity here: no time to judge freshness by.
    out.set(r.job, {
      lastSuccessMs: rowTimeMs(r.last_success),
      firstRowMs: rowTimeMs(r.first_row),
      slotRan: r.slot_ran,
    });
  }
  return out;
}
