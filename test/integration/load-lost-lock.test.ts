// Issue #15, table row 2: the leader's lock connection is ended
// (pg_terminate_backend, as a network blip or a Postgres restart would) while a
// 20 s job runs. The daemon must lead again within ha.lease + ha.poll (not
// after the job ended), the per-second tick job must miss nothing and run
// nothing twice, and the long run must be recorded with its real outcome
// (success), not left unfinished or recorded interrupted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLostLock } from '../../chaos/load-scenarios.js';
import { createHarness } from '../support/harness.js';
import { assertEveryTickOnce, describeFigures } from '../support/load.js';

const h = createHarness();

test('lock connection dropped during a 20 s job: leads again at once, every tick slot once, the run recorded', async () => {
  const db = await h.database();
  const dir = h.tempDir('load-lock');
  const f = await runLostLock({ store: { kind: 'postgres', url: db.url }, dir, jobSeconds: 20 });
  const why = describeFigures(f);
  assert.deepEqual(f.notes, [], why);
  // The leadership fact: a new term began after the drop, within the bound.
  assert.ok(f.leadership.releadMs !== null && f.leadership.releadMs !== undefined, `leading again: ${why}`);
  assert.ok(
    f.leadership.releadMs <= f.leadership.releadBoundMs!,
    `leading again within ha.lease + ha.poll (${f.leadership.releadBoundMs} ms), not after the job: ${why}`,
  );
  assert.deepEqual(
    { outcome: f.job?.outcome, finished: f.job?.finished },
    { outcome: 'success', finished: true },
    `the long run recorded with its real outcome: ${why}`,
  );
  assertEveryTickOnce(f, 20);
});
