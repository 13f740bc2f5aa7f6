// Rows the daemon reads but did not just write itself (controls, pauses, the
// ledger, gaps) may hold anything a SQL client can put there: 'infinity' in a
// timestamp, JSON null for a request's arguments. No such row may crash a
// start or stall what comes after it: readers skip it (or clamp the one value,
// where that is clearly right) and say so here; the caller reports it.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';

/** One row no run can use, and why. */
export interface BadRow {
  table: string;
  /** The row's key as text: an id, a job name. */
  key: string;
  /** What is wrong with it and what was done instead, e.g. "paused_at is infinity: shown as unknown". */
  problem: string;
}

/** Called by a reader for each bad row it skipped or clamped. */
export type OnBadRow = (row: BadRow) => void;

/** The largest |ms| a JS Date holds (±100,000,000 days around the epoch). */
const MAX_DATE_MS = 8.64e15;

/**
 * A timestamptz value as UTC ms, or undefined when it is no instant a run can
 * have: ±infinity (pg and PGlite both give a number, ±Infinity, for those), or
 * a time beyond what a JS Date holds (Postgres reaches year 294276).
 */
export function rowTimeMs(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : NaN;
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}

/** How a bad time value reads in a log line: `infinity`, `-infinity`, or its text. */
export function describeTime(value: unknown): string {
  if (value === Infinity) return 'infinity';
  if (value === -Infinity) return '-infinity';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'not a valid time' : value.toISOString();
  return JSON.stringify(value) ?? String(value);
}

/**
 * SQL: true when the timestamptz `column` can be a slot: finite, and not more
 * than a year ahead of the database's clock (no claim is made further ahead
 * than the claim lead; such a row would hold its job's last execution there,
 * and so stop the job, for ever). The slot key still refuses a second claim of
 * that slot, so skipping the row never runs a slot twice.
 */
export function usableTimeSql(column: string): string {
  return `(isfinite(${column}) AND ${column} < now() + interval '1 year')`;
}

/**
 * Reports bad rows: one warning and one count per row (a reader that runs
 * every few seconds finds the same row again; it is reported once).
 */
export class BadRowLog {
  private readonly seen = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
  ) {}

  readonly report: OnBadRow = (row) => {
    const id = `${row.table}\u0000${row.key}\u0000${row.problem}`;
    if (this.seen.has(id)) return;
    // Bounded: a table full of bad rows must not grow this without end.
    if (this.seen.size >= 10_000) this.seen.clear();
    this.seen.add(id);
    this.metrics?.badRows.inc({ table: row.table });
    this.logger.warn(
      { table: row.table, row: row.key, problem: row.problem },
      'bad row in the store: skipped',
    );
  };
}
