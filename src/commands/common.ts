// What every command shares: exit codes, output helpers, opening the store.
import fs from 'node:fs';
import path from 'node:path';
import type { Config, JobConfig } from '../config/types.js';
import { suggest } from '../text/suggest.js';
import { ConfigError, formatProblem } from '../config/types.js';
import { loadConfigOffThread } from '../config/config-reader-thread.js';
import type { Db, Queryable } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { parseInstant } from '../schedule/iso-instant.js';
import { escapeTerminal } from './terminal-text.js';
import { StoreLockedError } from '../store/store-lock.js';
import { err, inDaemon, out } from './cli-io.js';
import { commandSocketPath } from './command-client.js';

/** sysexits.h codes systemd and shells understand. */
export const EXIT = { ok: 0, failure: 1, usage: 64, config: 78 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Where the config is looked for when neither --config nor $CRONKEEPER_CONFIG names one, in order. */
export const CONFIG_LOCATIONS = ['config/cronkeeper.yaml', '/etc/cronkeeper/cronkeeper.yaml'];

/** No config file given and none found where one is looked for: exit 78, saying where it looked. */
export class NoConfigError extends Error {
  override name = 'NoConfigError';
}

/**
 * Loads the config or throws ConfigError; `run`/`validate` report its problems and exit 78.
 * `insecure`: skip the file owner and mode checks — right for every command but `run`, which
 * runs the commands the config defines; the others only read it.
 */
export async function readConfig(
  file: string | undefined,
  options: { insecure?: boolean; offThread?: boolean } = {},
): Promise<Config> {
  const chosen = file ?? process.env.CRONKEEPER_CONFIG ?? CONFIG_LOCATIONS.find((f) => fs.existsSync(f));
  if (chosen === undefined) {
    throw new NoConfigError(
      `no config file: none given (--config FILE, or $CRONKEEPER_CONFIG), and none at ` +
        `${CONFIG_LOCATIONS.map((f) => path.resolve(f)).join(' or ')}`,
    );
  }
  if (options.offThread) return loadConfigOffThread(chosen, { insecure: options.insecure });
  const { loadConfig } = await import('../config/load-config.js');
  return loadConfig(chosen, { insecure: options.insecure });
}

export function printConfigError(e: ConfigError): void {
  for (const p of e.problems) err(formatProblem(p) + '\n');
  err(`${e.problems.length} problem(s) in the config\n`);
}

/**
 * Opens and migrates the store for a one-shot command, runs `fn`, closes it.
 * Carried out by the daemon (cli-io.ts): its open store, left open.
 */
export async function withStore<T>(
  config: Config,
  fn: (db: Db) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const daemon = inDaemon();
  if (daemon) return fn(daemon.db);
  const { openStore } = await import('../store/open-store.js');
  const db = await openStore(config.store).catch((e: unknown) => {
    // Reached only when the daemon holding it did not answer on its command socket.
    if (!(e instanceof StoreLockedError)) throw e;
    throw new Error(
      `${e.message}; it did not answer on its command socket ${commandSocketPath(config.store.path)} ` +
        `(see its log: a store.path too long for a socket, or an older version)`,
    );
  });
  try {
    if (options.migrate !== false) await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2) + '\n');
}

/** A plain aligned table for terminals; cells are shown with control characters escaped. */
export function printTable(headers: string[], rows: Array<Array<string | number | null>>): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : escapeTerminal(String(c)))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const r of cells)
    out(
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    );
}

/** ISO 8601 UTC; a value that is no instant (a store row of 'infinity') is shown as such, not thrown. */

/** Writes one line to stdout, control characters (a line break too) escaped: see escapeTerminal. */
export function printLine(line: string): void {
  out(escapeTerminal(line) + '\n');
}

/** Writes lines of text (job output) to stdout, control characters but \n and \t escaped. */
export function printLines(text: string): void {
  const shown = escapeTerminal(text, true);
  out(shown.endsWith('\n') ? shown : shown + '\n');
}

/** UTC ms of an ISO 8601 instant with an offset or Z; a UsageError naming `what` otherwise. */
export function parseInstantArg(text: string, what: string): number {
  const ms = parseInstant(text);
  if (ms === undefined) {
    throw new UsageError(
      `${what}: '${text}' is not an ISO 8601 instant with an offset, e.g. 2026-03-29T02:30:00Z`,
    );
  }
  return ms;
}

export function parsePositiveInt(text: string | undefined, what: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`${what} is required`);
    return fallback;
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`${what}: '${text}' is not a positive integer`);
  return n;
}

/** Rows a listing may ask of a daemon that carries it out (the embedded store answers on its event loop). */
export const DAEMON_ROWS_MAX = 10_000;

/** `--limit N` of a listing; bounded when the daemon carries the command out (see DAEMON_ROWS_MAX). */
export function parseLimit(text: string | undefined, fallback: number): number {
  const n = parsePositiveInt(text, '--limit', fallback);
  if (n > DAEMON_ROWS_MAX && inDaemon())
    throw new UsageError(
      `--limit: at most ${DAEMON_ROWS_MAX} rows through the running daemon (its embedded store answers on its own event loop); page with --from/--to`,
    );
  return n;
}

/**
 * A job name a history command (runs, audit, logs) may ask about: a configured job or a former
 * name of one, or a name the ledger or the audit still holds (renamed or removed since). Otherwise findJob's error.
 */
export async function checkHistoryName(config: Config, db: Queryable, name: string): Promise<void> {
  if (config.jobs.some((j) => j.name === name || j.formerNames.includes(name))) return;
  const known = await db.query<{ known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM cronkeeper_runs WHERE job = $1 AND NOT manual)
         OR EXISTS (SELECT 1 FROM cronkeeper_runs WHERE job = $1 AND manual)
         OR EXISTS (SELECT 1 FROM cronkeeper_controls WHERE job = $1) AS known`,
    [name],
  );
  if (!known[0]?.known) findJob(config, name);
}

/** The job named `name`, or a UsageError (exit 64) naming the config and the closest name. */
export function findJob(config: Config, name: string): JobConfig {
  const job = config.jobs.find((j) => j.name === name);
  if (job) return job;
  const hint = suggest(
    name,
    config.jobs.map((j) => j.name),
  );
  throw new UsageError(`no job named '${name}' in ${config.file}${hint ? ` (did you mean '${hint}'?)` : ''}`);
}
