// The zoned fast path of the slot calculator (UTC arithmetic on the wall clock,
// shifted by the zone offset) must agree with croner's own zoned arithmetic
// everywhere, DST days included; and the shared calculator state must not
// change an answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cron } from 'croner';
import fc from 'fast-check';
import { newCron, sharesYearTable } from '../../../src/schedule/cron-calculator.js';
import { checkCronPattern } from '../../../src/schedule/pattern-check.js';
import { createSlotCalculator, SlotCalculators } from '../../../src/schedule/slot-calculator.js';
import { zoneOffsetMs } from '../../../src/schedule/zone-offset.js';

const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'America/Santiago',
  'UTC',
];
const PATTERNS = [
  '* * * * * *',
  '*/7 * * * * *',
  '0 30 2 * * *',
  '15 2 * * *',
  '0 * * * *',
  '*/5 1-3 * * *',
  '0 0 0 * * 1-5',
  '30 45 23 L * *',
  '0 0 12 29 2 *',
];
/** Instants around the DST transitions of 2026 and ordinary days. */
const ANCHORS = [
  '2026-03-08T06:30:00Z', // New York springs forward at 07:00Z
  '2026-03-29T00:30:00Z', // Berlin springs forward at 01:00Z
  '2026-04-04T14:00:00Z', // Lord Howe falls back 30 min at 15:00Z
  '2026-04-05T02:30:00Z', // Santiago falls back
  '2026-10-25T00:30:00Z', // Berlin falls back at 01:00Z
  '2026-11-01T05:30:00Z', // New York falls back at 06:00Z
  '2026-06-15T12:00:00Z',
].map(Date.parse);

const reference = (pattern: string, zone: string) =>
  new Cron(pattern, { paused: true, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', timezone: zone });

describe('zoned slot calculator', () => {
  it('agrees with croner zoned arithmetic on next() and newest(), across DST transitions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PATTERNS),
        fc.constantFrom(...ZONES),
        fc.constantFrom(...ANCHORS),
        fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }),
        (pattern, zone, anchor, delta) => {
          const at = anchor + delta;
          const calc = createSlotCalculator({ kind: 'cron', pattern, timezone: zone });
          const ref = reference(pattern, zone);
          // Walk a few slots forward from `at`.
          let a = at;
          let b = at;
          for (let i = 0; i < 5; i++) {
            const x = calc.next(a);
            const y = ref.nextRun(new Date(b))?.getTime();
            assert.equal(x, y, `next after ${new Date(a).toISOString()} of '${pattern}' in ${zone}`);
            if (x === undefined || y === undefined) break;
            a = x;
            b = y;
          }
          const newest = calc.newest(4, at - 40 * 86_400_000, at);
          const expected = ref
            .previousRuns(4, new Date(at + 1))
            .map((d) => d.getTime())
            .filter((t) => t <= at && t > at - 40 * 86_400_000);
          assert.deepEqual(
            newest,
            expected,
            `newest before ${new Date(at).toISOString()} of '${pattern}' in ${zone}`,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives every job with the same (pattern, zone) one calculator, and its memo never changes an answer', () => {
    const calculators = new SlotCalculators();
    const spec = { kind: 'cron', pattern: '0 */5 * * * *', timezone: 'Europe/Berlin' } as const;
    const a = calculators.forSchedule(spec);
    const b = calculators.forSchedule({ ...spec });
    assert.equal(a, b);
    // Owned, not process-wide: another owner (a CLI command, another daemon in a test) has its own.
    assert.notEqual(new SlotCalculators().forSchedule(spec), a);
    const t = Date.parse('2026-03-29T00:58:00Z');
    assert.equal(a.next(t), b.next(t));
    assert.deepEqual(a.newest(3, t - 3_600_000, t), [
      Date.parse('2026-03-29T00:55:00Z'),
      Date.parse('2026-03-29T00:50:00Z'),
      Date.parse('2026-03-29T00:45:00Z'),
    ]);
    // The memoized answer is a copy: a caller that changes it changes nothing shared.
    a.newest(3, t - 3_600_000, t).reverse();
    assert.equal(a.newest(3, t - 3_600_000, t)[0], Date.parse('2026-03-29T00:55:00Z'));
  });
});

describe('zone offsets', () => {
  it('are exact on both sides of a transition', () => {
    assert.equal(zoneOffsetMs('Europe/Berlin', Date.parse('2026-03-29T00:59:59.999Z')), 3_600_000);
    assert.equal(zoneOffsetMs('Europe/Berlin', Date.parse('2026-03-29T01:00:00Z')), 7_200_000);
    assert.equal(zoneOffsetMs('Australia/Lord_Howe', Date.parse('2026-04-04T14:59:59Z')), 11 * 3_600_000);
    assert.equal(zoneOffsetMs('Australia/Lord_Howe', Date.parse('2026-04-04T15:00:00Z')), 10.5 * 3_600_000);
    assert.equal(zoneOffsetMs('Asia/Kathmandu', Date.parse('2026-01-01T00:00:00.250Z')), 5.75 * 3_600_000);
  });
});

describe('cron calculators', () => {
  it('share one all-years table (patterns of 5 or 6 fields have no year field)', () => {
    const cron = newCron('1 2 3 * * *', 'Europe/Berlin');
    assert.equal(sharesYearTable(cron), true);
    assert.equal(cron.nextRun(new Date('2026-06-01T00:00:00Z'))?.toISOString(), '2026-06-01T01:02:01.000Z');
    assert.equal(
      newCron('0 0 29 2 *', 'UTC').nextRun(new Date('2026-06-01T00:00:00Z'))?.toISOString(),
      '2028-02-29T00:00:00.000Z',
    );
  });

  it('answers a repeated pattern check as the first one', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    for (let i = 0; i < 2; i++) {
      assert.equal(checkCronPattern('0 12 1 6 *', 'Asia/Kolkata', now), undefined);
      assert.equal(checkCronPattern('0 12 1 6 *', 'Asia/Kolkata', now - 86_400_000), undefined);
      assert.match(checkCronPattern('0 0 31 2 *', 'UTC', now + i) ?? '', /never matches/);
      assert.match(checkCronPattern('* * *', 'Mars/Olympus', now) ?? '', /unknown time zone/);
    }
  });
});
