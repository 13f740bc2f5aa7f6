// Operator controls from the CLI: pause, resume, trigger, backfill, audit.
// They write to the store (never to a daemon's port); whichever node leads
// hears of it within a second and carries it out, and a request made while no
// daemon runs waits in the store for the next one.
import { TooManySlotsError, slotsInRange } from '../catchup/slots-in-range.js';
import type { Config, JobConfig } from '../config/types.js';
import { formatDuration } from '../schedule/duration.js';
import { createSlotCalculator } from '../schedule/slot-calculator.js';
import {
  type AuditEntry,
  type ControlRecord,
  listControls,
  requestControl,
  setPaused,
} from '../store/controls.js';
import type { Db } from '../store/db.js';
import { claimedSlotsBetween } from '../store/ledger.js';
import { readLeader } from '../ha/nodes.js';
import {
  EXIT,
  UsageError,
  parseInstantArg,
  parseLimit,
  printJson,
  printLine,
  printTable,
  checkHistoryName,
  findJob,
  withStore,
} from './common.js';
import { currentActor, err, inDaemon, out } from './cli-io.js';
import { isoOrNull } from '../text/iso-time.js';

export interface ControlOptions {
  json: boolean;
  reason?: string;
  from?: string;
  to?: string;
  dryRun?: boolean;
  job?: string;
  limit?: string;
}

export async function pauseCommand(config: Config, args: string[], o: ControlOptions): Promise<number> {
  const job = jobArg(config, args, 'pause');
  return withStore(config, async (db) => {
    const change = await setPaused(db, job.name, true, currentActor(), o.reason);
    if (o.json) {
      printJson(
        change.changed
          ? { job: job.name, paused: true, changed: true, control: controlJson(change.control) }
          : {
              job: job.name,
              paused: true,
              changed: false,
              since: isoOrNull(change.current?.pausedAtMs),
              by: change.current?.pausedBy,
              reason: change.current?.reason ?? null,
            },
      );
      return EXIT.ok;
    }
    if (!change.changed) {
      const c = change.current!;
      printLine(
        `'${job.name}' is already paused (since ${isoOrNull(c.pausedAtMs)}, by ${c.pausedBy}${c.reason ? `: ${c.reason}` : ''})`,
      );
      return EXIT.ok;
    }
    out(
      `paused '${job.name}' (control #${change.control.id}): no slot of it is claimed until 'cronkeeper resume ${job.name}'.\n` +
        `On resume, the slots missed while paused are ${job.onResume === 'skip' ? 'skipped (onResume: skip)' : `caught up (onResume: catchup, catchup: ${job.catchup})`}.\n`,
    );
    await noteLeader(db);
    return EXIT.ok;
  });
}

export async function resumeCommand(config: Config, args: string[], o: ControlOptions): Promise<number> {
  const job = jobArg(config, args, 'resume');
  return withStore(config, async (db) => {
    const change = await setPaused(db, job.name, false, currentActor());
    if (o.json) {
      printJson({
        job: job.name,
        paused: false,
        changed: change.changed,
        onResume: job.onResume,
        ...(change.changed ? { control: controlJson(change.control) } : {}),
      });
      return EXIT.ok;
    }
    if (!change.changed) {
      out(`'${job.name}' is not paused\n`);
      return EXIT.ok;
    }
    out(
      `resumed '${job.name}' (control #${change.control.id}); the slots missed while paused are ${job.onResume === 'skip' ? 'skipped (onResume: skip)' : `caught up by catchup: ${job.catchup} (onResume: catchup)`}.\n`,
    );
    await noteLeader(db);
    return EXIT.ok;
  });
}

export async function triggerCommand(config: Config, args: string[], o: ControlOptions): Promise<number> {
  const job = jobArg(config, args, 'trigger');
  return withStore(config, async (db) => {
    const control = await requestControl(db, 'trigger', job.name, {}, currentActor());
    if (o.json) {
      printJson({ job: job.name, control: controlJson(control) });
      return EXIT.ok;
    }
    out(
      `requested a manual run of '${job.name}' (control #${control.id}); it is recorded in the ledger as manual\n` +
        `('cronkeeper runs --job ${job.name}') and does not count as a slot.\n`,
    );
    await noteLeader(db);
    return EXIT.ok;
  });
}

export async function backfillCommand(config: Config, args: string[], o: ControlOptions): Promise<number> {
  const job = jobArg(config, args, 'backfill');
  if (o.from === undefined || o.to === undefined)
    throw new UsageError('backfill needs --from ISO and --to ISO');
  const fromMs = parseInstantArg(o.from, '--from');
  const toMs = parseInstantArg(o.to, '--to');
  if (fromMs > toMs) throw new UsageError(`--from ${o.from} is after --to ${o.to}`);
  const nowMs = Date.now();
  // Slots still ahead are the schedule's: the leader backfills up to the moment it carries the request out.
  const untilMs = Math.min(toMs, nowMs);
  let slots: number[];
  try {
    slots = slotsInRange(createSlotCalculator(job.schedule), fromMs, untilMs);
  } catch (err) {
    if (err instanceof TooManySlotsError) throw new UsageError(`backfill ${job.name}: ${err.message}`);
    throw err;
  }
  return withStore(config, async (db) => {
    const claimed = await claimedSlotsBetween(db, job.name, fromMs, untilMs);
    const todo = slots.filter((ms) => !claimed.has(ms));
    const beyondRetention = fromMs < nowMs - config.ledger.retentionMs;
    const warning = beyondRetention
      ? `slots older than the ledger retention (${formatDuration(config.ledger.retentionMs)}) may have run and been cleaned from the ledger: they would run again`
      : undefined;
    if (o.dryRun) {
      if (o.json) {
        printJson({
          job: job.name,
          from: isoOrNull(fromMs),
          to: isoOrNull(untilMs),
          slots: slots.length,
          alreadyClaimed: slots.length - todo.length,
          wouldRun: todo.map((ms) => isoOrNull(ms)),
          ...(warning ? { warning } : {}),
        });
        return EXIT.ok;
      }
      out(
        `backfill of '${job.name}' from ${isoOrNull(fromMs)} to ${isoOrNull(untilMs)}: ${slots.length} slot(s), ${slots.length - todo.length} already claimed, ${todo.length} would run (dry run: nothing requested)\n`,
      );
      if (todo.length > 0)
        printTable(
          ['SCHEDULED AT (UTC)'],
          todo.map((ms) => [isoOrNull(ms)]),
        );
      if (warning) err(`warning: ${warning}\n`);
      return EXIT.ok;
    }
    const control = await requestControl(
      db,
      'backfill',
      job.name,
      { from: isoOrNull(fromMs)!, to: isoOrNull(toMs)! },
      currentActor(),
    );
    if (o.json) {
      printJson({
        job: job.name,
        control: controlJson(control),
        slots: slots.length,
        alreadyClaimed: slots.length - todo.length,
        toRun: todo.length,
        ...(warning ? { warning } : {}),
      });
      return EXIT.ok;
    }
    out(
      `requested a backfill of '${job.name}' from ${isoOrNull(fromMs)} to ${isoOrNull(toMs)} (control #${control.id}): ` +
        `${todo.length} of ${slots.length} slot(s) never claimed; the leader claims and runs them oldest first,\n` +
        `under the catch-up concurrency limit (${config.catchupConcurrency}). Running it again runs nothing new.\n`,
    );
    if (warning) err(`warning: ${warning}\n`);
    await noteLeader(db);
    return EXIT.ok;
  });
}

export async function auditCommand(config: Config, o: ControlOptions): Promise<number> {
  const limit = parseLimit(o.limit, 50);
  return withStore(config, async (db) => {
    if (o.job !== undefined) await checkHistoryName(config, db, o.job);
    const entries = await listControls(db, { job: o.job, limit });
    if (o.json) {
      printJson(entries.map(auditJson));
      return EXIT.ok;
    }
    printTable(
      ['ID', 'REQUESTED AT (UTC)', 'ACTION', 'JOB', 'BY', 'HOST', 'DETAIL', 'DONE AT (UTC)', 'RESULT'],
      entries.map((e) => [
        e.id,
        isoOrNull(e.requestedAt),
        e.action,
        e.job,
        e.requestedBy,
        e.host,
        detail(e),
        isoOrNull(e.doneAt),
        result(e),
      ]),
    );
    return EXIT.ok;
  });
}

function detail(e: ControlRecord): string | null {
  if (e.action === 'backfill') return `${e.args.from ?? '?'} .. ${e.args.to ?? '?'}`;
  return e.args.reason ?? null;
}

function result(e: AuditEntry): string | null {
  if (e.action === 'pause' || e.action === 'resume') return 'applied';
  if (e.doneAt === null) return 'pending: no leader has carried it out yet';
  // A trigger: what became of its run, not merely that it was claimed.
  if (e.run) {
    const run = `run #${e.run.id}`;
    if (e.run.outcome === null) return `${run} claimed or running`;
    return `${run} ${e.run.outcome}${e.run.error ? `: ${e.run.error}` : ''}`;
  }
  const runs = e.runs > 0 ? `; runs: ${e.runs}, ${e.succeeded} succeeded, ${e.unfinished} unfinished` : '';
  return `${e.result ?? ''}${runs}`;
}

function controlJson(c: ControlRecord) {
  return {
    id: c.id,
    action: c.action,
    job: c.job,
    args: c.args,
    requestedBy: c.requestedBy,
    host: c.host,
    requestedAt: isoOrNull(c.requestedAt),
    doneAt: isoOrNull(c.doneAt),
    doneEpoch: c.doneEpoch,
    result: c.result,
  };
}

function auditJson(e: AuditEntry) {
  return {
    ...controlJson(e),
    /** What became of it, as the text shows. */
    outcome: result(e),
    runs: e.runs,
    succeeded: e.succeeded,
    unfinished: e.unfinished,
    run: e.run,
  };
}

function jobArg(config: Config, args: string[], command: string): JobConfig {
  const [name, extra] = args;
  if (name === undefined) throw new UsageError(`${command} needs a job name: cronkeeper ${command} JOB`);
  if (extra !== undefined)
    throw new UsageError(`${command} takes one job name, got '${name}' and '${extra}'`);
  return findJob(config, name);
}

/** Says when no daemon leads: the request then waits in the store for the next one. */
async function noteLeader(db: Db): Promise<void> {
  // The embedded store: carried out by the daemon holding it, or opened here because none runs.
  if (db.kind === 'postgres' ? (await readLeader(db))?.lockHeld : inDaemon()?.node().role === 'leader')
    return;
  out('no daemon is leading right now: the request waits in the store and is carried out when one starts.\n');
}
