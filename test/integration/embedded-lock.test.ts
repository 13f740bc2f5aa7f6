// Two processes must never open one embedded store (PGlite would silently lose
// committed rows): the second daemon is refused with a clear error naming the
// owner, the first keeps running; a lock left behind by a SIGKILLed owner is
// stale and taken over, and no slot ever runs twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type DaemonProcess,
  readOutput,
  recordingCommand,
  startDaemon,
  tempDir,
  waitFor,
} from '../support/daemon.js';

/** The exit code (or signal), or 'still running' after `ms`. */
async function exitWithin(d: DaemonProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still running after ${ms} ms`), ms);
  });
  try {
    return await Promise.race([d.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the embedded store is locked to one process', () => {
  const dir = tempDir('embedded-lock');
  const storeDir = path.join(dir, 'store');
  const lockFile = path.join(storeDir, 'cronkeeper.lock');
  const out = path.join(dir, 'out.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: "${storeDir}" }
snapshot: { interval: 2s, maxUpdates: 5, keep: 5 }
shutdownGrace: 10s
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    catchupWindow: 1h
    maxCatchup: 1000
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  const started: DaemonProcess[] = [];
  const start = () => {
    const d = startDaemon(config);
    started.push(d);
    return d;
  };
  after(async () => {
    for (const d of started)
      if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
    await Promise.all(started.map((d) => d.exited));
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a second daemon is refused; a stale lock is taken over', async () => {
    const a = start();
    await a.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => readOutput(out).length >= 1, 30_000, 'a first run of A');
    const aPid = a.proc.pid!;
    assert.equal((JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid: number }).pid, aPid);

    // B: same store, refused.
    const b = start();
    const bExit = await exitWithin(b, 60_000);
    assert.equal(bExit, 1, `B exits 1; stderr: ${b.stderr()}\nlogs: ${JSON.stringify(b.logs)}`);
    const said = b.stderr() + '\n' + b.logs.map((l) => JSON.stringify(l)).join('\n');
    assert.match(said, /in use by another cronkeeper process/);
    assert.match(said, new RegExp(`pid ${aPid}\\b`), `B names A's pid ${aPid}: ${said}`);
    assert.ok(!b.logs.some((l) => l.msg === 'ready: scheduling'), 'B never scheduled');
    assert.ok(!b.logs.some((l) => l.msg === 'run started'), 'B ran nothing');

    // A is unaffected: still running, still running its job, still holding the lock.
    const afterB = readOutput(out).length;
    await waitFor(() => readOutput(out).length >= afterB + 2, 30_000, 'A keeps running its job after B');
    assert.equal(a.proc.exitCode, null, 'A is still running');
    assert.equal((JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid: number }).pid, aPid);

    // SIGKILL A: its lock stays behind, stale.
    a.proc.kill('SIGKILL');
    assert.equal(await a.exited, 'SIGKILL');
    assert.ok(fs.existsSync(lockFile), 'the lock file of the killed owner stays behind');
    const byA = readOutput(out).length;

    // C takes the stale lock over and runs.
    const c = start();
    await c.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    assert.equal(
      (JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid: number }).pid,
      c.proc.pid,
      "the lock is now C's",
    );
    await waitFor(() => readOutput(out).length >= byA + 2, 30_000, 'C runs the job');
    c.proc.kill('SIGTERM');
    assert.equal(await c.exited, 0, `C stops gracefully; stderr: ${c.stderr()}`);
    assert.equal(fs.existsSync(lockFile), false, 'a graceful stop releases the lock');

    const times = readOutput(out)
      .map((o) => o.scheduledAt)
      .sort();
    assert.equal(new Set(times).size, times.length, `a slot ran twice: ${times.join(', ')}`);
  });
});
