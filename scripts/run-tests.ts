// `npm test`: unit and integration tests. Integration tests need a real
// Postgres: DATABASE_URL when set, else a throwaway cluster started here
// (scripts/pg-cluster.ts), removed afterwards — unless a test failed and kept
// its database (test/support/database.ts): then the cluster is stopped but
// left on disk, with the command that starts it again.
//   node --import tsx scripts/run-tests.ts [substring ...]   runs only matching test files
// Kept databases (on DATABASE_URL) and kept clusters older than KEEP_DAYS are
// removed when the tests run next.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PgCluster, startCluster } from './pg-cluster.js';

/** How long the evidence of a failed test is kept: long enough to look at Friday's failure on Monday. */
const KEEP_DAYS = 7;
const KEEP_MS = KEEP_DAYS * 86_400_000;
/** Written into a kept cluster's directory: what it holds and since when. */
const KEPT_FILE = 'kept.json';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The *.test.ts files below `dir` (test/unit mirrors src/, one folder deep or more), relative to the root. */
function testFiles(dir: string): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? testFiles(path.join(dir, e.name))
        : e.name.endsWith('.test.ts')
          ? [path.join(dir, e.name)]
          : [],
    )
    .sort();
}

const files = ['test/unit', 'test/integration'].flatMap(testFiles);
const only = process.argv.slice(2);
const selected = only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const needsPostgres = selected.some((f) => f.startsWith(path.join('test', 'integration')));
const run = randomBytes(4).toString('hex');
const startedAt = Date.now();

removeOldKeptClusters();
let cluster: PgCluster | undefined;
const env: NodeJS.ProcessEnv = { ...process.env, TEST_RUN_ID: run };
if (!needsPostgres) {
  console.log('# unit tests only: no Postgres');
} else if (!env.DATABASE_URL) {
  cluster = await startCluster();
  env.DATABASE_URL = cluster.url;
  console.log(`# throwaway Postgres at ${cluster.url} (${cluster.dir})`);
} else {
  console.log('# using DATABASE_URL');
}
// The database helpers read DATABASE_URL (and import the migrator): loaded only when there is one.
if (env.DATABASE_URL) process.env.DATABASE_URL = env.DATABASE_URL;
const databases = needsPostgres ? await import('../test/support/database.js') : undefined;
if (databases && !cluster) await dropOldTestDatabases(databases);

const none = { kept: [] as string[], left: [] as string[] };
let code = 1;
try {
  code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      // A test that hangs (a daemon that never exits) fails after 10 minutes instead of holding CI.
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...selected],
      {
        cwd: root,
        env,
        stdio: 'inherit',
      },
    );
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
} finally {
  const { kept, left } = databases ? await reportKept(databases).catch(() => none) : none;
  // A database left by a file killed before its clean-up is evidence too, when the run failed.
  if (cluster && (kept.length > 0 || (code !== 0 && left.length > 0))) keepCluster(cluster, left);
  else cluster?.destroy();
}
process.exit(code);

type DatabaseModule = typeof import('../test/support/database.js');

/**
 * Prints the databases this run kept (a test of their file failed); returns
 * their names, and those of all test databases this run left on the server
 * (kept, or left by a file that was killed before its clean-up).
 */
async function reportKept(db: DatabaseModule): Promise<{ kept: string[]; left: string[] }> {
  const mine = (await db.listTestDatabases()).filter(
    (e) => !e.template && (cluster !== undefined || e.note?.run === run),
  );
  const kept = mine.filter((e) => e.note?.keptAt !== undefined);
  if (kept.length > 0) {
    console.log(`# kept ${kept.length} database(s) of failed tests (dropped after ${KEEP_DAYS} days):`);
    for (const e of kept) console.log(`#   ${e.note!.file}: ${db.printableDatabaseUrl(e.name)}`);
  }
  return { kept: kept.map((e) => e.name), left: mine.map((e) => e.name) };
}

/** Stops the throwaway cluster but keeps its directory (and the kept databases in it). */
function keepCluster(c: PgCluster, names: string[]): void {
  try {
    c.stop('fast');
  } catch {
    // already stopped
  }
  fs.writeFileSync(
    path.join(c.dir, KEPT_FILE),
    `${JSON.stringify({ keptAt: new Date().toISOString(), port: c.port, databases: names }, null, 2)}\n`,
  );
  console.log(
    `# the throwaway Postgres is kept in ${c.dir} (removed after ${KEEP_DAYS} days); start it with:`,
  );
  console.log(`#   ${c.startCommand}`);
}

/** On a DATABASE_URL server: test databases (kept or left over) and templates older than KEEP_DAYS. */
async function dropOldTestDatabases(db: DatabaseModule): Promise<void> {
  const current = db.templateName();
  for (const e of await db.listTestDatabases()) {
    if (e.name === current || e.note === undefined) continue;
    if (startedAt - Date.parse(e.note.keptAt ?? e.note.createdAt) < KEEP_MS) continue;
    await db.dropTestDatabase(e);
    console.log(`# dropped ${e.name}, older than ${KEEP_DAYS} days (${e.note.file})`);
  }
}

/** Throwaway clusters kept by earlier runs (a kept.json in their directory), older than KEEP_DAYS. */
function removeOldKeptClusters(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith('cronkeeper-pg-')) continue;
    const dir = path.join(os.tmpdir(), name);
    const kept = path.join(dir, KEPT_FILE);
    try {
      if (startedAt - fs.statSync(kept).mtimeMs < KEEP_MS) continue;
    } catch {
      continue; // not a kept cluster (or one in use by a test right now)
    }
    // Started again by someone to look at it: theirs to remove.
    if (fs.existsSync(path.join(dir, 'data', 'postmaster.pid'))) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`# removed ${dir}, a throwaway Postgres kept more than ${KEEP_DAYS} days`);
  }
}
