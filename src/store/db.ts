// The one database interface both stores implement: the Postgres server
// through pg, and the embedded PGlite. Same SQL, same callers.
//
// Normalized types on both: int8 -> number (ids and epochs stay below 2^53),
// bytea -> Buffer, timestamptz -> Date.

import type { PrimaryResolver } from './pg-hosts.js';

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /** Human-readable location for logs: a URL without its password, or a directory. */
  readonly location: string;
  /**
   * For reads off the critical path (/status, the status page): connections of
   * their own, so a burst of readers never waits on, or makes wait, a claim,
   * a run's finish or the leadership heartbeat. Postgres: a separate pool of
   * READER_CONNECTIONS. Embedded: the store itself, as PGlite has one
   * connection (one queue) for everything; there the status cache and the
   * bounded status queries are what keep readers from delaying the schedule.
   */
  readonly readers: Queryable;
  /** Runs `fn` in one transaction; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTENs on `channel` on a connection of its own (Postgres only: the embedded
   * store has no other process to hear from). Rejects when it cannot connect.
   */
  listen?(channel: string, onNotify: (payload: string | undefined) => void): Promise<Subscription>;
  /**
   * Which of store.url's hosts is the primary, for a URL of several hosts
   * (pg-hosts.ts): the store's connections and the leader lock's share it.
   */
  readonly primary?: PrimaryResolver;
  close(): Promise<void>;
}

export interface Subscription {
  /** Resolves when the connection ends (server restart, network): then listen again. */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/** int8 as a JS number; refuses values a double cannot hold exactly. */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${text} exceeds 2^53`);
  return n;
}
