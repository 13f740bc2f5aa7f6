import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Registry } from 'prom-client';
import { Metrics } from '../../../src/metrics/metrics.js';

/** The lines of one metric family (HELP, TYPE, samples) in an exposition. */
function family(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter(
      (l) =>
        l === `# HELP ${name}` ||
        l.startsWith(`# HELP ${name} `) ||
        l.startsWith(`# TYPE ${name} `) ||
        l.startsWith(`${name}{`) ||
        l.startsWith(`${name} `),
    );
}

const NAMES = ['plain', 'with "quotes"', 'back\\slash', 'new\nline', 'ünïcödé 🕑'];

describe('per-job gauges in the exposition', () => {
  it('are written exactly as prom-client writes the same gauge', async () => {
    const m = new Metrics();
    const expected = new Registry();
    const next = new Gauge({
      name: 'cronkeeper_job_next_slot_timestamp_seconds',
      help: 'The next slot, by job (Unix seconds).',
      labelNames: ['job'],
      registers: [expected],
    });
    const paused = new Gauge({
      name: 'cronkeeper_job_paused',
      help: '1 while the job is paused (cronkeeper pause), else 0; by job. Set by the leader.',
      labelNames: ['job'],
      registers: [expected],
    });
    NAMES.forEach((job, i) => {
      const ms = 1_795_786_597_684 + i * 1001;
      m.setNextSlot(job, ms);
      next.set({ job }, ms / 1000);
    });
    m.setPaused('plain', true); // and its next slot goes
    next.remove({ job: 'plain' });
    paused.set({ job: 'plain' }, 1);
    m.setPaused('with "quotes"', false);
    paused.set({ job: 'with "quotes"' }, 0);
    const ours = await m.exposition();
    const theirs = await expected.metrics();
    for (const name of ['cronkeeper_job_next_slot_timestamp_seconds', 'cronkeeper_job_paused']) {
      assert.deepEqual(family(ours, name).sort(), family(theirs, name).sort(), name);
    }
    assert.equal(family(ours, 'cronkeeper_job_next_slot_timestamp_seconds').length, 2 + NAMES.length - 1);
  });

  it('writes the families of jobs with no value as HELP and TYPE only, and the registry’s metrics too', async () => {
    const m = new Metrics();
    m.jobsConfigured.set(3);
    const text = await m.exposition();
    assert.deepEqual(family(text, 'cronkeeper_job_last_success_timestamp_seconds').length, 2);
    assert.match(text, /^cronkeeper_jobs_configured 3$/m);
    assert.ok(text.endsWith('\n'));
  });

  it('forgets the jobs no longer configured', async () => {
    const m = new Metrics();
    m.setNextSlot('kept', 1_000);
    m.setNextSlot('gone', 2_000);
    m.setStale('gone', true);
    m.retainJobs(new Set(['kept']));
    const text = await m.exposition();
    assert.deepEqual(family(text, 'cronkeeper_job_next_slot_timestamp_seconds').slice(2), [
      'cronkeeper_job_next_slot_timestamp_seconds{job="kept"} 1',
    ]);
    assert.equal(family(text, 'cronkeeper_job_stale').length, 2);
  });

  it('counters by job are written exactly as prom-client writes the same counter', async () => {
    const m = new Metrics();
    const expected = new Registry();
    const runs = new Counter({
      name: 'cronkeeper_runs_total',
      help: 'Runs by job, outcome and whether they were catch-up runs.',
      labelNames: ['job', 'outcome', 'catchup'],
      registers: [expected],
    });
    const dropped = new Counter({
      name: 'cronkeeper_dropped_slots_total',
      help: 'Missed slots left out by maxCatchup, by job.',
      labelNames: ['job'],
      registers: [expected],
    });
    for (const job of NAMES) {
      for (const [outcome, n] of [
        ['success', 3],
        ['failure', 1],
      ] as const) {
        for (let i = 0; i < n; i++) {
          m.runs.inc({ job, outcome, catchup: 'false' });
          runs.inc({ job, outcome, catchup: 'false' });
        }
      }
      m.countDropped(job, 7);
      dropped.inc({ job }, 7);
    }
    m.runs.inc({ job: 'plain', outcome: 'success', catchup: 'true' }, 2);
    runs.inc({ job: 'plain', outcome: 'success', catchup: 'true' }, 2);
    const ours = await m.exposition();
    const theirs = await expected.metrics();
    for (const name of ['cronkeeper_runs_total', 'cronkeeper_dropped_slots_total']) {
      assert.deepEqual(family(ours, name).sort(), family(theirs, name).sort(), name);
    }
    assert.match(ours, /^cronkeeper_runs_total\{job="plain",outcome="success",catchup="false"\} 3$/m);
  });

  it('run durations: one histogram for all jobs, and each job’s last duration', async () => {
    const m = new Metrics();
    m.recordRunDuration('a', 50);
    m.recordRunDuration('b', 2_000);
    m.recordRunDuration('a', 120);
    const text = await m.exposition();
    assert.match(text, /^cronkeeper_run_duration_seconds_count 3$/m);
    assert.match(text, /^cronkeeper_run_duration_seconds_sum 2.17$/m);
    assert.ok(
      !/cronkeeper_run_duration_seconds_bucket\{[^}]*job=/.test(text),
      'no job label on the histogram',
    );
    assert.deepEqual(family(text, 'cronkeeper_job_last_run_duration_seconds').slice(2), [
      'cronkeeper_job_last_run_duration_seconds{job="a"} 0.12',
      'cronkeeper_job_last_run_duration_seconds{job="b"} 2',
    ]);
  });

  it('is written in chunks of about 64 KB, not as one string of every job', async () => {
    const m = new Metrics();
    for (let i = 0; i < 20_000; i++) {
      m.setNextSlot(`some-job-with-a-longer-name-${i}`, 1_795_786_597_000 + i * 1000);
      m.runs.inc({ job: `some-job-with-a-longer-name-${i}`, outcome: 'success', catchup: 'false' });
    }
    const chunks: string[] = [];
    await m.writeExposition((c) => chunks.push(c));
    const perJob = chunks.slice(1); // the first is prom-client's registry
    assert.ok(perJob.length > 10, `${perJob.length} chunks`);
    for (const c of perJob) assert.ok(c.length < 64 * 1024 + 256, `a chunk of ${c.length}`);
    const perJobLines = (t: string) => t.split('\n').filter((l) => /^cronkeeper_(job_|runs_total)/.test(l));
    assert.deepEqual(perJobLines(chunks.join('')), perJobLines(await m.exposition()));
    assert.equal(
      (await m.exposition()).split('\n').filter((l) => l.startsWith('cronkeeper_runs_total{')).length,
      20_000,
    );
  });
});
