import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PlanJobInput } from '../../../src/catchup/plan-catch-up.js';
import { planDueSlots } from '../../../src/catchup/plan-due-slots.js';
import type { CatchupPolicy } from '../../../src/config/types.js';
import { createSlotCalculator } from '../../../src/schedule/slot-calculator.js';
import { MIN } from '../../support/time.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');

function perMinute(catchup: CatchupPolicy, maxCatchup = 100): PlanJobInput {
  return {
    name: 'job',
    slots: createSlotCalculator({ kind: 'cron', pattern: '* * * * *', timezone: 'UTC' }),
    catchup,
    catchupWindowMs: 24 * 60 * MIN,
    maxCatchup,
    backfillFromMs: undefined,
  };
}

describe('planDueSlots', () => {
  test('the usual case: exactly the due slot, as a regular run', () => {
    const due = planDueSlots(perMinute('all'), T0, T0 + MIN, T0 + MIN + 3);
    assert.deepEqual(due.slots, [{ scheduledAtMs: T0 + MIN, catchup: false }]);
    assert.equal(due.missed, undefined);
    assert.equal(due.plannedUpToMs, T0 + MIN);
  });

  test('a late timer (before the next slot) is still one regular run', () => {
    const due = planDueSlots(perMinute('all'), T0, T0 + MIN, T0 + MIN + 59_000);
    assert.deepEqual(due.slots, [{ scheduledAtMs: T0 + MIN, catchup: false }]);
  });

  const jump = { last: T0, due: T0 + MIN, now: T0 + 60 * MIN + 30_000 }; // clock jumped forward by an hour
  test('forward clock jump, catchup all: the missed slots as catch-up, the newest as regular', () => {
    const due = planDueSlots(perMinute('all'), jump.last, jump.due, jump.now);
    assert.equal(due.slots.length, 60);
    assert.deepEqual(due.slots[0], { scheduledAtMs: T0 + MIN, catchup: true });
    assert.deepEqual(due.slots[58], { scheduledAtMs: T0 + 59 * MIN, catchup: true });
    assert.deepEqual(due.slots[59], { scheduledAtMs: T0 + 60 * MIN, catchup: false });
    assert.equal(due.plannedUpToMs, T0 + 60 * MIN);
    assert.equal(due.missed?.missed, 60);
  });

  test('forward clock jump, catchup all with maxCatchup: older ones dropped and counted', () => {
    const due = planDueSlots(perMinute('all', 5), jump.last, jump.due, jump.now);
    // maxCatchup 5 covers the newest 5 slots, the newest of which is the regular run.
    assert.deepEqual(
      due.slots.map((s) => [s.scheduledAtMs, s.catchup]),
      [
        [T0 + 56 * MIN, true],
        [T0 + 57 * MIN, true],
        [T0 + 58 * MIN, true],
        [T0 + 59 * MIN, true],
        [T0 + 60 * MIN, false],
      ],
    );
    assert.equal(due.missed?.dropped, 55);
  });

  test('forward clock jump, catchup latest or none: only the newest, as a regular run', () => {
    for (const policy of ['latest', 'none'] as const) {
      const due = planDueSlots(perMinute(policy), jump.last, jump.due, jump.now);
      assert.deepEqual(due.slots, [{ scheduledAtMs: T0 + 60 * MIN, catchup: false }], policy);
      assert.equal(due.plannedUpToMs, T0 + 60 * MIN);
    }
  });

  test('slots are strictly increasing and never at or before plannedUpTo', () => {
    const due = planDueSlots(perMinute('all'), jump.last, jump.due, jump.now);
    let prev = jump.last;
    for (const s of due.slots) {
      assert.ok(s.scheduledAtMs > prev);
      prev = s.scheduledAtMs;
    }
  });
});
