import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConcurrencyLimit } from '../../../src/dispatch/concurrency-limit.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimit', () => {
  test('no limits: every acquire is granted at once', async () => {
    const limit = new ConcurrencyLimit({ max: undefined, perJob: undefined });
    const releases = await Promise.all(Array.from({ length: 50 }, (_, i) => limit.acquire(`j${i % 3}`)));
    assert.ok(releases.every((r) => typeof r === 'function'));
    assert.equal(limit.waiting, 0);
  });

  test('max: at most `max` granted; the rest wait in order and get the freed places', async () => {
    const limit = new ConcurrencyLimit({ max: 2, perJob: undefined });
    const granted: string[] = [];
    const pending = ['a', 'b', 'c', 'd', 'e'].map((job) =>
      limit.acquire(job).then((release) => {
        granted.push(job);
        return release!;
      }),
    );
    await tick();
    assert.deepEqual(granted, ['a', 'b']);
    assert.equal(limit.waiting, 3);
    (await pending[0]!)();
    await tick();
    assert.deepEqual(granted, ['a', 'b', 'c'], 'the oldest waiter gets the place');
    (await pending[1]!)();
    (await pending[2]!)();
    await tick();
    assert.deepEqual(granted, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(limit.waiting, 0);
  });

  test('perJob: a job at its limit waits without blocking other jobs', async () => {
    const limit = new ConcurrencyLimit({ max: 3, perJob: 1 });
    const granted: string[] = [];
    const take = (job: string) =>
      limit.acquire(job).then((release) => {
        granted.push(job);
        return release!;
      });
    const a1 = take('a');
    const a2 = take('a');
    const b1 = take('b');
    await tick();
    assert.deepEqual(granted, ['a', 'b'], "b is not held up behind a's second run");
    (await a1)();
    await tick();
    assert.deepEqual(granted, ['a', 'b', 'a']);
    (await a2)();
    (await b1)();
  });

  test('a release is idempotent, and an aborted wait gives up its turn', async () => {
    const limit = new ConcurrencyLimit({ max: 1, perJob: undefined });
    const first = (await limit.acquire('a'))!;
    const ac = new AbortController();
    const aborted = limit.acquire('b', ac.signal);
    const third = limit.acquire('c');
    ac.abort();
    assert.equal(await aborted, undefined);
    first();
    first();
    const release = await third;
    assert.equal(typeof release, 'function', 'c got the place b gave up');
    // The double release did not free a second place.
    let granted = false;
    void limit.acquire('d').then(() => (granted = true));
    await tick();
    assert.equal(granted, false);
  });
});
