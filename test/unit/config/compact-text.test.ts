import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactText } from '../../../src/config/compact-text.js';

describe('CompactText', () => {
  const file = 'a: 1\nb: 2\nc: 3\nd: {x: 1, y: 2, z: 3}\n';
  it('drops whole lines and places what follows at its line and column in the file', () => {
    const c = new CompactText(file).keep(0, 5).skip(5, 15).keep(15, file.length);
    assert.equal(c.text, 'a: 1\nd: {x: 1, y: 2, z: 3}\n');
    const [p] = c.placeAll([{ file: 'f', line: 2, column: 5, path: '', message: 'm' }], [0, 5, 10, 15, 37]);
    assert.deepEqual({ line: p!.line, column: p!.column }, { line: 4, column: 5 });
  });
  it('leaves out part of a line as one space, and places what follows on it', () => {
    const from = file.indexOf('y:');
    const to = file.indexOf('z:');
    const c = new CompactText(file).keep(0, from).skip(from, to).keep(to, file.length);
    assert.equal(c.text, 'a: 1\nb: 2\nc: 3\nd: {x: 1,  z: 3}\n');
    assert.equal(c.fileOffset(c.text.indexOf('z:')), to);
    assert.equal(c.fileOffset(c.text.indexOf('x:')), file.indexOf('x:'));
  });
  it("places what is appended at or past the file's end", () => {
    const c = new CompactText(file).keep(0, 10).append('\n}');
    assert.equal(c.fileOffset(c.text.length - 2), file.length);
    assert.ok(c.fileOffset(c.text.length - 1) >= file.length);
  });
});
