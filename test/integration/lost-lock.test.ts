// The leader's lock connection is dropped (a network blip, a Postgres
// restart: here pg_terminate_backend) while a long job runs. The node must
// contend for leadership again at once, not after the job ends; the long run
// goes on, is carried into the new term and recorded with its real outcome;
// a per-second job misses no slot and runs none twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { type DaemonProcess, readOutput, recordingCommand, waitFor } from '../support/daemon.js';
import type { TestDatabase } from '../support/database.js';
import { createHarness } from '../support/harness.js';

describe('lost lock connection', () => {
  const h = createHarness();
  let db: TestDatabase | undefined;
  let daemon: DaemonProcess | undefined;
  let dir: string | undefined;

  test('the node leads again while its long run goes on; the run is recorded as it ended; no tick slot lost', async () => {
    db = await h.database();
    dir = h.tempDir('lost-lock');
    const ticks = path.join(dir, 'ticks.txt');
    const longDone = path.join(dir, 'long-done.txt');
    const config = path.join(dir, 'cronkeeper.yaml');
    fs.writeFileSync(
      config,
      `store: { url: "${db.url}" }
ha: { lease: 2s, poll: 200ms }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    command: ${JSON.stringify(recordingCommand(ticks))}
  long:
    every: 5s
    command: ["/bin/sh", "-c", "sleep 12; echo \\"$CRONKEEPER_RUN_ID\\" >> '${longDone}'"]
`,
    );
    daemon = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
    const d = daemon;
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
    const started = await d.waitForLog((l) => l.msg === 'run started' && l.job === 'long', 15_000);
    const longRunId = Number(started.runId);

    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE datname = current_database() AND application_name LIKE 'cronkeeper-leader-lock%'`,
      );
      assert.equal(killed.rows.length, 1, 'one leader lock connection');
      const lostAt = d.logs.length;
      // Leading again (a second 'ready: scheduling') before the long run is over.
      await d.waitForLog((l) => l.msg === 'ready: scheduling' && d.logs.indexOf(l) >= lostAt, 15_000);
      assert.equal(
        fs.existsSync(longDone),
        false,
        'the node waited for the long run to end before leading again',
      );
      await d.waitForLog((l) => l.msg === 'runs started under an earlier term go on under this one', 5_000);
      // The long run ends normally and is recorded under the new term.
      await waitFor(() => fs.existsSync(longDone), 30_000, 'the long run to end');
      await waitFor(
        async () => {
          const r = await admin.query('SELECT outcome FROM cronkeeper_runs WHERE id = $1', [longRunId]);
          return r.rows[0]?.outcome !== null;
        },
        10_000,
        'the long run to be recorded',
      );
      const run = await admin.query<{ outcome: string; epoch: string; current: string }>(
        `SELECT r.outcome, r.epoch::text, l.epoch::text AS current
         FROM cronkeeper_runs r, cronkeeper_leader l WHERE r.id = $1`,
        [longRunId],
      );
      assert.equal(run.rows[0]?.outcome, 'success');
      assert.equal(run.rows[0]?.epoch, run.rows[0]?.current, 'carried into the new term');
      assert.equal(fs.readFileSync(longDone, 'utf8').trim(), String(longRunId), 'ran once');

      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0);
      // Every tick slot from the first to the last, once.
      const times = readOutput(ticks)
        .map((o) => Date.parse(o.scheduledAt))
        .sort((a, b) => a - b);
      assert.ok(times.length >= 10, `only ${times.length} ticks`);
      assert.equal(new Set(times).size, times.length, 'a tick slot ran twice');
      for (let i = 1; i < times.length; i++) {
        assert.equal(
          times[i]! - times[i - 1]!,
          1000,
          `tick slots missing after ${new Date(times[i - 1]!).toISOString()}`,
        );
      }
      const interrupted = await admin.query(
        `SELECT count(*)::int AS n FROM cronkeeper_runs WHERE outcome = 'interrupted'`,
      );
      assert.equal(interrupted.rows[0]?.n, 0);
    } finally {
      await admin.end();
    }
  });
});
