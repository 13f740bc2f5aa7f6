// What the workers' tests share (test/integration/workers*.test.ts): the
// worker's ready line, a one-off query on a test database, and a graceful
// stop of every process that must exit 0.
import assert from 'node:assert/strict';
import { openPostgres } from '../../src/store/open-postgres.js';
import type { DaemonProcess } from './daemon.js';

export const WORKER_READY = 'worker ready: taking the runs of its pool';

/** One query on its own connection. */
export async function query<R>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const db = await openPostgres({ url });
  try {
    return await db.query<R>(sql, params);
  } finally {
    await db.close();
  }
}

/** SIGTERM to each, in order; every one must stop gracefully (exit 0). */
export async function stopAll(...procs: DaemonProcess[]): Promise<void> {
  for (const p of procs) p.proc.kill('SIGTERM');
  assert.deepEqual(
    await Promise.all(procs.map((p) => p.exited)),
    procs.map(() => 0),
    'every process stops gracefully',
  );
}
