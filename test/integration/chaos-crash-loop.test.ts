// The short version of `npm run chaos`'s crash loop: SIGKILLs at random
// instants under a fleet of jobs (some every second), one daemon and an HA pair
// whose leader is the one killed. Every slot of the run is checked against the
// jobs' own output and the ledger (chaos/check-slots.ts says what duplicated and
// missed mean); every snapshot row must decode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCrashLoop } from '../../chaos/crash-loop.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

for (const pair of [false, true]) {
  test(`crash loop, ${pair ? 'HA pair, the leader killed' : 'one daemon'}: 5 SIGKILLs, no slot twice, none missed`, async () => {
    // Empty, not from the template: the loop's first boot migrates it, and a kill may land there.
    const db = await h.database({ empty: true });
    const dir = h.tempDir('chaos-crash');
    const r = await runCrashLoop({
      url: db.url,
      dir,
      kills: 5,
      jobs: 100,
      perSecond: 5,
      pair,
      finalReadyTimeoutMs: 120_000,
    });
    const problems = [...r.examples, ...r.crashDetails].join('\n');
    // How many slots a run covers depends on where the random kills land (a kill at boot may come
    // within a second of the last: a run of 5 kills lasted 4.6 s once); the loop settles 3 s
    // after the last kill's catch-up, so at least 3 s of every per-second job are checked. The
    // zero counts below are the guarantees.
    assert.ok(r.slotsChecked >= 5 * 3, `slots checked: ${r.slotsChecked}`);
    assert.equal(r.duplicates, 0, problems);
    assert.equal(r.misses, 0, problems);
    assert.equal(r.crashes, 0, problems);
    assert.equal(r.failedIntermediateChecks, 0, 'checks after each restart');
    assert.ok(r.snapshotRows.rows > 0, 'snapshot rows were written');
    assert.equal(
      r.snapshotRows.decoded + r.restoreFallbacks,
      r.snapshotRows.rows,
      'every row decodes or was skipped',
    );
  });
}
