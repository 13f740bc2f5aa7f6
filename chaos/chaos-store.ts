// Reading what the chaos runs left in the store: the run ledger, the leader
// record, and every snapshot row put through the codec.
import pg from 'pg';
import { snapshotCodec } from '../src/snapshot/snapshot-codec.js';
import type { LedgerRow } from './check-slots.js';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export function readLedger(url: string): Promise<LedgerRow[]> {
  return withClient(url, async (c) => {
    const res = await c.query<{
      id: string;
      job: string;
      ms: string;
      started: boolean;
      outcome: string | null;
      recovery: string | null;
    }>(
      `SELECT id::text, job, (extract(epoch FROM scheduled_at) * 1000)::bigint::text AS ms,
              started_at IS NOT NULL AS started, outcome, recovery
       FROM cronkeeper_runs`,
    );
    return res.rows.map((r) => ({
      id: Number(r.id),
      job: r.job,
      scheduledAtMs: Number(r.ms),
      started: r.started,
      outcome: r.outcome,
      recovery: r.recovery,
    }));
  });
}

/** One attempt row of a run handed to a worker pool. */
export interface AttemptRow {
  runId: number;
  attempt: number;
  /** The worker that took it (null: still in the queue). */
  worker: string | null;
  outcome: string | null;
  error: string | null;
}

/** The attempts handed to worker pools (`runOn`). */
export function readHandedAttempts(url: string): Promise<AttemptRow[]> {
  return withClient(url, async (c) => {
    const res = await c.query<{
      run_id: string;
      attempt: number;
      worker: string | null;
      outcome: string | null;
      error: string | null;
    }>(
      `SELECT run_id::text, attempt, worker, outcome, error FROM cronkeeper_attempts WHERE pool IS NOT NULL`,
    );
    return res.rows.map((r) => ({
      runId: Number(r.run_id),
      attempt: r.attempt,
      worker: r.worker,
      outcome: r.outcome,
      error: r.error,
    }));
  });
}

/**
 * Runs of slots in (fromMs, toMs] with no outcome yet, with what holds each:
 * its newest attempt (its worker, if one took it) and the queue's job for it
 * (locked by which graphile-worker, if any).
 */
export function readUnsettledRuns(url: string, fromMs: number, toMs: number): Promise<string[]> {
  return withClient(url, async (c) => {
    const res = await c.query<{ text: string }>(
      `SELECT format('%s@%s (run %s, started %s): attempt %s, worker %s, attempt outcome %s; queue job: %s',
                     r.job, to_char(r.scheduled_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), r.id,
                     r.started_at IS NOT NULL, a.attempt, coalesce(a.worker, 'none'),
                     coalesce(a.outcome, 'none'),
                     coalesce((SELECT format('locked by %s since %s', coalesce(j.locked_by, 'nobody'),
                                             coalesce(to_char(j.locked_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), '-'))
                               FROM graphile_worker.jobs j WHERE j.key = 'cronkeeper:' || r.id || ':' || a.attempt),
                              'none')) AS text
       FROM cronkeeper_runs r
       LEFT JOIN LATERAL (SELECT * FROM cronkeeper_attempts a WHERE a.run_id = r.id
                          ORDER BY a.attempt DESC LIMIT 1) a ON true
       WHERE r.outcome IS NULL AND r.scheduled_at > $1 AND r.scheduled_at <= $2
       ORDER BY r.scheduled_at, r.job`,
      [new Date(fromMs).toISOString(), new Date(toMs).toISOString()],
    );
    return res.rows.map((r) => r.text);
  });
}

/** The node id in the leader record (the newest epoch's holder), if any. */
export function readLeader(url: string): Promise<string | null> {
  return withClient(url, async (c) => {
    const res = await c.query<{ node_id: string | null }>(
      'SELECT node_id FROM cronkeeper_leader WHERE id = 1',
    );
    return res.rows[0]?.node_id ?? null;
  });
}

export interface SnapshotRowsCheck {
  rows: number;
  decoded: number;
  /** Rows that do not decode, by reason: restore must have skipped them (and said so). */
  undecodable: Record<string, number>;
}

/** Decodes every snapshot row with the daemon's codec. */
export function decodeSnapshotRows(url: string): Promise<SnapshotRowsCheck> {
  return withClient(url, async (c) => {
    const res = await c.query<{ payload: Buffer }>('SELECT payload FROM cronkeeper_snapshots ORDER BY id');
    const check: SnapshotRowsCheck = { rows: res.rows.length, decoded: 0, undecodable: {} };
    for (const r of res.rows) {
      try {
        snapshotCodec.decode(r.payload);
        check.decoded++;
      } catch (err) {
        const reason = (err as { reason?: string }).reason ?? 'error';
        check.undecodable[reason] = (check.undecodable[reason] ?? 0) + 1;
      }
    }
    return check;
  });
}

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
