// A run's home is the host and spool of the node that started it: only a
// daemon there can read what the run left (run/run-spool.ts). After a takeover
// by a node elsewhere, the home reports what became of its runs when a daemon
// there is back (standing by: home-runs.ts), and the leader waits for that
// report, within ha.hostWait (watch-remote-runs.ts). These are the ledger's
// side of both. The home's writes are not fenced (it does not lead): each is
// guarded by the run still being open and still the attempt it started.
import type { ClaimedSlot } from '../schedule/slot.js';
import type { Queryable } from './db.js';
import type { RunTrace } from './attempts.js';
import { type Fence, fenceCte } from './fence.js';
import { slotOfRow } from './ledger.js';

/** An attempt in progress, by the ledger, that was started from `home`. */
export interface HomeRun {
  slot: ClaimedSlot;
  attempt: number;
  /** The epoch it was started under (its spool directory's). */
  epoch: number;
  /** Its job's pid, recorded once it ran. */
  pid: number | null;
}

/**
 * The attempts in progress started from `home` that a leader elsewhere handed back to it
 * (recovery 'awaiting-home'), oldest first. Only those: a run the leader has not judged yet may
 * be its own to judge (two nodes may share a home), or still followed by a node that lost its lock.
 */
export async function readHomeRuns(db: Queryable, home: RunTrace): Promise<HomeRun[]> {
  const rows = await db.query<{
    id: number;
    job: string;
    at_ms: number;
    catchup: boolean;
    manual: boolean;
    control_id: number | null;
    attempts: number;
    epoch: number;
    pid: number | null;
  }>(
    `SELECT r.id, r.job, (extract(epoch FROM r.scheduled_at) * 1000)::float8 AS at_ms, r.catchup, r.manual,
            r.control_id, r.attempts, a.epoch, a.pid
     FROM cronkeeper_runs r JOIN cronkeeper_attempts a ON a.run_id = r.id AND a.attempt = r.attempts
     WHERE r.outcome IS NULL AND r.next_attempt_at IS NULL AND a.finished_at IS NULL
       AND a.host = $1 AND a.spool = $2 AND r.recovery = 'awaiting-home'
     ORDER BY r.id`,
    [home.host, home.spool],
  );
  return rows
    .filter((r) => Number.isFinite(Number(r.at_ms)))
    .map((r) => ({
      slot: slotOfRow(r),
      attempt: r.attempts,
      epoch: Number(r.epoch),
      pid: r.pid,
    }));
}

/**
 * The home found an attempt never started (no `started` marker; it took it):
 * the attempt is taken back, so the leader runs it — attempt 1 as a claimed,
 * unstarted slot; a later one as a retry due now. False when the run changed
 * meanwhile (the leader decided first).
 */
export async function releaseNeverStarted(
  db: Queryable,
  run: { runId: number; attempt: number; epoch: number },
  atMs: number,
): Promise<boolean> {
  const rows = await db.query<{ id: number }>(
    `WITH run AS (
       UPDATE cronkeeper_runs r
       SET attempts = $2 - 1, recovery = 'never-started',
           started_at = CASE WHEN $2 = 1 THEN NULL ELSE r.started_at END,
           next_attempt_at = CASE WHEN $2 = 1 THEN NULL ELSE $4::timestamptz END
       WHERE r.id = $1 AND r.outcome IS NULL AND r.attempts = $2
         AND EXISTS (SELECT 1 FROM cronkeeper_attempts a
                     WHERE a.run_id = r.id AND a.attempt = $2 AND a.epoch = $3 AND a.finished_at IS NULL)
       RETURNING r.id),
     gone AS (DELETE FROM cronkeeper_attempts a USING run WHERE a.run_id = run.id AND a.attempt = $2)
     SELECT id FROM run`,
    [run.runId, run.attempt, run.epoch, new Date(atMs).toISOString()],
  );
  return rows.length > 0;
}

/**
 * The home found an attempt started whose supervisor is gone without an exit
 * status: it is over, and nobody knows how. Recorded on the attempt; the
 * leader lets the job's onInterrupted decide.
 */
export async function reportLost(
  db: Queryable,
  run: { runId: number; attempt: number },
  atMs: number,
): Promise<void> {
  await db.query(
    `UPDATE cronkeeper_attempts
     SET finished_at = $3, outcome = 'interrupted',
         error = 'its supervisor died without an exit status (a reboot, a cgroup killed whole)'
     WHERE run_id = $1 AND attempt = $2 AND finished_at IS NULL`,
    [run.runId, run.attempt, new Date(atMs).toISOString()],
  );
}

/** What the leader watches of a run whose home is elsewhere. */
export interface RemoteRunState {
  runId: number;
  /** Recorded: nothing left to wait for. */
  done: boolean;
  /** The run's epoch: at or above the watcher's, another leader has it. */
  epoch: number;
  attempts: number;
  /** The attempt in progress when its node died (the last one), if it still has its row. */
  attempt:
    | {
        number: number;
        startedAtMs: number;
        finishedAtMs: number | null;
        /** As the home reported it. */
        outcome: string | null;
        home: RunTrace | null;
      }
    | undefined;
  /** When a node with the run's home was last seen alive (UTC ms), if ever. */
  homeSeenAtMs: number | null;
}

export async function readRemoteRuns(db: Queryable, runIds: readonly number[]): Promise<RemoteRunState[]> {
  if (runIds.length === 0) return [];
  const rows = await db.query<{
    id: number;
    outcome: string | null;
    epoch: number;
    attempts: number;
    attempt: number | null;
    started_ms: number | null;
    finished_ms: number | null;
    attempt_outcome: string | null;
    host: string | null;
    spool: string | null;
    seen_ms: number | null;
  }>(
    `SELECT r.id, r.outcome, r.epoch, r.attempts, a.attempt,
            (extract(epoch FROM a.started_at) * 1000)::float8 AS started_ms,
            (extract(epoch FROM a.finished_at) * 1000)::float8 AS finished_ms,
            a.outcome AS attempt_outcome, a.host, a.spool,
            (SELECT (extract(epoch FROM max(n.seen_at)) * 1000)::float8 FROM cronkeeper_nodes n
             WHERE n.host = a.host AND n.spool = a.spool) AS seen_ms
     FROM cronkeeper_runs r
     LEFT JOIN cronkeeper_attempts a ON a.run_id = r.id AND a.attempt = r.attempts
     WHERE r.id = ANY($1::bigint[])`,
    [runIds],
  );
  const ms = (v: number | null) => (v === null || !Number.isFinite(Number(v)) ? null : Number(v));
  return rows.map((r) => ({
    runId: Number(r.id),
    done: r.outcome !== null,
    epoch: Number(r.epoch),
    attempts: r.attempts,
    attempt:
      r.attempt === null
        ? undefined
        : {
            number: r.attempt,
            startedAtMs: ms(r.started_ms) ?? 0,
            finishedAtMs: ms(r.finished_ms),
            outcome: r.attempt_outcome,
            home: r.host !== null && r.spool !== null ? { host: r.host, spool: r.spool } : null,
          },
    homeSeenAtMs: ms(r.seen_ms),
  }));
}

/**
 * Records a run's outcome from its last attempt's row (fenced): the attempt
 * ended on its home, reported there, and needs no retry.
 */
export async function finishRunFromAttempt(
  db: Queryable,
  fence: Fence,
  runId: number,
  attempt: number,
  atMs: number,
): Promise<void> {
  await db.query(
    `WITH ${fenceCte(4)}
     UPDATE cronkeeper_runs r
     SET finished_at = $3, outcome = a.outcome, exit_code = a.exit_code, signal = a.signal,
         http_status = a.http_status, duration_ms = a.duration_ms, error = a.error,
         output_tail = a.output_tail, next_attempt_at = NULL
     FROM cronkeeper_attempts a, fence
     WHERE r.id = $1 AND r.outcome IS NULL AND r.epoch = fence.epoch
       AND a.run_id = r.id AND a.attempt = $2 AND a.outcome IS NOT NULL`,
    [runId, attempt, new Date(atMs).toISOString(), fence.epoch],
  );
}
