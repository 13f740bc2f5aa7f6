// Workers on a real Postgres (issue #19): a leader hands the runs of
// `runOn: <pool>` jobs to graphile-worker's queue and `cronkeeper worker`
// processes of the pool run them. Asserted on the jobs' own output and the
// ledger: every slot once, on a worker of its pool; a worker SIGKILLed mid-run
// leaves its jobs running, and the worker restarted on its host takes them
// over; a worker whose host is gone has its runs interrupted (onInterrupted
// decides: skip leaves it, rerun runs it again on a live worker); a leader SIGKILLed while a
// worker runs a slot hands the following of it to the standby, which records
// it, and no slot runs twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';
import { WORKER_READY, query, stopAll } from '../support/workers.js';

const h = createHarness();

const STANDING_BY = 'another node leads: standing by until the leader lock is free';

/** A command that appends "<job> <scheduledAt> <worker> <attempt>" to `out`, then works for `seconds`. */
function recording(out: string, seconds: number, marks?: string): string {
  const line = `echo "$CRONKEEPER_JOB $CRONKEEPER_SCHEDULED_AT \${CRONKEEPER_WORKER:-leader} $CRONKEEPER_ATTEMPT" >> '${out}'`;
  const mark = marks ? `; echo "$CRONKEEPER_JOB start" >> '${marks}'` : '';
  return JSON.stringify(['/bin/sh', '-c', `${line}${mark}; sleep ${seconds}`]);
}

function writeConfig(
  dir: string,
  url: string,
  jobs: string,
  name = 'cronkeeper.yaml',
  ha = 'ha: { lease: 2s }',
): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `store: { url: "${url}" }
spool: { path: "${path.join(dir, `spool-${name}`)}" }
${ha}
shutdownGrace: 5s
jobs:
${jobs}
`,
  );
  return file;
}

interface Ran {
  job: string;
  scheduledAt: string;
  worker: string;
  attempt: number;
}

function readRuns(out: string): Ran[] {
  if (!fs.existsSync(out)) return [];
  return fs
    .readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [job, scheduledAt, worker, attempt] = l.split(' ');
      return { job: job!, scheduledAt: scheduledAt!, worker: worker!, attempt: Number(attempt) };
    });
}

async function workerPools(url: string): Promise<Map<string, string>> {
  const rows = await query<{ worker_id: string; pool: string }>(
    url,
    'SELECT worker_id, pool FROM cronkeeper_workers',
  );
  return new Map(rows.map((r) => [r.worker_id, r.pool]));
}

test('per-second jobs on two pools: every slot runs once, on a worker of its pool; a local job stays on the leader', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers');
  const out = path.join(dir, 'out.txt');
  const config = writeConfig(
    dir,
    db.url,
    ['a1', 'a2']
      .map(
        (n) =>
          `  alpha-${n}: { every: 1s, catchup: none, overlap: allow, runOn: alpha, command: ${recording(out, 0.3)} }`,
      )
      .concat([
        `  beta-1: { every: 1s, catchup: none, overlap: allow, runOn: beta, command: ${recording(out, 0.3)} }`,
        `  here: { every: 1s, catchup: none, overlap: allow, command: ${recording(out, 0.1)} }`,
      ])
      .join('\n'),
  );
  const leader = h.startDaemon(config);
  const listening = await leader.waitForLog((l) => l.msg === 'http listening', 30_000);
  await leader.waitForLog((l) => l.msg === 'leading', 30_000);
  const workers = [
    h.startWorker(config, 'alpha'),
    h.startWorker(config, 'alpha'),
    h.startWorker(config, 'beta'),
  ];
  for (const w of workers) await w.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  await waitFor(() => readRuns(out).filter((r) => r.job === 'beta-1').length >= 8, 60_000, 'eight beta runs');
  // status lists the workers, alive, by pool.
  const status = runCli(['status', '--json', '--config', config]);
  const seen = (JSON.parse(status.stdout) as { workers: Array<{ pool: string; state: string }> }).workers;
  assert.deepEqual(
    seen.map((w) => `${w.pool} ${w.state}`).sort(),
    ['alpha alive', 'alpha alive', 'beta alive'],
    status.stdout,
  );
  // The pick-up latency is measured by pool.
  const metrics = await (await fetch(`http://127.0.0.1:${listening.port as number}/metrics`)).text();
  for (const pool of ['alpha', 'beta'])
    assert.match(metrics, new RegExp(`cronkeeper_handed_pickup_seconds_count\\{pool="${pool}"\\} [1-9]`));
  // Runs by pool and the workers' host; the workers by pool and state.
  const host = os.hostname();
  for (const pool of ['alpha', 'beta'])
    assert.match(
      metrics,
      new RegExp(`cronkeeper_handed_runs_total\\{pool="${pool}",host="${host}"\\} [1-9]`),
    );
  assert.match(metrics, /cronkeeper_workers\{pool="alpha",state="alive"\} 2\n/);
  assert.match(metrics, /cronkeeper_workers\{pool="beta",state="alive"\} 1\n/);
  await stopAll(leader, ...workers);

  const pools = await workerPools(db.url);
  assert.equal(pools.size, 3, 'three workers recorded themselves');
  const runs = readRuns(out);
  for (const job of ['alpha-a1', 'alpha-a2', 'beta-1', 'here']) {
    const mine = runs.filter((r) => r.job === job);
    assert.ok(mine.length >= 5, `${job} ran (${mine.length} times)`);
    const slots = mine.map((r) => Date.parse(r.scheduledAt)).sort((a, b) => a - b);
    assert.equal(new Set(slots).size, slots.length, `${job}: no slot ran twice`);
    // Every slot between the first and the last ran: one a second.
    assert.equal(
      (slots.at(-1)! - slots[0]!) / 1000 + 1,
      slots.length,
      `${job}: no slot lost between its first and last`,
    );
    for (const r of mine) {
      if (job === 'here') assert.equal(r.worker, 'leader', 'a local job runs on the leader');
      else
        assert.equal(
          pools.get(r.worker),
          job.startsWith('alpha') ? 'alpha' : 'beta',
          `${job} ran on ${r.worker}`,
        );
    }
  }
  // The ledger agrees: one row per slot, each with one attempt taken by a worker of its pool.
  const rows = await query<{
    job: string;
    outcome: string;
    n: number;
    pool: string | null;
    worker: string | null;
  }>(
    db.url,
    `SELECT r.job, r.outcome, count(a.*)::int AS n, max(a.pool) AS pool, max(a.worker) AS worker
     FROM cronkeeper_runs r LEFT JOIN cronkeeper_attempts a ON a.run_id = r.id
     WHERE r.outcome IS NOT NULL GROUP BY r.id, r.job, r.outcome`,
  );
  for (const r of rows.filter((x) => x.job !== 'here')) {
    assert.equal(r.n, 1, `${r.job}: one attempt`);
    if (r.outcome === 'success') {
      assert.equal(r.pool, r.job.startsWith('alpha') ? 'alpha' : 'beta');
      assert.equal(pools.get(r.worker!), r.pool);
    }
  }
  for (const job of ['alpha-a1', 'alpha-a2', 'beta-1']) {
    const ledger = rows.filter((r) => r.job === job && r.outcome === 'success').length;
    assert.equal(
      ledger,
      runs.filter((r) => r.job === job).length,
      `${job}: a success in the ledger for each run`,
    );
  }
});

test('a worker SIGKILLed mid-run: its jobs go on; the worker restarted on its host takes them over and records how they ended: each slot once, none interrupted', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-crash');
  const out = path.join(dir, 'out.txt');
  const ends = path.join(dir, 'ends.txt');
  const marks = path.join(dir, 'marks.txt');
  // Each job says when it starts and when it ends; the short one ends while no worker lives.
  const job = (name: string, seconds: number) =>
    `  ${name}: { schedule: "0 0 1 1 *", backfillFrom: "2026-01-01T00:00:00Z", catchupWindow: 3650d, runOn: alpha, onInterrupted: rerun, command: ${JSON.stringify(
      [
        '/bin/sh',
        '-c',
        `${JSON.parse(recording(out, 0, marks))[2]}; sleep ${seconds}; echo "$CRONKEEPER_JOB end" >> '${ends}'`,
      ],
    )} }`;
  const config = writeConfig(dir, db.url, [job('short', 1), job('long', 5)].join('\n'));
  const crashed = h.startWorker(config, 'alpha');
  await crashed.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const leader = h.startDaemon(config);
  await waitFor(
    () => fs.existsSync(marks) && fs.readFileSync(marks, 'utf8').split('\n').filter(Boolean).length >= 2,
    60_000,
    'both jobs to start on the worker',
  );
  crashed.proc.kill('SIGKILL');
  await crashed.exited;
  // Restarted as systemd would (RestartSec), once the short job ended unwatched.
  await sleep(2_000);
  const restarted = h.startWorker(config, 'alpha');
  const ready = await restarted.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const takenOver = await restarted.waitForLog((l) => l.msg === 'run of a dead worker taken over', 30_000);
  assert.match(String(takenOver.why), /is gone|fell silent/);
  await waitFor(
    async () =>
      (
        await query<{ n: number }>(
          db.url,
          "SELECT count(*)::int AS n FROM cronkeeper_runs WHERE outcome = 'success'",
        )
      )[0]?.n === 2,
    60_000,
    'both runs recorded as succeeded',
  );
  await stopAll(leader, restarted);

  const runs = readRuns(out);
  assert.deepEqual(runs.map((r) => r.job).sort(), ['long', 'short'], 'each slot ran once');
  assert.deepEqual(
    fs.readFileSync(ends, 'utf8').split('\n').filter(Boolean).sort(),
    ['long end', 'short end'],
    'each job ran to its end, once',
  );
  const ledger = await query<{
    job: string;
    outcome: string;
    attempts: number;
    interrupted: number;
    worker: string;
  }>(
    db.url,
    `SELECT r.job, r.outcome, r.attempts, r.interrupted_attempts AS interrupted, a.worker
     FROM cronkeeper_runs r JOIN cronkeeper_attempts a ON a.run_id = r.id ORDER BY r.job`,
  );
  const restartedId = String(ready.workerId);
  assert.deepEqual(
    ledger.map((r) => [r.job, r.outcome, r.attempts, r.interrupted, r.worker]),
    [
      ['long', 'success', 1, 0, restartedId],
      ['short', 'success', 1, 0, restartedId],
    ],
    'recorded by the worker that took them over, not interrupted',
  );
  assert.equal(
    leader.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('run interrupted')).length,
    0,
  );
});

test("a worker's host gone (the worker and its jobs SIGKILLed, no worker back within ha.hostWait): its runs are interrupted; skip leaves one, rerun runs the other again on a live worker", async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-kill');
  const out = path.join(dir, 'out.txt');
  const marks = path.join(dir, 'marks.txt');
  const config = writeConfig(
    dir,
    db.url,
    [
      `  skipper: { schedule: "0 0 1 1 *", backfillFrom: "2026-01-01T00:00:00Z", catchupWindow: 3650d, runOn: alpha, onInterrupted: skip, command: ${recording(out, 6, marks)} }`,
      `  rerunner: { schedule: "0 0 1 1 *", backfillFrom: "2026-01-01T00:00:00Z", catchupWindow: 3650d, runOn: alpha, onInterrupted: rerun, command: ${recording(out, 6, marks)} }`,
    ].join('\n'),
    'cronkeeper.yaml',
    'ha: { lease: 2s, hostWait: 2s }',
  );
  const doomed = h.startWorker(config, 'alpha');
  await doomed.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const leader = h.startDaemon(config);
  await waitFor(
    () => fs.existsSync(marks) && fs.readFileSync(marks, 'utf8').split('\n').filter(Boolean).length >= 2,
    60_000,
    'both jobs to start on the doomed worker',
  );
  // The host goes: the worker and its jobs (each its own process group) die at once.
  let pids: number[] = [];
  await waitFor(
    async () => {
      const rows = await query<{ pid: number | null }>(db.url, 'SELECT pid FROM cronkeeper_attempts');
      pids = rows.flatMap((r) => (r.pid === null ? [] : [r.pid]));
      return pids.length === 2;
    },
    10_000,
    'both jobs spawned',
  );
  const killedAt = Date.now();
  doomed.proc.kill('SIGKILL');
  for (const pid of pids) process.kill(-pid, 'SIGKILL');
  await doomed.exited;
  const listening = await leader.waitForLog((l) => l.msg === 'http listening', 30_000);
  const lost = await leader.waitForLog(
    (l) =>
      typeof l.msg === 'string' &&
      l.msg.startsWith('run interrupted: its worker died') &&
      l.job === 'skipper',
    30_000,
  );
  assert.ok(
    Date.now() - killedAt < 15_000,
    'interrupted within the bound (two leases, ha.hostWait, and a reading)',
  );
  assert.match(String(lost.why), /fell silent.*no worker of its host took the run over within ha\.hostWait/);
  // Counted by pool; /metrics is rendered at most once a second.
  await waitFor(
    async () =>
      (await (await fetch(`http://127.0.0.1:${listening.port as number}/metrics`)).text()).includes(
        'cronkeeper_handed_runs_lost_total{pool="alpha"} 2',
      ),
    10_000,
    'the two lost runs counted',
  );
  const live = h.startWorker(config, 'alpha');
  await waitFor(
    async () =>
      (
        await query<{ outcome: string | null }>(
          db.url,
          "SELECT outcome FROM cronkeeper_runs WHERE job = 'rerunner'",
        )
      )[0]?.outcome === 'success',
    60_000,
    'the rerun to succeed',
  );
  await stopAll(leader, live);

  const pools = await workerPools(db.url);
  const runs = readRuns(out);
  const skipper = runs.filter((r) => r.job === 'skipper');
  const rerunner = runs.filter((r) => r.job === 'rerunner');
  assert.equal(skipper.length, 1, 'skip: the slot is not run again');
  assert.deepEqual(
    rerunner.map((r) => r.attempt),
    [1, 2],
    'rerun: run again once, as the next attempt',
  );
  assert.notEqual(rerunner[0]!.worker, rerunner[1]!.worker, 'the rerun ran on the live worker');
  // runs show says where each attempt ran.
  const id = (
    await query<{ id: number }>(db.url, "SELECT id FROM cronkeeper_runs WHERE job = 'rerunner'")
  )[0]!.id;
  const detail = JSON.parse(runCli(['runs', 'show', String(id), '--json', '--config', config]).stdout) as {
    attempts: Array<{ pool: string; worker: string; outcome: string }>;
  };
  assert.deepEqual(
    detail.attempts.map((a) => [a.pool, a.worker, a.outcome]),
    [
      ['alpha', rerunner[0]!.worker, 'interrupted'],
      ['alpha', rerunner[1]!.worker, 'success'],
    ],
  );
  for (const r of runs) assert.equal(pools.get(r.worker), 'alpha');
  const ledger = await query<{
    job: string;
    outcome: string;
    attempts: number;
    interrupted_attempts: number;
  }>(db.url, 'SELECT job, outcome, attempts, interrupted_attempts FROM cronkeeper_runs ORDER BY job');
  assert.deepEqual(
    ledger.map((r) => [r.job, r.outcome, r.attempts, r.interrupted_attempts]),
    [
      ['rerunner', 'success', 2, 1],
      ['skipper', 'interrupted', 1, 1],
    ],
  );
});

test('a leader SIGKILLed while a worker runs a slot: the standby follows the run and records it; no slot runs twice', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-takeover');
  const out = path.join(dir, 'out.txt');
  const marks = path.join(dir, 'marks.txt');
  const jobs = [
    `  slow: { schedule: "0 0 1 1 *", backfillFrom: "2026-01-01T00:00:00Z", catchupWindow: 3650d, runOn: alpha, command: ${recording(out, 5, marks)} }`,
    `  tick: { every: 1s, catchup: all, runOn: alpha, command: ${recording(out, 0.2)} }`,
  ].join('\n');
  const configA = writeConfig(dir, db.url, jobs, 'node-a.yaml');
  const configB = writeConfig(dir, db.url, jobs, 'node-b.yaml');
  const worker = h.startWorker(configA, 'alpha');
  await worker.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const a = h.startDaemon(configA, { CRONKEEPER_NODE_ID: 'node-a' });
  await waitFor(() => fs.existsSync(marks), 60_000, 'the slow job to start on the worker');
  const b = h.startDaemon(configB, { CRONKEEPER_NODE_ID: 'node-b' });
  await b.waitForLog((l) => l.msg === STANDING_BY, 30_000);
  a.proc.kill('SIGKILL');
  await a.exited;
  await b.waitForLog(
    (l) => l.msg === 'run in the hands of a worker pool: following it' && l.job === 'slow',
    30_000,
  );
  await waitFor(
    async () =>
      (
        await query<{ outcome: string | null }>(
          db.url,
          "SELECT outcome FROM cronkeeper_runs WHERE job = 'slow'",
        )
      )[0]?.outcome === 'success',
    60_000,
    'the standby to record the slow run',
  );
  await sleep(2_000);
  await stopAll(b, worker);

  const runs = readRuns(out);
  assert.equal(runs.filter((r) => r.job === 'slow').length, 1, 'the slow slot ran once');
  const ticks = runs.filter((r) => r.job === 'tick').map((r) => r.scheduledAt);
  assert.ok(ticks.length >= 5, `the tick job ran (${ticks.length})`);
  assert.equal(new Set(ticks).size, ticks.length, 'no tick slot ran twice');
  // A slot claimed ahead of its instant when the leader stopped stays claimed for the next leader.
  const open = await query<{ n: number }>(
    db.url,
    'SELECT count(*)::int AS n FROM cronkeeper_runs WHERE outcome IS NULL AND attempts > 0',
  );
  assert.equal(open[0]!.n, 0, 'every run started is recorded');
});

test('overlap: skip holds across workers: a run on one worker keeps the next slot off the other', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-overlap');
  const out = path.join(dir, 'out.txt');
  const config = writeConfig(
    dir,
    db.url,
    `  long: { every: 1s, catchup: none, overlap: skip, runOn: alpha, command: ${recording(out, 1.5)} }`,
  );
  const workers = [h.startWorker(config, 'alpha'), h.startWorker(config, 'alpha')];
  for (const w of workers) await w.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const leader = h.startDaemon(config);
  await waitFor(() => readRuns(out).length >= 4, 60_000, 'four runs');
  await stopAll(leader, ...workers);

  const rows = await query<{ outcome: string; error: string | null; started: number; finished: number }>(
    db.url,
    `SELECT r.outcome, r.error, extract(epoch FROM a.started_at) * 1000 AS started,
            extract(epoch FROM a.finished_at) * 1000 AS finished
     FROM cronkeeper_runs r LEFT JOIN cronkeeper_attempts a ON a.run_id = r.id
     WHERE r.outcome IS NOT NULL ORDER BY r.scheduled_at`,
  );
  const ran = rows.filter((r) => r.outcome === 'success');
  assert.ok(ran.length >= 3, `runs: ${ran.length}`);
  for (let i = 1; i < ran.length; i++)
    assert.ok(
      Number(ran[i]!.started) >= Number(ran[i - 1]!.finished),
      'no two runs at once, whichever worker',
    );
  const skipped = rows.filter((r) => r.outcome === 'skipped');
  assert.ok(skipped.length >= 2, `slots skipped by overlap: ${skipped.length}`);
  for (const s of skipped) assert.match(s.error ?? '', /overlap/);
});

test('overlap: replace stops the run on its worker when the next slot is due', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-replace');
  const out = path.join(dir, 'out.txt');
  const config = writeConfig(
    dir,
    db.url,
    `  longer: { every: 2s, catchup: none, overlap: replace, killGrace: 1s, runOn: alpha, command: ${recording(out, 30)} }`,
  );
  const worker = h.startWorker(config, 'alpha');
  await worker.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const leader = h.startDaemon(config);
  await waitFor(
    async () =>
      (
        await query<{ n: number }>(
          db.url,
          "SELECT count(*)::int AS n FROM cronkeeper_runs WHERE outcome = 'stopped'",
        )
      )[0]!.n >= 2,
    60_000,
    'two runs replaced',
  );
  await stopAll(leader, worker);
  const rows = await query<{ outcome: string | null; aout: string | null; worker: string | null }>(
    db.url,
    `SELECT r.outcome, a.outcome AS aout, a.worker FROM cronkeeper_runs r
     JOIN cronkeeper_attempts a ON a.run_id = r.id WHERE r.outcome = 'stopped' ORDER BY r.scheduled_at`,
  );
  // Each replaced run was stopped on the worker, which recorded its attempt so.
  for (const r of rows) {
    assert.equal(r.aout, 'stopped');
    assert.notEqual(r.worker, null);
  }
  const ran = readRuns(out).map((r) => r.scheduledAt);
  assert.equal(new Set(ran).size, ran.length, 'no slot ran twice');
});
