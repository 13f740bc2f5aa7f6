import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planJob } from '../../../src/catchup/plan-catch-up.js';
import { slotsInRange } from '../../../src/catchup/slots-in-range.js';
import {
  checkDowntimes,
  simulate,
  type Downtime,
  type SimulatedJob,
  type SimulatedSlot,
} from '../../../src/catchup/simulate.js';
import { UsageError } from '../../../src/commands/common.js';
import { readSimulateArgs } from '../../../src/commands/simulate-command.js';
import type { ScheduleSpec } from '../../../src/config/types.js';
import { slotJitterMs } from '../../../src/schedule/jitter.js';
import { createSlotCalculator } from '../../../src/schedule/slot-calculator.js';
import { DAY, HOUR, MIN, T, iso } from '../../support/time.js';

const everyMinute: ScheduleSpec = { kind: 'cron', pattern: '* * * * *', timezone: 'UTC' };
const berlinNightly: ScheduleSpec = { kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' };

type JobOptions = Partial<Omit<SimulatedJob, 'slots'>> & { schedule?: ScheduleSpec };

function job(options: JobOptions = {}): SimulatedJob {
  const { schedule = everyMinute, ...rest } = options;
  return {
    name: 'job',
    slots: createSlotCalculator(schedule),
    catchup: 'all',
    catchupWindowMs: 7 * DAY,
    maxCatchup: 1_000,
    backfillFromMs: undefined,
    jitterMs: 0,
    ...rest,
  };
}

const down = (from: string, to: string): Downtime => ({ startMs: T(from), endMs: T(to) });

/** "HH:MM outcome" per slot: compact enough to read a whole table at a glance. */
const brief = (slots: SimulatedSlot[]) =>
  slots.map((s) => `${iso(s.scheduledAtMs).slice(11, 16)} ${s.outcome}`);

// 10:00 .. 10:08 with the daemon down 10:00:30 .. 10:05:30: 10:01..10:05 are missed.
const FROM = '2026-05-10T10:00:00Z';
const TO = '2026-05-10T10:08:00Z';
const OUTAGE = down('2026-05-10T10:00:30Z', '2026-05-10T10:05:30Z');

describe('simulate: per-slot outcomes after a downtime', () => {
  it('without downtime every slot runs on time', () => {
    const { slots, totals } = simulate({ jobs: [job()], fromMs: T(FROM), toMs: T(TO), downtimes: [] });
    assert.equal(slots.length, 9);
    for (const s of slots) {
      assert.equal(s.outcome, 'run');
      assert.equal(s.startsAtMs, s.scheduledAtMs);
      assert.equal(s.downtime, undefined);
    }
    assert.deepEqual(totals.get('job'), { run: 9, catchup: 0, dropped: 0, skipped: 0, expired: 0 });
  });

  const table: Array<{ name: string; job: JobOptions; missed: string[] }> = [
    {
      name: 'catchup: all runs every missed slot',
      job: { catchup: 'all' },
      missed: ['10:01 catchup', '10:02 catchup', '10:03 catchup', '10:04 catchup', '10:05 catchup'],
    },
    {
      name: 'maxCatchup drops the oldest',
      job: { catchup: 'all', maxCatchup: 2 },
      missed: ['10:01 dropped', '10:02 dropped', '10:03 dropped', '10:04 catchup', '10:05 catchup'],
    },
    {
      name: 'catchup: latest runs the newest only',
      job: { catchup: 'latest' },
      missed: ['10:01 skipped', '10:02 skipped', '10:03 skipped', '10:04 skipped', '10:05 catchup'],
    },
    {
      name: 'catchup: none runs none',
      job: { catchup: 'none' },
      missed: ['10:01 skipped', '10:02 skipped', '10:03 skipped', '10:04 skipped', '10:05 skipped'],
    },
    {
      // At the restart (10:05:30) the window reaches back to 10:03:30.
      name: 'catchupWindow expires the older ones',
      job: { catchup: 'all', catchupWindowMs: 2 * MIN },
      missed: ['10:01 expired', '10:02 expired', '10:03 expired', '10:04 catchup', '10:05 catchup'],
    },
    {
      name: 'window and maxCatchup together',
      job: { catchup: 'all', catchupWindowMs: 3 * MIN, maxCatchup: 1 },
      missed: ['10:01 expired', '10:02 expired', '10:03 dropped', '10:04 dropped', '10:05 catchup'],
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      const { slots } = simulate({ jobs: [job(t.job)], fromMs: T(FROM), toMs: T(TO), downtimes: [OUTAGE] });
      assert.deepEqual(brief(slots), ['10:00 run', ...t.missed, '10:06 run', '10:07 run', '10:08 run']);
      for (const s of slots.filter((s) => s.outcome === 'catchup')) {
        assert.equal(s.startsAtMs, OUTAGE.endMs, 'a catch-up run starts when the daemon is back');
        assert.deepEqual(s.downtime, OUTAGE);
      }
      for (const s of slots.filter((s) => s.outcome !== 'run' && s.outcome !== 'catchup'))
        assert.equal(s.startsAtMs, undefined, 'a slot that is not run has no start');
    });
  }

  it('agrees with the planner the daemon runs at the restart', () => {
    for (const t of table) {
      const j = job(t.job);
      const { totals } = simulate({ jobs: [j], fromMs: T(FROM), toMs: T(TO), downtimes: [OUTAGE] });
      const plan = planJob(j, T('2026-05-10T10:00:00Z'), OUTAGE.endMs);
      const got = totals.get('job')!;
      assert.deepEqual(
        { catchup: got.catchup, dropped: got.dropped, skipped: got.skipped, expired: got.expired },
        { catchup: plan.runs.length, dropped: plan.dropped, skipped: plan.skipped, expired: plan.expired },
        t.name,
      );
    }
  });

  it('a slot at the downtime start is missed, one at its end is caught up, the next runs', () => {
    const edges = down('2026-05-10T10:02:00Z', '2026-05-10T10:04:00Z');
    const { slots } = simulate({
      jobs: [job({ catchup: 'latest' })],
      fromMs: T(FROM),
      toMs: T('2026-05-10T10:05:00Z'),
      downtimes: [edges],
    });
    assert.deepEqual(brief(slots), [
      '10:00 run',
      '10:01 run',
      '10:02 skipped',
      '10:03 skipped',
      '10:04 catchup',
      '10:05 run',
    ]);
  });

  it('the period includes both ends; the slot before --from counts as run', () => {
    // The downtime starts at --from: the daemon ran up to just before it, so 09:59 is the last execution.
    const { slots } = simulate({
      jobs: [job({ catchup: 'all', maxCatchup: 1 })],
      fromMs: T(FROM),
      toMs: T('2026-05-10T10:03:00Z'),
      downtimes: [down(FROM, '2026-05-10T10:02:10Z')],
    });
    assert.deepEqual(brief(slots), ['10:00 dropped', '10:01 dropped', '10:02 catchup', '10:03 run']);
  });

  it('a zero-length downtime is a restart: the slot at that instant is a catch-up run', () => {
    const { slots } = simulate({
      jobs: [job()],
      fromMs: T(FROM),
      toMs: T('2026-05-10T10:02:00Z'),
      downtimes: [down('2026-05-10T10:01:00Z', '2026-05-10T10:01:00Z')],
    });
    assert.deepEqual(brief(slots), ['10:00 run', '10:01 catchup', '10:02 run']);
  });

  it('several downtimes: each restart plans from the last claimed slot', () => {
    // catchup none claims nothing at a restart; the second plan still starts from 10:00.
    const downtimes = [
      down('2026-05-10T10:00:30Z', '2026-05-10T10:02:30Z'),
      down('2026-05-10T10:02:40Z', '2026-05-10T10:04:30Z'),
    ];
    const none = simulate({
      jobs: [job({ catchup: 'none' })],
      fromMs: T(FROM),
      toMs: T('2026-05-10T10:05:00Z'),
      downtimes,
    });
    assert.deepEqual(brief(none.slots), [
      '10:00 run',
      '10:01 skipped',
      '10:02 skipped',
      '10:03 skipped',
      '10:04 skipped',
      '10:05 run',
    ]);
    const latest = simulate({
      jobs: [job({ catchup: 'latest' })],
      fromMs: T(FROM),
      toMs: T('2026-05-10T10:05:00Z'),
      downtimes,
    });
    assert.deepEqual(brief(latest.slots), [
      '10:00 run',
      '10:01 skipped',
      '10:02 catchup',
      '10:03 skipped',
      '10:04 catchup',
      '10:05 run',
    ]);
  });

  it('orders several jobs by time, then name, and totals each', () => {
    const { slots, totals } = simulate({
      jobs: [job({ name: 'b-latest', catchup: 'latest' }), job({ name: 'a-all' })],
      fromMs: T(FROM),
      toMs: T('2026-05-10T10:02:00Z'),
      downtimes: [down('2026-05-10T10:00:30Z', '2026-05-10T10:02:00Z')],
    });
    assert.deepEqual(
      slots.map((s) => `${iso(s.scheduledAtMs).slice(11, 16)} ${s.job} ${s.outcome}`),
      [
        '10:00 a-all run',
        '10:00 b-latest run',
        '10:01 a-all catchup',
        '10:01 b-latest skipped',
        '10:02 a-all catchup',
        '10:02 b-latest catchup',
      ],
    );
    assert.deepEqual(totals.get('a-all'), { run: 1, catchup: 2, dropped: 0, skipped: 0, expired: 0 });
    assert.deepEqual(totals.get('b-latest'), { run: 1, catchup: 1, dropped: 0, skipped: 1, expired: 0 });
  });

  it('fixed-rate slots on the epoch grid', () => {
    const { slots } = simulate({
      jobs: [job({ schedule: { kind: 'every', everyMs: 90_000, offsetMs: 0 }, catchup: 'latest' })],
      fromMs: T(FROM),
      toMs: T('2026-05-10T10:06:00Z'),
      downtimes: [down('2026-05-10T10:01:00Z', '2026-05-10T10:04:00Z')],
    });
    // 10:00:00 is on the 90 s grid (the epoch is too); then 10:01:30, 10:03:00, 10:04:30, 10:06:00.
    assert.deepEqual(
      slots.map((s) => `${iso(s.scheduledAtMs).slice(11, 19)} ${s.outcome}`),
      ['10:00:00 run', '10:01:30 skipped', '10:03:00 catchup', '10:04:30 run', '10:06:00 run'],
    );
  });

  it('shows the deterministic jitter of regular runs, none on catch-up runs', () => {
    const j = job({ jitterMs: 30_000 });
    const { slots } = simulate({ jobs: [j], fromMs: T(FROM), toMs: T(TO), downtimes: [OUTAGE] });
    for (const s of slots) {
      if (s.outcome === 'run') {
        assert.equal(s.startsAtMs, s.scheduledAtMs + slotJitterMs('job', s.scheduledAtMs, 30_000));
        assert.ok(s.startsAtMs! - s.scheduledAtMs < 30_000);
      } else {
        assert.equal(s.startsAtMs, OUTAGE.endMs);
      }
    }
    assert.ok(
      slots.some((s) => s.outcome === 'run' && s.startsAtMs! > s.scheduledAtMs),
      'some run is jittered',
    );
  });

  it('refuses more slots than its budget', () => {
    assert.throws(
      () =>
        simulate({
          jobs: [job({ schedule: { kind: 'cron', pattern: '* * * * * *', timezone: 'UTC' } })],
          fromMs: T(FROM),
          toMs: T(FROM) + HOUR,
          downtimes: [],
          maxSlots: 100,
        }),
      { name: 'TooManySlotsError' },
    );
  });
});

describe('simulate: a DST night runs a daily 02:30 Europe/Berlin job once', () => {
  it('spring forward (2026-03-29, 02:00 -> 03:00): once, at 03:00 CEST', () => {
    const { slots } = simulate({
      jobs: [job({ schedule: berlinNightly })],
      fromMs: T('2026-03-28T00:00:00Z'),
      toMs: T('2026-03-31T00:00:00Z'),
      downtimes: [],
    });
    assert.deepEqual(
      slots.map((s) => `${iso(s.scheduledAtMs)} ${s.outcome}`),
      [
        '2026-03-28T01:30:00.000Z run', // 02:30 CET
        '2026-03-29T01:00:00.000Z run', // 02:30 does not exist: right after the gap, 03:00 CEST
        '2026-03-30T00:30:00.000Z run', // 02:30 CEST
      ],
    );
  });

  it('fall back (2026-10-25, 03:00 -> 02:00): once, on the first 02:30', () => {
    const { slots } = simulate({
      jobs: [job({ schedule: berlinNightly })],
      fromMs: T('2026-10-24T00:00:00Z'),
      toMs: T('2026-10-27T00:00:00Z'),
      downtimes: [],
    });
    assert.deepEqual(
      slots.map((s) => `${iso(s.scheduledAtMs)} ${s.outcome}`),
      [
        '2026-10-24T00:30:00.000Z run', // 02:30 CEST
        '2026-10-25T00:30:00.000Z run', // the first 02:30 (CEST); not again at 02:30 CET (01:30Z)
        '2026-10-26T01:30:00.000Z run', // 02:30 CET
      ],
    );
  });

  it('down across the spring-forward night: the one slot is caught up once', () => {
    const outage = down('2026-03-28T23:00:00Z', '2026-03-29T05:00:00Z');
    const { slots, totals } = simulate({
      jobs: [job({ schedule: berlinNightly, catchup: 'all' })],
      fromMs: T('2026-03-28T00:00:00Z'),
      toMs: T('2026-03-31T00:00:00Z'),
      downtimes: [outage],
    });
    assert.deepEqual(
      slots.map((s) => `${iso(s.scheduledAtMs)} ${s.outcome}`),
      ['2026-03-28T01:30:00.000Z run', '2026-03-29T01:00:00.000Z catchup', '2026-03-30T00:30:00.000Z run'],
    );
    assert.equal(slots[1]!.startsAtMs, outage.endMs);
    assert.deepEqual(totals.get('job'), { run: 2, catchup: 1, dropped: 0, skipped: 0, expired: 0 });
  });

  it('down across the fall-back night with catchup: latest: one catch-up, nothing skipped', () => {
    const { slots } = simulate({
      jobs: [job({ schedule: berlinNightly, catchup: 'latest' })],
      fromMs: T('2026-10-24T00:00:00Z'),
      toMs: T('2026-10-27T00:00:00Z'),
      downtimes: [down('2026-10-24T22:00:00Z', '2026-10-25T03:00:00Z')],
    });
    assert.deepEqual(
      slots.map((s) => `${iso(s.scheduledAtMs)} ${s.outcome}`),
      ['2026-10-24T00:30:00.000Z run', '2026-10-25T00:30:00.000Z catchup', '2026-10-26T01:30:00.000Z run'],
    );
  });
});

describe('simulate: the period and the downtime windows', () => {
  const from = T(FROM);
  const to = T(TO);
  const table: Array<{
    name: string;
    from?: number;
    to?: number;
    windows: Downtime[];
    error: RegExp | undefined;
  }> = [
    { name: 'no window', windows: [], error: undefined },
    {
      name: 'windows in any order',
      windows: [down('2026-05-10T10:05:00Z', TO), down(FROM, '2026-05-10T10:01:00Z')],
      error: undefined,
    },
    { name: '--from after --to', from: to, to: from, windows: [], error: /is after --to/ },
    {
      name: 'a window ending before it starts',
      windows: [down('2026-05-10T10:02:00Z', '2026-05-10T10:01:00Z')],
      error: /ends before it starts/,
    },
    {
      name: 'a window starting before --from',
      windows: [down('2026-05-10T09:59:00Z', '2026-05-10T10:01:00Z')],
      error: /not inside/,
    },
    {
      name: 'a window ending after --to',
      windows: [down('2026-05-10T10:07:00Z', '2026-05-10T10:09:00Z')],
      error: /not inside/,
    },
    {
      name: 'overlapping windows',
      windows: [
        down('2026-05-10T10:01:00Z', '2026-05-10T10:03:00Z'),
        down('2026-05-10T10:02:00Z', '2026-05-10T10:04:00Z'),
      ],
      error: /overlap/,
    },
    {
      name: 'touching windows',
      windows: [
        down('2026-05-10T10:01:00Z', '2026-05-10T10:03:00Z'),
        down('2026-05-10T10:03:00Z', '2026-05-10T10:04:00Z'),
      ],
      error: /overlap/,
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      const problem = checkDowntimes(t.from ?? from, t.to ?? to, t.windows);
      if (t.error === undefined) assert.equal(problem, undefined);
      else assert.match(problem ?? '', t.error);
    });
  }

  it('reads the command line, or says what is wrong as a usage error', () => {
    assert.deepEqual(
      readSimulateArgs({ from: FROM, to: TO, down: ['2026-05-10T12:01:00+02:00..2026-05-10T10:03:00Z'] }),
      { fromMs: from, toMs: to, downtimes: [down('2026-05-10T10:01:00Z', '2026-05-10T10:03:00Z')] },
    );
    const bad: Array<[{ from?: string; to?: string; down?: string[] }, RegExp]> = [
      [{ to: TO }, /needs --from ISO and --to ISO/],
      [{ from: 'yesterday', to: TO }, /--from: 'yesterday' is not an ISO 8601 instant/],
      [{ from: FROM, to: '2026-05-10T10:08:00' }, /--to: .* not an ISO 8601 instant with an offset/],
      [{ from: FROM, to: '2026-02-31T10:00:00Z' }, /--to/],
      [{ from: TO, to: FROM }, /is after --to/],
      [{ from: FROM, to: TO, down: ['2026-05-10T10:01:00Z'] }, /not a window START..END/],
      [{ from: FROM, to: TO, down: ['2026-05-10T10:01:00Z..soon'] }, /--down end: 'soon'/],
      [{ from: FROM, to: TO, down: ['2026-05-10T10:03:00Z..2026-05-10T10:01:00Z'] }, /ends before it starts/],
      [{ from: FROM, to: TO, down: ['2026-05-10T10:03:00Z..2026-05-10T11:00:00Z'] }, /not inside/],
    ];
    for (const [args, message] of bad) {
      assert.throws(
        () => readSimulateArgs(args),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, `${JSON.stringify(args)}: a UsageError (exit 64)`);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });
});

describe('simulate: properties over random schedules, policies and downtimes', () => {
  const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);
  const FROM_MS = T('2026-03-29T00:00:00Z'); // a DST night in Berlin
  const SPAN_MS = 4 * HOUR;
  const schedule = fc.oneof(
    fc
      .constantFrom('* * * * *', '*/7 * * * *', '15,45 * * * *', '30 1-3 * * *', '*/20 * * * * *')
      .chain((pattern) =>
        fc
          .constantFrom('UTC', 'Europe/Berlin')
          .map((timezone): ScheduleSpec => ({ kind: 'cron', pattern, timezone })),
      ),
    fc
      .integer({ min: 10, max: 900 })
      .map((s): ScheduleSpec => ({ kind: 'every', everyMs: s * 1_000, offsetMs: 0 })),
  );
  // Up to three windows: sorted distinct instants, paired up.
  const windows = fc
    .uniqueArray(fc.integer({ min: 0, max: SPAN_MS / 1_000 }), { maxLength: 6 })
    .map((secs) => {
      const sorted = secs.sort((a, b) => a - b).map((s) => FROM_MS + s * 1_000);
      const out: Downtime[] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) out.push({ startMs: sorted[i]!, endMs: sorted[i + 1]! });
      return out;
    });

  it('every slot once; up means run; each restart catches up what the planner says', () => {
    fc.assert(
      fc.property(
        schedule,
        fc.constantFrom('all', 'latest', 'none'),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 6 }),
        windows,
        (spec, catchup, windowMin, maxCatchup, downtimes) => {
          const j = job({ schedule: spec, catchup, catchupWindowMs: windowMin * MIN, maxCatchup });
          const toMs = FROM_MS + SPAN_MS;
          const { slots, totals } = simulate({ jobs: [j], fromMs: FROM_MS, toMs, downtimes });
          assert.deepEqual(
            slots.map((s) => s.scheduledAtMs),
            slotsInRange(j.slots, FROM_MS, toMs),
          );
          const t = totals.get('job')!;
          assert.equal(t.run + t.catchup + t.dropped + t.skipped + t.expired, slots.length);
          for (const s of slots) {
            const w = downtimes.find((d) => d.startMs <= s.scheduledAtMs && s.scheduledAtMs <= d.endMs);
            assert.deepEqual(s.downtime, w);
            if (!w) assert.equal(s.outcome, 'run');
            else assert.notEqual(s.outcome, 'run');
          }
          for (const w of downtimes) {
            const claimed = slots.filter(
              (s) => s.scheduledAtMs < w.startMs && (s.outcome === 'run' || s.outcome === 'catchup'),
            );
            const last =
              claimed[claimed.length - 1]?.scheduledAtMs ?? j.slots.newest(1, -Infinity, FROM_MS - 1)[0]!;
            const caughtUp = slots.filter((s) => s.downtime === w && s.outcome === 'catchup');
            assert.deepEqual(
              caughtUp.map((s) => s.scheduledAtMs),
              planJob(j, last, w.endMs).runs,
            );
            for (const s of caughtUp) assert.equal(s.startsAtMs, w.endMs);
          }
        },
      ),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });
});
