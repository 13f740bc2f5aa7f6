// npm run bench:lateness — firing lateness of per-second jobs, each slot claimed
// in Postgres before it starts. Component level: the daemon's JobScheduler
// (timer loop + slot calculators) and ClaimQueue (the batched, fenced claim
// INSERT) in this process against a real Postgres; no run is executed.
//
//   claim lateness = claim committed (the INSERT's reply received) - scheduled instant
//   start lateness = when the run would start (the instant, or the commit if later) - scheduled instant
//
// Baseline in the same run: bare croner, one `Cron` per job with a callback,
// firing the same pattern, no persistence (child process), lateness against
// the scheduled instant.
//
//   --jobs 1000,10000 --seconds 30 --json out.json   (the 60 s: --seconds 60)
import fs from 'node:fs';
import { ClaimLead } from '../src/schedule/claim-lead.js';
import { JobScheduler } from '../src/dispatch/job-scheduler.js';
import { tempDir } from '../test/support/daemon.js';
import {
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  stats,
  stringArg,
  writeJson,
} from './support/bench-env.js';
import { ZONES, jobName } from './support/bench-jobs.js';
import { silentLogger, startBenchLeader, systemClock } from './support/bench-leader.js';
import { runChild } from './support/run-child.js';

const COUNTS = (stringArg('--jobs') ?? '1000,10000').split(',').map(Number);
const SECONDS = numberArg('--seconds', 30);
const WARMUP_MS = 3_000;
// The claim lead: slots are claimed this long before their instant, runs start at the instant. By
// default the daemon's (ClaimLead: following how long recent claims took); --lead N: a fixed one (0: none).
const FIXED_LEAD_MS = stringArg('--lead') === undefined ? undefined : numberArg('--lead', 0);

const nowMs = () => performance.timeOrigin + performance.now();

async function measureCronkeeper(
  serverUrl: string,
  createDb: () => Promise<string>,
  dir: string,
  count: number,
) {
  const url = await createDb();
  const jobs = Array.from({ length: count }, (_, i) => ({
    name: jobName(i),
    pattern: '* * * * * *',
    timezone: ZONES[i % ZONES.length]!,
  }));
  const leader = await startBenchLeader(url, dir, jobs);
  const claimLate: number[] = [];
  const startLate: number[] = [];
  let measuring = false;
  let missing = 0;
  let batches = 0;
  const lead = new ClaimLead();
  const leads: number[] = [];
  const scheduler = new JobScheduler({
    clock: systemClock,
    claimLeadMs: () => FIXED_LEAD_MS ?? lead.ms,
    logger: silentLogger,
    onMissed: () => {},
    onSlots: (slots) => {
      batches++;
      const handedOutAt = performance.now();
      if (measuring) leads.push(FIXED_LEAD_MS ?? lead.ms);
      void leader.claims.claim(slots).then((r) => {
        lead.record(performance.now() - handedOutAt);
        const committed = nowMs();
        if (!measuring) return;
        missing += slots.length - r.claimed.length;
        for (const c of r.claimed) {
          claimLate.push(committed - c.scheduledAtMs);
          const wait = c.scheduledAtMs - committed;
          if (wait <= 0) startLate.push(committed - c.scheduledAtMs);
          else setTimeout(() => startLate.push(nowMs() - c.scheduledAtMs), wait);
        }
      });
    },
  });
  const start = Date.now();
  await scheduler.setJobs(leader.config.jobs, () => start);
  scheduler.start();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  batches = 0;
  measuring = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  scheduler.stop();
  await leader.claims.idle();
  await leader.close();
  void serverUrl;
  return {
    claim: stats(claimLate),
    start: stats(startLate),
    claimed: claimLate.length,
    expected: count * SECONDS,
    missing,
    batchesPerSecond: Math.round(batches / SECONDS),
    leadMs: stats(leads),
  };
}

async function main(): Promise<void> {
  const pg = await openBenchPostgres();
  const dir = tempDir('bench-lateness');
  const load = [loadavg()];
  const results = [];
  try {
    for (const count of COUNTS) {
      const ck = await measureCronkeeper(pg.url, () => pg.createDatabase(`bench_late_${count}`), dir, count);
      load.push(loadavg());
      const cr = await runChild<{ fired: number; expected: number; p50: number; p99: number; max: number }>(
        'croner-baseline.ts',
        ['fire', count, SECONDS],
      );
      load.push(loadavg());
      results.push({
        jobs: count,
        seconds: SECONDS,
        cronkeeper: ck,
        croner: cr,
      });
      console.error(`${count} jobs done`);
    }
  } finally {
    await pg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows = results.flatMap((r) => [
    [
      `${r.jobs} jobs: cronkeeper claim committed`,
      r.cronkeeper.claim.p50,
      r.cronkeeper.claim.p99,
      r.cronkeeper.claim.max,
      `${r.cronkeeper.claimed}/${r.cronkeeper.expected}`,
    ],
    [
      `${r.jobs} jobs: cronkeeper claim lead (ms before)`,
      r.cronkeeper.leadMs.p50,
      r.cronkeeper.leadMs.p99,
      r.cronkeeper.leadMs.max,
      '',
    ],
    [
      `${r.jobs} jobs: cronkeeper run start`,
      r.cronkeeper.start.p50,
      r.cronkeeper.start.p99,
      r.cronkeeper.start.max,
      '',
    ],
    [
      `${r.jobs} jobs: bare croner fired`,
      r.croner.p50,
      r.croner.p99,
      r.croner.max,
      `${r.croner.fired}/${r.croner.expected}`,
    ],
  ]);
  printTable(
    `Firing lateness over ${SECONDS} s, ms after the scheduled instant (targets, claim: p99 <= 5 at 1,000 jobs, <= 20 at 10,000)`,
    ['jobs: measured at', 'p50', 'p99', 'max', 'slots'],
    rows,
  );
  writeJson({ benchmark: 'lateness', machine: machine(pg.version), loadavg: load, results });
}

await main();
process.exit(0);
