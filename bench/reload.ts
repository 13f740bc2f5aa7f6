// npm run bench:reload — what a reload (SIGHUP) of a config of 100,000 jobs
// costs the scheduler: the longest the leader's event loop was held while the
// new config was read, checked and put in place, from its own
// nodejs_eventloop_lag_max_seconds (the highest delay since the previous
// /metrics render). Per shape: the daemon runs on Postgres; each round scrapes
// (resetting the maximum), reloads a config with one more job, waits for
// 'config reloaded' and scrapes again. The alternative, measured in the same
// run: the same scrapes with no reload in between (the idle loop's own delay).
//
//   --jobs 100000 --shapes block,json --rounds 3 --json out.json
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../test/support/daemon.js';
import {
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  round,
  stringArg,
  writeJson,
} from './support/bench-env.js';
import { startReadyDaemon, stopDaemon } from './support/bench-daemon.js';
import {
  CONFIG_SHAPES,
  type ConfigShape,
  SHAPE_LABELS,
  configData,
  idleJobs,
  jobsData,
  startEndpoint,
  writeConfigShape,
} from './support/bench-jobs.js';

const JOBS = numberArg('--jobs', 100_000);
const ROUNDS = numberArg('--rounds', 3);
const SHAPES = (stringArg('--shapes')?.split(',') ?? ['block', 'json']) as ConfigShape[];
/** /metrics is rendered at most once a second: scrapes are this far apart. */
const RENDER_MS = 1_100;
const TARGET_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lagMaxMs(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  if (!m) throw new Error('no nodejs_eventloop_lag_max_seconds in /metrics');
  return Number(m[1]) * 1000;
}

async function main(): Promise<void> {
  for (const s of SHAPES)
    if (!(CONFIG_SHAPES as readonly string[]).includes(s)) throw new Error(`unknown shape ${s}`);
  const pg = await openBenchPostgres();
  const endpoint = await startEndpoint();
  const rows: Array<Array<string | number>> = [];
  const results: unknown[] = [];
  try {
    for (const shape of SHAPES) {
      const url = await pg.createDatabase(`reload_${shape}`);
      const dir = tempDir(`reload-${shape}`);
      const jobs = idleJobs(JOBS + ROUNDS, JOBS + ROUNDS, Date.now());
      // An includes config is written whole again: its job files go first.
      const write = (n: number) => {
        fs.rmSync(path.join(dir, 'jobs.d'), { recursive: true, force: true });
        return writeConfigShape(dir, shape, configData(url, jobsData(endpoint.url, jobs.slice(0, n))));
      };
      const { file } = write(JOBS);
      const d = await startReadyDaemon(file);
      try {
        const listening =
          d.daemon.logs.find((l) => l.msg === 'http listening') ??
          (await d.daemon.waitForLog((l) => l.msg === 'http listening', 30_000));
        const base = `http://127.0.0.1:${listening.port as number}`;
        const idle: number[] = [];
        const reload: number[] = [];
        const reloadMs: number[] = [];
        await sleep(5_000); // the start's aftermath
        for (let r = 1; r <= ROUNDS; r++) {
          await lagMaxMs(base);
          await sleep(RENDER_MS);
          idle.push(await lagMaxMs(base));
          write(JOBS + r);
          const reloads = () => d.daemon.logs.filter((l) => l.msg === 'config reloaded').length;
          const before = reloads();
          const hupAt = Date.now();
          d.daemon.proc.kill('SIGHUP');
          await d.daemon.waitForLog(() => reloads() > before, 120_000);
          reloadMs.push(Date.now() - hupAt);
          await sleep(RENDER_MS);
          reload.push(await lagMaxMs(base));
        }
        const lost = d.daemon.logs.filter((l) => l.msg === 'contending for leadership again').length;
        const worst = Math.max(...reload);
        rows.push([
          SHAPE_LABELS[shape],
          round(Math.max(...reloadMs) / 1000, 2),
          round(worst),
          round(Math.max(...idle)),
          worst <= TARGET_MS ? 'met' : 'NOT met',
          lost,
        ]);
        results.push({ shape, idleLagMaxMs: idle, reloadLagMaxMs: reload, reloadMs, termsLost: lost });
        console.log(
          `${SHAPE_LABELS[shape]}: reload lag max ${reload.map((x) => round(x)).join(', ')} ms; idle ${idle.map((x) => round(x)).join(', ')} ms`,
        );
      } finally {
        await stopDaemon(d.daemon);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await endpoint.close();
    await pg.close();
  }
  printTable(
    `A reload of ${JOBS} jobs (SIGHUP), ${ROUNDS} rounds: the longest the event loop was held (target ${TARGET_MS} ms)`,
    ['shape', 'SIGHUP → reloaded s', 'held, reload ms', 'held, idle ms', 'target', 'terms lost'],
    rows,
  );
  writeJson({ machine: machine(), loadavg: loadavg(), jobs: JOBS, results });
}

await main();
