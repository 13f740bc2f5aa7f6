// One timer over every job's next slot. It sleeps until the earliest due slot,
// but never longer than `maxSleepMs`, so a wall-clock jump (NTP, a resumed VM)
// is noticed within that bound rather than after the old sleep runs out.
// With `leadMs` (a number, or a function read at each hand-out), a slot is
// handed out that much before it is due, so that its
// claim can be committed by its instant (the run still starts at the instant).
import type { Clock } from '../runtime/clock.js';
import { type HeapEntry, SlotHeap } from '../schedule/slot-heap.js';

export interface TimerLoopOptions {
  clock: Clock;
  /** Called with every entry due by `nowMs` + leadMs, earliest first. */
  onDue: (due: HeapEntry[], nowMs: number) => void;
  maxSleepMs?: number;
  /** How long before its due time an entry is handed out (ms); default 0. */
  leadMs?: number | (() => number);
}

export class TimerLoop {
  private heap = new SlotHeap();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private armedFor = Infinity;
  private readonly maxSleepMs: number;
  private readonly lead: () => number;

  constructor(private readonly options: TimerLoopOptions) {
    this.maxSleepMs = options.maxSleepMs ?? 1000;
    const lead = options.leadMs ?? 0;
    this.lead = typeof lead === 'number' ? () => lead : lead;
  }

  get size(): number {
    return this.heap.size;
  }

  /** Adds a job's next slot (UTC ms). */
  push(entry: HeapEntry): void {
    this.heap.push(entry);
    if (this.running && entry.dueMs - this.lead() < this.armedFor) this.arm();
  }

  /** Puts `heap` in place of every scheduled slot (the loop keeps running if it was). */
  replace(heap: SlotHeap): void {
    this.heap = heap;
    if (this.running) this.arm();
  }

  start(): void {
    this.running = true;
    this.fire();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.options.clock.now();
    const due: HeapEntry[] = [];
    const lead = this.lead();
    for (let top = this.heap.peek(); top && top.dueMs - lead <= now; top = this.heap.peek()) {
      due.push(this.heap.pop()!);
    }
    if (due.length > 0) this.options.onDue(due, now);
    if (this.running) this.arm();
  };

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const top = this.heap.peek();
    const now = this.options.clock.now();
    const fireAt = top ? top.dueMs - this.lead() : Infinity;
    const wait = top ? Math.min(Math.max(0, fireAt - now), this.maxSleepMs) : this.maxSleepMs;
    this.armedFor = top ? Math.min(fireAt, now + wait) : Infinity;
    this.timer = setTimeout(this.fire, wait);
  }
}
