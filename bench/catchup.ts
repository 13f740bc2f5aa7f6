// npm run bench:catchup — boot catch-up after downtime, the real daemon on Postgres.
//
// The downtime is simulated: the store is migrated and given a snapshot in
// which every job last ran an hour ago (a minute boundary), then the daemon
// is started. Measured: process start -> every catch-up slot claimed (the
// ledger's catch-up row count reaches the number of runs the daemon logged
// at 'catch-up starting'; polled every 5 ms).
//
//   (a) 1,000 per-minute jobs, catchup: all -> ~60,000 missed slots
//       peer: graphile-worker 0.17.3, the same 1,000 crontab lines
//       (`* * * * * task ?id=jN&fill=1h`) on the same Postgres, after the same
//       simulated downtime (its known_crontabs set an hour back), timed from
//       run() to its `cron:started` event
//   (b) 10,000 jobs, mixed: 9,000 hourly `latest`, 1,000 per-minute `all` capped at maxCatchup 30
//
//   --peer-limit 60 (s, graphile-worker's bound) --json out.json
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import { snapshotCodec } from '../src/snapshot/snapshot-codec.js';
import { migrate } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/open-postgres.js';
import { tempDir } from '../test/support/daemon.js';
import { startDaemon } from '../test/support/daemon.js';
import {
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  round,
  writeJson,
} from './support/bench-env.js';
import { type BenchJob, daemonConfig, jobName, startEndpoint, writeConfig } from './support/bench-jobs.js';

const MIN = 60_000;
const GW_LIMIT_MS = numberArg('--peer-limit', 60) * 1000;

/** Migrates `url` and writes a snapshot in which every job last ran at `lastMs`. */
async function seedDowntime(url: string, jobs: readonly BenchJob[], lastMs: number): Promise<void> {
  const db = await openPostgres({ url });
  await migrate(db);
  const payload = snapshotCodec.encode({
    createdAtMs: lastMs,
    highWater: 0,
    epoch: 0,
    lastExecution: new Map(jobs.map((j) => [j.name, lastMs])),
  });
  await db.query(
    `INSERT INTO cronkeeper_snapshots (format_version, high_water, epoch, node_id, job_count, payload)
     VALUES ($1, 0, 0, 'bench', $2, $3)`,
    [snapshotCodec.writeVersion, jobs.length, payload],
  );
  await db.close();
}

/** Starts the daemon on `jobs` after an hour of downtime; ms from spawn to all catch-up claims committed. */
async function cronkeeperCatchUp(url: string, dir: string, endpoint: string, jobs: BenchJob[], name: string) {
  const lastMs = Math.floor(Date.now() / MIN) * MIN - 60 * MIN;
  await seedDowntime(url, jobs, lastMs);
  const config = writeConfig(dir, `${name}.yaml`, daemonConfig(url, endpoint, jobs, 'catchupConcurrency: 4'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const t0 = Date.now();
  const d = startDaemon(config, { CRONKEEPER_NODE_ID: 'bench' });
  let claims = 0;
  try {
    for (const deadline = t0 + 120_000; Date.now() < deadline;) {
      const r = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM cronkeeper_runs WHERE catchup',
      );
      claims = r.rows[0]!.n;
      // All of them: a batch this big is claimed as two statements (ClaimQueue), committing apart.
      const planned = d.logs.find((l) => l.msg === 'catch-up starting')?.runs;
      if (typeof planned === 'number' && claims >= planned) break;
      await new Promise((res) => setTimeout(res, 5));
    }
  } finally {
    d.proc.kill('SIGKILL');
    await d.exited;
    await client.end();
  }
  const claimedMs = Date.now() - t0;
  // Where the time went, from the daemon's own log (ms after the spawn).
  const phases: Record<string, number> = {};
  for (const msg of [
    'cronkeeper starting',
    'schema migrated',
    'leading',
    'state restored',
    'catch-up starting',
  ]) {
    const line = d.logs.find((l) => l.msg === msg);
    if (line) phases[msg] = Date.parse(String(line.time)) - t0;
  }
  return { claims, claimedMs, phases };
}

async function graphileCatchUp(url: string, count: number) {
  const crontab = Array.from({ length: count }, (_, i) => `* * * * * task ?id=j${i}&fill=1h`).join('\n');
  const quiet = new Logger(() => () => {});
  const options = {
    connectionString: url,
    concurrency: 1,
    noHandleSignals: true,
    pollInterval: 60_000,
    logger: quiet,
    // No worker picks the jobs up meanwhile: only the scheduling is measured.
    taskList: { 'other-task': async () => {} },
    crontab,
  };
  const started = (events: EventEmitter) =>
    new Promise<void>((resolve) => events.once('cron:started', () => resolve()));
  // First start: the crontab becomes known.
  let events = new EventEmitter();
  let runner = await run({ ...options, events });
  await started(events);
  await runner.stop();
  // The downtime: every crontab last ran an hour ago.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DELETE FROM graphile_worker._private_jobs`);
  await client.query(
    `UPDATE graphile_worker._private_known_crontabs
     SET known_since = now() - interval '2 hours', last_execution = date_trunc('minute', now()) - interval '60 minutes'`,
  );
  events = new EventEmitter();
  const done = started(events);
  const t0 = Date.now();
  runner = await run({ ...options, events });
  // Bounded: on this machine it has taken minutes; past the bound the figure is a lower bound.
  const finished = await Promise.race([
    done.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), GW_LIMIT_MS)),
  ]);
  const ms = Date.now() - t0;
  await runner.stop();
  const jobs = (
    await client.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')
  ).rows[0]!.n;
  await client.end();
  return { jobs, ms, finished };
}

async function main(): Promise<void> {
  const pgs = await openBenchPostgres();
  const endpoint = await startEndpoint();
  const dir = tempDir('bench-catchup');
  const load = [loadavg()];
  let result;
  try {
    const perMinute = Array.from({ length: 1000 }, (_, i) => ({
      name: jobName(i),
      pattern: '* * * * *',
      timezone: 'UTC',
      extra: 'catchup: all, maxCatchup: 100',
    }));
    const a = await cronkeeperCatchUp(
      await pgs.createDatabase('bench_catchup_a'),
      dir,
      endpoint.url,
      perMinute,
      'a',
    );
    load.push(loadavg());
    const peer = await graphileCatchUp(await pgs.createDatabase('bench_catchup_gw'), 1000);
    load.push(loadavg());
    const mixed = Array.from({ length: 10_000 }, (_, i) =>
      i < 9000
        ? {
            name: jobName(i),
            pattern: `${i % 60} * * * *`,
            timezone: 'Europe/Berlin',
            extra: 'catchup: latest',
          }
        : { name: jobName(i), pattern: '* * * * *', timezone: 'UTC', extra: 'catchup: all, maxCatchup: 30' },
    );
    const b = await cronkeeperCatchUp(
      await pgs.createDatabase('bench_catchup_b'),
      dir,
      endpoint.url,
      mixed,
      'b',
    );
    load.push(loadavg());
    result = { a: { cronkeeper: a, graphileWorker: peer, ratio: round(peer.ms / a.claimedMs) }, b };
  } finally {
    await endpoint.close();
    await pgs.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  printTable(
    'Boot catch-up after 1 h of downtime (targets: (a) <= 1000 ms and >= 15x faster than graphile-worker; (b) <= 2000 ms)',
    ['case', 'slots', 'ms'],
    [
      [
        '(a) cronkeeper: process start -> all catch-up slots claimed',
        result.a.cronkeeper.claims,
        result.a.cronkeeper.claimedMs,
      ],
      [
        `(a) graphile-worker 0.17.3: run() -> cron:started${result.a.graphileWorker.finished ? '' : ' (not yet: stopped at the limit)'}`,
        result.a.graphileWorker.jobs,
        `${result.a.graphileWorker.finished ? '' : '> '}${result.a.graphileWorker.ms}`,
      ],
      [
        '(a) graphile-worker / cronkeeper',
        '',
        `${result.a.graphileWorker.finished ? '' : '> '}${result.a.ratio}x`,
      ],
      ['(b) cronkeeper, 10,000 mixed jobs: start -> all claimed', result.b.claims, result.b.claimedMs],
    ],
  );
  writeJson({ benchmark: 'catchup', machine: machine(pgs.version), loadavg: load, ...result });
}

await main();
process.exit(0);
