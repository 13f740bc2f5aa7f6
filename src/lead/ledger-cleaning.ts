// The ledger's housekeeping while a term leads: run rows, slot gaps and the
// records of workers gone past the retention are deleted, hourly and once at
// the start; never a row the newest snapshots do not cover yet (the restore
// would replay it).
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import type { Db } from '../store/db.js';
import type { Fence } from '../store/fence.js';
import { cleanLedger } from '../store/ledger.js';
import { cleanSlotGaps } from '../store/slot-gaps.js';
import { lowestHighWater } from '../store/snapshot-rows.js';
import { cleanWorkerRecords } from '../store/worker-records.js';

const CLEAN_EVERY_MS = 3_600_000;

export class LedgerCleaning {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: { db: Db; fence: Fence; clock: Clock; logger: Logger; retentionMs: () => number },
  ) {}

  start(): void {
    void this.clean();
    this.timer = setInterval(() => void this.clean(), CLEAN_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async clean(): Promise<void> {
    const { db, fence, clock, logger } = this.o;
    try {
      const covered = await lowestHighWater(db);
      const before = clock.now() - this.o.retentionMs();
      const removed = await cleanLedger(db, fence, before, covered);
      const gaps = await cleanSlotGaps(db, fence, before);
      const workers = await cleanWorkerRecords(db, fence, before);
      if (removed + gaps + workers > 0)
        logger.info({ removed, gaps, workers }, 'old run ledger rows cleaned');
    } catch (err) {
      logger.warn({ err }, 'ledger cleanup failed; will retry');
    }
  }
}
