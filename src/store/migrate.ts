// Applies the numbered plain-SQL files in sql/ that a database has not seen,
// each in a transaction, under an advisory lock so that two daemons starting
// at once do not race; each applied file is recorded.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

/** Advisory lock key for migrations ("ckmg"). */
export const MIGRATION_LOCK_KEY = 0x636b6d67;

export const SQL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: string = SQL_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: fs.readFileSync(path.join(dir, file), 'utf8') });
  }
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version)
      throw new Error(`two migrations numbered ${out[i]!.version} in ${dir}`);
  }
  return out;
}

/** Applies pending migrations; returns the versions applied now (empty when up to date). */
export async function migrate(db: Db, migrations: Migration[] = readMigrations()): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS cronkeeper_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM cronkeeper_migrations');
    const done = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...done);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known) {
      throw new Error(
        `the database schema is at version ${newest}, newer than this cronkeeper knows (${known}); upgrade cronkeeper`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      // One transaction for all pending files: a failure leaves the schema as it was.
      await tx.exec(m.sql);
      await tx.query('INSERT INTO cronkeeper_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}
