import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSlotCalculator, type SlotCalculator } from '../../../src/schedule/slot-calculator.js';
import { DAY, HOUR, MIN, SEC, T, iso } from '../../support/time.js';

const cron = (pattern: string, timezone = 'UTC'): SlotCalculator =>
  createSlotCalculator({ kind: 'cron', pattern, timezone });
const every = (everyMs: number, offsetMs = 0): SlotCalculator =>
  createSlotCalculator({ kind: 'every', everyMs, offsetMs });

/** Every slot in (afterMs, atOrBeforeMs] by walking next(), as ISO strings. */
function walk(calc: SlotCalculator, afterMs: number, atOrBeforeMs: number, limit = 10_000): string[] {
  const out: string[] = [];
  for (let s = calc.next(afterMs); s !== undefined && s <= atOrBeforeMs; s = calc.next(s)) {
    out.push(iso(s));
    assert.ok(out.length <= limit, 'walk ran away');
  }
  return out;
}

describe('cron slot calculator: next', () => {
  const minutely = cron('* * * * *');
  const at = T('2026-05-10T12:34:00Z');

  it('is strictly after its argument', () => {
    assert.equal(minutely.next(at), at + MIN);
    assert.equal(minutely.next(at - 1), at);
    assert.equal(minutely.next(at - MIN + 1), at);
    assert.equal(minutely.next(at + 59_999), at + MIN);
  });

  it('always moves forward when walked', () => {
    let s = at;
    for (let i = 0; i < 500; i++) {
      const n = minutely.next(s);
      assert.ok(n !== undefined && n > s);
      assert.equal(n - s, MIN);
      s = n;
    }
  });

  it('handles a 6-field pattern with seconds', () => {
    const perSecond = cron('* * * * * *');
    assert.equal(perSecond.next(at), at + SEC);
    assert.equal(perSecond.next(at + 1), at + SEC);
    const at15 = cron('15 * * * * *');
    assert.equal(at15.next(at), at + 15 * SEC);
    assert.equal(at15.next(at + 15 * SEC), at + MIN + 15 * SEC);
  });

  it('evaluates the pattern on the wall clock of the zone', () => {
    // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC.
    assert.equal(cron('0 9 * * *', 'Asia/Tokyo').next(T('2026-05-10T12:00:00Z')), T('2026-05-11T00:00:00Z'));
    // 09:00 in New York in May (EDT, UTC-4) is 13:00 UTC.
    assert.equal(
      cron('0 9 * * *', 'America/New_York').next(T('2026-05-10T12:00:00Z')),
      T('2026-05-10T13:00:00Z'),
    );
  });

  it('an impossible date (31 February) has no next slot, and does not hang', () => {
    const never = cron('0 0 31 2 *');
    assert.equal(never.next(T('2026-01-01T00:00:00Z')), undefined);
    assert.deepEqual(never.newest(5, T('2000-01-01T00:00:00Z'), T('2026-01-01T00:00:00Z')), []);
    assert.deepEqual(never.count(T('2000-01-01T00:00:00Z'), T('2026-01-01T00:00:00Z'), 100), {
      count: 0,
      exact: true,
    });
  });

  it('29 February occurs only in leap years', () => {
    const leap = cron('0 0 29 2 *');
    assert.equal(leap.next(T('2026-01-01T00:00:00Z')), T('2028-02-29T00:00:00Z'));
    assert.equal(leap.next(T('2028-02-29T00:00:00Z')), T('2032-02-29T00:00:00Z'));
    assert.deepEqual(leap.newest(3, T('2015-01-01T00:00:00Z'), T('2026-01-01T00:00:00Z')).map(iso), [
      '2024-02-29T00:00:00.000Z',
      '2020-02-29T00:00:00.000Z',
      '2016-02-29T00:00:00.000Z',
    ]);
    assert.deepEqual(leap.count(T('2015-01-01T00:00:00Z'), T('2026-01-01T00:00:00Z'), 100), {
      count: 3,
      exact: true,
    });
  });
});

describe('cron slot calculator: newest', () => {
  const minutely = cron('* * * * *');
  const now = T('2026-05-10T12:00:00Z');

  it('is newest first and includes a slot exactly at its upper bound', () => {
    assert.deepEqual(minutely.newest(3, now - HOUR, now), [now, now - MIN, now - 2 * MIN]);
  });

  it('excludes a slot exactly at its lower bound', () => {
    assert.deepEqual(minutely.newest(10, now - 3 * MIN, now), [now, now - MIN, now - 2 * MIN]);
  });

  it('is bounded on both ends with bounds between slots', () => {
    assert.deepEqual(minutely.newest(10, now - 3 * MIN - 1, now + 59_999), [
      now,
      now - MIN,
      now - 2 * MIN,
      now - 3 * MIN,
    ]);
    assert.deepEqual(minutely.newest(10, now - 3 * MIN + 1, now - 1), [now - MIN, now - 2 * MIN]);
  });

  it('returns at most n', () => {
    assert.equal(minutely.newest(5, now - DAY, now).length, 5);
    assert.deepEqual(minutely.newest(0, now - DAY, now), []);
    assert.deepEqual(minutely.newest(1, now - DAY, now), [now]);
  });

  it('is empty for an empty or inverted range', () => {
    assert.deepEqual(minutely.newest(5, now, now), []);
    assert.deepEqual(minutely.newest(5, now + MIN, now), []);
    assert.deepEqual(minutely.newest(5, now - MIN + 1, now - 1), []);
  });

  it('agrees with a walk over next()', () => {
    const daily = cron('30 2 * * *', 'Europe/Berlin');
    const from = T('2026-01-01T00:00:00Z');
    const to = T('2026-12-31T00:00:00Z');
    assert.deepEqual(daily.newest(400, from, to).map(iso).reverse(), walk(daily, from, to));
  });
});

describe('cron slot calculator: count', () => {
  const perSecond = cron('* * * * * *');
  const now = T('2026-05-10T12:00:00Z');

  it('counts (after, atOrBefore]', () => {
    assert.deepEqual(perSecond.count(now - 10 * SEC, now, 1000), { count: 10, exact: true });
    assert.deepEqual(perSecond.count(now - 10 * SEC - 1, now, 1000), { count: 11, exact: true });
    assert.deepEqual(perSecond.count(now, now, 1000), { count: 0, exact: true });
    assert.deepEqual(perSecond.count(now, now - SEC, 1000), { count: 0, exact: true });
  });

  it('is exact when the count equals the budget', () => {
    assert.deepEqual(perSecond.count(now - 10 * SEC, now, 10), { count: 10, exact: true });
  });

  it('past the budget, extrapolates and says so', () => {
    // 9 slots enumerated cover 9 s of the 10 s span: the estimate is 10.
    assert.deepEqual(perSecond.count(now - 10 * SEC, now, 9), { count: 10, exact: false });
    assert.deepEqual(perSecond.count(now - DAY, now, 100), { count: 86_400, exact: false });
    // A sparse pattern whose first slots are dense would be over-estimated, but never
    // under the enumerated count + 1.
    const r = cron('0 0 1 * *').count(now - 400 * DAY, now, 3);
    assert.equal(r.exact, false);
    assert.ok(r.count >= 4);
  });
});

describe('cron slot calculator: remembered answers', () => {
  const memoOf = (c: SlotCalculator) => c as unknown as { newestA?: unknown; countMemo?: unknown };

  it('answers a repeated question the same, and forgets the answers after the turn', async () => {
    // A pattern no other test uses: calculators are shared by (pattern, zone).
    const c = cron('17 3 * * *', 'Europe/Berlin');
    const from = T('2026-03-01T00:00:00Z');
    const to = T('2026-03-31T00:00:00Z');
    const first = c.newest(3, from, to);
    const again = c.newest(3, from, to);
    assert.deepEqual(again, first);
    again.push(0); // a caller's copy: the remembered answer stays as it was
    assert.deepEqual(c.newest(3, from, to), first);
    assert.deepEqual(c.count(from, to, 1000), { count: 30, exact: true });
    assert.ok(memoOf(c).newestA && memoOf(c).countMemo, 'remembered within the turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(memoOf(c).newestA, undefined, 'newest() answers forgotten');
    assert.equal(memoOf(c).countMemo, undefined, 'count() answer forgotten');
    assert.deepEqual(c.newest(3, from, to), first, 'and computed again the same');
    assert.deepEqual(c.count(from, to, 1000), { count: 30, exact: true });
  });
});

describe('cron slot calculator: DST (Vixie cron semantics via croner)', () => {
  // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (at 01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET (at 01:00Z).
  // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (at 07:00Z); 2026-11-01 02:00 EDT -> 01:00 EST (at 06:00Z).
  const cases: Array<{
    name: string;
    pattern: string;
    zone: string;
    from: string;
    to: string;
    want: string[];
  }> = [
    {
      name: 'Berlin 02:30 daily on the spring-forward day runs once, at 03:00 CEST',
      pattern: '30 2 * * *',
      zone: 'Europe/Berlin',
      from: '2026-03-28T01:30:00Z', // 02:30 CET on the 28th (exclusive)
      to: '2026-03-30T01:30:00Z',
      want: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    },
    {
      name: 'Berlin 02:30 daily on the fall-back day runs once, at the first 02:30 (CEST)',
      pattern: '30 2 * * *',
      zone: 'Europe/Berlin',
      from: '2026-10-24T00:30:00Z', // 02:30 CEST on the 24th (exclusive)
      to: '2026-10-26T01:30:00Z',
      want: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    },
    {
      name: 'New York 02:30 daily on the spring-forward day runs once, at 03:00 EDT',
      pattern: '30 2 * * *',
      zone: 'America/New_York',
      from: '2026-03-07T07:30:00Z', // 02:30 EST on the 7th (exclusive)
      to: '2026-03-09T06:30:00Z',
      want: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    },
    {
      name: 'New York 02:30 daily on the fall-back day (02:30 is not repeated there) runs once, at 02:30 EST',
      pattern: '30 2 * * *',
      zone: 'America/New_York',
      from: '2026-10-31T06:30:00Z', // 02:30 EDT on the 31st (exclusive)
      to: '2026-11-02T07:30:00Z',
      want: ['2026-11-01T07:30:00.000Z', '2026-11-02T07:30:00.000Z'],
    },
    {
      name: 'New York 01:30 daily on the fall-back day runs once, at the first 01:30 (EDT)',
      pattern: '30 1 * * *',
      zone: 'America/New_York',
      from: '2026-10-31T05:30:00Z',
      to: '2026-11-02T06:30:00Z',
      want: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    },
    {
      name: 'Berlin fixed-time list 02:30,14:30 (Vixie: no wildcard = fixed-time) moves 02:30 to 03:00',
      pattern: '30 2,14 * * *',
      zone: 'Europe/Berlin',
      from: '2026-03-28T22:00:00Z',
      to: '2026-03-29T21:59:59Z',
      want: ['2026-03-29T01:00:00.000Z', '2026-03-29T12:30:00.000Z'],
    },
    {
      name: 'Berlin interval job */30 in hour 2 skips the gap on the spring-forward day',
      pattern: '*/30 2 * * *',
      zone: 'Europe/Berlin',
      from: '2026-03-28T22:00:00Z',
      to: '2026-03-29T21:59:59Z',
      want: [],
    },
    {
      name: 'Berlin interval job */30 in hour 2 runs both occurrences on the fall-back day',
      pattern: '*/30 2 * * *',
      zone: 'Europe/Berlin',
      from: '2026-10-24T22:00:00Z',
      to: '2026-10-25T22:59:59Z',
      want: [
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T01:30:00.000Z',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const calc = cron(c.pattern, c.zone);
      const from = T(c.from);
      const to = T(c.to);
      assert.deepEqual(walk(calc, from, to), c.want, 'next()');
      assert.deepEqual(calc.newest(50, from, to).map(iso).reverse(), c.want, 'newest()');
      assert.deepEqual(calc.count(from, to, 1000), { count: c.want.length, exact: true }, 'count()');
    });
  }

  // Local calendar days as UTC ranges (after, atOrBefore]: midnight-to-midnight, minus 1 ms on each end.
  const hourly: Array<{ name: string; zone: string; dayStart: string; dayEnd: string; slots: number }> = [
    {
      name: 'Berlin fall-back day',
      zone: 'Europe/Berlin',
      dayStart: '2026-10-24T22:00:00Z',
      dayEnd: '2026-10-25T23:00:00Z',
      slots: 25,
    },
    {
      name: 'Berlin spring-forward day',
      zone: 'Europe/Berlin',
      dayStart: '2026-03-28T23:00:00Z',
      dayEnd: '2026-03-29T22:00:00Z',
      slots: 23,
    },
    {
      name: 'Berlin ordinary day',
      zone: 'Europe/Berlin',
      dayStart: '2026-06-14T22:00:00Z',
      dayEnd: '2026-06-15T22:00:00Z',
      slots: 24,
    },
    {
      name: 'New York fall-back day',
      zone: 'America/New_York',
      dayStart: '2026-11-01T04:00:00Z',
      dayEnd: '2026-11-02T05:00:00Z',
      slots: 25,
    },
    {
      name: 'New York spring-forward day',
      zone: 'America/New_York',
      dayStart: '2026-03-08T05:00:00Z',
      dayEnd: '2026-03-09T04:00:00Z',
      slots: 23,
    },
  ];
  for (const h of hourly) {
    it(`hourly "0 * * * *" on the ${h.name} has ${h.slots} slots, one per real hour`, () => {
      const calc = cron('0 * * * *', h.zone);
      const from = T(h.dayStart) - 1;
      const to = T(h.dayEnd) - 1;
      const slots = walk(calc, from, to);
      assert.equal(slots.length, h.slots);
      assert.equal(slots[0], iso(T(h.dayStart)));
      // Interval job: both occurrences of a repeated hour run, no hour in a gap does: the slots are exactly 1 h apart.
      for (let i = 1; i < slots.length; i++)
        assert.equal(T(slots[i]!) - T(slots[i - 1]!), HOUR, `gap before ${slots[i]}`);
      assert.deepEqual(calc.count(from, to, 1000), { count: h.slots, exact: true });
      assert.deepEqual(calc.newest(100, from, to).map(iso).reverse(), slots);
    });
  }

  // newest() (croner's previousRuns) and next() (croner's nextRun) must agree across every transition,
  // or catch-up would plan a different set of slots than the live scheduler runs.
  const agreement: Array<[string, string, string, string]> = [
    ['30 2 * * *', 'Europe/Berlin', '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z'],
    ['0 2 * * *', 'Europe/Berlin', '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z'],
    ['15 2-3 * * *', 'Europe/Berlin', '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'],
    ['*/30 2 * * *', 'Europe/Berlin', '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z'],
    ['* * * * *', 'Europe/Berlin', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z'],
    ['* * * * *', 'Europe/Berlin', '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z'],
    ['30 1 * * *', 'America/New_York', '2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z'],
    ['*/15 * * * *', 'America/New_York', '2026-11-01T04:00:00Z', '2026-11-01T08:00:00Z'],
    ['*/15 * * * *', 'America/New_York', '2026-03-08T06:00:00Z', '2026-03-08T08:00:00Z'],
  ];
  for (const [pattern, zone, from, to] of agreement) {
    it(`newest() agrees with next() for "${pattern}" in ${zone} over ${from.slice(0, 10)}`, () => {
      const calc = cron(pattern, zone);
      const forward = walk(calc, T(from), T(to));
      assert.ok(forward.length > 0);
      assert.deepEqual(calc.newest(1_000, T(from), T(to)).map(iso).reverse(), forward);
      assert.deepEqual(calc.count(T(from), T(to), 10_000), { count: forward.length, exact: true });
      // And with the upper bound on every slot in turn.
      for (let i = 0; i < forward.length; i++) {
        assert.equal(iso(calc.newest(1, T(from), T(forward[i]!))[0]!), forward[i]);
      }
    });
  }
});

describe('every slot calculator (epoch-anchored grid)', () => {
  const EVERY = 90 * SEC;
  const now = T('2026-05-10T12:00:07.123Z');

  it('puts every slot on a multiple of everyMs from the epoch', () => {
    const calc = every(EVERY);
    for (const t of [0, 1, now, now + 12_345, T('2030-01-01T00:00:00Z') - 1]) {
      const n = calc.next(t);
      assert.ok(n !== undefined);
      assert.equal(n % EVERY, 0, `next(${t}) = ${n} is on the grid`);
      assert.ok(n > t && n - t <= EVERY, `next(${t}) = ${n} is the first grid point after`);
    }
  });

  it('adds the offset to the grid', () => {
    const calc = every(EVERY, 15 * SEC);
    const n = calc.next(now);
    assert.ok(n !== undefined);
    assert.equal((n - 15 * SEC) % EVERY, 0);
    assert.equal(calc.next(15 * SEC - 1), 15 * SEC);
    assert.equal(calc.next(15 * SEC), 15 * SEC + EVERY);
    assert.equal(calc.next(-1), 15 * SEC);
  });

  it('next is strictly after a grid point', () => {
    const calc = every(EVERY);
    const slot = 1_000 * EVERY;
    assert.equal(calc.next(slot - 1), slot);
    assert.equal(calc.next(slot), slot + EVERY);
  });

  it('agrees with itself from any starting point (restarts agree on the slots)', () => {
    const calc = every(EVERY, 7 * SEC);
    const from = T('2026-05-10T00:00:00Z');
    const a = walk(calc, from, from + DAY);
    const b = walk(every(EVERY, 7 * SEC), from + 12_345, from + DAY);
    const c = walk(every(EVERY, 7 * SEC), from + 3 * HOUR + 1, from + DAY);
    assert.deepEqual(a.slice(a.indexOf(b[0]!)), b);
    assert.deepEqual(a.slice(a.indexOf(c[0]!)), c);
  });

  it('newest is newest first and bounded on both ends', () => {
    const calc = every(EVERY);
    const top = Math.floor(now / EVERY) * EVERY;
    assert.deepEqual(calc.newest(3, now - HOUR, now), [top, top - EVERY, top - 2 * EVERY]);
    assert.deepEqual(calc.newest(10, top - 2 * EVERY, top), [top, top - EVERY]);
    assert.deepEqual(calc.newest(10, top - 2 * EVERY - 1, top), [top, top - EVERY, top - 2 * EVERY]);
    assert.deepEqual(calc.newest(0, now - HOUR, now), []);
    assert.deepEqual(calc.newest(5, now, now), []);
    assert.deepEqual(calc.newest(5, now, now - HOUR), []);
  });

  it('counts (after, atOrBefore] exactly, in O(1)', () => {
    const calc = every(EVERY);
    const top = Math.floor(now / EVERY) * EVERY;
    assert.deepEqual(calc.count(top - 10 * EVERY, top, 1000), { count: 10, exact: true });
    assert.deepEqual(calc.count(top - 10 * EVERY - 1, top, 1000), { count: 11, exact: true });
    assert.deepEqual(calc.count(top, top + EVERY - 1, 1000), { count: 0, exact: true });
    assert.deepEqual(calc.count(now, now - DAY, 1000), { count: 0, exact: true });
    // A year of 90 s slots is counted at once.
    assert.deepEqual(calc.count(top - 365 * DAY, top, 100), { count: (365 * DAY) / EVERY, exact: true });
  });

  it('works before the epoch too', () => {
    const calc = every(EVERY);
    assert.equal(calc.next(-EVERY - 1), -EVERY);
    assert.deepEqual(calc.newest(3, -3 * EVERY, 0), [0, -EVERY, -2 * EVERY]);
  });
});
