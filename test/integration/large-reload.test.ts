// A reload of a large config must not cost the leader its term: reading
// 30,000 jobs, and locating a problem in them with the full YAML reading,
// takes seconds, more than a lease of 1 s. The reading runs on a worker
// thread (config-reader-thread.ts); the leader's heartbeat keeps going.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createTestDatabase } from '../support/database.js';
import { startDaemon, tempDir } from '../support/daemon.js';

const dir = tempDir('large-reload');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function configText(url: string, jobs: number, bad: boolean): string {
  const lines = [`store: { url: "${url}" }`, 'ha: { lease: 1s }', 'jobs:'];
  // Daily jobs, hours away: nothing runs during the test.
  for (let i = 0; i < jobs; i++)
    lines.push(`  job-${i}: { schedule: "${i % 60} ${Math.floor(i / 60) % 60} 3 * * *", command: [echo] }`);
  if (bad) lines.push('  broken: { schedule: "61 * * * *", command: [echo] }');
  return lines.join('\n') + '\n';
}

test('the leader keeps its term through the reload of 30,000 jobs, rejected and accepted', async () => {
  const db = await createTestDatabase();
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(config, configText(db.url, 30_000, false));
  const daemon = startDaemon(config);
  try {
    const ready = await daemon.waitForLog((l) => l.msg === 'ready: scheduling', 120_000);

    fs.writeFileSync(config, configText(db.url, 30_000, true));
    daemon.proc.kill('SIGHUP');
    const rejected = await daemon.waitForLog(
      (l) => l.msg === 'config reload rejected: keeping the running config',
      120_000,
    );
    assert.deepEqual(
      (rejected.problems as string[]).map((p) => p.replace(/^.*cronkeeper\.yaml:/, '')),
      ["30004:23: jobs.broken.schedule: invalid cron pattern '61 * * * *': minute '61' is out of range 0-59"],
    );

    fs.writeFileSync(config, configText(db.url, 30_001, false));
    daemon.proc.kill('SIGHUP');
    const reloaded = await daemon.waitForLog((l) => l.msg === 'config reloaded', 120_000);
    assert.equal(reloaded.jobs, 30_001);

    const lost = daemon.logs.filter(
      (l) =>
        l.msg === 'contending for leadership again' ||
        (l.level === 50 && l.msg !== 'config reload rejected: keeping the running config'),
    );
    assert.deepEqual(lost, [], 'the leader lost its term');
    assert.equal(
      daemon.logs.filter((l) => l.msg === 'leading').length,
      1,
      `one term from start to end (epoch ${String(ready.epoch)})`,
    );
  } finally {
    daemon.proc.kill('SIGTERM');
    await daemon.exited;
    await db.drop();
  }
});
