// The load scenarios of issue #15: a real daemon (dist/cli.js) on a fresh
// Postgres database or the embedded store, a per-second `tick` job, and one
// other thing going on. Judged from the tick job's own output and the ledger
// (load-ticks.ts), with the log volume, the daemon's peak RSS and the facts of
// its leadership. Used by the integration tests (test/integration/load-*) at
// the issue's sizes and by `npm run chaos:load` (chaos/load.ts) at larger ones.
//
// The window judged: from the moment the load starts (after the daemon is
// ready and any setup, such as a big ledger, is done) to the stop, minus
// EDGE_MS at the end, where a slot may not have been reached when the stop
// came. Slots outside it are not counted at all.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { CLI, childEnv, sleep } from '../test/support/daemon.js';
import { logTimeMs } from './daemon-group.js';
import { withEmbedded } from './embedded-ledger.js';
import { type LoadDaemon, startLoadDaemon } from './load-daemon.js';
import { type FloodFigures, floodHttp } from './load-http.js';
import { type TickClaim, type TickFigures, judgeTicks, readTickRuns, tickCommand } from './load-ticks.js';

export type LoadStore = { kind: 'postgres'; url: string } | { kind: 'embedded' };

export interface LoadFigures {
  scenario: string;
  store: LoadStore['kind'];
  /** The judged window, ISO UTC. */
  window: { from: string; to: string };
  ticks: TickFigures;
  /** Bytes the daemon logged from the start of the load to its exit. */
  logBytes: number;
  /** Bytes the scenario's jobs wrote to stdout/stderr (null: no such job). */
  outputBytes: number | null;
  /** True when outputBytes is exact (the job finished), false when estimated from the logged lines. */
  outputExact: boolean;
  logBytesPerOutputByte: number | null;
  peakRssBytes: number;
  leadership: {
    /** 'leading' lines in the window: a new term each. */
    termsStarted: number;
    /** 'no longer leading' lines in the window. */
    termsLost: number;
    /** After the lock connection was dropped: ms to the next 'leading' line, null when none came. */
    releadMs?: number | null;
    /** ha.lease + ha.poll: the bound on releadMs. */
    releadBoundMs?: number;
  };
  http: FloodFigures[];
  /** The scenario's own job (chatty, long): its ledger row after the stop. */
  job?: { name: string; outcome: string | null; finished: boolean; logFinished: boolean };
  stop: { exit: number | string; killed: boolean };
  notes: string[];
}

/** The end of the window lies this far before the stop request. */
const EDGE_MS = 2_000;
/** Quiet time after the load, before the stop: what was late has started by then. */
const SETTLE_MS = 3_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_KILL_AFTER_MS = 30_000;
const LEASE_MS = 3_000;
const POLL_MS = 100;
/** A schedule that never comes due in a run (the jobs that carry the load are triggered). */
const NEVER = '"0 0 1 1 *"';

interface Run {
  daemon: LoadDaemon;
  config: string;
  store: LoadStore;
  /** http://127.0.0.1:PORT */
  base: string;
  log: (line: string) => void;
}

interface ScenarioSpec {
  name: string;
  store: LoadStore;
  dir: string;
  /** YAML of the extra jobs, indented as entries of `jobs:`. */
  jobs?: string;
  log?: (line: string) => void;
  /** After ready, before the window opens. */
  setup?: (run: Run) => Promise<void>;
  /** The load; resolves when it is over. */
  load: (run: Run, figures: LoadFigures) => Promise<void>;
  /** After the daemon exited: the scenario's own figures from the store. */
  finish?: (run: Run, figures: LoadFigures) => Promise<void>;
}

async function runScenario(spec: ScenarioSpec): Promise<LoadFigures> {
  const log = spec.log ?? (() => {});
  const out = path.join(spec.dir, 'tick.txt');
  const storeDir = path.join(spec.dir, 'store');
  const config = path.join(spec.dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: ${spec.store.kind === 'postgres' ? `{ url: "${spec.store.url}" }` : `{ path: "${storeDir}" }`}
http: { listen: "127.0.0.1:0" }
ha: { nodeId: load-node, lease: ${LEASE_MS}ms, poll: ${POLL_MS}ms }
snapshot: { interval: 5s }
shutdownGrace: 5s
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ${JSON.stringify(tickCommand(out))}
${spec.jobs ?? ''}`,
    { mode: 0o600 },
  );
  const daemon = startLoadDaemon(config);
  try {
    const listening = await daemon.waitForLog(
      (l) => l.msg === 'http listening',
      READY_TIMEOUT_MS,
      'http listening',
    );
    await daemon.waitForLog((l) => l.msg === 'ready: scheduling', READY_TIMEOUT_MS, 'ready: scheduling');
    const run: Run = {
      daemon,
      config,
      store: spec.store,
      base: `http://127.0.0.1:${listening.port as number}`,
      log,
    };
    await spec.setup?.(run);
    const fromMs = Date.now();
    const bytesBefore = daemon.stdoutBytes();
    const figures: LoadFigures = {
      scenario: spec.name,
      store: spec.store.kind,
      window: { from: new Date(fromMs).toISOString(), to: '' },
      ticks: judgeTicks([], [], { fromMs, toMs: fromMs }),
      logBytes: 0,
      outputBytes: null,
      outputExact: true,
      logBytesPerOutputByte: null,
      peakRssBytes: 0,
      leadership: { termsStarted: 0, termsLost: 0 },
      http: [],
      stop: { exit: -1, killed: false },
      notes: [],
    };
    log(`${spec.name}: load started`);
    await spec.load(run, figures);
    await sleep(SETTLE_MS);
    const stopAt = Date.now();
    log(`${spec.name}: stopping the daemon`);
    figures.stop = await daemon.stop(STOP_KILL_AFTER_MS);
    if (figures.stop.killed)
      figures.notes.push(`the daemon did not exit within ${STOP_KILL_AFTER_MS} ms of SIGTERM: killed`);
    const toMs = stopAt - EDGE_MS;
    figures.window.to = new Date(toMs).toISOString();
    figures.logBytes = daemon.stdoutBytes() - bytesBefore;
    figures.peakRssBytes = daemon.peakRssBytes();
    if (figures.outputBytes !== null && figures.outputBytes > 0)
      figures.logBytesPerOutputByte = round2(figures.logBytes / figures.outputBytes);
    const inWindow = daemon.logs.filter((l) => logTimeMs(l) >= fromMs);
    figures.leadership.termsStarted = inWindow.filter((l) => l.msg === 'leading').length;
    figures.leadership.termsLost = inWindow.filter((l) =>
      String(l.msg).startsWith('no longer leading'),
    ).length;
    const claims = await readTickClaims(spec.store, storeDir, fromMs, toMs);
    figures.ticks = judgeTicks(readTickRuns(out), claims, { fromMs, toMs });
    await spec.finish?.(run, figures);
    return figures;
  } finally {
    if (daemon.proc.exitCode === null && daemon.proc.signalCode === null) {
      daemon.proc.kill('SIGKILL');
      await daemon.exited;
    }
  }
}

async function readTickClaims(
  store: LoadStore,
  storeDir: string,
  fromMs: number,
  toMs: number,
): Promise<TickClaim[]> {
  const sql = `SELECT (extract(epoch FROM scheduled_at) * 1000)::float8 AS ms, outcome,
       (extract(epoch FROM started_at) * 1000)::float8 AS started FROM cronkeeper_runs
     WHERE job = 'tick' AND NOT manual AND scheduled_at > $1 AND scheduled_at <= $2`;
  const params = [new Date(fromMs).toISOString(), new Date(toMs).toISOString()];
  type Row = { ms: number; outcome: string | null; started: number | null };
  const rows =
    store.kind === 'postgres'
      ? await withClient(store.url, async (c) => (await c.query<Row>(sql, params)).rows)
      : await withEmbedded(storeDir, (db) => db.query<Row>(sql, params));
  return rows.map((r) => ({
    scheduledAtMs: Number(r.ms),
    outcome: r.outcome,
    startedAtMs: r.started === null ? null : Math.round(Number(r.started)),
  }));
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `cronkeeper trigger JOB`, as an operator runs it (through the store, or the embedded store's socket). */
async function trigger(run: Run, job: string): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'trigger', job, '--config', run.config], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr.on('data', (b: Buffer) => (text += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`cronkeeper trigger ${job} exited ${code}: ${text}`);
}

/** The scenario job's ledger row (its newest run) after the daemon exited. */
async function readJobRun(
  store: LoadStore,
  storeDir: string,
  job: string,
): Promise<{ outcome: string | null; finished: boolean } | undefined> {
  const sql = `SELECT outcome, finished_at IS NOT NULL AS finished FROM cronkeeper_runs WHERE job = $1 ORDER BY id DESC LIMIT 1`;
  const rows =
    store.kind === 'postgres'
      ? await withClient(
          store.url,
          async (c) => (await c.query<{ outcome: string | null; finished: boolean }>(sql, [job])).rows,
        )
      : await withEmbedded(storeDir, (db) =>
          db.query<{ outcome: string | null; finished: boolean }>(sql, [job]),
        );
  return rows[0];
}

const runFinished = (job: string) => (l: { msg?: string; job?: unknown }) =>
  l.msg === 'run finished' && l.job === job;
const runStarted = (job: string) => (l: { msg?: string; job?: unknown }) =>
  l.msg === 'run started' && l.job === job;

const round2 = (n: number) => Math.round(n * 100) / 100;

export interface ScenarioBase {
  store: LoadStore;
  /** An empty directory of its own. */
  dir: string;
  log?: (line: string) => void;
}

/**
 * (a) A job prints `bytes` of short lines (`yes | head -c N`: "y\n" lines).
 * It is added by a reload (SIGHUP) once the daemon is ready, with one slot a
 * few seconds ahead: the embedded store takes no `cronkeeper trigger` while
 * the daemon holds it. The window lasts until the run finished (at most
 * `maxWaitMs` after its slot).
 */
export function runChattyJob(o: ScenarioBase & { bytes: number; maxWaitMs: number }): Promise<LoadFigures> {
  return runScenario({
    name: `a: ${formatBytes(o.bytes)} of short lines${o.store.kind === 'embedded' ? ', embedded' : ''}`,
    store: o.store,
    dir: o.dir,
    log: o.log,
    async load(run, figures) {
      const atMs = Math.ceil(Date.now() / 1000) * 1000 + CHATTY_LEAD_MS;
      await addJobs(
        run,
        `  chatty:
    schedule: "${cronAt(atMs)}"
    catchup: none
    command: ["/bin/sh", "-c", "yes | head -c ${o.bytes}"]
`,
      );
      try {
        await run.daemon.waitForLog(
          runFinished('chatty'),
          atMs - Date.now() + o.maxWaitMs,
          'run finished (chatty)',
        );
      } catch {
        figures.notes.push(`the chatty run had not finished ${o.maxWaitMs} ms after its slot`);
      }
    },
    async finish(run, figures) {
      const row = await readJobRun(run.store, path.join(o.dir, 'store'), 'chatty');
      const logFinished = run.daemon.logs.some(runFinished('chatty'));
      figures.job = {
        name: 'chatty',
        outcome: row?.outcome ?? null,
        finished: row?.finished ?? false,
        logFinished,
      };
      figures.outputExact = row?.outcome === 'success';
      // Unfinished: at least what the daemon logged line by line ("y\n" each).
      figures.outputBytes = figures.outputExact ? o.bytes : run.daemon.outputLines() * 2;
      if (!figures.outputExact)
        figures.notes.push('output bytes estimated from the logged lines (the run did not finish)');
      if (figures.outputBytes > 0)
        figures.logBytesPerOutputByte = round2(figures.logBytes / figures.outputBytes);
    },
  });
}

/** The chatty job's slot lies this far after the reload that adds it. */
const CHATTY_LEAD_MS = 3_000;

/** A cron pattern with seconds (UTC) that matches the instant `ms` only (within its year). */
function cronAt(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

/** Appends jobs (YAML entries of `jobs:`) to the config and reloads it (SIGHUP). */
async function addJobs(run: Run, yaml: string): Promise<void> {
  const before = run.daemon.logs.length;
  fs.appendFileSync(run.config, yaml);
  run.daemon.proc.kill('SIGHUP');
  await run.daemon.waitForLog((l) => l.msg === 'config reloaded', 30_000, 'config reloaded', before);
}

/**
 * (b) The leader's lock connection is ended (pg_terminate_backend) while a
 * `jobSeconds` job runs. Postgres only.
 */
export function runLostLock(o: ScenarioBase & { jobSeconds: number }): Promise<LoadFigures> {
  if (o.store.kind !== 'postgres')
    throw new Error('runLostLock: the lock connection exists on a Postgres store only');
  const url = o.store.url;
  let droppedAt = 0;
  return runScenario({
    name: `b: lock connection dropped during a ${o.jobSeconds} s job`,
    store: o.store,
    dir: o.dir,
    log: o.log,
    jobs: `  long:
    schedule: ${NEVER}
    catchup: none
    command: ["/bin/sleep", "${o.jobSeconds}"]
`,
    async load(run, figures) {
      await trigger(run, 'long');
      await run.daemon.waitForLog(runStarted('long'), 30_000, 'run started (long)');
      await sleep(2_000);
      const ended = await withClient(url, async (c) => {
        const res = await c.query<{ pid: number; ok: boolean }>(
          `SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity
           WHERE datname = current_database() AND application_name LIKE 'cronkeeper-leader-lock%'`,
        );
        return res.rows;
      });
      droppedAt = Date.now();
      if (ended.length !== 1 || !ended[0]!.ok)
        figures.notes.push(`expected one lock connection to end, ended: ${JSON.stringify(ended)}`);
      run.log(`lock connection ended (backend ${ended.map((r) => r.pid).join(', ')})`);
      try {
        await run.daemon.waitForLog(runFinished('long'), o.jobSeconds * 1000 + 30_000, 'run finished (long)');
      } catch {
        figures.notes.push('the long run did not finish');
      }
      // Leadership taken again after the drop (the job may end first, on today's main).
      await run.daemon
        .waitForLog((l) => l.msg === 'leading' && logTimeMs(l) >= droppedAt, 10_000, 'leading again')
        .catch(() => figures.notes.push('not leading again 10 s after the long run finished'));
    },
    async finish(run, figures) {
      const again = run.daemon.logs.find((l) => l.msg === 'leading' && logTimeMs(l) >= droppedAt);
      figures.leadership.releadMs = again ? logTimeMs(again) - droppedAt : null;
      figures.leadership.releadBoundMs = LEASE_MS + POLL_MS;
      const row = await readJobRun(run.store, path.join(o.dir, 'store'), 'long');
      figures.job = {
        name: 'long',
        outcome: row?.outcome ?? null,
        finished: row?.finished ?? false,
        logFinished: run.daemon.logs.some(runFinished('long')),
      };
    },
  });
}

/**
 * (c, d, e) HTTP readers: `metricsClients` on /metrics and `statusClients` on
 * /status at once, for `durationMs`; with `ledgerRows` (Postgres only)
 * finished runs of the tick job in the ledger first.
 */
export function runHttpReaders(
  o: ScenarioBase & {
    metricsClients: number;
    statusClients: number;
    durationMs: number;
    ledgerRows: number;
    name: string;
  },
): Promise<LoadFigures> {
  return runScenario({
    name: o.name,
    store: o.store,
    dir: o.dir,
    log: o.log,
    async setup(run) {
      if (o.ledgerRows > 0) await fillLedger(run, o.ledgerRows);
    },
    async load(run, figures) {
      const floods: Promise<FloodFigures>[] = [];
      if (o.metricsClients > 0)
        floods.push(
          floodHttp({ url: `${run.base}/metrics`, clients: o.metricsClients, durationMs: o.durationMs }),
        );
      if (o.statusClients > 0)
        floods.push(
          floodHttp({ url: `${run.base}/status`, clients: o.statusClients, durationMs: o.durationMs }),
        );
      figures.http = await Promise.all(floods);
    },
  });
}

/**
 * `rows` finished successful runs of `tick`, one a second, ending a minute
 * before now (so none is a slot the daemon claims), with their attempt rows,
 * as the daemon writes them: about `rows / 86400` days of history, inside the
 * 30 d retention. Inserted while the daemon runs (ids above its snapshot's
 * high-water mark), then the window waits for a snapshot that covers them: a
 * restore (or /status's) replays only what came after it, as on a box that has
 * run for days. The daemon does not restore during the run, so it never
 * replays them.
 */
async function fillLedger(run: Run, rows: number): Promise<void> {
  if (run.store.kind !== 'postgres') throw new Error('fillLedger: a Postgres store only');
  const started = performance.now();
  const maxId = await withClient(run.store.url, async (c) => {
    const leader = await c.query<{ epoch: string; node_id: string }>(
      'SELECT epoch::text, node_id FROM cronkeeper_leader',
    );
    const { epoch, node_id: nodeId } = leader.rows[0]!;
    const endMs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await c.query('BEGIN');
    const inserted = await c.query<{ max: string }>(
      `WITH slots AS (
         INSERT INTO cronkeeper_runs (job, scheduled_at, catchup, epoch, node_id, claimed_at, started_at, finished_at,
                                      outcome, exit_code, duration_ms, attempts, output_tail)
         SELECT 'tick', t, false, $1, $2, t - interval '200 ms', t + interval '3 ms', t + interval '8 ms',
                'success', 0, 5, 1, ''
         FROM generate_series(to_timestamp($3::float8 / 1000) - ($4::int - 1) * interval '1 second',
                              to_timestamp($3::float8 / 1000), interval '1 second') AS t
         RETURNING id, epoch, node_id, started_at, finished_at),
       attempts AS (
         INSERT INTO cronkeeper_attempts (run_id, attempt, epoch, node_id, started_at, finished_at, outcome, exit_code,
                                          duration_ms, output_tail)
         SELECT id, 1, epoch, node_id, started_at, finished_at, 'success', 0, 5, '' FROM slots)
       SELECT max(id)::text AS max FROM slots`,
      [epoch, nodeId, endMs, rows],
    );
    await c.query('COMMIT');
    await c.query('ANALYZE cronkeeper_runs');
    return Number(inserted.rows[0]!.max);
  });
  run.log(
    `ledger: ${rows} rows inserted in ${Math.round(performance.now() - started)} ms; waiting for a snapshot over them`,
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const covered = await withClient(run.store.url, async (c) => {
      const r = await c.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM cronkeeper_snapshots WHERE high_water > $1',
        [maxId],
      );
      return Number(r.rows[0]!.n) > 0;
    });
    if (covered) return;
    if (Date.now() > deadline) throw new Error(`no snapshot covered ledger id ${maxId} within 60 s`);
    await sleep(500);
  }
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${Math.round((n / (1 << 20)) * 10) / 10} MiB`;
  if (n >= 1 << 10) return `${Math.round((n / (1 << 10)) * 10) / 10} KiB`;
  return `${n} B`;
}
