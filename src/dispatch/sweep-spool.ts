// Spool directories nobody needs any more: a run's directory normally goes
// once its outcome is recorded, but a daemon that died between the two (or
// before it recorded the attempt the directory was made for) leaves it
// behind. Swept at a term's start, after the runs in flight were judged, so
// the spool does not grow with every crash. A directory whose supervisor is
// still alive is never removed: it holds an exit status still to come.
import type { Logger } from 'pino';
import { type SpoolKey, inspectSpool, listSpools, removeSpool, spoolPaths } from '../run/run-spool.js';
import type { Queryable } from '../store/db.js';

/**
 * Removes the directories under `root` of attempts of earlier terms (epoch below `o.epoch`: this
 * term's own are never touched) that are over or were never recorded, except those of the runs in
 * `o.keep` (still followed by this process); returns how many.
 */
export async function sweepSpool(
  db: Queryable,
  root: string,
  logger: Logger,
  o: { epoch: number; keep: ReadonlySet<number> },
): Promise<number> {
  const keys = (await listSpools(root)).filter((k) => k.epoch < o.epoch && !o.keep.has(k.runId));
  if (keys.length === 0) return 0;
  const rows = await db.query<{ run_id: number; attempt: number; epoch: number; open: boolean }>(
    `SELECT a.run_id, a.attempt, a.epoch, (r.outcome IS NULL) AS open
     FROM cronkeeper_attempts a JOIN cronkeeper_runs r ON r.id = a.run_id
     WHERE a.run_id = ANY($1::bigint[])`,
    [keys.map((k) => k.runId)],
  );
  const recorded = new Map(rows.map((r) => [`${r.run_id}-${r.attempt}-${r.epoch}`, r.open]));
  let removed = 0;
  for (const key of keys) {
    const open = recorded.get(name(key));
    // An open attempt is the judge's (judge-in-flight.ts), and followed by this term.
    if (open === true) continue;
    const paths = spoolPaths(root, key);
    const found = await inspectSpool(paths).catch(() => undefined);
    if (found?.kind === 'running') continue;
    await removeSpool(paths).catch((err: unknown) =>
      logger.warn({ err, dir: paths.dir }, 'could not remove a spool directory'),
    );
    removed++;
  }
  if (removed > 0)
    logger.info({ removed, spool: root }, 'removed the spool directories of runs already recorded');
  return removed;
}

function name(k: SpoolKey): string {
  return `${k.runId}-${k.attempt}-${k.epoch}`;
}
