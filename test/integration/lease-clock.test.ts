// A leader's lease is measured on the monotonic clock: a forward step of the
// wall clock longer than the lease (NTP correcting a drifted clock, an
// operator's `date -s`) does not end a term whose heartbeats all succeed.
// The step is made in this process (Date.now), where the leadership runs, on a
// real Postgres; a lease measured with Date.now loses the term at the next beat.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pino from 'pino';
import { acquireLeadership } from '../../src/ha/leadership.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import type { Db } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let tdb: TestDatabase | undefined;
let db: Db | undefined;
const realNow = Date.now;
after(async () => {
  Date.now = realNow;
  await db?.close();
  await tdb?.drop();
});

test('a wall-clock step forward longer than the lease keeps the leader leading', async () => {
  tdb = await createTestDatabase();
  db = await openPostgres({ url: tdb.url });
  await migrate(db);
  const leaseMs = 1_000;
  const lead = await acquireLeadership({
    db,
    url: tdb.url,
    nodeId: 'node-a',
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    leaseMs,
    pollMs: 100,
  });
  let lostWith: Error | undefined;
  void lead.lost.then((err) => (lostWith = err));
  const stepMs = 3_600_000;
  Date.now = () => realNow() + stepMs;
  await new Promise((resolve) => setTimeout(resolve, 3 * leaseMs));
  Date.now = realNow;
  assert.equal(lostWith, undefined, `the term was lost: ${lostWith?.message}`);
  const row = await db.query<{ epoch: string; node_id: string; silent: number }>(
    `SELECT epoch::text, node_id, extract(epoch FROM now() - heartbeat_at)::float8 AS silent FROM cronkeeper_leader`,
  );
  assert.equal(row[0]?.node_id, 'node-a');
  assert.equal(Number(row[0]?.epoch), lead.fence.epoch);
  assert.ok(row[0]!.silent < leaseMs / 1000, `the heartbeats went on (last ${row[0]!.silent} s ago)`);
  await lead.release();
});
