// Schedule-change detection (a hash of what decides the slots) and the rename
// rules, at fixed inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  pendingRenames,
  possibleRenames,
  scheduleChanges,
  SpecHashList,
  specHash,
} from '../../../src/catchup/job-changes.js';
import type { JobConfig, ScheduleSpec } from '../../../src/config/types.js';
import { describeSchedule } from '../../../src/schedule/describe-schedule.js';

const cron = (pattern: string, timezone = 'UTC'): ScheduleSpec => ({ kind: 'cron', pattern, timezone });

function job(name: string, schedule: ScheduleSpec, over: Partial<JobConfig> = {}): JobConfig {
  return {
    name,
    schedule,
    onScheduleChange: 'keep',
    formerNames: [],
    ...over,
  } as JobConfig;
}

test('specHash: the values stored by earlier versions (a changed hash would be a schedule change)', () => {
  // sha256 of the canonical spec, first 8 bytes as hex, as every release has written them.
  const every = (everyMs: number, offsetMs = 0): ScheduleSpec => ({ kind: 'every', everyMs, offsetMs });
  assert.equal(specHash(cron('30 2 * * *', 'Europe/Berlin')), '1f10817292a8bf5e');
  assert.equal(specHash(every(60_000, 15_000)), '5ffee94726b42396');
});

test('specHash: what decides the slots, and nothing else', () => {
  assert.equal(specHash(cron('30 2 * * *')), specHash(cron('30  2 * *   *')), 'whitespace is not a change');
  assert.notEqual(specHash(cron('30 2 * * *')), specHash(cron('30 3 * * *')));
  assert.notEqual(
    specHash(cron('30 2 * * *', 'UTC')),
    specHash(cron('30 2 * * *', 'Europe/Berlin')),
    'the zone',
  );
  const every = (everyMs: number, offsetMs = 0): ScheduleSpec => ({ kind: 'every', everyMs, offsetMs });
  assert.notEqual(specHash(every(60_000)), specHash(every(90_000)));
  assert.notEqual(specHash(every(60_000)), specHash(every(60_000, 15_000)), 'the offset');
  assert.match(specHash(every(60_000)), /^[0-9a-f]{16}$/);
});

test('SpecHashList: the specHash of each job, jobs sharing their patterns, hashes with leading zeros', () => {
  const every = (everyMs: number, offsetMs = 0): ScheduleSpec => ({ kind: 'every', everyMs, offsetMs });
  const specs = [
    cron('30 2 * * *'),
    cron('30 2 * * *', 'Europe/Berlin'),
    cron('30 2 * * *'),
    every(60_000),
    every(60_000, 15_000),
    every(60_000),
  ];
  // Enough distinct specs that some hashes start a word with a zero digit.
  for (let m = 0; m < 60; m++)
    for (let h = 0; h < 24; h++) specs.push(cron(`${m} ${h} * * *`, 'Asia/Kolkata'));
  const hashes = new SpecHashList(specs.map((schedule) => ({ schedule })));
  assert.equal(hashes.at(2), specHash(specs[2]!), 'asked out of order');
  assert.equal(hashes.length, specs.length);
  const all = specs.map((spec, i) => [hashes.at(i), specHash(spec)]);
  for (const [got, want] of all) assert.equal(got, want);
  assert.ok(
    all.some(([h]) => h!.startsWith('0') || h![8] === '0'),
    'a word with a leading zero keeps its digits',
  );
  assert.throws(() => hashes.at(specs.length), RangeError);
});

test('scheduleChanges: a changed spec, with the job rule; unknown and unchanged jobs are not changes', () => {
  const stored = new Map([
    ['same', { hash: specHash(cron('0 * * * *')), spec: '0 * * * *' }],
    ['moved', { hash: specHash(cron('30 2 * * *')), spec: '30 2 * * *' }],
    ['zoned', { hash: specHash(cron('30 2 * * *')), spec: '30 2 * * *' }],
  ]);
  const changes = scheduleChanges(
    [
      job('same', cron('0 * * * *')),
      job('moved', cron('30 3 * * *')),
      job('zoned', cron('30 2 * * *', 'Europe/Berlin'), { onScheduleChange: 'reanchor' }),
      job('new', cron('* * * * *')),
    ],
    stored,
    describeSchedule,
  );
  assert.deepEqual(changes, [
    { job: 'moved', from: '30 2 * * *', to: '30 3 * * *', rule: 'keep' },
    { job: 'zoned', from: '30 2 * * *', to: '30 2 * * * (Europe/Berlin)', rule: 'reanchor' },
  ]);
});

test('pendingRenames: a former name known to the state or the store, once', () => {
  const jobs = [
    job('billing-v2', cron('0 2 * * *'), { formerNames: ['billing', 'billing-old'] }),
    job('report', cron('0 3 * * *'), { formerNames: ['rep'] }),
  ];
  const known = new Set(['billing', 'billing-old', 'rep']);
  assert.deepEqual(
    pendingRenames(jobs, (n) => known.has(n), new Set()),
    [
      { from: 'billing', to: 'billing-v2' },
      { from: 'billing-old', to: 'billing-v2' },
      { from: 'rep', to: 'report' },
    ],
  );
  assert.deepEqual(
    pendingRenames(jobs, (n) => known.has(n), new Set(['billing', 'rep'])),
    [{ from: 'billing-old', to: 'billing-v2' }],
  );
  assert.deepEqual(
    pendingRenames(jobs, () => false, new Set()),
    [],
    'nothing known: nothing to carry',
  );
});

test('possibleRenames: a new job next to the state of a gone one is named in the log, not guessed', async () => {
  const jobs = [job('billing-v2', cron('0 2 * * *')), job('report', cron('0 3 * * *'))];
  assert.deepEqual(await possibleRenames(jobs, new Set(['billing', 'report'])), {
    added: ['billing-v2'],
    gone: ['billing'],
  });
  assert.deepEqual(
    await possibleRenames(jobs, new Set(['billing-v2', 'report'])),
    { added: [], gone: [] },
    'nothing new',
  );
  assert.deepEqual(await possibleRenames(jobs, new Set(['report'])), { added: [], gone: [] }, 'nothing gone');
  const declared = [job('billing-v2', cron('0 2 * * *'), { formerNames: ['billing'] })];
  assert.deepEqual(
    await possibleRenames(declared, new Set(['billing'])),
    { added: [], gone: [] },
    'a declared rename',
  );
});
