// What freshness (maxAge) is judged on, read from the run ledger: per job its
// newest successful run and its oldest row. Read-only.
import type { Queryable } from './db.js';

/** Per job; times are UTC epoch ms, undefined when the ledger has none. */
export interface SuccessFacts {
  /** Scheduled time of the newest run with outcome success (a manual run: its request time). */
  lastSuccessMs: number | undefined;
  /** Scheduled time of the job's oldest ledger row (slot or manual run). */
  firstRowMs: number | undefined;
}

/**
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
  const rows = await db.query<{
    job: string;
    slot_success: Date | null;
    first_slot: Date | null;
    manual_success: Date | null;
    first_manual: Date | null;
  }>(
    `SELECT j.job, s.scheduled_at AS slot_success, f.scheduled_at AS first_slot,
            m.success AS manual_success, m.first AS first_manual
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
       WHERE r.control_id IS NOT NULL AND r.manual AND r.job = j.job) m ON true`,
    [jobs],
  );
  const out = new Map<string, SuccessFacts>();
  for (const r of rows) {
    out.set(r.job, {
      lastSuccessMs: newest(r.slot_success, r.manual_success),
      firstRowMs: oldest(r.first_slot, r.first_manual),
    });
  }
  return out;
}

function newest(a: Date | null, b: Date | null): number | undefined {
  const ms = [a, b].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return ms.length > 0 ? Math.max(...ms) : undefined;
}

function oldest(a: Date | null, b: Date | null): number | undefined {
  const ms = [a, b].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return ms.length > 0 ? Math.min(...ms) : undefined;
}
