// Issue #15, table row 2: the leader's lock connection is ended
// (pg_terminate_backend, as a network blip or a Postgres restart would) while a
// 20 s job runs. The daemon must lead again within ha.lease + ha.poll (not
// after the job ended), the per-second tick job must miss nothing and run
// nothing twice, and the long run must be recorded with its real outcome
// (success), not left unfinished or recorded interrupted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { runLostLock } from '../../chaos/load-scenarios.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tempDir } from '../support/daemon.js';
import { assertEveryTickOnce, describeFigures } from '../support/load.js';

const databases: TestDatabase[] = [];
const dirs: string[] = [];
after(async () => {
  for (const db of databases) await db.drop();
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('lock connection dropped during a 20 s job: leads again at once, every tick slot once, the run recorded', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  const dir = tempDir('load-lock');
  dirs.push(dir);
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
