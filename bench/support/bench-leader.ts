// The claim path of a leader, in process, for the component-level benchmarks
// (firing lateness, burst): a migrated database, a leader epoch, the jobs as
// the daemon loads them, the JobScheduler and the ClaimQueue of the daemon.
import pino from 'pino';
import { systemClock } from '../../src/runtime/clock.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import { ClaimQueue } from '../../src/dispatch/claim-queue.js';
import type { Db } from '../../src/store/db.js';
import { type Fence, bumpEpoch } from '../../src/store/fence.js';
import type { ClaimResult } from '../../src/store/ledger.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';
import { type BenchJob, daemonConfig, writeConfig } from './bench-jobs.js';

export const silentLogger = pino({ level: 'silent' });

export interface BenchLeader {
  db: Db;
  fence: Fence;
  config: Config;
  claims: ClaimQueue;
  close(): Promise<void>;
}

/** A leader on a new database of `url`'s server, with `jobs` loaded through the daemon's config loader. */
export async function startBenchLeader(
  url: string,
  dir: string,
  jobs: readonly BenchJob[],
  onCommitted: (r: ClaimResult) => void = () => {},
): Promise<BenchLeader> {
  const file = writeConfig(
    dir,
    `leader-${Date.now()}.yaml`,
    daemonConfig(url, 'http://127.0.0.1:9/unused', jobs),
  );
  const config = await loadConfig(file, { insecure: true });
  const db = await openPostgres({ url });
  await migrate(db);
  const fence = await bumpEpoch(db, 'bench');
  const claims = new ClaimQueue(db, () => fence, onCommitted);
  return { db, fence, config, claims, close: () => db.close() };
}

export { systemClock };
