// Property-based tests of the catch-up planner (fast-check): random valid cron
// patterns (with and without a seconds field) and `every:` rates, several time
// zones with DST, random last executions, instants, policies, windows, caps and
// backfill starts. Each plan is checked against an independent enumeration of
// the schedule's occurrences with croner itself (nextRun only, never the
// previousRuns the planner uses), over ranges bounded so the enumeration stays
// cheap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cron } from 'croner';
import fc from 'fast-check';
import { COUNT_BUDGET, planCatchUp, planJob, type PlanJobInput } from '../../../src/catchup/plan-catch-up.js';
import { planDueSlots } from '../../../src/catchup/plan-due-slots.js';
import type { CatchupPolicy, ScheduleSpec } from '../../../src/config/types.js';
import { createSlotCalculator } from '../../../src/schedule/slot-calculator.js';
import { DAY, HOUR, MIN, SEC } from '../../support/time.js';

/** Runs per property: enough to find edge cases over many seeds, few enough for a quick unit suite. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);
/** Failures show the error; PROPERTY_SEED replays a failed run (its seed is printed). */
const REPORT = {
  includeErrorInReport: true,
  seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
};

/** Zones with DST (northern, southern, 30-minute, 45-minute shifts), fixed odd offsets, and UTC. */
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Australia/Sydney',
  'Pacific/Chatham',
  'America/Santiago',
  'Asia/Kolkata',
  'Asia/Kathmandu',
] as const;

/** Instants near DST changes in those zones (2025-2026), where the planner is most likely wrong. */
const DST_CHANGES = [
  '2026-03-29T01:00:00Z', // Europe: spring forward
  '2026-10-25T01:00:00Z', // Europe: fall back
  '2026-03-08T07:00:00Z', // New York: spring forward
  '2026-11-01T06:00:00Z', // New York: fall back
  '2026-04-04T15:00:00Z', // Lord Howe: 30-minute fall back
  '2026-10-03T15:30:00Z', // Lord Howe: 30-minute spring forward
  '2026-04-04T16:00:00Z', // Sydney: fall back
  '2026-04-04T14:00:00Z', // Chatham: fall back (45-minute zone)
  '2026-04-05T03:00:00Z', // Santiago: fall back
  '2025-09-07T04:00:00Z', // Santiago: spring forward
].map((s) => Date.parse(s));

// ---- generators ------------------------------------------------------------

/** One cron field over [min, max]: *, a value, a step, a range, a stepped range or a list. */
function cronField(min: number, max: number, opts: { wildcardWeight?: number } = {}): fc.Arbitrary<string> {
  const value = fc.integer({ min, max });
  const span = max - min + 1;
  return fc.oneof(
    { arbitrary: fc.constant('*'), weight: opts.wildcardWeight ?? 3 },
    { arbitrary: value.map(String), weight: 3 },
    {
      arbitrary: fc.integer({ min: 2, max: Math.max(2, Math.floor(span / 2)) }).map((n) => `*/${n}`),
      weight: 2,
    },
    {
      arbitrary: fc.tuple(value, value).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(value, value, fc.integer({ min: 2, max: 7 }))
        .map(([a, b, n]) => `${Math.min(a, b)}-${Math.max(a, b)}/${n}`),
      weight: 1,
    },
    {
      arbitrary: fc
        .uniqueArray(value, { minLength: 2, maxLength: 4 })
        .map((vs) => vs.sort((x, y) => x - y).join(',')),
      weight: 2,
    },
  );
}

/**
 * Valid cron patterns: 5 fields, or 6 with seconds first; day of month kept to
 * 1-28 so that every pattern has occurrences (an impossible date such as
 * `0 0 31 2 *` is rejected by the config loader, so the planner never sees one).
 */
const cronPattern: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constantFrom('@hourly', '@daily', '@weekly', '@monthly', '@yearly'),
  },
  {
    weight: 8,
    arbitrary: fc
      .record({
        seconds: fc.option(cronField(0, 59, { wildcardWeight: 1 }), { nil: undefined, freq: 3 }),
        minute: cronField(0, 59),
        hour: cronField(0, 23),
        dom: cronField(1, 28, { wildcardWeight: 8 }),
        month: cronField(1, 12, { wildcardWeight: 8 }),
        dow: cronField(0, 6, { wildcardWeight: 8 }),
      })
      .map(({ seconds, minute, hour, dom, month, dow }) =>
        [seconds, minute, hour, dom, month, dow].filter((f) => f !== undefined).join(' '),
      ),
  },
);

const cronSchedule: fc.Arbitrary<ScheduleSpec> = fc
  .tuple(cronPattern, fc.constantFrom(...ZONES))
  .map(([pattern, timezone]) => ({ kind: 'cron', pattern, timezone }));

const everySchedule: fc.Arbitrary<ScheduleSpec> = fc
  .integer({ min: 1, max: 7 * 24 * 3600 })
  .chain((seconds) =>
    fc
      .integer({ min: 0, max: seconds * SEC - 1 })
      .map((offsetMs): ScheduleSpec => ({ kind: 'every', everyMs: seconds * SEC, offsetMs })),
  );

const schedule = fc.oneof({ arbitrary: cronSchedule, weight: 3 }, { arbitrary: everySchedule, weight: 1 });

/** A duration spread over magnitudes: 0 ms up to ~400 days, log-uniformly. */
const duration = fc
  .tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 999 }))
  .map(([magnitude, mult, ms]) => {
    const unit = [0, SEC, 10 * SEC, MIN, 10 * MIN, HOUR, 6 * HOUR, DAY, 3 * DAY, 10 * DAY, 10 * DAY][
      magnitude
    ]!;
    return unit === 0 ? ms : mult * unit + (ms % 2 === 0 ? 0 : ms);
  });

/** "Now": anywhere in 2025-2027, or within a day of a DST change; on whole seconds or not. */
const nowMs = fc.oneof(
  fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
  fc.tuple(fc.constantFrom(...DST_CHANGES), fc.integer({ min: -DAY, max: DAY })).map(([t, d]) => t + d),
  fc
    .tuple(fc.constantFrom(...DST_CHANGES), fc.integer({ min: -4 * 3600, max: 4 * 3600 }))
    .map(([t, s]) => t + s * SEC),
);

const policy = fc.constantFrom<CatchupPolicy>('all', 'latest', 'none');

interface Case {
  spec: ScheduleSpec;
  catchup: CatchupPolicy;
  catchupWindowMs: number;
  maxCatchup: number;
  nowMs: number;
  /** last = now - lastAgo (negative: a last execution after now, e.g. after a backward clock jump). */
  lastMs: number | undefined;
  backfillFromMs: number | undefined;
}

const planCase: fc.Arbitrary<Case> = fc
  .record({
    spec: schedule,
    catchup: policy,
    catchupWindowMs: duration,
    maxCatchup: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 200 })),
    nowMs,
    lastAgo: fc.option(
      fc.oneof({ arbitrary: duration, weight: 6 }, { arbitrary: duration.map((d) => -d), weight: 1 }),
      {
        nil: undefined,
        freq: 6,
      },
    ),
    backfillAgo: fc.option(
      fc.oneof({ arbitrary: duration, weight: 6 }, { arbitrary: duration.map((d) => -d - 1), weight: 1 }),
      { nil: undefined, freq: 2 },
    ),
  })
  .map(({ lastAgo, backfillAgo, ...c }) => ({
    ...c,
    lastMs: lastAgo === undefined ? undefined : c.nowMs - lastAgo,
    backfillFromMs: backfillAgo === undefined ? undefined : c.nowMs - backfillAgo,
  }));

// ---- the independent oracle -------------------------------------------------

/** croner with the options the daemon uses (src/schedule/cron-calculator.ts), built here on its own. */
function oracleCron(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { paused: true, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', timezone });
}

const ENUMERATION_LIMIT = COUNT_BUDGET + 1;

interface Oracle {
  /** Whether `t` is an occurrence of the schedule. */
  isOccurrence(t: number): boolean;
  /** The occurrences in (after, atOrBefore], oldest first; undefined past ENUMERATION_LIMIT. */
  occurrences(after: number, atOrBefore: number): number[] | undefined;
}

function oracleFor(spec: ScheduleSpec): Oracle {
  if (spec.kind === 'every') {
    const { everyMs, offsetMs } = spec;
    return {
      isOccurrence: (t) => (((t - offsetMs) % everyMs) + everyMs) % everyMs === 0,
      occurrences(after, atOrBefore) {
        const out: number[] = [];
        // The first grid point above `after`, found without the planner's arithmetic: step from below.
        let t = offsetMs + Math.floor((after - offsetMs) / everyMs) * everyMs;
        while (t <= after) t += everyMs;
        for (; t <= atOrBefore; t += everyMs) {
          if (out.length === ENUMERATION_LIMIT) return undefined;
          out.push(t);
        }
        return out;
      },
    };
  }
  const cron = oracleCron(spec.pattern, spec.timezone);
  const nextAfter = (t: number) => cron.nextRun(new Date(t))?.getTime();
  return {
    isOccurrence: (t) => nextAfter(t - 1) === t,
    occurrences(after, atOrBefore) {
      const out: number[] = [];
      for (let t = nextAfter(after); t !== undefined && t <= atOrBefore; t = nextAfter(t)) {
        if (out.length === ENUMERATION_LIMIT) return undefined;
        out.push(t);
      }
      return out;
    },
  };
}

function inputFor(c: Case): PlanJobInput {
  return {
    name: 'job',
    slots: createSlotCalculator(c.spec),
    catchup: c.catchup,
    catchupWindowMs: c.catchupWindowMs,
    maxCatchup: c.maxCatchup,
    backfillFromMs: c.backfillFromMs,
  };
}

const iso = (t: number | undefined) => (t === undefined ? 'none' : new Date(t).toISOString());
const show = (c: Case) =>
  `${JSON.stringify(c.spec)} ${c.catchup} window=${c.catchupWindowMs} max=${c.maxCatchup} now=${iso(c.nowMs)} last=${iso(c.lastMs)} backfill=${iso(c.backfillFromMs)}`;

// ---- properties --------------------------------------------------------------

describe('planJob: properties', () => {
  it('every planned slot is a real occurrence, in the window, after the last execution, sorted, within the cap; counts are exact', () => {
    fc.assert(
      fc.property(planCase, (c) => {
        const plan = planJob(inputFor(c), c.lastMs, c.nowMs);
        const at = show(c);
        const noPlan = { runs: [], missed: 0, dropped: 0, skipped: 0, expired: 0, exact: true };
        const pick = ({ runs, missed, dropped, skipped, expired, exact }: typeof plan) => ({
          runs,
          missed,
          dropped,
          skipped,
          expired,
          exact,
        });

        // A job seen for the first time: its baseline is now, nothing runs.
        if (c.lastMs === undefined && (c.backfillFromMs === undefined || c.backfillFromMs > c.nowMs)) {
          assert.deepEqual(pick(plan), noPlan, at);
          assert.equal(plan.firstSeen, true, at);
          assert.equal(plan.baselineMs, c.nowMs, at);
          return;
        }
        assert.equal(plan.firstSeen, false, at);
        assert.equal(plan.baselineMs, undefined, at);
        // The backfill start itself is included: it stands for a last execution just before it.
        const last = c.lastMs ?? c.backfillFromMs! - 1;
        if (last >= c.nowMs) {
          assert.deepEqual(pick(plan), noPlan, at);
          return;
        }

        const oracle = oracleFor(c.spec);
        const windowStart = c.nowMs - c.catchupWindowMs;
        const wanted = c.catchup === 'all' ? c.maxCatchup : c.catchup === 'latest' ? 1 : 0;
        for (const [i, s] of plan.runs.entries()) {
          assert.ok(oracle.isOccurrence(s), `${iso(s)} is not an occurrence: ${at}`);
          assert.ok(s > last, `${iso(s)} is not after the last execution: ${at}`);
          assert.ok(s > windowStart && s <= c.nowMs, `${iso(s)} is outside the window: ${at}`);
          if (i > 0) assert.ok(s > plan.runs[i - 1]!, `runs not strictly increasing: ${at}`);
        }
        assert.ok(plan.runs.length <= wanted, `more runs than the policy allows: ${at}`);
        // Whatever is missed is accounted for: run, dropped (all) or skipped (latest, none).
        assert.equal(plan.missed, plan.runs.length + plan.dropped + plan.skipped, at);
        if (c.catchup === 'all') assert.equal(plan.skipped, 0, at);
        else assert.equal(plan.dropped, 0, at);

        const lower = Math.max(last, windowStart);
        const missed = oracle.occurrences(lower, c.nowMs);
        const expired = windowStart > last ? oracle.occurrences(last, windowStart) : [];
        if (missed !== undefined) {
          // The runs are the newest `wanted` missed slots: none newer is left out.
          assert.deepEqual(
            plan.runs.map(iso),
            missed.slice(Math.max(0, missed.length - wanted)).map(iso),
            at,
          );
          if (plan.exact || missed.length <= wanted) assert.equal(plan.missed, missed.length, at);
        }
        if (expired !== undefined && plan.exact) assert.equal(plan.expired, expired.length, at);
        // Only a count past the budget may be an estimate.
        if (!plan.exact) {
          const big = (xs: number[] | undefined) => xs === undefined || xs.length > COUNT_BUDGET;
          assert.ok(big(missed) || big(expired), `inexact although both counts are small: ${at}`);
        }
      }),
      { numRuns: RUNS, ...REPORT },
    );
  });

  it('planCatchUp: the union of the job plans, ordered by scheduled time then job name', () => {
    const jobCase = fc.tuple(planCase, fc.constantFrom('a', 'b', 'c', 'd'));
    fc.assert(
      fc.property(fc.array(jobCase, { maxLength: 4 }), nowMs, (cases, now) => {
        const byName = new Map(cases.map(([c, name]) => [name, c]));
        const jobs = [...byName].map(([name, c]) => ({ ...inputFor(c), name }));
        const last = new Map<string, number>();
        for (const [name, c] of byName) if (c.lastMs !== undefined) last.set(name, c.lastMs - c.nowMs + now);
        const plan = planCatchUp(jobs, last, now);
        assert.equal(plan.jobs.length, jobs.length);
        const expected = plan.jobs.flatMap((p) => p.runs.map((s) => ({ job: p.job, scheduledAtMs: s })));
        assert.equal(plan.runs.length, expected.length);
        for (const [i, r] of plan.runs.entries()) {
          const prev = plan.runs[i - 1];
          if (prev) {
            assert.ok(
              prev.scheduledAtMs < r.scheduledAtMs ||
                (prev.scheduledAtMs === r.scheduledAtMs && prev.job < r.job),
            );
          }
        }
        const key = (r: { job: string; scheduledAtMs: number }) => `${r.job}@${r.scheduledAtMs}`;
        assert.deepEqual(plan.runs.map(key).sort(), expected.map(key).sort());
      }),
      { numRuns: Math.ceil(RUNS / 3), ...REPORT },
    );
  });

  it('planning in two steps (a restart in between) runs no slot twice and, with policy all, misses none', () => {
    fc.assert(
      fc.property(planCase, duration, (c, gap) => {
        const cAll = { ...c, catchup: 'all' as const, maxCatchup: 300, catchupWindowMs: 1_000 * DAY };
        const last = cAll.lastMs ?? cAll.nowMs - DAY;
        if (last >= cAll.nowMs) return;
        const input = inputFor(cAll);
        const first = planJob(input, last, cAll.nowMs);
        // The last execution after the first plan: its newest run, or unchanged when it ran nothing.
        const after = first.runs.at(-1) ?? last;
        const later = cAll.nowMs + gap;
        const second = planJob(inputFor(cAll), after, later);
        const all = planJob(input, last, later);
        // Only complete plans compare: nothing dropped by the cap, every count exact.
        if ([first, second, all].some((p) => !p.exact || p.dropped > 0)) return;
        assert.deepEqual([...first.runs, ...second.runs], all.runs, show(cAll));
      }),
      { numRuns: Math.ceil(RUNS / 3), ...REPORT },
    );
  });
});

describe('planDueSlots: properties', () => {
  it('the due slots are real occurrences after the planned-up-to slot, the newest one regular, the rest catch-up by policy', () => {
    fc.assert(
      fc.property(planCase, fc.oneof(fc.integer({ min: 0, max: 5 * SEC }), duration), (c, lateBy) => {
        const input = inputFor(c);
        const oracle = oracleFor(c.spec);
        const plannedUpTo = c.nowMs;
        const due = input.slots.next(plannedUpTo);
        if (due === undefined) return;
        const now = due + lateBy;
        const r = planDueSlots(input, plannedUpTo, due, now);
        const at = `${show(c)} due=${iso(due)} fired=${iso(now)}`;
        assert.ok(r.slots.length >= 1, at);
        const regular = r.slots.at(-1)!;
        assert.equal(regular.catchup, false, at);
        assert.equal(r.plannedUpToMs, regular.scheduledAtMs, at);
        // The regular slot is the newest occurrence at or before now.
        assert.ok(regular.scheduledAtMs <= now && regular.scheduledAtMs >= due, at);
        const next = oracle.occurrences(regular.scheduledAtMs, now);
        if (next !== undefined)
          assert.deepEqual(next, [], `a newer slot than the regular one was due: ${at}`);
        for (const [i, s] of r.slots.entries()) {
          assert.ok(oracle.isOccurrence(s.scheduledAtMs), at);
          assert.ok(s.scheduledAtMs > plannedUpTo, at);
          if (i < r.slots.length - 1) assert.equal(s.catchup, true, at);
          if (i > 0) assert.ok(s.scheduledAtMs > r.slots[i - 1]!.scheduledAtMs, at);
        }
        const wanted = c.catchup === 'all' ? c.maxCatchup : c.catchup === 'latest' ? 1 : 0;
        assert.ok(r.slots.length - 1 <= wanted, at);
      }),
      { numRuns: RUNS, ...REPORT },
    );
  });
});
