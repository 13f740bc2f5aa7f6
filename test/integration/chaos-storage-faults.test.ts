// The storage faults of `npm run chaos` (chaos/storage-faults.ts): a read-only
// or full embedded store makes the daemon exit 1 and say why, leaving the store
// usable; every snapshot row corrupted makes restore fall back to the ledger and
// say so; ledger rows behind a snapshot gone, restore trusts the snapshot. The
// store's filesystem turning read-only or filling up under the running daemon:
// it says why, starts nothing more, exits 1; restarted once the fault is lifted,
// it restores from a snapshot. After each, a daemon resumes and every slot ran once.
// (Read-only while running needs root and a loop device; skipped, saying so, without.)
// (Single corrupt rows next to good ones: test/integration/snapshot-fallback.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runStorageFaults } from '../../chaos/storage-faults.js';
import type { TestDatabase } from '../support/database.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
let db: TestDatabase | undefined;
const dir = h.tempDir('chaos-storage');

for (const fault of [
  'read-only',
  'full',
  'snapshots',
  'ledger',
  'read-only-running',
  'full-running',
] as const) {
  test(`storage fault: ${fault}; then every slot once`, async (t) => {
    db ??= await h.database();
    const [r] = await runStorageFaults({ url: db.url, dir, faults: [fault] });
    assert.ok(r);
    if (r.notRun) return t.skip(r.notRun);
    const problems = [...r.examples, ...r.crashDetails, JSON.stringify(r.underFault), r.details ?? ''].join(
      '\n',
    );
    assert.ok(r.behaved, `${r.scenario}: ${problems}`);
    assert.ok(r.slotsChecked > 0, `${r.scenario}: slots checked`);
    assert.equal(r.duplicates, 0, `${r.scenario}: ${problems}`);
    assert.equal(r.misses, 0, `${r.scenario}: ${problems}`);
    assert.equal(r.crashes, 0, `${r.scenario}: ${problems}`);
  });
}
