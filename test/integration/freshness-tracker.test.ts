// The leader's FreshnessTracker on a real Postgres: last-success gauges read
// from the ledger for every job, facts kept for jobs with a maxAge only, and a
// job that gains a maxAge on reload judged on its ledger facts, not on none.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pino from 'pino';
import type { ParsedJob } from '../../src/config/schema.js';
import type { JobConfig } from '../../src/config/types.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { FreshnessTracker } from '../../src/status/freshness-tracker.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testJob } from '../support/jobs.js';
import { MIN } from '../support/time.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
let database: TestDatabase | undefined;
after(async () => database?.drop());

function job(name: string, extra: Partial<ParsedJob> = {}): JobConfig {
  return testJob(name, { schedule: '0 * * * * *', ...extra });
}

/** The value of a per-job series in the exposition, or undefined. */
async function sample(m: Metrics, name: string, jobName: string): Promise<number | undefined> {
  const line = (await m.exposition()).split('\n').find((l) => l.startsWith(`${name}{job="${jobName}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

test('a job that gains a maxAge on reload is judged on its ledger facts', async () => {
  database = await createTestDatabase();
  const db = await openPostgres({ url: database.url });
  try {
    await migrate(db);
    // 'recent' succeeded 30 min ago; its first row is 10 h old. 'never' has no row at all.
    await db.query(
      `INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, outcome)
       VALUES ('recent', $1, false, 1, 'test', 'failure'), ('recent', $2, false, 1, 'test', 'success')`,
      [new Date(NOW - 600 * MIN), new Date(NOW - 30 * MIN)],
    );
    const metrics = new Metrics();
    let jobs = [job('recent'), job('never')];
    const tracker = new FreshnessTracker({
      db,
      metrics,
      clock: { now: () => NOW },
      logger: pino({ level: 'silent' }),
      jobs: () => jobs,
      // The state knows both since 2 h ago.
      stateTime: () => NOW - 120 * MIN,
      intervalMs: 3_600_000,
    });
    tracker.start();
    try {
      await tracker.check();
      const last = 'cronkeeper_job_last_success_timestamp_seconds';
      assert.equal(
        await sample(metrics, last, 'recent'),
        (NOW - 30 * MIN) / 1000,
        'read for a job with no maxAge',
      );
      assert.equal(await sample(metrics, last, 'never'), undefined);
      assert.equal(
        await sample(metrics, 'cronkeeper_job_stale', 'recent'),
        undefined,
        'no maxAge, no verdict',
      );

      // Reload: both now have a maxAge of 1 h. 'recent' succeeded 30 min ago: fresh (judged on
      // nothing but the state's 2 h it would be stale); 'never' has been known for 2 h: stale.
      jobs = [job('recent', { maxAge: 60 * MIN }), job('never', { maxAge: 60 * MIN })];
      await tracker.check();
      assert.equal(await sample(metrics, 'cronkeeper_job_stale', 'recent'), 0);
      assert.equal(await sample(metrics, 'cronkeeper_job_stale', 'never'), 1);

      // A success recorded while leading counts for a job with a maxAge.
      metrics.setLastSuccess('never', NOW - MIN);
      assert.equal(await sample(metrics, 'cronkeeper_job_stale', 'never'), 0);
    } finally {
      tracker.stop();
    }
  } finally {
    await db.close();
  }
});
