// Reading an embedded store from outside the daemon (after it stopped): the
// run ledger for chaos/check-slots.ts, and a store opened for a hand-made fault.
import type { Db } from '../src/store/db.js';
import type { LedgerRow } from './check-slots.js';

export async function withEmbedded<T>(storeDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const { openEmbedded } = await import('../src/store/open-embedded.js');
  const db = await openEmbedded(storeDir);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function readEmbeddedLedger(storeDir: string): Promise<LedgerRow[]> {
  return withEmbedded(storeDir, async (db) => {
    const rows = await db.query<{
      id: number;
      job: string;
      ms: number;
      started: boolean;
      outcome: string | null;
      recovery: string | null;
    }>(
      `SELECT id, job, (extract(epoch FROM scheduled_at) * 1000)::float8 AS ms,
              started_at IS NOT NULL AS started, outcome, recovery FROM cronkeeper_runs`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      job: r.job,
      scheduledAtMs: Number(r.ms),
      started: r.started,
      outcome: r.outcome,
      recovery: r.recovery,
    }));
  });
}
