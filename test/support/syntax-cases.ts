// A config of 40 jobs in four shapes (block YAML, flow YAML, pretty and
// one-line JSON) and edits that make syntax errors of many kinds in it: the
// cases the readings around a syntax error (syntax-window.ts,
// syntax-prefix.ts) are held to against the whole file's reading.
import type { ConfigProblem } from '../../src/config/types.js';
import { jobPositions, readLocated } from '../../src/config/yaml-source.js';

export const FILE = '/etc/cronkeeper/cronkeeper.yaml';
const JOBS = 40;

interface Job {
  schedule: string;
  timezone: string;
  command: string[];
}
const jobs: Record<string, Job> = {};
for (let i = 0; i < JOBS; i++)
  jobs[`job-${i}`] = { schedule: `${i % 60} 3 * * *`, timezone: 'UTC', command: ['/bin/echo', `run ${i}`] };
const data = { store: { path: './store' }, jobs };

export const shapes: Record<string, string> = {
  block: [
    'store:',
    '  path: ./store',
    'jobs:',
    ...Object.entries(jobs).flatMap(([name, j]) => [
      `  ${name}:`,
      `    schedule: "${j.schedule}"`,
      `    timezone: ${j.timezone}`,
      `    command: [${j.command.map((c) => JSON.stringify(c)).join(', ')}]`,
    ]),
  ].join('\n'),
  flow: [
    'store: { path: ./store }',
    'jobs:',
    ...Object.entries(jobs).map(
      ([name, j]) =>
        `  ${name}: { schedule: "${j.schedule}", timezone: ${j.timezone}, command: [${j.command.map((c) => JSON.stringify(c)).join(', ')}] }`,
    ),
  ].join('\n'),
  pretty: JSON.stringify(data, null, 2),
  json: JSON.stringify(data),
};

/** Edits that make a syntax error at job `at` (and a second one at job `at2`, for some). */
export const errors: Record<string, (text: string, shape: string) => string> = {
  'an unclosed [': (t) => t.replace('"run 20"', '["run 20"'),
  'an unclosed {': (t, shape) =>
    shape === 'block'
      ? t.replace('timezone: UTC\n    command', 'timezone: { UTC\n    command')
      : t.replace('"run 20"', '{"run 20"'),
  'an unclosed quote': (t) => t.replace('"run 20"', '"run 20'),
  'a missing comma': (t) => {
    const at = t.lastIndexOf(',', t.indexOf('"run 20"'));
    return t.slice(0, at) + t.slice(at + 1);
  },
  'a stray closing bracket': (t) => t.replace('"run 20"]', '"run 20"]]'),
  'a bad indentation': (t) => t.replace('  job-20:', ' job-20:'),
  'a stray ] after a value in block YAML': (t, shape) =>
    shape === 'block'
      ? t
          .replace('"run 20"]\n', '"run 20"]]\n')
          .replace(
            'timezone: UTC\n    command: ["/bin/echo", "run 20"',
            'timezone: UTC]\n    command: ["/bin/echo", "run 20"',
          )
      : t,
  'a tab': (t) => t.replace('  job-20:', '\tjob-20:'),
  'two errors far apart': (t) => t.replace('"run 12"', '["run 12"').replace('"run 33"', '"run 33'),
  'an error near the end': (t) => t.replace('"run 38"', '["run 38"'),
  'an error near the start': (t) => t.replace('"run 2"', '["run 2"'),
  'an error in the second job': (t) => t.replace('"run 1"', '["run 1"'),
  'a job named twice, far from the error': (t) =>
    t.replace('job-5"', 'job-31"').replace('job-5:', 'job-31:').replace('"run 20"', '["run 20"'),
  'a job next to the error named as one far up': (t) =>
    t.replace('job-21"', 'job-5"').replace('job-21:', 'job-5:').replace('"run 20"', '["run 20"'),
  'a key twice in a job far from the error': (t, shape) =>
    shape === 'block'
      ? t
          .replace(
            '    timezone: UTC\n    command: ["/bin/echo", "run 4"]',
            '    timezone: UTC\n    timezone: UTC\n    command: ["/bin/echo", "run 4"]',
          )
          .replace('"run 20"', '["run 20"')
      : t
          .replace('"timezone": "UTC"', '"timezone": "UTC", "timezone": "UTC"')
          .replace('timezone: UTC,', 'timezone: UTC, timezone: UTC,')
          .replace('"run 20"', '["run 20"'),
  'an alias to an anchor in a job far up': (t) =>
    t.replace('"run 3"', '&three "run 3"').replace('"run 30"', '*three ] ['),
};

/** The yaml package's reading of a window, as load-config.ts makes it. */
export function readWindow(text: string) {
  const { problems, source } = readLocated(FILE, text);
  return { problems, jobs: jobPositions(source).keys() };
}

export function sorted(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => `${p.line}:${p.column} ${p.message}`).sort();
}
