// Catch-up progress at fixed instants: the rate so far and the time left at it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchUpFigures, describeCatchUp } from '../../../src/status/catch-up-progress.js';

const T = Date.parse('2026-12-05T00:00:00Z');

test('rate and time left from the runs done so far', () => {
  const f = catchUpFigures({ done: 120, total: 500, startedAtMs: T }, T + 40_000);
  assert.deepEqual(f, { done: 120, total: 500, ratePerSecond: 3, leftMs: 126_667 });
  assert.equal(describeCatchUp(f), 'catch-up 120/500 runs, 3/s, about 2m7s left');
});

test('no rate before the first second or the first run', () => {
  assert.equal(
    describeCatchUp(catchUpFigures({ done: 5, total: 10, startedAtMs: T }, T + 500)),
    'catch-up 5/10 runs',
  );
  assert.equal(
    describeCatchUp(catchUpFigures({ done: 0, total: 10, startedAtMs: T }, T + 5_000)),
    'catch-up 0/10 runs',
  );
});
