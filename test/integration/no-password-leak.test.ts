// A database password must never appear in logs or error messages: not while
// the daemon retries an unreachable server, not from the CLI, not from a
// rejected config.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CLI } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();
const dir = h.tempDir('no-leak');
const SECRET = 'pa55-w0rd-do-not-print';

test('the password of store.url is never printed', async () => {
  const config = path.join(dir, 'cronkeeper.yaml');
  // Port 1: nothing listens, so the daemon keeps retrying and logging.
  fs.writeFileSync(config, `store: { url: "postgres://cron:${SECRET}@127.0.0.1:1/cron" }\njobs: {}\n`);
  const d = h.startDaemon(config);
  await d.waitForLog((l) => l.msg === 'opening the store failed: database unreachable; retrying', 30_000);
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0, 'a stop while waiting for the database is clean');
  const everything = JSON.stringify(d.logs) + d.stderr();
  assert.ok(!everything.includes(SECRET), 'the daemon logs no password');

  for (const args of [['status'], ['runs'], ['snapshots', 'list'], ['migrate']]) {
    const r = spawnSync(process.execPath, [CLI, ...args, '--config', config], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 1, `${args.join(' ')} fails: ${r.stderr}`);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET), `${args.join(' ')} prints no password: ${r.stderr}`);
  }

  fs.writeFileSync(config, `store: { url: "mysql://cron:${SECRET}@db/cron" }\n`);
  const v = spawnSync(process.execPath, [CLI, 'validate', '--config', config], { encoding: 'utf8' });
  assert.equal(v.status, 78);
  assert.ok(!v.stderr.includes(SECRET), v.stderr);
  assert.match(v.stderr, /store\.url: 'mysql:\/\/cron:\*\*\*@db\/cron' is not a postgres:\/\/ URL/);
});

test("a job's environment holds none of the daemon's secrets, unless it opts in; the CLI shows its output escaped", async () => {
  const { waitFor } = await import('../support/daemon.js');
  const db = await h.database();
  // Trust authentication: the password in the URL is not checked, only carried.
  const url = new URL(db.url);
  url.username = 'postgres';
  url.password = SECRET;
  const out = path.join(dir, 'env');
  const config = path.join(dir, 'env.yaml');
  fs.writeFileSync(
    config,
    `jobs:\n` +
      `  plain: { every: 1s, catchup: none, command: ["/bin/sh", "-c", "env; printf 'a\\\\033]0;title\\\\007b\\\\rc\\\\n'"] }\n` +
      `  opted: { every: 1s, catchup: none, inheritEnv: [PGPASSWORD], command: ["/bin/sh", "-c", "env > '${out}'"] }\n`,
  );
  const d = h.startDaemon(config, {
    CRONKEEPER_DATABASE_URL: url.toString(),
    PGPASSWORD: `${SECRET}-pg`,
    CRONKEEPER_HTTP_TOKEN: `${SECRET}-token`,
    VISIBLE_TO_JOBS: 'yes',
  });
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  await waitFor(
    () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('VISIBLE_TO_JOBS'),
    20_000,
    'opted ran',
  );
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let plain: { id: string; output_tail: string } | undefined;
  try {
    await waitFor(
      async () => {
        const r = await client.query<{ id: string; output_tail: string }>(
          `SELECT id::text, output_tail FROM cronkeeper_runs WHERE job = 'plain' AND outcome = 'success' LIMIT 1`,
        );
        plain = r.rows[0];
        return plain !== undefined;
      },
      20_000,
      'a finished run of plain',
    );
  } finally {
    await client.end();
  }
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
  assert.match(plain!.output_tail, /VISIBLE_TO_JOBS=yes/, 'the rest of the environment is inherited');
  assert.ok(!plain!.output_tail.includes(SECRET), `no secret in the ledger tail: ${plain!.output_tail}`);
  assert.ok(!/CRONKEEPER_DATABASE_URL|PGPASSWORD|CRONKEEPER_HTTP_TOKEN/.test(plain!.output_tail));
  assert.ok(!(JSON.stringify(d.logs) + d.stderr()).includes(SECRET), 'no secret in the log');
  const opted = fs.readFileSync(out, 'utf8');
  assert.match(opted, new RegExp(`^PGPASSWORD=${SECRET}-pg$`, 'm'), 'inheritEnv opts in');
  assert.ok(!opted.includes('CRONKEEPER_DATABASE_URL'), 'only what it named');

  // runs show prints the output with its control characters escaped.
  const show = spawnSync(process.execPath, [CLI, 'runs', 'show', plain!.id, '--config', config], {
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: '', CRONKEEPER_DATABASE_URL: db.url },
  });
  assert.equal(show.status, 0, show.stderr);
  assert.ok(show.stdout.includes('a\\x1b]0;title\\x07b\\rc'), show.stdout);
  assert.ok(
    !['\u001b', '\u0007', '\r'].some((c) => show.stdout.includes(c)),
    'no raw control character reaches the terminal',
  );
});
