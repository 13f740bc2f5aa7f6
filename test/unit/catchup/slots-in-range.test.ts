// The slot lists behind `cronkeeper next` and `cronkeeper backfill`: the
// scheduler's own calculator, DST nights included, bounded ranges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TooManySlotsError, nextSlots, slotsInRange } from '../../../src/catchup/slots-in-range.js';
import { localTime } from '../../../src/commands/next-command.js';
import { createSlotCalculator } from '../../../src/schedule/slot-calculator.js';
import { iso } from '../../support/time.js';

const berlin230 = createSlotCalculator({ kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' });

test('next: a 02:30 Berlin job across the spring-forward night runs once, at 03:00 CEST (the skipped hour ends)', () => {
  const slots = nextSlots(berlin230, Date.parse('2026-03-27T12:00:00Z'), 3);
  assert.deepEqual(slots.map(iso), [
    '2026-03-28T01:30:00.000Z',
    '2026-03-29T01:00:00.000Z',
    '2026-03-30T00:30:00.000Z',
  ]);
  assert.deepEqual(
    slots.map((ms) => localTime(ms, 'Europe/Berlin')),
    ['2026-03-28 02:30:00 +01:00', '2026-03-29 03:00:00 +02:00', '2026-03-30 02:30:00 +02:00'],
  );
});

test('next: across the fall-back night the 02:30 slot comes once, with its offset', () => {
  const slots = nextSlots(berlin230, Date.parse('2026-10-24T12:00:00Z'), 2);
  assert.deepEqual(
    slots.map((ms) => localTime(ms, 'Europe/Berlin')),
    ['2026-10-25 02:30:00 +02:00', '2026-10-26 02:30:00 +01:00'],
  );
  assert.equal(localTime(Date.parse('2026-01-01T00:00:00Z'), 'UTC'), '2026-01-01 00:00:00 +00:00');
});

test('next: a schedule with no slot at all gives none', () => {
  const never = createSlotCalculator({ kind: 'cron', pattern: '0 0 0 30 2 *', timezone: 'UTC' });
  assert.deepEqual(nextSlots(never, Date.parse('2025-06-01T00:00:00Z'), 5), []);
});

test('backfill range: both ends included, oldest first', () => {
  const every = createSlotCalculator({ kind: 'every', everyMs: 60_000, offsetMs: 0 });
  const from = Date.parse('2026-11-01T00:00:00Z');
  assert.deepEqual(slotsInRange(every, from, from + 180_000).map(iso), [
    '2026-11-01T00:00:00.000Z',
    '2026-11-01T00:01:00.000Z',
    '2026-11-01T00:02:00.000Z',
    '2026-11-01T00:03:00.000Z',
  ]);
  assert.deepEqual(slotsInRange(every, from + 1, from + 59_999), []);
});

test('backfill range: past the limit it refuses instead of claiming a mistake', () => {
  const perSecond = createSlotCalculator({ kind: 'every', everyMs: 1_000, offsetMs: 0 });
  assert.equal(slotsInRange(perSecond, 0, 9_000, 10).length, 10);
  assert.throws(() => slotsInRange(perSecond, 0, 10_000, 10), TooManySlotsError);
});
