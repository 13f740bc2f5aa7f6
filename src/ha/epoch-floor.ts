// The highest leader epoch this node has seen or been told, below which it
// never takes one. The epoch lives in the store's leader row; a database
// failover with asynchronous replication can lose the last bump, and the next
// leader would take that epoch again — a fencing token handed out twice, and
// a CRONKEEPER_EPOCH a downstream system has already seen. So every node keeps
// the highest epoch it has observed (taken itself, read from the leader row
// while standing by, refused with) for as long as it runs, starting from the
// epochs in its own run spool (directory names carry them) so that a restart
// remembers what this host's runs were told.
import { listSpools } from '../run/run-spool.js';

export class EpochFloor {
  private highest = 0;

  /** The highest epoch seen; the next one taken is above it. */
  get value(): number {
    return this.highest;
  }

  see(epoch: number | undefined | null): void {
    if (typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch > this.highest)
      this.highest = epoch;
  }

  /** Sees the epochs of the runs in a spool directory (absent or unreadable: nothing). */
  async seeSpool(spoolRoot: string | undefined): Promise<void> {
    if (spoolRoot === undefined) return;
    for (const key of await listSpools(spoolRoot).catch(() => [])) this.see(key.epoch);
  }
}
