// The quick reading of a config (load-valid-config.ts: the YAML subset reader,
// the memoized job fields) must never differ from the full one (the `yaml`
// package's document, a zod parse per job): where it returns something, the
// full reading returns the same. Compared on generated YAML (tricky scalars,
// comments, indentation, mutated text), on generated valid configs written in
// several styles (where the quick reading must also be the one taken), on
// near-valid configs, and on every bad-config fixture.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { type Document, isMap, isNode, isScalar, parseDocument, stringify } from 'yaml';
import { ConfigFiles } from '../../src/config/config-files.js';
import { JobFieldParser, valueKey } from '../../src/config/job-fields.js';
import { loadConfig } from '../../src/config/load-config.js';
import { loadValidConfig } from '../../src/config/load-valid-config.js';
import { jobSchema } from '../../src/config/schema.js';
import { type Config, ConfigError } from '../../src/config/types.js';
import { type JobEntry, parseYamlSubset } from '../../src/config/yaml-subset.js';
import { keepWrittenText } from '../../src/config/yaml-source.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const REPORT = {
  includeErrorInReport: true,
  seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
};
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const FIXTURES = fileURLToPath(new URL('../fixtures/bad-configs', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../config/cronkeeper.yaml', import.meta.url));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-config-fast-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const MAIN = path.join(dir, 'cronkeeper.yaml');
const INCLUDED = path.join(dir, 'jobs.d', 'more.yaml');
fs.mkdirSync(path.dirname(INCLUDED));

// ---- the YAML subset reader against the yaml package ------------------------------

/** The entries of the top-level `jobs` map as the full parser sees them. */
function jobEntriesOf(doc: Document.Parsed, text: string): JobEntry[] {
  const root = doc.contents;
  if (!isMap(root)) return [];
  const pair = root.items.findLast((p) => isScalar(p.key) && p.key.value === 'jobs');
  if (!pair || !isMap(pair.value)) return [];
  return pair.value.items.map((p) => {
    const offset = isNode(p.key) && p.key.range ? p.key.range[0] : -1;
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    return {
      name: String(isScalar(p.key) ? p.key.value : p.key),
      line: text.slice(0, offset).split('\n').length,
      column: offset - lineStart + 1,
      value: isNode(p.value) ? (p.value.toJS(doc) as unknown) : null,
    };
  });
}

/** When the subset reader accepts `text`, it reads what the full reading reads, which finds no error. */
function assertSameAsYaml(text: string): boolean {
  const quick = parseYamlSubset(text);
  if (quick === undefined) return false;
  // uniqueKeys: a duplicate key is an error here (the loader reports it itself).
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  // As the full reading reads it: numbers and booleans whose text would change stay text.
  keepWrittenText(doc);
  assert.deepEqual(
    doc.errors.map((e) => e.message),
    [],
    `accepted YAML the full parser rejects:\n${text}`,
  );
  assert.deepStrictEqual(quick.value, doc.toJS(), `a different value for:\n${text}`);
  assert.deepStrictEqual(quick.jobs, jobEntriesOf(doc, text), `different job entries for:\n${text}`);
  return true;
}

/** Scalars as written, many of them on the edge of a YAML rule. */
const SCALAR_TEXTS = [
  'x',
  'hello world',
  "it's",
  'a#b',
  'a #b',
  'http://127.0.0.1:9/hook',
  '0 2 * * *',
  '*/5 * * * *',
  '*',
  '-5s',
  '- x',
  '-',
  '~',
  'null',
  'Null',
  'NULL',
  'nul',
  'true',
  'False',
  'TRUE',
  'yes',
  'on',
  '0',
  '-0',
  '+12',
  '007',
  '0o17',
  '0o8',
  '0x1F',
  '0xG',
  '1_000',
  '1e3',
  '1E-3',
  '.5',
  '1.',
  '1.50',
  '.inf',
  '-.Inf',
  '+.INF',
  '.nan',
  '.NaN',
  '123456789012345678901234567890',
  '"double"',
  '"with \\"escapes\\" \\\\ \\/ \\t \\n"',
  '"\\x41"',
  '"\\u00e9"',
  '"unclosed',
  "'single'",
  "'it''s'",
  "''",
  '""',
  '"a" b',
  '"a"#c',
  '"a" #c',
  '{}',
  '[]',
  '{a: 1, b: [x, "y", \'z\']}',
  '{ a: 1 }',
  '{a: 1,}',
  '{a:1}',
  '{"a":1}',
  '{a: }',
  '{a: b: c}',
  '{a: {b: {c: [1, [2]]}}}',
  '{1: a}',
  '{a: 1, a: 2}',
  '[a: 1]',
  '[a, [b, {c: d}]]',
  '{a: b #c}',
  '[a #b]',
  '[a#b, c]',
  '[a, b',
  '[-]',
  '[- a]',
  '[a]b]',
  'a]b',
  'a, b',
  '*alias',
  '&anchor x',
  '!!str 1',
  '!tag x',
  '|',
  '>-',
  '? x',
  '?x',
  ':x',
  ':',
  '?',
  '-,',
  '@x',
  '`x',
  '%x',
  'a: b',
  'a:',
  'a :b',
  'é',
  'x # comment',
  '',
];
const KEY_TEXTS = [
  'a',
  'jobs',
  'b',
  'job-1',
  'job.x_y',
  '1',
  '1a',
  'true',
  'null',
  'x y',
  '"quoted"',
  "'single'",
  '"jobs"',
  '__proto__',
  '<<',
  '-a',
  '.a',
  'a:b',
  'é',
];

/** A document of line templates: keys, values, sequence items, comments, blanks, at random indentation. */
const lineSoup = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          fc.nat({ max: 6 }),
          fc.constantFrom(...KEY_TEXTS),
          fc.constantFrom(...SCALAR_TEXTS),
          fc.boolean(),
        )
        .map(
          ([n, k, v, comment]) => `${' '.repeat(n)}${k}:${v === '' ? '' : ` ${v}`}${comment ? ' # c' : ''}`,
        ),
      fc
        .tuple(fc.nat({ max: 6 }), fc.constantFrom(...SCALAR_TEXTS))
        .map(([n, v]) => `${' '.repeat(n)}- ${v}`),
      fc.nat({ max: 6 }).map((n) => `${' '.repeat(n)}# comment`),
      fc.constantFrom('', '   ', '---', '...'),
    ),
    { maxLength: 12 },
  )
  .map((lines) => lines.join('\n') + '\n');

/** The same structure as a config: top-level keys, a jobs map, nested maps and lists. */
const structured = fc
  .array(
    fc.tuple(
      fc.constantFrom('jobs', 'snapshot', 'include', 'a', 'b'),
      fc.oneof(
        fc.constantFrom(...SCALAR_TEXTS).map((v) => ` ${v}`),
        fc
          .array(fc.tuple(fc.constantFrom(...KEY_TEXTS), fc.constantFrom(...SCALAR_TEXTS.slice(0, 60))), {
            maxLength: 4,
          })
          .map((entries) => '\n' + entries.map(([k, v]) => `  ${k}: ${v}`).join('\n')),
        fc
          .array(fc.constantFrom(...SCALAR_TEXTS.slice(0, 60)), { minLength: 1, maxLength: 3 })
          .map((items) => '\n' + items.map((v) => `- ${v}`).join('\n')),
      ),
    ),
    { maxLength: 6 },
  )
  .map((entries) => entries.map(([k, v]) => `${k}:${v}`).join('\n') + '\n');

/** Plain data of any shape, written by the yaml package in one of its styles. */
const plainValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 8 }),
    fc.constantFrom(...SCALAR_TEXTS),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom(...KEY_TEXTS)), tie('value'), {
      maxKeys: 3,
    }),
  ),
})).value;
const written = fc
  .tuple(
    fc.dictionary(fc.constantFrom('jobs', 'a', 'b', 'c', 'snapshot'), plainValue, { maxKeys: 4 }),
    fc.record({
      collectionStyle: fc.constantFrom('any', 'block', 'flow'),
      defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
      defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE'),
      flowCollectionPadding: fc.boolean(),
      indent: fc.constantFrom(2, 4),
      indentSeq: fc.boolean(),
      lineWidth: fc.constantFrom(0, 40, 80),
    }),
  )
  .map(([data, options]) => stringify(data, null, options));

// ---- text mutations (as in config-property.test.ts) ------------------------------------

type Mutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'swap-lines'; a: number; b: number }
  | { op: 'indent'; at: number; by: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      ':',
      '-',
      ' ',
      '\n',
      '#',
      ',',
      '{',
      '}',
      '[',
      ']',
      '"',
      "'",
      '*',
      '&',
      '!',
      'x',
      '0',
    ),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -3, max: 3 }) }),
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
    case 'indent': {
      const i = m.at % lines.length;
      const line = lines[i]!;
      lines[i] = m.by >= 0 ? ' '.repeat(m.by) + line : line.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
  }
}

const mutated = (texts: fc.Arbitrary<string>) =>
  fc
    .tuple(texts, fc.array(mutation, { maxLength: 3 }))
    .map(([text, mutations]) => mutations.reduce(mutate, text));

describe('parseYamlSubset', () => {
  for (const [name, texts] of [
    ['line templates', lineSoup],
    ['config-shaped documents', structured],
    ['documents the yaml package writes', written],
  ] as const) {
    it(`reads ${name} as the yaml package does, or gives up`, () => {
      let accepted = 0;
      fc.assert(
        fc.property(fc.oneof(texts, mutated(texts)), (text) => {
          if (assertSameAsYaml(text)) accepted++;
        }),
        { numRuns: RUNS * 3, ...REPORT },
      );
      // Not vacuous: a good share of them are in the subset.
      assert.ok(accepted > RUNS / 4, `only ${accepted} of ${RUNS * 3} accepted`);
    });
  }

  it('reads the example config and the bench shape', () => {
    assert.ok(assertSameAsYaml(fs.readFileSync(EXAMPLE, 'utf8')));
    const bench = [
      'store: { url: "postgres://bench@127.0.0.1:5432/bench" }',
      'snapshot: { interval: 30s, maxUpdates: 1000000, keep: 3 }',
      '',
      'jobs:',
      '  billing-eu-west-1-nightly-export-0: { schedule: "0 0 10 * * *", timezone: UTC, http: { url: "http://127.0.0.1:9/hook" } }',
      '  reports-eu-west-1-nightly-export-1: { schedule: "1 0 13 * * 1-5", timezone: Europe/Berlin, catchup: all, http: { url: "http://127.0.0.1:9/hook" } }',
    ].join('\n');
    assert.ok(assertSameAsYaml(bench));
    assert.deepEqual(
      parseYamlSubset(bench)?.jobs.map((j) => [j.name, j.line, j.column]),
      [
        ['billing-eu-west-1-nightly-export-0', 5, 3],
        ['reports-eu-west-1-nightly-export-1', 6, 3],
      ],
    );
  });

  it('gives up on what it does not read: tabs, CR, anchors, block scalars, multi-line values', () => {
    for (const text of [
      'a:\tb\n',
      'a: b\r\n',
      'a: &x b\nc: *x\n',
      'a: |\n  text\n',
      'a: "one\n  two"\n',
      'a: one\n  two\n',
      'a: [1,\n  2]\n',
      'a: 1\na: 2\n',
      '---\na: 1\n',
      '\ufeffa: 1\n',
      'jobs: []\n',
      '- a\n',
    ]) {
      assert.equal(parseYamlSubset(text), undefined, JSON.stringify(text));
    }
  });
});

// ---- the job fields against the whole job schema ---------------------------------------

const junk = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -2, max: 2 }),
  fc.constant(-0),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);
const maybe = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: junk as fc.Arbitrary<unknown>, weight: 1 });
const durationText = fc.constantFrom('0', '500ms', '1s', '90s', '15m', '1h30m', '1d', '-5s', '1.5s', '10');
const anyJob = fc.record(
  {
    schedule: maybe(fc.constantFrom('* * * * *', '0 2 * * *', '  0 3 * * *  ', '', '61 * * * *')),
    timezone: maybe(fc.constantFrom('UTC', 'Europe/Berlin', 'Mars/Olympus')),
    every: maybe(durationText),
    offset: maybe(durationText),
    command: maybe(fc.constantFrom(['/bin/true'], ['/bin/sh', '-c', 'x'], [], [''], 'a string')),
    cwd: maybe(fc.constantFrom('/tmp', 'rel', '')),
    env: maybe(
      fc.dictionary(fc.constantFrom('A', 'B_1', '1X', 'CRONKEEPER_X'), fc.constantFrom('v', 1, true)),
    ),
    http: maybe(
      fc.record(
        {
          url: maybe(fc.constantFrom('http://127.0.0.1:9/hook', 'ftp://x/', 'not a url')),
          method: maybe(fc.constantFrom('GET', 'post', 'GE T')),
          headers: maybe(
            fc.dictionary(fc.constantFrom('X-A', 'Bad Header'), fc.constantFrom('v', 'a\nb', 2)),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    catchup: maybe(fc.constantFrom('all', 'latest', 'none', 'some')),
    maxCatchup: maybe(fc.integer({ min: -1, max: 3 })),
    retries: maybe(fc.record({ max: maybe(fc.nat(3)), backoff: maybe(durationText) }, { requiredKeys: [] })),
    outputKeep: maybe(fc.constantFrom('16KiB', 512, '2MiB', 0.5)),
    backfillFrom: maybe(fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-30T00:00:00Z')),
    formerNames: maybe(fc.constantFrom(['old'], ['bad name'], [])),
    onFailure: maybe(
      fc.record(
        { command: maybe(fc.constant(['/bin/true'])), timeout: maybe(durationText) },
        { requiredKeys: [] },
      ),
    ),
    unknownKey: fc.constant(1),
  },
  { requiredKeys: [] },
);

describe('JobFieldParser', () => {
  it('gives what the whole job schema gives when it succeeds, and undefined when it fails', () => {
    // One parser for all runs, as for one config: its memo is hit across jobs.
    const fields = new JobFieldParser();
    fc.assert(
      fc.property(fc.array(anyJob, { maxLength: 8 }), (jobs) => {
        for (const raw of jobs) {
          const whole = jobSchema.safeParse(raw);
          const quick = fields.parse(raw as Record<string, unknown>);
          if (whole.success) assert.deepStrictEqual(quick, whole.data);
          else assert.equal(quick, undefined);
        }
      }),
      { numRuns: RUNS * 3, ...REPORT },
    );
  });

  it('gives the same results once a field of distinct values is parsed without the memo', () => {
    const fields = new JobFieldParser();
    for (let i = 0; i < 3000; i++) {
      // A distinct schedule per job (with spaces to trim), and a distinct invalid `every`.
      const schedule = ` ${i % 60} ${Math.floor(i / 60) % 24} ${1 + Math.floor(i / 1440)} * * `;
      const valid = { schedule, timezone: i % 2 ? 'UTC' : 'Europe/Berlin' };
      assert.deepStrictEqual(fields.parse(valid), jobSchema.parse(valid));
      assert.equal(fields.parse({ every: i }), undefined);
    }
    assert.equal(fields.parse({ schedule: '   ' }), undefined);
    assert.deepStrictEqual(fields.parse({ schedule: ' 0 3 * * * ' }), { schedule: '0 3 * * *' });
  });

  it('gives every job its own lists and maps', () => {
    const fields = new JobFieldParser();
    const a = fields.parse({ command: ['/bin/true'], env: { A: 'x' } });
    const b = fields.parse({ command: ['/bin/true'], env: { A: 'x' } });
    assert.deepStrictEqual(a, b);
    assert.notEqual(a?.command, b?.command);
    assert.notEqual(a?.env, b?.env);
  });

  it('valueKey: equal keys only for equal values', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 4 }),
        fc.double(),
        fc.integer({ min: -2, max: 2 }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 3 }),
        // Plain objects, as YAML gives: one without a prototype is not deep-equal to one with.
        fc.dictionary(fc.string({ maxLength: 3 }), tie('v'), { maxKeys: 3, noNullPrototype: true }),
      ),
    })).v;
    fc.assert(
      fc.property(value, value, (a, b) => {
        if (valueKey(a) === valueKey(b)) assert.ok(isDeepStrictEqual(a, b), `${valueKey(a)}`);
      }),
      { numRuns: RUNS * 5, ...REPORT },
    );
    assert.notEqual(valueKey(['a', 'b']), valueKey(['a,b']));
    assert.notEqual(valueKey({ a: 's1' }), valueKey({ a: 1 }));
    assert.notEqual(valueKey(0), valueKey(-0));
  });
});

// ---- quick and full reading of whole configs --------------------------------------------

type Outcome = { config: Config } | { problems: string[] };

async function outcome(file: string, quick: boolean): Promise<Outcome> {
  try {
    return { config: await loadConfig(file, { insecure: true, nowMs: NOW, env: {}, quick }) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { problems: err.message.split('\n') };
  }
}

/** The quick reading, where taken, gives the full reading's config; loadConfig gives the same either way. */
async function assertSameReading(file: string): Promise<Config | undefined> {
  const quick = await loadValidConfig(file, new ConfigFiles(true), NOW, {});
  const full = await outcome(file, false);
  if (quick !== undefined) {
    assert.ok(
      'config' in full,
      `the quick reading accepted a config the full one rejects: ${JSON.stringify(full)}`,
    );
    assert.deepStrictEqual(quick, full.config);
  }
  assert.deepStrictEqual(await outcome(file, true), full);
  return quick;
}

const NAME = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/);
const WORD = fc.stringMatching(/^[A-Za-z0-9 ._:/=+-]{0,10}$/);
const hook = fc.oneof(
  fc.record({ command: fc.tuple(fc.constant('/bin/notify'), WORD).map((a) => [...a]) }),
  fc.record({
    http: fc.record({ url: fc.constant('http://127.0.0.1:9/failed') }),
    timeout: fc.constant('30s'),
  }),
);
const policies = {
  catchup: fc.constantFrom('all', 'latest', 'none'),
  catchupWindow: fc.constantFrom('1h', '24h', '7d'),
  maxCatchup: fc.nat(500),
  overlap: fc.constantFrom('skip', 'queue', 'allow', 'replace'),
  timeout: fc.constantFrom('30s', '1h', '90m'),
  killGrace: fc.constantFrom('5s', '10s'),
  onInterrupted: fc.constantFrom('skip', 'rerun'),
  onResume: fc.constantFrom('skip', 'catchup'),
  onScheduleChange: fc.constantFrom('keep', 'reanchor'),
  retries: fc.record(
    { max: fc.nat(5), backoff: fc.constantFrom('1s', '10s'), maxBackoff: fc.constantFrom('5m', '1h') },
    { requiredKeys: [] },
  ),
  jitter: fc.constantFrom('0', '500ms', '30s'),
  onFailure: hook,
  onSuccess: hook,
  outputKeep: fc.constantFrom('16KiB', 1024, '1MiB', '0'),
  maxAge: fc.constantFrom('1h', '2d'),
};
const action = fc.oneof(
  fc.record(
    {
      command: fc
        .tuple(fc.constantFrom('/bin/true', 'backup.sh', '/usr/bin/env'), fc.array(WORD, { maxLength: 3 }))
        .map(([program, args]) => [program, ...args]),
      cwd: fc.constantFrom('/tmp', 'work/dir'),
      env: fc.dictionary(fc.constantFrom('A', 'PATH_X', 'LEVEL'), fc.oneof(WORD, fc.nat(9), fc.boolean()), {
        maxKeys: 2,
      }),
    },
    { requiredKeys: ['command'] },
  ),
  fc.record(
    {
      http: fc.record(
        {
          url: fc.constantFrom('http://127.0.0.1:9/hook', 'https://example.invalid/a?b=c#d'),
          method: fc.constantFrom('GET', 'post'),
          headers: fc.dictionary(fc.constantFrom('X-A', 'Content-Type'), WORD, { maxKeys: 2 }),
        },
        { requiredKeys: ['url'] },
      ),
    },
    { requiredKeys: ['http'] },
  ),
);
const schedule = fc.oneof(
  fc.record(
    {
      schedule: fc.constantFrom(
        '* * * * *',
        '*/5 * * * *',
        '0 2 * * *',
        '30 2 * * 1-5',
        '0 0 0 1 * *',
        '@daily',
        '0 0 L * *',
      ),
      timezone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
    },
    { requiredKeys: ['schedule'] },
  ),
  fc.record(
    { every: fc.constantFrom('1s', '90s', '15m', '1h', '1d'), offset: fc.constantFrom('0', '500ms') },
    { requiredKeys: ['every'] },
  ),
);
const validJob = fc
  .tuple(
    schedule,
    action,
    fc.record({ ...policies, backfillFrom: fc.constant('2026-01-01T00:00:00Z') }, { requiredKeys: [] }),
  )
  .map(([s, a, p]) => ({ ...s, ...a, ...p }));
const validJobs = fc
  .uniqueArray(NAME, { maxLength: 6 })
  .chain((names) =>
    fc.tuple(fc.constant(names), fc.array(validJob, { minLength: names.length, maxLength: names.length })),
  )
  .map(([names, jobs]) => {
    const out: Record<string, unknown> = {};
    names.forEach((name, i) => {
      // A former name nobody has: the job's own name, prefixed.
      out[name] = i % 3 === 0 ? { ...jobs[i], formerNames: [`was.${name}`] } : jobs[i];
    });
    return out;
  });
const validSettings = fc.record(
  {
    store: fc.oneof(
      fc.record({ url: fc.constant('postgres://u@127.0.0.1/db') }),
      fc.record({ path: fc.constant('./state') }),
    ),
    snapshot: fc.record(
      {
        interval: fc.constant('10s'),
        maxUpdates: fc.nat({ max: 1000 }).map((n) => n + 1),
        keep: fc.constant(3),
      },
      { requiredKeys: [] },
    ),
    ledger: fc.record({ retention: fc.constant('30d') }),
    http: fc.record({ listen: fc.constant('127.0.0.1:9464') }),
    ha: fc.record({ nodeId: fc.constant('node-a'), lease: fc.constant('3s') }, { requiredKeys: [] }),
    catchupConcurrency: fc.constantFrom(1, 4),
    concurrency: fc.record({ max: fc.constant(10), perJob: fc.constant(1) }, { requiredKeys: [] }),
    shutdownGrace: fc.constant('30s'),
    defaults: fc.record(policies, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

/** A config as text in one of the styles operators and generators write. */
type Style = 'flow-per-job' | 'block' | 'block-quoted' | 'block-commented';
function writeConfig(data: Record<string, unknown>, style: Style): string {
  const flow = (value: unknown) =>
    stringify(value, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: true }).trimEnd();
  if (style === 'flow-per-job') {
    const lines: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      if (key !== 'jobs') lines.push(`${key}: ${flow(value)}`);
    }
    if (data.jobs === null || typeof data.jobs !== 'object' || Array.isArray(data.jobs)) {
      if (data.jobs !== undefined) lines.push(`jobs: ${flow(data.jobs)}`);
    } else {
      lines.push('jobs:');
      for (const [name, job] of Object.entries(data.jobs as object))
        lines.push(`  ${flow(name)}: ${flow(job)}`);
    }
    return lines.join('\n') + '\n';
  }
  const text = stringify(data, {
    lineWidth: 0,
    defaultStringType: style === 'block-quoted' ? 'QUOTE_DOUBLE' : 'PLAIN',
    defaultKeyType: style === 'block-quoted' ? 'PLAIN' : null,
  });
  if (style !== 'block-commented') return text;
  // A comment line above every line, at its indentation, and a blank line now and then.
  return text
    .split('\n')
    .map((line, i) => `${line.match(/^ */)![0]}# note ${i}\n${i % 4 === 0 ? '\n' : ''}${line}`)
    .join('\n');
}

const STYLES: Style[] = ['flow-per-job', 'block', 'block-quoted', 'block-commented'];

describe('loadConfig: the quick reading and the full one agree', () => {
  it('on every bad-config fixture and the example config', async () => {
    const fixtures = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'));
    assert.ok(fixtures.length >= 70);
    for (const f of fixtures) {
      const file = path.join(FIXTURES, f);
      assert.equal(await loadValidConfig(file, new ConfigFiles(true), NOW, {}), undefined, f);
      assert.deepStrictEqual(await outcome(file, true), await outcome(file, false), f);
    }
    assert.ok(await assertSameReading(EXAMPLE), 'the example config is read quickly');
  });

  it('on valid configs in every style, which are all read quickly', async () => {
    await fc.assert(
      fc.asyncProperty(
        validSettings,
        validJobs,
        validJobs,
        fc.constantFrom(...STYLES),
        fc.constantFrom(...STYLES),
        fc.boolean(),
        async (settings, mainJobs, includedJobs, style, includedStyle, include) => {
          // Names unique across both files.
          for (const name of Object.keys(mainJobs)) delete includedJobs[name];
          const main = { ...settings, ...(include ? { include: 'jobs.d/*.yaml' } : {}), jobs: mainJobs };
          fs.writeFileSync(MAIN, writeConfig(main, style));
          fs.writeFileSync(INCLUDED, writeConfig({ jobs: includedJobs }, includedStyle));
          const config = await assertSameReading(MAIN);
          assert.ok(config, `not read quickly:\n${fs.readFileSync(MAIN, 'utf8')}`);
          const expected = Object.keys(mainJobs).length + (include ? Object.keys(includedJobs).length : 0);
          assert.equal(config.jobs.length, expected);
        },
      ),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('on near-valid configs and mutated ones', async () => {
    const nearValid = fc.record(
      {
        snapshot: maybe(
          fc.record({ interval: maybe(durationText), keep: maybe(fc.nat(3)) }, { requiredKeys: [] }),
        ),
        defaults: maybe(
          fc.record(
            { timeout: maybe(durationText), retries: maybe(fc.record({ maxBackoff: durationText })) },
            { requiredKeys: [] },
          ),
        ),
        include: maybe(fc.constantFrom('jobs.d/*.yaml', 'missing.yaml')),
        jobs: maybe(
          fc.dictionary(fc.oneof(NAME, fc.constantFrom('bad name', '1', 'true')), maybe(anyJob), {
            maxKeys: 4,
          }),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        nearValid,
        fc.constantFrom(...STYLES),
        fc.array(mutation, { maxLength: 2 }),
        fc.option(validJobs, { nil: undefined }),
        async (data, style, mutations, includedJobs) => {
          fs.writeFileSync(MAIN, mutations.reduce(mutate, writeConfig(data, style)));
          if (includedJobs === undefined) fs.rmSync(INCLUDED, { force: true });
          else fs.writeFileSync(INCLUDED, writeConfig({ jobs: includedJobs }, 'flow-per-job'));
          await assertSameReading(MAIN);
        },
      ),
      { numRuns: RUNS, ...REPORT },
    );
  });
});
