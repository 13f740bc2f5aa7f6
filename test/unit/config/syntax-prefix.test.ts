// A syntax error no window holds is read up to a bound past it
// (syntax-prefix.ts). The contract: what that reading reports, but for its
// last line (where it stopped), is every problem the whole file's reading
// reports before that line, and nothing else, in every shape and for every
// kind of error, at every bound; where it cannot be sure, it reads nothing and
// the whole file is read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPlainOrWhy } from '../../../src/config/read-plain.js';
import { prefixProblems } from '../../../src/config/syntax-prefix.js';
import { readLocated } from '../../../src/config/yaml-source.js';
import { lineStarts } from '../../../src/config/yaml-text.js';
import { errors, FILE, readWindow, shapes, sorted } from '../../support/syntax-cases.js';

const BOUNDS = [
  { lines: 3, chars: 100, problems: 20 },
  { lines: 8, chars: 300, problems: 20 },
  { lines: 20, chars: 700, problems: 20 },
  { lines: 20, chars: 700, problems: 1 },
];
const STOPPED = /^the file was read up to here/;

describe('syntax errors read up to a bound past them', () => {
  let cut = 0;
  for (const [shape, text] of Object.entries(shapes)) {
    for (const [kind, edit] of Object.entries(errors)) {
      it(`${kind}, ${shape}: the whole file's problems up to where the reading stopped`, () => {
        const bad = edit(text, shape);
        if (bad === text) return; // this edit does not apply to this shape
        const { plain, syntaxErrorAt } = readPlainOrWhy(bad, FILE);
        if (plain || syntaxErrorAt === undefined) return; // js-yaml reads it: not this path
        const whole = readLocated(FILE, bad).problems;
        const starts = lineStarts(bad);
        for (const bounds of BOUNDS) {
          const read = prefixProblems(bad, FILE, syntaxErrorAt, readWindow, bounds);
          if (read === undefined) continue; // the whole file is read: the same by construction
          cut++;
          const stopped = read.at(-1)!;
          assert.match(stopped.message, STOPPED);
          assert.equal(read.filter((p) => STOPPED.test(p.message)).length, 1);
          const at = starts[stopped.line - 1]! + stopped.column - 1;
          assert.ok(read.length >= 2, 'a problem, then where the reading stopped');
          const places = new Set(read.slice(0, -1).map((p) => `${p.line}:${p.column}`));
          assert.ok(places.size <= bounds.problems, 'problems at no more places than the bound');
          const before = whole.filter((p) => starts[p.line - 1]! + p.column - 1 < at);
          assert.deepEqual(sorted(read.slice(0, -1)), sorted(before), JSON.stringify(bounds));
        }
      });
    }
  }
  it('reads the errors that run on in every shape (the bounded path is taken)', () => {
    const bounded: Array<[string, string]> = [
      ['block', 'a bad indentation'],
      ['block', 'a stray ] after a value in block YAML'],
      ['json', 'an unclosed ['],
      ['json', 'a stray closing bracket'],
      ['pretty', 'an unclosed ['],
    ];
    for (const [shape, kind] of bounded) {
      const bad = errors[kind]!(shapes[shape]!, shape);
      const { syntaxErrorAt } = readPlainOrWhy(bad, FILE);
      assert.notEqual(syntaxErrorAt, undefined, `${kind}, ${shape}: a syntax error`);
      const read = prefixProblems(bad, FILE, syntaxErrorAt!, readWindow, BOUNDS[0]);
      assert.ok(read && read.length > 1, `${kind}, ${shape}: read up to a bound`);
    }
    assert.ok(cut >= 60, `cases read up to a bound: ${cut}`);
  });
  it('reads a file that ends within the bound whole', () => {
    const bad = errors['a bad indentation']!(shapes.block!, 'block');
    const { syntaxErrorAt } = readPlainOrWhy(bad, FILE);
    assert.equal(
      prefixProblems(bad, FILE, syntaxErrorAt!, readWindow, { lines: 1000, chars: 100, problems: 20 }),
      undefined,
    );
  });
});
