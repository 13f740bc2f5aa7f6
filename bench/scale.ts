// npm run bench:scale — 100,000 jobs in the real daemon on Postgres, one cron
// pattern per job (daily jobs across four time zones, next slots hours away),
// in every config shape a user may write: block YAML, flow YAML (one line per
// job), one-line JSON, pretty JSON, and a main YAML file including 10 job
// files (5 block YAML, 5 pretty JSON). The config is built once as plain data
// and written in each shape. Each shape gets a new Postgres database and boots
// twice: on the new store (every job seen for the first time) and again after
// a graceful stop (SIGTERM: restore from the snapshot + catch-up planning).
// Per boot: process start -> ready and start -> config loaded (the daemon's own
// log timestamps), resident memory 2, 30 and 60 s after ready, and CPU time
// (user + system, all threads, from /proc) as a share of one core over the
// 30 s after ready (the start's aftermath: V8 collecting the start's garbage)
// and over the 30 s after those (idle). Baseline, once: the same jobs as one croner `Cron` each
// (measured on --croner-jobs of them in a child process and scaled linearly,
// since 100,000 instances would take ~8 GB).
//
//   --jobs 100000 --shapes block,flow,json,pretty,includes --croner-jobs 10000
//   --ready-limit 60 (s) --json out.json
//   --shared: also flow YAML with the jobs sharing 1,000 patterns (the old second shape)
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../test/support/daemon.js';
import {
  cpuMs,
  flagArg,
  loadavg,
  machine,
  numberArg,
  openBenchPostgres,
  printTable,
  round,
  rssMb,
  stringArg,
  writeJson,
} from './support/bench-env.js';
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
import { startReadyDaemon, stopDaemon } from './support/bench-daemon.js';
import { runChild } from './support/run-child.js';

const JOBS = numberArg('--jobs', 100_000);
const CRONER_JOBS = Math.min(numberArg('--croner-jobs', 10_000), JOBS);
const READY_LIMIT_MS = numberArg('--ready-limit', 60) * 1000;
const SHARED = flagArg('--shared');
const SHARED_PATTERNS = Math.min(1000, JOBS);
const SHAPES = parseShapes(stringArg('--shapes'));

/** RSS is read this long after ready ('at ready': the boot's garbage may still be there) … */
const EARLY_MS = 2_000;
/** … and this long after, at the end of the first CPU window, which starts at ready … */
const IDLE_MS = 30_000;
/**
 * … and at the end of the second, settled window (IDLE_MS to SETTLED_MS after ready). The first
 * window holds the start's aftermath (V8's memory reducer collecting the start's garbage, the
 * background writes of a first boot); the idle target is the settled one. Both are reported.
 */
const SETTLED_MS = 60_000;
const TARGETS = { readyMs: 5_000, rssMb: 300, cpuPercent: 2 };

function parseShapes(arg: string | undefined): ConfigShape[] {
  if (arg === undefined) return [...CONFIG_SHAPES];
  const shapes = arg.split(',').map((s) => s.trim());
  const unknown = shapes.filter((s) => !(CONFIG_SHAPES as readonly string[]).includes(s));
  if (unknown.length > 0 || shapes.length === 0) {
    console.error(`--shapes: unknown ${unknown.join(', ')}; choose from ${CONFIG_SHAPES.join(',')}`);
    process.exit(2);
  }
  return shapes as ConfigShape[];
}

interface CronerMemory {
  instances: number;
  rssMb: number;
  baseRssMb: number;
  createMs: number;
}

interface Boot {
  boot: string;
  readyMs: number | undefined;
  configLoadedMs: number | undefined;
  /** RSS EARLY_MS after the ready line's timestamp, MB. */
  rssEarlyMb?: number;
  /** RSS IDLE_MS after it, MB. */
  rssIdleMb?: number;
  /** The highest RSS sampled (every 250 ms) over the window, MB. */
  peakRssMb?: number;
  /** CPU time over the window as % of one core. */
  idleCpuPercent?: number;
  /** RSS SETTLED_MS after the ready line's timestamp, MB. */
  rssSettledMb?: number;
  /** CPU time from IDLE_MS to SETTLED_MS after ready as % of one core: the idle target's figure. */
  settledCpuPercent?: number;
  /** The window measured: from the ready line seen to IDLE_MS after the ready line's timestamp. */
  cpuWindowMs?: number;
  /** The ready line seen by the bench this long after its timestamp. */
  readySeenLagMs?: number;
  /** HTTP job runs during the window (expected 0: no slot is due). */
  runs?: number;
  /** Leader terms lost up to the end of the window. */
  termsLost: number;
  /** Log lines at warn level or above up to the end of the window. */
  warnings: number;
  /** SIGTERM -> exit, ms. */
  stopMs: number;
  misses: string[];
}

const sleepUntil = (wallMs: number) => new Promise((r) => setTimeout(r, Math.max(0, wallMs - Date.now())));

/** Starts the daemon on `config`, measures it through the idle window, stops it. */
async function boot(config: string, label: string, endpoint: { requests: () => number }): Promise<Boot> {
  const d = await startReadyDaemon(config, READY_LIMIT_MS);
  const pid = d.daemon.proc.pid!;
  const result: Omit<Boot, 'stopMs' | 'termsLost' | 'warnings' | 'misses'> = {
    boot: label,
    readyMs: d.readyMs,
    configLoadedMs: d.configLoadedMs,
  };
  if (d.readyMs !== undefined) {
    const c0 = cpuMs(pid);
    const seenAt = Date.now();
    const runs0 = endpoint.requests();
    const readyAt = d.spawnedAtMs + d.readyMs;
    let peak = rssMb(pid);
    const sample = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
    await sleepUntil(readyAt + EARLY_MS);
    result.rssEarlyMb = rssMb(pid);
    await sleepUntil(readyAt + IDLE_MS);
    const c1 = cpuMs(pid);
    const window = Date.now() - seenAt;
    result.rssIdleMb = rssMb(pid);
    clearInterval(sample);
    result.peakRssMb = Math.max(peak, result.rssEarlyMb, result.rssIdleMb);
    result.idleCpuPercent = round(((c1 - c0) / window) * 100, 2);
    result.cpuWindowMs = window;
    result.readySeenLagMs = seenAt - readyAt;
    await sleepUntil(readyAt + SETTLED_MS);
    const c2 = cpuMs(pid);
    result.rssSettledMb = rssMb(pid);
    result.settledCpuPercent = round(((c2 - c1) / (readyAt + SETTLED_MS - (seenAt + window))) * 100, 2);
    result.runs = endpoint.requests() - runs0;
  }
  const logs = d.daemon.logs;
  const termsLost = logs.filter((l) => l.msg === 'contending for leadership again').length;
  const warnings = logs.filter((l) => typeof l.level === 'number' && l.level >= 40).length;
  // A daemon that never got ready is killed, so the restart boots from what it had.
  const t0 = Date.now();
  await stopDaemon(d.daemon, d.readyMs === undefined ? 'SIGKILL' : 'SIGTERM');
  const b: Boot = { ...result, termsLost, warnings, stopMs: Date.now() - t0, misses: [] };
  b.misses = misses(b);
  return b;
}

function misses(b: Boot): string[] {
  if (b.readyMs === undefined) return ['ready'];
  const m: string[] = [];
  if (b.readyMs > TARGETS.readyMs) m.push('ready');
  if (Math.max(b.rssEarlyMb!, b.rssIdleMb!, b.rssSettledMb!) > TARGETS.rssMb) m.push('rss');
  if (b.settledCpuPercent! >= TARGETS.cpuPercent) m.push('cpu');
  return m;
}

async function main(): Promise<void> {
  const pg = await openBenchPostgres();
  const endpoint = await startEndpoint();
  const dir = tempDir('bench-scale');
  const load = [loadavg()];
  const nowMs = Date.now();
  // The jobs, once, as plain data; each shape gets its own store URL around them.
  const jobs = jobsData(endpoint.url, idleJobs(JOBS, JOBS, nowMs));
  const runs: Array<{ key: string; shape: ConfigShape; label: string; patterns: number; jobs: typeof jobs }> =
    SHAPES.map((shape) => ({ key: shape, shape, label: SHAPE_LABELS[shape], patterns: JOBS, jobs }));
  if (SHARED) {
    runs.push({
      key: 'flow-shared',
      shape: 'flow',
      label: `flow YAML, ${SHARED_PATTERNS} shared patterns`,
      patterns: SHARED_PATTERNS,
      jobs: jobsData(endpoint.url, idleJobs(JOBS, SHARED_PATTERNS, nowMs)),
    });
  }
  const results = [];
  let croner;
  try {
    for (const r of runs) {
      const url = await pg.createDatabase(`bench_scale_${r.key.replace('-', '_')}`);
      const written = writeConfigShape(path.join(dir, r.key), r.shape, configData(url, r.jobs));
      const boots: Boot[] = [];
      for (const label of ['first boot', 'restart']) {
        const b = await boot(written.file, label, endpoint);
        boots.push(b);
        console.error(
          `${r.label}, ${label}: ready ${b.readyMs ?? 'never'} ms, rss ${b.rssEarlyMb ?? '-'} / ` +
            `${b.rssIdleMb ?? '-'} / ${b.rssSettledMb ?? '-'} MB, cpu ${b.idleCpuPercent ?? '-'} / ` +
            `${b.settledCpuPercent ?? '-'} %`,
        );
        if (b.readyMs === undefined) break; // no snapshot to restart from
      }
      results.push({ shape: r.key, label: r.label, patterns: r.patterns, config: written, boots });
      load.push(loadavg());
    }
    const measured = await runChild<CronerMemory>('croner-baseline.ts', [
      'memory',
      CRONER_JOBS,
      CRONER_JOBS,
      nowMs,
    ]);
    const perInstanceKb = ((measured.rssMb - measured.baseRssMb) * 1024) / measured.instances;
    croner = {
      patterns: JOBS,
      measuredInstances: measured.instances,
      measured,
      perInstanceKb: round(perInstanceKb),
      rssMbScaled: round(measured.baseRssMb + (perInstanceKb * JOBS) / 1024, 0),
      createMsScaled: round((measured.createMs * JOBS) / measured.instances, 0),
    };
    load.push(loadavg());
  } finally {
    await endpoint.close();
    await pg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows = results.flatMap((r) =>
    r.boots.map((b) => {
      const notes = [
        b.termsLost > 0 ? `${b.termsLost} leader terms lost` : '',
        b.runs ? `${b.runs} runs` : '',
      ].filter(Boolean);
      const ckRss = Math.max(b.rssEarlyMb ?? NaN, b.rssIdleMb ?? NaN, b.rssSettledMb ?? NaN);
      return [
        `${r.label}, ${b.boot}${notes.length ? ` (${notes.join(', ')})` : ''}`,
        b.readyMs ?? `not in ${READY_LIMIT_MS / 1000} s`,
        b.configLoadedMs ?? '',
        b.rssEarlyMb ?? '',
        b.rssIdleMb ?? '',
        b.rssSettledMb ?? '',
        b.idleCpuPercent ?? '',
        b.settledCpuPercent ?? '',
        Number.isNaN(ckRss) || r.patterns !== JOBS ? '' : `${round(croner.rssMbScaled / ckRss)}x`,
        b.misses.length ? `MISS ${b.misses.join(',')}` : 'ok',
      ];
    }),
  );
  rows.push([
    `croner, one Cron per job, ${JOBS} patterns*`,
    croner.createMsScaled,
    '',
    croner.rssMbScaled,
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  printTable(
    `Scale: ${JOBS} jobs, one pattern each (targets: ready <= ${TARGETS.readyMs} ms, ` +
      `rss <= ${TARGETS.rssMb} MB at +${EARLY_MS / 1000}, +${IDLE_MS / 1000} and +${SETTLED_MS / 1000} s after ready, ` +
      `idle cpu < ${TARGETS.cpuPercent}% of a core from +${IDLE_MS / 1000} to +${SETTLED_MS / 1000} s; ` +
      `the cpu of the first ${IDLE_MS / 1000} s, the start's aftermath, is reported beside it)`,
    [
      'config shape, boot',
      'ready ms',
      'config loaded ms',
      `rss MB +${EARLY_MS / 1000}s`,
      `rss MB +${IDLE_MS / 1000}s`,
      `rss MB +${SETTLED_MS / 1000}s`,
      `cpu % 0-${IDLE_MS / 1000}s`,
      `idle cpu % ${IDLE_MS / 1000}-${SETTLED_MS / 1000}s`,
      'croner/ck rss',
      'targets',
    ],
    rows,
  );
  console.log(
    `* croner measured on ${croner.measuredInstances} instances and scaled to ${JOBS}; its 'ready' is the time to construct them`,
  );
  writeJson({
    benchmark: 'scale',
    machine: machine(pg.version),
    loadavg: load,
    jobs: JOBS,
    targets: TARGETS,
    windows: { rssEarlyMs: EARLY_MS, idleMs: IDLE_MS, settledMs: SETTLED_MS },
    results,
    croner,
  });
}

await main();
process.exit(0);
