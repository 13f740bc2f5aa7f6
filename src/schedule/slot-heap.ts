// A binary min-heap of (due time, job index): the one timer of the scheduler
// sleeps until the root. O(log n) push/pop, no per-job timers.
//
// Kept in two typed arrays rather than an array of entry objects: the objects
// and their boxed times stayed in the heap for good, and were garbage to
// collect at every boot; the arrays are a fraction of that, outside the heap.

export interface HeapEntry {
  dueMs: number;
  job: number;
}

const INITIAL_CAPACITY = 16;

export class SlotHeap {
  private dues = new Float64Array(INITIAL_CAPACITY);
  /** Job indexes: non-negative integers below 2^31. */
  private jobs = new Int32Array(INITIAL_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  peek(): HeapEntry | undefined {
    return this.count > 0 ? { dueMs: this.dues[0]!, job: this.jobs[0]! } : undefined;
  }

  push(entry: HeapEntry): void {
    if (this.count === this.dues.length) this.resize(this.count * 2);
    const { dues, jobs } = this;
    const dueMs = entry.dueMs;
    const job = entry.job;
    // Sift up: parents move down until the new entry's place is found.
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(dueMs, job, dues[parent]!, jobs[parent]!)) break;
      dues[i] = dues[parent]!;
      jobs[i] = jobs[parent]!;
      i = parent;
    }
    dues[i] = dueMs;
    jobs[i] = job;
  }

  pop(): HeapEntry | undefined {
    if (this.count === 0) return undefined;
    const { dues, jobs } = this;
    const top = { dueMs: dues[0]!, job: jobs[0]! };
    const n = --this.count;
    if (n > 0) {
      // Sift the last entry down from the root.
      const dueMs = dues[n]!;
      const job = jobs[n]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(dues[r]!, jobs[r]!, dues[l]!, jobs[l]!) ? r : l;
        if (!less(dues[c]!, jobs[c]!, dueMs, job)) break;
        dues[i] = dues[c]!;
        jobs[i] = jobs[c]!;
        i = c;
      }
      dues[i] = dueMs;
      jobs[i] = job;
    }
    return top;
  }

  clear(): void {
    this.count = 0;
    if (this.dues.length > INITIAL_CAPACITY) this.resize(INITIAL_CAPACITY);
  }

  private resize(capacity: number): void {
    const dues = new Float64Array(capacity);
    const jobs = new Int32Array(capacity);
    dues.set(this.dues.subarray(0, this.count));
    jobs.set(this.jobs.subarray(0, this.count));
    this.dues = dues;
    this.jobs = jobs;
  }
}

// Ties break on job index so the firing order of simultaneous slots is stable.
function less(aDue: number, aJob: number, bDue: number, bJob: number): boolean {
  return aDue < bDue || (aDue === bDue && aJob < bJob);
}
