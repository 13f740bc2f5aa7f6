// EventLocator (locate-in-events.ts) places a path of the config data at
// file:line:column from js-yaml's events exactly where locate-problem.ts
// problemAt places it from the `yaml` package's document (yaml-source.ts
// readLocated), the reference: for every path that exists in the data, some
// that do not (a missing key, an index past a list's end, a path under a
// scalar), and both anchors ('value' and 'key').
//
// Compared on every bad-config fixture and the example config that js-yaml
// reads, on hand-written corner cases, and on generated documents in every
// shape a user writes: block and flow YAML, one-line and pretty JSON, anchors
// and aliases, quoted keys, empty values, block scalars, comments, tags, a
// BOM, CRLF line ends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { constructFromEvents, CORE_SCHEMA, parseEvents } from 'js-yaml';
import { parseDocument, stringify, type ToStringOptions } from 'yaml';
import { EventLocator } from '../../../src/config/locate-in-events.js';
import { type Anchor, type PathSegment, problemAt } from '../../../src/config/locate-problem.js';
import { readPlain } from '../../../src/config/read-plain.js';
import { type LocatedReading, readLocated } from '../../../src/config/yaml-source.js';
import { plainDataArbitraries } from '../../support/plain-data.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
/** Failures show the error; PROPERTY_SEED replays a failed run (its seed is printed). */
const REPORT = {
  includeErrorInReport: true,
  seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
};
const FIXTURES = fileURLToPath(new URL('../../fixtures/bad-configs', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../config/cronkeeper.yaml', import.meta.url));
const FILE = '/etc/cronkeeper/cronkeeper.yaml';
/** Paths compared per document at most (aliases expanded, data can hold many). */
const MAX_PATHS = 1500;

// ---- the comparison -------------------------------------------------------------------

/** Every path that exists in `value`, and paths just past it: a missing key, an index past the end, a path under a scalar. */
function pathsOf(value: unknown): PathSegment[][] {
  const out: PathSegment[][] = [];
  const walk = (v: unknown, p: PathSegment[]): void => {
    if (out.length >= MAX_PATHS) return;
    out.push(p);
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...p, i]));
      out.push([...p, v.length], [...p, v.length + 3, 'x'], [...p, -1], [...p, 'x']);
    } else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key], [...p, key]);
      out.push([...p, 'no such key'], [...p, 'no such key', 0], [...p, 0]);
    } else {
      out.push([...p, 'x'], [...p, 0]);
    }
  };
  walk(value, []);
  return out;
}

/**
 * Where both readings read `text` alike (js-yaml reads it, the `yaml` package
 * finds no problem in it and the same data), EventLocator places every path of
 * the data where problemAt does. Returns the number of placements compared (0:
 * the readings differ, not this module's concern; config-readers.test.ts).
 */
function assertSamePlaces(text: string, file = FILE): number {
  const plain = readPlain(text, file);
  if (plain === undefined) return 0;
  const located = readLocated(file, text);
  if (located.problems.length > 0 || !isDeepStrictEqual(plain.value, located.plain?.value)) return 0;
  return comparePlaces(text, file, located, plain.value);
}

/**
 * The same where js-yaml parses `text` but does not read it (a duplicate key, a
 * collection as a key, a tag of its own) and the `yaml` package reads it, finding
 * no problem but duplicate keys: the paths of its data. Both must see the same
 * structure: js-yaml makes the same data of it by the core schema, the last of
 * duplicate keys winning, as the `yaml` package does (unless `known`: a text
 * seen to be read alike, which js-yaml cannot make data of or types otherwise).
 */
function assertSamePlacesParsed(text: string, file = FILE, known = false): number {
  if (readPlain(text, file) !== undefined || EventLocator.read(text, file) === undefined) return 0;
  const located = readLocated(file, text);
  if (located.plain === undefined || !located.problems.every((p) => p.message.startsWith('duplicate ')))
    return 0;
  if (!known) {
    try {
      const [data] = constructFromEvents(parseEvents(text, { maxDepth: 100 }), {
        source: text,
        schema: CORE_SCHEMA,
        json: true,
      });
      if (!isDeepStrictEqual(data, parseDocument(text, { uniqueKeys: false }).toJS())) return 0;
    } catch {
      return 0;
    }
  }
  return comparePlaces(text, file, located, located.plain.value);
}

function comparePlaces(text: string, file: string, located: LocatedReading, value: unknown): number {
  const locator = EventLocator.read(text, file);
  assert.ok(locator, `js-yaml read it, but EventLocator.read gives undefined:\n${JSON.stringify(text)}`);
  const ctx = { source: located.source, root: located.source.doc.contents, rootKey: undefined, basePath: [] };
  let compared = 0;
  for (const p of pathsOf(value)) {
    for (const at of ['value', 'key'] as Anchor[]) {
      const want = problemAt(ctx, p, 'm', at);
      const got = locator.at(p, at);
      if (got.file !== want.file || got.line !== want.line || got.column !== want.column) {
        assert.fail(
          `${JSON.stringify(p)} at '${at}': EventLocator says ${got.line}:${got.column}, ` +
            `problemAt ${want.line}:${want.column}, in\n${JSON.stringify(text)}`,
        );
      }
      compared++;
    }
  }
  return compared;
}

// ---- fixtures and corner cases -----------------------------------------------------------

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? yamlFiles(path.join(dir, e.name))
        : /\.ya?ml$/.test(e.name)
          ? [path.join(dir, e.name)]
          : [],
    );
}

/** Texts each on the edge of a rule of the `yaml` package's ranges. */
const CORNER_CASES = [
  '',
  '# only a comment\n',
  '---\n',
  '--- # c\n',
  '%YAML 1.2\n---\na: 1\n',
  '# c\n---  \n',
  '--- &a\n',
  '--- !!str\n',
  '--- |\n  text\n',
  '|\n  text\n',
  '\ufeffa: 1\n',
  '\ufeff--- \n',
  'plain\n',
  '"quoted"\n',
  'a: 1\n',
  'a:\n',
  'a:   \n',
  'a:  # comment\n',
  'a: # comment\n  b: 1\n',
  'a:\n  # comment\n  b: 1\n',
  'a: &x 1\nb: *x\n',
  'a: &x\n  k: 1\nb: *x\nc: &x [1, 2]\nd: *x\n',
  'a: &x\nb: *x\n',
  'a: &x !!str\nb: *x\n',
  'a: !!str\nb: !!null\nc: !!str &s\nd: !!null &n\n',
  'a: !!str 5\nb: !!int 5\nc: !!float 1.5\nd: !!bool true\n',
  '!!str 5: a\n!!int 6: b\n!!null ~: c\n!!str : d\n',
  '&k a: 1\nb: 2\n',
  '!!str a: 1\nb: 2\n',
  'x:\n  &k a: 1\n  b: 2\n',
  'x: &m\n  &k a: 1\ny: &n !!map\n  !!str b: 2\nz: *m\n',
  '- &k a: 1\n  b: 2\n- !!str c: 3\n',
  "\"q\": 1\n's': 2\n\"a\\\"b\": 3\n'it''s': 4\n",
  '? a\n: 1\n? &k b\n: 2\n? c\n',
  '? |\n  block key\n: 1\n',
  ': x\n',
  'a: 1\n: x\n',
  'a: 1 # c\n\n  # d\n: x\n',
  'b:\n  c: 1\n  : y\n',
  'b:\n  : y\n  c: 1\n',
  '&e : x\n',
  'm:\n  a:\n    ? b\n  : x\n',
  'm:\n  a:\n    ? b\n\n    # c\n  : x\n',
  'a:\n  ? |\n    j\n: x\n',
  'a:\n  b: |\n    t\n\n\n: x\n',
  'a:\n  b: |+\n    t\n\n: x\n',
  'a:\n  - 1\n\n  # c\n: x\n',
  'a:\n  - 1\n# c\n\n: x\n',
  'a: 1\n    # c\n\n   # d\n: x\n',
  // An empty implicit key after a pair that ends in an empty node, and comments and blank lines between.
  'k:\n: x\n',
  'k: &a\n: x\n',
  'k: # c\n: x\n',
  'k:\n\n: x\n',
  'k:\n   \n: x\n',
  'k:\n# d\n# e\n: x\n',
  'k:\n  # d\n# e\n\n: x\n',
  'k:\n\n\n  # d\n\n: x\n',
  '- a: !!null # c\n  : x\n',
  '- a:\n    # d\n  : x\n',
  '- a:\n\n    # d\n\n  : x\n',
  '- a:\n    - b\n    - # c\n  : x\n',
  '- a:\n    ? # c\n  : x\n',
  '- a:\n    - 1\n\n    # c\n  : x\n',
  'a:\n  - !!null\n\n: x\n',
  'jobs:\n\n  ?\n: x\n',
  'a:\n  ?\n\n  # x\n: y\n',
  'a: |\n\n\n:\n',
  'a:\n  b: x\n  # x\n  ?\n: y\n',
  'a:\n  b: x # c\n  ?\n: y\n',
  'a:\n  - x\n  # c\n  -\n: y\n',
  'a:\n  ? # c\n: y\n',
  'a:\n  b: |\n    line\n  ? # c\n: x\n',
  'a:\n  b:\n    - 1\n   # c\n  : x\n',
  'a:\n  b:\n  - 1\n\n  # c\n  : x\n',
  'a:\n  b:\n    c: 1\n   # c\n\n  : x\n',
  '? \n: y\n',
  '- \n-\n-   # c\n- x\n-\t\n- &a\n- !!str\n- !!str\t\n',
  '-\n-\n-\n-\n',
  '- - - x\n  - \n- \n',
  'a: |\n  text\nb: >-\n  folded\n  more\nc: |+\n\nd: |2\n   indented\ne: >1- # c |\n  x\n',
  'a: &b |\n  t\nc: !!str >\n  u\nd: &e !!str |-\n  v\n',
  'a: # c\n  |\n  text\n',
  '- |\n  a\n- >-\n  b\n- &x |\n  c\n',
  'c: |-\n',
  'c: |-',
  'c: >\n\n\n',
  'a: "multi\n  line"\nb: \'also\n  this\'\nc: plain\n  continued\n',
  '{}',
  '[]',
  '{a: 1, b: [x, "y", \'z\'], c: {d: null}}',
  '{a, b: , : c, d: !!str , e: !!str}',
  '[a: , : b, x, c: d,  ]',
  '[a: 1, ? b : 2, &k c: 3, !!str d: 4]',
  'x: {a: 1,\n  : c}\n',
  '{? a : 1, ? : 2, ? c, &e !!str : 3}',
  '[a,\n : b, ? : c, ? d]',
  '- [a, b]\n-\n- {c: d}\n- \n- [e] # c\n-\n',
  'a: {x: 1}\n: y\n',
  'b: [1] # c\n: z\n',
  'a: !\nb: ! x\nc: !!str # c\n',
  '[ [ ], { }, [ [ ] , x ] ]',
  '{ "a" : [ 1 , { "b" : null } ] , "c" : { } }',
  '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ],\n  "c": {}\n}\n',
  'a: [1, 2,\n  3]\nb: {c: 1,\n  d: 2}\n',
  'a: &x {k: v}\nb: *x\nc: [*x, *x]\n',
  'a: &x 1\nb: *x\na2: &x 2\nc: *x\n',
  'a: &x 1\n*x : 2\n',
  '!!null ~: 1\n!!str ~: 2\n',
  'a: 1\r\nb:\r\n  - x\r\n  -\r\n  - "y"\r\nc: |\r\n  t\r\n',
  'a:\r\nb: \r\n',
  'jobs:\n  a:\n    every:\n    command: [/bin/true]\n',
  'a:\n- 1\n- 2\nb:\n-\n',
  'a: 1\n...\n',
  'a: 1 #c\nb: 2\t# c\n',
];

/** Texts js-yaml parses but does not read as data. */
const PARSED_ONLY_CASES = [
  'a: 1\na: 2\nb: {c: 1, c: 2}\n',
  '~: 1\nnull: 2\n"": 3\n5: 4\n"5": 5\n0644: 6\n1e3: 7\n1.0: 8\ntrue: 9\nTrue: 10\n.nan: 11\n',
  '__proto__: 1\n"<<": 2\n<<: 3\n',
  '[a, b]: 1\n{c: d}: 2\n? - e\n: 3\n? [0644, 1e3, true, ~]\n: 4\n',
  'é: 😀\n😀: é\n"\\u00e9": x\n',
  'jobs:\n  "":\n    every: 1m\n  null:\n  ~: x\n',
  'a: !custom x\nb: !custom\nc: !custom\n  d: 1\n',
];

describe('EventLocator places problems where problemAt does', () => {
  it('on every bad-config fixture and the example config that js-yaml parses', () => {
    let files = 0;
    let compared = 0;
    for (const file of [...yamlFiles(FIXTURES), EXAMPLE]) {
      const text = fs.readFileSync(file, 'utf8');
      const n = assertSamePlaces(text, file) || assertSamePlacesParsed(text, file);
      if (n > 0) files++;
      compared += n;
    }
    assert.ok(files >= 70, `only ${files} files compared`);
    assert.ok(compared > 1000, `only ${compared} placements compared`);
  });

  it('on corner cases of the ranges', () => {
    let read = 0;
    for (const text of CORNER_CASES) {
      for (const variant of [text, text.replace(/\r?\n/g, '\r\n'), `\ufeff${text}`]) {
        if (assertSamePlaces(variant) > 0) read++;
      }
    }
    assert.ok(read >= 3 * CORNER_CASES.length - 30, `only ${read} texts compared`);
  });

  it('where js-yaml parses a text it does not read: duplicate keys, collections as keys', () => {
    let read = 0;
    for (const text of PARSED_ONLY_CASES) if (assertSamePlacesParsed(text, FILE, true) > 0) read++;
    assert.equal(read, PARSED_ONLY_CASES.length);
  });

  it('gives line 1, column 1 where there is no node, and undefined for what js-yaml cannot parse', () => {
    for (const text of ['', '# nothing\n', '\n\n']) {
      const locator = EventLocator.read(text, FILE);
      assert.ok(locator);
      assert.deepEqual(locator.at(['a'], 'value'), { file: FILE, line: 1, column: 1 });
    }
    assert.equal(EventLocator.read('a: [1, 2\n', FILE), undefined);
    assert.equal(EventLocator.read('a: "open\n', FILE), undefined);
    assert.throws(() => new EventLocator('a:\n\t- b: [\n', FILE));
  });

  it('counts columns in UTF-16 code units and lines at \\n only', () => {
    const text = 'é😀: {x: 1, "😀": 2}\r\nb:\r\n  c: 3\n';
    const locator = EventLocator.read(text, FILE);
    assert.ok(locator);
    assert.deepEqual(locator.at(['é😀', '😀'], 'value'), { file: FILE, line: 1, column: 19 });
    assert.deepEqual(locator.at(['é😀', '😀'], 'key'), { file: FILE, line: 1, column: 13 });
    assert.deepEqual(locator.at(['b', 'c'], 'value'), { file: FILE, line: 3, column: 6 });
    assert.deepEqual(locator.at(['b', 'missing'], 'value'), { file: FILE, line: 2, column: 1 });
    assert.ok(assertSamePlaces(text) > 0);
  });
});

// ---- generated documents ----------------------------------------------------------------

/** Scalars as written, many on the edge of a YAML rule or of yaml-scalars.ts. */
const SCALAR_TEXTS = [
  'x',
  'hello world',
  "it's",
  'a#b',
  'http://127.0.0.1:9/hook',
  '0 2 * * *',
  '-5s',
  '~',
  'null',
  'true',
  'True',
  '5',
  '0644',
  '1e3',
  '1.0',
  '.nan',
  '"double"',
  '"with \\"escapes\\" \\\\ \\t"',
  '"\\u00e9"',
  "'single'",
  "'it''s'",
  "''",
  '""',
  '{}',
  '[]',
  '{a: 1, b: [x, "y", \'z\']}',
  '{a: }',
  '{a, b}',
  '[a: 1, b]',
  '{a: {b: {c: [1, [2]]}}}',
  '&anchor x',
  '&anchor [1, 2]',
  '&anchor {a: 1}',
  '*anchor',
  '!!str 1',
  '!!str',
  '!!null',
  '&anchor',
  'é',
  'x # comment',
  '',
];
const KEY_TEXTS = [
  'a',
  'jobs',
  'b',
  'job-1',
  '5',
  '007',
  '1e3',
  '1.0',
  '~',
  'null',
  'true',
  'True',
  'x y',
  '""',
  '"quoted key"',
  "'single'",
  '"a: b"',
  '__proto__',
  '<<',
  'é',
  '? x',
  '&k a',
  '!!str b',
  '&k2 "q"',
];
const BLOCK_HEADERS = ['|', '|-', '|+', '>', '>-', '>+', '|2', '>1-', '&bs |', '!!str >-', '| # c'];

/** Raw YAML from line templates: maps and lists nested by indentation, every kind of value, comments, blank lines. */
const lineSoup = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          fc.constantFrom(0, 0, 2, 4),
          fc.constantFrom(...KEY_TEXTS),
          fc.constantFrom(...SCALAR_TEXTS),
          fc.boolean(),
        )
        .map(
          ([n, k, v, comment]) => `${' '.repeat(n)}${k}:${v === '' ? '' : ` ${v}`}${comment ? ' # c' : ''}`,
        ),
      fc
        .tuple(fc.constantFrom(0, 2, 4), fc.constantFrom(...SCALAR_TEXTS), fc.constantFrom('- ', '- - '))
        .map(([n, v, dash]) => `${' '.repeat(n)}${dash}${v}`),
      fc
        .tuple(fc.constantFrom(0, 2), fc.constantFrom(...KEY_TEXTS), fc.constantFrom(...SCALAR_TEXTS))
        .map(([n, k, v]) => `${' '.repeat(n)}- ${k}: ${v}\n${' '.repeat(n + 2)}more: ${v}`),
      fc
        .tuple(
          fc.constantFrom(0, 2),
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
        .tuple(fc.constantFrom(0, 2), fc.constantFrom(...KEY_TEXTS))
        .map(([n, k]) => `${' '.repeat(n)}${k}: "one\n${' '.repeat(n + 2)}two"`),
      fc
        .tuple(fc.constantFrom(0, 2), fc.constantFrom(...KEY_TEXTS))
        .map(([n, k]) => `${' '.repeat(n)}${k}: &anchor\n${' '.repeat(n + 2)}inner: 1`),
      fc
        .tuple(fc.constantFrom(0, 2), fc.constantFrom(...KEY_TEXTS))
        .map(([n, k]) => `${' '.repeat(n)}${k}: *anchor`),
      fc.constantFrom(0, 2, 4).map((n) => `${' '.repeat(n)}# comment`),
      fc.constantFrom('', '   '),
    ),
    { minLength: 1, maxLength: 10 },
  )
  .chain((lines) =>
    fc.constantFrom('', '---\n', '--- # c\n', '# head\n').map((head) => head + lines.join('\n') + '\n'),
  );

/** Keys as written, with the name each gives its pair (no two pairs of a map share a name). */
const NAMED_KEYS: ReadonlyArray<[text: string, name: string]> = [
  ['a', 'a'],
  ['jobs', 'jobs'],
  ['job-1', 'job-1'],
  ['5', '5'],
  ['"6"', '6'],
  ['!!str 7', '7'],
  ['007', '007'],
  ['1e3', '1e3'],
  ['1.0', '1.0'],
  ['~', 'null'],
  ['true', 'true'],
  ['True', 'True'],
  ['x y', 'x y'],
  ['""', ''],
  ['"quoted key"', 'quoted key'],
  ["'single'", 'single'],
  ['"a: b"', 'a: b'],
  ['__proto__', '__proto__'],
  ['<<', '<<'],
  ['é', 'é'],
  ['&k b', 'b'],
  ['&k2 "q"', 'q'],
  ['!!str c', 'c'],
  ['&k3 !!str d', 'd'],
];
/** Keys written `? key` on a line of their own, the value after a `:` on the next. */
const EXPLICIT_KEYS: ReadonlyArray<[text: string, name: string]> = [
  ['h', 'h'],
  ['&k4 i', 'i'],
  ['|\n  j', 'j\n'],
  ['', 'null'],
];

/** A node of a raw YAML document, rendered at an indentation. */
type RawNode =
  | { kind: 'scalar'; text: string }
  | { kind: 'block'; header: string; lines: string[] }
  | { kind: 'map'; props: string; entries: RawEntry[] }
  | { kind: 'seq'; props: string; items: RawNode[]; indentless: boolean };
interface RawEntry {
  key: [string, string];
  explicit: boolean;
  value: RawNode;
  comment: boolean;
  blankBefore: boolean;
}

const rawTree: fc.Arbitrary<RawNode> = fc.letrec<{ node: RawNode; map: RawNode; seq: RawNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.constantFrom(...SCALAR_TEXTS).map((text): RawNode => ({ kind: 'scalar', text })),
    fc
      .tuple(
        fc.constantFrom(...BLOCK_HEADERS),
        fc.array(fc.constantFrom('line', '  more', '', 'x: y', '# not a comment'), { maxLength: 3 }),
      )
      .map(([header, lines]): RawNode => ({ kind: 'block', header, lines })),
    tie('map'),
    tie('seq'),
  ),
  map: fc
    .tuple(
      fc.constantFrom('', '&anchor ', '!!map ', '&m !!map '),
      fc.uniqueArray(
        fc.record({
          explicit: fc.boolean(),
          key: fc.boolean(),
          index: fc.nat(),
          value: tie('node'),
          comment: fc.boolean(),
          blankBefore: fc.boolean(),
        }),
        {
          minLength: 1,
          maxLength: 4,
          selector: (e) =>
            e.explicit
              ? EXPLICIT_KEYS[e.index % EXPLICIT_KEYS.length]![1]
              : NAMED_KEYS[e.index % NAMED_KEYS.length]![1],
        },
      ),
    )
    .map(([props, entries]): RawNode => ({
      kind: 'map',
      props,
      entries: entries.map((e) => ({
        key: e.explicit
          ? EXPLICIT_KEYS[e.index % EXPLICIT_KEYS.length]!
          : NAMED_KEYS[e.index % NAMED_KEYS.length]!,
        explicit: e.explicit,
        value: e.value,
        comment: e.comment,
        blankBefore: e.blankBefore,
      })),
    })),
  seq: fc
    .tuple(
      fc.constantFrom('', '&anchor ', '!!seq '),
      fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .map(([props, items, indentless]): RawNode => ({ kind: 'seq', props, items, indentless })),
})).node;

/** `node` as the value after `key:` or `- ` (a space or a line break first), its lines at indentation `n`. */
function renderValue(node: RawNode, n: number, inSeq: boolean): string {
  const pad = ' '.repeat(n);
  switch (node.kind) {
    case 'scalar':
      return node.text === '' ? '' : ` ${node.text}`;
    case 'block': {
      // The first line sets the indentation: a more indented one comes after it.
      const lines = node.lines[0]?.startsWith(' ') ? ['line', ...node.lines] : node.lines;
      return ` ${node.header}\n${lines.map((l) => (l === '' ? '' : `${pad}${l}`)).join('\n')}`;
    }
    case 'map':
      return ` ${node.props}`.trimEnd() + '\n' + renderMap(node, n);
    case 'seq':
      return ` ${node.props}`.trimEnd() + '\n' + renderSeq(node, inSeq || !node.indentless ? n : n - 2);
  }
}

function renderMap(node: Extract<RawNode, { kind: 'map' }>, n: number): string {
  const pad = ' '.repeat(n);
  return node.entries
    .map((e) => {
      const before = e.blankBefore ? '\n' : '';
      const comment = e.comment ? ' # c' : '';
      const value = renderValue(e.value, n + 2, false);
      if (e.explicit) {
        const key = e.key[0].replace(/\n/g, `\n${pad}`);
        return `${before}${pad}?${key === '' ? '' : ` ${key}`}${comment}\n${pad}:${value}`;
      }
      // A comment after a scalar value only: after `key:` it would precede a block node's lines.
      return `${before}${pad}${e.key[0]}:${value}${e.value.kind === 'scalar' ? comment : ''}`;
    })
    .join('\n');
}

function renderSeq(node: Extract<RawNode, { kind: 'seq' }>, n: number): string {
  const pad = ' '.repeat(n);
  return node.items.map((item) => `${pad}-${renderValue(item, n + 2, true)}`).join('\n');
}

/** A raw YAML document: a map whose first entry defines `&anchor` (for the `*anchor` values), or a list. */
const rawDocument = fc
  .tuple(rawTree, fc.constantFrom('', '---\n', '--- # c\n', '# head\n', '%YAML 1.2\n---\n'))
  .map(([tree, head]) => {
    const root: RawNode =
      tree.kind === 'map'
        ? {
            ...tree,
            props: '',
            entries: [
              {
                key: ['base', 'base'],
                explicit: false,
                value: { kind: 'scalar', text: '&anchor {k: v}' },
                comment: false,
                blankBefore: false,
              },
              ...tree.entries.filter((e) => e.key[1] !== 'base'),
            ],
          }
        : tree;
    const body =
      root.kind === 'map'
        ? renderMap(root, 0)
        : root.kind === 'seq'
          ? renderSeq(root, 0)
          : renderValue(root, 2, false).trimStart();
    return `${head}${body}\n`;
  });

/** Keys of generated data (the writer quotes them as it must). */
const KEY_VALUES = [
  'a',
  'b',
  'jobs',
  '5',
  '007',
  '1e3',
  '1.0',
  '~',
  'null',
  'true',
  'quoted key',
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
const odd = fc.string({
  maxLength: 8,
  unit: fc.constantFrom('a', ' ', '\n', '\t', '"', "'", '\\', ':', '#', '-', '&', '*', 'é', '😀'),
});

const { plainData, sharedObjects } = plainDataArbitraries({
  scalars: SCALAR_TEXTS,
  keys: KEY_VALUES,
  odd,
  stringLength: 6,
  keyLength: 4,
  width: 4,
});

/** A config-shaped document: top-level keys, a `jobs` map of jobs with fields, lists and nested maps. */
const documentData = sharedObjects.chain((shared) =>
  fc
    .record({
      top: fc.dictionary(fc.constantFrom('a', 'b', 'snapshot', 'defaults'), plainData(shared), {
        maxKeys: 3,
      }),
      jobs: fc.dictionary(
        fc.oneof(
          fc.constantFrom('nightly', 'job-1', '5', '007', 'true', 'null', 'a b'),
          fc.string({ maxLength: 4 }),
        ),
        fc.record(
          {
            schedule: fc.constantFrom('0 2 * * *', '*/5 * * * *', ''),
            command: fc.array(fc.oneof(fc.constantFrom('/bin/true', '-c', 'echo "x"'), odd), {
              maxLength: 3,
            }),
            timeout: fc.oneof(fc.constantFrom('1h', '30s'), fc.constant(null)),
            env: fc.dictionary(
              fc.constantFrom('A', 'B_2', 'PATH'),
              fc.oneof(fc.string({ maxLength: 4 }), odd),
              {
                maxKeys: 2,
              },
            ),
            extra: plainData(shared),
          },
          { requiredKeys: [] },
        ),
        { maxKeys: 4 },
      ),
    })
    .map(({ top, jobs }) => ({ ...top, jobs })),
);

/** How the `yaml` package writes the data: block or flow, keys and strings quoted or not, aliases or copies. */
const writerOptions: fc.Arbitrary<ToStringOptions & { aliasDuplicateObjects: boolean }> = fc.record({
  collectionStyle: fc.constantFrom('any', 'block', 'flow'),
  defaultStringType: fc.constantFrom(
    'PLAIN',
    'QUOTE_DOUBLE',
    'QUOTE_SINGLE',
    'BLOCK_LITERAL',
    'BLOCK_FOLDED',
  ),
  defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  flowCollectionPadding: fc.boolean(),
  lineWidth: fc.constantFrom(0, 20, 80),
  aliasDuplicateObjects: fc.boolean(),
}) as fc.Arbitrary<ToStringOptions & { aliasDuplicateObjects: boolean }>;

/** Line ends, a BOM, and comments after values, applied to a finished text. */
const finish = fc.record({ crlf: fc.boolean(), bom: fc.boolean() });
function finished(text: string, { crlf, bom }: { crlf: boolean; bom: boolean }): string {
  const lines = crlf ? text.replace(/\r?\n/g, '\r\n') : text;
  return bom ? `\ufeff${lines}` : lines;
}

/**
 * Runs a property, counts the texts compared (both readings read them alike; or,
 * `parsed`, js-yaml parses them and both see the same structure) and demands
 * enough of them.
 */
function checkShape(arbitrary: fc.Arbitrary<string>, minShare = 0.5, parsed = false): void {
  let compared = 0;
  let runs = 0;
  fc.assert(
    fc.property(arbitrary, (text) => {
      runs++;
      if (assertSamePlaces(text) > 0 || (parsed && assertSamePlacesParsed(text) > 0)) compared++;
    }),
    { numRuns: RUNS, ...REPORT },
  );
  if (process.env.LOCATE_DEBUG) console.log(`compared ${compared} of ${runs}`);
  assert.ok(compared >= runs * minShare, `only ${compared} of ${runs} texts compared`);
}

describe('EventLocator on generated documents', () => {
  it('written by the yaml package: block, flow, quoted, anchors and aliases', () => {
    checkShape(
      fc
        .tuple(documentData, writerOptions, finish)
        .map(([data, { aliasDuplicateObjects, ...options }, ends]) =>
          finished(stringify(data, { aliasDuplicateObjects, ...options }), ends),
        ),
      0.8,
    );
  });

  it('as one-line and pretty JSON', () => {
    checkShape(
      fc
        .tuple(documentData, fc.constantFrom(undefined, 2, 4, '\t'), finish)
        .map(([data, indent, ends]) => finished(JSON.stringify(data, null, indent), ends)),
      0.9,
    );
  });

  it('as raw YAML: empty values, block scalars, comments, tags, anchors, explicit keys', () => {
    checkShape(
      fc.tuple(rawDocument, finish).map(([text, ends]) => finished(text, ends)),
      0.5,
    );
  });

  it('as raw YAML and the example config, mutated: lines dropped, repeated, indented, inserted', () => {
    const example = fs.readFileSync(EXAMPLE, 'utf8');
    const edit = fc.tuple(
      fc.nat(),
      fc.constantFrom('drop', 'repeat', 'indent', 'dedent', 'comment', 'blank', 'trail'),
    );
    checkShape(
      fc
        .tuple(fc.oneof(rawDocument, fc.constant(example)), fc.array(edit, { maxLength: 4 }), finish)
        .map(([text, edits, ends]) => {
          const lines = text.split('\n');
          for (const [n, op] of edits) {
            const i = n % lines.length;
            if (op === 'drop') lines.splice(i, 1);
            else if (op === 'repeat') lines.splice(i, 0, lines[i]!);
            else if (op === 'indent') lines[i] = `  ${lines[i]}`;
            else if (op === 'dedent') lines[i] = lines[i]!.replace(/^ {2}/, '');
            else if (op === 'comment') lines.splice(i, 0, '  # x');
            else if (op === 'blank') lines.splice(i, 0, '');
            else lines[i] = `${lines[i]}  `;
            if (lines.length === 0) break;
          }
          return finished(lines.join('\n'), ends);
        }),
      0.5,
      true,
    );
  });

  it('as raw YAML from line templates, nested by chance', () => {
    checkShape(
      fc.tuple(lineSoup, finish).map(([text, ends]) => finished(text, ends)),
      0.1,
    );
  });

  it('as raw YAML, with every path the text names, read or not', () => {
    // Mutations of the soup: lines dropped or repeated, which shifts indentation and nesting.
    checkShape(
      fc.tuple(lineSoup, fc.array(fc.nat(), { maxLength: 3 })).map(([text, cuts]) => {
        const lines = text.split('\n');
        for (const c of cuts) lines.splice(c % lines.length, 1);
        return lines.join('\n');
      }),
      0.05,
    );
  });
});
