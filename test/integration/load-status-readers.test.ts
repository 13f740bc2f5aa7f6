// Issue #15, table row 4: 8 concurrent /status clients for 15 s with 1,000,000
// runs in the ledger (11.6 days of one per-second job, inside the 30 d
// retention, behind a snapshot), on a Postgres store. The per-second tick job
// must miss nothing and run nothing twice, and the daemon must keep its
// leadership: status reads must not take the critical path's connections.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runHttpReaders } from '../../chaos/load-scenarios.js';
import { createHarness } from '../support/harness.js';
import { assertEveryTickOnce, assertLeaderKept, describeFigures } from '../support/load.js';

const h = createHarness();

test('8 concurrent /status clients over a 1,000,000-row ledger for 15 s: every tick slot once, the leader kept', async () => {
  const db = await h.database();
  const dir = h.tempDir('load-status');
  const f = await runHttpReaders({
    name: 'd: 8 /status clients, 1,000,000 ledger rows',
    store: { kind: 'postgres', url: db.url },
    dir,
    metricsClients: 0,
    statusClients: 8,
    durationMs: 15_000,
    ledgerRows: 1_000_000,
  });
  assert.ok((f.http[0]!.outcomes['200'] ?? 0) > 0, `some /status answered: ${describeFigures(f)}`);
  assertEveryTickOnce(f, 15);
  assertLeaderKept(f);
});
