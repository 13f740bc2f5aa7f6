import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../../src/schedule/duration.js';

describe('parseDuration', () => {
  const good: Array<[string, number]> = [
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['1d2h3m4s5ms', 86_400_000 + 7_200_000 + 180_000 + 4_000 + 5],
    ['0s', 0],
    ['  90s  ', 90_000],
  ];
  for (const [text, ms] of good) {
    it(`parses '${text}' as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  const bad = ['', '   ', '5', '5x', 'h', '-1s', 's5', '1.5', '5m!', 'ms'];
  for (const text of bad) {
    it(`rejects '${text}'`, () => {
      assert.equal(parseDuration(text), undefined);
    });
  }

  it('is not confused by a previous call (regex state is reset)', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('5x'), undefined);
    assert.equal(parseDuration('90s'), 90_000);
  });
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [500, '500ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [90_000, '1m30s'],
    [900_000, '15m'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [604_800_000, '7d'],
    [86_400_000 + 3_600_000 + 60_000 + 1_000, '1d1h1m1s'],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms} ms as '${text}'`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }

  it('round-trips whole seconds through parseDuration', () => {
    for (const ms of [1_000, 59_000, 61_000, 3_599_000, 3_600_000, 90_061_000, 694_861_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, `round trip of ${ms}`);
    }
  });
});
