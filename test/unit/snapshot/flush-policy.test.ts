import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFlushDue, nextFlushAt, type FlushLimits } from '../../../src/snapshot/flush-policy.js';

const T0 = Date.parse('2026-05-01T12:00:00Z');
const limits: FlushLimits = { intervalMs: 60_000, maxUpdates: 100 };

describe('isFlushDue', () => {
  const cases: Array<{ name: string; lastFlushMs: number; updates: number; nowMs: number; due: boolean }> = [
    {
      name: 'nothing to flush, interval long passed',
      lastFlushMs: T0,
      updates: 0,
      nowMs: T0 + 3_600_000,
      due: false,
    },
    {
      name: 'nothing to flush, backward clock jump',
      lastFlushMs: T0,
      updates: 0,
      nowMs: T0 - 3_600_000,
      due: false,
    },
    {
      name: 'one update, interval not yet passed',
      lastFlushMs: T0,
      updates: 1,
      nowMs: T0 + 59_999,
      due: false,
    },
    {
      name: 'one update, interval exactly passed',
      lastFlushMs: T0,
      updates: 1,
      nowMs: T0 + 60_000,
      due: true,
    },
    { name: 'one update, interval well passed', lastFlushMs: T0, updates: 1, nowMs: T0 + 600_000, due: true },
    { name: 'one below maxUpdates, fresh', lastFlushMs: T0, updates: 99, nowMs: T0 + 1, due: false },
    { name: 'maxUpdates reached, fresh', lastFlushMs: T0, updates: 100, nowMs: T0 + 1, due: true },
    { name: 'maxUpdates exceeded, same instant', lastFlushMs: T0, updates: 250, nowMs: T0, due: true },
    { name: 'backward clock jump with updates', lastFlushMs: T0, updates: 1, nowMs: T0 - 1, due: true },
    {
      name: 'large backward clock jump with updates',
      lastFlushMs: T0,
      updates: 3,
      nowMs: T0 - 86_400_000,
      due: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(
        isFlushDue({ lastFlushMs: c.lastFlushMs, updatesSinceFlush: c.updates }, limits, c.nowMs),
        c.due,
      );
    });
  }

  it('maxUpdates 1 flushes after every claim', () => {
    const one: FlushLimits = { intervalMs: 3_600_000, maxUpdates: 1 };
    assert.equal(isFlushDue({ lastFlushMs: T0, updatesSinceFlush: 0 }, one, T0), false);
    assert.equal(isFlushDue({ lastFlushMs: T0, updatesSinceFlush: 1 }, one, T0), true);
  });
});

describe('nextFlushAt', () => {
  it('is undefined when there is nothing to flush', () => {
    assert.equal(nextFlushAt({ lastFlushMs: T0, updatesSinceFlush: 0 }, limits), undefined);
  });

  it('is the last flush plus the interval when there is something to flush', () => {
    assert.equal(nextFlushAt({ lastFlushMs: T0, updatesSinceFlush: 1 }, limits), T0 + 60_000);
    assert.equal(nextFlushAt({ lastFlushMs: T0, updatesSinceFlush: 99 }, limits), T0 + 60_000);
  });

  it('agrees with isFlushDue on the interval rule', () => {
    const state = { lastFlushMs: T0, updatesSinceFlush: 5 };
    const at = nextFlushAt(state, limits);
    assert.ok(at !== undefined);
    assert.equal(isFlushDue(state, limits, at - 1), false);
    assert.equal(isFlushDue(state, limits, at), true);
  });
});
