// The compact cron matcher must agree with croner on every pattern it accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cron } from 'croner';
import fc from 'fast-check';
import { compactNext, compactPrevious, parseCompactPattern } from '../../../src/schedule/compact-cron.js';

const croner = (pattern: string) =>
  new Cron(pattern, { paused: true, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', timezone: 'UTC' });

/** A field of the compact subset: *, ?, a number, a range, a step, or a list of them. */
const field = (lo: number, hi: number, question = false) => {
  const n = fc.integer({ min: lo, max: hi });
  const part = fc.oneof(
    fc.constant('*'),
    n.map(String),
    fc.tuple(n, n).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.integer({ min: 1, max: hi - lo + 1 }).map((s) => `*/${s}`),
    fc
      .tuple(n, n, fc.integer({ min: 1, max: 9 }))
      .map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
    ...(question ? [fc.constant('?')] : []),
  );
  return fc.oneof(
    part,
    fc.array(n, { minLength: 2, maxLength: 4 }).map((xs) => xs.join(',')),
  );
};
const pattern = fc
  .tuple(
    field(0, 59),
    field(0, 59),
    field(0, 23),
    field(1, 31, true),
    field(1, 12),
    field(0, 7, true),
    fc.boolean(),
  )
  .map(([s, m, h, dom, mon, dow, seconds]) =>
    (seconds ? [s, m, h, dom, mon, dow] : [m, h, dom, mon, dow]).join(' '),
  );
const instant = fc.integer({
  min: Date.parse('2000-01-01T00:00:00Z'),
  max: Date.parse('2040-01-01T00:00:00Z'),
});

describe('compact cron', () => {
  it('finds the same next and previous slots as croner (UTC)', () => {
    fc.assert(
      fc.property(pattern, instant, (p, at) => {
        const compact = parseCompactPattern(p);
        // A few generated steps are longer than their field: croner refuses those, and so does the subset.
        fc.pre(compact !== undefined);
        const next = compactNext(compact, at);
        if (next !== undefined)
          assert.equal(
            next,
            croner(p).nextRun(new Date(at))?.getTime(),
            `next of '${p}' after ${new Date(at).toISOString()}`,
          );
        const prev = compactPrevious(compact, at);
        if (prev !== undefined) {
          assert.equal(
            prev,
            croner(p).previousRuns(1, new Date(at))[0]?.getTime(),
            `previous of '${p}' before ${new Date(at).toISOString()}`,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves everything else to croner', () => {
    for (const p of [
      '@daily',
      '0 0 L * *',
      '0 0 * * MON',
      '0 0 * JAN *',
      '0 0 * * 5#2',
      '0 0 1W * *',
      '* * * * * * *',
      '60 * * * *',
      '*/0 * * * *',
      '5/10 * * * *',
      '*/61 * * * * *',
      '0 0 0 * *',
      '1, * * * *',
      ',1 * * * *',
      '1,,2 * * * *',
      '1- * * * *',
      '-1 * * * *',
      '*/ * * * *',
      '1-5/2/3 * * * *',
      '*5 * * * *',
      '*-5 * * * *',
      '0 0 ?/2 * *',
      '0 0 * * ??',
      '0 0 * 1.5 *',
      '0 0 * *',
      '99999999999 * * * *',
    ]) {
      assert.equal(parseCompactPattern(p), undefined, p);
    }
  });

  it('treats 7 as Sunday and steps a range', () => {
    const p = parseCompactPattern('0 12 * * 7')!;
    assert.equal(
      new Date(compactNext(p, Date.parse('2026-06-01T00:00:00Z'))!).toISOString(),
      '2026-06-07T12:00:00.000Z',
    );
    const q = parseCompactPattern('*/20 9-17/4 * * *')!;
    assert.equal(
      new Date(compactNext(q, Date.parse('2026-06-01T13:40:00Z'))!).toISOString(),
      '2026-06-01T17:00:00.000Z',
    );
    assert.equal(
      new Date(compactPrevious(q, Date.parse('2026-06-01T09:00:00Z'))!).toISOString(),
      '2026-05-31T17:40:00.000Z',
    );
  });
});
