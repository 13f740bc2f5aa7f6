import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputTail, cutMarker, cutTail } from '../../../src/run/output-tail.js';

/** The tail as it must be, from the whole output. */
function expected(full: Buffer, max: number): string {
  if (full.length <= max) return full.toString('utf8');
  let start = full.length - max;
  while (start < full.length && (full[start]! & 0xc0) === 0x80) start++;
  return cutMarker(start) + full.toString('utf8', start);
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('OutputTail', () => {
  it('keeps everything that fits, exactly', () => {
    const t = new OutputTail(16);
    t.push(Buffer.from('ab'));
    t.push(Buffer.from('cdé\n'));
    assert.equal(t.text(), 'abcdé\n');
    assert.equal(t.totalBytes, 7);
  });

  it('keeps exactly maxBytes without a marker', () => {
    const t = new OutputTail(4);
    t.push(Buffer.from('abcd'));
    assert.equal(t.text(), 'abcd');
    t.push(Buffer.from('e'));
    assert.equal(t.text(), '…[1 bytes before]\nbcde');
  });

  it('a chunk longer than maxBytes keeps its end', () => {
    const t = new OutputTail(3);
    t.push(Buffer.from('xy'));
    t.push(Buffer.from('0123456789'));
    assert.equal(t.text(), '…[9 bytes before]\n789');
    assert.equal(t.bufferedBytes, 3);
  });

  it('never starts with half a character; the cut bytes count as before', () => {
    const t = new OutputTail(5);
    t.push(Buffer.from('a€€')); // 1 + 3 + 3 bytes: the last 5 start inside the first euro sign
    assert.equal(t.text(), '…[4 bytes before]\n€');
    const four = new OutputTail(6);
    four.push(Buffer.from('😀😀')); // 4 + 4: the last 6 start 2 bytes into the first
    assert.equal(four.text(), '…[4 bytes before]\n😀');
  });

  it('0 keeps nothing: null; so do nonsense sizes', () => {
    for (const n of [0, -1, Number.NaN, 1.5]) {
      const t = new OutputTail(n);
      t.push(Buffer.from('data'));
      assert.equal(t.text(), null);
      assert.equal(t.bufferedBytes, 0);
    }
  });

  it('nothing pushed: an empty string', () => {
    assert.equal(new OutputTail(10).text(), '');
  });

  it('NUL, which Postgres text cannot hold, becomes U+FFFD; invalid UTF-8 too', () => {
    const t = new OutputTail(10);
    t.push(Buffer.from([0x61, 0x00, 0x62, 0xff, 0x63]));
    assert.equal(t.text(), 'a\uFFFDb\uFFFDc');
  });

  it('matches the end of the whole output for random chunks, with bounded memory', () => {
    const rand = prng(7);
    const alphabet = ['a', 'é', '€', '😀', '\n'];
    for (const max of [1, 2, 3, 7, 64, 1000, 4096]) {
      const t = new OutputTail(max);
      const all: Buffer[] = [];
      for (let i = 0; i < 300; i++) {
        let s = '';
        const len = Math.floor(rand() * 50);
        for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
        // Split the chunk at an arbitrary byte: characters arrive cut across chunks.
        const b = Buffer.from(s);
        const at = Math.floor(rand() * (b.length + 1));
        for (const part of [b.subarray(0, at), b.subarray(at)]) {
          t.push(part);
          all.push(part);
          assert.ok(t.bufferedBytes <= Math.max(max, 0));
        }
        assert.equal(t.text(), expected(Buffer.concat(all), max), `max ${max}, chunk ${i}`);
      }
    }
  });

  it('holds at most maxBytes while 5 MB go through', () => {
    const t = new OutputTail(16_384);
    const chunk = Buffer.from('€'.repeat(21_845) + 'x'); // 65,536 bytes
    for (let i = 0; i < 80; i++) t.push(chunk);
    assert.equal(t.bufferedBytes, 16_384);
    assert.equal(t.totalBytes, 80 * 65_536);
    const text = t.text()!;
    // 16,383 = 5,461 euro signs before the x: the cut falls between two characters.
    assert.ok(text.startsWith(cutMarker(80 * 65_536 - 16_384)));
    assert.ok(text.endsWith('€€x'));
  });
});

describe('cutTail', () => {
  it('leaves text that fits as it is', () => {
    assert.equal(cutTail('short', 5), 'short');
    assert.equal(cutTail('…[9 bytes before]\nabc', 3), '…[9 bytes before]\nabc');
  });

  it('cuts to the last bytes, UTF-8 safe, and adds to an existing marker', () => {
    assert.equal(cutTail('hello world', 5), '…[6 bytes before]\nworld');
    assert.equal(cutTail('a€b', 3), '…[4 bytes before]\nb');
    assert.equal(cutTail('…[9 bytes before]\nabcdef', 2), '…[13 bytes before]\nef');
    assert.equal(cutTail('abc', 0), '…[3 bytes before]\n');
  });
});
