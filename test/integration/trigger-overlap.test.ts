// An operator's trigger meets the job's run in progress (overlap: skip): the
// manual run is not skipped, it waits for that run to end and then runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openPostgres } from '../../src/store/open-postgres.js';
import { CLI, childEnv, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

test('a trigger while the job runs (overlap: skip) waits for the run, then runs once', async () => {
  const dir = h.tempDir('trigger-overlap');
  const db = await h.database();
  const marks = path.join(dir, 'marks.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  // Its one slot of the year is caught up at once, and works 3 s.
  fs.writeFileSync(
    config,
    `store: { url: "${db.url}" }
jobs:
  billing:
    schedule: "0 2 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    overlap: skip
    command: ["/bin/sh", "-c", "echo \\"start $CRONKEEPER_MANUAL\\" >> '${marks}'; sleep 3; echo \\"end $CRONKEEPER_MANUAL\\" >> '${marks}'"]
`,
  );
  const d = h.startDaemon(config);
  await waitFor(() => fs.existsSync(marks), 60_000, 'the catch-up run to start');
  await promisify(execFile)(process.execPath, [CLI, 'trigger', 'billing', '--config', config], {
    env: childEnv(),
  });
  await d.waitForLog((l) => l.msg === 'previous run still running: the manual run waits for it', 30_000);
  const read = () => fs.readFileSync(marks, 'utf8').trim().split('\n');
  await waitFor(() => read().length === 4, 30_000, 'both runs to end');
  assert.deepEqual(read(), ['start 0', 'end 0', 'start 1', 'end 1']);
  // The job's last line is written just before it exits; the daemon records its end after that.
  await waitFor(
    () => d.logs.filter((l) => l.msg === 'run finished' && l.job === 'billing').length === 2,
    30_000,
    'both runs recorded',
  );
  const store = await openPostgres({ url: db.url });
  try {
    const rows = await store.query<{ manual: boolean; outcome: string }>(
      "SELECT manual, outcome FROM cronkeeper_runs WHERE job = 'billing' ORDER BY id",
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [
        { manual: false, outcome: 'success' },
        { manual: true, outcome: 'success' },
      ],
    );
  } finally {
    await store.close();
  }
  // The audit says what became of the request: its run and how it ended, not merely "claimed".
  const audit = await promisify(execFile)(process.execPath, [CLI, 'audit', '--json', '--config', config], {
    env: childEnv(),
  });
  const [entry] = JSON.parse(audit.stdout) as Array<{ action: string; outcome: string }>;
  assert.equal(entry?.action, 'trigger');
  assert.match(entry!.outcome, /^run #\d+ success$/);
});
