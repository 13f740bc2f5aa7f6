import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { collectGarbage } from '../../src/collect-garbage.js';

describe('collectGarbage', () => {
  it('collects what nothing refers to any more, and says how much the heap gave up', async () => {
    // ~100 MB of garbage of the kind a boot leaves: many small objects, dropped when the function returns.
    const usedBefore = (() => {
      const garbage: Array<{ name: string; at: number; list: number[] }> = [];
      for (let i = 0; i < 600_000; i++) garbage.push({ name: `job-${i}`, at: i * 1.5, list: [i, i + 1] });
      return v8.getHeapStatistics().used_heap_size;
    })();
    const c = await collectGarbage();
    const usedAfter = v8.getHeapStatistics().used_heap_size;
    assert.ok(usedBefore - usedAfter > 50 * 1024 * 1024, `heap used ${usedBefore} -> ${usedAfter}`);
    assert.ok(c.freedMb >= 0 && c.pauseMs >= 0 && c.rssAfterMb > 0, JSON.stringify(c));
  });

  it('keeps what is still referred to', async () => {
    const kept = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) kept.set(`job-${i}`, i);
    await collectGarbage();
    assert.equal(kept.size, 10_000);
    assert.equal(kept.get('job-9999'), 9999);
  });

  it('exposes no global gc to the daemon’s own code', async () => {
    await collectGarbage();
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  });
});
