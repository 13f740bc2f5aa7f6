// Databases for the integration tests, on the test Postgres (DATABASE_URL;
// scripts/run-tests.ts starts a throwaway cluster when it is unset).
//
// Each database is a clone (CREATE DATABASE … TEMPLATE) of a template that
// the real migrator (src/store/migrate.ts) built once. The template is named
// by a hash of sql/ and of the migrator, so a changed migration gets a new
// one; the first caller builds it under an advisory lock, under a scratch
// name that is renamed when it is complete, so concurrent files never clone
// half a template; and it refuses connections, so no session left on it can
// make a clone fail. A test of migration itself, or of a daemon meeting a
// brand-new database, asks for an empty one.
//
// At the end of its file a database is dropped, unless a test of the file
// failed: then it is kept with what it holds, and its name and URL printed.
// Every database carries a note (its comment, JSON) saying which file made
// it, when, and when it was kept: scripts/run-tests.ts lists the kept ones
// after a run and drops those older than a week.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SQL_DIR, migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/open-postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MIGRATOR = path.join(ROOT, 'src/store/migrate.ts');
/** Held (on the admin database) while a template is built ("ckte"). */
const TEMPLATE_LOCK_KEY = 0x636b7465;
export const TEST_DATABASE_PREFIX = 'cronkeeper_test_';
export const TEMPLATE_PREFIX = 'cronkeeper_template_';

export function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      'DATABASE_URL is not set: run the tests with `npm test`, which starts a throwaway Postgres',
    );
  return url;
}

/** The URL of database `name` on the test server. */
function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** The URL of database `name` without its password, for printing. */
export function printableDatabaseUrl(name: string): string {
  const url = new URL(databaseUrl(name));
  if (url.password) url.password = '***';
  return url.toString();
}

/** What a test database (or template) says of itself, in its comment. */
export interface DatabaseNote {
  /** The test file that made it, relative to the repository. */
  file: string;
  /** ISO instants (UTC). */
  createdAt: string;
  keptAt?: string;
  /** TEST_RUN_ID of the run that made it (scripts/run-tests.ts sets it), to tell its kept ones from others'. */
  run?: string;
}

export interface TestDatabase {
  url: string;
  name: string;
  /**
   * Drops the database, or keeps it and prints its name and URL when a test
   * of this file has failed. Call it from a file's or a describe's `after`
   * (the harness does): inside a test, its own failure is not known yet.
   * Once only; later calls do nothing.
   */
  drop(): Promise<void>;
}

export interface DatabaseOptions {
  /** An empty database, without the migrations: for tests of migration itself, or of a daemon meeting a brand-new database. */
  empty?: boolean;
}

export async function createTestDatabase(options: DatabaseOptions = {}): Promise<TestDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  const note: DatabaseNote = { file: testFile(), createdAt: new Date().toISOString(), run: runId() };
  await withAdmin(async (admin) => {
    if (options.empty) await admin.query(`CREATE DATABASE ${name}`);
    else await cloneTemplate(admin, name);
    await writeNote(admin, name, note);
  });
  let done = false;
  return {
    url: databaseUrl(name),
    name,
    async drop() {
      if (done) return;
      done = true;
      if (testsFailed()) {
        await withAdmin((admin) => writeNote(admin, name, { ...note, keptAt: new Date().toISOString() }));
        console.error(
          `kept database ${name}, as a test of ${note.file} failed: ${printableDatabaseUrl(name)}`,
        );
        return;
      }
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Whether a test of this file has failed so far. node:test sets
 * process.exitCode to 1 as soon as it reports a failed test, suite or hook
 * (a failure in a describe's `before` too, which no afterEach sees); a
 * file's or a describe's `after` runs once all its tests are reported.
 * Checked by test/integration/kept-database.test.ts.
 */
function testsFailed(): boolean {
  return Number(process.exitCode ?? 0) !== 0;
}

/** The test file this process runs (node --test runs each in a process of its own). */
function testFile(): string {
  const main = process.argv[1];
  return main ? path.relative(ROOT, main) : '(unknown)';
}

function runId(): string | undefined {
  return process.env.TEST_RUN_ID || undefined;
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function writeNote(admin: pg.Client, name: string, note: DatabaseNote): Promise<void> {
  await admin.query(`COMMENT ON DATABASE ${name} IS ${admin.escapeLiteral(JSON.stringify(note))}`);
}

/** CREATE DATABASE `name` as a clone of the migrated template, built first when it is missing. */
async function cloneTemplate(admin: pg.Client, name: string): Promise<void> {
  const template = templateName();
  for (let attempt = 1; ; attempt++) {
    await ensureTemplate(admin, template);
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      return;
    } catch (err) {
      // Dropped meanwhile by scripts/run-tests.ts (a template not used for a week): built again.
      if ((err as { code?: string }).code !== '3D000' || attempt > 1) throw err;
    }
  }
}

/** The template's name: a hash of the migration files and of the migrator that applies them. */
export function templateName(): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(SQL_DIR).sort()) {
    if (!file.endsWith('.sql')) continue;
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(SQL_DIR, file)))
      .update('\0');
  }
  hash.update(fs.readFileSync(MIGRATOR));
  return `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

async function databaseExists(admin: pg.Client, name: string): Promise<boolean> {
  return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

/**
 * Builds template `name` unless it exists. Under a name the template only
 * has once it is complete: it is migrated as `<name>_building`, closed to
 * connections and renamed last. The lock makes concurrent callers wait for
 * one build; a build that died halfway is started over.
 */
async function ensureTemplate(admin: pg.Client, name: string): Promise<void> {
  if (await databaseExists(admin, name)) return;
  await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
  try {
    if (await databaseExists(admin, name)) return;
    const building = `${name}_building`;
    await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${building}`);
    const db = await openPostgres({ url: databaseUrl(building), max: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    await admin.query(`ALTER DATABASE ${building} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    await writeNote(admin, building, { file: testFile(), createdAt: new Date().toISOString(), run: runId() });
    // Waits (up to 5 s) for the migrator's connection to be gone on the server's side too.
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
  }
}

export interface TestDatabaseEntry {
  name: string;
  template: boolean;
  /** Undefined for a database without a readable note (not made by this module). */
  note: DatabaseNote | undefined;
}

/** The test databases and templates on the test server. */
export async function listTestDatabases(): Promise<TestDatabaseEntry[]> {
  return withAdmin(async (admin) => {
    const rows = await admin.query<{ name: string; note: string | null }>(
      `SELECT datname AS name, shobj_description(oid, 'pg_database') AS note FROM pg_database
        WHERE starts_with(datname, $1) OR starts_with(datname, $2) ORDER BY datname`,
      [TEST_DATABASE_PREFIX, TEMPLATE_PREFIX],
    );
    return rows.rows.map((r) => ({
      name: r.name,
      template: r.name.startsWith(TEMPLATE_PREFIX),
      note: parseNote(r.note),
    }));
  });
}

function parseNote(text: string | null): DatabaseNote | undefined {
  try {
    const note = JSON.parse(text ?? '') as Partial<DatabaseNote>;
    return typeof note.createdAt === 'string' && typeof note.file === 'string'
      ? (note as DatabaseNote)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Drops a test database or template (a template is made an ordinary database first). */
export async function dropTestDatabase(entry: TestDatabaseEntry): Promise<void> {
  await withAdmin(async (admin) => {
    if (entry.template) await admin.query(`ALTER DATABASE ${entry.name} WITH IS_TEMPLATE false`);
    await admin.query(`DROP DATABASE IF EXISTS ${entry.name} WITH (FORCE)`);
  });
}
