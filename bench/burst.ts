// npm run bench:burst — 10,000 jobs due at the same second, each slot claimed
// in Postgres. Component level: the daemon's JobScheduler and ClaimQueue in
// this process (one batched, fenced INSERT per batch), against a real Postgres.
//
//   burst       scheduled instant -> every slot's claim committed
//   sustained   --slots claims (10,000 per batch) back to back: claims per second
//
// Baseline in the same run: bare croner firing the same 10,000 jobs, each
// callback claiming its own slot with one INSERT (a pg pool of 4, as the
// daemon's): what a user gets from croner plus a table with a unique key.
//
//   --jobs 10000 --slots 100000 --json out.json
import fs from 'node:fs';
import { Cron } from 'croner';
import pg from 'pg';
import { JobScheduler } from '../src/dispatch/job-scheduler.js';
import { tempDir } from '../test/support/daemon.js';
import {
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  round,
  writeJson,
} from './support/bench-env.js';
import { jobName } from './support/bench-jobs.js';
import { silentLogger, startBenchLeader, systemClock } from './support/bench-leader.js';

const JOBS = numberArg('--jobs', 10_000);
const SLOTS = numberArg('--slots', 100_000);
const BATCH = 10_000;

const nowMs = () => performance.timeOrigin + performance.now();

/** A second at least 4 s ahead, as a 6-field pattern that fires once a minute at it. */
function upcomingSecond(): { pattern: string; atMs: number } {
  const atMs = Math.ceil((Date.now() + 4_000) / 1000) * 1000;
  return { pattern: `${new Date(atMs).getUTCSeconds()} * * * * *`, atMs };
}

async function burstCronkeeper(url: string, dir: string) {
  const { pattern, atMs } = upcomingSecond();
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ name: jobName(i), pattern, timezone: 'UTC' }));
  const leader = await startBenchLeader(url, dir, jobs);
  let claimed = 0;
  let lastCommit = 0;
  let batches = 0;
  const done = new Promise<void>((resolve) => {
    const scheduler = new JobScheduler({
      clock: systemClock,
      logger: silentLogger,
      onMissed: () => {},
      onSlots: (slots) => {
        batches++;
        void leader.claims.claim(slots).then((r) => {
          claimed += r.claimed.length;
          lastCommit = nowMs();
          if (claimed >= JOBS) {
            scheduler.stop();
            resolve();
          }
        });
      },
    });
    void scheduler.setJobs(leader.config.jobs, () => Date.now()).then(() => scheduler.start());
  });
  await done;
  await leader.close();
  return { allClaimedMs: round(lastCommit - atMs), claimed, batches };
}

async function sustainedCronkeeper(url: string, dir: string) {
  const leader = await startBenchLeader(url, dir, [
    { name: 'warm-up-job-xxxxxxxxxx', pattern: '0 0 * * *', timezone: 'UTC' },
  ]);
  const base = Math.floor(Date.now() / 1000) * 1000;
  const t0 = nowMs();
  let claimed = 0;
  for (let b = 0; b < SLOTS / BATCH; b++) {
    const slots = Array.from({ length: BATCH }, (_, i) => ({
      job: jobName(i),
      scheduledAtMs: base + b * 1000,
      catchup: false,
    }));
    claimed += (await leader.claims.claim(slots)).claimed.length;
  }
  const seconds = (nowMs() - t0) / 1000;
  await leader.close();
  return { claimed, seconds: round(seconds, 2), claimsPerSecond: Math.round(claimed / seconds) };
}

async function burstCroner(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  await pool.query(
    'CREATE TABLE claims (job text NOT NULL, scheduled_at timestamptz NOT NULL, claimed_at timestamptz DEFAULT now(), PRIMARY KEY (job, scheduled_at))',
  );
  const { pattern, atMs } = upcomingSecond();
  let claimed = 0;
  let lastCommit = 0;
  const crons: Cron[] = [];
  // Bounded: past 60 s it is reported as not done.
  await new Promise<void>((resolve) => {
    setTimeout(resolve, 60_000);
    for (let i = 0; i < JOBS; i++) {
      const job = jobName(i);
      crons.push(
        new Cron(pattern, { timezone: 'UTC' }, () => {
          const slot = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
          void pool
            .query('INSERT INTO claims (job, scheduled_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
              job,
              slot,
            ])
            .then(() => {
              lastCommit = nowMs();
              if (++claimed === JOBS) resolve();
            });
        }),
      );
    }
  });
  for (const c of crons) c.stop();
  await pool.end();
  return { allClaimedMs: round(lastCommit - atMs), claimed, complete: claimed === JOBS };
}

async function main(): Promise<void> {
  const pgs = await openBenchPostgres();
  const dir = tempDir('bench-burst');
  const load = [loadavg()];
  let result;
  try {
    const burst = await burstCronkeeper(await pgs.createDatabase('bench_burst'), dir);
    load.push(loadavg());
    const sustained = await sustainedCronkeeper(await pgs.createDatabase('bench_burst_sustained'), dir);
    load.push(loadavg());
    const croner = await burstCroner(await pgs.createDatabase('bench_burst_croner'));
    load.push(loadavg());
    result = { jobs: JOBS, burst, sustained, croner, ratio: round(croner.allClaimedMs / burst.allClaimedMs) };
  } finally {
    await pgs.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  printTable(
    `Burst: ${JOBS} jobs due at the same second (target: all claimed within 1000 ms; >= 10,000 claims/s)`,
    ['measure', 'value'],
    [
      ['cronkeeper: instant -> all claims committed (ms)', result.burst.allClaimedMs],
      ['cronkeeper: claim batches', result.burst.batches],
      ['bare croner + one INSERT per job: instant -> all committed (ms)', result.croner.allClaimedMs],
      ['croner / cronkeeper', `${result.ratio}x`],
      [
        `cronkeeper sustained: ${result.sustained.claimed} claims in batches of ${BATCH} (claims/s)`,
        result.sustained.claimsPerSecond,
      ],
    ],
  );
  writeJson({ benchmark: 'burst', machine: machine(pgs.version), loadavg: load, ...result });
}

await main();
process.exit(0);
