// npm run bench:idle — what 100,000 idle jobs cost: the real daemon on
// Postgres, daily jobs across four time zones whose next slots are at least 2
// hours away, sharing 1,000 patterns (--distinct). Its CPU time (user +
// system, from /proc) is taken as a share of one core over two windows: the
// first minute after ready (--settle seconds), which still holds the boot's
// aftermath (V8 collecting the garbage of loading and planning 100,000 jobs,
// in background threads), and the --seconds after it: the idle cost, which
// the target is about. Resident memory is read at the end of it. Then a third
// window (--scrape-seconds) with a Prometheus scrape of /metrics every
// --scrape-every seconds, as a monitored daemon has: its CPU, the scrapes'
// times and sizes, and the resident memory after. Baseline in the same
// run: bare croner, one `Cron` per job (measured on --croner-jobs of them in a
// child process and scaled linearly).
//
//   --jobs 100000 --distinct 1000 --settle 60 --seconds 60 --scrape-seconds 60 --scrape-every 15
//   --croner-jobs 10000 --json out.json
import fs from 'node:fs';
import { tempDir } from '../test/support/daemon.js';
import {
  cpuMs,
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  round,
  rssMb,
  writeJson,
} from './support/bench-env.js';
import { daemonConfig, idleJobs, startEndpoint, writeConfig } from './support/bench-jobs.js';
import { startReadyDaemon, stopDaemon } from './support/bench-daemon.js';
import { runChild } from './support/run-child.js';

const JOBS = numberArg('--jobs', 100_000);
const SECONDS = numberArg('--seconds', 60);
const SETTLE = numberArg('--settle', 60);
const SCRAPE_SECONDS = numberArg('--scrape-seconds', 60);
const SCRAPE_EVERY = numberArg('--scrape-every', 15);
const CRONER_JOBS = numberArg('--croner-jobs', 10_000);
// Distinct patterns among the jobs (default 1,000 shared patterns; --distinct 100000 for one per job).
const DISTINCT = numberArg('--distinct', 1000);
const FALLBACK_JOBS = numberArg('--fallback-jobs', 20_000);
const READY_LIMIT_MS = numberArg('--ready-limit', 60) * 1000;

async function main(): Promise<void> {
  const pgs = await openBenchPostgres();
  const endpoint = await startEndpoint();
  const dir = tempDir('bench-idle');
  const load = [loadavg()];
  let result;
  try {
    const nowMs = Date.now();
    // The largest job count that gets ready is measured: JOBS, else FALLBACK_JOBS.
    let measured:
      | {
          jobs: number;
          cpuPercent: number;
          firstMinuteCpuPercent: number;
          rssMb: number;
          readyMs: number;
          runs: number;
          scraped: { cpuPercent: number; scrapes: number; maxScrapeMs: number; bytes: number; rssMb: number };
        }
      | undefined;
    const notReady: number[] = [];
    for (const jobs of [JOBS, FALLBACK_JOBS]) {
      const url = await pgs.createDatabase(`bench_idle_${jobs}`);
      const config = writeConfig(
        dir,
        `idle-${jobs}.yaml`,
        daemonConfig(url, endpoint.url, idleJobs(jobs, DISTINCT, nowMs)),
      );
      const d = await startReadyDaemon(config, READY_LIMIT_MS);
      if (d.readyMs === undefined) {
        notReady.push(jobs);
        await stopDaemon(d.daemon, 'SIGKILL');
        continue;
      }
      const pid = d.daemon.proc.pid!;
      const s0 = cpuMs(pid);
      const st0 = performance.now();
      await new Promise((r) => setTimeout(r, SETTLE * 1000));
      const firstMinuteCpuPercent = round(((cpuMs(pid) - s0) / (performance.now() - st0)) * 100, 2);
      const before = endpoint.requests();
      const c0 = cpuMs(pid);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const cpuPercent = round(((cpuMs(pid) - c0) / (performance.now() - t0)) * 100, 2);
      const idleRss = rssMb(pid);
      const runs = endpoint.requests() - before;
      // Scraped like a monitored daemon: the first scrape at once, then every SCRAPE_EVERY s.
      const port = d.daemon.logs.find((l) => l.msg === 'http listening')!.port as number;
      const scrapeMs: number[] = [];
      let bytes = 0;
      const k0 = cpuMs(pid);
      const kt0 = performance.now();
      for (let next = kt0; next < kt0 + SCRAPE_SECONDS * 1000; next += SCRAPE_EVERY * 1000) {
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        const t = performance.now();
        bytes = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).length;
        scrapeMs.push(performance.now() - t);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, kt0 + SCRAPE_SECONDS * 1000 - performance.now())));
      const scraped = {
        cpuPercent: round(((cpuMs(pid) - k0) / (performance.now() - kt0)) * 100, 2),
        scrapes: scrapeMs.length,
        maxScrapeMs: round(Math.max(...scrapeMs), 0),
        bytes,
        rssMb: rssMb(pid),
      };
      measured = {
        jobs,
        cpuPercent,
        firstMinuteCpuPercent,
        rssMb: idleRss,
        readyMs: d.readyMs,
        runs,
        scraped,
      };
      await stopDaemon(d.daemon);
      break;
    }
    load.push(loadavg());
    const croner = await runChild<{ instances: number; cpuPercent: number; rssMb: number }>(
      'croner-baseline.ts',
      ['idle', CRONER_JOBS, CRONER_JOBS, nowMs, SECONDS],
    );
    load.push(loadavg());
    const cronerScaled = round((croner.cpuPercent * JOBS) / croner.instances, 2);
    result = {
      jobs: JOBS,
      seconds: SECONDS,
      cronkeeper: measured,
      notReadyWithin: { seconds: READY_LIMIT_MS / 1000, jobCounts: notReady },
      croner: { measured: croner, cpuPercentScaled: cronerScaled },
    };
  } finally {
    await endpoint.close();
    await pgs.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  printTable(
    `Idle: ${JOBS} jobs whose next slots are hours away, CPU over ${SECONDS} s (target: < 2% of one core)`,
    ['process', '% of a core', 'rss MB'],
    [
      ...result.notReadyWithin.jobCounts.map((n) => [
        `cronkeeper daemon, ${n} jobs: not ready within ${READY_LIMIT_MS / 1000} s`,
        '',
        '',
      ]),
      ...(result.cronkeeper
        ? [
            [
              `cronkeeper daemon, ${result.cronkeeper.jobs} jobs`,
              result.cronkeeper.cpuPercent,
              result.cronkeeper.rssMb,
            ],
            [`  (its first ${SETTLE} s after ready)`, result.cronkeeper.firstMinuteCpuPercent, ''],
            [
              `  (the next ${SCRAPE_SECONDS} s, /metrics scraped every ${SCRAPE_EVERY} s: ` +
                `${result.cronkeeper.scraped.scrapes} scrapes of ${round(result.cronkeeper.scraped.bytes / 1e6, 1)} MB, ` +
                `slowest ${result.cronkeeper.scraped.maxScrapeMs} ms)`,
              result.cronkeeper.scraped.cpuPercent,
              result.cronkeeper.scraped.rssMb,
            ],
          ]
        : []),
      [
        `bare croner, ${result.croner.measured.instances} Cron instances (measured)`,
        round(result.croner.measured.cpuPercent, 2),
        result.croner.measured.rssMb,
      ],
      [`bare croner, scaled to ${JOBS}`, result.croner.cpuPercentScaled, ''],
    ],
  );
  writeJson({ benchmark: 'idle', machine: machine(pgs.version), loadavg: load, ...result });
}

await main();
process.exit(0);
