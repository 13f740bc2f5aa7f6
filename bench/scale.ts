// npm run bench:scale — 100,000 jobs in the real daemon on Postgres: resident
// memory and process start -> ready, in two shapes (~1,000 patterns shared by
// many jobs; one pattern per job), daily jobs across four time zones. Each
// shape boots twice: on a new store (every job seen for the first time) and
// again after a graceful stop (restore from the snapshot + catch-up planning).
// Baseline in the same run: the same jobs as one croner `Cron` each (measured
// on --croner-jobs of them in a child process and scaled linearly, since
// 100,000 instances would take ~8 GB).
//
//   --jobs 100000 --croner-jobs 10000 --ready-limit 60 (s) --json out.json
import fs from 'node:fs';
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
import { daemonConfig, idleJobs, startEndpoint, writeConfig } from './support/bench-jobs.js';
import { peakRss, startReadyDaemon, stopDaemon } from './support/bench-daemon.js';
import { runChild } from './support/run-child.js';

const JOBS = numberArg('--jobs', 100_000);
const CRONER_JOBS = numberArg('--croner-jobs', 10_000);
const READY_LIMIT_MS = numberArg('--ready-limit', 60) * 1000;

interface CronerMemory {
  instances: number;
  rssMb: number;
  baseRssMb: number;
  createMs: number;
}

async function main(): Promise<void> {
  const pg = await openBenchPostgres();
  const endpoint = await startEndpoint();
  const dir = tempDir('bench-scale');
  const load = [loadavg()];
  const shapes = [
    { shape: 'shared', label: `${JOBS} jobs, 1,000 patterns`, distinct: Math.min(1000, JOBS) },
    { shape: 'distinct', label: `${JOBS} jobs, ${JOBS} patterns`, distinct: JOBS },
  ];
  const results = [];
  try {
    for (const s of shapes) {
      const nowMs = Date.now();
      const url = await pg.createDatabase(`bench_scale_${s.shape}`);
      const config = writeConfig(
        dir,
        `${s.shape}.yaml`,
        daemonConfig(url, endpoint.url, idleJobs(JOBS, s.distinct, nowMs)),
      );
      const boots = [];
      for (const boot of ['new store', 'restart']) {
        const d = await startReadyDaemon(config, READY_LIMIT_MS);
        const rss = await peakRss(d.daemon.proc.pid!, 5_000);
        boots.push({
          boot,
          readyMs: d.readyMs,
          configLoadedMs: d.configLoadedMs,
          termsLost: d.termsLost,
          rssMb: rss,
        });
        console.error(`${s.label}, ${boot}: ready in ${d.readyMs ?? 'never'} ms, rss ${rss} MB`);
        // A daemon that never got ready is killed, so the restart boots from what it had.
        await stopDaemon(d.daemon, d.readyMs === undefined ? 'SIGKILL' : 'SIGTERM');
        if (d.readyMs === undefined) break; // no snapshot to restart from
      }
      const croner = await runChild<CronerMemory>('croner-baseline.ts', [
        'memory',
        CRONER_JOBS,
        Math.min(s.distinct, CRONER_JOBS),
        nowMs,
      ]);
      const perInstanceKb = ((croner.rssMb - croner.baseRssMb) * 1024) / croner.instances;
      const cronerRssMb = croner.baseRssMb + (perInstanceKb * JOBS) / 1024;
      const cronerCreateMs = (croner.createMs * JOBS) / croner.instances;
      results.push({
        ...s,
        boots,
        croner: {
          measuredInstances: croner.instances,
          measured: croner,
          perInstanceKb: round(perInstanceKb),
          rssMbScaled: round(cronerRssMb, 0),
          createMsScaled: round(cronerCreateMs, 0),
        },
        rssRatio: round(cronerRssMb / Math.max(...boots.map((b) => b.rssMb))),
      });
      load.push(loadavg());
    }
  } finally {
    await endpoint.close();
    await pg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows = results.flatMap((r) => [
    ...r.boots.map((b) => [
      `${r.label}: cronkeeper, ${b.boot}${b.termsLost > 0 ? ` (${b.termsLost} leader terms lost)` : ''}`,
      b.rssMb,
      b.readyMs ?? `not in ${READY_LIMIT_MS / 1000} s`,
      b.configLoadedMs ?? '',
      '',
    ]),
    [
      `${r.label}: croner, one Cron per job*`,
      r.croner.rssMbScaled,
      r.croner.createMsScaled,
      `${r.rssRatio}x`,
    ],
  ]);
  printTable(
    'Scale (targets: rss <= 300 MB, start -> ready <= 5000 ms)',
    ['shape', 'rss MB', 'ready ms', 'config loaded ms', 'croner/ck rss'],
    rows,
  );
  console.log(
    `* croner measured on ${CRONER_JOBS} instances and scaled to ${JOBS}; its 'ready' is the time to construct them`,
  );
  writeJson({ benchmark: 'scale', machine: machine(pg.version), loadavg: load, jobs: JOBS, results });
}

await main();
process.exit(0);
