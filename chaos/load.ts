// npm run chaos:load — issue #15's load scenarios at larger sizes, against the
// real daemon on a throwaway Postgres cluster (and the embedded store). Prints
// one row per scenario: tick slots due, run, missed, duplicated; p50/p99/max
// start lateness; log bytes per byte of job output; the daemon's peak RSS; and
// PASS/FAIL against the targets (0 missed, 0 duplicated, p99 <= 50 ms,
// max <= 250 ms; for b also leading again within ha.lease + ha.poll).
//
//   node --import tsx chaos/load.ts [--only a,a-embedded,b,c,d,e] [--bytes 100M]
//        [--job-seconds 60] [--rows 1000000] [--duration 30] [--json FILE]
//
// The scenarios and what is measured: chaos/load-scenarios.ts; the slot
// judgement: chaos/load-ticks.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster } from '../scripts/pg-cluster.js';
import { tempDir } from '../test/support/daemon.js';
import { createDatabase } from './chaos-store.js';
import {
  type LoadFigures,
  type LoadStore,
  formatBytes,
  runChattyJob,
  runHttpReaders,
  runLostLock,
} from './load-scenarios.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SCENARIOS = ['a', 'a-embedded', 'b', 'c', 'd', 'e'] as const;
const only = option('--only')?.split(',') ?? [...SCENARIOS];
for (const s of only)
  if (!(SCENARIOS as readonly string[]).includes(s))
    throw new Error(`--only: unknown scenario '${s}' (known: ${SCENARIOS.join(', ')})`);
const BYTES = parseBytes(option('--bytes') ?? '100M');
const JOB_SECONDS = Number(option('--job-seconds') ?? 60);
const ROWS = Number(option('--rows') ?? 1_000_000);
const DURATION_MS = Number(option('--duration') ?? 30) * 1000;
const jsonFile = option('--json');

const TARGETS = { p99Ms: 50, maxMs: 250 };

interface Row {
  id: string;
  figures?: LoadFigures;
  pass: boolean;
  failures: string[];
  error?: string;
}

const log = (line: string) => console.error(`[${new Date().toISOString()}] ${line}`);
const cluster = await startCluster();
const dir = tempDir('chaos-load');
const rows: Row[] = [];
let n = 0;
const postgres = async (): Promise<LoadStore> => ({
  kind: 'postgres',
  url: await createDatabase(cluster.url, `chaos_load_${++n}`),
});
const embedded = (): LoadStore => ({ kind: 'embedded' });
try {
  for (const id of only) {
    const sub = path.join(dir, id);
    fs.mkdirSync(sub, { recursive: true });
    log(`scenario ${id}`);
    await guard(id, async () => {
      switch (id) {
        case 'a':
        case 'a-embedded':
          return runChattyJob({
            store: id === 'a' ? await postgres() : embedded(),
            dir: sub,
            log,
            bytes: BYTES,
            maxWaitMs: 120_000,
          });
        case 'b':
          return runLostLock({ store: await postgres(), dir: sub, log, jobSeconds: JOB_SECONDS });
        case 'c':
          return runHttpReaders({
            name: `c: 500 /metrics clients, ${DURATION_MS / 1000} s`,
            store: await postgres(),
            dir: sub,
            log,
            metricsClients: 500,
            statusClients: 0,
            durationMs: DURATION_MS,
            ledgerRows: 0,
          });
        case 'd':
          return runHttpReaders({
            name: `d: 500 /metrics + 50 /status, ${ROWS.toLocaleString('en')} rows, ${DURATION_MS / 1000} s`,
            store: await postgres(),
            dir: sub,
            log,
            metricsClients: 500,
            statusClients: 50,
            durationMs: DURATION_MS,
            ledgerRows: ROWS,
          });
        default:
          return runHttpReaders({
            name: `e: 100 /status clients, embedded, ${DURATION_MS / 1000} s`,
            store: embedded(),
            dir: sub,
            log,
            metricsClients: 0,
            statusClients: 100,
            durationMs: DURATION_MS,
            ledgerRows: 0,
          });
      }
    });
  }
} finally {
  cluster.destroy();
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs a scenario; one that throws is a FAIL row, and the others still run. */
async function guard(id: string, fn: () => Promise<LoadFigures>): Promise<void> {
  try {
    const figures = await fn();
    const failures = judge(figures);
    rows.push({ id, figures, pass: failures.length === 0, failures });
  } catch (err) {
    const message = (err as Error).message.slice(0, 2_000);
    log(`${id} failed: ${message}`);
    rows.push({ id, pass: false, failures: ['did not finish'], error: message });
  }
}

function judge(f: LoadFigures): string[] {
  const failures: string[] = [];
  if (f.ticks.missed > 0) failures.push(`${f.ticks.missed} missed`);
  if (f.ticks.duplicated > 0) failures.push(`${f.ticks.duplicated} duplicated`);
  if (!f.ticks.lateness) failures.push('no tick ran');
  else {
    if (f.ticks.lateness.p99 > TARGETS.p99Ms)
      failures.push(`p99 ${f.ticks.lateness.p99} ms > ${TARGETS.p99Ms}`);
    if (f.ticks.lateness.max > TARGETS.maxMs)
      failures.push(`max ${f.ticks.lateness.max} ms > ${TARGETS.maxMs}`);
  }
  const { releadMs, releadBoundMs } = f.leadership;
  if (
    releadBoundMs !== undefined &&
    (releadMs === null || releadMs === undefined || releadMs > releadBoundMs)
  )
    failures.push(`leading again after ${releadMs ?? 'never'} ms > ${releadBoundMs}`);
  return failures;
}

function parseBytes(text: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(text);
  if (!m) throw new Error(`--bytes: '${text}' is not a size (e.g. 100M)`);
  const unit = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
}

const header = [
  'scenario',
  'due',
  'run',
  'missed',
  'dup',
  'p50 ms',
  'p99 ms',
  'max ms',
  'daemon p99/max',
  'log/out',
  'peak RSS',
  '',
];
const widths = [62, 5, 5, 6, 4, 7, 7, 7, 15, 8, 9, 4];
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
console.log(line(header));
for (const r of rows) {
  const f = r.figures;
  const t = f?.ticks;
  console.log(
    line([
      (f?.scenario ?? r.id).slice(0, widths[0]),
      String(t?.due ?? '-'),
      String(t?.run ?? '-'),
      String(t?.missed ?? '-'),
      String(t?.duplicated ?? '-'),
      String(t?.lateness?.p50 ?? '-'),
      String(t?.lateness?.p99 ?? '-'),
      String(t?.lateness?.max ?? '-'),
      t?.daemonLateness ? `${t.daemonLateness.p99}/${t.daemonLateness.max}` : '-',
      f?.logBytesPerOutputByte === null || f === undefined
        ? '-'
        : `${f.logBytesPerOutputByte}${f.outputExact ? '' : '*'}`,
      f ? formatBytes(f.peakRssBytes) : '-',
      r.pass ? 'PASS' : 'FAIL',
    ]),
  );
}
console.log(
  `targets: 0 missed, 0 duplicated, p99 <= ${TARGETS.p99Ms} ms, max <= ${TARGETS.maxMs} ms start lateness (b: leading again within ha.lease + ha.poll); daemon: ledger started_at − slot, before the start is recorded and the job spawned; * output estimated (the job did not finish)`,
);
for (const r of rows) {
  const f = r.figures;
  const notes = [
    ...r.failures,
    ...(r.error ? [r.error] : []),
    ...(f?.notes ?? []),
    ...(f && Object.keys(f.ticks.missedBy).length > 0
      ? [`missed by: ${JSON.stringify(f.ticks.missedBy)}`]
      : []),
    ...(f && f.ticks.catchupRuns > 0 ? [`${f.ticks.catchupRuns} tick slots run as catch-up`] : []),
    ...(f && (f.leadership.termsLost > 0 || f.leadership.termsStarted > 0)
      ? [`terms lost ${f.leadership.termsLost}, started ${f.leadership.termsStarted}`]
      : []),
    ...(f?.leadership.releadMs !== undefined
      ? [`leading again after ${f.leadership.releadMs ?? 'never'} ms`]
      : []),
    ...(f?.job
      ? [`${f.job.name}: ${f.job.outcome ?? 'no outcome'}${f.job.finished ? '' : ', unfinished'}`]
      : []),
    ...(f?.http ?? []).map(
      (h) =>
        `${h.clients} on ${new URL(h.url).pathname}: ${h.requests} requests ${JSON.stringify(h.outcomes)}, latency p50/p99/max ${h.latency ? `${h.latency.p50}/${h.latency.p99}/${h.latency.max} ms` : '-'}`,
    ),
    ...(f && f.outputBytes !== null
      ? [`log ${formatBytes(f.logBytes)} for ${formatBytes(f.outputBytes)} of output`]
      : []),
    ...(f?.stop.killed || (f && f.stop.exit !== 0) ? [`daemon exit: ${f.stop.exit}`] : []),
  ];
  if (notes.length > 0) console.log(`${r.id}:\n  ${notes.join('\n  ')}`);
}
if (jsonFile) {
  const machine = { cpus: os.cpus().length, node: process.version, at: new Date().toISOString() };
  fs.writeFileSync(
    jsonFile,
    JSON.stringify(
      { machine, options: { BYTES, JOB_SECONDS, ROWS, DURATION_MS }, targets: TARGETS, results: rows },
      null,
      2,
    ) + '\n',
  );
}
process.exit(rows.every((r) => r.pass) ? 0 : 1);
