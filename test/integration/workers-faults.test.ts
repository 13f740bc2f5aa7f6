// Workers under faults on a real Postgres (issue #19), asserted on the jobs'
// own output and the ledger: a worker whose database connections are all
// killed, again and again while its jobs run, goes on and records every run
// (every slot once, none interrupted); a job paused while its runs wait in the
// queue for a worker starts none of them (they end skipped), and runs again
// once resumed; a run locked in the queue by a worker that died before its
// take is freed for a live worker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PAUSED_BEFORE_START } from '../../src/store/worker-attempts.js';
import { runCli, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';
import { WORKER_READY, query, stopAll } from '../support/workers.js';

const h = createHarness();

/** A job that appends "<scheduledAt> <epoch ms>" to `out` as it starts, then works for `seconds`. */
function job(name: string, out: string, seconds: number): string {
  const argv = [
    '/bin/sh',
    '-c',
    `echo "$CRONKEEPER_SCHEDULED_AT $(date +%s%3N)" >> '${out}'; sleep ${seconds}`,
  ];
  return `  ${name}: { every: 1s, catchup: none, overlap: allow, runOn: alpha, command: ${JSON.stringify(argv)} }`;
}

function writeConfig(dir: string, url: string, jobs: string): string {
  const file = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    file,
    `store: { url: "${url}" }
spool: { path: "${path.join(dir, 'spool')}" }
ha: { lease: 2s }
shutdownGrace: 10s
jobs:
${jobs}
`,
  );
  return file;
}

/** The slots (ISO) the job started, in the order it started them, with when (ms). */
function starts(out: string): { slot: string; atMs: number }[] {
  if (!fs.existsSync(out)) return [];
  return fs
    .readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [slot, at] = l.split(' ');
      return { slot: slot!, atMs: Number(at) };
    });
}

test("a worker's database connections killed, three times while its jobs run: it goes on, and every slot runs once and is recorded", async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-db-kill');
  const out = path.join(dir, 'out.txt');
  const config = writeConfig(dir, db.url, job('steady', out, 1.5));
  const leader = h.startDaemon(config);
  await leader.waitForLog((l) => l.msg === 'leading', 30_000);
  const worker = h.startWorker(config, 'alpha');
  await worker.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  await waitFor(() => starts(out).length >= 3, 30_000, 'the first runs on the worker');
  const firstKillMs = Date.now();
  let killed = 0;
  for (let i = 0; i < 3; i++) {
    const rows = await query<{ n: number }>(
      db.url,
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE application_name LIKE 'cronkeeper worker%' AND pid <> pg_backend_pid()`,
    );
    killed += rows[0]!.n;
    await sleep(1_200);
  }
  assert.ok(killed >= 3, `the worker's connections were killed (${killed})`);
  const lastKillMs = Date.now();
  // Runs after the kills: the worker takes new ones again.
  await waitFor(
    () => starts(out).some((s) => s.atMs > lastKillMs + 2_000),
    30_000,
    'runs started after the kills',
  );
  assert.equal(worker.proc.exitCode, null, 'the worker is still running');
  await stopAll(leader, worker);

  const ran = starts(out);
  const slots = ran.map((s) => s.slot);
  assert.equal(new Set(slots).size, slots.length, 'no slot ran twice');
  // Every slot claimed from the first run on ran once, on time or late, and is recorded as it ended.
  const ledger = await query<{ at: string; outcome: string | null; attempts: number; interrupted: number }>(
    db.url,
    `SELECT to_char(scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, outcome, attempts,
            interrupted_attempts AS interrupted
     FROM cronkeeper_runs ORDER BY scheduled_at`,
  );
  const firstSlot = ledger[0]!.at;
  const lastRan = slots.sort().at(-1)!;
  const expected = ledger.filter((r) => r.at >= firstSlot && r.at <= lastRan);
  assert.ok(expected.length >= 8, `slots across the kills (${expected.length})`);
  for (const r of expected) {
    assert.ok(slots.includes(r.at), `slot ${r.at} ran (killed at ${new Date(firstKillMs).toISOString()})`);
    assert.deepEqual([r.outcome, r.attempts, r.interrupted], ['success', 1, 0], `slot ${r.at} recorded`);
  }
  const workers = await query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM cronkeeper_workers');
  assert.equal(workers[0]!.n, 1, 'one worker, never taken for dead and replaced');
});

test('a job paused while its runs wait in the queue: none of them starts, each ends skipped; resumed, it runs again', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-pause');
  const out = path.join(dir, 'out.txt');
  const config = writeConfig(dir, db.url, job('slow', out, 2.5));
  const leader = h.startDaemon(config);
  await leader.waitForLog((l) => l.msg === 'leading', 30_000);
  // One at a time: a run due every second, each 2.5 s long; the rest wait in the queue.
  const worker = h.startWorker(config, 'alpha', ['--concurrency', '1']);
  await worker.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  await waitFor(
    async () =>
      (
        await query<{ n: number }>(
          db.url,
          'SELECT count(*)::int AS n FROM cronkeeper_attempts WHERE worker IS NULL AND finished_at IS NULL',
        )
      )[0]!.n >= 3,
    30_000,
    'runs waiting in the queue',
  );
  const paused = runCli(['pause', 'slow', '--reason', 'test', '--config', config]);
  assert.equal(paused.status, 0, paused.stderr);
  const applied = await leader.waitForLog(
    (l) => l.msg === 'job paused: its runs waiting for a worker are skipped',
    30_000,
  );
  assert.ok((applied.skipped as number) >= 3, `skipped ${String(applied.skipped)}`);
  const pausedAtMs = applied.time as number;
  // The run in progress ends; nothing else starts while paused.
  await sleep(4_000);
  const whilePaused = starts(out);
  assert.deepEqual(
    whilePaused.filter((s) => s.atMs > pausedAtMs),
    [],
    'no run started after the pause was carried out',
  );
  const ledger = await query<{ outcome: string | null; error: string | null; taken: boolean }>(
    db.url,
    `SELECT r.outcome, r.error, a.worker IS NOT NULL AS taken
     FROM cronkeeper_runs r JOIN cronkeeper_attempts a ON a.run_id = r.id ORDER BY r.scheduled_at`,
  );
  assert.ok(
    ledger.every((r) => r.outcome !== null),
    'every run claimed before the pause is decided',
  );
  const skipped = ledger.filter((r) => r.outcome === 'skipped');
  assert.ok(skipped.length >= 3);
  for (const r of skipped) {
    assert.equal(r.taken, false, 'a skipped run was never taken by a worker');
    assert.equal(r.error, PAUSED_BEFORE_START);
  }
  assert.equal(
    ledger.filter((r) => r.taken).length,
    whilePaused.length,
    'the runs a worker took are those the job started',
  );

  const resumed = runCli(['resume', 'slow', '--config', config]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const resumedAtMs = Date.now();
  await waitFor(() => starts(out).some((s) => s.atMs > resumedAtMs), 30_000, 'a run once resumed');
  await stopAll(leader, worker);
});

test('a run locked in the queue by a worker that died before it took the run is freed and runs on a live worker, once', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-stale-lock');
  const out = path.join(dir, 'out.txt');
  const argv = ['/bin/sh', '-c', `echo "$CRONKEEPER_SCHEDULED_AT \${CRONKEEPER_WORKER}" >> '${out}'`];
  const config = writeConfig(
    dir,
    db.url,
    `  once: { schedule: "0 0 1 1 *", backfillFrom: "2026-01-01T00:00:00Z", catchupWindow: 3650d, runOn: alpha, command: ${JSON.stringify(argv)} }`,
  );
  const leader = h.startDaemon(config);
  await leader.waitForLog((l) => l.msg === 'run handed to its pool', 30_000);
  assert.equal(
    (await query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM graphile_worker.jobs'))[0]!.n,
    1,
    'the run is in the queue',
  );
  // What a worker SIGKILLed between graphile-worker's lock and its take leaves: a job locked by a
  // queue worker that is gone, for graphile-worker's four hours.
  await query(
    db.url,
    "UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'worker-killed-before-its-take'",
  );
  const worker = h.startWorker(config, 'alpha');
  await worker.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  await leader.waitForLog(
    (l) => typeof l.msg === 'string' && l.msg.startsWith('runs were locked in the queue'),
    30_000,
  );
  await waitFor(
    async () =>
      (await query<{ outcome: string | null }>(db.url, 'SELECT outcome FROM cronkeeper_runs'))[0]?.outcome ===
      'success',
    30_000,
    'the run to succeed on the live worker',
  );
  await stopAll(leader, worker);
  assert.equal(starts(out).length, 1, 'it ran once');
  const jobs = await query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM graphile_worker.jobs');
  assert.equal(jobs[0]!.n, 0, 'nothing left in the queue');
});
