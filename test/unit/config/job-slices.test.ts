// Jobs handed over from the reader thread as columns: read back equal, every
// field, in order, and what jobs share on one side shared on the other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JOB_FIELDS, JobSliceReader, JobSliceWriter, type JobSlice } from '../../../src/config/job-slices.js';
import type { HookConfig, HttpAction, JobConfig } from '../../../src/config/types.js';

const httpAction: HttpAction = { kind: 'http', url: 'http://127.0.0.1:9/hook', method: 'POST', headers: {} };
const hook: HookConfig = {
  action: { kind: 'command', argv: ['notify', '--failed'], env: { A: '0644' }, cwd: '/srv' },
  timeoutMs: 300_000,
};
const retries = { max: 0, backoffMs: 10_000, maxBackoffMs: 3_600_000 };
const noNames: string[] = [];

function job(i: number, extra: Partial<JobConfig> = {}): JobConfig {
  return {
    name: `job-${i}`,
    source: {
      file: i % 2 ? '/etc/cronkeeper/jobs.d/a.yaml' : '/etc/cronkeeper/cronkeeper.yaml',
      line: i + 2,
      column: 3,
    },
    schedule:
      i % 3 === 0
        ? { kind: 'every', everyMs: 90_000, offsetMs: i }
        : { kind: 'cron', pattern: `${i % 60} * * * *`, timezone: i % 2 ? 'Europe/Berlin' : 'UTC' },
    action:
      i % 4 === 0 ? { kind: 'command', argv: ['echo', String(i)], env: {}, cwd: undefined } : httpAction,
    catchup: 'latest',
    catchupWindowMs: Number.POSITIVE_INFINITY,
    maxCatchup: 100,
    overlap: 'skip',
    timeoutMs: 3_600_000,
    killGraceMs: 10_000,
    onInterrupted: 'skip',
    onResume: 'skip',
    onScheduleChange: 'keep',
    formerNames: noNames,
    backfillFromMs: undefined,
    retries,
    jitterMs: 0,
    onFailure: hook,
    onSuccess: undefined,
    outputKeepBytes: 65_536,
    logOutput: 'lines',
    logLineRate: 100,
    keepChildren: false,
    ...extra,
  };
}

/** As postMessage hands a slice over: a structured clone, its numbers transferred. */
function handOver(slice: JobSlice): JobSlice {
  return structuredClone(slice, { transfer: [slice.numbers.buffer as ArrayBuffer] });
}

describe('job slices', () => {
  it('reads back every field of every job, in order, over several slices', () => {
    const jobs = [
      ...Array.from({ length: 10 }, (_, i) => job(i)),
      job(10, {
        backfillFromMs: Date.UTC(2026, 0, 1),
        maxAgeMs: 86_400_000,
        inheritEnv: ['PGPASSWORD'],
        runOn: 'batch',
        formerNames: ['old-10'],
        retries: { max: 3, backoffMs: 1_000, maxBackoffMs: 60_000 },
        onFailure: undefined,
        onSuccess: { action: httpAction, timeoutMs: 5_000 },
        keepChildren: true,
        catchup: 'all',
        overlap: 'queue',
        onInterrupted: 'rerun',
        onResume: 'catchup',
        onScheduleChange: 'reanchor',
        logOutput: 'tail',
        jitterMs: 1_500,
        catchupWindowMs: 3_600_000,
      }),
      job(11, { maxAgeMs: 0 }),
    ];
    const writer = new JobSliceWriter();
    const reader = new JobSliceReader();
    const read: JobConfig[] = [];
    for (let i = 0; i < jobs.length; i += 5)
      read.push(...reader.read(handOver(writer.write(jobs.slice(i, i + 5)))));
    assert.deepEqual(read, jobs);
    // The job with every field set has the fields the slices carry, and no other.
    assert.deepEqual(Object.keys(read[10]!).sort(), [...JOB_FIELDS].sort());
    // No key for what is unset, as buildJob writes a job.
    assert.equal('maxAgeMs' in read[0]!, false);
    assert.equal('inheritEnv' in read[0]!, false);
    assert.equal('runOn' in read[0]!, false);
  });

  it('sends what jobs share once, and shares it on the reading side', () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job(i * 4 + 1));
    const writer = new JobSliceWriter();
    const reader = new JobSliceReader();
    const slices = [writer.write(jobs.slice(0, 20)), writer.write(jobs.slice(20))];
    assert.deepEqual(slices[1]!.newObjects, []);
    assert.deepEqual(slices[1]!.newWords, []);
    const read = slices.flatMap((s) => reader.read(handOver(s)));
    assert.deepEqual(read, jobs);
    const first = read[0]!;
    for (const j of read) {
      assert.equal(j.action, first.action);
      assert.equal(j.retries, first.retries);
      assert.equal(j.onFailure, first.onFailure);
    }
  });

  it('reads command actions back, each its own object', () => {
    const jobs = Array.from({ length: 8 }, (_, i) => job(i * 4, { onFailure: undefined }));
    const writer = new JobSliceWriter();
    const reader = new JobSliceReader();
    const read = reader.read(handOver(writer.write(jobs)));
    assert.deepEqual(read, jobs);
    const kinds = new Set(read.map((j) => j.action.kind));
    assert.deepEqual([...kinds], ['command']);
  });
});
