// Issue #15, table row 3: 500 concurrent local clients on /metrics for 15 s,
// on a Postgres store. The per-second tick job must miss nothing and run
// nothing twice, and the daemon must keep its leadership throughout.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { runHttpReaders } from '../../chaos/load-scenarios.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tempDir } from '../support/daemon.js';
import { assertEveryTickOnce, assertLeaderKept, describeFigures } from '../support/load.js';

const databases: TestDatabase[] = [];
const dirs: string[] = [];
after(async () => {
  for (const db of databases) await db.drop();
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('500 concurrent /metrics clients for 15 s: every tick slot once, the leader kept', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  const dir = tempDir('load-metrics');
  dirs.push(dir);
  const f = await runHttpReaders({
    name: 'c: 500 /metrics clients',
    store: { kind: 'postgres', url: db.url },
    dir,
    metricsClients: 500,
    statusClients: 0,
    durationMs: 15_000,
    ledgerRows: 0,
  });
  const metrics = f.http[0]!;
  assert.ok((metrics.outcomes['200'] ?? 0) > 0, `some scrapes answered: ${describeFigures(f)}`);
  assertEveryTickOnce(f, 15);
  assertLeaderKept(f);
});
