// JobScheduler.setJobs prepares a long job list a turn of the event loop at a
// time: the old list keeps firing meanwhile, a later call supersedes one still
// preparing, and the list put in place is the latest one asked for.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import pino from 'pino';
import type { JobConfig } from '../../../src/config/types.js';
import { JobScheduler } from '../../../src/dispatch/job-scheduler.js';
import type { SlotClaim } from '../../../src/schedule/slot.js';
import { testJob } from '../../support/jobs.js';

const T0 = Date.parse('2026-03-29T00:00:00Z');

/** A job as the config builds it, every policy from the built-in defaults. */
function job(name: string, pattern: string): JobConfig {
  return testJob(name, { schedule: pattern });
}

function scheduler() {
  return new JobScheduler({
    clock: { now: () => T0 },
    logger: pino({ level: 'silent' }),
    onSlots: () => {},
    onMissed: () => {},
  });
}

/** Enough distinct jobs that preparing them takes several turns (well over 50 ms). */
const many = Array.from({ length: 200_000 }, (_, i) =>
  job(`many-${i}`, `${i % 60} ${Math.floor(i / 60) % 60} ${Math.floor(i / 3600) % 24} * * *`),
);

describe('JobScheduler.setJobs', () => {
  it('yields while preparing a long list, and a later call supersedes it', async () => {
    const s = scheduler();
    const first = s.setJobs(many, () => T0);
    // The first call is still preparing: nothing of it is in place yet.
    assert.equal(s.size, 0);
    const second = s.setJobs([job('a', '0 * * * *'), job('b', '30 * * * *')], () => T0);
    await Promise.all([first, second]);
    assert.equal(s.size, 2, 'the later list is the one in place');
    assert.ok(s.get('a') && s.get('b'));
    assert.equal(s.get('many-0'), undefined);
  });

  it('puts a long list in place, giving timers turns meanwhile', async () => {
    const s = scheduler();
    let turns = 0;
    const ticking = setInterval(() => turns++, 1);
    await s.setJobs(many, () => T0);
    clearInterval(ticking);
    assert.equal(s.size, many.length);
    assert.equal(s.get('many-61')?.plannedUpToMs, T0);
    assert.ok(turns > 0, 'a timer ran while the list was prepared');
  });

  it('a job that fires while a long list is prepared hands out every slot once, across the switch', async () => {
    // The clock and setTimeout are moved a second at a time while the new list is
    // prepared (its turns are real: setImmediate and performance.now are not mocked).
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = T0;
      const claims: SlotClaim[] = [];
      const s = new JobScheduler({
        clock: { now: () => now },
        logger: pino({ level: 'silent' }),
        onSlots: (slots) => claims.push(...slots),
        onMissed: () => {},
      });
      // Caught up in full: a slot handed out twice would show.
      const tick = testJob('tick', { schedule: '* * * * * *', catchup: 'all' });
      // As the leader does: a job resumes after the slot it reached.
      const resume = (_: JobConfig, previous: number | undefined) => previous ?? T0;
      await s.setJobs([tick], resume);
      s.start();
      const second = () => {
        now += 1_000;
        mock.timers.tick(1_000);
      };
      second();
      let settled = false;
      const replaced = s.setJobs([tick, ...many], resume).then(() => (settled = true));
      let during = 0;
      while (!settled) {
        second();
        during++;
        await new Promise((r) => setImmediate(r));
      }
      await replaced;
      for (let i = 0; i < 3; i++) second();
      assert.ok(during >= 1, `the job fired while the list was prepared (${during} seconds)`);
      assert.equal(s.size, many.length + 1);
      const ticks = claims.filter((c) => c.job === 'tick').map((c) => c.scheduledAtMs);
      const expected = Array.from({ length: (now - T0) / 1_000 }, (_, i) => T0 + (i + 1) * 1_000);
      assert.deepEqual(ticks, expected, 'every second handed out once, in order');
      // The new list's own entries are in place: many-0 (00:00:00 daily) is next due tomorrow, not before.
      assert.equal(s.get('many-0')?.dueMs, T0 + 86_400_000);
    } finally {
      mock.timers.reset();
    }
  });
});
