// Issue #15, table row 5: 100 concurrent /status clients for 15 s on the
// embedded store (PGlite: one queue for every query). The per-second tick job
// must miss nothing and run nothing twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { runHttpReaders } from '../../chaos/load-scenarios.js';
import { tempDir } from '../support/daemon.js';
import { assertEveryTickOnce, assertLeaderKept, describeFigures } from '../support/load.js';

const dirs: string[] = [];
after(() => {
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('embedded store, 100 concurrent /status clients for 15 s: every tick slot once', async () => {
  const dir = tempDir('load-status-embedded');
  dirs.push(dir);
  const f = await runHttpReaders({
    name: 'e: 100 /status clients, embedded store',
    store: { kind: 'embedded' },
    dir,
    metricsClients: 0,
    statusClients: 100,
    durationMs: 15_000,
    ledgerRows: 0,
  });
  assert.ok((f.http[0]!.outcomes['200'] ?? 0) > 0, `some /status answered: ${describeFigures(f)}`);
  assertEveryTickOnce(f, 15);
  assertLeaderKept(f);
});
