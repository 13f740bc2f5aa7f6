// The embedded store (run ledger, job output, lock) is private to the daemon's
// user whatever the umask: started under umask 000, its directory is 0700 and
// every file in it 0600; an existing store left open to others is tightened.
// process.umask cannot be set for one child, so the daemon is started by a shell.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { CLI, childEnv, tempDir, waitFor } from '../support/daemon.js';

const dir = tempDir('private-store');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every path under `root` whose mode lets group or others in, with its mode. */
function loose(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(root);
  return out;
}

test('the embedded store is 0700/0600 under umask 000, and an existing loose store is tightened', async () => {
  const store = path.join(dir, 'store');
  // An existing store left open to everyone.
  fs.mkdirSync(store);
  fs.chmodSync(store, 0o777);
  fs.writeFileSync(path.join(store, 'left-over'), 'x');
  fs.chmodSync(path.join(store, 'left-over'), 0o666);
  const out = path.join(dir, 'out.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: "${store}" }\njobs:\n  tick: { every: 1s, command: ["/bin/sh", "-c", "echo $CRONKEEPER_SCHEDULED_AT >> '${out}'"] }\n`,
  );
  const proc = spawn(
    '/bin/sh',
    ['-c', `umask 000; exec "${process.execPath}" "${CLI}" run --config "${config}"`],
    {
      env: childEnv({ CRONKEEPER_HTTP_LISTEN: '127.0.0.1:0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let logs = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (logs += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (logs += c));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  await waitFor(() => logs.includes('"ready: scheduling"'), 60_000, `ready; logs: ${logs}`);
  await waitFor(
    () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n').length > 2,
    20_000,
    'runs',
  );
  // While it runs: the directory shuts everyone else out, and the lock is private.
  assert.equal(fs.statSync(store).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(store, 'cronkeeper.lock')).mode & 0o777, 0o600);
  proc.kill('SIGTERM');
  assert.equal(await exited, 0, logs);
  assert.deepEqual(loose(store), [], 'nothing in the store is open to group or others');
  assert.equal(fs.statSync(path.join(store, 'left-over')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(store, 'pgdata')).mode & 0o777, 0o700);
  // The job's own file follows the job's umask (000 here): the daemon changes nothing for jobs.
  assert.equal(fs.statSync(out).mode & 0o777, 0o666);
});
