// Storage faults, each under the real daemon, each followed by a check that
// nothing ran twice and nothing was lost once the fault is gone:
//   read-only   the embedded store's directory cannot be written at boot: the
//               daemon exits 1 at once and says why; the store is left as it was
//   full        the store's files cannot grow at boot (RLIMIT_FSIZE, the portable
//               stand-in for a full disk: writes fail with EFBIG): exit 1, says so
//   read-only-running, full-running
//               the same arriving while the daemon runs: storage-faults-running.ts
//   snapshots   every snapshot row bit-flipped or truncated: restore says so,
//               falls back to the run ledger alone; nothing runs twice
//   ledger      the ledger rows a snapshot points to (its high-water mark) are
//               gone: restore trusts the snapshot; nothing runs twice
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { CLI, type LogLine, childEnv, sleep } from '../test/support/daemon.js';
import { type SlotCheck, checkSlots } from './check-slots.js';
import { readLedger } from './chaos-store.js';
import { readEmbeddedLedger, withEmbedded } from './embedded-ledger.js';
import { DaemonGroup, logTimeMs } from './daemon-group.js';
import { type FleetJob, buildFleet, readFleetOutput, writeFleetConfig } from './fleet.js';
import { type RunningFault, runFaultWhileRunning } from './storage-faults-running.js';

export interface StorageFaultResult extends SlotCheck {
  scenario: string;
  cycles: number;
  crashes: number;
  crashDetails: string[];
  /** What the daemon did under the fault: its exit code and the log line that says why. */
  underFault: { exitCode: number | string | null; said: string };
  /** Expected behaviour held (exit code, message, fallback) besides the slot check. */
  behaved: boolean;
  /** How the fault was made and what followed, with times (the faults while running). */
  details?: string;
  /** Set when the fault cannot be made on this machine: why (nothing was run). */
  notRun?: string;
}

const READY = 'ready: scheduling';

export async function runStorageFaults(o: {
  url: string;
  dir: string;
  log?: (l: string) => void;
  faults?: readonly Fault[];
}): Promise<StorageFaultResult[]> {
  // The read-only case runs the daemon as `nobody` when we are root: it must reach the files.
  for (const d of [o.dir, path.dirname(o.dir)])
    if (path.basename(d).startsWith('cronkeeper-')) fs.chmodSync(d, 0o755);
  const results: StorageFaultResult[] = [];
  for (const fault of o.faults ?? FAULTS) {
    o.log?.(`  ${fault}`);
    const dir = path.join(o.dir, fault);
    fs.mkdirSync(dir, { recursive: true });
    results.push(
      fault === 'read-only-running' || fault === 'full-running'
        ? await runFaultWhileRunning(fault, dir)
        : await runFault(fault, dir, o.url),
    );
  }
  return results;
}

const FAULTS = ['read-only', 'full', 'snapshots', 'ledger', 'read-only-running', 'full-running'] as const;
export type Fault = (typeof FAULTS)[number];

async function runFault(
  fault: Exclude<Fault, RunningFault>,
  dir: string,
  url: string,
): Promise<StorageFaultResult> {
  fs.chmodSync(dir, 0o755);
  const fleet = buildFleet({ jobs: 3, perSecond: 1 });
  const out = path.join(dir, 'out.txt');
  fs.writeFileSync(out, '');
  fs.chmodSync(out, 0o666);
  const storeDir = path.join(dir, 'store');
  const config = path.join(dir, 'cronkeeper.yaml');
  const onPostgres = fault === 'ledger';
  writeFleetConfig(config, {
    storeYaml: onPostgres ? `store: { url: "${url}" }` : `store: { path: "${storeDir}" }`,
    fleet,
    outFile: out,
    extra: 'snapshot: { interval: 1s, maxUpdates: 2, keep: 5 }',
  });
  fs.chmodSync(config, 0o644);
  const group = new DaemonGroup(config);
  try {
    // Before the fault: a daemon runs a few slots and stops cleanly.
    const first = group.spawn('node-a');
    const fromMs = logTimeMs(await first.waitForLog((l) => l.msg === READY, 120_000));
    await first.waitForLog((l) => l.msg === 'snapshot written' && logTimeMs(l) > fromMs + 2_000, 30_000);
    await group.kill('node-a', 'SIGTERM');

    let underFault: StorageFaultResult['underFault'] = { exitCode: null, said: '' };
    let behaved = false;
    let restarted: (l: LogLine) => boolean = (l) => l.msg === READY;
    // Slots up to the ledger rows deleted by hand are no longer the ledger's to account for.
    let checkFromMs = fromMs;
    if (fault === 'read-only' || fault === 'full') {
      const before = listTree(storeDir);
      underFault = await runUnderFault(config, fault, storeDir);
      behaved =
        underFault.exitCode === 1 &&
        (fault === 'read-only' ? /EACCES|EROFS|permission denied/i : /File too large|EFBIG/i).test(
          underFault.said,
        );
      if (fault === 'read-only') behaved &&= listTree(storeDir) === before;
    } else if (fault === 'snapshots') {
      await corruptEverySnapshot(storeDir);
      restarted = (l) => l.msg === 'restored from the run ledger alone (no usable snapshot)';
    } else {
      const dropped = await dropLedgerBehindSnapshot(url);
      checkFromMs = Math.max(fromMs, dropped.newestMs);
      underFault = { exitCode: null, said: `${dropped.deleted} ledger rows deleted` };
      restarted = (l) => l.msg === 'state restored';
    }

    // After the fault: a daemon restores, catches up, runs; then every slot is checked.
    const again = group.spawn('node-a');
    const said = await again.waitForLog(restarted, 120_000).catch(() => undefined);
    if (fault === 'snapshots') {
      const skipped = again.logs.filter((l) => l.msg === 'snapshot unusable: skipped, falling back');
      behaved = said !== undefined && skipped.length > 0;
      underFault = {
        exitCode: null,
        said: `${skipped.length} rows skipped; ${said?.msg ?? 'no fallback logged'}`,
      };
    } else if (fault === 'ledger') {
      behaved = said !== undefined && said.snapshotId !== null;
    }
    const ready = await again.waitForLog((l) => l.msg === READY, 120_000);
    await sleep(5_000);
    const stopAt = Date.now();
    const code = await group.kill('node-a', 'SIGTERM');
    const check = checkSlots({
      fleet: fleet as FleetJob[],
      output: readFleetOutput(out),
      ledger: onPostgres ? await readLedger(url) : await readEmbeddedLedger(storeDir),
      fromMs: checkFromMs,
      toMs: Math.max(logTimeMs(ready), stopAt - 1_000),
      final: true,
    });
    const crashDetails = [...group.crashes, ...(code === 0 ? [] : [`graceful stop exited ${code}`])];
    return {
      scenario: `storage: ${fault}`,
      cycles: 1,
      ...check,
      crashes: crashDetails.length,
      crashDetails,
      underFault,
      behaved,
    };
  } finally {
    await group.killAll();
  }
}

/** Runs the daemon once under the fault; it must exit on its own. */
async function runUnderFault(
  config: string,
  fault: 'read-only' | 'full',
  storeDir: string,
): Promise<{ exitCode: number | string | null; said: string }> {
  const asRoot = process.getuid?.() === 0;
  let argv = [process.execPath, CLI, 'run', '--config', config];
  if (fault === 'read-only') {
    spawnSync('chmod', ['-R', 'a-w', storeDir]);
    // root writes through file modes: run the daemon as an unprivileged user.
    if (asRoot) argv = ['runuser', '-u', 'nobody', '--', ...argv];
  } else {
    // Smaller than the embedded store's write-ahead log: its next write fails with EFBIG.
    argv = ['prlimit', '--fsize=2000000', ...argv];
  }
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: childEnv({ CRONKEEPER_HTTP_LISTEN: '127.0.0.1:0', CRONKEEPER_NODE_ID: 'node-a' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const exitCode = await new Promise<number | string | null>((resolve) =>
      child.on('exit', (c, s) => resolve(c ?? s)),
    );
    clearTimeout(timer);
    const fatal = stdout
      .split('\n')
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine;
        } catch {
          return undefined;
        }
      })
      .find((l) => (l?.level ?? 0) >= 50);
    return { exitCode, said: fatal ? String(fatal.msg) : '' };
  } finally {
    if (fault === 'read-only') spawnSync('chmod', ['-R', 'u+w', storeDir]);
  }
}

/** Every file of the tree with its size and mtime: "left as it was" compares two of these. */
function listTree(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.statSync(p);
        lines.push(`${p} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return lines.sort().join('\n');
}

/** Flips a bit in half the rows and truncates the others, by hand. */
function corruptEverySnapshot(storeDir: string): Promise<void> {
  return withEmbedded(storeDir, async (db) => {
    await db.exec(`UPDATE cronkeeper_snapshots SET payload = CASE WHEN id % 2 = 0
      THEN set_byte(payload, 60, get_byte(payload, 60) # 1) ELSE substring(payload from 1 for 20) END`);
  });
}

/**
 * Deletes every ledger row up to the newest snapshot's high-water mark (as an
 * over-eager manual cleanup would); returns how many and the newest deleted slot (ms).
 */
async function dropLedgerBehindSnapshot(url: string): Promise<{ deleted: number; newestMs: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ n: string; newest: string | null }>(
      `WITH gone AS (DELETE FROM cronkeeper_runs
         WHERE id <= (SELECT max(high_water) FROM cronkeeper_snapshots) RETURNING scheduled_at)
       SELECT count(*)::text AS n, (extract(epoch FROM max(scheduled_at)) * 1000)::bigint::text AS newest FROM gone`,
    );
    const row = res.rows[0]!;
    return { deleted: Number(row.n), newestMs: Number(row.newest ?? 0) };
  } finally {
    await c.end();
  }
}
