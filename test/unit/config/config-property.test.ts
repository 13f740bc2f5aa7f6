// Property-based tests of the config loader (fast-check): near-valid configs
// built from a structured generator (each field valid or not), written as YAML
// and then mutated as text (characters inserted, deleted, replaced; lines
// swapped, dropped or re-indented), optionally with an included file. Whatever
// the input, loadConfig resolves to a valid Config or rejects with a
// ConfigError whose every problem names a file it read, a line and a column
// inside that file, and a message — never another exception, never a hang.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.js';
import { type Config, ConfigError } from '../../../src/config/types.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
/** Failures show the error; PROPERTY_SEED replays a failed run (its seed is printed). */
const REPORT = {
  includeErrorInReport: true,
  seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
};
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-config-property-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const MAIN = path.join(dir, 'cronkeeper.yaml');
const INCLUDED = path.join(dir, 'jobs.d', 'more.yaml');
fs.mkdirSync(path.dirname(INCLUDED));

// ---- near-valid values --------------------------------------------------------

/** Junk of any shape: what a typo or a wrong indentation turns a value into. */
const junk = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

/** Mostly valid, sometimes junk. */
const maybe = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: junk as fc.Arbitrary<unknown>, weight: 1 });

const durationText = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 120 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', '', 'x', 'min'))
    .map(([n, u]) => `${n}${u}`),
  fc.constantFrom('1m30s', '0', '-5s', '1.5s', '90s', '24h'),
);
const cronText = fc.oneof(
  fc.constantFrom(
    '* * * * *',
    '*/5 * * * *',
    '0 2 * * *',
    '30 2 * * *',
    '* * * * * *',
    '@daily',
    '0 0 31 2 *',
  ),
  fc.constantFrom('61 * * * *', '* * *', '', '0 0 * * 8', 'L * * * *', '0 0 L * *', '@never', '*/0 * * * *'),
  fc
    .array(fc.constantFrom('*', '0', '5', '*/2', '1-3', '1,2', '59', '32', '?', 'L', 'W', '#'), {
      minLength: 4,
      maxLength: 7,
    })
    .map((fields) => fields.join(' ')),
);
const zone = fc.constantFrom(
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Mars/Olympus',
  '',
  'utc',
  'Etc/GMT+5',
);
const argv = fc.oneof(
  fc.constant(['/bin/true']),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.string({ maxLength: 10 }),
);
const url = fc.constantFrom('http://127.0.0.1:9/hook', 'https://x.invalid/a', 'ftp://x/', 'not a url', '');
const http = fc.record(
  {
    url: maybe(url),
    method: maybe(fc.constantFrom('GET', 'post', 'GE T', '')),
    headers: maybe(
      fc.dictionary(fc.constantFrom('X-A', 'Bad Header', 'Content-Type'), fc.string({ maxLength: 6 })),
    ),
  },
  { requiredKeys: [] },
);
const env = fc.dictionary(
  fc.constantFrom('A', 'PATH_X', '1X', 'CRONKEEPER_JOB', 'ok'),
  maybe(fc.string({ maxLength: 6 })),
  {
    maxKeys: 3,
  },
);
const hook = fc.record(
  {
    command: maybe(argv),
    http: maybe(http),
    cwd: maybe(fc.string({ maxLength: 6 })),
    env: maybe(env),
    timeout: maybe(durationText),
  },
  { requiredKeys: [] },
);
const retries = fc.record(
  {
    max: maybe(fc.integer({ min: -1, max: 5 })),
    backoff: maybe(durationText),
    maxBackoff: maybe(durationText),
  },
  { requiredKeys: [] },
);
const policies = {
  catchup: maybe(fc.constantFrom('all', 'latest', 'none', 'sometimes')),
  catchupWindow: maybe(durationText),
  maxCatchup: maybe(fc.integer({ min: -1, max: 1000 })),
  overlap: maybe(fc.constantFrom('skip', 'queue', 'allow', 'replace', 'never')),
  timeout: maybe(durationText),
  killGrace: maybe(durationText),
  onInterrupted: maybe(fc.constantFrom('skip', 'rerun')),
  retries: maybe(retries),
  jitter: maybe(durationText),
  onFailure: maybe(hook),
  onSuccess: maybe(hook),
  outputKeep: maybe(fc.constantFrom('16KiB', '1MiB', '2MiB', 0, 512, '16 K', -1)),
};
const job = fc.record(
  {
    schedule: maybe(cronText),
    timezone: maybe(zone),
    every: maybe(durationText),
    offset: maybe(durationText),
    backfillFrom: maybe(
      fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T00:00:00', 'yesterday'),
    ),
    command: maybe(argv),
    cwd: maybe(fc.constantFrom('/tmp', 'rel', '')),
    env: maybe(env),
    http: maybe(http),
    ...policies,
    // A misspelt key now and then.
    schedul: fc.constant('* * * * *'),
  },
  { requiredKeys: [] },
);
const jobName = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  fc.constantFrom('bad name', '-x', 'a'.repeat(130), 'ok.job_1'),
);
const jobs = fc.dictionary(jobName, maybe(job), { maxKeys: 4 });

const settings = fc.record(
  {
    store: maybe(
      fc.record(
        {
          path: maybe(fc.constantFrom('./store', '')),
          url: maybe(fc.constantFrom('postgres://u@h/db', 'mysql://x')),
        },
        { requiredKeys: [] },
      ),
    ),
    snapshot: maybe(
      fc.record(
        {
          interval: maybe(durationText),
          maxUpdates: maybe(fc.integer({ min: 0, max: 200 })),
          keep: maybe(fc.integer({ min: 0, max: 20 })),
        },
        { requiredKeys: [] },
      ),
    ),
    ledger: maybe(fc.record({ retention: maybe(durationText) }, { requiredKeys: [] })),
    http: maybe(
      fc.record(
        {
          listen: maybe(fc.constantFrom('127.0.0.1:9464', '0.0.0.0:80', 'localhost', '[::1]:70000')),
          token: maybe(fc.constantFrom('short', 'a-long-enough-token-1234')),
        },
        { requiredKeys: [] },
      ),
    ),
    ha: maybe(
      fc.record(
        { nodeId: maybe(fc.constantFrom('a', '')), lease: maybe(durationText), poll: maybe(durationText) },
        { requiredKeys: [] },
      ),
    ),
    catchupConcurrency: maybe(fc.integer({ min: 0, max: 8 })),
    concurrency: maybe(
      fc.record(
        { max: maybe(fc.integer({ min: 0, max: 4 })), perJob: maybe(fc.integer({ min: 0, max: 4 })) },
        { requiredKeys: [] },
      ),
    ),
    shutdownGrace: maybe(durationText),
    defaults: maybe(fc.record(policies, { requiredKeys: [] })),
    include: maybe(
      fc.oneof(
        fc.constant('jobs.d/*.yaml'),
        fc.constant(['jobs.d/more.yaml', 'missing.yaml']),
        fc.constant('a/*/b.yaml'),
      ),
    ),
    jobs,
  },
  { requiredKeys: [] },
);

// ---- text mutations -------------------------------------------------------------

const YAML_CHARS = [
  ':',
  '-',
  ' ',
  '  ',
  '\n',
  '#',
  '&a',
  '*a',
  '!',
  '!!int',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '|',
  '>',
  '%',
  '@',
  '`',
  ',',
  '?',
  '\t',
  'x',
  '0',
  '<<: *a',
  '\r',
  '\u00a0',
  '\ufeff',
];

type Mutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'swap-lines'; a: number; b: number }
  | { op: 'drop-line'; at: number }
  | { op: 'indent'; at: number; by: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...YAML_CHARS) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ op: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('drop-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);

function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  switch (m.op) {
    case 'insert': {
      const i = m.at % (text.length + 1);
      return text.slice(0, i) + m.text + text.slice(i);
    }
    case 'delete': {
      const i = m.at % (text.length + 1);
      return text.slice(0, i) + text.slice(i + m.length);
    }
    case 'swap-lines': {
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'drop-line':
      lines.splice(m.at % lines.length, 1);
      return lines.join('\n');
    case 'indent': {
      const i = m.at % lines.length;
      const line = lines[i]!;
      lines[i] = m.by >= 0 ? ' '.repeat(m.by) + line : line.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
  }
}

const document = fc
  .record({
    main: settings,
    mainMutations: fc.array(mutation, { maxLength: 3 }),
    included: fc.option(fc.record({ jobs }, { requiredKeys: [] }), { nil: undefined }),
    includedMutations: fc.array(mutation, { maxLength: 2 }),
    flow: fc.boolean(),
  })
  .map(({ main, mainMutations, included, includedMutations, flow }) => ({
    main: mainMutations.reduce(mutate, stringify(main, { flowCollectionPadding: flow })),
    included: included === undefined ? undefined : includedMutations.reduce(mutate, stringify(included)),
  }));

// ---- the property -------------------------------------------------------------------

/**
 * Every problem lies inside a file that was read: 1 <= line <= its lines,
 * 1 <= column <= the line's length + 1 (lines end at '\n' only, as for the
 * YAML parser; columns count UTF-16 units, as JavaScript strings do), and
 * its message and path print as one clean line: no control characters.
 */
function assertLocated(err: ConfigError, texts: Map<string, string>): void {
  assert.ok(err.problems.length > 0, 'a ConfigError without problems');
  for (const p of err.problems) {
    const text = texts.get(p.file);
    assert.ok(text !== undefined, `a problem in a file that was not read: ${p.file}`);
    const lines = text.split('\n');
    assert.ok(
      Number.isInteger(p.line) && p.line >= 1 && p.line <= lines.length,
      `line ${p.line} outside ${p.file}`,
    );
    const width = (lines[p.line - 1] ?? '').length;
    assert.ok(
      Number.isInteger(p.column) && p.column >= 1 && p.column <= width + 1,
      `column ${p.column} outside line ${p.line} (${width} characters) of ${p.file}: ${p.message}`,
    );
    assert.equal(typeof p.message, 'string');
    assert.ok(p.message.trim().length > 0, 'an empty message');
    // eslint-disable-next-line no-control-regex
    const control = /[\u0000-\u001f\u007f-\u009f]/;
    assert.doesNotMatch(
      p.message,
      control,
      `a control character in the message: ${JSON.stringify(p.message)}`,
    );
    assert.doesNotMatch(p.path, control, `a control character in the path: ${JSON.stringify(p.path)}`);
  }
}

function assertValid(config: Config): void {
  for (const job of config.jobs) {
    assert.match(job.name, /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
    if (job.schedule.kind === 'every') {
      assert.ok(job.schedule.everyMs >= 1000 && job.schedule.offsetMs < job.schedule.everyMs);
    }
    if (job.action.kind === 'command') assert.ok(job.action.argv.length > 0 && job.action.argv[0] !== '');
  }
}

describe('loadConfig: properties', () => {
  it(
    'random near-valid YAML yields a valid config or a ConfigError located in its files, never a crash',
    { timeout: 120_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(document, async ({ main, included }) => {
          fs.writeFileSync(MAIN, main);
          const texts = new Map([[MAIN, main]]);
          if (included === undefined) fs.rmSync(INCLUDED, { force: true });
          else {
            fs.writeFileSync(INCLUDED, included);
            texts.set(INCLUDED, included);
          }
          let config: Config;
          try {
            config = await loadConfig(MAIN, { insecure: true, nowMs: NOW, env: {} });
          } catch (err) {
            if (!(err instanceof ConfigError)) {
              throw new Error(`loadConfig threw ${String(err)}, not a ConfigError, for:\n${main}`, {
                cause: err,
              });
            }
            assertLocated(err, texts);
            return;
          }
          assertValid(config);
        }),
        { numRuns: RUNS, ...REPORT },
      );
    },
  );
});
