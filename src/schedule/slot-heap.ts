// A binary min-heap of (due time, job index): the one timer of the scheduler
// sleeps until the root. O(log n) push/pop, no per-job timers.

export interface HeapEntry {
  dueMs: number;
  job: number;
}

export class SlotHeap {
  private readonly items: HeapEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): HeapEntry | undefined {
    return this.items[0];
  }

  push(entry: HeapEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(items[i]!, items[parent]!)) break;
      swap(items, i, parent);
      i = parent;
    }
  }

  pop(): HeapEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && less(items[l]!, items[smallest]!)) smallest = l;
        if (r < items.length && less(items[r]!, items[smallest]!)) smallest = r;
        if (smallest === i) break;
        swap(items, i, smallest);
        i = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

// Ties break on job index so the firing order of simultaneous slots is stable.
function less(a: HeapEntry, b: HeapEntry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.job < b.job);
}

function swap(items: HeapEntry[], i: number, j: number): void {
  const t = items[i]!;
  items[i] = items[j]!;
  items[j] = t;
}
