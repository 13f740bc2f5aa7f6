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
