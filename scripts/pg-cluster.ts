// A throwaway Postgres cluster: initdb + pg_ctl on a temp dir and a free port
// (as the `postgres` user when run as root). Used by the test runner, by tests
// that restart Postgres under running daemons, and by the benchmarks.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PgCluster {
  dir: string;
  /** The data directory. */
  data: string;
  port: number;
  /** Superuser URL of the `postgres` database. */
  url: string;
  /** pg_ctl restart (fast shutdown: connections are cut, as in a real restart). */
  restart(): void;
  /** pg_ctl stop: `immediate` (the default) or `fast` (connections are cut, a clean shutdown). */
  stop(mode?: 'immediate' | 'fast'): void;
  /** pg_ctl start again after a stop, on the same port. */
  start(): void;
  /** Stops the server and removes the directory. */
  destroy(): void;
  /** pg_ctl promote, for a standby (startStandby): it becomes a primary on a new timeline. */
  promote(): void;
  /** SIGKILL of the postmaster (a crash, as a dead machine's); returns once it is gone. */
  kill(): void;
  /** Runs a PostgreSQL program as the cluster's owner. */
  run(bin: string, args: string[]): void;
  /** The shell command that starts the cluster again after a stop (on its port), for a person to run. */
  startCommand: string;
}

export function findPgBin(name: string): string {
  const fromPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (fromPath) return fromPath;
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    for (const v of fs.readdirSync(base).sort((a, b) => Number(b) - Number(a))) {
      const p = path.join(base, v, 'bin', name);
      if (fs.existsSync(p)) return p;
    }
  }
  throw new Error(
    `${name} not found: install PostgreSQL (Debian: apt-get install postgresql) or set DATABASE_URL`,
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

type Runner = (bin: string, args: string[]) => void;

function clusterDir(): { dir: string; run: Runner; commandLine: (bin: string, args: string[]) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const argv = (bin: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const run = (bin: string, args: string[]) => {
    const r = spawnSync(...argv(bin, args), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  };
  const commandLine = (bin: string, args: string[]) => {
    const [cmd, rest] = argv(bin, args);
    return [cmd, ...rest].map(shellQuote).join(' ');
  };
  return { dir, run, commandLine };
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A new cluster; `settings` are passed to the server as -c name=value. */
export async function startCluster(settings: Record<string, string> = {}): Promise<PgCluster> {
  const { dir, run, commandLine } = clusterDir();
  const data = path.join(dir, 'data');
  run(findPgBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  return serve(dir, data, run, commandLine, settings);
}

/**
 * A streaming standby of `primary` (pg_basebackup -R), serving read-only
 * queries; `promote()` makes it a primary. With `synchronous`, the primary
 * waits for it at every commit (synchronous_standby_names = '*').
 */
export async function startStandby(
  primary: PgCluster,
  o: { synchronous?: boolean } = {},
): Promise<PgCluster> {
  const { dir, run, commandLine } = clusterDir();
  const data = path.join(dir, 'data');
  baseBackup(run, data, primary);
  const standby = await serve(dir, data, run, commandLine, {});
  if (o.synchronous) setSynchronous(primary, true);
  return standby;
}

/**
 * Makes a stopped (or dead) cluster a streaming standby of `primary`, on its
 * own port and directory: its data is replaced by a base backup (after a
 * failover its WAL may run past the new primary's fork point).
 */
export function rebuildAsStandby(old: PgCluster, primary: PgCluster): void {
  fs.rmSync(old.data, { recursive: true, force: true });
  baseBackup(old.run, old.data, primary);
  old.start();
}

/** A base backup of `primary` into `data`, written to start as its standby (-R); the checkpoint at once. */
function baseBackup(run: (bin: string, args: string[]) => void, data: string, primary: PgCluster): void {
  const args = ['-D', data, '-R', '-X', 'stream', '-h', '127.0.0.1', '-p', String(primary.port)];
  run(findPgBin('pg_basebackup'), [...args, '-U', 'postgres', '--no-sync', '--checkpoint=fast']);
}

/** Sets (or, with false, clears) synchronous_standby_names = '*' on a running primary. */
export function setSynchronous(primary: PgCluster, on: boolean): void {
  const psql = findPgBin('psql');
  const sql = on
    ? "ALTER SYSTEM SET synchronous_standby_names = '*'"
    : 'ALTER SYSTEM RESET synchronous_standby_names';
  for (const c of [sql, 'SELECT pg_reload_conf()'])
    primary.run(psql, ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-qAtc', c]);
}

async function serve(
  dir: string,
  data: string,
  run: Runner,
  commandLine: (bin: string, args: string[]) => string,
  settings: Record<string, string>,
): Promise<PgCluster> {
  const pgCtl = findPgBin('pg_ctl');
  const port = await freePort();
  const extra = Object.entries(settings)
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('');
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200${extra}`;
  const log = path.join(dir, 'log');
  run(pgCtl, ['-D', data, '-o', opts, '-l', log, '-w', 'start']);
  const cluster: PgCluster = {
    dir,
    data,
    port,
    run,
    startCommand: commandLine(pgCtl, ['-D', data, '-o', opts, '-l', log, '-w', 'start']),
    promote: () => run(pgCtl, ['-D', data, '-w', 'promote']),
    kill: () => killPostmaster(data),
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => run(pgCtl, ['-D', data, '-o', opts, '-l', log, '-m', 'fast', '-w', 'restart']),
    stop: (mode = 'immediate') => run(pgCtl, ['-D', data, '-m', mode, '-w', 'stop']),
    start: () => run(pgCtl, ['-D', data, '-o', opts, '-l', log, '-w', 'start']),
    destroy() {
      try {
        cluster.stop();
      } catch {
        // already stopped
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** SIGKILL of the postmaster of `data`; waits (up to 10 s) for it to be gone (its children follow it). */
function killPostmaster(data: string): void {
  const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}
