import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchQueue } from '../../../src/runtime/batch-queue.js';

/** A run function whose batches are answered by hand: each call waits until released. */
function manual() {
  const calls: { items: number[]; release: (fail?: Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) =>
      calls.push({ items, release: (fail) => (fail ? reject(fail) : resolve(items.map((i) => `r${i}`))) }),
    );
  return { calls, run };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('BatchQueue', () => {
  it('sends the first request alone, then everything asked while it was in flight as one batch, in order', async () => {
    const { calls, run } = manual();
    const q = new BatchQueue(run);
    const first = q.add(1);
    const later = [q.add(2), q.add(3), q.add(4)];
    await turn();
    assert.deepEqual(
      calls.map((c) => c.items),
      [[1]],
    );
    calls[0]!.release();
    assert.equal(await first, 'r1');
    await turn();
    assert.deepEqual(
      calls.map((c) => c.items),
      [[1], [2, 3, 4]],
    );
    calls[1]!.release();
    assert.deepEqual(await Promise.all(later), ['r2', 'r3', 'r4']);
  });

  it("rejects a failed batch's requests only, and goes on with the next", async () => {
    const { calls, run } = manual();
    const q = new BatchQueue(run);
    const a = q.add(1);
    const b = q.add(2);
    await turn();
    calls[0]!.release(new Error('store away'));
    await assert.rejects(a, /store away/);
    await turn();
    calls[1]!.release();
    assert.equal(await b, 'r2');
  });

  it('is idle once nothing is queued or in flight', async () => {
    const { calls, run } = manual();
    const q = new BatchQueue(run);
    let idle = false;
    void q.add(1);
    void q.add(2);
    const waiting = q.idle().then(() => (idle = true));
    await turn();
    calls[0]!.release();
    await turn();
    assert.equal(idle, false, 'the second batch is still in flight');
    calls[1]!.release();
    await waiting;
    assert.equal(idle, true);
  });
});
