// A reload of a large config must not cost the leader its term, nor a job
// its slots: reading 30,000 jobs, and placing a problem in them, takes longer
// than a lease of 1 s. The reading runs on a worker thread
// (config-reader-thread.ts); the leader's heartbeat and a per-second job keep
// going, every second once, through a rejected and an accepted reload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const dir = h.tempDir('large-reload');

const ticks = path.join(dir, 'ticks.txt');

function configText(url: string, jobs: number, bad: boolean): string {
  const lines = [
    `store: { url: "${url}" }`,
    'ha: { lease: 1s }',
    'jobs:',
    `  tick: { every: 1s, catchup: all, command: ["/bin/sh", "-c", "echo $CRONKEEPER_SCHEDULED_AT >> '${ticks}'"] }`,
  ];
  // Daily jobs, hours away: nothing runs during the test.
  for (let i = 0; i < jobs; i++)
    lines.push(`  job-${i}: { schedule: "${i % 60} ${Math.floor(i / 60) % 60} 3 * * *", command: [echo] }`);
  if (bad) lines.push('  broken: { schedule: "61 * * * *", command: [echo] }');
  return lines.join('\n') + '\n';
}

test('the leader keeps its term through the reload of 30,000 jobs, rejected and accepted', async () => {
  const db = await h.database();
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(config, configText(db.url, 30_000, false));
  const daemon = h.startDaemon(config);
  try {
    const ready = await daemon.waitForLog((l) => l.msg === 'ready: scheduling', 120_000);

    // The per-second job has run since ready when the first reload comes.
    const readyAt = Date.parse(String(ready.time));
    const ticked = () =>
      fs.existsSync(ticks) &&
      fs
        .readFileSync(ticks, 'utf8')
        .trim()
        .split('\n')
        .some((t) => Date.parse(t) >= readyAt);
    await waitFor(ticked, 10_000, 'a tick after ready');
    fs.writeFileSync(config, configText(db.url, 30_000, true));
    const firstReloadAt = Date.now();
    daemon.proc.kill('SIGHUP');
    const rejected = await daemon.waitForLog(
      (l) => l.msg === 'config reload rejected: keeping the running config',
      120_000,
    );
    assert.deepEqual(
      (rejected.problems as string[]).map((p) => p.replace(/^.*cronkeeper\.yaml:/, '')),
      ["30005:23: jobs.broken.schedule: invalid cron pattern '61 * * * *': minute '61' is out of range 0-59"],
    );

    fs.writeFileSync(config, configText(db.url, 30_001, false));
    daemon.proc.kill('SIGHUP');
    const reloaded = await daemon.waitForLog((l) => l.msg === 'config reloaded', 120_000);
    assert.equal(reloaded.jobs, 30_002);
    // Ticks go on after the switch: two of them. (Waited for, not timed: a loaded machine runs them late.)
    const reloadedAt = Date.parse(String(reloaded.time));
    const ticksAfterReload = () =>
      fs
        .readFileSync(ticks, 'utf8')
        .trim()
        .split('\n')
        .filter((t) => Date.parse(t) > reloadedAt).length;
    await waitFor(() => ticksAfterReload() >= 2, 30_000, 'two ticks after the reload');

    // The per-second job's own record: from its first slot after ready to the last, every second once.
    const slots = fs
      .readFileSync(ticks, 'utf8')
      .trim()
      .split('\n')
      .map((t) => Date.parse(t));
    const from = slots.findIndex((ms) => ms >= readyAt);
    const seen = slots.slice(from);
    // The ticks span both reloads: one before the first, one after the accepted one took effect.
    assert.ok(seen[0]! < firstReloadAt, `first tick after ready ${new Date(seen[0]!).toISOString()}`);
    assert.ok(
      seen.at(-1)! > Date.parse(String(reloaded.time)),
      `last tick ${new Date(seen.at(-1)!).toISOString()} is not after the reload`,
    );
    for (let i = 1; i < seen.length; i++) {
      assert.equal(
        seen[i]! - seen[i - 1]!,
        1000,
        `slot ${new Date(seen[i]!).toISOString()} follows ${new Date(seen[i - 1]!).toISOString()}`,
      );
    }

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
  }
});
