// Limits on runs in progress: at most `max` across all jobs and `perJob` per
// job. Runs wait for a place in the order they asked; how many wait is visible
// (status, cronkeeper_runs_waiting), and the lateness it causes is measured by
// the start-lateness histogram, not hidden.

export interface ConcurrencyLimits {
  max: number | undefined;
  perJob: number | undefined;
}

interface Waiter {
  job: string;
  grant: (release: () => void) => void;
}

export class ConcurrencyLimit {
  private running = 0;
  private readonly runningByJob = new Map<string, number>();
  private readonly waiters: Waiter[] = [];

  constructor(private readonly limits: ConcurrencyLimits) {}

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with a release function once a place is free, or with undefined
   * when `signal` aborts first.
   */
  acquire(job: string, signal?: AbortSignal): Promise<(() => void) | undefined> {
    // Waiters are only ever those that do not fit (every release grants the
    // ones that do), so a run that fits takes its place without skipping anyone.
    if (this.fits(job)) return Promise.resolve(this.take(job));
    return new Promise((resolve) => {
      const waiter: Waiter = { job, grant: resolve };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(undefined);
        },
        { once: true },
      );
    });
  }

  private fits(job: string): boolean {
    const { max, perJob } = this.limits;
    return (
      (max === undefined || this.running < max) &&
      (perJob === undefined || (this.runningByJob.get(job) ?? 0) < perJob)
    );
  }

  private take(job: string): () => void {
    this.running++;
    this.runningByJob.set(job, (this.runningByJob.get(job) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const n = (this.runningByJob.get(job) ?? 1) - 1;
      if (n === 0) this.runningByJob.delete(job);
      else this.runningByJob.set(job, n);
      this.grantWaiting();
    };
  }

  /** Grants places in order; a waiter whose job is at its own limit does not block the others. */
  private grantWaiting(): void {
    for (let i = 0; i < this.waiters.length;) {
      const w = this.waiters[i]!;
      if (this.limits.max !== undefined && this.running >= this.limits.max) return;
      if (this.fits(w.job)) {
        this.waiters.splice(i, 1);
        w.grant(this.take(w.job));
      } else {
        i++;
      }
    }
  }
}
