// Runs catch-up slots: each job's slots one after another, oldest first, and at
// most `concurrency` runs at once across all jobs — so a long outage does not
// come back as a thundering herd. Among the jobs free to run, the one whose
// next slot is oldest goes first.
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
  const byJob = new Map<string, CatchUpItem<T>[]>();
  for (const item of [...items].sort((a, b) => a.scheduledAtMs - b.scheduledAtMs)) {
    const list = byJob.get(item.job) ?? [];
    list.push(item);
    byJob.set(item.job, list);
  }
  const busy = new Set<string>();
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
        let pick: CatchUpItem<T> | undefined;
        for (const [job, list] of byJob) {
          if (busy.has(job)) continue;
          const head = list[0];
          if (head && (!pick || head.scheduledAtMs < pick.scheduledAtMs)) pick = head;
        }
        if (!pick) break;
        const item = pick;
        byJob.get(item.job)!.shift();
        if (byJob.get(item.job)!.length === 0) byJob.delete(item.job);
        busy.add(item.job);
        inFlight++;
        // Through a promise, so a run function that throws synchronously rejects too.
        Promise.resolve()
          .then(() => run(item))
          .then(() => {
            inFlight--;
            busy.delete(item.job);
            onProgress?.(++done, total);
            if (inFlight === 0 && byJob.size === 0) resolve();
            else pump();
          }, fail);
      }
      if (!failed && inFlight === 0 && byJob.size === 0) resolve();
    };
    pump();
  });
}
