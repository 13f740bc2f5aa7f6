// The two readings of a config file must never differ: readPlain (read-plain.ts,
// js-yaml), the one every valid config takes, and readLocated (yaml-source.ts,
// the `yaml` package), the reference, which places problems. Wherever readPlain
// reads a file, readLocated reads it too, finds no problem in it, and gives the
// same plain data (key order included) and the same job positions (jobAt).
// Where readPlain gives up, the loader falls back to readLocated: allowed.
//
// Compared on generated YAML and JSON in every shape a user writes (block,
// flow, one-line and pretty JSON, anchors and aliases, comments, quoted keys,
// multi-line strings, a BOM, CRLF line ends), tricky scalars as values and as
// keys, mutated text; on whole valid configs loaded through loadConfig in each
// shape (the same Config whichever shape); on every bad-config fixture and the
// example config; at the bounds (alias bombs, deep nesting); and on job names
// that look like integers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify, type ToStringOptions } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.js';
import { MAX_DEPTH, MAX_EXPANDED_VALUES, readPlain } from '../../../src/config/read-plain.js';
import { type Config, ConfigError, type ConfigProblem, formatProblem } from '../../../src/config/types.js';
import { readLocated } from '../../../src/config/yaml-source.js';
import { plainDataArbitraries } from '../../support/plain-data.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
/** Failures show the error; PROPERTY_SEED replays a failed run (its seed is printed). */
const REPORT = {
  includeErrorInReport: true,
  seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
};
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const FIXTURES = fileURLToPath(new URL('../../fixtures/bad-configs', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../config/cronkeeper.yaml', import.meta.url));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-config-readers-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const MAIN = path.join(dir, 'cronkeeper.yaml');
const INCLUDED = path.join(dir, 'jobs.d', 'more.yaml');
fs.mkdirSync(path.dirname(INCLUDED));

// ---- the comparison -------------------------------------------------------------------

/** The keys of every map in `value`, in order (deepStrictEqual does not compare key order). */
function keyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keyOrder);
  if (value === null || typeof value !== 'object') return null;
  return Object.keys(value).map((k) => [k, keyOrder((value as Record<string, unknown>)[k])]);
}

/**
 * Where readPlain reads `text`, readLocated reads it with no problem and gives
 * the same data and job positions. Returns whether readPlain read it.
 */
function assertReadersAgree(text: string, file = MAIN): boolean {
  const plain = readPlain(text, file);
  if (plain === undefined) return false;
  const located = readLocated(file, text);
  const shown = `\n${JSON.stringify(text)}`;
  assert.deepEqual(
    located.problems.map(formatProblem),
    [],
    `readPlain read text the yaml package finds a problem in:${shown}`,
  );
  assert.ok(located.plain, `readLocated gives no data for:${shown}`);
  assert.deepStrictEqual(plain.value, located.plain.value, `a different value for:${shown}`);
  assert.deepStrictEqual(
    keyOrder(plain.value),
    keyOrder(located.plain.value),
    `keys in a different order for:${shown}`,
  );
  assert.deepStrictEqual([...plain.jobAt], [...located.plain.jobAt], `different job positions for:${shown}`);
  return true;
}

/**
 * The disagreements the todo tests below show, each recognized narrowly, so that
 * the properties go on past them (and the todo property, which sets nothing
 * aside, keeps them in view): its label, or undefined for any other text.
 */
function knownDisagreement(text: string): string | undefined {
  const agrees = (changed: string): boolean => {
    try {
      assertReadersAgree(changed);
      return true;
    } catch {
      return false;
    }
  };
  // Each of these goes away once the text is changed where the two readings part (or becomes another one).
  const fixes: ReadonlyArray<[label: string, fix: (text: string) => string]> = [
    ['a lone CR', (t) => t.replace(/\r(?!\n)/g, '\n')],
    [
      'a BOM before a block sequence or an indented map',
      (t) => (/^\ufeff(?:[ \t]|-[ \t\r\n])/.test(t) ? t.slice(1) : t),
    ],
    ['an indented `---`', (t) => t.replace(/^(\ufeff?)[ \t]+(---(?:[ \t]|\r?$))/gm, '$1$2')],
    ['a `...` that ends no document', withoutIdleDocumentEnds],
    [
      'an escaped line break before an empty line in a double-quoted string',
      (t) => t.replace(/\\(\r?\n)(?:[ \t]*\r?\n)+/g, '\\$1'),
    ],
    [
      'lines of spaces in a block scalar with an indentation indicator',
      (t) => (/[|>][-+]?[1-9]/.test(t) ? t.replace(/^ +(\r?)$/gm, '$1') : t),
    ],
  ];
  for (const [label, fix] of fixes) {
    const changed = fix(text);
    if (changed !== text && (agrees(changed) || knownDisagreement(changed) !== undefined)) return label;
  }

  const located = readLocated(MAIN, text);
  const lines = text.split('\n');
  if (
    located.problems.length > 0 &&
    located.problems.every(
      (p) =>
        p.message === 'Comments must be separated from other tokens by white space characters' &&
        p.column === 1 &&
        lines[p.line - 1]?.startsWith('#'),
    )
  ) {
    return 'a comment at column 1 inside a flow collection';
  }
  if (
    located.problems.length > 0 &&
    located.problems.every(
      (p) =>
        p.message === 'Nested mappings are not allowed in compact mappings' &&
        /^\ufeff?[ \t]*(?:-[ \t]+)*:[ \t]+$/.test(lines[p.line - 1]?.slice(0, p.column - 1) ?? ''),
    )
  ) {
    return 'an empty key before a compact nested map';
  }
  return undefined;
}

/** `text` without the `...` lines that end no document: at the start, or right after another `...`. */
function withoutIdleDocumentEnds(text: string): string {
  let ended = true;
  return text
    .split('\n')
    .filter((line) => {
      if (/^\ufeff?\.\.\.(?:[ \t].*)?\r?$/.test(line)) {
        const idle = ended;
        ended = true;
        return !idle;
      }
      if (!/^\ufeff?[ \t]*(?:#.*)?\r?$/.test(line)) ended = false;
      return true;
    })
    .join('\n');
}

/** assertReadersAgree, but a known disagreement (knownDisagreement) is counted in `known` instead. */
function agreeOrKnown(text: string, known: Map<string, number>): boolean {
  try {
    return assertReadersAgree(text);
  } catch (err) {
    const label = knownDisagreement(text);
    if (label === undefined) throw err;
    known.set(label, (known.get(label) ?? 0) + 1);
    return false;
  }
}

// ---- the shapes of a text ---------------------------------------------------------------

/** Line ends and a byte order mark, applied to a finished text (after any mutation). */
interface Ends {
  crlf: boolean;
  bom: boolean;
}
const ends: fc.Arbitrary<Ends> = fc.record({ crlf: fc.boolean(), bom: fc.boolean() });
function withEnds(text: string, { crlf, bom }: Ends): string {
  const lines = crlf ? text.replace(/\r?\n/g, '\r\n') : text;
  return bom ? `\ufeff${lines}` : lines;
}

/** Scalars as written, many of them on the edge of a YAML rule or of yaml-scalars.ts. */
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
  'True',
  'False',
  'TRUE',
  'yes',
  'on',
  '0',
  '-0',
  '+12',
  '5',
  '10',
  '007',
  '0644',
  '0o17',
  '0o8',
  '0x1F',
  '0xG',
  '1_000',
  '1e3',
  '1E-3',
  '1.0',
  '1.5',
  '.5',
  '1.',
  '1.50',
  '.inf',
  '-.Inf',
  '+.INF',
  '.nan',
  '.NaN',
  '12345678901234567890',
  '123456789012345678901234567890',
  '2001-12-14',
  '"double"',
  '"with \\"escapes\\" \\\\ \\/ \\t \\n"',
  '"\\x41"',
  '"\\u00e9"',
  '"\\0"',
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
  '{5: a, 10: b, 1e3: c}',
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
  '&anchor [1, 2]',
  '&anchor {a: 1}',
  '!!str 1',
  '!!str',
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
  'x\ty',
  'x # comment',
  '',
];
/** Keys as written: the tricky scalars as keys too. (Anchored and tagged keys: see the todo tests.) */
const KEY_TEXTS = [
  'a',
  'jobs',
  'b',
  'job-1',
  'job.x_y',
  '1',
  '5',
  '10',
  '007',
  '0644',
  '1e3',
  '1.0',
  '1.5',
  '-1',
  '0x10',
  '.inf',
  '12345678901234567890',
  '~',
  'null',
  'true',
  'True',
  '1a',
  'x y',
  '""',
  '"quoted key"',
  "'single'",
  '"jobs"',
  "'5'",
  '"a: b"',
  '__proto__',
  '<<',
  '-a',
  '.a',
  'a:b',
  'é',
  '? x',
  '? [a, b]',
];
/** The block scalar headers, each followed by a few indented lines. */
const BLOCK_HEADERS = ['|', '|-', '|+', '>', '>-', '>+', '|2', '>1-'];

/** A document of line templates: keys, values, block scalars, items, comments, blanks, at random indentation. */
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
      fc
        .tuple(
          fc.nat({ max: 4 }),
          fc.constantFrom(...KEY_TEXTS),
          fc.constantFrom(...BLOCK_HEADERS),
          fc.array(fc.constantFrom('line', '  more', '', 'x: y', '# not a comment'), {
            minLength: 1,
            maxLength: 3,
          }),
        )
        .map(
          ([n, k, header, lines]) =>
            `${' '.repeat(n)}${k}: ${header}\n` +
            lines.map((l) => (l === '' ? '' : `${' '.repeat(n + 2)}${l}`)).join('\n'),
        ),
      fc
        .tuple(fc.nat({ max: 4 }), fc.constantFrom(...KEY_TEXTS))
        .map(([n, k]) => `${' '.repeat(n)}${k}: "one\n${' '.repeat(n + 2)}two"`),
      fc
        .tuple(fc.nat({ max: 4 }), fc.constantFrom(...KEY_TEXTS))
        .map(([n, k]) => `${' '.repeat(n)}${k}: plain\n${' '.repeat(n + 2)}continued`),
      fc.nat({ max: 6 }).map((n) => `${' '.repeat(n)}# comment`),
      fc.constantFrom('', '   ', '---', '...', '--- # c', '%YAML 1.2'),
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
          .array(fc.tuple(fc.constantFrom(...KEY_TEXTS), fc.constantFrom(...SCALAR_TEXTS.slice(0, 70))), {
            maxLength: 4,
          })
          .map((entries) => '\n' + entries.map(([k, v]) => `  ${k}: ${v}`).join('\n')),
        fc
          .array(fc.constantFrom(...SCALAR_TEXTS.slice(0, 70)), { minLength: 1, maxLength: 3 })
          .map((items) => '\n' + items.map((v) => `- ${v}`).join('\n')),
      ),
    ),
    { maxLength: 6 },
  )
  .map((entries) => entries.map(([k, v]) => `${k}:${v}`).join('\n') + '\n');

/** Keys of generated data, as strings (the writer quotes them as it must). */
const KEY_VALUES = [
  'a',
  'b',
  'jobs',
  '5',
  '10',
  '007',
  '0644',
  '1e3',
  '1.0',
  '-1',
  '~',
  'null',
  'true',
  'True',
  'quoted key',
  'single',
  '',
  ' ',
  '__proto__',
  '<<',
  'a: b',
  '#x',
  '- x',
  '"',
  "'",
  'é',
  '😀',
];
/** Characters of generated strings: line breaks, tabs, quotes, YAML indicators, Unicode. */
const odd = fc.string({
  maxLength: 8,
  unit: fc.constantFrom(
    'a',
    'b',
    ' ',
    '\n',
    '\t',
    '"',
    "'",
    '\\',
    ':',
    '#',
    '-',
    '&',
    '*',
    'é',
    '😀',
    '\u00a0',
  ),
});

const { plainData, sharedObjects } = plainDataArbitraries({
  scalars: SCALAR_TEXTS,
  keys: KEY_VALUES,
  odd,
  stringLength: 8,
  keyLength: 5,
  width: 3,
});

/** A config-shaped document: top-level keys, `jobs` a map of its own (not an alias), tricky job names. */
const documentData = sharedObjects
  .chain((shared) =>
    fc.tuple(
      fc.dictionary(fc.constantFrom('a', 'b', 'c', 'snapshot'), plainData(shared), { maxKeys: 3 }),
      fc.option(
        fc.dictionary(
          fc.oneof(fc.constantFrom(...KEY_VALUES), fc.string({ maxLength: 5 })),
          plainData(shared),
          {
            maxKeys: 4,
          },
        ),
        { nil: undefined },
      ),
      fc.boolean(),
    ),
  )
  .map(([rest, jobs, jobsFirst]) => {
    if (jobs === undefined) return rest;
    return jobsFirst ? { jobs, ...rest } : { ...rest, jobs };
  });

/** Options of the yaml package's writer: block, flow, quoted keys and strings, block and folded strings. */
const writerOptions: fc.Arbitrary<ToStringOptions & { aliasDuplicateObjects: boolean }> = fc.record({
  aliasDuplicateObjects: fc.boolean(),
  collectionStyle: fc.constantFrom('any', 'block', 'flow'),
  defaultStringType: fc.constantFrom(
    'PLAIN',
    'QUOTE_DOUBLE',
    'QUOTE_SINGLE',
    'BLOCK_LITERAL',
    'BLOCK_FOLDED',
  ),
  defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  blockQuote: fc.constantFrom<boolean | 'literal' | 'folded'>(true, false, 'literal', 'folded'),
  flowCollectionPadding: fc.boolean(),
  indent: fc.constantFrom(1, 2, 4),
  indentSeq: fc.boolean(),
  lineWidth: fc.constantFrom(0, 20, 40, 80),
  minContentWidth: fc.constantFrom(0, 20),
  doubleQuotedAsJSON: fc.boolean(),
});

/** Data as YAML (anchors for shared objects, when asked) or as JSON, one line or pretty. */
const writtenDocument = fc.oneof(
  fc.tuple(documentData, writerOptions).map(([data, options]) => stringify(data, options)),
  fc
    .tuple(documentData, fc.constantFrom(undefined, 2, 4, '\t'))
    .map(([data, space]) => JSON.stringify(data, null, space)),
);

/** Comment lines and end-of-line comments added to a text (values may change: both readers read the same text). */
const commented = (texts: fc.Arbitrary<string>) =>
  fc.tuple(texts, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 })).map(([text, marks]) =>
    text
      .split('\n')
      .map((line, i) => {
        const mark = marks[i % marks.length]!;
        const indent = /^ */.exec(line)![0];
        return mark ? `${indent}# note ${i}\n${line}` : line === '' ? line : `${line} # end ${i}`;
      })
      .join('\n'),
  );

// ---- text mutations (as in config-property.test.ts) ------------------------------------

type Mutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; length: number }
  | { op: 'swap-lines'; a: number; b: number }
  | { op: 'indent'; at: number; by: number };

/** What an edit inserts; the last todo property inserts '&', '!' and a lone '\r' too. */
const INSERTED = [
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
  '|',
  '>',
  '?',
  '\t',
  '%',
  '~',
  'x',
  '0',
];

const mutationOf = (inserted: readonly string[]): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...inserted) }),
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

/** A text given its line ends and maybe a BOM. */
const ended = (texts: fc.Arbitrary<string>) => fc.tuple(texts, ends).map(([text, e]) => withEnds(text, e));

/** A text after one to three edits, then given its line ends and maybe a BOM. */
const mutated = (texts: fc.Arbitrary<string>, inserted: readonly string[] = INSERTED) =>
  fc
    .tuple(texts, fc.array(mutationOf(inserted), { minLength: 1, maxLength: 3 }), ends)
    .map(([text, mutations, e]) => withEnds(mutations.reduce(mutate, text), e));

const TEXTS = [
  ['line templates', lineSoup, 0.15],
  ['config-shaped documents', structured, 0.25],
  ['documents the yaml package and JSON.stringify write', writtenDocument, 0.8],
  ['commented documents', commented(fc.oneof(writtenDocument, structured)), 0.3],
] as const;

/** The property: readers agree on `texts`, a share `minRead` of them read by readPlain, few set aside. */
function checkAgreement(
  t: { diagnostic(message: string): void },
  texts: fc.Arbitrary<string>,
  minRead: number,
) {
  let read = 0;
  let total = 0;
  const known = new Map<string, number>();
  fc.assert(
    fc.property(texts, (text) => {
      total++;
      if (agreeOrKnown(text, known)) read++;
    }),
    { numRuns: RUNS * 3, ...REPORT },
  );
  t.diagnostic(`${read} of ${total} read by readPlain; known disagreements: ${JSON.stringify([...known])}`);
  // Not vacuous: a good share of them are read by readPlain (the rest take the fallback)...
  assert.ok(read >= total * minRead, `only ${read} of ${total} read by readPlain`);
  // ... and few are set aside as known disagreements.
  const setAside = [...known.values()].reduce((a, b) => a + b, 0);
  assert.ok(setAside <= total * 0.25, `${setAside} of ${total} set aside`);
}

describe('readPlain and readLocated agree wherever readPlain reads', () => {
  for (const [name, texts, minRead] of TEXTS) {
    it(`on ${name}, LF or CRLF, with or without a BOM`, (t) => checkAgreement(t, ended(texts), minRead));
    it(
      `on ${name}, mutated`,
      {
        todo: 'edits make text on which js-yaml and the yaml package part (a line of only a tab, &x[1], ...)',
      },
      (t) => checkAgreement(t, mutated(texts), 0),
    );
  }

  it('on tricky scalars as values and as keys, in block, flow and quoted form', (t) => {
    let read = 0;
    const known = new Map<string, number>();
    for (const key of KEY_TEXTS) {
      for (const value of SCALAR_TEXTS) {
        const texts = [
          `jobs:\n  ${key}: ${value}\n  other: 1\n`,
          `${key}: ${value}\n`,
          `jobs: {${key}: ${value}, other: 1}\n`,
          `- {${key}: [${value}]}\n`,
          `jobs:\n  ${key}:\n    - ${value}\n`,
          `{"jobs": {${JSON.stringify(key)}: ${JSON.stringify(value)}}}`,
        ];
        for (const text of texts)
          for (const e of [
            { crlf: false, bom: false },
            { crlf: true, bom: true },
          ])
            if (agreeOrKnown(withEnds(text, e), known)) read++;
      }
    }
    t.diagnostic(`${read} read by readPlain; known disagreements: ${JSON.stringify([...known])}`);
    assert.ok(read > KEY_TEXTS.length * SCALAR_TEXTS.length * 3, `only ${read} read`);
  });

  it('reads the shapes listed in read-plain.ts, with the right values', () => {
    const cases: ReadonlyArray<[text: string, value: unknown]> = [
      [
        'a: 0644\nb: True\nc: 1.0\nd: 1e3\ne: 12345678901234567890\n',
        { a: '0644', b: 'True', c: '1.0', d: '1e3', e: '12345678901234567890' },
      ],
      ['a: 5\nb: 1.5\nc: true\nd: ~\ne: -7\n', { a: 5, b: 1.5, c: true, d: null, e: -7 }],
      [
        '1e3: a\n0644: b\n~: c\ntrue: d\n"quoted key": e\n\'single\': f\n',
        { '1e3': 'a', '0644': 'b', null: 'c', true: 'd', 'quoted key': 'e', single: 'f' },
      ],
      ['{"jobs": {"a": {"every": "1s"}}}', { jobs: { a: { every: '1s' } } }],
      ['{\n  "jobs": {\n    "a": {\n      "every": "1s"\n    }\n  }\n}\n', { jobs: { a: { every: '1s' } } }],
      ['a: &x [1, 2]\nb: *x\n', { a: [1, 2], b: [1, 2] }],
      [
        'a: |\n  one\n  two\nb: >-\n  folded\n  text\nc: "x\n  y"\nd: plain\n  text\n',
        { a: 'one\ntwo\n', b: 'folded text', c: 'x y', d: 'plain text' },
      ],
      ['\ufeffa: 1\n', { a: 1 }],
      ['a: |\r\n  one\r\n  two\r\nb: 1 # c\r\n', { a: 'one\ntwo\n', b: 1 }],
      ['', null],
      ['# only a comment\n', null],
    ];
    for (const [text, value] of cases) {
      assert.ok(assertReadersAgree(text), `readPlain does not read ${JSON.stringify(text)}`);
      assert.deepStrictEqual(readPlain(text, MAIN)?.value, value, JSON.stringify(text));
    }
  });
});

describe('job positions', () => {
  it('a job key with an anchor or a tag is placed at its text, as the yaml package places it', () => {
    for (const text of ['jobs:\n  &a x: 1\n', 'jobs:\n  !!str 5: 1\n', "jobs: { &b 'y': 1 }\n"]) {
      assert.ok(assertReadersAgree(text), `readPlain does not read ${JSON.stringify(text)}`);
    }
  });
});

// ---- known disagreements (todo: each fails until read-plain.ts or yaml-source.ts is fixed) ----

describe('known disagreements between readPlain and readLocated', () => {
  // Each of these is read by readPlain; each is one minimal case of what the properties below find.
  const known: ReadonlyArray<[title: string, text: string]> = [
    // readLocated gives the positions of the anchored map's keys; readPlain gives none.
    ['`jobs:` an alias of a map', 'x: &j {a: 1}\njobs: *j\n'],
    // readLocated names the job '*x' in jobAt (keyText of the alias), its data 'k'; readPlain gives no position.
    ['a job key that is an alias', 'a: &x k\njobs:\n  *x : 1\n'],
    // A lone CR ends a line for js-yaml (YAML 1.2), not for the yaml package: a syntax error there...
    ['a lone CR between two keys', 'a: 1\rb: 2\n'],
    // ... or the rest of a comment line (readLocated: the document is empty, readPlain: `jobs: {}`) ...
    ['a lone CR ending a comment', '# c\rjobs: {}\n'],
    // ... or part of a block scalar's text.
    ['a lone CR in a block scalar', 'a: |\n  x\r  y\n'],
    // An explicit tag that does not fit the scalar: js-yaml makes it the tag's type, `yaml` warns and keeps the text.
    ['`!!float 1`', 'a: !!float 1\n'],
    ['`!!int 1.5`', 'a: !!int 1.5\n'],
    ['`!!map ""`', 'a: !!map ""\n'],
    // After a BOM, the yaml package takes the first line to be indented by one more column.
    ['a BOM before a block sequence', '\ufeff- a\n'],
    ['a BOM before an indented map', '\ufeff  a: 1\n  b: 2\n'],
    // A comment at column 1 inside a flow collection, after a value: an error for the yaml package only.
    ['a comment at column 1 inside a flow map', '{\n"a": 1\n# c\n}\n'],
    // A `...` that ends no document (before any content, or right after another `...`) ends an empty
    // one for the yaml package: then there are two documents. js-yaml skips it.
    ['a `...` before the document', '...\na: 1\n'],
    ['a second `...` after the document', 'a: 1\n...\n...\n'],
    // js-yaml takes an indented `---` for a document start marker; it is a plain scalar (YAML 1.2: column 1 only).
    ['an indented `---`', ' ---\n'],
    // An empty job key (a job named 'null'): readPlain gives it no position (js-yaml's event has no offset).
    ['an empty job key in a flow map', 'jobs: {: 1}\n'],
    ['an empty job key in a block map', 'jobs:\n  : 1\n'],
    // js-yaml keeps the spaces past the indentation the indicator sets; the yaml package drops the lines.
    ['lines of spaces in a block scalar with an indentation indicator', 'a: |1\n\n   \n'],
    // An escaped line break, then an empty line: js-yaml reads 'xy', the yaml package 'x y' (a text the
    // yaml package's writer wrote at a small lineWidth had one).
    ['an escaped line break before an empty line in a double-quoted string', 'a: "x\\\n\n  y"\n'],
    // An empty key whose value is a map on the same line: an error for the yaml package only.
    ['an empty key before a compact nested map', ': a: 1\n'],
    // Tabs the yaml package refuses ('Tabs are not allowed as indentation', 'Block scalar lines must not
    // be less indented'), js-yaml takes for blank space: a line of only a tab after a key with no value
    // (a section whose lines were all commented out), before a top-level scalar, after a block scalar.
    ['a line of only a tab after a key with no value', 'a:\n\t\nb: 1\n'],
    ['a tab before a top-level scalar', '\ta\n'],
    ['a line of only a tab after a block scalar', 'a: |-\n  x\n\t\n'],
    // js-yaml reads an anchor, then the flow collection; the yaml package wants white space between them.
    ['an anchor right before a flow collection', 'a: &x[1]\n'],
    // js-yaml reads `c: x` (`b: 2`) as a key of the root map, after the sequence; an error for the yaml package.
    ['text right after a closing quote in a sequence item', 'b:\n- "a"c: x\n'],
    ['text right after a flow collection in a sequence item', 'a:\n- [1]b: 2\n'],
    // Block scalars: js-yaml reads '\n\n' and '  x\n', the yaml package '\n' and ' x\n'.
    ['a keep-chomping block scalar ending in a line of spaces', 'a: |+\n\n '],
    ['an indentation indicator on a top-level block scalar', '|1\n  x\n'],
  ];
  for (const [title, text] of known) {
    it(title, { todo: `readPlain reads ${JSON.stringify(text)} unlike readLocated` }, () => {
      assertReadersAgree(text);
    });
  }

  const PROP_KEY_TEXTS = ['&a x', '&b 5', '!!str 10', '!!str y', '! z', '&c !!str w', '*x'];
  const withProps = fc
    .array(
      fc.oneof(
        fc
          .tuple(fc.constantFrom(...PROP_KEY_TEXTS, ...KEY_TEXTS), fc.constantFrom(...SCALAR_TEXTS))
          .map(([k, v]) => `  ${k}: ${v}`),
        fc.constantFrom('jobs:', 'a: &x k', '# c'),
      ),
      { maxLength: 8 },
    )
    .map((lines) => lines.join('\n') + '\n');
  it(
    'the properties above with nothing set aside, keys with anchors and tags, edits that insert &, ! and a lone CR',
    { todo: 'finds the disagreements above' },
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            ended(withProps),
            mutated(withProps),
            ...TEXTS.map(([, texts]) => ended(texts)),
            ...TEXTS.map(([, texts]) => mutated(texts, [...INSERTED, '&', '!', '\r'])),
          ),
          (text) => {
            assertReadersAgree(text);
          },
        ),
        { numRuns: RUNS * 3, ...REPORT },
      );
    },
  );
});

// ---- whole valid configs, in every shape ---------------------------------------------------

const NAME = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/),
  // Names a YAML writer must quote, or that read as numbers if it did not.
  fc.constantFrom('5', '10', '007', '0644', '1e3', '1.5', '1.0', 'true', 'null', '12345678901234567890'),
);
// Not only spaces: the yaml package writes ' ' as a block scalar that reads back as '' (its bug, not the readers').
const WORD = fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9 ._:/=+-]{0,9}[A-Za-z0-9._:/=+-]$/));
/** Text of several lines: written as a block scalar in YAML. */
const LINES = fc.constantFrom(
  'line one\nline two',
  'ends with a newline\n',
  '  indented\nfirst',
  'a\n\nb\n\n',
  'x: y\n# z',
);
const ARG = fc.oneof({ arbitrary: WORD, weight: 4 }, { arbitrary: LINES, weight: 1 });
const hook = fc.oneof(
  fc.record({ command: fc.tuple(fc.constant('/bin/notify'), ARG).map((a) => [...a]) }),
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
  keepChildren: fc.boolean(),
};
const action = fc.oneof(
  fc.record(
    {
      command: fc
        .tuple(fc.constantFrom('/bin/true', 'backup.sh', '/usr/bin/env'), fc.array(ARG, { maxLength: 3 }))
        .map(([program, args]) => [program, ...args]),
      cwd: fc.constantFrom('/tmp', 'work/dir'),
      env: fc.dictionary(fc.constantFrom('A', 'PATH_X', 'LEVEL'), fc.oneof(ARG, fc.nat(9), fc.boolean()), {
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

/**
 * Jobs by name. Some share objects with an earlier job (its retries, env, http,
 * or the whole job): the yaml package writes those as anchors and aliases.
 */
const validJobs = fc
  .uniqueArray(NAME, { maxLength: 6 })
  .chain((names) =>
    fc.tuple(
      fc.constant(names),
      fc.array(validJob, { minLength: names.length, maxLength: names.length }),
      fc.array(fc.constantFrom('none', 'job', 'parts'), { minLength: names.length, maxLength: names.length }),
    ),
  )
  .map(([names, jobs, sharing]) => {
    const out: Record<string, unknown> = {};
    const made: Record<string, unknown>[] = [];
    names.forEach((name, i) => {
      let job: Record<string, unknown> = jobs[i]!;
      const earlier = made[i - 1];
      // A whole job twice, but not a former name twice (two jobs cannot claim one).
      if (earlier && sharing[i] === 'job' && earlier.formerNames === undefined) job = earlier;
      else if (earlier && sharing[i] !== 'none') {
        job = { ...job };
        for (const part of ['retries', 'onFailure', 'onSuccess'] as const)
          if (earlier[part] !== undefined) job[part] = earlier[part];
        if ('command' in job && earlier.env !== undefined) job.env = earlier.env;
        if ('http' in job && earlier.http !== undefined) job.http = earlier.http;
      } else if (i % 3 === 0) {
        // A former name nobody has: the job's own name, prefixed.
        job = { ...job, formerNames: [`was.${name}`] };
      }
      made.push(job);
      out[name] = job;
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

/** The shapes a user (or a generator) writes a config in. */
const SHAPES = [
  'block',
  'block-quoted',
  'block-commented',
  'block-folded',
  'flow',
  'flow-per-job',
  'json-line',
  'json-pretty',
  'anchors',
] as const;
type Shape = (typeof SHAPES)[number];

/** Comment lines, blank lines and end-of-line comments, outside block scalars (where they would be text). */
function addComments(text: string): string {
  const out: string[] = [];
  let blockIndent = -1;
  text.split('\n').forEach((line, i) => {
    const indent = /^ */.exec(line)![0].length;
    if (blockIndent >= 0 && (line.trim() === '' || indent > blockIndent)) {
      out.push(line);
      return;
    }
    blockIndent = /(?:^|[:-] )[|>][-+0-9]*$/.test(line) ? indent : -1;
    if (line === '') {
      out.push(line);
      return;
    }
    out.push(`${' '.repeat(indent)}# note ${i}`);
    if (i % 4 === 0) out.push('');
    out.push(blockIndent >= 0 ? line : `${line} # end ${i}`);
  });
  return out.join('\n');
}

function writeShape(data: Record<string, unknown>, shape: Shape): string {
  // On one line, unless a string of several lines is written over several: those lines indented
  // past the key, so they continue the flow collection.
  const flow = (value: unknown) =>
    stringify(value, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: true })
      .trimEnd()
      .replace(/\n/g, '\n    ');
  const block = { lineWidth: 0, aliasDuplicateObjects: false };
  switch (shape) {
    case 'block':
      return stringify(data, block);
    case 'block-quoted':
      return stringify(data, { ...block, defaultKeyType: 'QUOTE_DOUBLE', defaultStringType: 'QUOTE_SINGLE' });
    case 'block-commented':
      return addComments(stringify(data, block));
    case 'block-folded':
      // Long strings folded over several lines, as block scalars or as multi-line plain and quoted ones.
      return stringify(data, {
        aliasDuplicateObjects: false,
        lineWidth: 24,
        minContentWidth: 0,
        defaultStringType: 'BLOCK_FOLDED',
        defaultKeyType: 'PLAIN',
      });
    case 'flow':
      return stringify(data, { collectionStyle: 'flow', aliasDuplicateObjects: false, lineWidth: 60 });
    case 'flow-per-job': {
      const lines: string[] = [];
      for (const [key, value] of Object.entries(data))
        if (key !== 'jobs') lines.push(`${key}: ${flow(value)}`);
      lines.push('jobs:');
      for (const [name, job] of Object.entries(data.jobs as object))
        lines.push(`  ${flow(name)}: ${flow(job)}`);
      return lines.join('\n') + '\n';
    }
    case 'json-line':
      return JSON.stringify(data);
    case 'json-pretty':
      return JSON.stringify(data, null, 2) + '\n';
    case 'anchors':
      // Objects used more than once are written once with an anchor, then as aliases.
      return stringify(data, { lineWidth: 0, aliasDuplicateObjects: true });
  }
}

type Outcome = { config: Config } | { problems: string[] };
async function outcome(file: string): Promise<Outcome> {
  try {
    return { config: await loadConfig(file, { insecure: true, nowMs: NOW, env: {} }) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { problems: err.problems.map(formatProblem) };
  }
}

/** A config without its jobs' positions, which differ by shape. */
const withoutSources = (config: Config) => ({
  ...config,
  jobs: config.jobs.map((job) => ({ ...job, source: undefined })),
});

describe('loadConfig: the same Config whichever shape the same data is written in', () => {
  it('on generated valid configs (jobs from the main file and an included one)', async () => {
    let aliased = 0;
    await fc.assert(
      fc.asyncProperty(
        validSettings,
        validJobs,
        validJobs,
        fc.boolean(),
        fc.array(ends, { minLength: SHAPES.length, maxLength: SHAPES.length }),
        fc.nat(SHAPES.length - 1),
        async (settings, mainJobs, includedJobs, include, shapeEnds, rotate) => {
          // Names unique across both files.
          for (const name of Object.keys(mainJobs)) delete includedJobs[name];
          const main = { ...settings, ...(include ? { include: 'jobs.d/*.yaml' } : {}), jobs: mainJobs };
          let first: ReturnType<typeof withoutSources> | undefined;
          for (const [i, shape] of SHAPES.entries()) {
            const includedShape = SHAPES[(i + rotate) % SHAPES.length]!;
            const texts = new Map([
              [MAIN, withEnds(writeShape(main, shape), shapeEnds[i]!)],
              [INCLUDED, withEnds(writeShape({ jobs: includedJobs }, includedShape), shapeEnds[i]!)],
            ]);
            for (const [file, text] of texts) fs.writeFileSync(file, text);
            if (shape === 'anchors' && /\*a\d/.test(texts.get(MAIN)!)) aliased++;
            const got = await outcome(MAIN);
            const shown = [...texts].map(([f, t]) => `${f}:\n${t}`).join('\n');
            assert.ok('config' in got, `${shape}: ${JSON.stringify(got)}\n${shown}`);
            const { config } = got;
            const expected = Object.keys(mainJobs).length + (include ? Object.keys(includedJobs).length : 0);
            assert.equal(config.jobs.length, expected, shape);

            // Each file is read by readPlain (a valid config takes no fallback), as readLocated reads it.
            for (const [file, text] of texts) {
              assert.ok(
                assertReadersAgree(text, file),
                `${shape}: readPlain does not read ${file}:\n${text}`,
              );
            }

            // Each job at its key, as readLocated places it.
            const jobAt = new Map(
              [...texts].map(([file, text]) => [file, readLocated(file, text).plain?.jobAt]),
            );
            for (const job of config.jobs) {
              const file = Object.hasOwn(mainJobs, job.name) ? MAIN : INCLUDED;
              assert.deepStrictEqual(
                job.source,
                jobAt.get(file)?.get(job.name),
                `${shape}: ${job.name}\n${shown}`,
              );
            }

            const same = withoutSources(config);
            if (first === undefined) first = same;
            else assert.deepStrictEqual(same, first, `${shape} differs from ${SHAPES[0]}:\n${shown}`);
          }
        },
      ),
      { numRuns: RUNS, ...REPORT },
    );
    // Not vacuous: a good share of the configs written with anchors have aliases.
    assert.ok(aliased >= RUNS / 10, `only ${aliased} of ${RUNS} with an alias`);
  });
});

// ---- fixtures and the example --------------------------------------------------------------

function yamlFilesUnder(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(root, f));
}

describe('the bad-config fixtures and the example config', () => {
  it('where readPlain reads one, it reads what readLocated reads', () => {
    const files = yamlFilesUnder(FIXTURES);
    assert.ok(files.length >= 75, `${files.length} fixtures`);
    const fallback: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      if (!assertReadersAgree(text, file)) fallback.push(path.relative(FIXTURES, file));
    }
    // readPlain gives up only on the fixtures whose YAML itself is wrong: syntax, duplicate keys, aliases;
    // and on a control character in a key, which js-yaml refuses (YAML allows only printable
    // characters) and the yaml package reads: the loader then reads it with the yaml package.
    assert.deepStrictEqual(fallback, [
      'control-character-in-key.yaml',
      'duplicate-job-key.yaml',
      'duplicate-job-name.yaml',
      'duplicate-top-level-key.yaml',
      'included/broken.yaml',
      'yaml-flow-continuation-indent.yaml',
      'yaml-indentation.yaml',
      'yaml-lines-after-error.yaml',
      'yaml-tab-indentation.yaml',
      'yaml-unclosed-flow.yaml',
      'yaml-unclosed-quote.yaml',
      'yaml-unclosed-single-quote.yaml',
      'yaml-unknown-alias.yaml',
    ]);
    for (const name of fallback.filter((f) => f !== 'control-character-in-key.yaml')) {
      const file = path.join(FIXTURES, name);
      assert.notDeepEqual(readLocated(file, fs.readFileSync(file, 'utf8')).problems, [], name);
    }
  });

  it('readPlain reads the example config and its included files as readLocated does', () => {
    const example = path.dirname(EXAMPLE);
    for (const file of [EXAMPLE, ...yamlFilesUnder(path.join(example, 'jobs.d'))]) {
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(assertReadersAgree(text, file), file);
      assert.ok(assertReadersAgree(withEnds(text, { crlf: true, bom: true }), file), `${file}, CRLF and BOM`);
    }
    const jobAt = readPlain(fs.readFileSync(EXAMPLE, 'utf8'), EXAMPLE)!.jobAt;
    assert.ok(jobAt.size > 0);
  });
});

// ---- the bounds ------------------------------------------------------------------------------

/** loadConfig's problems for `text` as the main file: it must reject it. */
async function problemsOf(text: string): Promise<ConfigProblem[]> {
  fs.writeFileSync(MAIN, text);
  try {
    await loadConfig(MAIN, { insecure: true, nowMs: NOW, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail(`loaded:\n${text.slice(0, 500)}`);
}

/** The text at a problem's line and column. */
function textAt(text: string, p: ConfigProblem): string {
  const line = text.split('\n')[p.line - 1];
  assert.ok(line !== undefined, `line ${p.line} is past the end`);
  return line.slice(p.column - 1);
}

/** `levels` anchored lists, each of `fanout` aliases of the one before. */
function aliasBomb(levels: number, fanout: number, style: 'flow' | 'block' | 'map'): string {
  const lines = [`a0: &a0 [${Array(fanout).fill('lol').join(', ')}]`];
  for (let i = 1; i < levels; i++) {
    const aliases = Array.from({ length: fanout }, (_, j) =>
      style === 'map' ? `k${j}: *a${i - 1}` : `*a${i - 1}`,
    );
    if (style === 'flow') lines.push(`a${i}: &a${i} [${aliases.join(', ')}]`);
    else if (style === 'map') lines.push(`a${i}: &a${i} {${aliases.join(', ')}}`);
    else lines.push(`a${i}: &a${i}`, ...aliases.map((a) => `  - ${a}`));
  }
  return `jobs: {}\n${lines.join('\n')}\n`;
}

describe('the bounds: MAX_EXPANDED_VALUES and MAX_DEPTH', () => {
  for (const style of ['flow', 'block', 'map'] as const) {
    it(`an alias bomb (10 levels of 10 aliases, ${style}): readPlain gives up, loadConfig says where`, async () => {
      const text = aliasBomb(10, 10, style);
      assert.equal(readPlain(text, MAIN), undefined);
      const problems = await problemsOf(text);
      const bomb = problems.filter((p) => p.message.includes('alias bomb'));
      assert.equal(bomb.length, 1, JSON.stringify(problems));
      assert.equal(bomb[0]!.file, MAIN);
      assert.match(textAt(text, bomb[0]!), /^\*a\d/);
    });
  }

  it('an alias bomb in a job, in a CRLF file with a BOM', async () => {
    const bomb = aliasBomb(10, 10, 'flow').replace('jobs: {}\n', '').replace(/^/gm, '      ');
    const text = withEnds(`jobs:\n  x:\n    every: 1m\n    command: [/bin/true]\n    env:\n${bomb}`, {
      crlf: true,
      bom: true,
    });
    assert.equal(readPlain(text, MAIN), undefined);
    const problems = await problemsOf(text);
    const found = problems.filter((p) => p.message.includes('alias bomb'));
    assert.equal(found.length, 1, JSON.stringify(problems));
    assert.match(textAt(text, found[0]!), /^\*a\d/);
  });

  it(`at MAX_EXPANDED_VALUES (${MAX_EXPANDED_VALUES}): read by both alike; one past it, readPlain gives up`, () => {
    // Root map 1, key a 1, list a 1 + 999, key b 1, list b 1 + K + M × 1000 (each alias a copy of list a).
    const within = (filler: number, aliases: number) =>
      `a: &a [${Array(999).fill(0).join(',')}]\nb: [${[...Array<string>(filler).fill('1'), ...Array<string>(aliases).fill('*a')].join(',')}]\n`;
    const exact = MAX_EXPANDED_VALUES - 1004 - 1000 * 1998;
    // readPlain counts an alias as every value it stands for, readLocated as one fewer (`total +=
    // target.size - 1`): past the bound by at most one value per alias, a file takes the fallback and
    // is read (here up to exact + 1998). Allowed: readPlain gives up where readLocated reads.
    assert.ok(assertReadersAgree(within(exact, 1998)), 'at the bound');
    assert.equal(readPlain(within(exact + 1, 1998), MAIN), undefined, 'one past the bound');
    const far = within(0, 2100);
    assert.equal(readPlain(far, MAIN), undefined);
    assert.match(
      readLocated(MAIN, far)
        .problems.map((p) => p.message)
        .join('\n'),
      /alias bomb/,
    );
  });

  const nested = (depth: number, style: 'flow-list' | 'flow-map' | 'block-map' | 'block-list' | 'json') => {
    switch (style) {
      case 'flow-list':
        return `a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
      case 'flow-map':
        return `a: ${'{k: '.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}\n`;
      case 'json':
        return `{"a": ${'{"k": '.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}}`;
      case 'block-map':
        return `a:\n${Array.from({ length: depth - 1 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} {}\n`;
      case 'block-list':
        return `a:\n${Array.from({ length: depth - 1 }, (_, i) => `${' '.repeat(i + 1)}-`).join('\n')} []\n`;
    }
  };
  for (const style of ['flow-list', 'flow-map', 'block-map', 'block-list', 'json'] as const) {
    it(`nesting (${style}): read by both up to MAX_DEPTH (${MAX_DEPTH}), past it by neither, said where`, async () => {
      for (let depth = MAX_DEPTH - 2; depth <= MAX_DEPTH + 3; depth++) {
        const text = nested(depth, style);
        const located = readLocated(MAIN, text);
        if (depth <= MAX_DEPTH) {
          assert.deepEqual(located.problems, [], `depth ${depth}`);
          assert.ok(assertReadersAgree(text), `depth ${depth}: readPlain does not read it`);
        } else {
          assert.equal(readPlain(text, MAIN), undefined, `depth ${depth}`);
          assert.match(
            located.problems.map((p) => p.message).join('\n'),
            /nested more than/,
            `depth ${depth}`,
          );
        }
      }
      const deep = nested(MAX_DEPTH + 10, style);
      const problems = await problemsOf(deep);
      assert.ok(
        problems.some((p) => p.message.includes('nested more than') && p.file === MAIN && p.line >= 1),
        JSON.stringify(problems),
      );
    });
  }

  it('nesting past MAX_DEPTH only once aliases are expanded', async () => {
    const half = MAX_DEPTH / 2 + 2;
    const text = `a: &a ${'['.repeat(half)}${']'.repeat(half)}\nb: &b ${'['.repeat(half)}*a${']'.repeat(half)}\njobs: {}\n`;
    assert.equal(readPlain(text, MAIN), undefined);
    const problems = await problemsOf(text);
    const deep = problems.filter((p) => p.message.includes('nested more than'));
    assert.equal(deep.length, 1, JSON.stringify(problems));
    assert.match(textAt(text, deep[0]!), /^\*a/);
  });

  it('nesting far past MAX_DEPTH (10,000 levels) is refused, not a stack overflow', async () => {
    for (const text of [
      `a: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
      `a: ${'{k: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`,
    ]) {
      assert.equal(readPlain(text, MAIN), undefined);
      const problems = await problemsOf(text);
      assert.ok(
        problems.some((p) => p.message.includes('nested more than')),
        JSON.stringify(problems.slice(0, 3)),
      );
    }
  });
});

// ---- job names that look like integers ---------------------------------------------------------

describe('job names that look like integers', () => {
  // A JS object lists integer keys first, in increasing order: the positions must still be each job's own.
  const jobs: Record<string, unknown> = {};
  for (const name of ['10', 'b', '5', '007', '1e3', '0', '2'])
    jobs[name] = { every: '1m', command: ['/bin/true'] };
  const texts: ReadonlyArray<[shape: string, text: string]> = [
    [
      'block',
      'jobs:\n  10: {every: 1m, command: [/bin/true]}\n  b:\n    every: 1m\n    command: [/bin/true]\n  5: {every: 1m, command: [/bin/true]}\n  007: {every: 1m, command: [/bin/true]}\n  1e3: {every: 1m, command: [/bin/true]}\n  0: {every: 1m, command: [/bin/true]}\n  "2": {every: 1m, command: [/bin/true]}\n',
    ],
    [
      'flow',
      "{jobs: {10: {every: 1m, command: [/bin/true]}, b: {every: 1m, command: [/bin/true]},\n  5: {every: 1m, command: [/bin/true]}, 007: {every: 1m, command: [/bin/true]},\n  1e3: {every: 1m, command: [/bin/true]}, 0: {every: 1m, command: [/bin/true]}, '2': {every: 1m, command: [/bin/true]}}}\n",
    ],
    ['json-line', JSON.stringify({ jobs: Object.fromEntries(Object.entries(jobs)) })],
    ['json-pretty', JSON.stringify({ jobs }, null, 2)],
  ];

  /** Where each job key of `text` is: the first occurrence of the name (quoted or not) after `jobs`, in `jobs` order. */
  function expectedAt(
    text: string,
    names: readonly string[],
  ): Map<string, { file: string; line: number; column: number }> {
    const at = new Map<string, { file: string; line: number; column: number }>();
    let from = text.indexOf('jobs') + 4;
    for (const name of names) {
      const re = new RegExp(`(?<=[\\s{,])(["']?)${name.replace('.', '\\.')}\\1\\s*:`, 'g');
      re.lastIndex = from;
      const m = re.exec(text);
      assert.ok(m, `${name} not found`);
      from = m.index + m[0].length;
      const before = text.slice(0, m.index);
      const line = before.split('\n').length;
      at.set(name, { file: MAIN, line, column: m.index - (before.lastIndexOf('\n') + 1) + 1 });
    }
    return at;
  }

  for (const [shape, text] of texts) {
    for (const e of [
      { crlf: false, bom: false },
      { crlf: true, bom: true },
    ]) {
      it(`get their own positions (${shape}${e.crlf ? ', CRLF and BOM' : ''})`, async () => {
        const written = withEnds(text, e);
        const order = shape.startsWith('json') ? Object.keys(jobs) : ['10', 'b', '5', '007', '1e3', '0', '2'];
        const expected = expectedAt(written, order);
        const plain = readPlain(written, MAIN);
        assert.ok(plain, 'readPlain reads it');
        assert.deepStrictEqual(new Map([...plain.jobAt].sort()), new Map([...expected].sort()));
        assert.ok(assertReadersAgree(written));
        fs.writeFileSync(MAIN, written);
        const config = await loadConfig(MAIN, { insecure: true, nowMs: NOW, env: {} });
        assert.deepStrictEqual(
          new Map(config.jobs.map((j) => [j.name, j.source])),
          new Map([...expected].sort()),
        );
      });
    }
  }
});
