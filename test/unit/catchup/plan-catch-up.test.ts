import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COUNT_BUDGET,
  planCatchUp,
  planJob,
  type JobPlan,
  type PlanJobInput,
} from '../../../src/catchup/plan-catch-up.js';
import { createSlotCalculator } from '../../../src/schedule/slot-calculator.js';
import type { ScheduleSpec } from '../../../src/config/types.js';
import { DAY, HOUR, MIN, SEC, T, iso } from '../../support/time.js';

/** A fixed instant, on a whole minute; tests never read the real clock. */
const T0 = T('2026-05-10T12:00:00Z');

type JobOptions = Partial<Omit<PlanJobInput, 'slots'>> & { schedule?: ScheduleSpec };

function job(options: JobOptions = {}): PlanJobInput {
  const { schedule = { kind: 'cron', pattern: '* * * * *', timezone: 'UTC' }, ...rest } = options;
  return {
    name: 'job',
    slots: createSlotCalculator(schedule),
    catchup: 'all',
    catchupWindowMs: 7 * DAY,
    maxCatchup: 1_000,
    backfillFromMs: undefined,
    ...rest,
  };
}

const cronSpec = (pattern: string, timezone = 'UTC'): ScheduleSpec => ({ kind: 'cron', pattern, timezone });

type Counters = Omit<JobPlan, 'job' | 'runs' | 'gaps'>;

/** The counters of a plan, without the job name, runs and gaps (tested on their own below). */
function counters(p: JobPlan): Counters {
  const { job: _job, runs: _runs, gaps: _gaps, ...rest } = p;
  return rest;
}

const expectCounters = (over: Partial<Counters>): Counters => ({
  missed: 0,
  dropped: 0,
  skipped: 0,
  expired: 0,
  exact: true,
  firstSeen: false,
  baselineMs: undefined,
  ...over,
});

/** Minutes after T0 as instants. */
const minutes = (...ms: number[]): number[] => ms.map((m) => T0 + m * MIN);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('planJob: policies', () => {
  // A per-minute job whose last execution was T0, planned 10 minutes later: 10 missed slots.
  const cases: Array<{
    name: string;
    options: JobOptions;
    runs: number[];
    counters: Partial<Omit<JobPlan, 'job' | 'runs'>>;
  }> = [
    {
      name: 'all: every missed slot, oldest first',
      options: { catchup: 'all' },
      runs: minutes(...range(1, 10)),
      counters: { missed: 10 },
    },
    {
      name: 'latest: only the newest missed slot',
      options: { catchup: 'latest' },
      runs: minutes(10),
      counters: { missed: 10, skipped: 9 },
    },
    {
      name: 'none: nothing, all skipped',
      options: { catchup: 'none' },
      runs: [],
      counters: { missed: 10, skipped: 10 },
    },
    {
      name: 'all with maxCatchup 3: the 3 newest, 7 dropped',
      options: { maxCatchup: 3 },
      runs: minutes(8, 9, 10),
      counters: { missed: 10, dropped: 7 },
    },
    {
      name: 'all with maxCatchup 9: 1 dropped',
      options: { maxCatchup: 9 },
      runs: minutes(...range(2, 10)),
      counters: { missed: 10, dropped: 1 },
    },
    {
      name: 'all with maxCatchup exactly the missed count: none dropped',
      options: { maxCatchup: 10 },
      runs: minutes(...range(1, 10)),
      counters: { missed: 10 },
    },
    {
      name: 'all with maxCatchup 1: like latest, but dropped',
      options: { maxCatchup: 1 },
      runs: minutes(10),
      counters: { missed: 10, dropped: 9 },
    },
    {
      name: 'all with maxCatchup 0: nothing runs, all dropped',
      options: { maxCatchup: 0 },
      runs: [],
      counters: { missed: 10, dropped: 10 },
    },
    {
      name: 'latest ignores maxCatchup 0',
      options: { catchup: 'latest', maxCatchup: 0 },
      runs: minutes(10),
      counters: { missed: 10, skipped: 9 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planJob(job(c.options), T0, T0 + 10 * MIN);
      assert.equal(plan.job, 'job');
      assert.deepEqual(plan.runs.map(iso), c.runs.map(iso));
      assert.deepEqual(counters(plan), expectCounters(c.counters));
    });
  }

  for (const catchup of ['all', 'latest', 'none'] as const) {
    it(`${catchup}: nothing missed when the next slot is not due yet`, () => {
      const plan = planJob(job({ catchup }), T0, T0 + 59_999);
      assert.deepEqual(plan.runs, []);
      assert.deepEqual(counters(plan), expectCounters({}));
    });
  }

  it('now between slots: the slot just before now is the newest missed one', () => {
    const plan = planJob(job({ catchup: 'latest' }), T0, T0 + 10 * MIN + 30 * SEC);
    assert.deepEqual(plan.runs, minutes(10));
    assert.equal(plan.missed, 10);
  });
});

describe('planJob: catchupWindow', () => {
  // last = T0, now = T0 + 10 min, window 5 min: window start T0 + 5 min.
  // A slot exactly at now - window is NOT missed (it expired); a slot exactly at now IS missed.
  const cases: Array<{
    name: string;
    options: JobOptions;
    runs: number[];
    counters: Partial<Omit<JobPlan, 'job' | 'runs'>>;
  }> = [
    {
      name: 'all',
      options: { catchup: 'all' },
      runs: minutes(6, 7, 8, 9, 10),
      counters: { missed: 5, expired: 5 },
    },
    {
      name: 'latest',
      options: { catchup: 'latest' },
      runs: minutes(10),
      counters: { missed: 5, skipped: 4, expired: 5 },
    },
    { name: 'none', options: { catchup: 'none' }, runs: [], counters: { missed: 5, skipped: 5, expired: 5 } },
    {
      name: 'all with maxCatchup 2',
      options: { maxCatchup: 2 },
      runs: minutes(9, 10),
      counters: { missed: 5, dropped: 3, expired: 5 },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: the slot at now - window expired, the slot at now is missed`, () => {
      const plan = planJob(job({ catchupWindowMs: 5 * MIN, ...c.options }), T0, T0 + 10 * MIN);
      assert.deepEqual(plan.runs.map(iso), c.runs.map(iso));
      assert.ok(!plan.runs.includes(T0 + 5 * MIN));
      assert.deepEqual(counters(plan), expectCounters(c.counters));
    });
  }

  it('a window 1 ms longer takes in the slot at its old boundary', () => {
    const plan = planJob(job({ catchupWindowMs: 5 * MIN + 1 }), T0, T0 + 10 * MIN);
    assert.deepEqual(plan.runs, minutes(5, 6, 7, 8, 9, 10));
    assert.deepEqual(counters(plan), expectCounters({ missed: 6, expired: 4 }));
  });

  it('a window reaching back past the last execution expires nothing', () => {
    const plan = planJob(job({ catchupWindowMs: 10 * MIN }), T0, T0 + 10 * MIN);
    assert.equal(plan.runs.length, 10);
    assert.deepEqual(counters(plan), expectCounters({ missed: 10 }));
  });

  it('a window of 0 misses nothing: every slot since the last execution expired', () => {
    const plan = planJob(job({ catchupWindowMs: 0 }), T0, T0 + 10 * MIN);
    assert.deepEqual(plan.runs, []);
    assert.deepEqual(counters(plan), expectCounters({ expired: 10 }));
  });

  it('a long outage counts expired slots exactly', () => {
    // Down 2 days, window 1 h: (T0 - 2d, T0 - 1h] expired, (T0 - 1h, T0] missed.
    const plan = planJob(job({ catchupWindowMs: HOUR, catchup: 'latest' }), T0 - 2 * DAY, T0);
    assert.deepEqual(plan.runs, [T0]);
    assert.deepEqual(counters(plan), expectCounters({ missed: 60, skipped: 59, expired: 2 * 1440 - 60 }));
  });
});

describe('planJob: first-seen jobs and backfill', () => {
  for (const catchup of ['all', 'latest', 'none'] as const) {
    it(`${catchup}: a job with no last execution is first seen, its baseline is now, nothing runs`, () => {
      const now = T0 + 10 * MIN + 123;
      const plan = planJob(job({ catchup }), undefined, now);
      assert.deepEqual(plan.runs, []);
      assert.deepEqual(counters(plan), expectCounters({ firstSeen: true, baselineMs: now }));
    });
  }

  it('backfillFrom stands in for the last execution; the backfill start itself is included', () => {
    const plan = planJob(job({ backfillFromMs: T0 }), undefined, T0 + 10 * MIN);
    assert.deepEqual(plan.runs, minutes(...range(0, 10)));
    assert.deepEqual(counters(plan), expectCounters({ missed: 11 }));
  });

  it('backfillFrom between slots starts at the first slot after it', () => {
    const plan = planJob(job({ backfillFromMs: T0 + 1 }), undefined, T0 + 10 * MIN);
    assert.deepEqual(plan.runs, minutes(...range(1, 10)));
  });

  it('backfillFrom obeys the policy: latest', () => {
    const plan = planJob(job({ backfillFromMs: T0, catchup: 'latest' }), undefined, T0 + 10 * MIN);
    assert.deepEqual(plan.runs, minutes(10));
    assert.deepEqual(counters(plan), expectCounters({ missed: 11, skipped: 10 }));
  });

  it('backfillFrom obeys maxCatchup and the window', () => {
    const plan = planJob(
      job({ backfillFromMs: T0, maxCatchup: 2, catchupWindowMs: 5 * MIN }),
      undefined,
      T0 + 10 * MIN,
    );
    assert.deepEqual(plan.runs, minutes(9, 10));
    // Expired: T0 (the backfill start) .. T0 + 5 min = 6 slots.
    assert.deepEqual(counters(plan), expectCounters({ missed: 5, dropped: 3, expired: 6 }));
  });

  it('backfillFrom exactly at now includes the slot at now', () => {
    const plan = planJob(job({ backfillFromMs: T0 }), undefined, T0);
    assert.deepEqual(plan.runs, [T0]);
    assert.deepEqual(counters(plan), expectCounters({ missed: 1 }));
  });

  it('backfillFrom in the future: the job is first seen', () => {
    const now = T0 + 10 * MIN;
    const plan = planJob(job({ backfillFromMs: now + 1 }), undefined, now);
    assert.deepEqual(plan.runs, []);
    assert.deepEqual(counters(plan), expectCounters({ firstSeen: true, baselineMs: now }));
  });

  it('backfillFrom is ignored once the job has a last execution', () => {
    const plan = planJob(job({ backfillFromMs: T0 - DAY }), T0 + 8 * MIN, T0 + 10 * MIN);
    assert.deepEqual(plan.runs, minutes(9, 10));
    assert.deepEqual(counters(plan), expectCounters({ missed: 2 }));
  });
});

describe('planJob: clock jumps', () => {
  for (const catchup of ['all', 'latest', 'none'] as const) {
    it(`${catchup}: last execution at now (nothing new) plans nothing`, () => {
      const plan = planJob(job({ catchup }), T0, T0);
      assert.deepEqual(plan.runs, []);
      assert.deepEqual(counters(plan), expectCounters({}));
    });

    it(`${catchup}: a backward clock jump (last execution after now) plans nothing`, () => {
      const plan = planJob(job({ catchup }), T0 + HOUR, T0);
      assert.deepEqual(plan.runs, []);
      assert.deepEqual(counters(plan), expectCounters({}));
    });
  }

  // A per-minute job ran its T0 slot; the wall clock then jumps forward 1 h.
  const forward: Array<{
    catchup: 'all' | 'latest' | 'none';
    runs: number[];
    counters: Partial<Omit<JobPlan, 'job' | 'runs'>>;
  }> = [
    { catchup: 'all', runs: minutes(...range(1, 60)), counters: { missed: 60 } },
    { catchup: 'latest', runs: minutes(60), counters: { missed: 60, skipped: 59 } },
    { catchup: 'none', runs: [], counters: { missed: 60, skipped: 60 } },
  ];
  for (const c of forward) {
    it(`${c.catchup}: a forward clock jump of 1 h on a per-minute job misses 60 slots`, () => {
      const plan = planJob(job({ catchup: c.catchup, maxCatchup: 100 }), T0, T0 + HOUR);
      assert.deepEqual(plan.runs.map(iso), c.runs.map(iso));
      assert.deepEqual(counters(plan), expectCounters(c.counters));
    });
  }
});

describe('planJob: per-second patterns', () => {
  it('a "* * * * * *" job down for 10 s misses exactly 10 slots', () => {
    const plan = planJob(job({ schedule: cronSpec('* * * * * *') }), T0, T0 + 10 * SEC);
    assert.deepEqual(
      plan.runs,
      range(1, 10).map((s) => T0 + s * SEC),
    );
    assert.deepEqual(counters(plan), expectCounters({ missed: 10 }));
  });

  it('a per-second job down for 2 days with policy latest estimates its count past COUNT_BUDGET', () => {
    const now = T0;
    const plan = planJob(
      job({ schedule: cronSpec('* * * * * *'), catchup: 'latest', catchupWindowMs: 7 * DAY }),
      now - 2 * DAY,
      now,
    );
    assert.deepEqual(plan.runs, [now]);
    assert.equal(plan.exact, false);
    assert.ok(plan.missed > COUNT_BUDGET, `missed ${plan.missed} is an estimate > ${COUNT_BUDGET}`);
    assert.equal(plan.missed, 2 * 86_400, 'a regular pattern extrapolates exactly');
    assert.equal(plan.skipped, plan.missed - 1);
    assert.equal(plan.firstSeen, false);
  });
});

describe('planJob: every (fixed rate on an epoch-anchored grid)', () => {
  const EVERY = 90 * SEC;
  const every = (offsetMs = 0): ScheduleSpec => ({ kind: 'every', everyMs: EVERY, offsetMs });

  it('plans slots on multiples of 90 s from the epoch', () => {
    const last = T('2026-05-10T12:00:07.123Z'); // e.g. a first-seen baseline, off the grid
    const now = last + 10 * MIN;
    const plan = planJob(job({ schedule: every() }), last, now);
    assert.ok(plan.runs.length > 0);
    for (const s of plan.runs) {
      assert.equal(s % EVERY, 0, `${iso(s)} on the grid`);
      assert.ok(s > last && s <= now);
    }
    for (let i = 1; i < plan.runs.length; i++) assert.equal(plan.runs[i]! - plan.runs[i - 1]!, EVERY);
    assert.ok(plan.runs[0]! - last <= EVERY);
    assert.ok(now - plan.runs[plan.runs.length - 1]! < EVERY);
    assert.equal(plan.missed, plan.runs.length);
    assert.equal(plan.runs.length, Math.floor(now / EVERY) - Math.floor(last / EVERY));
  });

  it('adds the offset', () => {
    const offset = 20 * SEC;
    const plan = planJob(job({ schedule: every(offset) }), T0, T0 + 10 * MIN);
    assert.ok(plan.runs.length > 0);
    for (const s of plan.runs) assert.equal((s - offset) % EVERY, 0, `${iso(s)} on the offset grid`);
  });

  it('restarts agree: planning in pieces, with fresh calculators, gives the same slots as planning at once', () => {
    const start = T('2026-05-10T00:00:00.500Z');
    const end = start + 6 * HOUR + 17 * SEC;
    const once = planJob(job({ schedule: every(5 * SEC) }), start, end).runs;
    // Three "restarts", each resuming from the newest slot the previous one ran.
    const pieces: number[] = [];
    let last = start;
    for (const stop of [start + HOUR + 1_234, start + 4 * HOUR + 45 * SEC, end]) {
      const runs = planJob(job({ schedule: every(5 * SEC) }), last, stop).runs;
      pieces.push(...runs);
      last = runs[runs.length - 1] ?? last;
    }
    // 00:00:05, 00:01:35, ... 06:00:05: 241 grid points in (start, end].
    assert.equal(once.length, 241);
    assert.equal(once[0], T('2026-05-10T00:00:05Z'));
    assert.equal(once[once.length - 1], T('2026-05-10T06:00:05Z'));
    assert.deepEqual(pieces, once);
  });

  it('latest on a grid: the newest grid point at or before now', () => {
    const now = T0 + 10 * MIN + 1;
    const plan = planJob(job({ schedule: every(), catchup: 'latest' }), T0 - DAY, now);
    assert.deepEqual(plan.runs, [Math.floor(now / EVERY) * EVERY]);
    assert.deepEqual(
      counters(plan),
      expectCounters({ missed: DAY / EVERY + Math.floor((10 * MIN + 1) / EVERY), skipped: plan.missed - 1 }),
    );
  });
});

describe('planJob: DST (Vixie cron semantics via croner)', () => {
  // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (at 01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET (at 01:00Z).
  // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (at 07:00Z); 2026-11-01 02:00 EDT -> 01:00 EST (at 06:00Z).
  const daily: Array<{
    name: string;
    pattern: string;
    zone: string;
    last: string;
    now: string;
    runs: string[];
  }> = [
    {
      // 02:30 does not exist on the 29th: a fixed-time job runs at the first valid time after the gap, 03:00 CEST.
      name: 'Berlin 02:30 across the spring-forward day',
      pattern: '30 2 * * *',
      zone: 'Europe/Berlin',
      last: '2026-03-28T01:30:00Z', // 02:30 CET on the 28th
      now: '2026-03-30T12:00:00Z',
      runs: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    },
    {
      // 02:30 occurs twice on the 25th (00:30Z CEST and 01:30Z CET): a fixed-time job runs once, at the first.
      name: 'Berlin 02:30 across the fall-back day',
      pattern: '30 2 * * *',
      zone: 'Europe/Berlin',
      last: '2026-10-24T00:30:00Z', // 02:30 CEST on the 24th
      now: '2026-10-26T12:00:00Z',
      runs: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    },
    {
      name: 'New York 02:30 across the spring-forward day',
      pattern: '30 2 * * *',
      zone: 'America/New_York',
      last: '2026-03-07T07:30:00Z', // 02:30 EST on the 7th
      now: '2026-03-09T18:00:00Z',
      runs: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    },
    {
      // In New York the repeated hour is 01:00-02:00, so 02:30 occurs once on the 1st, at 02:30 EST.
      name: 'New York 02:30 across the fall-back day',
      pattern: '30 2 * * *',
      zone: 'America/New_York',
      last: '2026-10-31T06:30:00Z', // 02:30 EDT on the 31st
      now: '2026-11-02T18:00:00Z',
      runs: ['2026-11-01T07:30:00.000Z', '2026-11-02T07:30:00.000Z'],
    },
    {
      // 01:30 occurs twice on the 1st (05:30Z EDT and 06:30Z EST): once, at the first.
      name: 'New York 01:30 across the fall-back day',
      pattern: '30 1 * * *',
      zone: 'America/New_York',
      last: '2026-10-31T05:30:00Z', // 01:30 EDT on the 31st
      now: '2026-11-02T18:00:00Z',
      runs: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    },
  ];
  for (const c of daily) {
    it(`${c.name}: catch-up all yields exactly one slot per day`, () => {
      const plan = planJob(job({ schedule: cronSpec(c.pattern, c.zone) }), T(c.last), T(c.now));
      assert.deepEqual(plan.runs.map(iso), c.runs);
      assert.deepEqual(counters(plan), expectCounters({ missed: 2 }));
    });

    it(`${c.name}: catch-up latest yields the second day's slot`, () => {
      const plan = planJob(
        job({ schedule: cronSpec(c.pattern, c.zone), catchup: 'latest' }),
        T(c.last),
        T(c.now),
      );
      assert.deepEqual(plan.runs.map(iso), [c.runs[1]]);
      assert.deepEqual(counters(plan), expectCounters({ missed: 2, skipped: 1 }));
    });
  }

  it('Berlin 02:30 on the fall-back day: after the first 02:30 ran, the repeated 02:30 is not missed', () => {
    const plan = planJob(
      job({ schedule: cronSpec('30 2 * * *', 'Europe/Berlin') }),
      T('2026-10-25T00:30:00Z'),
      T('2026-10-25T02:00:00Z'), // 03:00 CET, after the second 02:30 (01:30Z)
    );
    assert.deepEqual(plan.runs, []);
    assert.equal(plan.missed, 0);
  });

  it('Berlin 02:30 on the fall-back day, down over both 02:30s: latest is the first 02:30', () => {
    for (const now of [
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:00:00Z',
      '2026-10-25T01:30:00Z',
      '2026-10-25T01:45:00Z',
    ]) {
      const plan = planJob(
        job({ schedule: cronSpec('30 2 * * *', 'Europe/Berlin'), catchup: 'latest' }),
        T('2026-10-24T00:30:00Z'),
        T(now),
      );
      assert.deepEqual(plan.runs.map(iso), ['2026-10-25T00:30:00.000Z'], `now ${now}`);
      assert.equal(plan.missed, 1, `now ${now}`);
    }
  });

  it('Berlin 02:30 on the spring-forward day: after the 03:00 run, nothing else is missed that day', () => {
    const plan = planJob(
      job({ schedule: cronSpec('30 2 * * *', 'Europe/Berlin') }),
      T('2026-03-29T01:00:00Z'),
      T('2026-03-29T21:59:59Z'),
    );
    assert.deepEqual(plan.runs, []);
    assert.equal(plan.missed, 0);
  });

  const hourly: Array<{
    name: string;
    zone: string;
    last: string;
    now: string;
    slots: number;
    repeated?: string[];
  }> = [
    {
      // From 23:00 CEST on the 24th to 23:00 CET on the 25th: the 25 hours of the local day 25 Oct, 02:00 twice.
      name: 'Berlin fall-back day',
      zone: 'Europe/Berlin',
      last: '2026-10-24T21:00:00Z',
      now: '2026-10-25T22:00:00Z',
      slots: 25,
      repeated: ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z'], // 02:00 CEST, 02:00 CET
    },
    {
      // From 23:00 CET on the 28th to 23:00 CEST on the 29th: 23 hours, no 02:00.
      name: 'Berlin spring-forward day',
      zone: 'Europe/Berlin',
      last: '2026-03-28T22:00:00Z',
      now: '2026-03-29T21:00:00Z',
      slots: 23,
    },
  ];
  for (const h of hourly) {
    it(`hourly "0 * * * *" over the ${h.name}: ${h.slots} slots, one per real hour`, () => {
      const plan = planJob(job({ schedule: cronSpec('0 * * * *', h.zone) }), T(h.last), T(h.now));
      assert.equal(plan.runs.length, h.slots);
      assert.deepEqual(counters(plan), expectCounters({ missed: h.slots }));
      assert.equal(plan.runs[0], T(h.last) + HOUR);
      assert.equal(plan.runs[plan.runs.length - 1], T(h.now));
      for (let i = 1; i < plan.runs.length; i++) assert.equal(plan.runs[i]! - plan.runs[i - 1]!, HOUR);
      for (const r of h.repeated ?? []) assert.ok(plan.runs.map(iso).includes(r), `${r} runs`);
    });
  }
});

describe('planCatchUp', () => {
  it('orders runs by scheduled time, then job name, and keeps one plan per job', () => {
    const jobs = [
      job({ name: 'charlie' }),
      job({ name: 'alpha', schedule: cronSpec('*/2 * * * *') }),
      job({ name: 'bravo', catchup: 'latest' }),
      job({ name: 'delta' }), // first seen
    ];
    const last = new Map([
      ['charlie', T0 + 6 * MIN],
      ['alpha', T0],
      ['bravo', T0],
      ['unconfigured', T0],
    ]);
    const now = T0 + 10 * MIN;
    const plan = planCatchUp(jobs, last, now);
    assert.equal(plan.nowMs, now);
    assert.deepEqual(
      plan.jobs.map((p) => p.job),
      ['charlie', 'alpha', 'bravo', 'delta'],
    );
    assert.deepEqual(
      plan.runs.map((r) => [r.job, (r.scheduledAtMs - T0) / MIN]),
      [
        ['alpha', 2],
        ['alpha', 4],
        ['alpha', 6],
        ['charlie', 7],
        ['alpha', 8],
        ['charlie', 8],
        ['charlie', 9],
        ['alpha', 10],
        ['bravo', 10],
        ['charlie', 10],
      ],
    );
    const delta = plan.jobs.find((p) => p.job === 'delta');
    assert.ok(delta);
    assert.equal(delta.firstSeen, true);
    assert.equal(delta.baselineMs, now);
  });

  it('plans nothing for no jobs', () => {
    assert.deepEqual(planCatchUp([], new Map([['x', T0]]), T0), { nowMs: T0, runs: [], jobs: [] });
  });

  it('each job keeps its own runs oldest first in the combined list', () => {
    const jobs = ['e', 'd', 'c', 'b', 'a'].map((name, i) =>
      job({ name, schedule: cronSpec(`*/${i + 1} * * * *`) }),
    );
    const last = new Map(jobs.map((j) => [j.name, T0] as [string, number]));
    const plan = planCatchUp(jobs, last, T0 + HOUR);
    for (let i = 1; i < plan.runs.length; i++) {
      const a = plan.runs[i - 1]!;
      const b = plan.runs[i]!;
      assert.ok(a.scheduledAtMs < b.scheduledAtMs || (a.scheduledAtMs === b.scheduledAtMs && a.job < b.job));
    }
    assert.equal(plan.runs.length, 60 + 30 + 20 + 15 + 12);
  });
});

describe('planJob: gaps — every slot left out is in exactly one recorded range', () => {
  // A per-minute job last run at T0, planned 10 minutes later.
  const gapsOf = (options: JobOptions, lastMs = T0, nowMs = T0 + 10 * MIN) =>
    planJob(job(options), lastMs, nowMs).gaps.map((g) => ({
      ...g,
      first: iso(g.firstMs),
      last: iso(g.lastMs),
    }));
  const gap = (reason: string, first: number, last: number, count: number, exact = true) => ({
    reason,
    firstMs: T0 + first * MIN,
    lastMs: T0 + last * MIN,
    count,
    exact,
    first: iso(T0 + first * MIN),
    last: iso(T0 + last * MIN),
  });

  it('all within the cap: no gap', () => assert.deepEqual(gapsOf({}), []));
  it('maxCatchup 3: the 7 oldest dropped', () =>
    assert.deepEqual(gapsOf({ maxCatchup: 3 }), [gap('dropped', 1, 7, 7)]));
  it('latest: all but the newest skipped', () =>
    assert.deepEqual(gapsOf({ catchup: 'latest' }), [gap('skipped', 1, 9, 9)]));
  it('none: all skipped', () => assert.deepEqual(gapsOf({ catchup: 'none' }), [gap('skipped', 1, 10, 10)]));
  it('window 4m: the 6 oldest expired, then the policy', () => {
    assert.deepEqual(gapsOf({ catchupWindowMs: 4 * MIN }), [gap('expired', 1, 6, 6)]);
    assert.deepEqual(gapsOf({ catchupWindowMs: 4 * MIN, maxCatchup: 1 }), [
      gap('expired', 1, 6, 6),
      gap('dropped', 7, 9, 3),
    ]);
  });
  it('first seen: nothing left out', () => assert.deepEqual(planJob(job(), undefined, T0).gaps, []));
  it('a per-second job down for a week: one range per reason, counts flagged as estimates', () => {
    const perSecond = job({ schedule: cronSpec('* * * * * *'), catchupWindowMs: DAY, maxCatchup: 10 });
    const p = planJob(perSecond, T0, T0 + 7 * DAY);
    assert.deepEqual(
      p.gaps.map((g) => [g.reason, iso(g.firstMs), iso(g.lastMs), g.exact]),
      [
        ['expired', iso(T0 + SEC), iso(T0 + 6 * DAY), false],
        ['dropped', iso(T0 + 6 * DAY + SEC), iso(T0 + 7 * DAY - 10 * SEC), false],
      ],
    );
    assert.equal(p.gaps[0]!.count, p.expired);
    assert.equal(p.gaps[1]!.count, p.dropped);
  });
});
