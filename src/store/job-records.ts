// The store's memory of each job's schedule (for onScheduleChange) and of the
// renames carried over (formerNames). Writes are fenced: only the leader makes them.
import type { StoredSpec } from '../catchup/job-changes.js';
import type { Queryable } from './db.js';
import { type Fence, assertFence, fenceCte } from './fence.js';

/** Jobs per statement of readSpecDifferences and saveJobSpecs. */
const SPEC_ROWS_PER_STATEMENT = 2_000;

/** Statements of readSpecDifferences in flight at once: the next batch is built while the store compares one. */
const SPEC_STATEMENTS_IN_FLIGHT = 2;

/**
 * Which of `count` jobs (the i-th: `at(i)`) have a recorded spec that differs
 * from theirs by hash, or none recorded (`differs[i]` = 1), and the recorded
 * spec of those that have one, by name. The comparison is the store's, a
 * statement's jobs at a time: reading every job's record into memory to
 * compare (100,000 rows at each start) left tens of megabytes behind, for a
 * result that is usually empty. Two statements go at once, and `at` is asked
 * for a batch while the one before is compared: one at a time, the start
 * waited on 50 round trips in turn.
 */
export async function readSpecDifferences(
  db: Queryable,
  count: number,
  at: (i: number) => { job: string; hash: string },
): Promise<{ differs: Uint8Array; stored: Map<string, StoredSpec> }> {
  const differs = new Uint8Array(count);
  const stored = new Map<string, StoredSpec>();
  const compare = async (from: number) => {
    const batch: [string, string][] = [];
    for (let i = from; i < Math.min(count, from + SPEC_ROWS_PER_STATEMENT); i++) {
      const { job, hash } = at(i);
      batch.push([job, hash]);
    }
    const rows = await db.query<{ i: number; spec_hash: string | null; spec: string | null }>(
      `SELECT e.i::int - 1 AS i, s.spec_hash, s.spec
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, i)
       LEFT JOIN cronkeeper_job_specs s ON s.job = e.v->>0
       WHERE s.spec_hash IS DISTINCT FROM e.v->>1`,
      [JSON.stringify(batch)],
    );
    for (const r of rows) {
      differs[from + r.i] = 1;
      if (r.spec_hash !== null) stored.set(batch[r.i]![0], { hash: r.spec_hash, spec: r.spec ?? '' });
    }
  };
  const inFlight: Promise<void>[] = [];
  try {
    for (let from = 0; from < count; from += SPEC_ROWS_PER_STATEMENT) {
      const compared = compare(from);
      compared.catch(() => {}); // awaited below, in order; not an unhandled rejection meanwhile
      inFlight.push(compared);
      if (inFlight.length >= SPEC_STATEMENTS_IN_FLIGHT) await inFlight.shift();
    }
    for (const compared of inFlight) await compared;
  } finally {
    // A failed statement ends the reading; the others are let finish before the caller goes on.
    await Promise.allSettled(inFlight);
  }
  return { differs, stored };
}

export interface JobSpecRow {
  job: string;
  hash: string;
  spec: string;
}

/**
 * Records the specs the leader now schedules by (inserting or replacing).
 * `specs` is read a statement's rows at a time, each statement's rows sent as
 * one JSON text: 100,000 rows built at once, or sent as Postgres arrays (which
 * pg escapes element by element), left tens of megabytes of garbage behind.
 * Each statement is fenced on its own, not one transaction over all: that
 * would hold the leader row's share lock, and so the heartbeat, for the whole
 * write. A write cut short leaves the rest unrecorded, as a failed write always
 * did: the next term sees those jobs' changes again and applies their rules.
 */
export async function saveJobSpecs(db: Queryable, fence: Fence, specs: Iterable<JobSpecRow>): Promise<void> {
  let batch: JobSpecRow[] = [];
  const send = async () => {
    const rows = await db.query(
      `WITH ${fenceCte(2)}
         INSERT INTO cronkeeper_job_specs (job, spec_hash, spec, seen_at)
         SELECT s.job, s.hash, s.spec, now()
         FROM jsonb_to_recordset($1::jsonb) AS s(job text, hash text, spec text), fence
         ON CONFLICT (job) DO UPDATE SET spec_hash = excluded.spec_hash, spec = excluded.spec, seen_at = excluded.seen_at
           WHERE cronkeeper_job_specs.spec_hash <> excluded.spec_hash
         RETURNING 1`,
      [JSON.stringify(batch), fence.epoch],
    );
    batch = [];
    // Nothing written: unchanged specs, or a stale epoch (which the check tells apart).
    if (rows.length === 0) await assertFence(db, fence);
  };
  for (const row of specs) {
    batch.push(row);
    if (batch.length === SPEC_ROWS_PER_STATEMENT) await send();
  }
  if (batch.length > 0) await send();
}

/** Old names already carried over. */
export async function readRenames(db: Queryable): Promise<Set<string>> {
  const rows = await db.query<{ old_name: string }>('SELECT old_name FROM cronkeeper_renames');
  return new Set(rows.map((r) => r.old_name));
}

/** Whether the store holds anything of `name`: runs, a pause, a schedule record. */
export async function storeKnows(db: Queryable, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await db.query<{ job: string }>(
    `SELECT job FROM cronkeeper_runs WHERE job = ANY($1::text[])
     UNION SELECT job FROM cronkeeper_job_controls WHERE job = ANY($1::text[])
     UNION SELECT job FROM cronkeeper_job_specs WHERE job = ANY($1::text[])`,
    [names],
  );
  return new Set(rows.map((r) => r.job));
}

/**
 * Moves `from`'s history, gaps, pause and schedule record to `to`, and records
 * the rename, in one fenced transaction. A slot both names hold stays with
 * `from` (the new name's row is the one that counts). Returns the runs moved.
 */
export async function carryOverRename(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  fence: Fence,
  from: string,
  to: string,
): Promise<number> {
  return db.transaction(async (tx) => {
    // FOR SHARE until commit: a takeover waits for this transaction, and a stale epoch moves nothing.
    const leader = await tx.query<{ epoch: number }>(
      'SELECT epoch FROM cronkeeper_leader WHERE id = 1 FOR SHARE',
    );
    if (leader[0]?.epoch !== fence.epoch) await assertFence(tx, fence);
    const moved = await tx.query<{ id: number }>(
      `UPDATE cronkeeper_runs r SET job = $2 WHERE r.job = $1
         AND (r.manual OR NOT EXISTS (
           SELECT 1 FROM cronkeeper_runs n WHERE n.job = $2 AND n.scheduled_at = r.scheduled_at AND NOT n.manual))
       RETURNING r.id`,
      [from, to],
    );
    await tx.query(
      `UPDATE cronkeeper_slot_gaps g SET job = $2 WHERE g.job = $1 AND NOT EXISTS (
         SELECT 1 FROM cronkeeper_slot_gaps n WHERE n.job = $2 AND n.reason = g.reason AND n.first_slot = g.first_slot)`,
      [from, to],
    );
    await tx.query(
      `UPDATE cronkeeper_job_controls SET job = $2 WHERE job = $1
         AND NOT EXISTS (SELECT 1 FROM cronkeeper_job_controls WHERE job = $2)`,
      [from, to],
    );
    // The old name's schedule, so that a rename with a new schedule is also a schedule change.
    await tx.query(
      `UPDATE cronkeeper_job_specs SET job = $2 WHERE job = $1
         AND NOT EXISTS (SELECT 1 FROM cronkeeper_job_specs WHERE job = $2)`,
      [from, to],
    );
    await tx.query(
      `INSERT INTO cronkeeper_renames (old_name, new_name, epoch, runs_moved) VALUES ($1, $2, $3, $4)
       ON CONFLICT (old_name) DO NOTHING`,
      [from, to, fence.epoch, moved.length],
    );
    return moved.length;
  });
}
