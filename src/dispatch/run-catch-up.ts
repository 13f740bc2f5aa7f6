// Runs catch-up slots: each job's slots one after another, oldest first, and at
// most `concurrency` runs at once across all jobs — so a long outage does not
// come back as a thundering herd. Among the jobs free to run, the one whose
// next slot is oldest goes first (a heap of the free jobs by their oldest slot:
// a catch-up of 60,000 slots of 1,000 jobs picks in O(log jobs), not by a scan).
import { SlotHeap } from '../schedule/slot-heap.js';

export interface CatchUpItem<T> {
  job: string;
  scheduledAtMs: number;
  value: T;
}

export async function runCatchUp<T>(
  items: readonly CatchUpItem<T>[],
  concurrency: number,
  run: (item: CatchUpItem<T>) => Promise<void>,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const lists: CatchUpItem<T>[][] = [];
  const order = new Map<string, number>();
  for (const item of [...items].sort((a, b) => a.scheduledAtMs - b.scheduledAtMs)) {
    let j = order.get(item.job);
    if (j === undefined) {
      j = lists.length;
      order.set(item.job, j);
      lists.push([]);
    }
    lists[j]!.push(item);
  }
  // Each job's next item; free jobs wait in the heap keyed by it (ties: the job seen first).
  const next = lists.map(() => 0);
  const free = new SlotHeap();
  lists.forEach((list, j) => free.push({ dueMs: list[0]!.scheduledAtMs, job: j }));
  let remaining = items.length;
  let done = 0;
  const total = items.length;
  await new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    let failed = false;
    const fail = (err: unknown): void => {
      // Nothing new starts once one run failed; runs in progress finish on their own.
      failed = true;
      reject(err);
    };
    const pump = (): void => {
      while (!failed && inFlight < Math.max(1, concurrency)) {
        const top = free.pop();
        if (!top) break;
        const j = top.job;
        const item = lists[j]![next[j]!++]!;
        remaining--;
        inFlight++;
        // Through a promise, so a run function that throws synchronously rejects too.
        Promise.resolve()
          .then(() => run(item))
          .then(() => {
            inFlight--;
            const head = lists[j]![next[j]!];
            if (head) free.push({ dueMs: head.scheduledAtMs, job: j });
            onProgress?.(++done, total);
            if (inFlight === 0 && remaining === 0) resolve();
            else pump();
          }, fail);
      }
      if (!failed && inFlight === 0 && remaining === 0) resolve();
    };
    pump();
  });
}
