import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateFreshness, mergeFacts } from '../../../src/status/freshness.js';

const H = 3_600_000;
const T0 = Date.parse('2026-03-29T00:00:00.000Z');

describe('evaluateFreshness', () => {
  const cases: Array<{
    name: string;
    lastSuccessMs: number | undefined;
    firstKnownMs: number | undefined;
    maxAgeMs: number | undefined;
    nowMs: number;
    stale: boolean;
    staleAtMs: number | undefined;
  }> = [
    {
      name: 'a success within maxAge is fresh',
      lastSuccessMs: T0,
      firstKnownMs: T0 - 100 * H,
      maxAgeMs: 26 * H,
      nowMs: T0 + 25 * H,
      stale: false,
      staleAtMs: T0 + 26 * H,
    },
    {
      name: 'exactly maxAge old is not yet stale',
      lastSuccessMs: T0,
      firstKnownMs: undefined,
      maxAgeMs: 26 * H,
      nowMs: T0 + 26 * H,
      stale: false,
      staleAtMs: T0 + 26 * H,
    },
    {
      name: 'a success older than maxAge is stale',
      lastSuccessMs: T0,
      firstKnownMs: undefined,
      maxAgeMs: 26 * H,
      nowMs: T0 + 26 * H + 1,
      stale: true,
      staleAtMs: T0 + 26 * H,
    },
    {
      name: 'never succeeded: measured from when the job was first known (still fresh)',
      lastSuccessMs: undefined,
      firstKnownMs: T0,
      maxAgeMs: 2 * H,
      nowMs: T0 + H,
      stale: false,
      staleAtMs: T0 + 2 * H,
    },
    {
      name: 'never succeeded: stale once maxAge has passed since first known',
      lastSuccessMs: undefined,
      firstKnownMs: T0,
      maxAgeMs: 2 * H,
      nowMs: T0 + 3 * H,
      stale: true,
      staleAtMs: T0 + 2 * H,
    },
    {
      name: 'the success decides, not the first sighting',
      lastSuccessMs: T0 + 10 * H,
      firstKnownMs: T0,
      maxAgeMs: 2 * H,
      nowMs: T0 + 11 * H,
      stale: false,
      staleAtMs: T0 + 12 * H,
    },
    {
      name: 'no maxAge: never stale',
      lastSuccessMs: T0,
      firstKnownMs: T0,
      maxAgeMs: undefined,
      nowMs: T0 + 1000 * H,
      stale: false,
      staleAtMs: undefined,
    },
    {
      name: 'nothing known at all: no verdict',
      lastSuccessMs: undefined,
      firstKnownMs: undefined,
      maxAgeMs: H,
      nowMs: T0,
      stale: false,
      staleAtMs: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = evaluateFreshness(
        { lastSuccessMs: c.lastSuccessMs, firstKnownMs: c.firstKnownMs },
        c.maxAgeMs,
        c.nowMs,
      );
      assert.deepEqual(f, {
        lastSuccessMs: c.lastSuccessMs,
        maxAgeMs: c.maxAgeMs,
        stale: c.stale,
        staleAtMs: c.staleAtMs,
      });
    });
  }
});

describe('mergeFacts', () => {
  it('keeps the newest success and the oldest first sighting, whatever the order', () => {
    const a = { lastSuccessMs: T0 + H, firstKnownMs: T0 };
    const b = { lastSuccessMs: T0, firstKnownMs: T0 - H };
    const expected = { lastSuccessMs: T0 + H, firstKnownMs: T0 - H };
    assert.deepEqual(mergeFacts(a, b), expected);
    assert.deepEqual(mergeFacts(b, a), expected);
  });

  it('an unknown value never replaces a known one', () => {
    const known = { lastSuccessMs: T0, firstKnownMs: T0 - H };
    const none = { lastSuccessMs: undefined, firstKnownMs: undefined };
    assert.deepEqual(mergeFacts(known, none), known);
    assert.deepEqual(mergeFacts(none, known), known);
    assert.deepEqual(mergeFacts(undefined, known), known);
  });
});
