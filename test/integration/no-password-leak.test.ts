// A database password must never appear in logs or error messages: not while
// the daemon retries an unreachable server, not from the CLI, not from a
// rejected config.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { CLI, startDaemon, tempDir } from '../support/daemon.js';

const dir = tempDir('no-leak');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const SECRET = 'pa55-w0rd-do-not-print';

test('the password of store.url is never printed', async () => {
  const config = path.join(dir, 'cronkeeper.yaml');
  // Port 1: nothing listens, so the daemon keeps retrying and logging.
  fs.writeFileSync(config, `store: { url: "postgres://cron:${SECRET}@127.0.0.1:1/cron" }\njobs: {}\n`);
  const d = startDaemon(config);
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
