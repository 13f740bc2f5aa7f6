// Operator controls in the store: the audit log that doubles as the request
// queue (trigger, backfill), and each job's pause state. The CLI writes here
// and notifies; whichever node leads reads and carries it out. Nothing talks
// to a daemon directly, so a request made while no daemon runs waits here.
import { type OnBadRow, describeTime, rowTimeMs } from './bad-rows.js';
import type { Db, Queryable } from './db.js';
import { type Fence, assertFence, fenceCte } from './fence.js';
import type { ClaimedSlot } from '../schedule/slot.js';

/** The channel a request is announced on (LISTEN/NOTIFY); the payload is the control id. */
export const CONTROL_CHANNEL = 'cronkeeper_controls';

export type ControlAction = 'pause' | 'resume' | 'trigger' | 'backfill';

/** Who asked: the OS user and the host the command ran on. */
export interface Actor {
  user: string;
  host: string;
}

export interface ControlRecord {
  id: number;
  action: ControlAction;
  job: string;
  args: { reason?: string; from?: string; to?: string };
  requestedBy: string;
  host: string;
  requestedAt: Date;
  /** trigger/backfill: when a leader carried it out. */
  doneAt: Date | null;
  doneEpoch: number | null;
  result: string | null;
  /**
   * What makes the row unusable as a request (args not an object, a from/to
   * that is not a string, a requested_at that is no instant); a leader rejects
   * such a request instead of carrying it out.
   */
  problem?: string;
}

export interface JobControl {
  paused: boolean;
  pausedAtMs: number;
  reason: string | null;
  pausedBy: string;
  /** The newest resume (UTC ms), if the job was ever resumed. */
  resumedAtMs: number | undefined;
}

interface ControlRow {
  id: number;
  action: ControlAction;
  job: string;
  args: ControlRecord['args'];
  requested_by: string;
  host: string;
  requested_at: Date;
  done_at: Date | null;
  done_epoch: number | null;
  result: string | null;
}

const CONTROL_COLUMNS =
  'id, action, job, args, requested_by, host, requested_at, done_at, done_epoch, result';

/**
 * A row as a record, whatever its content: args that are not an object read as
 * `{}` and a time that is no instant as an invalid Date, with `problem` saying
 * what was wrong (see ControlRecord.problem).
 */
function toRecord(r: ControlRow): ControlRecord {
  const { args, problem: argsProblem } = parseArgs(r.args as unknown);
  const requestedAtMs = rowTimeMs(r.requested_at);
  const problem =
    argsProblem ??
    (requestedAtMs === undefined
      ? `requested_at is ${describeTime(r.requested_at)}, not an instant`
      : undefined);
  const record: ControlRecord = {
    id: r.id,
    action: r.action,
    job: r.job,
    args,
    requestedBy: r.requested_by,
    host: r.host,
    requestedAt: new Date(requestedAtMs ?? NaN),
    doneAt: r.done_at === null ? null : new Date(rowTimeMs(r.done_at) ?? NaN),
    doneEpoch: r.done_epoch,
    result: r.result,
  };
  if (problem !== undefined) record.problem = problem;
  return record;
}

/** A request's args as written by the CLI: an object whose from, to and reason are strings when present. */
function parseArgs(raw: unknown): { args: ControlRecord['args']; problem?: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { args: {}, problem: `args is ${JSON.stringify(raw) ?? String(raw)}, not an object` };
  }
  const args: ControlRecord['args'] = {};
  for (const key of ['reason', 'from', 'to'] as const) {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      return { args, problem: `args.${key} is ${JSON.stringify(value)}, not a string` };
    args[key] = value;
  }
  return { args };
}

export type PauseChange =
  { changed: true; control: ControlRecord } | { changed: false; current: JobControl | undefined };

/**
 * Pauses or resumes `job`, recording the action; no change (and no record)
 * when it already is in that state. The leader is notified on commit.
 */
export async function setPaused(
  db: Db,
  job: string,
  paused: boolean,
  actor: Actor,
  reason?: string,
): Promise<PauseChange> {
  return db.transaction(async (tx) => {
    const current = (await readJobControls(tx, job, true)).get(job);
    if ((current?.paused ?? false) === paused) return { changed: false, current };
    const control = await insertControl(
      tx,
      paused ? 'pause' : 'resume',
      job,
      reason ? { reason } : {},
      actor,
    );
    if (paused) {
      await tx.query(
        `INSERT INTO cronkeeper_job_controls (job, paused, paused_at, reason, paused_by)
         VALUES ($1, true, $2, $3, $4)
         ON CONFLICT (job) DO UPDATE SET paused = true, paused_at = $2, reason = $3, paused_by = $4`,
        [job, control.requestedAt, reason ?? null, actor.user],
      );
    } else {
      await tx.query(`UPDATE cronkeeper_job_controls SET paused = false, resumed_at = $2 WHERE job = $1`, [
        job,
        control.requestedAt,
      ]);
    }
    return { changed: true, control };
  });
}

/** Records a trigger or backfill request for the leader to carry out. */
export async function requestControl(
  db: Db,
  action: 'trigger' | 'backfill',
  job: string,
  args: ControlRecord['args'],
  actor: Actor,
): Promise<ControlRecord> {
  return db.transaction((tx) => insertControl(tx, action, job, args, actor));
}

async function insertControl(
  tx: Queryable,
  action: ControlAction,
  job: string,
  args: ControlRecord['args'],
  actor: Actor,
): Promise<ControlRecord> {
  const rows = await tx.query<ControlRow>(
    `INSERT INTO cronkeeper_controls (action, job, args, requested_by, host, requested_at)
     VALUES ($1, $2, $3, $4, $5, clock_timestamp())
     RETURNING ${CONTROL_COLUMNS}`,
    [action, job, JSON.stringify(args), actor.user, actor.host],
  );
  const row = rows[0]!;
  // Delivered when the transaction commits; a leader that misses it finds the row on its next re-read.
  await tx.query('SELECT pg_notify($1, $2)', [CONTROL_CHANNEL, String(row.id)]);
  return toRecord(row);
}

/**
 * Pause state per job (all jobs, or one); `lock` takes the job's row for update.
 * A time that is no instant (infinity) is reported to `onBad` and clamped: a bad
 * paused_at keeps the pause (an operator asked for it) with its time shown as
 * unknown (the epoch, 0); a bad resumed_at counts as no resume.
 */
export async function readJobControls(
  db: Queryable,
  job?: string,
  lock = false,
  onBad?: OnBadRow,
): Promise<Map<string, JobControl>> {
  const rows = await db.query<{
    job: string;
    paused: boolean;
    paused_at: Date;
    reason: string | null;
    paused_by: string;
    resumed_at: Date | null;
  }>(
    `SELECT job, paused, paused_at, reason, paused_by, resumed_at FROM cronkeeper_job_controls
     WHERE ($1::text IS NULL OR job = $1) ${lock ? 'FOR UPDATE' : ''}`,
    [job ?? null],
  );
  const out = new Map<string, JobControl>();
  for (const r of rows) {
    const pausedAtMs = rowTimeMs(r.paused_at);
    const resumedAtMs = r.resumed_at === null ? undefined : rowTimeMs(r.resumed_at);
    if (pausedAtMs === undefined) {
      const problem = `paused_at is ${describeTime(r.paused_at)}: the pause holds, its time is shown as unknown`;
      onBad?.({ table: 'cronkeeper_job_controls', key: r.job, problem });
    }
    if (r.resumed_at !== null && resumedAtMs === undefined) {
      const problem = `resumed_at is ${describeTime(r.resumed_at)}: taken as no resume (no onResume baseline)`;
      onBad?.({ table: 'cronkeeper_job_controls', key: r.job, problem });
    }
    out.set(r.job, {
      paused: r.paused,
      pausedAtMs: pausedAtMs ?? 0,
      reason: r.reason,
      pausedBy: r.paused_by,
      resumedAtMs,
    });
  }
  return out;
}

/** Trigger and backfill requests no leader has carried out yet, oldest first. */
export async function readPendingControls(db: Queryable): Promise<ControlRecord[]> {
  const rows = await db.query<ControlRow>(
    `SELECT ${CONTROL_COLUMNS} FROM cronkeeper_controls
     WHERE done_at IS NULL AND action IN ('trigger', 'backfill') ORDER BY id`,
  );
  return rows.map(toRecord);
}

/** Marks a request carried out (fenced); false when it already was. */
export async function finishControl(
  db: Queryable,
  fence: Fence,
  id: number,
  result: string,
): Promise<boolean> {
  const rows = await db.query<{ id: number }>(
    `WITH ${fenceCte(2)}
     UPDATE cronkeeper_controls c SET done_at = clock_timestamp(), done_epoch = fence.epoch, result = $3
     FROM fence WHERE c.id = $1 AND c.done_at IS NULL
     RETURNING c.id`,
    [id, fence.epoch, result],
  );
  if (rows.length === 0) await assertFence(db, fence);
  return rows.length > 0;
}

/**
 * Claims the manual run a trigger asked for and marks the request done, in one
 * fenced statement: a request yields one run, whichever leader takes it. The
 * run's scheduled_at is the request time. Undefined when the request was
 * already carried out.
 */
export async function claimManualRun(
  db: Queryable,
  fence: Fence,
  controlId: number,
): Promise<ClaimedSlot | undefined> {
  const rows = await db.query<{ id: number; job: string; scheduled_at: Date }>(
    `WITH ${fenceCte(2)},
     done AS (
       UPDATE cronkeeper_controls c SET done_at = clock_timestamp(), done_epoch = fence.epoch, result = 'run claimed'
       FROM fence WHERE c.id = $1 AND c.done_at IS NULL AND c.action = 'trigger'
       RETURNING c.id, c.job, c.requested_at)
     INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, manual, control_id, epoch, node_id)
     SELECT done.job, done.requested_at, false, true, done.id, fence.epoch, $3 FROM done, fence
     RETURNING id, job, scheduled_at`,
    [controlId, fence.epoch, fence.nodeId],
  );
  const row = rows[0];
  if (!row) {
    await assertFence(db, fence);
    return undefined;
  }
  return {
    job: row.job,
    scheduledAtMs: row.scheduled_at.getTime(),
    catchup: false,
    runId: Number(row.id),
    manual: true,
    // An operator asked for it: it runs even while the job is paused (slot-gate.ts).
    controlId,
  };
}

export interface AuditEntry extends ControlRecord {
  /** Runs claimed for this request (trigger: 0 or 1; backfill: the slots it claimed). */
  runs: number;
  /** Of those, how many ended in success, and how many are still unfinished. */
  succeeded: number;
  unfinished: number;
  /** A trigger's run, as it stands: what became of the request. */
  run: { id: number; outcome: string | null; error: string | null } | null;
}

/** Control actions, newest first. */
export async function listControls(
  db: Queryable,
  options: { job?: string; limit: number },
): Promise<AuditEntry[]> {
  const rows = await db.query<
    ControlRow & {
      runs: number;
      succeeded: number;
      unfinished: number;
      run_id: string | null;
      run_outcome: string | null;
      run_error: string | null;
    }
  >(
    `SELECT c.id, c.action, c.job, c.args, c.requested_by, c.host, c.requested_at, c.done_at, c.done_epoch, c.result,
            count(r.id)::int AS runs,
            count(r.id) FILTER (WHERE r.outcome = 'success')::int AS succeeded,
            count(r.id) FILTER (WHERE r.id IS NOT NULL AND r.outcome IS NULL)::int AS unfinished,
            (array_agg(r.id ORDER BY r.id))[1] AS run_id,
            (array_agg(r.outcome ORDER BY r.id))[1] AS run_outcome,
            (array_agg(r.error ORDER BY r.id))[1] AS run_error
     FROM cronkeeper_controls c LEFT JOIN cronkeeper_runs r ON r.control_id = c.id
     WHERE ($1::text IS NULL OR c.job = $1)
     GROUP BY c.id ORDER BY c.id DESC LIMIT $2`,
    [options.job ?? null, options.limit],
  );
  return rows.map((r) => ({
    ...toRecord(r),
    runs: r.runs,
    succeeded: r.succeeded,
    unfinished: r.unfinished,
    run:
      r.action === 'trigger' && r.run_id !== null
        ? { id: Number(r.run_id), outcome: r.run_outcome, error: r.run_error }
        : null,
  }));
}
