// The run ledger: one row per claimed slot, append-only but for the outcome
// columns of a run in progress. A claim is the INSERT; the unique key on
// (job, scheduled_at) makes a slot claimable once, ever. A manual run
// (`cronkeeper trigger`) is a row outside that key: see claimManualRun.
// What operators read of it (runs, runs show, recent runs): run-history.ts.
import { type OnBadRow, rowTimeMs, usableTimeSql } from './bad-rows.js';
import type { Queryable } from './db.js';
import { type Fence, assertFence, fenceCte } from './fence.js';
import type { ClaimedSlot, SlotClaim } from '../schedule/slot.js';

export interface ClaimResult {
  claimed: ClaimedSlot[];
  /** Slots that someone had claimed already: not ours to run. */
  conflicts: SlotClaim[];
}

/**
 * Claims slots in one statement. Throws FencedError when `fence` is stale (then
 * nothing was claimed). Claims are returned in ledger id order.
 *
 * Claims rarely conflict (a slot is planned once per leader; a backfill over
 * claimed slots and a leader change mid-batch are the exceptions), so the
 * statement is first a plain INSERT: ON CONFLICT's speculative insertion costs
 * Postgres more per row, which a 60,000-slot catch-up feels. A conflict makes
 * the plain INSERT fail whole (nothing claimed) and the batch is claimed again
 * with ON CONFLICT DO NOTHING (so `db` must not be inside a transaction, which
 * the failed statement would abort). Times travel as epoch ms both ways:
 * formatting and parsing 60,000 timestamps cost the client more than the INSERT.
 */
export async function claimSlots(
  db: Queryable,
  fence: Fence,
  slots: readonly SlotClaim[],
): Promise<ClaimResult> {
  if (slots.length === 0) return { claimed: [], conflicts: [] };
  const params = [
    slots.map((s) => s.job),
    slots.map((s) => s.scheduledAtMs),
    slots.map((s) => s.catchup),
    fence.epoch,
    fence.nodeId,
    slots.map((s) => s.controlId ?? null),
  ];
  const insert = (onConflict: string) =>
    db.query<{ id: number; job: string; at_ms: number }>(
      `WITH ${fenceCte(4)}
       INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, control_id)
       SELECT s.job, timestamptz 'epoch' + s.at_ms * interval '1 millisecond', s.catchup, fence.epoch, $5, s.control_id
       FROM unnest($1::text[], $2::int8[], $3::boolean[], $6::bigint[])
            WITH ORDINALITY AS s(job, at_ms, catchup, control_id, n), fence
       ORDER BY s.n
       ${onConflict}
       RETURNING id, job, round(extract(epoch FROM scheduled_at) * 1000)::float8 AS at_ms`,
      params,
    );
  let rows;
  try {
    rows = await insert('');
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    rows = await insert('ON CONFLICT (job, scheduled_at) WHERE NOT manual DO NOTHING');
  }
  // RETURNING follows the insert order (ORDER BY s.n) in practice; that is checked row by row, and
  // a conflict or any surprise falls back to matching by slot.
  const claimed: ClaimedSlot[] = [];
  for (let i = 0; i < rows.length && rows.length === slots.length; i++) {
    const r = rows[i]!;
    const s = slots[i]!;
    if (r.job !== s.job || r.at_ms !== s.scheduledAtMs) break;
    claimed.push({ ...s, runId: r.id });
  }
  const conflicts: SlotClaim[] = [];
  if (claimed.length !== slots.length) {
    claimed.length = 0;
    // The first of a slot asked for twice in one batch is the one inserted (ORDER BY s.n).
    const byKey = new Map<string, SlotClaim>();
    for (const s of slots) {
      const key = `${s.job}\u0000${s.scheduledAtMs}`;
      if (byKey.has(key)) conflicts.push(s);
      else byKey.set(key, s);
    }
    for (const r of rows) {
      const key = `${r.job}\u0000${r.at_ms}`;
      const slot = byKey.get(key);
      if (!slot) continue;
      byKey.delete(key);
      claimed.push({ ...slot, runId: r.id });
    }
    conflicts.push(...byKey.values());
  }
  claimed.sort((a, b) => a.runId - b.runId);
  if (claimed.length < slots.length) await assertFence(db, fence);
  return { claimed, conflicts };
}

const UNIQUE_VIOLATION = '23505';

/** The columns of a run row that make its slot (at_ms: scheduled_at as epoch ms). */
export interface SlotRow {
  id: number;
  job: string;
  at_ms: number;
  catchup: boolean;
  manual: boolean;
  control_id: number | null;
}

/** A run row's slot, as its claim made it. */
export function slotOfRow(r: SlotRow): ClaimedSlot {
  return {
    job: r.job,
    scheduledAtMs: Number(r.at_ms),
    catchup: r.catchup,
    runId: Number(r.id),
    ...(r.manual ? { manual: true } : {}),
    ...(r.control_id !== null ? { controlId: Number(r.control_id) } : {}),
  };
}

export function slotKey(job: string, scheduledAtMs: number): string {
  return `${job}@${new Date(scheduledAtMs).toISOString()}`;
}

export interface RunOutcomeRecord {
  outcome: string;
  exitCode: number | null;
  signal: string | null;
  httpStatus: number | null;
  durationMs: number | null;
  error: string | null;
}

/**
 * Per job, the newest slot claimed with a ledger id above `afterId`, and the
 * highest id seen. Manual runs are not slots: they never move a last execution.
 * A row whose scheduled_at can be no slot (infinity, or years ahead: see
 * usableTimeSql) is left out of the last execution and reported to `onBad`:
 * it would stop its job for ever, or fail the restore.
 */
export async function readLedgerTail(
  db: Queryable,
  afterId: number,
  onBad?: OnBadRow,
): Promise<{ lastExecution: Map<string, number>; maxId: number; rows: number }> {
  const usable = usableTimeSql('scheduled_at');
  const rows = await db.query<{ job: string; last: Date | null; max_id: number; n: number; bad: number }>(
    `SELECT job, max(scheduled_at) FILTER (WHERE NOT manual AND ${usable}) AS last, max(id) AS max_id,
            count(*)::int AS n, count(*) FILTER (WHERE NOT ${usable})::int AS bad
     FROM cronkeeper_runs WHERE id > $1 GROUP BY job`,
    [afterId],
  );
  const lastExecution = new Map<string, number>();
  let maxId = afterId;
  let total = 0;
  let bad = 0;
  for (const r of rows) {
    const last = r.last === null ? undefined : rowTimeMs(r.last);
    if (last !== undefined) lastExecution.set(r.job, last);
    maxId = Math.max(maxId, r.max_id);
    total += r.n;
    bad += r.bad;
  }
  if (bad > 0 && onBad) await reportBadSlots(db, afterId, onBad);
  return { lastExecution, maxId, rows: total };
}

/** Reports the (first 100) ledger rows above `afterId` whose scheduled_at can be no slot. */
async function reportBadSlots(db: Queryable, afterId: number, onBad: OnBadRow): Promise<void> {
  const rows = await db.query<{ id: number; job: string; scheduled_at: string }>(
    `SELECT id, job, scheduled_at::text AS scheduled_at FROM cronkeeper_runs
     WHERE id > $1 AND NOT ${usableTimeSql('scheduled_at')} ORDER BY id LIMIT 100`,
    [afterId],
  );
  for (const r of rows) {
    onBad({
      table: 'cronkeeper_runs',
      key: String(r.id),
      problem: `scheduled_at of job '${r.job}' is ${r.scheduled_at}, no slot: left out of its last execution`,
    });
  }
}

/**
 * Deletes finished ledger rows claimed before `beforeMs` (a backfilled old slot
 * is kept as long as a fresh one) whose ids are at or
 * below `coveredId` (covered by every snapshot a restore may fall back to).
 * Each job's newest scheduled run is kept however old: it is what says that the
 * job ever ran (status shows "never" for a job with no row). Fenced: only the
 * leader cleans.
 */
export async function cleanLedger(
  db: Queryable,
  fence: Fence,
  beforeMs: number,
  coveredId: number,
): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH ${fenceCte(3)}, gone AS (
       DELETE FROM cronkeeper_runs r
       WHERE claimed_at < $1 AND id <= $2 AND outcome IS NOT NULL AND EXISTS (SELECT 1 FROM fence)
         AND (manual OR EXISTS (SELECT 1 FROM cronkeeper_runs n
                                WHERE n.job = r.job AND NOT n.manual AND n.scheduled_at > r.scheduled_at))
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [new Date(beforeMs).toISOString(), coveredId, fence.epoch],
  );
  return rows[0]?.n ?? 0;
}

/** Records that a run started by an earlier leader never reported an outcome. */
export async function markInterrupted(
  db: Queryable,
  fence: Fence,
  runId: number,
  atMs: number,
): Promise<void> {
  await db.query(
    `WITH ${fenceCte(3)}
     UPDATE cronkeeper_runs r SET outcome = 'interrupted', finished_at = $2,
       error = 'its node stopped before the run finished; not run again'
     FROM fence WHERE r.id = $1 AND r.outcome IS NULL`,
    [runId, new Date(atMs).toISOString(), fence.epoch],
  );
}

/** The slots of `job` in [fromMs, toMs] that have a ledger row (manual runs are not slots). */
export async function claimedSlotsBetween(
  db: Queryable,
  job: string,
  fromMs: number,
  toMs: number,
): Promise<Set<number>> {
  const rows = await db.query<{ scheduled_at: Date }>(
    `SELECT scheduled_at FROM cronkeeper_runs
     WHERE job = $1 AND NOT manual AND scheduled_at BETWEEN $2 AND $3`,
    [job, new Date(fromMs).toISOString(), new Date(toMs).toISOString()],
  );
  // BETWEEN two instants leaves infinity out; a time a Date cannot hold is no slot of the range either.
  const out = new Set<number>();
  for (const r of rows) {
    const ms = rowTimeMs(r.scheduled_at);
    if (ms !== undefined) out.add(ms);
  }
  return out;
}
