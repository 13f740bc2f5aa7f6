import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatternCheck, checkCronPattern } from '../../../src/schedule/pattern-check.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');

describe('pattern check', () => {
  it('says why a pattern cannot be used, the same through the per-reading check', () => {
    const cases: Array<[string, string, RegExp | undefined]> = [
      ['0 3 * * *', 'UTC', undefined],
      ['*/5 * * * * *', 'Europe/Berlin', undefined],
      ['@daily', 'America/New_York', undefined],
      ['0 0 31 2 *', 'UTC', /never matches a date/],
      ['61 * * * *', 'UTC', /minute '61' is out of range/],
      ['* * *', 'UTC', /has 3 fields/],
      ['0 3 * * *', 'Mars/Olympus', /unknown time zone/],
    ];
    const check = new PatternCheck(NOW);
    for (const [pattern, zone, why] of cases) {
      const direct = checkCronPattern(pattern, zone, NOW);
      // Asked twice: the second answer is the remembered one.
      for (const remembered of [check.check(pattern, zone), check.check(pattern, zone)]) {
        assert.equal(remembered, direct, `${pattern} in ${zone}`);
        if (why) assert.match(remembered ?? '', why, `${pattern} in ${zone}`);
        else assert.equal(remembered, undefined, `${pattern} in ${zone}`);
      }
    }
  });
});
