// LISTEN on a channel for as long as it is wanted: a connection that ends is
// listened on again after a pause, and `onNotify` is called once then for
// whatever came while nobody listened. The embedded store has no listen (no
// other process writes to it): then nothing is heard, and the caller's own
// polling is all there is.
import type { Db, Subscription } from './db.js';

export interface KeepListeningOptions {
  /** The pause before listening again (ms). */
  retryMs: number;
  /** Told when the connection ends or cannot be had (it is tried again). */
  onDropped: (err: unknown) => void;
}

export class KeepListening {
  private subscription: Subscription | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly channel: string,
    /** With the notification's payload; with none after (re)subscribing, when any may have been missed. */
    private readonly onNotify: (payload: string | undefined) => void,
    private readonly o: KeepListeningOptions,
  ) {
    this.done = this.loop();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.subscription?.close();
    await this.done;
  }

  private async loop(): Promise<void> {
    const { db } = this;
    if (!db.listen) return;
    while (!this.closed) {
      try {
        this.subscription = await db.listen(this.channel, this.onNotify);
        if (this.closed) break;
        this.onNotify(undefined);
        await this.subscription.ended;
        if (!this.closed) this.o.onDropped(undefined);
      } catch (err) {
        if (!this.closed) this.o.onDropped(err);
      }
      if (!this.closed)
        await new Promise<void>((resolve) => {
          const t = setTimeout((this.wake = resolve), this.o.retryMs);
          t.unref();
        });
      this.wake = undefined;
    }
    await this.subscription?.close();
  }
}
