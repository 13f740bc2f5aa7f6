// What every benchmark shares: a Postgres to run on (DATABASE_URL, or a
// throwaway cluster), command-line options, the machine it ran on (with the
// load average: the machine may be shared), figures (percentiles), a printed
// table and the JSON file.
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { startCluster, type PgCluster } from '../../scripts/pg-cluster.js';

const args = process.argv.slice(2);

/** A numeric option (`--name 10`), or the fallback. */
export function numberArg(name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** A flag without a value (`--shared`). */
export function flagArg(name: string): boolean {
  return args.includes(name);
}

/** A string option (`--json out.json`), or undefined. */
export function stringArg(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export interface BenchPostgres {
  /** Superuser URL of the server's `postgres` database. */
  url: string;
  version: string;
  /** A new, empty database; returns its URL. */
  createDatabase(prefix: string): Promise<string>;
  /** Drops the databases created (on DATABASE_URL) or destroys the throwaway cluster. */
  close(): Promise<void>;
}

/** DATABASE_URL when set (its server gets new databases), else a throwaway cluster. */
export async function openBenchPostgres(): Promise<BenchPostgres> {
  let cluster: PgCluster | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    cluster = await startCluster();
    url = cluster.url;
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!
    .v;
  const created: string[] = [];
  return {
    url,
    version,
    async createDatabase(prefix) {
      const name = `${prefix}_${process.pid}_${created.length}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      created.push(name);
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async close() {
      if (cluster) {
        await admin.end().catch(() => {});
        cluster.destroy();
        return;
      }
      for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export function machine(pgVersion?: string): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    postgres: pgVersion,
    date: new Date().toISOString(),
  };
}

/** The 1/5/15-minute load averages, rounded: other agents share the machine. */
export function loadavg(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles (nearest rank) of a sample, rounded to 0.01. */
export function stats(xs: readonly number[]): Stats {
  const s = Float64Array.from(xs).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  const r = (x: number) => Math.round(x * 100) / 100;
  let sum = 0;
  for (const x of s) sum += x;
  return {
    n: s.length,
    p50: r(at(0.5)),
    p99: r(at(0.99)),
    max: r(s[s.length - 1] ?? NaN),
    mean: r(sum / s.length),
  };
}

/** Prints a plain-text table: the first column left-aligned, the others right-aligned. */
export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** Writes the result to the --json file, when one was given. */
export function writeJson(result: unknown): void {
  const file = stringArg('--json');
  if (file) fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
}

/** Resident memory of a process, MB (from /proc; Linux only). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU time (user + system) a process has used so far, ms (from /proc; Linux only). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / 100; // CLK_TCK is 100 on Linux
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
