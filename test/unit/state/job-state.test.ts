import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobState, keyedByConfig } from '../../../src/state/job-state.js';
import type { ClaimedSlot } from '../../../src/schedule/slot.js';
import { DAY, MIN } from '../../support/time.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');

function claim(job: string, scheduledAtMs: number, runId: number): ClaimedSlot {
  return { job, scheduledAtMs, runId, catchup: false };
}

describe('JobState.recordClaims', () => {
  it('records the scheduled time of a claimed slot and the high-water mark', () => {
    const state = new JobState(new Map(), 0, T0);
    state.recordClaims([claim('a', T0 + MIN, 1), claim('b', T0 + 2 * MIN, 2)]);
    assert.deepEqual(
      [...state.lastExecution],
      [
        ['a', T0 + MIN],
        ['b', T0 + 2 * MIN],
      ],
    );
    assert.equal(state.highWater, 2);
  });

  it('advances lastExecution monotonically: an older slot never moves it back', () => {
    const state = new JobState(new Map([['a', T0 + 10 * MIN]]), 5, T0);
    state.recordClaims([claim('a', T0 + 5 * MIN, 6)]);
    assert.equal(state.lastExecution.get('a'), T0 + 10 * MIN);
    state.recordClaims([claim('a', T0 + 10 * MIN, 7)]);
    assert.equal(state.lastExecution.get('a'), T0 + 10 * MIN);
    state.recordClaims([claim('a', T0 + 11 * MIN, 8), claim('a', T0 + 3 * MIN, 9)]);
    assert.equal(state.lastExecution.get('a'), T0 + 11 * MIN);
    assert.equal(state.highWater, 9);
  });

  it('keeps the highest run id as the high-water mark', () => {
    const state = new JobState(new Map(), 100, T0);
    state.recordClaims([claim('a', T0, 50)]);
    assert.equal(state.highWater, 100);
    state.recordClaims([claim('a', T0 + MIN, 101), claim('b', T0, 99)]);
    assert.equal(state.highWater, 101);
    state.recordClaims([claim('c', T0, Number.MAX_SAFE_INTEGER)]);
    assert.equal(state.highWater, Number.MAX_SAFE_INTEGER);
  });

  it('counts updates since the last flush, one per claim, including ones that do not advance', () => {
    const state = new JobState(new Map([['a', T0 + DAY]]), 0, T0);
    assert.equal(state.updatesSinceFlush, 0);
    state.recordClaims([claim('a', T0, 1), claim('b', T0, 2), claim('c', T0, 3)]);
    assert.equal(state.updatesSinceFlush, 3);
    state.recordClaims([]);
    assert.equal(state.updatesSinceFlush, 3);
    state.setBaseline('d', T0);
    assert.equal(state.updatesSinceFlush, 4);
    assert.equal(state.lastFlushMs, T0);
  });

  it('setBaseline never moves a job back either', () => {
    const state = new JobState(new Map([['a', T0]]), 0, T0);
    state.setBaseline('a', T0 - DAY);
    assert.equal(state.lastExecution.get('a'), T0);
    state.setBaseline('b', T0 - DAY);
    assert.equal(state.lastExecution.get('b'), T0 - DAY);
  });
});

describe('JobState.prune', () => {
  it('removes only unconfigured jobs older than the cutoff', () => {
    const state = new JobState(
      new Map([
        ['kept-configured-old', T0 - 10 * DAY],
        ['gone-old', T0 - 10 * DAY],
        ['gone-recent', T0 - DAY],
        ['gone-at-cutoff', T0 - 7 * DAY],
        ['kept-configured-recent', T0],
      ]),
      0,
      T0,
    );
    const configured = new Set(['kept-configured-old', 'kept-configured-recent']);
    const removed = state.prune(configured, T0 - 7 * DAY);
    assert.deepEqual(removed, ['gone-old']);
    assert.deepEqual([...state.lastExecution.keys()].sort(), [
      'gone-at-cutoff',
      'gone-recent',
      'kept-configured-old',
      'kept-configured-recent',
    ]);
    assert.equal(state.updatesSinceFlush, 1, 'a prune that removed something is a change to flush');
  });

  it('is not a change when nothing is removed', () => {
    const state = new JobState(new Map([['a', T0 - 10 * DAY]]), 0, T0);
    assert.deepEqual(state.prune(new Set(['a']), T0), []);
    assert.equal(state.updatesSinceFlush, 0);
    assert.equal(state.lastExecution.get('a'), T0 - 10 * DAY);
  });
});

describe('JobState.toSnapshot', () => {
  it('captures the state at the time of the call', () => {
    const state = new JobState(new Map([['a', T0]]), 7, T0);
    const snap = state.toSnapshot(T0 + MIN, 3);
    assert.equal(snap.createdAtMs, T0 + MIN);
    assert.equal(snap.epoch, 3);
    assert.equal(snap.highWater, 7);
    assert.deepEqual([...snap.lastExecution], [['a', T0]]);
  });

  it('is a view, not a copy: the writer encodes it before the state changes', () => {
    const state = new JobState(new Map([['a', T0]]), 7, T0);
    const snap = state.toSnapshot(T0 + MIN, 3);
    assert.equal(snap.lastExecution, state.lastExecution);
    state.recordClaims([claim('b', T0 + MIN, 9)]);
    assert.equal(snap.highWater, 7, 'the high-water mark is the one at the call');
  });
});

describe('keyedByConfig', () => {
  it('holds the same entries: configured jobs first in config order, then the others', () => {
    const restored = new Map([
      ['gone', T0 - DAY],
      ['b', T0 + 2],
      ['a', T0 + 1],
    ]);
    const keyed = keyedByConfig(restored, [{ name: 'a' }, { name: 'new' }, { name: 'b' }]);
    assert.deepEqual(
      [...keyed],
      [
        ['a', T0 + 1],
        ['b', T0 + 2],
        ['gone', T0 - DAY],
      ],
    );
    assert.notEqual(keyed, restored, 'a map of its own');
  });
});
