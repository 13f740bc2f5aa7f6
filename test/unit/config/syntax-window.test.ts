// A syntax error in a file of many jobs is read in a window around it
// (syntax-window.ts). The contract: what the window reading reports is what
// the reading of the whole file reports, in every shape (block YAML, flow
// YAML, pretty and one-line JSON), for every kind of error; where it cannot
// be sure, it reads nothing and the whole file is read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPlainOrWhy } from '../../../src/config/read-plain.js';
import { windowedProblems } from '../../../src/config/syntax-window.js';
import { readLocated } from '../../../src/config/yaml-source.js';
import { errors, FILE, readWindow, shapes, sorted } from '../../support/syntax-cases.js';

describe('syntax errors read in a window', () => {
  let windowed = 0;
  for (const [shape, text] of Object.entries(shapes)) {
    for (const [kind, edit] of Object.entries(errors)) {
      it(`${kind}, ${shape}: the same problems as the whole file's reading`, () => {
        const bad = edit(text, shape);
        if (bad === text) return; // this edit does not apply to this shape
        const { plain, syntaxErrorAt } = readPlainOrWhy(bad, FILE);
        if (plain || syntaxErrorAt === undefined) return; // js-yaml reads it: not this path
        const whole = readLocated(FILE, bad).problems;
        const inWindows = windowedProblems(bad, FILE, syntaxErrorAt, readWindow);
        if (inWindows === undefined) return; // the whole file is read: the same by construction
        windowed++;
        assert.deepEqual(sorted(inWindows), sorted(whole));
      });
    }
  }
  it('reads the common errors in a window in every shape (the fast path is taken)', () => {
    const fast: Array<[string, string]> = [
      ...Object.keys(shapes).map((shape): [string, string] => [shape, 'a missing comma']),
      ...['block', 'flow', 'pretty'].map((shape): [string, string] => [shape, 'an unclosed [']),
    ];
    for (const [shape, kind] of fast) {
      const bad = errors[kind]!(shapes[shape]!, shape);
      const { syntaxErrorAt } = readPlainOrWhy(bad, FILE);
      assert.notEqual(syntaxErrorAt, undefined, `${kind}, ${shape}: a syntax error`);
      const inWindows = windowedProblems(bad, FILE, syntaxErrorAt!, readWindow);
      assert.ok(inWindows && inWindows.length > 0, `${kind}, ${shape}: read in a window`);
    }
    assert.ok(windowed >= 15, `cases read in windows: ${windowed}`);
  });
});
