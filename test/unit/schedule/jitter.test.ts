import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelayMs, slotJitterMs, unitHash } from '../../../src/schedule/jitter.js';
import { HOUR } from '../../support/time.js';

const SLOT = Date.parse('2026-06-01T00:00:00Z');

describe('slotJitterMs', () => {
  test('is deterministic: the same job and slot give the same delay', () => {
    assert.equal(slotJitterMs('billing', SLOT, 30_000), slotJitterMs('billing', SLOT, 30_000));
    // Golden value: a change of the hash would move every jittered start in a fleet.
    assert.equal(
      slotJitterMs('billing', SLOT, 30_000),
      Math.floor(unitHash('jitter', 'billing', SLOT) * 30_000),
    );
  });

  test('stays in [0, jitter) and spreads a fleet of jobs at the same slot', () => {
    const delays = Array.from({ length: 1000 }, (_, i) => slotJitterMs(`job-${i}`, SLOT, 30_000));
    for (const d of delays) assert.ok(d >= 0 && d < 30_000 && Number.isInteger(d), String(d));
    // Spread: every tenth of the range is used by roughly a tenth of the jobs.
    const buckets = new Array(10).fill(0);
    for (const d of delays) buckets[Math.floor(d / 3000)]++;
    for (const b of buckets) assert.ok(b > 60 && b < 140, `bucket sizes ${buckets.join(',')}`);
  });

  test('differs per slot, and is 0 without jitter', () => {
    const hours = Array.from({ length: 24 }, (_, h) => slotJitterMs('billing', SLOT + h * HOUR, 60_000));
    assert.ok(new Set(hours).size > 20);
    assert.equal(slotJitterMs('billing', SLOT, 0), 0);
  });
});

describe('retryDelayMs', () => {
  const policy = { max: 5, backoffMs: 10_000, maxBackoffMs: 60_000 };
  test('is bounded by the exponential ceiling, capped by maxBackoff', () => {
    for (let job = 0; job < 200; job++) {
      for (let attempt = 2; attempt <= 7; attempt++) {
        const d = retryDelayMs(policy, `j${job}`, SLOT, attempt);
        const ceiling = Math.min(60_000, 10_000 * 2 ** (attempt - 2));
        assert.ok(d >= 0 && d <= ceiling, `attempt ${attempt}: ${d} > ${ceiling}`);
      }
    }
  });

  test('is deterministic per job, slot and attempt (every node agrees), and jittered across jobs', () => {
    assert.equal(retryDelayMs(policy, 'a', SLOT, 3), retryDelayMs(policy, 'a', SLOT, 3));
    const spread = new Set(Array.from({ length: 50 }, (_, i) => retryDelayMs(policy, `j${i}`, SLOT, 3)));
    assert.ok(spread.size > 45, 'full jitter: different jobs retry at different times');
  });

  test('grows on average with the attempt number', () => {
    const mean = (attempt: number) =>
      Array.from({ length: 500 }, (_, i) => retryDelayMs(policy, `j${i}`, SLOT, attempt)).reduce(
        (a, b) => a + b,
      ) / 500;
    assert.ok(mean(3) > mean(2) * 1.5);
    assert.ok(mean(4) > mean(3) * 1.5);
    assert.ok(Math.abs(mean(7) - 30_000) < 4_000, 'capped: the mean of a uniform [0, 60 s] is 30 s');
  });
});
