// Leader epochs never repeat, even when the store lost the last bumps (a
// database failover with asynchronous replication): a node takes its next
// epoch above every one it has seen — taken itself, read from the leader row
// while standing by, or found in its run spool — on a real Postgres.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { EpochFloor } from '../../src/ha/epoch-floor.js';
import { acquireLeadership } from '../../src/ha/leadership.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import type { Db } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tempDir, waitFor } from '../support/daemon.js';

let tdb: TestDatabase | undefined;
let db: Db | undefined;
const dirs: string[] = [];
after(async () => {
  await db?.close();
  await tdb?.drop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const lines: Array<Record<string, unknown>> = [];
const logger = pino(
  { base: undefined },
  { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
);

test('no epoch at or below one the node has seen is taken, whatever the leader row says', async () => {
  tdb = await createTestDatabase();
  db = await openPostgres({ url: tdb.url });
  await migrate(db);
  const lead = (nodeId: string, epochFloor: EpochFloor, onStandingBy?: () => void) =>
    acquireLeadership({
      db: db!,
      url: tdb!.url,
      nodeId,
      logger,
      signal: new AbortController().signal,
      leaseMs: 2_000,
      pollMs: 100,
      epochFloor,
      onStandingBy,
    });
  const setRowEpoch = (epoch: number) =>
    db!.exec(`UPDATE cronkeeper_leader SET epoch = ${epoch} WHERE id = 1`);

  // node-a leads a few terms: epochs 1, 2, 3.
  const a = new EpochFloor();
  for (let i = 0; i < 3; i++) await (await lead('node-a', a)).release();
  assert.equal(a.value, 3);
  // node-b stands by while node-a leads epoch 4, and sees it in the leader row.
  const term4 = await lead('node-a', a);
  assert.equal(term4.fence.epoch, 4);
  const b = new EpochFloor();
  let standingBy = false;
  const bLeads = lead('node-b', b, () => (standingBy = true));
  await waitFor(() => standingBy, 10_000, 'node-b standing by');
  await waitFor(() => b.value === 4, 10_000, "node-b seeing node-a's epoch");
  // The database fails over and loses the bumps to 3 and 4: the row says 2.
  await setRowEpoch(2);
  await term4.release();
  const bTerm = await bLeads;
  assert.equal(bTerm.fence.epoch, 5, 'above the 4 node-b saw, not 3');
  assert.ok(
    lines.some((l) => l.storeEpoch === 2 && l.seenEpoch === 4),
    'the lost writes are logged',
  );
  await bTerm.release();
  // Lost again; node-b takes above its own 5.
  await setRowEpoch(1);
  const again = await lead('node-b', b);
  assert.equal(again.fence.epoch, 6);
  await again.release();

  // A restarted node that remembers nothing but its spool: its runs were told epoch 9.
  const spool = tempDir('epoch-spool');
  dirs.push(spool);
  fs.mkdirSync(path.join(spool, '17-1-9'));
  const c = new EpochFloor();
  await c.seeSpool(spool);
  await setRowEpoch(3);
  const cTerm = await lead('node-c', c);
  assert.equal(cTerm.fence.epoch, 10);
  await cTerm.release();
});
