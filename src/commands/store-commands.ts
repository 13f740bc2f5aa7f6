// Commands that read or maintain the store: snapshots, runs, migrate.
import type { Config } from '../config/types.js';
import { SnapshotDecodeError, snapshotCodec } from '../snapshot/snapshot-codec.js';
import { listRuns } from '../store/ledger.js';
import { migrate } from '../store/migrate.js';
import { openStore } from '../store/open-store.js';
import { clearSnapshots, compactSnapshots, listSnapshots, readSnapshot } from '../store/snapshot-rows.js';
import { EXIT, UsageError, iso, parsePositiveInt, printJson, printTable, withStore } from './common.js';

export async function snapshotsCommand(
  config: Config,
  args: string[],
  opts: { json: boolean; keep?: string },
): Promise<number> {
  const [sub, id] = args;
  switch (sub) {
    case undefined:
    case 'list':
      return withStore(config, async (db) => {
        const rows = await listSnapshots(db);
        if (opts.json) printJson(rows.map((r) => ({ ...r, createdAt: iso(r.createdAt) })));
        else
          printTable(
            ['ID', 'CREATED AT (UTC)', 'FORMAT', 'HIGH WATER', 'EPOCH', 'NODE', 'JOBS', 'BYTES'],
            rows.map((r) => [
              r.id,
              iso(r.createdAt),
              r.formatVersion,
              r.highWater,
              r.epoch,
              r.nodeId,
              r.jobCount,
              r.bytes,
            ]),
          );
        return EXIT.ok;
      });
    case 'show': {
      const n = parsePositiveInt(id, 'snapshots show ID');
      return withStore(config, async (db) => {
        const row = await readSnapshot(db, n);
        if (!row) {
          process.stderr.write(`no snapshot with id ${n}\n`);
          return EXIT.failure;
        }
        try {
          const { version, snapshot } = snapshotCodec.decode(row.payload);
          const jobs = Object.fromEntries([...snapshot.lastExecution].map(([k, v]) => [k, iso(v)]));
          const out = {
            id: row.id,
            format: version,
            createdAt: iso(snapshot.createdAtMs),
            highWater: snapshot.highWater,
            epoch: snapshot.epoch,
            jobs,
          };
          if (opts.json) printJson(out);
          else {
            process.stdout.write(
              `snapshot ${row.id}: format ${version}, created ${out.createdAt}, high water ${out.highWater}, epoch ${out.epoch}\n`,
            );
            printTable(
              ['JOB', 'LAST EXECUTION (UTC)'],
              Object.entries(jobs).map(([k, v]) => [k, v]),
            );
          }
          return EXIT.ok;
        } catch (err) {
          if (!(err instanceof SnapshotDecodeError)) throw err;
          if (opts.json) printJson({ id: row.id, error: err.reason, message: err.message });
          else process.stderr.write(`snapshot ${row.id} is unusable (${err.reason}): ${err.message}\n`);
          return EXIT.failure;
        }
      });
    }
    case 'compact': {
      const keep = parsePositiveInt(opts.keep, '--keep', config.snapshot.keep);
      return withStore(config, async (db) => {
        const removed = await compactSnapshots(db, keep);
        if (opts.json) printJson({ removed, keep });
        else process.stdout.write(`removed ${removed} snapshot(s), kept the newest ${keep}\n`);
        return EXIT.ok;
      });
    }
    case 'clear':
      return withStore(config, async (db) => {
        const removed = await clearSnapshots(db);
        if (opts.json) printJson({ removed });
        else
          process.stdout.write(`removed ${removed} snapshot(s); the next restore replays the run ledger\n`);
        return EXIT.ok;
      });
    default:
      throw new UsageError(`unknown snapshots subcommand '${sub}' (list, show ID, compact --keep N, clear)`);
  }
}

export async function runsCommand(
  config: Config,
  opts: { job?: string; limit?: string; json: boolean },
): Promise<number> {
  const limit = parsePositiveInt(opts.limit, '--limit', 50);
  return withStore(config, async (db) => {
    const rows = await listRuns(db, { job: opts.job, limit });
    if (opts.json) {
      printJson(
        rows.map((r) => ({
          id: r.id,
          job: r.job,
          scheduledAt: iso(r.scheduled_at),
          catchup: r.catchup,
          epoch: r.epoch,
          nodeId: r.node_id,
          claimedAt: iso(r.claimed_at),
          startedAt: iso(r.started_at),
          finishedAt: iso(r.finished_at),
          outcome: r.outcome,
          exitCode: r.exit_code,
          signal: r.signal,
          httpStatus: r.http_status,
          durationMs: r.duration_ms,
          error: r.error,
        })),
      );
    } else {
      printTable(
        ['ID', 'JOB', 'SCHEDULED AT (UTC)', 'CATCH-UP', 'OUTCOME', 'EXIT', 'DURATION', 'NODE'],
        rows.map((r) => [
          r.id,
          r.job,
          iso(r.scheduled_at),
          r.catchup ? 'yes' : 'no',
          r.outcome ?? (r.started_at ? 'running' : 'claimed'),
          r.exit_code ?? r.signal ?? r.http_status,
          r.duration_ms === null ? null : `${Math.round(r.duration_ms)}ms`,
          r.node_id,
        ]),
      );
    }
    return EXIT.ok;
  });
}

export async function migrateCommand(config: Config, opts: { json: boolean }): Promise<number> {
  const db = await openStore(config.store);
  try {
    const applied = await migrate(db);
    if (opts.json) printJson({ applied });
    else
      process.stdout.write(
        applied.length > 0 ? `applied migration(s) ${applied.join(', ')}\n` : 'schema is up to date\n',
      );
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
