// The embedded store: PGlite, a real Postgres compiled to WebAssembly, running
// in this process and persisted under one directory. Locked to one process.
//
// Durability: PGlite's file layer does not fsync. A process crash loses
// nothing committed; an OS crash or power loss may. Production belongs on the
// Postgres server store.
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { type Db, type Queryable, parseInt8 } from './db.js';
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

export async function openEmbedded(dir: string): Promise<Db> {
  const absolute = path.resolve(dir);
  const lock = acquireStoreLock(absolute);
  let pg: PGlite;
  try {
    pg = await PGlite.create({ dataDir: path.join(absolute, 'pgdata'), parsers, serializers });
  } catch (err) {
    lock.release();
    throw err;
  }
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
    transaction: (fn) => pg.transaction((tx) => fn(asQueryable(tx))),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        lock.release();
      }
    },
  };
}
