import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { startTimer } from '../../../src/run/run-fields.js';

const DAY = 86_400_000;
const MINUTE = 60_000;

/** Advances the mocked clock a minute at a time: a timer set from a callback counts from its own instant. */
function advance(ms: number): void {
  for (let left = ms; left > 0; left -= MINUTE) mock.timers.tick(Math.min(MINUTE, left));
}

describe('startTimer', () => {
  it('waits out a delay longer than setTimeout can hold (timeout: 30d), and no longer', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let fired = 0;
      startTimer(30 * DAY, () => fired++);
      advance(25 * DAY);
      assert.equal(fired, 0, 'not at 25 days (setTimeout alone fires at once past ~24.8 days)');
      advance(5 * DAY - MINUTE);
      assert.equal(fired, 0, 'not a minute early');
      // Each step of the wait is set when the previous one fires, here at the end of a minute's tick.
      advance(2 * MINUTE);
      assert.equal(fired, 1);
      advance(10 * DAY);
      assert.equal(fired, 1, 'once');
    } finally {
      mock.timers.reset();
    }
  });

  it('is cleared at any step; no timer for a delay that is not a positive finite number', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let fired = 0;
      const t = startTimer(60 * DAY, () => fired++);
      advance(40 * DAY);
      t!.clear();
      advance(40 * DAY);
      assert.equal(fired, 0);
      for (const ms of [0, -1, NaN, Infinity])
        assert.equal(
          startTimer(ms, () => fired++),
          undefined,
        );
    } finally {
      mock.timers.reset();
    }
  });
});
