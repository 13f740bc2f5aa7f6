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

test('a run that ended during a stall does not overlap the slot due at its end, though the daemon notices its end late', async () => {
  // The job ends well before the next instant, but the daemon is stopped from
  // just after the run's start until after that instant: when it wakes, the
  // slot comes due before the daemon has read the run's end. The job's exit
  // status says when it ended; judged by that, the slot does not overlap it.
  // (Its output, written while the daemon is stopped, is read after the end:
  // reading it is part of noticing the end.)
  const out = path.join(dir, 'short.out');
  const config = path.join(dir, 'short.yaml');
  const [sh, c, record] = recordingCommand(out);
  fs.writeFileSync(
    config,
    `store: { path: "${path.join(dir, 'store-short')}" }
jobs:
  short:
    schedule: "* * * * * *"
    catchup: all
    overlap: skip
    command: ${JSON.stringify([sh, c, `sleep 0.2; seq 1 200000; ${record}`])}
`,
  );
  const d = startDaemon(config);
  const stalled: string[] = [];
  try {
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => readOutput(out).length >= 1, 10_000, 'a run');
    for (let i = 0; i < 3; i++) {
      // Stopped while the run sleeps, woken a little after the next instant (and before the one after).
      const started = await d.waitForLog(
        (l) => l.msg === 'run started' && !stalled.includes(String(l.scheduledAt)),
        5_000,
      );
      d.proc.kill('SIGSTOP');
      const instant = Date.parse(String(started.scheduledAt));
      stalled.push(String(started.scheduledAt));
      await sleep(Math.max(0, instant + 1_250 - Date.now()));
      d.proc.kill('SIGCONT');
      await d.waitForLog((l) => l.msg === 'run finished' && l.scheduledAt === started.scheduledAt, 5_000);
      await sleep(1_200);
    }
    const last = Date.parse(stalled.at(-1)!);
    await waitFor(
      () => readOutput(out).some((o) => Date.parse(o.scheduledAt) >= last + 2_000),
      10_000,
      'runs after the last stall',
    );
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
  } finally {
    d.proc.kill('SIGKILL');
  }
  const skipped = d.logs.filter((l) => l.msg === 'previous run still running: slot skipped');
  assert.deepEqual(
    skipped.map((l) => l.scheduledAt),
    [],
    'slots skipped for a run that had ended by their instant',
  );
  // The slot after each stalled run ran, once.
  const times = readOutput(out).map((o) => o.scheduledAt);
  for (const s of stalled) {
    const next = new Date(Date.parse(s) + 1_000).toISOString();
    assert.equal(times.filter((t) => t === next).length, 1, `the slot ${next} after the stalled run ${s}`);
  }
});
