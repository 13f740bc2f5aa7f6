import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCatchUp, type CatchUpItem } from '../../../src/dispatch/run-catch-up.js';
import { MIN } from '../../support/time.js';

const T0 = Date.parse('2026-04-01T00:00:00Z');

type Item = CatchUpItem<string>;
const item = (job: string, minute: number): Item => ({
  job,
  scheduledAtMs: T0 + minute * MIN,
  value: `${job}@${minute}`,
});

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits a few turns of the event loop (setImmediate) or a short timer. */
function pause(kind: number): Promise<void> {
  if (kind < 3) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, kind - 3));
}

interface Recorder {
  run: (it: Item) => Promise<void>;
  started: Item[];
  finished: Item[];
  maxInFlight: () => number;
  maxInFlightPerJob: () => number;
}

function recorder(seed = 1, delay?: (it: Item) => number): Recorder {
  const rand = prng(seed);
  const started: Item[] = [];
  const finished: Item[] = [];
  const perJob = new Map<string, number>();
  let inFlight = 0;
  let max = 0;
  let maxPerJob = 0;
  return {
    started,
    finished,
    maxInFlight: () => max,
    maxInFlightPerJob: () => maxPerJob,
    async run(it) {
      started.push(it);
      inFlight++;
      max = Math.max(max, inFlight);
      const j = (perJob.get(it.job) ?? 0) + 1;
      perJob.set(it.job, j);
      maxPerJob = Math.max(maxPerJob, j);
      await pause(delay ? delay(it) : Math.floor(rand() * 6));
      perJob.set(it.job, (perJob.get(it.job) ?? 1) - 1);
      inFlight--;
      finished.push(it);
    },
  };
}

/** Several jobs, each with several slots, handed over in a scrambled order. */
function workload(seed: number): Item[] {
  const rand = prng(seed);
  const items: Item[] = [];
  for (const job of ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']) {
    const count = 1 + Math.floor(rand() * 8);
    for (let i = 0; i < count; i++) items.push(item(job, Math.floor(rand() * 600)));
  }
  // Fisher-Yates with the seeded PRNG.
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const key = (it: Item): string => `${it.job}@${it.scheduledAtMs}#${it.value}`;

describe('runCatchUp', () => {
  it('resolves at once for an empty list, without calling run or onProgress', async () => {
    let calls = 0;
    await runCatchUp<string>(
      [],
      4,
      async () => {
        calls++;
      },
      () => calls++,
    );
    assert.equal(calls, 0);
  });

  for (const concurrency of [1, 2, 3, 8, 100]) {
    it(`never has more than ${concurrency} in flight, and runs every item exactly once`, async () => {
      for (const seed of [1, 2, 3]) {
        const items = workload(seed);
        const rec = recorder(seed);
        await runCatchUp(items, concurrency, rec.run);
        assert.ok(
          rec.maxInFlight() <= concurrency,
          `seed ${seed}: ${rec.maxInFlight()} in flight > ${concurrency}`,
        );
        assert.equal(rec.maxInFlightPerJob(), 1, `seed ${seed}: a job ran two slots at once`);
        assert.deepEqual(rec.started.map(key).sort(), items.map(key).sort());
        assert.deepEqual(rec.finished.map(key).sort(), items.map(key).sort());
        assert.equal(rec.started.length, items.length);
      }
    });
  }

  it('uses the full concurrency when enough jobs are waiting', async () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'].flatMap((job) => [item(job, 1), item(job, 2)]);
    const rec = recorder(7, () => 5);
    await runCatchUp(items, 3, rec.run);
    assert.equal(rec.maxInFlight(), 3);
  });

  it("runs each job's slots strictly one after another, oldest first", async () => {
    for (const seed of [11, 12, 13]) {
      const items = workload(seed);
      const rec = recorder(seed);
      const finishedBeforeStart: Array<[Item, Item[]]> = [];
      await runCatchUp(items, 4, (it) => {
        finishedBeforeStart.push([it, [...rec.finished]]);
        return rec.run(it);
      });
      for (const job of new Set(items.map((i) => i.job))) {
        const startedTimes = rec.started.filter((i) => i.job === job).map((i) => i.scheduledAtMs);
        const sortedTimes = items
          .filter((i) => i.job === job)
          .map((i) => i.scheduledAtMs)
          .sort((a, b) => a - b);
        assert.deepEqual(startedTimes, sortedTimes, `seed ${seed}: job ${job} oldest first`);
      }
      // Strictly sequential: when a slot starts, every earlier-started slot of its job has finished.
      for (const [it, done] of finishedBeforeStart) {
        const earlier = rec.started.slice(0, rec.started.indexOf(it)).filter((i) => i.job === it.job);
        for (const e of earlier)
          assert.ok(done.includes(e), `seed ${seed}: ${key(it)} started before ${key(e)} finished`);
      }
    }
  });

  it('concurrency 1 runs everything in global time order', async () => {
    for (const seed of [21, 22, 23]) {
      const items = workload(seed);
      const rec = recorder(seed);
      await runCatchUp(items, 1, rec.run);
      const times = rec.started.map((i) => i.scheduledAtMs);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        `seed ${seed}: not in time order`,
      );
      assert.equal(rec.maxInFlight(), 1);
    }
  });

  it('picks the oldest waiting slot across jobs when a place frees up', async () => {
    // Concurrency 2. 'slow' holds one place throughout; the other place must go
    // to whichever free job has the oldest next slot.
    const items = [item('slow', 0), item('a', 1), item('a', 5), item('b', 2), item('b', 3), item('c', 4)];
    const rec = recorder(1, (it) => (it.job === 'slow' ? 60 : 0));
    await runCatchUp(items, 2, rec.run);
    assert.deepEqual(rec.started.map(key), [
      'slow@' + (T0 + 0) + '#slow@0',
      'a@' + (T0 + 1 * MIN) + '#a@1',
      'b@' + (T0 + 2 * MIN) + '#b@2',
      'b@' + (T0 + 3 * MIN) + '#b@3',
      'c@' + (T0 + 4 * MIN) + '#c@4',
      'a@' + (T0 + 5 * MIN) + '#a@5',
    ]);
  });

  it('reports progress once per finished item, up to the total', async () => {
    const items = workload(31);
    const progress: Array<[number, number]> = [];
    const rec = recorder(31);
    await runCatchUp(items, 3, rec.run, (done, total) => progress.push([done, total]));
    assert.deepEqual(
      progress,
      items.map((_, i) => [i + 1, items.length]),
    );
  });

  it('rejects when a run rejects', async () => {
    const items = workload(41);
    const failing = items[Math.floor(items.length / 2)]!;
    const rec = recorder(41);
    await assert.rejects(
      runCatchUp(items, 2, async (it) => {
        await rec.run(it);
        if (it === failing) throw new Error(`boom ${it.value}`);
      }),
      { message: `boom ${failing.value}` },
    );
  });

  it('starts no further run once it has rejected', async () => {
    // Concurrency 2: 'fail' rejects at once while 'slow' is still running. When
    // 'slow' then finishes, the rejected catch-up must not go on starting slots
    // nobody is waiting for any more.
    const items = [item('fail', 0), item('slow', 1), item('later', 2), item('later', 3), item('slow', 4)];
    const started: string[] = [];
    const outcome = runCatchUp(items, 2, async (it) => {
      started.push(it.value);
      if (it.job === 'fail') throw new Error('boom');
      await new Promise((resolve) => setTimeout(resolve, it.job === 'slow' ? 20 : 0));
    });
    await assert.rejects(outcome, /boom/);
    const atRejection = [...started];
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(atRejection, ['fail@0', 'slow@1']);
    assert.deepEqual(started, atRejection, 'runs started after runCatchUp had rejected');
  });

  it('rejects (does not hang) when run throws synchronously for a later slot', async () => {
    // The run function's type allows a plain function that throws before
    // returning a promise. For the first slot that happens inside the promise
    // executor; for a later one it happens inside a .then callback.
    const items = [item('a', 1), item('a', 2)];
    const outcome = runCatchUp(items, 1, (it) => {
      if (it.value === 'a@2') throw new Error('sync boom');
      return Promise.resolve();
    });
    const settled = await Promise.race([
      outcome.then(
        () => 'resolved',
        (err: Error) => `rejected: ${err.message}`,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 500 ms'), 500)),
    ]);
    assert.equal(settled, 'rejected: sync boom');
  });

  it('rejects when the only run rejects', async () => {
    await assert.rejects(
      runCatchUp([item('a', 1)], 1, () => Promise.reject(new Error('nope'))),
      /nope/,
    );
  });

  it('does not mutate the items it is given', async () => {
    const items = workload(51);
    const copy = items.map((i) => ({ ...i }));
    await runCatchUp(items, 2, recorder(51).run);
    assert.deepEqual(items, copy);
  });
});
