// npm run bench:problems — how long `cronkeeper validate` takes to report a
// problem in a config of 100,000 jobs, in every config shape (block YAML,
// flow YAML, one-line JSON, pretty JSON, a main file including 10 job files),
// against the 5 s target. The problems, each in a job halfway down a file: a
// bad schedule (a value: the data is read and validated, the problem placed
// from js-yaml's events), an unclosed '[' and a missing ',' (syntax errors:
// the `yaml` package says what is wrong, in a window around the error, see
// src/config/syntax-window.ts), and a job key indented a column less and a
// stray ']' (errors that run on through the jobs after them: read up to a
// bound past the error, see src/config/syntax-prefix.ts). The alternative, measured in the same run: the
// `yaml` package reading the whole erring file (what a syntax error cost
// before the windows), in this process.
//
//   --jobs 100000 --shapes block,flow,json,pretty,includes --runs 3 --json out.json
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readLocated } from '../src/config/yaml-source.js';
import { tempDir } from '../test/support/daemon.js';
import { loadavg, machine, numberArg, printTable, round, stringArg, writeJson } from './support/bench-env.js';
import {
  CONFIG_SHAPES,
  type ConfigShape,
  SHAPE_LABELS,
  configData,
  idleJobs,
  jobsData,
  writeConfigShape,
} from './support/bench-jobs.js';

const JOBS = numberArg('--jobs', 100_000);
const RUNS = numberArg('--runs', 3);
const SHAPES = (stringArg('--shapes')?.split(',') ?? [...CONFIG_SHAPES]) as ConfigShape[];
const TARGET_MS = 5_000;
const CLI = path.resolve('dist/cli.js');

/** Edits of a file's text that make a problem in the job at its middle; undefined where one does not apply. */
const PROBLEMS: Record<string, (text: string) => string | undefined> = {
  'a bad schedule': (t) => {
    const at = t.indexOf('schedule', t.length >> 1);
    const value = t.indexOf('"', t.indexOf(':', at) + 1);
    return t.slice(0, value + 1) + '61 ' + t.slice(value + 1);
  },
  "an unclosed '['": (t) => {
    const at = t.indexOf('"http://', t.length >> 1);
    return t.slice(0, at) + '[' + t.slice(at);
  },
  // Errors that run on through the jobs after them (read up to a bound past the error, see
  // src/config/syntax-prefix.ts).
  'a job key a column less': (t) => {
    // The line of a job's key: the schedule's own line in flow YAML, the one above it otherwise.
    const at = t.indexOf('schedule', t.length >> 1);
    let line = t.lastIndexOf('\n', at) + 1;
    if (t.startsWith('{')) return undefined; // JSON does not read indentation
    if (/^\s*"?$/.test(t.slice(line, at))) line = t.lastIndexOf('\n', line - 2) + 1;
    return t[line] === ' ' ? t.slice(0, line) + t.slice(line + 1) : undefined;
  },
  "a stray ']'": (t) => {
    const at = t.indexOf('schedule', t.length >> 1);
    const close = t.indexOf('"', t.indexOf('"', t.indexOf(':', at) + 1) + 1);
    return t.slice(0, close + 1) + ']' + t.slice(close + 1);
  },
  "a missing ','": (t) => {
    // The comma before a job's timezone (flow YAML, JSON); block YAML has none.
    const at = timezoneAfter(t);
    const comma = t.lastIndexOf(',', at);
    return at > 0 && comma > 0 && t.slice(comma + 1, at).trim() === ''
      ? t.slice(0, comma) + t.slice(comma + 1)
      : undefined;
  },
};

/** Where the first job's timezone key past the middle of `t` is written (its quote included). */
function timezoneAfter(t: string): number {
  const re = /"?timezone"?:/g;
  re.lastIndex = t.length >> 1;
  return re.exec(t)?.index ?? -1;
}

/** The file of a shape's config that holds the jobs (for includes, one of its job files). */
function jobFile(dir: string, main: string, shape: ConfigShape): string {
  if (shape !== 'includes') return main;
  return path.join(dir, 'jobs.d', 'jobs-02.yaml');
}

function validateMs(config: string): { ms: number; problems: string[] } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'validate', '--config', config], { encoding: 'utf8' });
  const ms = performance.now() - started;
  const problems = r.stderr.split('\n').filter((l) => /:\d+:\d+: /.test(l));
  if (r.status === 0) throw new Error(`${config}: validate found no problem`);
  return { ms, problems };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const data = configData(
    'postgres://bench@127.0.0.1:5432/bench',
    jobsData('http://127.0.0.1:1/x', idleJobs(JOBS, JOBS, Date.now())),
  );
  const rows: Array<Array<string | number>> = [];
  const results: unknown[] = [];
  for (const shape of SHAPES) {
    const dir = tempDir(`problems-${shape}`);
    try {
      const { file } = writeConfigShape(dir, shape, data);
      const target = jobFile(dir, file, shape);
      const good = fs.readFileSync(target, 'utf8');
      for (const [kind, edit] of Object.entries(PROBLEMS)) {
        const bad = edit(good);
        if (bad === undefined || bad === good) continue;
        fs.writeFileSync(target, bad);
        const times: number[] = [];
        let problems: string[] = [];
        for (let i = 0; i < RUNS; i++) ({ ms: times[i], problems } = validateMs(file));
        let wholeMs: number | undefined;
        if (kind !== 'a bad schedule') {
          const started = performance.now();
          readLocated(target, bad);
          wholeMs = performance.now() - started;
        }
        const ms = median(times);
        rows.push([
          SHAPE_LABELS[shape],
          kind,
          round(ms / 1000, 2),
          wholeMs === undefined ? '' : round(wholeMs / 1000, 2),
          wholeMs === undefined ? '' : round(wholeMs / ms, 1),
          ms <= TARGET_MS ? 'met' : 'NOT met',
          problems.length,
        ]);
        results.push({ shape, kind, validateMs: times, wholeFileYamlMs: wholeMs, problems });
        console.log(`${SHAPE_LABELS[shape]}, ${kind}: ${Math.round(ms)} ms; ${problems[0] ?? ''}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  printTable(
    `A problem in a config of ${JOBS} jobs: cronkeeper validate (median of ${RUNS}), target ${TARGET_MS / 1000} s`,
    ['shape', 'problem', 'validate s', 'whole-file yaml read s', 'ratio', 'target', 'problems'],
    rows,
  );
  writeJson({ machine: machine(), loadavg: loadavg(), jobs: JOBS, results });
}

await main();
