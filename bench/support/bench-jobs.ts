// Job sets for the benchmarks, as daemon configs (YAML) and as plain
// (name, pattern, zone) triples for the baselines, and a local HTTP endpoint
// for HTTP jobs (a job that spawns no process).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'] as const;

export interface BenchJob {
  name: string;
  pattern: string;
  timezone: string;
  /** Extra YAML keys of the job (flow style, without braces), e.g. `catchup: all`. */
  extra?: string;
}

/** Realistic job names of 20-40 characters, unique per index. */
export function jobName(i: number): string {
  const teams = ['billing', 'reports', 'search-index', 'mailer', 'warehouse-sync', 'metrics-rollup'];
  const regions = ['eu-west-1', 'us-east-2', 'ap-south-1', 'sa-east-1'];
  const what = ['nightly-export', 'refresh', 'cleanup', 'digest', 'reconcile', 'vacuum-partitions'];
  const name = `${teams[i % 6]}-${regions[Math.floor(i / 6) % 4]}-${what[Math.floor(i / 24) % 6]}-${i}`;
  return name.length >= 20 ? name : name.padEnd(20, 'x');
}

/** The UTC hour offset (ignoring minutes) of `zone` now: used to keep idle jobs' slots hours away. */
function hourNow(zone: string, nowMs: number): number {
  return Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(nowMs),
  );
}

/**
 * `count` daily jobs across ZONES whose next slot is at least 2 hours away (in
 * each zone's wall clock) when the benchmark starts. `distinctPatterns`: how
 * many distinct patterns they share (jobs cycle through them); `count` for one
 * pattern per job (every job at its own second/minute/hour, then weekdays).
 */
export function idleJobs(count: number, distinctPatterns: number, nowMs: number): BenchJob[] {
  const jobs: BenchJob[] = [];
  const baseHour = Object.fromEntries(ZONES.map((z) => [z, (hourNow(z, nowMs) + 3) % 24]));
  for (let i = 0; i < count; i++) {
    const k = i % distinctPatterns;
    const timezone = ZONES[i % ZONES.length]!;
    const sec = k % 60;
    const min = Math.floor(k / 60) % 60;
    const hourStep = Math.floor(k / 3600) % 18; // 18 hours: never within 2 hours of now
    const dow = Math.floor(k / (3600 * 18)) === 0 ? '*' : '1-5';
    const hour = (baseHour[timezone]! + hourStep) % 24;
    jobs.push({ name: jobName(i), pattern: `${sec} ${min} ${hour} * * ${dow}`, timezone });
  }
  return jobs;
}

/** A daemon config: Postgres `url`, the jobs as HTTP jobs against `endpoint`. */
export function daemonConfig(
  url: string,
  endpoint: string,
  jobs: readonly BenchJob[],
  settings = '',
): string {
  const lines = [
    `store: { url: "${url}" }`,
    'snapshot: { interval: 30s, maxUpdates: 1000000, keep: 3 }',
    settings,
    'jobs:',
  ];
  const action = `http: { url: "${endpoint}" }`;
  for (const j of jobs) {
    lines.push(
      `  ${j.name}: { schedule: "${j.pattern}", timezone: ${j.timezone}, ${j.extra ? `${j.extra}, ` : ''}${action} }`,
    );
  }
  return lines.join('\n') + '\n';
}

export function writeConfig(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** A local HTTP endpoint answering 204 to everything; counts the requests. */
export async function startEndpoint(): Promise<{
  url: string;
  requests: () => number;
  close(): Promise<void>;
}> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(204).end();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests: () => n,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
