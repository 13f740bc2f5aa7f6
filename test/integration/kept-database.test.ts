// The test databases themselves (test/support/database.ts, harness.ts): a file
// gets clones of the migrated template, or an empty database when it asks;
// they are dropped when its tests pass, and kept, named and marked when one
// of them fails — an assertion or a describe's before hook. Run on a child
// test file (test/fixtures/harness-file.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { readMigrations } from '../../src/store/migrate.js';
import { dropTestDatabase, listTestDatabases, printableDatabaseUrl } from '../support/database.js';
import { ROOT } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const FIXTURE = path.join('test', 'fixtures', 'harness-file.ts');

/** Runs the fixture as a test file of its own; returns its exit status, its output and its databases' names. */
function runFixture(fail: '' | 'test' | 'before') {
  // Without NODE_TEST_CONTEXT, which would make it a part of this file's run instead of a run of its own.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', FIXTURE], {
    cwd: ROOT,
    env: { ...env, FAIL_ON_PURPOSE: fail, TEST_RUN_ID: `kept-database-${fail}` },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = r.stdout + r.stderr;
  const m = /databases: (\{.*\})/.exec(output);
  assert.ok(m, `the fixture names its databases:\n${output}`);
  const names = JSON.parse(m[1]!) as { migrated: string; empty: string };
  // Whatever the test finds, the fixture's databases go with this file.
  h.defer(async () => {
    for (const e of await listTestDatabases())
      if (e.name === names.migrated || e.name === names.empty) await dropTestDatabase(e);
  });
  return { status: r.status, output, names };
}

/** The rows of `sql` in test database `name`. */
async function queryIn<R extends pg.QueryResultRow>(name: string, sql: string): Promise<R[]> {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function tablesOf(name: string): Promise<string[]> {
  const rows = await queryIn<{ name: string }>(
    name,
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
  );
  return rows.map((r) => r.name);
}

async function present(...names: string[]) {
  const all = await listTestDatabases();
  return names.map((n) => all.find((e) => e.name === n));
}

test('a file whose tests pass: its databases, migrated and empty, are dropped', async () => {
  const { status, output, names } = runFixture('');
  assert.equal(status, 0, output);
  assert.doesNotMatch(output, /kept database/);
  assert.deepEqual(await present(names.migrated, names.empty), [undefined, undefined]);
});

for (const fail of ['test', 'before'] as const) {
  const what = fail === 'test' ? 'test' : "describe's before hook";
  test(`a file with a failed ${what}: its databases are kept, named and marked`, async () => {
    const { status, output, names } = runFixture(fail);
    assert.equal(status, 1, output);
    for (const name of [names.migrated, names.empty]) {
      const line = `kept database ${name}, as a test of ${FIXTURE} failed: ${printableDatabaseUrl(name)}`;
      assert.ok(output.includes(line), output);
    }
    for (const e of await present(names.migrated, names.empty)) {
      assert.ok(e?.note, `${JSON.stringify(e)} is there, with its note`);
      assert.equal(e.note.file, FIXTURE);
      assert.equal(e.note.run, `kept-database-${fail}`);
      assert.ok(Date.parse(e.note.keptAt ?? '') >= Date.parse(e.note.createdAt), JSON.stringify(e.note));
    }
    // The clone holds what the migrator made, every migration; the empty one nothing.
    const tables = await tablesOf(names.migrated);
    assert.ok(tables.includes('cronkeeper_runs'), tables.join(' '));
    const versions = await queryIn<{ version: number }>(
      names.migrated,
      'SELECT version FROM cronkeeper_migrations ORDER BY version',
    );
    assert.deepEqual(
      versions.map((v) => v.version),
      readMigrations().map((m) => m.version),
    );
    assert.deepEqual(await tablesOf(names.empty), []);
  });
}
