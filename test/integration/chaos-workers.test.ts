// The short version of `npm run chaos`'s workers scenario (issue #19): an HA
// pair hands per-second `runOn: <pool>` jobs (each working 0.2–1.5 s) to two
// workers of the pool; SIGKILLs of the leader, the standby or a worker, picked
// at random, each restarted at once. Every slot of the run is checked against
// the jobs' own output and the ledger (chaos/check-slots.ts says what
// duplicated and missed mean).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWorkersChaos } from '../../chaos/workers-chaos.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

test('workers: 6 SIGKILLs of the leader, the standby or a worker, no slot twice, none missed', async (t) => {
  // Empty, not from the template: the first worker's start migrates it and installs the queue.
  const db = await h.database({ empty: true });
  const dir = h.tempDir('chaos-workers');
  const r = await runWorkersChaos({
    url: db.url,
    dir,
    kills: 6,
    perSecond: 5,
    // Enough for the load with one worker down, few connections on the shared test server.
    concurrency: 8,
    finalReadyTimeoutMs: 120_000,
  });
  const problems = [...r.examples, ...r.crashDetails, r.details].join('\n');
  for (const line of r.details.split('\n')) t.diagnostic(line.trim());
  // The kills come 0.3–4 s apart and the run settles 3 s after the last catch-up: at least 3 s
  // of every job are checked. The zero counts are the guarantees. The host survives every kill, so
  // a worker's runs outlive it and the restarted worker takes them over: none is interrupted.
  assert.ok(r.slotsChecked >= 5 * 3, `slots checked: ${r.slotsChecked}`);
  assert.equal(r.duplicates, 0, problems);
  assert.equal(r.misses, 0, problems);
  assert.equal(r.interrupted, 0, `runs recorded interrupted: ${r.details}`);
  assert.equal(r.crashes, 0, problems);
  assert.equal(r.failedIntermediateChecks, 0, 'checks after each restart');
});
