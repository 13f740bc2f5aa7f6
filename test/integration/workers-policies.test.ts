// The run policies of a `runOn: <pool>` job across hosts (issue #19), on a
// real Postgres with a leader and a worker, asserted on the jobs' own output
// and the ledger: retries are handed again, each attempt run on a worker,
// and the onFailure hook runs on the leader after the last; an operator's
// trigger and backfill of a paused pool job run on the worker; concurrency.max
// and overlap: queue hold across two workers; `cronkeeper migrate` installs
// the queue's schema when jobs run on workers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';
import { WORKER_READY, query, stopAll } from '../support/workers.js';

const h = createHarness();

const ONCE = 'schedule: "0 0 1 1 *", catchupWindow: 3650d, runOn: alpha';

function writeConfig(dir: string, url: string, jobs: string): string {
  const file = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    file,
    `store: { url: "${url}" }
spool: { path: "${path.join(dir, 'spool')}" }
ha: { lease: 2s }
jobs:
${jobs}
`,
  );
  return file;
}

/** argv of a shell line. */
const sh = (line: string) => JSON.stringify(['/bin/sh', '-c', line]);

function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

test('retries of a pool job are handed again and run on a worker; the onFailure hook runs on the leader after the last', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-retries');
  const out = path.join(dir, 'out.txt');
  const hooks = path.join(dir, 'hooks.txt');
  const count = path.join(dir, 'count');
  const record = `echo "$CRONKEEPER_JOB $CRONKEEPER_ATTEMPT \${CRONKEEPER_WORKER:-leader}" >> '${out}'`;
  const config = writeConfig(
    dir,
    db.url,
    [
      // Fails twice, then succeeds.
      `  flaky: { ${ONCE}, backfillFrom: "2026-01-01T00:00:00Z", retries: { max: 3, backoff: 1s, maxBackoff: 1s }, command: ${sh(
        `${record}; n=$(cat '${count}' 2>/dev/null || echo 0); echo $((n + 1)) > '${count}'; [ "$n" -ge 2 ]`,
      )} }`,
      `  broken: { ${ONCE}, backfillFrom: "2026-01-01T00:00:00Z", retries: { max: 1, backoff: 1s, maxBackoff: 1s }, command: ${sh(
        `${record}; exit 3`,
      )}, onFailure: { command: ${sh(`echo "$CRONKEEPER_JOB \${CRONKEEPER_WORKER:-leader}" >> '${hooks}'`)} } }`,
    ].join('\n'),
  );
  const worker = h.startWorker(config, 'alpha');
  await worker.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const leader = h.startDaemon(config);
  await waitFor(
    async () =>
      (
        await query<{ n: number }>(
          db.url,
          'SELECT count(*)::int AS n FROM cronkeeper_runs WHERE outcome IS NOT NULL',
        )
      )[0]!.n === 2 && lines(hooks).length === 1,
    60_000,
    'both runs decided and the hook run',
  );
  await stopAll(leader, worker);

  const workerId = (
    await query<{ worker_id: string }>(db.url, 'SELECT worker_id FROM cronkeeper_workers')
  )[0]!.worker_id;
  assert.deepEqual(
    lines(out).filter((l) => l.startsWith('flaky')),
    [`flaky 1 ${workerId}`, `flaky 2 ${workerId}`, `flaky 3 ${workerId}`],
  );
  assert.deepEqual(
    lines(out).filter((l) => l.startsWith('broken')),
    [`broken 1 ${workerId}`, `broken 2 ${workerId}`],
  );
  assert.deepEqual(lines(hooks), ['broken leader'], 'the hook ran once, on the leader');
  const attempts = await query<{
    job: string;
    attempt: number;
    outcome: string;
    pool: string;
    worker: string;
  }>(
    db.url,
    `SELECT r.job, a.attempt, a.outcome, a.pool, a.worker FROM cronkeeper_attempts a
     JOIN cronkeeper_runs r ON r.id = a.run_id ORDER BY r.job, a.attempt`,
  );
  assert.deepEqual(
    attempts.map((a) => [a.job, a.attempt, a.outcome, a.pool, a.worker]),
    [
      ['broken', 1, 'failure', 'alpha', workerId],
      ['broken', 2, 'failure', 'alpha', workerId],
      ['flaky', 1, 'failure', 'alpha', workerId],
      ['flaky', 2, 'failure', 'alpha', workerId],
      ['flaky', 3, 'success', 'alpha', workerId],
    ],
  );
  const runs = await query<{ job: string; outcome: string; attempts: number }>(
    db.url,
    'SELECT job, outcome, attempts FROM cronkeeper_runs ORDER BY job',
  );
  assert.deepEqual(
    runs.map((r) => [r.job, r.outcome, r.attempts]),
    [
      ['broken', 'failure', 2],
      ['flaky', 'success', 3],
    ],
  );
});

test("an operator's trigger and backfill of a paused pool job run on the worker, each slot once", async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-controls');
  const out = path.join(dir, 'out.txt');
  const config = writeConfig(
    dir,
    db.url,
    `  nightly: { schedule: "0 3 * * *", catchup: none, runOn: alpha, command: ${sh(
      `echo "$CRONKEEPER_SCHEDULED_AT $CRONKEEPER_MANUAL \${CRONKEEPER_WORKER:-leader}" >> '${out}'`,
    )} }`,
  );
  const leader = h.startDaemon(config);
  await leader.waitForLog((l) => l.msg === 'leading', 30_000);
  const worker = h.startWorker(config, 'alpha');
  await worker.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const pause = runCli(['pause', 'nightly', '--config', config]);
  assert.equal(pause.status, 0, pause.stderr);
  await leader.waitForLog(
    (l) => l.msg === 'job paused: claiming none of its slots until it is resumed',
    30_000,
  );
  const trigger = runCli(['trigger', 'nightly', '--config', config]);
  assert.equal(trigger.status, 0, trigger.stderr);
  const backfill = runCli([
    'backfill',
    'nightly',
    '--from',
    '2026-11-01T00:00:00Z',
    '--to',
    '2026-11-02T23:59:59Z',
    '--config',
    config,
  ]);
  assert.equal(backfill.status, 0, backfill.stderr);
  await waitFor(() => lines(out).length >= 3, 60_000, 'the trigger and the two backfilled slots to run');
  await stopAll(leader, worker);

  const workerId = (
    await query<{ worker_id: string }>(db.url, 'SELECT worker_id FROM cronkeeper_workers')
  )[0]!.worker_id;
  const ran = lines(out).map((l) => l.split(' '));
  assert.equal(ran.length, 3, lines(out).join('\n'));
  for (const r of ran) assert.equal(r[2], workerId, 'run on the worker');
  assert.deepEqual(
    ran
      .filter((r) => r[1] !== '1')
      .map((r) => r[0])
      .sort(),
    ['2026-11-01T03:00:00.000Z', '2026-11-02T03:00:00.000Z'],
    'each backfilled slot once',
  );
  assert.equal(ran.filter((r) => r[1] === '1').length, 1, 'the trigger once');
  const runs = await query<{ outcome: string; pool: string }>(
    db.url,
    'SELECT r.outcome, a.pool FROM cronkeeper_runs r JOIN cronkeeper_attempts a ON a.run_id = r.id',
  );
  assert.deepEqual(
    runs.map((r) => [r.outcome, r.pool]),
    [
      ['success', 'alpha'],
      ['success', 'alpha'],
      ['success', 'alpha'],
    ],
  );
});

test("cronkeeper migrate installs graphile-worker's schema when jobs run on workers, and only then", async () => {
  for (const runOn of ['local', 'alpha']) {
    const db = await h.database();
    const dir = h.tempDir(`workers-migrate-${runOn}`);
    const config = writeConfig(
      dir,
      db.url,
      `  j: { ${ONCE.replace('alpha', runOn)}, command: ["/bin/true"] }`,
    );
    const r = runCli(['migrate', '--json', '--config', config]);
    assert.equal(r.status, 0, r.stderr);
    const queue = runOn !== 'local';
    assert.equal((JSON.parse(r.stdout) as { queue: boolean }).queue, queue);
    const schema = await query<{ ns: string | null }>(
      db.url,
      "SELECT to_regnamespace('graphile_worker')::text AS ns",
    );
    assert.equal(schema[0]!.ns !== null, queue, `graphile_worker schema with runOn: ${runOn}`);
    if (queue) {
      const text = runCli(['migrate', '--config', config]);
      assert.match(text.stdout, /graphile-worker's schema \(the workers' queue\) is up to date/);
    }
  }
});

test('concurrency.max and overlap: queue hold across two workers: never more runs at once than the limit, every slot once, in order', async () => {
  const db = await h.database();
  const dir = h.tempDir('workers-concurrency');
  const out = path.join(dir, 'out.txt');
  // Each run notes its start and end (epoch ms), so the runs at once are counted from the jobs' own output.
  const run = sh(
    `echo "$CRONKEEPER_JOB $CRONKEEPER_SCHEDULED_AT start $(date +%s%3N)" >> '${out}'; sleep 0.8; ` +
      `echo "$CRONKEEPER_JOB $CRONKEEPER_SCHEDULED_AT end $(date +%s%3N)" >> '${out}'`,
  );
  const file = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    file,
    `store: { url: "${db.url}" }
spool: { path: "${path.join(dir, 'spool')}" }
ha: { lease: 2s }
concurrency: { max: 2 }
jobs:
${['a', 'b', 'c']
  .map((n) => `  ${n}: { every: 1s, catchup: none, overlap: allow, runOn: alpha, command: ${run} }`)
  .join('\n')}
  queued: { every: 1s, catchup: none, overlap: queue, runOn: alpha, command: ${run} }
`,
  );
  const workers = [h.startWorker(file, 'alpha'), h.startWorker(file, 'alpha')];
  for (const w of workers) await w.waitForLog((l) => l.msg === WORKER_READY, 30_000);
  const leader = h.startDaemon(file);
  await waitFor(() => lines(out).filter((l) => l.includes(' end ')).length >= 12, 60_000, 'runs to end');
  await stopAll(leader, ...workers);

  const events = lines(out).map((l) => {
    const [job, slot, kind, at] = l.split(' ');
    return { job: job!, slot: slot!, kind: kind!, at: Number(at) };
  });
  // Sweep the starts and ends in time: the runs in progress never exceed concurrency.max.
  let now = 0;
  let most = 0;
  for (const e of [...events].sort((x, y) => x.at - y.at || (x.kind === 'end' ? -1 : 1))) {
    now += e.kind === 'start' ? 1 : -1;
    most = Math.max(most, now);
  }
  assert.ok(most <= 2, `runs at once across both workers: ${most}`);
  assert.equal(most, 2, 'the limit is reached: both workers ran runs');
  const starts = events.filter((e) => e.kind === 'start');
  const keys = starts.map((e) => `${e.job} ${e.slot}`);
  assert.equal(new Set(keys).size, keys.length, 'no slot ran twice');
  // overlap: queue, across workers: one run of the job at a time, its slots in order.
  const queued = events.filter((e) => e.job === 'queued');
  for (let i = 1; i < queued.length; i++) {
    if (queued[i]!.kind === 'start')
      assert.equal(queued[i - 1]!.kind, 'end', 'a queued run waits for the last');
  }
  const queuedSlots = queued.filter((e) => e.kind === 'start').map((e) => e.slot);
  assert.deepEqual(queuedSlots, [...queuedSlots].sort(), 'queued slots run in order');
});
