import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlotHeap, type HeapEntry } from '../../../src/schedule/slot-heap.js';

/** mulberry32: a small seeded PRNG, so every run sees the same sequence. */
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

const byDueThenJob = (a: HeapEntry, b: HeapEntry): number => a.dueMs - b.dueMs || a.job - b.job;

describe('SlotHeap', () => {
  it('is empty at first', () => {
    const heap = new SlotHeap();
    assert.equal(heap.size, 0);
    assert.equal(heap.peek(), undefined);
    assert.equal(heap.pop(), undefined);
  });

  it('pops 1000 random entries sorted by dueMs, then job', () => {
    const rand = prng(0xc0ffee);
    const heap = new SlotHeap();
    const entries: HeapEntry[] = [];
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 1000; i++) {
      // A narrow range of due times so ties are frequent.
      const e = { dueMs: base + Math.floor(rand() * 200) * 1000, job: Math.floor(rand() * 50) };
      entries.push(e);
      heap.push(e);
    }
    assert.equal(heap.size, 1000);
    const out: HeapEntry[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e);
    assert.equal(heap.size, 0);
    assert.deepEqual(
      out.map((e) => [e.dueMs, e.job]),
      [...entries].sort(byDueThenJob).map((e) => [e.dueMs, e.job]),
    );
  });

  it('matches a sorted-array model over 1000 random interleaved pushes and pops', () => {
    const rand = prng(42);
    const heap = new SlotHeap();
    const model: HeapEntry[] = [];
    let pushes = 0;
    let pops = 0;
    while (pushes < 1000) {
      if (model.length > 0 && rand() < 0.4) {
        model.sort(byDueThenJob);
        const want = model.shift();
        assert.deepEqual(heap.peek(), want, `peek before pop #${pops}`);
        assert.deepEqual(heap.pop(), want, `pop #${pops}`);
        pops++;
      } else {
        const e = { dueMs: Math.floor(rand() * 1_000) * 250, job: Math.floor(rand() * 20) };
        heap.push(e);
        model.push(e);
        pushes++;
      }
      assert.equal(heap.size, model.length);
    }
    model.sort(byDueThenJob);
    for (const want of model) assert.deepEqual(heap.pop(), want);
    assert.equal(heap.pop(), undefined);
    assert.ok(pops > 100, 'the interleaving exercised pops');
  });

  it('clear empties the heap', () => {
    const heap = new SlotHeap();
    heap.push({ dueMs: 2, job: 0 });
    heap.push({ dueMs: 1, job: 1 });
    heap.clear();
    assert.equal(heap.size, 0);
    assert.equal(heap.pop(), undefined);
    heap.push({ dueMs: 5, job: 3 });
    assert.deepEqual(heap.peek(), { dueMs: 5, job: 3 });
  });

  it('keeps working after it grew and was cleared (its arrays shrink back)', () => {
    const heap = new SlotHeap();
    for (let i = 0; i < 5_000; i++) heap.push({ dueMs: (i * 7919) % 5_000, job: i });
    assert.equal(heap.size, 5_000);
    heap.clear();
    assert.equal(heap.pop(), undefined);
    for (const dueMs of [30, 10, 20]) heap.push({ dueMs, job: dueMs });
    assert.deepEqual(
      [heap.pop(), heap.pop(), heap.pop(), heap.pop()],
      [{ dueMs: 10, job: 10 }, { dueMs: 20, job: 20 }, { dueMs: 30, job: 30 }, undefined],
    );
  });

  it('breaks ties on job index', () => {
    const heap = new SlotHeap();
    for (const job of [7, 3, 9, 0, 5]) heap.push({ dueMs: 1000, job });
    const jobs: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) jobs.push(e.job);
    assert.deepEqual(jobs, [0, 3, 5, 7, 9]);
  });
});
