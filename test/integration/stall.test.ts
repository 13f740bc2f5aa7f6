// A daemon that stalls (SIGSTOP: a hung VM, a long GC pause, a suspended
// laptop) finds several slots of a job due at once when it wakes. By the job's
// catch-up policy they are missed slots: with `catchup: all` every one of them
// runs, one after the other, oldest first; the overlap policy must not skip
// them for being due together.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { readOutput, recordingCommand, sleep, startDaemon, tempDir, waitFor } from '../support/daemon.js';

const dir = tempDir('stall');
after(() => {
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

test('slots that come due together after a stall all run, in order, none skipped by overlap', async () => {
  const out = path.join(dir, 'tick.out');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: "${path.join(dir, 'store')}" }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    overlap: skip
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  const d = startDaemon(config);
  let stallEndMs = 0;
  try {
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => readOutput(out).length >= 2, 10_000, 'tick runs');
    // Stall between two runs: a run in progress during the stall would still be
    // running in the daemon's eyes when it wakes, and the overlap policy would rightly apply.
    const last = readOutput(out).at(-1)!;
    await d.waitForLog((l) => l.msg === 'run finished' && l.scheduledAt === last.scheduledAt, 5_000);
    d.proc.kill('SIGSTOP');
    await sleep(3_500);
    d.proc.kill('SIGCONT');
    stallEndMs = Date.now();
    const missed = await d.waitForLog(
      (l) => l.msg === 'missed slots while running' && l.job === 'tick',
      10_000,
    );
    assert.ok((missed.runs as number) >= 1, 'the stall left missed slots to catch up');
    const resumedAt = Date.now();
    await waitFor(
      () => readOutput(out).some((o) => Date.parse(o.scheduledAt) > resumedAt + 1_000),
      10_000,
      'a run after the stall',
    );
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
  } finally {
    d.proc.kill('SIGKILL');
  }
  // Every slot up to the end of the stall ran, once, oldest first. (A slot due
  // later may meet a catch-up run still running: that is the overlap policy's.)
  const times = readOutput(out)
    .map((o) => Date.parse(o.scheduledAt))
    .filter((ms) => ms <= stallEndMs - 1_000);
  assert.ok(times.length >= 3, `runs up to the end of the stall: ${times.length}`);
  for (let i = 1; i < times.length; i++) {
    assert.equal(
      times[i]! - times[i - 1]!,
      1_000,
      `not in order, or a slot missing, at ${new Date(times[i]!).toISOString()}`,
    );
  }
});
