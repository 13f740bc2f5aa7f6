// npm run chaos — the long fault runs, against real daemons on a throwaway
// Postgres cluster. Prints, for each scenario: cycles run, slots checked,
// duplicates, misses, crashes; --json FILE writes everything.
//
//   node --import tsx chaos/chaos.ts [--only crash,ha,outage,failover,storage,workers] [--kills 100]
//        [--jobs 1000] [--per-second 10] [--outage 30] [--failovers 10] [--json FILE]
//
// What "duplicated" and "missed" mean: chaos/check-slots.ts.
import fs from 'node:fs';
import os from 'node:os';
import { startCluster } from '../scripts/pg-cluster.js';
import { tempDir } from '../test/support/daemon.js';
import { createDatabase } from './chaos-store.js';
import { runCrashLoop } from './crash-loop.js';
import { runOutage } from './db-outage.js';
import { runDbFailover } from './db-failover.js';
import { runStorageFaults } from './storage-faults.js';
import { runWorkersChaos } from './workers-chaos.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, fallback: number) => Number(option(name) ?? fallback);
const only = option('--only')?.split(',') ?? ['crash', 'ha', 'outage', 'failover', 'storage', 'workers'];
const KILLS = num('--kills', 100);
const JOBS = num('--jobs', 1000);
// The "some every second": 50 of the 1,000 (the catch-up outpaces them since its pick became a heap).
const PER_SECOND = num('--per-second', 50);
const OUTAGE_S = num('--outage', 30);
const FAILOVERS = num('--failovers', 10);
const jsonFile = option('--json');

interface ScenarioFigures {
  scenario: string;
  cycles: number;
  slotsChecked: number;
  duplicates: number;
  misses: number;
  crashes: number;
  /** Runs recorded interrupted (their fate unknown); with the host surviving, promised 0. */
  interrupted?: number;
  /** Runs a successor recovered after their daemon died, by how (see check-slots.ts). */
  recovered?: Record<string, number>;
  /** Set when the scenario could not finish. */
  error?: string;
}

const log = (line: string) => console.error(line);
const cluster = await startCluster();
const dir = tempDir('chaos');
const results: ScenarioFigures[] = [];
let n = 0;
const freshDb = () => createDatabase(cluster.url, `chaos_${++n}`);
try {
  for (const pair of [false, true]) {
    if (!only.includes(pair ? 'ha' : 'crash')) continue;
    const who = pair ? 'of the leader of an HA pair' : 'of one daemon';
    log(`crash loop: ${KILLS} SIGKILLs ${who}, ${JOBS} jobs (${PER_SECOND} every second)`);
    await guard(`crash loop, ${pair ? 'HA pair' : 'one daemon'}`, async () => [
      await runCrashLoop({
        url: await freshDb(),
        dir: sub(pair ? 'ha' : 'crash'),
        kills: KILLS,
        jobs: JOBS,
        perSecond: PER_SECOND,
        pair,
        log,
      }),
    ]);
  }
  for (const pair of only.includes('outage') ? [false, true] : []) {
    log(`database outage: Postgres stopped for ${OUTAGE_S} s under ${pair ? 'an HA pair' : 'one daemon'}`);
    await guard(`database outage, ${pair ? 'HA pair' : 'one daemon'}`, async () => [
      await runOutage({
        cluster,
        url: await freshDb(),
        dir: sub(`outage-${pair}`),
        outageMs: OUTAGE_S * 1000,
        jobs: JOBS,
        perSecond: PER_SECOND,
        pair,
        log,
      }),
    ]);
  }
  if (only.includes('failover')) {
    log(
      `database failover: ${FAILOVERS} times back and forth under an HA pair, ${PER_SECOND} jobs every second`,
    );
    await guard('database failover', async () => [
      await runDbFailover({
        dir: sub('failover'),
        failovers: FAILOVERS,
        jobs: PER_SECOND,
        perSecond: PER_SECOND,
        everyMs: 8_000,
        log,
      }),
    ]);
  }
  if (only.includes('storage')) {
    log('storage faults');
    await guard('storage faults', async () =>
      runStorageFaults({ url: await freshDb(), dir: sub('storage'), log }),
    );
  }
  if (only.includes('workers')) {
    log(
      `workers: ${KILLS} SIGKILLs of the leader, the standby or one of two workers, ${PER_SECOND} per-second jobs on the workers`,
    );
    await guard('workers', async () => [
      await runWorkersChaos({
        url: await freshDb(),
        dir: sub('workers'),
        kills: KILLS,
        perSecond: PER_SECOND,
        log,
      }),
    ]);
  }
} finally {
  cluster.destroy();
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs a scenario; one that throws (a timeout, a hang) is reported as a failed row, and the others still run. */
async function guard(scenario: string, fn: () => Promise<ScenarioFigures[]>): Promise<void> {
  try {
    results.push(...(await fn()));
  } catch (err) {
    log(`${scenario} failed: ${(err as Error).message.slice(0, 2_000)}`);
    results.push({
      scenario: `${scenario} (FAILED)`,
      cycles: 0,
      slotsChecked: 0,
      duplicates: 0,
      misses: 0,
      crashes: 0,
      error: (err as Error).message.slice(0, 2_000),
    });
  }
}

function sub(name: string): string {
  const d = `${dir}/${name}`;
  fs.mkdirSync(d, { recursive: true });
  return d;
}

const cols = ['cycles', 'slotsChecked', 'duplicates', 'misses', 'crashes', 'interrupted'] as const;
console.log(
  `${'scenario'.padEnd(46)} ${['cycles', 'slots checked', 'duplicates', 'misses', 'crashes', 'interrupted'].map((c) => c.padStart(13)).join(' ')}`,
);
for (const r of results) {
  console.log(`${r.scenario.padEnd(46)} ${cols.map((c) => String(r[c] ?? '-').padStart(13)).join(' ')}`);
  if (r.recovered && Object.keys(r.recovered).length > 0)
    console.log(`${''.padEnd(46)} recovered after a kill: ${JSON.stringify(r.recovered)}`);
}
console.log(
  'duplicated: a slot run or claimed twice, or run without its claim; missed: a slot never claimed, or claimed and never run (see chaos/check-slots.ts)',
);
for (const r of results as unknown as {
  scenario: string;
  examples?: string[];
  crashDetails?: string[];
  behaved?: boolean;
  details?: string;
  notRun?: string;
}[]) {
  const notes = [
    ...(r.notRun ? [`not run here: ${r.notRun}`] : []),
    ...(r.details ? [r.details] : []),
    ...(r.examples ?? []),
    ...(r.crashDetails ?? []),
    ...(r.behaved === false ? ['did not behave as expected under the fault'] : []),
  ];
  if (notes.length > 0) console.log(`${r.scenario}:\n  ${notes.join('\n  ')}`);
}
const failed = results.filter(
  (r) =>
    r.duplicates + r.misses + r.crashes + (r.interrupted ?? 0) > 0 ||
    r.error !== undefined ||
    (r as { behaved?: boolean }).behaved === false,
);
if (jsonFile) {
  const machine = { cpus: os.cpus().length, node: process.version, at: new Date().toISOString() };
  fs.writeFileSync(
    jsonFile,
    JSON.stringify({ machine, options: { KILLS, JOBS, PER_SECOND, OUTAGE_S }, results }, null, 2) + '\n',
  );
}
process.exit(failed.length > 0 ? 1 : 0);
