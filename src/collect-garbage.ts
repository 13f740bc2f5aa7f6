// One full garbage collection, when a phase that leaves much garbage is over.
//
// V8 grows its heap to fit what a term start allocates (the restored state,
// the stored job specs, the catch-up plan, the scheduler's new job list; with
// 100,000 jobs, most of it garbage by the time the daemon is ready) and gives
// the memory back only after a major collection, which its heuristics start
// only when something allocates. A daemon that then sits idle keeps that
// high-water mark for minutes: 338-358 MB resident at ready with 100,000
// distinct patterns, where 130 MB is alive and 255-285 MB stays after one
// collection (BENCHMARKS.md).
// Called at the end of a term start, before ready (leader-term.ts), and when
// a node starts standing by (daemon.ts: the config reading's garbage).
//
// `gc` is exposed the way test runners do it (jest's leak detector): the flag
// set at run time, the function taken from a new context. The daemon needs no
// `node --expose-gc` on its command line, and no code of ours sees a global gc.
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

const MB = 1024 * 1024;

export interface Collected {
  /** The collection's pause, ms. */
  pauseMs: number;
  /** Heap V8 gave up, MB. */
  freedMb: number;
  /** Resident memory before and after, MB. */
  rssBeforeMb: number;
  rssAfterMb: number;
}

/**
 * Runs a full collection, then waits (at most `waitMs`) while V8 returns the
 * freed pages to the system, which it does from a background thread a few
 * milliseconds later: what is resident when this resolves is what stays.
 */
export async function collectGarbage(waitMs = 100): Promise<Collected> {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  const rssBefore = process.memoryUsage.rss();
  const heapBefore = v8.getHeapStatistics().total_heap_size;
  const started = performance.now();
  gc();
  const pauseMs = performance.now() - started;
  const freed = Math.max(0, heapBefore - v8.getHeapStatistics().total_heap_size);
  const deadline = performance.now() + waitMs;
  // Until the resident memory stops falling, once at least half the freed heap is back (pages
  // of the heap that were never touched were never resident, so not all of it comes back).
  for (let last = rssBefore; freed > 8 * MB && performance.now() < deadline;) {
    const rss = process.memoryUsage.rss();
    if (rss >= last && rss <= rssBefore - freed / 2) break;
    last = rss;
    await sleep(5);
  }
  return {
    pauseMs: Math.round(pauseMs),
    freedMb: Math.round(freed / MB),
    rssBeforeMb: Math.round(rssBefore / MB),
    rssAfterMb: Math.round(process.memoryUsage.rss() / MB),
  };
}
