// Job sets for the benchmarks, as daemon configs (plain data written as block
// or flow YAML, one-line or pretty JSON, or a main file with includes) and as plain
// (name, pattern, zone) triples for the baselines, and a local HTTP endpoint
// for HTTP jobs (a job that spawns no process).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

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

/** Plain config data, as a user would write it in YAML or JSON. */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigMap;
export interface ConfigMap {
  [key: string]: ConfigValue;
}

/** The settings every benchmark daemon runs with, besides its store. */
export const BENCH_SETTINGS: ConfigMap = { snapshot: { interval: '30s', maxUpdates: 1_000_000, keep: 3 } };

/** The `jobs:` map: each job an HTTP job against `endpoint` (its `extra` keys before `http`). */
export function jobsData(endpoint: string, jobs: readonly BenchJob[]): ConfigMap {
  const map: ConfigMap = {};
  for (const j of jobs) {
    const extra = j.extra ? (parseYaml(`{ ${j.extra} }`) as ConfigMap) : {};
    map[j.name] = { schedule: j.pattern, timezone: j.timezone, ...extra, http: { url: endpoint } };
  }
  return map;
}

/** A whole config as data: the Postgres store at `url`, BENCH_SETTINGS, `settings`, then `jobs`. */
export function configData(url: string, jobs: ConfigMap, settings: ConfigMap = {}): ConfigMap {
  return { store: { url }, ...BENCH_SETTINGS, ...settings, jobs };
}

/** A string YAML reads back as that string when written plain (else it is double-quoted). */
function plainSafe(s: string): boolean {
  return (
    /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(s) &&
    Number.isNaN(Number(s)) &&
    !/^(true|false|null|yes|no|on|off|[-+]?\.inf|\.nan)$/i.test(s)
  );
}

function yamlScalar(v: string | number | boolean | null): string {
  if (typeof v === 'string') return plainSafe(v) ? v : JSON.stringify(v);
  return String(v);
}

/** A value in YAML flow style: `{ a: 1, b: [x, y] }`. */
function flowValue(v: ConfigValue): string {
  if (Array.isArray(v)) return `[${v.map(flowValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, x]) => `${yamlScalar(k)}: ${flowValue(x)}`).join(', ')} }`;
  }
  return yamlScalar(v);
}

/** Block YAML lines of a map at `indent`; lists are written in flow style (`include: [a, b]`). */
function blockLines(map: ConfigMap, indent: string, out: string[]): void {
  for (const [k, v] of Object.entries(map)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      out.push(`${indent}${yamlScalar(k)}:`);
      blockLines(v, `${indent}  `, out);
    } else {
      out.push(`${indent}${yamlScalar(k)}: ${flowValue(v)}`);
    }
  }
}

/** Block YAML: every map a block map, one key a line. */
export function blockYaml(data: ConfigMap): string {
  const lines: string[] = [];
  blockLines(data, '', lines);
  return lines.join('\n') + '\n';
}

/** Flow YAML: each setting on one line in flow style, `jobs:` a block map of one flow map per job. */
export function flowYaml(data: ConfigMap): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (k === 'jobs' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      lines.push('jobs:');
      for (const [name, job] of Object.entries(v)) lines.push(`  ${yamlScalar(name)}: ${flowValue(job)}`);
    } else {
      lines.push(`${yamlScalar(k)}: ${flowValue(v)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The config shapes a user may write. */
export const CONFIG_SHAPES = ['block', 'flow', 'json', 'pretty', 'includes'] as const;
export type ConfigShape = (typeof CONFIG_SHAPES)[number];

export const SHAPE_LABELS: Record<ConfigShape, string> = {
  block: 'block YAML',
  flow: 'flow YAML',
  json: 'one-line JSON',
  pretty: 'pretty JSON',
  includes: 'includes',
};

/**
 * Writes `data` as a config of `shape` into `dir` (created, 0700; files 0600)
 * and returns the main file. 'includes': the main file (block YAML) holds the
 * settings and `include: ["jobs.d/*.yaml", "jobs.d/*.json"]`; the jobs go to
 * `includeFiles` files in jobs.d, the first half block YAML, the rest pretty JSON.
 */
export function writeConfigShape(
  dir: string,
  shape: ConfigShape,
  data: ConfigMap,
  includeFiles = 10,
): { file: string; files: number; bytes: number } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const write = (name: string, text: string) => {
    written.push(writeConfig(dir, name, text));
    return written[written.length - 1]!;
  };
  let file: string;
  switch (shape) {
    case 'block':
      file = write('cronkeeper.yaml', blockYaml(data));
      break;
    case 'flow':
      file = write('cronkeeper.yaml', flowYaml(data));
      break;
    case 'json':
      file = write('cronkeeper.json', JSON.stringify(data));
      break;
    case 'pretty':
      file = write('cronkeeper.json', JSON.stringify(data, null, 2) + '\n');
      break;
    case 'includes': {
      const { jobs, ...settings } = data;
      const names = Object.keys((jobs ?? {}) as ConfigMap);
      const all = (jobs ?? {}) as ConfigMap;
      fs.mkdirSync(path.join(dir, 'jobs.d'), { mode: 0o700 });
      const per = Math.ceil(names.length / includeFiles);
      for (let f = 0; f < includeFiles; f++) {
        const part: ConfigMap = {};
        for (const name of names.slice(f * per, (f + 1) * per)) part[name] = all[name]!;
        const id = String(f).padStart(2, '0');
        if (f < includeFiles / 2) write(`jobs.d/jobs-${id}.yaml`, blockYaml({ jobs: part }));
        else write(`jobs.d/jobs-${id}.json`, JSON.stringify({ jobs: part }, null, 2) + '\n');
      }
      file = write(
        'cronkeeper.yaml',
        blockYaml({ ...settings, include: ['jobs.d/*.yaml', 'jobs.d/*.json'] }),
      );
      break;
    }
  }
  const bytes = written.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  return { file, files: written.length, bytes };
}

/**
 * A daemon config in flow YAML: Postgres `url`, the jobs as HTTP jobs against
 * `endpoint`; `settings`: more top-level keys as YAML text (`catchupConcurrency: 4`).
 */
export function daemonConfig(
  url: string,
  endpoint: string,
  jobs: readonly BenchJob[],
  settings = '',
): string {
  const more = (settings.trim() ? parseYaml(settings) : {}) as ConfigMap;
  return flowYaml(configData(url, jobsData(endpoint, jobs), more));
}

export function writeConfig(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600); // the daemon refuses group/other-writable configs, whatever the umask
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
