// Commands that read or maintain the store: snapshots, runs, migrate.
import type { Config } from '../config/types.js';
import { SnapshotDecodeError, snapshotCodec } from '../snapshot/snapshot-codec.js';
import {
  type AttemptRow,
  type RunDetail,
  type RunRow,
  listRuns,
  readRunDetail,
} from '../store/run-history.js';
import { readSuccessFacts } from '../store/last-success.js';
import { migrate } from '../store/migrate.js';
import { installQueue } from '../store/queue-schema.js';
import { clearSnapshots, compactSnapshots, listSnapshots, readSnapshot } from '../store/snapshot-rows.js';
import { type SlotGapRow, listSlotGaps } from '../store/slot-gaps.js';
import { describeGapReason } from '../text/slot-labels.js';
import {
  EXIT,
  UsageError,
  checkHistoryName,
  parseInstantArg,
  parseLimit,
  parsePositiveInt,
  printJson,
  printLine,
  printLines,
  printTable,
  withStore,
} from './common.js';
import { out, err } from './cli-io.js';
import { isoOrNull } from '../text/iso-time.js';

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
        if (opts.json) printJson(rows.map((r) => ({ ...r, createdAt: isoOrNull(r.createdAt) })));
        else
          printTable(
            ['ID', 'CREATED AT (UTC)', 'FORMAT', 'HIGH WATER', 'EPOCH', 'NODE', 'JOBS', 'BYTES'],
            rows.map((r) => [
              r.id,
              isoOrNull(r.createdAt),
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
          err(`no snapshot with id ${n}\n`);
          return EXIT.failure;
        }
        try {
          const { version, snapshot } = snapshotCodec.decode(row.payload);
          const jobs = Object.fromEntries([...snapshot.lastExecution].map(([k, v]) => [k, isoOrNull(v)]));
          // A job with no scheduled run in the ledger never ran: its time is the baseline it counts from.
          const facts = await readSuccessFacts(db, Object.keys(jobs));
          const neverRan = Object.keys(jobs).filter((j) => facts.get(j)?.slotRan !== true);
          const never = new Set(neverRan);
          const shown = {
            id: row.id,
            format: version,
            createdAt: isoOrNull(snapshot.createdAtMs),
            highWater: snapshot.highWater,
            epoch: snapshot.epoch,
            jobs,
            neverRan,
          };
          if (opts.json) printJson(shown);
          else {
            out(
              `snapshot ${row.id}: format ${version}, created ${shown.createdAt}, high water ${shown.highWater}, epoch ${shown.epoch}\n`,
            );
            printTable(
              ['JOB', 'LAST EXECUTION (UTC)'],
              Object.entries(jobs).map(([k, v]) => [k, never.has(k) ? `never (counts from ${v})` : v]),
            );
          }
          return EXIT.ok;
        } catch (e) {
          if (!(e instanceof SnapshotDecodeError)) throw e;
          if (opts.json) printJson({ id: row.id, error: e.reason, message: e.message });
          else err(`snapshot ${row.id} is unusable (${e.reason}): ${e.message}\n`);
          return EXIT.failure;
        }
      });
    }
    case 'compact': {
      const keep = parsePositiveInt(opts.keep, '--keep', config.snapshot.keep);
      return withStore(config, async (db) => {
        const removed = await compactSnapshots(db, keep);
        if (opts.json) printJson({ removed, keep });
        else out(`removed ${removed} snapshot(s), kept the newest ${keep}\n`);
        return EXIT.ok;
      });
    }
    case 'clear':
      return withStore(config, async (db) => {
        const removed = await clearSnapshots(db);
        if (opts.json) printJson({ removed });
        else out(`removed ${removed} snapshot(s); the next restore replays the run ledger\n`);
        return EXIT.ok;
      });
    default:
      throw new UsageError(`unknown snapshots subcommand '${sub}' (list, show ID, compact --keep N, clear)`);
  }
}

export async function runsCommand(
  config: Config,
  args: string[],
  opts: { job?: string; limit?: string; from?: string; to?: string; json: boolean },
): Promise<number> {
  const [sub, id] = args;
  switch (sub) {
    case undefined:
    case 'list':
      return listRunsCommand(config, opts);
    case 'show':
      return showRunCommand(config, parsePositiveInt(id, 'runs show RUN_ID'), opts);
    default:
      throw new UsageError(`unknown runs subcommand '${sub}' (list, show RUN_ID)`);
  }
}

/**
 * The ledger, newest first, with the slots left out (by a catch-up policy or a
 * pause) in between as ranges: what happened to every slot.
 */
async function listRunsCommand(
  config: Config,
  opts: { job?: string; limit?: string; from?: string; to?: string; json: boolean },
): Promise<number> {
  const limit = parseLimit(opts.limit, 50);
  const fromMs = opts.from === undefined ? undefined : parseInstantArg(opts.from, '--from');
  const toMs = opts.to === undefined ? undefined : parseInstantArg(opts.to, '--to');
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs)
    throw new UsageError(`--from ${opts.from} is after --to ${opts.to}`);
  return withStore(config, async (db) => {
    if (opts.job !== undefined) await checkHistoryName(config, db, opts.job);
    const rows = await listRuns(db, { job: opts.job, limit, fromMs, toMs });
    // Gaps down to the oldest run listed (all of them in an explicit range).
    const oldest = rows.at(-1)?.scheduled_at.getTime();
    const gaps = await listSlotGaps(db, {
      job: opts.job,
      fromMs: fromMs ?? (rows.length === limit ? oldest : undefined),
      toMs,
      limit,
    });
    const entries: Array<{ at: number; run?: RunRow; gap?: SlotGapRow }> = [
      ...rows.map((r) => ({ at: r.scheduled_at.getTime(), run: r })),
      ...gaps.map((g) => ({ at: g.lastMs, gap: g })),
    ].sort((a, b) => b.at - a.at);
    if (opts.json) {
      printJson(entries.map((e) => (e.run ? runJson(e.run) : gapJson(e.gap!))));
      return EXIT.ok;
    }
    printTable(
      ['ID', 'JOB', 'SCHEDULED AT (UTC)', 'KIND', 'OUTCOME', 'EXIT', 'DURATION', 'NODE'],
      entries.map(({ run: r, gap: g }) =>
        r
          ? [
              r.id,
              r.job,
              isoOrNull(r.scheduled_at),
              runKind(r),
              (r.outcome ?? (r.started_at ? 'running' : 'claimed')) + (r.recovery ? ` (${r.recovery})` : ''),
              r.exit_code ?? r.signal ?? r.http_status,
              r.duration_ms === null ? null : `${Math.round(r.duration_ms)}ms`,
              r.node_id,
            ]
          : [
              null,
              g!.job,
              g!.count === 1 ? isoOrNull(g!.firstMs) : `${isoOrNull(g!.firstMs)} .. ${isoOrNull(g!.lastMs)}`,
              g!.reason,
              `not run: ${g!.count}${g!.exact ? '' : '~'} slot${g!.count === 1 ? '' : 's'} ${describeGapReason(g!.reason)}`,
              null,
              null,
              g!.nodeId,
            ],
      ),
    );
    return EXIT.ok;
  });
}

/** A range of slots left out, as JSON (an element of `runs --json`, told apart by kind: 'gap'). */
function gapJson(g: SlotGapRow) {
  return {
    kind: 'gap' as const,
    job: g.job,
    reason: g.reason,
    why: describeGapReason(g.reason),
    firstSlot: isoOrNull(g.firstMs),
    lastSlot: isoOrNull(g.lastMs),
    slots: g.count,
    exact: g.exact,
    epoch: g.epoch,
    nodeId: g.nodeId,
    recordedAt: isoOrNull(g.recordedAt),
  };
}

/** `runs show RUN_ID`: one run, its attempts and its output tail. Exits 1 when there is no such run. */
async function showRunCommand(config: Config, runId: number, opts: { json: boolean }): Promise<number> {
  return withStore(config, async (db) => {
    const detail = await readRunDetail(db, runId);
    if (!detail) {
      err(`no run with id ${runId}\n`);
      return EXIT.failure;
    }
    if (opts.json) printJson(runDetailJson(detail));
    else printRunDetail(detail);
    return EXIT.ok;
  });
}

/** What each recovery means, for `runs show` (sql/008_run_traces.sql). */
function describeRecovery(recovery: string): string {
  switch (recovery) {
    case 'never-started':
      return 'its daemon died before the job ran; the next one ran it';
    case 'adopted':
      return 'its daemon died while the job ran; the next one on this host followed it to its end';
    case 'ended-unwatched':
      return 'its daemon died; the job ended meanwhile and its status was read from its spool';
    case 'supervisor-lost':
      return 'the job started, then its supervisor died with no status (killed, or the host restarted)';
    case 'host-unknown':
      return 'the job left no traces to read (an HTTP request, or started before traces were kept)';
    case 'awaiting-home':
      return 'its daemon died while the job ran on another host (or spool); waiting for a daemon there to adopt it';
    case 'host-lost':
      return 'the job started on another host (or spool) that did not come back within ha.hostWait';
    default:
      return recovery;
  }
}

function runKind(r: RunRow): string {
  return kindOf(r.manual, r.control_id !== null, r.catchup);
}

/** What put a row in the ledger: the schedule, a catch-up, a backfill or a trigger (manual). */
export function kindOf(manual: boolean, fromControl: boolean, catchup: boolean): string {
  if (manual) return 'manual';
  if (fromControl) return 'backfill';
  return catchup ? 'catch-up' : 'scheduled';
}

/** A ledger row as JSON, times ISO 8601 UTC (the listing's element, and the base of `runs show`). */
function runJson(r: RunRow) {
  return {
    id: r.id,
    job: r.job,
    scheduledAt: isoOrNull(r.scheduled_at),
    catchup: r.catchup,
    kind: runKind(r),
    manual: r.manual,
    controlId: r.control_id,
    epoch: r.epoch,
    nodeId: r.node_id,
    claimedAt: isoOrNull(r.claimed_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    outcome: r.outcome,
    exitCode: r.exit_code,
    signal: r.signal,
    httpStatus: r.http_status,
    durationMs: r.duration_ms === null ? null : Math.round(r.duration_ms),
    error: r.error,
    /** How the outcome was learned when the run's daemon died first; null: its daemon recorded it. */
    recovery: r.recovery,
  };
}

/** The JSON of `runs show --json`: times ISO 8601 UTC; `attempts` the attempt rows, `attemptCount` the run's counter. */
export function runDetailJson({ run: r, attempts }: RunDetail) {
  return {
    ...runJson(r),
    attemptCount: r.attempts,
    interruptedAttempts: r.interrupted_attempts,
    nextAttemptAt: isoOrNull(r.next_attempt_at),
    outputTail: r.output_tail,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      epoch: a.epoch,
      nodeId: a.node_id,
      /** The pool it was handed to, and the worker that took it (null: the leader ran it, or none took it yet). */
      pool: a.pool,
      worker: a.worker,
      startedAt: isoOrNull(a.started_at),
      finishedAt: isoOrNull(a.finished_at),
      outcome: a.outcome,
      exitCode: a.exit_code,
      signal: a.signal,
      httpStatus: a.http_status,
      durationMs: a.duration_ms === null ? null : Math.round(a.duration_ms),
      error: a.error,
      outputTail: a.output_tail,
    })),
  };
}

function printRunDetail({ run: r, attempts }: RunDetail): void {
  const out = printLine;
  const state = r.outcome ?? (r.next_attempt_at ? 'retry pending' : r.started_at ? 'running' : 'claimed');
  out(`run ${r.id}: job ${r.job}, slot ${isoOrNull(r.scheduled_at)}${r.catchup ? ' (catch-up)' : ''}`);
  out(`  outcome:  ${state}${statusText(r) ? ` (${statusText(r)})` : ''}`);
  out(`  node:     ${r.node_id}, epoch ${r.epoch}`);
  out(`  claimed:  ${isoOrNull(r.claimed_at)}`);
  out(`  started:  ${isoOrNull(r.started_at) ?? '-'}`);
  out(
    `  finished: ${isoOrNull(r.finished_at) ?? '-'}${r.duration_ms === null ? '' : `, ${ms(r.duration_ms)}`}`,
  );
  if (r.next_attempt_at) out(`  next attempt at: ${isoOrNull(r.next_attempt_at)}`);
  if (r.interrupted_attempts > 0) out(`  interrupted attempts: ${r.interrupted_attempts}`);
  if (r.recovery !== null) out(`  recovery: ${r.recovery} — ${describeRecovery(r.recovery)}`);
  if (r.error !== null) out(`  error:    ${r.error}`);
  out('');
  if (attempts.length === 0) {
    out(
      r.started_at ? 'attempts: none recorded (a run from before attempts were recorded)' : 'attempts: none',
    );
  } else {
    printTable(
      ['ATTEMPT', 'STARTED (UTC)', 'FINISHED (UTC)', 'OUTCOME', 'EXIT', 'DURATION', 'NODE', 'ERROR'],
      attempts.map((a) => [
        a.attempt,
        isoOrNull(a.started_at),
        isoOrNull(a.finished_at),
        a.outcome ?? 'running',
        statusText(a) || null,
        a.duration_ms === null ? null : ms(a.duration_ms),
        a.pool === null ? a.node_id : `${a.worker ?? `queued in pool ${a.pool}`} (pool ${a.pool})`,
        a.error,
      ]),
    );
  }
  out('');
  // The run's tail is the final attempt's; before the run has one, the newest attempt's.
  const last = [...attempts].reverse().find((a) => a.output_tail !== null);
  const tail = r.output_tail ?? last?.output_tail ?? null;
  if (tail === null) out('output tail: none kept');
  else if (tail === '') out('output tail: (no output)');
  else {
    out(r.output_tail === null && last ? `output tail (attempt ${last.attempt}):` : 'output tail:');
    printLines(tail);
  }
}

/** "exit 3", "signal SIGTERM", "http 503", or '' when none is known. */
function statusText(r: Pick<AttemptRow, 'exit_code' | 'signal' | 'http_status'>): string {
  if (r.exit_code !== null) return `exit ${r.exit_code}`;
  if (r.signal !== null) return `signal ${r.signal}`;
  if (r.http_status !== null) return `http ${r.http_status}`;
  return '';
}

function ms(durationMs: number): string {
  return `${Math.round(durationMs)}ms`;
}

export async function migrateCommand(config: Config, opts: { json: boolean }): Promise<number> {
  const url = config.store.url;
  // graphile-worker's schema too, with its own migrator, when jobs run on workers (runOn: <pool>).
  const queue = url !== undefined && config.jobs.some((j) => j.runOn !== undefined);
  const applied = await withStore(
    config,
    async (db) => {
      const done = await migrate(db);
      if (queue) await installQueue(db, url);
      return done;
    },
    { migrate: false },
  );
  if (opts.json) printJson({ applied, queue });
  else {
    out(applied.length > 0 ? `applied migration(s) ${applied.join(', ')}\n` : 'schema is up to date\n');
    if (queue) out("graphile-worker's schema (the workers' queue) is up to date\n");
  }
  return EXIT.ok;
}
