// Freshness (maxAge) with the real daemon on Postgres: a job that never
// succeeds turns stale (metric, status --json, status text); a succeeding job
// stays fresh; a manual run counts as a success; after a restart the leader
// exports the right values from the ledger before any new run succeeds.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readSuccessFacts } from '../../src/store/last-success.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { CLI, childEnv, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const run = promisify(execFile);

const h = createHarness();

/** Prometheus text → samples, e.g. `cronkeeper_job_stale{job="x"}` → 1. */
async function metrics(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

interface JobStatus {
  name: string;
  lastSuccess: string | null;
  maxAge: string | null;
  stale: boolean;
  staleAt: string | null;
}

test('maxAge: stale and fresh jobs in the metrics and status; manual runs count; right after a restart', async () => {
  const dir = h.tempDir('freshness');
  const db = await h.database();
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { url: "${db.url}" }
http: { listen: "127.0.0.1:0" }
defaults:
  maxAge: 1h
jobs:
  broken:
    every: 1s
    maxAge: 2s
    command: ["/bin/sh", "-c", "exit 1"]
  fine:
    every: 1s
    command: ["/bin/true"]
  yearly:
    schedule: "0 0 1 1 *"
    command: ["/bin/true"]
`,
  );
  const start = async () => {
    const d = h.startDaemon(config);
    const listening = await d.waitForLog((l) => l.msg === 'http listening', 30_000);
    return { d, base: `http://127.0.0.1:${listening.port as number}` };
  };
  // status exits 1 while a job is stale or failing, 2 with no live leader (its output is the same).
  const statusCodes: number[] = [];
  const cliRun = async (...args: string[]): Promise<string> => {
    try {
      const r = await run(process.execPath, [CLI, ...args, '--config', config], {
        env: childEnv(),
        encoding: 'utf8',
      });
      if (args[0] === 'status') statusCodes.push(0);
      return r.stdout;
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      if (args[0] !== 'status' || (e.code !== 1 && e.code !== 2)) throw err;
      statusCodes.push(e.code);
      return e.stdout ?? '';
    }
  };
  const cliJson = async <T>(...args: string[]): Promise<T> =>
    JSON.parse(await cliRun(...args, '--json')) as T;
  const jobsOf = async () =>
    new Map((await cliJson<{ jobs: JobStatus[] }>('status')).jobs.map((j) => [j.name, j]));

  const first = await start();
  await first.d.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  // broken never succeeds: stale once 2 s have passed since it was first known.
  await waitFor(
    async () => (await metrics(first.base)).get('cronkeeper_job_stale{job="broken"}') === 1,
    20_000,
    'broken flagged stale',
  );
  await first.d.waitForLog(
    (l) => l.msg === 'job is stale: no successful run within its maxAge' && l.job === 'broken',
    5_000,
  );
  let m = await metrics(first.base);
  assert.equal(m.get('cronkeeper_job_stale{job="fine"}'), 0);
  assert.equal(m.get('cronkeeper_job_stale{job="yearly"}'), 0, 'first known at boot, 1h ago at the earliest');
  assert.equal(m.has('cronkeeper_job_last_success_timestamp_seconds{job="broken"}'), false);
  assert.ok((m.get('cronkeeper_job_last_success_timestamp_seconds{job="fine"}') ?? 0) > 0);

  // A manual run of yearly counts as a success, at its request time.
  const triggered = await cliJson<{ control: { requestedAt: string } }>('trigger', 'yearly');
  const requestedAt = Date.parse(triggered.control.requestedAt);
  await waitFor(
    async () =>
      (await metrics(first.base)).get('cronkeeper_job_last_success_timestamp_seconds{job="yearly"}') ===
      requestedAt / 1000,
    20_000,
    'the manual run of yearly recorded as its last success',
  );

  const jobs = await jobsOf();
  assert.equal(jobs.get('broken')!.stale, true);
  assert.equal(jobs.get('broken')!.lastSuccess, null);
  assert.equal(jobs.get('broken')!.maxAge, '2s');
  assert.equal(jobs.get('fine')!.stale, false);
  assert.equal(jobs.get('fine')!.maxAge, '1h', 'from defaults');
  assert.ok(jobs.get('fine')!.lastSuccess);
  assert.equal(jobs.get('yearly')!.lastSuccess, new Date(requestedAt).toISOString());
  const text = await cliRun('status');
  assert.match(text, /^broken: stale: never succeeded \(maxAge 2s; stale since /m);
  assert.equal(statusCodes.at(-1), 1, 'status exits 1 while a job is stale');

  first.d.proc.kill('SIGTERM');
  assert.equal(await first.d.exited, 0);
  const lastFine = (await jobsOf()).get('fine')!.lastSuccess!;
  assert.equal(statusCodes.at(-1), 2, 'no live leader once it stopped');

  // Restart with fine and yearly unable to run before we look: the values come from the ledger.
  fs.writeFileSync(
    config,
    fs
      .readFileSync(config, 'utf8')
      .replace('  fine:\n    every: 1s\n', '  fine:\n    schedule: "0 0 1 1 *"\n    catchup: none\n'),
  );
  const second = await start();
  await waitFor(
    async () => (await metrics(second.base)).has('cronkeeper_job_stale{job="yearly"}'),
    20_000,
    'the freshness gauges after the restart',
  );
  m = await metrics(second.base);
  assert.equal(m.get('cronkeeper_job_last_success_timestamp_seconds{job="yearly"}'), requestedAt / 1000);
  assert.equal(
    m.get('cronkeeper_job_last_success_timestamp_seconds{job="fine"}'),
    Date.parse(lastFine) / 1000,
  );
  assert.equal(m.get('cronkeeper_job_stale{job="yearly"}'), 0);
  assert.equal(m.get('cronkeeper_job_stale{job="broken"}'), 1, 'stale straight away: first known long ago');
  second.d.proc.kill('SIGTERM');
  assert.equal(await second.d.exited, 0);

  // The facts the leader starts from, read directly.
  const store = await openPostgres({ url: db.url });
  try {
    const facts = await readSuccessFacts(store, ['broken', 'yearly', 'nope']);
    assert.equal(facts.get('broken')!.lastSuccessMs, undefined);
    assert.ok(facts.get('broken')!.firstRowMs! < requestedAt);
    assert.equal(facts.get('yearly')!.lastSuccessMs, requestedAt);
    assert.equal(facts.get('yearly')!.firstRowMs, requestedAt);
    assert.equal(facts.has('nope'), false, 'a job with no ledger row has no facts');
  } finally {
    await store.close();
  }
});
