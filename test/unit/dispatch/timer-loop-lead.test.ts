// The timer loop's claim lead: an entry is handed out leadMs before it is due,
// never earlier; without a lead, never before it is due.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeapEntry } from '../../../src/schedule/slot-heap.js';
import { TimerLoop } from '../../../src/dispatch/timer-loop.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');

function loop(leadMs: number | undefined, nowMs: { value: number }) {
  const handed: Array<{ due: HeapEntry[]; nowMs: number }> = [];
  const timer = new TimerLoop({
    clock: { now: () => nowMs.value },
    onDue: (due, now) => handed.push({ due, nowMs: now }),
    ...(leadMs === undefined ? {} : { leadMs }),
  });
  return { timer, handed };
}

describe('timer loop lead', () => {
  it('hands out an entry within its lead, and not before', () => {
    const now = { value: T0 };
    const { timer, handed } = loop(200, now);
    timer.push({ job: 1, dueMs: T0 + 1_000 });
    timer.push({ job: 2, dueMs: T0 + 1_150 });
    timer.push({ job: 3, dueMs: T0 + 1_300 });
    now.value = T0 + 799; // both still more than 200 ms away
    timer.start();
    assert.equal(handed.length, 0);
    timer.stop();
    now.value = T0 + 950; // 1 and 2 are within the lead, 3 is not
    timer.start();
    timer.stop();
    assert.deepEqual(
      handed.flatMap((h) => h.due.map((e) => e.job)),
      [1, 2],
    );
    assert.ok(handed.every((h) => h.due.every((e) => e.dueMs - h.nowMs <= 200)));
  });

  it('without a lead, hands out nothing before it is due', () => {
    const now = { value: T0 + 999 };
    const { timer, handed } = loop(undefined, now);
    timer.push({ job: 1, dueMs: T0 + 1_000 });
    timer.start();
    timer.stop();
    assert.equal(handed.length, 0);
    now.value = T0 + 1_000;
    timer.start();
    timer.stop();
    assert.deepEqual(handed[0]?.due, [{ job: 1, dueMs: T0 + 1_000 }]);
  });
});
