// Wall-clock jumps through the injected clock: the real JobScheduler (one
// TimerLoop over every job's next slot) driven by a fake Clock and node:test's
// mocked setTimeout, so an NTP step of an hour takes microseconds.
//   forward 1 h  -> the slots jumped over are missed slots, handled by the
//                   job's catch-up policy (all / latest / none), the newest one
//                   runs as the regular slot;
//   backward 1 h -> no slot already handed out is handed out again; the
//                   schedule resumes with the slot after the last one, once the
//                   clock reaches it again.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import pino from 'pino';
import type { JobPlan } from '../../../src/catchup/plan-catch-up.js';
import type { CatchupPolicy, JobConfig } from '../../../src/config/types.js';
import { JobScheduler } from '../../../src/dispatch/job-scheduler.js';
import type { SlotClaim } from '../../../src/schedule/slot.js';
import { HOUR, MIN, SEC, iso } from '../../support/time.js';

/** A fixed instant on a whole minute; tests never read the real clock. */
const T0 = Date.parse('2026-03-29T00:00:00Z');

function job(name: string, catchup: CatchupPolicy, pattern = '* * * * *'): JobConfig {
  return {
    name,
    source: { file: '/etc/cronkeeper.yaml', line: 1, column: 1 },
    schedule: { kind: 'cron', pattern, timezone: 'UTC' },
    action: { kind: 'command', argv: ['/bin/true'], env: {}, cwd: undefined },
    catchup,
    catchupWindowMs: 24 * HOUR,
    maxCatchup: 100,
    overlap: 'skip',
    timeoutMs: HOUR,
    killGraceMs: 10 * SEC,
    onInterrupted: 'skip',
    onResume: 'skip',
    onScheduleChange: 'keep',
    formerNames: [],
    backfillFromMs: undefined,
    retries: { max: 0, backoffMs: 10 * SEC, maxBackoffMs: 300 * SEC },
    jitterMs: 0,
    onFailure: undefined,
    onSuccess: undefined,
    outputKeepBytes: 16_384,
    logOutput: 'lines',
    logLineRate: 100,
    keepChildren: false,
  };
}

/** A scheduler on a fake clock; `advance` moves the clock and the timers together, `jump` the clock alone. */
function harness(jobs: JobConfig[]) {
  let now = T0;
  const claims: SlotClaim[] = [];
  const missed: JobPlan[] = [];
  const scheduler = new JobScheduler({
    clock: { now: () => now },
    logger: pino({ level: 'silent' }),
    onSlots: (slots) => claims.push(...slots),
    onMissed: (plan) => missed.push(plan),
  });
  // Every job resumes after T0 (its last execution), as after a restore.
  // A few jobs are in place before setJobs returns (it yields only after 50 ms of work).
  void scheduler.setJobs(jobs, () => T0);
  scheduler.start();
  return {
    claims,
    missed,
    scheduler,
    now: () => now,
    /**
     * Real time passing: the clock and the timers move together, in steps of
     * at most `stepMs` (the loop sleeps 1 s at most; a longer step is a slow wake-up).
     */
    advance(ms: number, stepMs = SEC) {
      for (let left = ms; left > 0; left -= stepMs) {
        const step = Math.min(stepMs, left);
        now += step;
        mock.timers.tick(step);
      }
    },
    /** The wall clock is stepped (NTP, a resumed VM); the monotonic timers are not. */
    jump(ms: number) {
      now += ms;
    },
  };
}

const minutes = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => iso(T0 + (from + i) * MIN));

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

describe('clock jumps (JobScheduler on an injected clock)', () => {
  it('runs normally before any jump: one slot per minute, none catch-up', () => {
    const h = harness([job('a', 'all')]);
    h.advance(3 * MIN);
    h.scheduler.stop();
    assert.deepEqual(
      h.claims.map((c) => [iso(c.scheduledAtMs), c.catchup]),
      minutes(1, 3).map((t) => [t, false]),
    );
    assert.deepEqual(h.missed, []);
  });

  it("forward 1 h: the 60 slots jumped over are missed slots, by each job's policy", () => {
    const h = harness([job('all', 'all'), job('latest', 'latest'), job('none', 'none')]);
    h.advance(2 * MIN + 30 * SEC); // slots 1 and 2 ran normally
    const before = h.claims.length;
    h.jump(HOUR);
    h.advance(SEC); // the timer loop wakes within 1 s and sees the new time
    h.scheduler.stop();

    const after = h.claims.slice(before);
    const of = (name: string) =>
      after.filter((c) => c.job === name).map((c) => [iso(c.scheduledAtMs), c.catchup]);
    // Slots 3..62 lie between the old and the new time; 62 is due now and runs as the regular slot.
    assert.deepEqual(of('all'), [...minutes(3, 61).map((t) => [t, true]), [iso(T0 + 62 * MIN), false]]);
    // latest: one run for the whole gap, and the slot due now is it (as at a boot, where the newest missed slot runs).
    assert.deepEqual(of('latest'), [[iso(T0 + 62 * MIN), false]]);
    assert.deepEqual(of('none'), [[iso(T0 + 62 * MIN), false]]);

    const plan = (name: string) => h.missed.find((p) => p.job === name);
    // The missed count includes the regular slot (60); it runs, so none skips only the 59 before it.
    assert.deepEqual(
      ['all', 'latest', 'none'].map((n) => [n, plan(n)?.missed, plan(n)?.dropped, plan(n)?.skipped]),
      [
        ['all', 60, 0, 0],
        ['latest', 60, 0, 59],
        ['none', 60, 0, 59],
      ],
    );
    // Every slot handed out once, in order, per job.
    for (const name of ['all', 'latest', 'none']) {
      const times = h.claims.filter((c) => c.job === name).map((c) => c.scheduledAtMs);
      assert.deepEqual(
        times,
        [...new Set(times)].sort((x, y) => x - y),
        name,
      );
    }
  });

  it('forward 1 h beyond the cap: the oldest missed slots are dropped and counted, never silently', () => {
    const capped = { ...job('capped', 'all', '* * * * * *'), maxCatchup: 100 };
    const h = harness([capped]);
    h.advance(10 * SEC);
    const before = h.claims.length;
    h.jump(HOUR);
    h.advance(SEC);
    h.scheduler.stop();
    const after = h.claims.slice(before);
    assert.equal(after.length, 100, 'maxCatchup runs: 99 catch-up slots and the regular one');
    assert.deepEqual(
      after.map((c) => c.catchup),
      [...Array<boolean>(99).fill(true), false],
    );
    const plan = h.missed[0]!;
    // 3601 slots between the last one handed out (T0 + 10 s) and now (T0 + 1 h + 11 s).
    assert.equal(plan.missed, 3601);
    assert.equal(plan.dropped, 3601 - 100);
    assert.equal(after.at(-1)!.scheduledAtMs, T0 + HOUR + 11 * SEC);
  });

  it('backward 1 h: no slot handed out runs again; the schedule resumes after the last one, once', () => {
    const h = harness([job('a', 'all'), job('b', 'latest', '*/10 * * * * *')]);
    h.advance(5 * MIN + 30 * SEC);
    const handedOut = new Map(
      ['a', 'b'].map((n) => [
        n,
        Math.max(...h.claims.filter((c) => c.job === n).map((c) => c.scheduledAtMs)),
      ]),
    );
    assert.equal(handedOut.get('a'), T0 + 5 * MIN);
    assert.equal(handedOut.get('b'), T0 + 5 * MIN + 30 * SEC);
    const before = h.claims.length;

    h.jump(-HOUR);
    // The hour the clock went back: nothing is due again.
    h.advance(HOUR - 31 * SEC, 5 * SEC);
    assert.deepEqual(h.claims.slice(before), [], 'no slot while the clock relives the hour');

    // Past the last slot handed out, the schedule goes on from there: each slot once, none catch-up.
    h.advance(2 * MIN);
    h.scheduler.stop();
    const after = h.claims.slice(before);
    assert.deepEqual(
      after.filter((c) => c.job === 'a').map((c) => [iso(c.scheduledAtMs), c.catchup]),
      minutes(6, 6).map((t) => [t, false]),
    );
    const bSlots = after.filter((c) => c.job === 'b').map((c) => c.scheduledAtMs);
    assert.equal(bSlots.length, 8, 'b: 5:40 to 6:50');
    bSlots.forEach((t, i) => assert.equal(t, T0 + 5 * MIN + 40 * SEC + i * 10 * SEC));
    assert.ok(after.every((c) => !c.catchup));
    assert.deepEqual(h.missed, []);
    for (const name of ['a', 'b']) {
      const times = h.claims.filter((c) => c.job === name).map((c) => c.scheduledAtMs);
      assert.equal(new Set(times).size, times.length, `${name}: no slot handed out twice`);
    }
  });
});
