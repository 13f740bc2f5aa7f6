// A malformed config at boot: the real daemon (`cronkeeper run`) exits 78
// (EX_CONFIG) naming the problem at file:line:column, and never touches its
// store — a brand-new Postgres database stays without a single cronkeeper
// table, an embedded store's directory is never created. The SIGHUP side
// (a malformed config on reload keeps the old one running) is in reload.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { startDaemon } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const dir = h.tempDir('bad-config');

const JOB = '  tick:\n    schedule: "* * * * * *"\n    command: ["/bin/true"]\n';

/** Malformed configs of every layer: YAML, schema, job rules, includes, the file itself. Line 1 of each file is its store. */
const CASES: Array<{ name: string; body: string; problem: RegExp }> = [
  {
    name: 'yaml-syntax',
    body: `jobs:\n${JOB}  other:\n    schedule: "0 2 * * *\n    command: ["/bin/true"]\n`,
    problem: /:7:15: the string opened by this " is never closed$/m,
  },
  {
    name: 'bad-pattern',
    body: `jobs:\n${JOB}  nightly:\n    schedule: "0 25 * * *"\n    command: ["/bin/true"]\n`,
    problem: /:7:15: jobs\.nightly\.schedule: invalid cron pattern '0 25 \* \* \*'/m,
  },
  {
    name: 'unknown-key',
    body: `snapshot: { intervall: 5s }\njobs:\n${JOB}`,
    problem: /:2:13: snapshot\.intervall: unknown key 'intervall'; did you mean 'interval'\?$/m,
  },
  {
    name: 'missing-include',
    body: `include: jobs.d/missing.yaml\njobs:\n${JOB}`,
    problem: /:2:10: include: included file '.*missing\.yaml' does not exist$/m,
  },
  { name: 'empty', body: '', problem: /:1:1: the config file is empty; / },
];

/** Writes `body` after the store line as <dir>/<name>/cronkeeper.yaml; returns its path. */
function writeConfig(name: string, storeYaml: string, body: string): string {
  const file = path.join(dir, name, 'cronkeeper.yaml');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body === '' ? '' : `${storeYaml}\n${body}`);
  return file;
}

/** Runs the daemon on `file` to its exit; returns the exit code and stderr. */
async function runToExit(
  file: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | string; stderr: string }> {
  const daemon = startDaemon(file, env);
  const killer = setTimeout(() => daemon.proc.kill('SIGKILL'), 60_000);
  const code = await daemon.exited;
  clearTimeout(killer);
  return { code, stderr: daemon.stderr() };
}

/** Every table, sequence and schema in the database besides the system ones. */
async function userObjects(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       UNION ALL
       SELECT nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'public') AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'`,
    );
    return r.rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('a malformed config at boot', () => {
  test('on a brand-new Postgres database: exit 78, the problem at file:line:column, not one table created', async () => {
    const db = await h.database({ empty: true });
    assert.deepEqual(await userObjects(db.url), [], 'the database starts empty');
    for (const c of CASES) {
      // The URL from the file, and (for the empty file, which has none) from the environment.
      const file = writeConfig(`pg-${c.name}`, `store: { url: "${db.url}" }`, c.body);
      const r = await runToExit(file, { CRONKEEPER_DATABASE_URL: db.url });
      assert.equal(r.code, 78, `${c.name}: exit code\n${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`^${escape(file)}${c.problem.source}`, 'm'),
        `${c.name}: the problem`,
      );
      assert.deepEqual(await userObjects(db.url), [], `${c.name}: the database was not touched`);
    }
  });

  test('on the embedded store: exit 78, and its directory is never created', async () => {
    for (const c of CASES) {
      const storeDir = path.join(dir, `embedded-${c.name}`, 'store');
      const file = writeConfig(`embedded-${c.name}`, `store: { path: "${storeDir}" }`, c.body);
      const r = await runToExit(file);
      assert.equal(r.code, 78, `${c.name}: exit code\n${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`^${escape(file)}${c.problem.source}`, 'm'),
        `${c.name}: the problem`,
      );
      assert.equal(fs.existsSync(storeDir), false, `${c.name}: the store directory was not created`);
      // Not even the default store next to the config (./var/cronkeeper).
      assert.equal(fs.existsSync(path.join(path.dirname(file), 'var')), false, `${c.name}: no default store`);
    }
  });

  test('a config file that does not exist: exit 78, nothing created', async () => {
    const missing = path.join(dir, 'nowhere', 'cronkeeper.yaml');
    const r = await runToExit(missing);
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, new RegExp(`^${escape(missing)}:1:1: cannot read config file: ENOENT`, 'm'));
    assert.equal(fs.existsSync(path.dirname(missing)), false);
  });
});

function escape(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
