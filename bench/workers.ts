// npm run bench:workers — the leader and its workers (runOn: <pool>), on a
// real Postgres, with real processes:
//
//   hand-off      attempts handed to a pool (the fenced statement that records
//                 the attempt and adds graphile-worker's job), one statement
//                 per run as the leader makes them, sequentially and 8 at once:
//                 slots/s
//   pick-up       the scheduled instant → the worker's start, over the first
//                 attempts of per-second jobs on a leader and two workers,
//                 fewer and briefer than they can run at once (p50/p99, from
//                 the ledger)
//   throughput    `sleep 1` command jobs, more due each second than can run:
//                 runs finished per second, one node running them itself
//                 (concurrency.max = N) against a leader and 2 and 4 workers
//                 (--concurrency N each), the same N per process
//
//   --seconds 20 --jobs 40 --per-process 4 --handoffs 2000 --json out.json
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { installQueue } from '../src/store/queue-schema.js';
import { openPostgres } from '../src/store/open-postgres.js';
import { migrate } from '../src/store/migrate.js';
import { bumpEpoch } from '../src/store/fence.js';
import { claimSlots } from '../src/store/ledger.js';
import { handOffAttempt } from '../src/store/worker-attempts.js';
import { type DaemonProcess, sleep, startDaemon, tempDir } from '../test/support/daemon.js';
import {
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  round,
  stats,
  writeJson,
} from './support/bench-env.js';

const SECONDS = numberArg('--seconds', 20);
const JOBS = numberArg('--jobs', 40);
const PER_PROCESS = numberArg('--per-process', 4);
const HANDOFFS = numberArg('--handoffs', 2000);
const WARMUP_MS = 5_000;

async function handOffRate(url: string): Promise<{ sequential: number; parallel8: number }> {
  const db = await openPostgres({ url, max: 8 });
  try {
    await migrate(db);
    await installQueue(db, url);
    const fence = await bumpEpoch(db, 'bench');
    const measure = async (lanes: number, base: number): Promise<number> => {
      const slots = Array.from({ length: HANDOFFS }, (_, i) => ({
        job: `handoff-${base}`,
        scheduledAtMs: Date.UTC(2026, 0, 1) + i * 1000,
        catchup: false,
      }));
      const { claimed } = await claimSlots(db, fence, slots);
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          for (let i = next++; i < claimed.length; i = next++) {
            const c = claimed[i]!;
            if (
              !(await handOffAttempt(db, fence, { runId: c.runId, attempt: 1 }, 'bench', Date.now(), false))
            )
              throw new Error(`run ${c.runId} was not handed`);
          }
        }),
      );
      return claimed.length / ((performance.now() - started) / 1000);
    };
    return { sequential: await measure(1, 1), parallel8: await measure(8, 2) };
  } finally {
    await db.close();
  }
}

interface Mode {
  label: string;
  workers: number;
  jobs: number;
  /** The jobs' command. */
  command: string[];
}

async function runMode(
  pgServer: Awaited<ReturnType<typeof openBenchPostgres>>,
  mode: Mode,
  withPickup: boolean,
) {
  const url = await pgServer.createDatabase(`bench_workers_${mode.workers}`);
  const dir = tempDir(`bench-workers-${mode.workers}`);
  const procs: DaemonProcess[] = [];
  try {
    const runOn = mode.workers > 0 ? ', runOn: pool' : '';
    const jobs = Array.from(
      { length: mode.jobs },
      (_, i) =>
        `  job-${i}: { every: 1s, catchup: none, overlap: allow${runOn}, command: ${JSON.stringify(mode.command)} }`,
    );
    const config = path.join(dir, 'cronkeeper.yaml');
    fs.writeFileSync(
      config,
      `store: { url: "${url}" }
spool: { path: "${path.join(dir, 'spool')}" }
${mode.workers > 0 ? '' : `concurrency: { max: ${PER_PROCESS} }\n`}defaults: { logOutput: none }
jobs:
${jobs.join('\n')}
`,
    );
    // The schema (and the queue's) first: the workers start before the leader hands anything.
    const setup = await openPostgres({ url });
    await migrate(setup);
    if (mode.workers > 0) await installQueue(setup, url);
    await setup.close();
    for (let i = 0; i < mode.workers; i++) {
      const w = startDaemon(
        config,
        {},
        { command: 'worker', args: ['--pool', 'pool', '--concurrency', String(PER_PROCESS)] },
      );
      procs.push(w);
      await w.waitForLog((l) => l.msg === 'worker ready: taking the runs of its pool', 60_000);
    }
    const leader = startDaemon(config, { CRONKEEPER_NODE_ID: 'bench' });
    procs.push(leader);
    await leader.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    const from = Date.now() + WARMUP_MS;
    const to = from + SECONDS * 1000;
    await sleep(to - Date.now() + 500);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const done = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM cronkeeper_attempts
         WHERE finished_at >= to_timestamp($1 / 1000.0) AND finished_at < to_timestamp($2 / 1000.0)
           AND outcome = 'success'`,
        [from, to],
      );
      let pickup: number[] = [];
      if (withPickup) {
        const rows = await client.query<{ ms: number }>(
          `SELECT (extract(epoch FROM a.started_at - r.scheduled_at) * 1000)::float8 AS ms
           FROM cronkeeper_attempts a JOIN cronkeeper_runs r ON r.id = a.run_id
           WHERE a.attempt = 1 AND a.worker IS NOT NULL
             AND r.scheduled_at >= to_timestamp($1 / 1000.0) AND r.scheduled_at < to_timestamp($2 / 1000.0)`,
          [from, to],
        );
        pickup = rows.rows.map((r) => Number(r.ms));
      }
      return { perSecond: done.rows[0]!.n / SECONDS, pickup };
    } finally {
      await client.end();
    }
  } finally {
    for (const p of procs.reverse()) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = await openBenchPostgres();
  try {
    const handOff = await handOffRate(await server.createDatabase('bench_handoff'));
    console.log(
      `hand-off: ${Math.round(handOff.sequential)} slots/s one at a time, ${Math.round(handOff.parallel8)} 8 at once`,
    );
    const sleep1 = ['/bin/sleep', '1'];
    const modes: Mode[] = [
      {
        label: `one node runs them (concurrency.max ${PER_PROCESS})`,
        workers: 0,
        jobs: JOBS,
        command: sleep1,
      },
      { label: `leader + 2 workers (--concurrency ${PER_PROCESS})`, workers: 2, jobs: JOBS, command: sleep1 },
      { label: `leader + 4 workers (--concurrency ${PER_PROCESS})`, workers: 4, jobs: JOBS, command: sleep1 },
    ];
    const results = [];
    for (const mode of modes) {
      const r = await runMode(server, mode, false);
      console.log(`${mode.label}: ${round(r.perSecond, 2)} runs/s`);
      results.push({ mode, ...r });
    }
    const local = results[0]!.perSecond;
    // Pick-up without a queue: fewer per-second jobs than the workers can run at once, each brief.
    const unsaturated = { label: 'pick-up', workers: 2, jobs: PER_PROCESS, command: ['/bin/true'] };
    const pickup = stats((await runMode(server, unsaturated, true)).pickup);
    console.log(`pick-up: p50 ${pickup.p50} ms, p99 ${pickup.p99} ms`);
    printTable(
      `Workers: ${JOBS} per-second 'sleep 1' jobs (more than can run), ${SECONDS} s measured after ${WARMUP_MS / 1000} s`,
      ['mode', 'runs finished / s', 'vs one node'],
      results.map((r) => [r.mode.label, round(r.perSecond, 2), `${round(r.perSecond / local, 2)}x`]),
    );
    printTable(
      'Hand-off and pick-up',
      ['measure', 'value'],
      [
        ['hand-off, one statement at a time (slots/s)', Math.round(handOff.sequential)],
        ['hand-off, 8 at once (slots/s)', Math.round(handOff.parallel8)],
        [`pick-up p50 (ms): ${PER_PROCESS} per-second /bin/true jobs, leader + 2 workers`, pickup.p50],
        ['pick-up p99 (ms)', pickup.p99],
        ['pick-up max (ms)', pickup.max],
        ['first attempts measured', pickup.n],
      ],
    );
    writeJson({
      machine: machine(server.version),
      loadavg: loadavg(),
      jobs: JOBS,
      seconds: SECONDS,
      perProcess: PER_PROCESS,
      handOff,
      pickup,
      throughput: results.map((r) => ({
        mode: r.mode.label,
        workers: r.mode.workers,
        perSecond: r.perSecond,
      })),
    });
  } finally {
    await server.close();
  }
}

await main();
