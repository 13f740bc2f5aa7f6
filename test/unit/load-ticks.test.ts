// The judge of the load runs (chaos/load-ticks.ts): which tick slots were due
// in a window, which ran, which were missed (and why, by the ledger), which
// ran twice, and the start lateness. Fixed instants, no clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TickRun, judgeTicks, percentile } from '../../chaos/load-ticks.js';

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const run = (s: number, lateMs: number, catchup = false): TickRun => ({
  scheduledAtMs: T0 + s * 1000,
  startedAtMs: T0 + s * 1000 + lateMs,
  catchup,
  runId: s,
});

describe('judgeTicks', () => {
  it('counts every whole second in (from, to]: the edges are not due', () => {
    const f = judgeTicks([run(0, 5), run(1, 5), run(2, 5), run(3, 5)], null, {
      fromMs: T0 + 300,
      toMs: T0 + 3000,
    });
    // due: 1, 2, 3 (0 lies before the window)
    assert.deepEqual([f.due, f.run, f.missed, f.duplicated], [3, 3, 0, 0]);
  });

  it('a slot without a line is missed, with the ledger reason; two lines are a duplicate', () => {
    const f = judgeTicks(
      [run(1, 4), run(1, 9), run(4, 700, true)],
      [
        { scheduledAtMs: T0 + 1000, outcome: 'success', startedAtMs: T0 + 1002 },
        { scheduledAtMs: T0 + 2000, outcome: 'skipped', startedAtMs: null },
        { scheduledAtMs: T0 + 3000, outcome: null, startedAtMs: T0 + 3001 },
        { scheduledAtMs: T0 + 4000, outcome: 'success', startedAtMs: T0 + 4650 },
        { scheduledAtMs: T0 + 5000, outcome: 'success', startedAtMs: T0 + 5003 },
      ],
      { fromMs: T0, toMs: T0 + 6000 },
    );
    assert.deepEqual([f.due, f.run, f.missed, f.duplicated, f.catchupRuns], [6, 2, 4, 1, 1]);
    assert.deepEqual(f.missedBy, {
      skipped: 1,
      unfinished: 1,
      'success recorded, no output': 1,
      'never claimed': 1,
    });
    // lateness of the first line of each slot that ran: 4 and 700 ms
    assert.deepEqual(f.lateness, { p50: 4, p99: 700, max: 700 });
    // the daemon's part, from the ledger's started_at of the same slots: 2 and 650 ms
    assert.deepEqual(f.daemonLateness, { p50: 2, p99: 650, max: 650 });
  });

  it('without the ledger the reason is unknown, the count is not', () => {
    const f = judgeTicks([], null, { fromMs: T0, toMs: T0 + 2000 });
    assert.deepEqual([f.due, f.missed, f.lateness], [2, 2, null]);
    assert.deepEqual(f.missedBy, { unknown: 2 });
  });
});

describe('percentile', () => {
  it('nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 0.5), 50);
    assert.equal(percentile(values, 0.99), 99);
    assert.equal(percentile([7], 0.99), 7);
  });
});
