// Issue #15, table row 3: 500 concurrent local clients on /metrics for 15 s,
// on a Postgres store. The per-second tick job must miss nothing and run
// nothing twice, and the daemon must keep its leadership throughout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runHttpReaders } from '../../chaos/load-scenarios.js';
import { createHarness } from '../support/harness.js';
import { assertEveryTickOnce, assertLeaderKept, describeFigures } from '../support/load.js';

const h = createHarness();

test('500 concurrent /metrics clients for 15 s: every tick slot once, the leader kept', async () => {
  const db = await h.database();
  const dir = h.tempDir('load-metrics');
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
