import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobsByName } from '../../../src/config/jobs-by-name.js';
import { testJob } from '../../support/jobs.js';

describe('jobsByName', () => {
  it('indexes a job list by name, one index per list', () => {
    const jobs = [testJob('a', { schedule: '* * * * *' }), testJob('b', { schedule: '0 * * * *' })];
    const index = jobsByName(jobs);
    assert.deepEqual([...index.keys()], ['a', 'b']);
    assert.equal(index.get('b'), jobs[1]);
    assert.equal(jobsByName(jobs), index, 'the same list: the same index, not a new one');
  });

  it('a new list (a reload) gets an index of its own', () => {
    const before = [testJob('a', { schedule: '* * * * *' })];
    const after = [testJob('a', { schedule: '0 * * * *' }), testJob('c', { schedule: '* * * * *' })];
    const old = jobsByName(before);
    const next = jobsByName(after);
    assert.notEqual(next, old);
    assert.equal(next.get('a'), after[0]);
    assert.equal(next.has('c'), true);
    assert.equal(old.has('c'), false, 'the old index is unchanged');
  });
});
