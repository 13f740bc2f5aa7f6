// npm run bench:workers — the leader and its workers (runOn: <pool>), on a
// real Postgres, with real processes:
//
//   hand-off      claimed runs handed to a pool (the fenced statement that
//                 records the attempts and adds graphile-worker's jobs): one
//                 statement per run, one at a time, against all asked at once
//                 of the leader's HandedAttempts (batched); and in a daemon,
//                 --daemon-handoffs pool jobs due at one instant, from the
//                 instant to the last handed: slots/s
//   pick-up       the scheduled instant → the worker's start, over the first
//                 attempts of per-second jobs on a leader and two workers,
//                 fewer and briefer than they can run at once (p50/p99, from
//                 the ledger)
//   throughput    `sleep 1` command jobs, more due each second than can run:
//                 runs finished per second, one node running them itself
//                 (concurrency.max = N) against a leader and 2 and 4 workers
//                 (--concurrency N each), the same N per process
//
//   --seconds 20 --jobs 40 --per-process 4 --handoffs 10000 --daemon-handoffs 10000 --json out.json
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { installQueue } from '../src/store/queue-schema.js';
import { openPostgres } from '../src/store/open-postgres.js';
import { migrate } from '../src/store/migrate.js';
import { bumpEpoch } from '../src/store/fence.js';
import { claimSlots } from '../src/store/ledger.js';
import { type AttemptKey, handOffAttempts } from '../src/store/worker-attempts.js';
import { HandedAttempts } from '../src/dispatch/handed-attempts.js';
import { systemClock } from '../src/runtime/clock.js';
import { pino } from 'pino';
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
const HANDOFFS = numberArg('--handoffs', 10_000);
const DAEMON_HANDOFFS = numberArg('--daemon-handoffs', 10_000);
const WARMUP_MS = 5_000;

/**
 * Hand-offs as the store takes them: `HANDOFFS` claimed runs handed one
 * statement at a time (each waiting for the last: the rate of one round
 * trip), and all asked at once of the leader's HandedAttempts, as at a due
 * instant (those asked while a statement is in flight go in the next).
 */
async function handOffRate(url: string): Promise<{ oneAtATime: number; batched: number }> {
  const db = await openPostgres({ url, max: 8 });
  const logger = pino({ level: 'silent' });
  const handed = new HandedAttempts({
    db,
    url,
    clock: systemClock,
    logger,
    leaseMs: 30_000,
    hostWaitMs: 60_000,
  });
  try {
    await migrate(db);
    await installQueue(db, url);
    const fence = await bumpEpoch(db, 'bench');
    const claim = async (base: number) => {
      const slots = Array.from({ length: HANDOFFS }, (_, i) => ({
        job: `handoff-${base}`,
        scheduledAtMs: Date.UTC(2026, 0, 1) + i * 1000,
        catchup: false,
      }));
      return (await claimSlots(db, fence, slots)).claimed.map((c) => ({ runId: c.runId, attempt: 1 }));
    };
    const timed = async (keys: AttemptKey[], handAll: () => Promise<boolean[]>): Promise<number> => {
      const started = performance.now();
      const answers = await handAll();
      const ms = performance.now() - started;
      if (answers.length !== keys.length || answers.some((a) => !a)) throw new Error('a run was not handed');
      return keys.length / (ms / 1000);
    };
    const single = await claim(1);
    const oneAtATime = await timed(single, async () => {
      const answers: boolean[] = [];
      for (const k of single)
        answers.push(
          ...(await handOffAttempts(db, fence, [{ ...k, pool: 'bench', catchup: false }], Date.now())),
        );
      return answers;
    });
    const together = await claim(2);
    const batched = await timed(together, () =>
      Promise.all(together.map((k) => handed.handOff(fence, k, 'bench', false))),
    );
    return { oneAtATime, batched };
  } finally {
    await handed.close();
    await db.close();
  }
}

/**
 * The whole path in a daemon: `n` pool jobs due at the same instants (no
 * worker takes them), from the instant to the last of them handed (claim,
 * gate, overlap, concurrency, hand-off), over the instants seen.
 */
async function handOffInDaemon(
  url: string,
  n: number,
): Promise<{ slots: number; ms: number; perSecond: number }> {
  const dir = tempDir('bench-handoff-daemon');
  const config = path.join(dir, 'cronkeeper.yaml');
  const jobs = Array.from(
    { length: n },
    (_, i) => `  h-${i}: { every: 10s, catchup: none, runOn: pool, command: [/bin/true] }`,
  );
  fs.writeFileSync(
    config,
    `store: { url: "${url}" }
spool: { path: "${path.join(dir, 'spool')}" }
defaults: { logOutput: none }
jobs:
${jobs.join('\n')}
`,
  );
  const leader = startDaemon(config, { CRONKEEPER_NODE_ID: 'bench' });
  const client = new pg.Client({ connectionString: url });
  try {
    await leader.waitForLog((l) => l.msg === 'ready: scheduling', 120_000);
    await sleep(25_000);
    await client.connect();
    const rows = await client.query<{ slots: number; ms: number }>(
      `SELECT count(*)::int AS slots,
              (extract(epoch FROM max(a.started_at) - r.scheduled_at) * 1000)::float8 AS ms
       FROM cronkeeper_runs r JOIN cronkeeper_attempts a ON a.run_id = r.id AND a.attempt = 1
       GROUP BY r.scheduled_at HAVING count(*) = $1 ORDER BY r.scheduled_at`,
      [n],
    );
    if (rows.rows.length === 0) throw new Error(`no instant had all ${n} runs handed`);
    const ms = Math.max(...rows.rows.map((r) => Number(r.ms)));
    return { slots: n, ms: round(ms, 1), perSecond: Math.round(n / (ms / 1000)) };
  } finally {
    await client.end().catch(() => undefined);
    leader.proc.kill('SIGTERM');
    await leader.exited;
    fs.rmSync(dir, { recursive: true, force: true });
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
      `hand-off: ${Math.round(handOff.oneAtATime)} slots/s one at a time, ${Math.round(handOff.batched)} asked at once`,
    );
    const inDaemon = await handOffInDaemon(
      await server.createDatabase('bench_handoff_daemon'),
      DAEMON_HANDOFFS,
    );
    console.log(`in a daemon: ${inDaemon.slots} slots of one instant handed within ${inDaemon.ms} ms`);
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
        [`hand-off, ${HANDOFFS} one statement at a time (slots/s)`, Math.round(handOff.oneAtATime)],
        [`hand-off, ${HANDOFFS} asked at once, batched (slots/s)`, Math.round(handOff.batched)],
        ['batched vs one at a time', `${round(handOff.batched / handOff.oneAtATime, 1)}x`],
        [
          `in a daemon: ${inDaemon.slots} jobs due at one instant, the instant → the last handed (ms)`,
          inDaemon.ms,
        ],
        ['in a daemon (slots/s)', inDaemon.perSecond],
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
      inDaemon,
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
