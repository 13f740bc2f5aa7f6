// The embedded store: PGlite, a real Postgres compiled to WebAssembly, running
// in this process and persisted under one directory. Locked to one process.
//
// Durability: PGlite's file layer does not fsync. A process crash loses
// nothing committed; an OS crash or power loss may. Production belongs on the
// Postgres server store.
//
// A write the write-ahead log cannot take (disk full, the filesystem remounted
// read-only, an I/O error) is a PANIC in Postgres, after which a server
// restarts. PGlite cannot: the statement that hit the PANIC, or the next one,
// spins forever inside its synchronous call (measured with PGlite 0.5.16: 100%
// CPU, the event loop blocked, nothing logged, SIGTERM unheard). So this
// process ends the way the server would, at the PANIC: one fatal log line that
// says what failed and why, then exit 1 (systemd restarts it). What was
// committed before stays; runs in flight are found unfinished at the next start.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { type Db, type Queryable, parseInt8 } from './db.js';
import { tightenModes } from './private-files.js';
import { acquireStoreLock } from './store-lock.js';

// PGlite's default bytea codec builds strings byte by byte; Buffer's hex codec
// is about 10x faster.
const parsers = {
  [types.INT8]: parseInt8,
  [types.BYTEA]: (text: string) => Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex'),
};
const serializers = {
  [types.BYTEA]: (value: Uint8Array) =>
    '\\x' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'),
};

/** Exit code after a PANIC of the embedded Postgres (the daemon's general failure code). */
export const PANIC_EXIT_CODE = 1;

/**
 * The embedded Postgres's server log line of a PANIC, e.g.
 * `2026-11-27 08:04:15.746 UTC [42] PANIC:  could not write to log file …: No space left on device`;
 * the message only (a statement quoted in a later line does not match).
 */
export function panicMessage(serverLogLine: string): string | undefined {
  return /^[^[\n]*\[\d+\] PANIC: +(.+)$/.exec(serverLogLine)?.[1];
}

export async function openEmbedded(dir: string): Promise<Db> {
  const absolute = path.resolve(dir);
  const lock = acquireStoreLock(absolute);
  const onStderr = (line: string): boolean => {
    const panic = panicMessage(line);
    if (panic !== undefined) exitAfterPanic(absolute, panic, lock.release);
    return false;
  };
  let pg: PGlite;
  try {
    pg = await PGlite.create({ dataDir: path.join(absolute, 'pgdata'), parsers, serializers, onStderr });
  } catch (err) {
    lock.release();
    throw err;
  }
  // The directory (0700, made by the lock) keeps what PGlite creates private; this tightens the files too.
  tightenModes(absolute);
  const asQueryable = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await q.query<R>(sql, params as unknown[] | undefined);
      return res.rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const root = asQueryable(pg);
  let closed = false;
  return {
    kind: 'embedded',
    location: absolute,
    query: root.query,
    exec: root.exec,
    // No second connection in PGlite: readers share its one queue (see Db.readers).
    readers: root,
    transaction: (fn) => pg.transaction((tx) => fn(asQueryable(tx))),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        tightenModes(absolute);
        lock.release();
      }
    },
  };
}

/**
 * Called from inside PGlite's synchronous call, before it would spin: nothing
 * asynchronous can run any more, so the log line is written here, synchronously,
 * in the daemon's JSON log format (fatal), and the process ends.
 */
function exitAfterPanic(store: string, panic: string, releaseLock: () => void): never {
  const line = {
    level: 60,
    time: new Date().toISOString(),
    store,
    cause: panic,
    msg:
      `the embedded store failed a write it cannot go back on (${panic}); ` +
      'exiting, as Postgres does after a PANIC: free space or make the filesystem writable, then restart',
  };
  try {
    fs.writeSync(1, JSON.stringify(line) + '\n');
  } catch {
    // stdout gone: the exit code still tells.
  }
  releaseLock();
  process.exit(PANIC_EXIT_CODE);
}
