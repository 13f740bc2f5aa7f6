// Wall-clock jumps under the real daemon, through its test clock hook
// (CRONKEEPER_TEST_CLOCK_OFFSET_FILE: the real clock plus an offset the test
// rewrites, as an NTP step would move it; timers are not shifted).
//   backward 1 h -> no claimed slot runs again, not even across a SIGKILL and
//                   a restart under the backward clock; when the clock is right
//                   again the schedule resumes and the slots of the time spent
//                   "in the past" are missed slots, caught up by policy;
//   forward 1 h  -> the slots jumped over are missed slots, by each job's
//                   policy (all / latest / none), the newest one runs as scheduled.
// The unit-level version (JobScheduler on an injected clock) is test/unit/dispatch/clock-jump.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type LogLine, readOutput, recordingCommand, sleep, waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';
import { HOUR } from '../support/time.js';

const h = createHarness();
const dir = h.tempDir('chaos-clock');

const offsetFile = path.join(dir, 'clock-offset');
/** Steps the daemon's wall clock to real time + `ms` (written whole: the daemon never reads half a file). */
function setOffset(ms: number): void {
  fs.writeFileSync(`${offsetFile}.tmp`, String(ms));
  fs.renameSync(`${offsetFile}.tmp`, offsetFile);
}
const out = (job: string) => path.join(dir, `${job}.out`);
const slots = (job: string) => readOutput(out(job)).map((o) => Date.parse(o.scheduledAt));

/** Every slot of `times` once, `stepMs` apart, oldest first. */
function assertConsecutive(times: number[], stepMs: number, what: string): void {
  const sorted = [...times].sort((a, b) => a - b);
  assert.equal(new Set(sorted).size, sorted.length, `${what}: a slot ran twice`);
  for (let i = 1; i < sorted.length; i++) {
    assert.equal(
      sorted[i]! - sorted[i - 1]!,
      stepMs,
      `${what}: slots missing after ${new Date(sorted[i - 1]!).toISOString()}`,
    );
  }
}

test('clock jumps under the real daemon: backward re-runs nothing, forward is caught up by policy', async () => {
  const db = await h.database();
  setOffset(0);
  const config = path.join(dir, 'cronkeeper.yaml');
  const job = (name: string, schedule: string, policy: string, maxCatchup: number) => `  ${name}:
    schedule: "${schedule}"
    catchup: ${policy}
    catchupWindow: 2h
    maxCatchup: ${maxCatchup}
    command: ${JSON.stringify(recordingCommand(out(name)))}
`;
  fs.writeFileSync(
    config,
    `store: { url: "${db.url}" }
snapshot: { interval: 1s }
jobs:
${job('sec', '* * * * * *', 'all', 100)}${job('min-all', '* * * * *', 'all', 100)}${job('min-latest', '* * * * *', 'latest', 100)}${job('min-none', '* * * * *', 'none', 100)}`,
  );
  const env = { CRONKEEPER_TEST_CLOCK_OFFSET_FILE: offsetFile };
  const start = () => h.startDaemon(config, env);

  let d = start();
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  await waitFor(() => slots('sec').length >= 3, 15_000, 'per-second runs');

  // Backward 1 h: nothing is due again, not even after a SIGKILL and a restart
  // while the clock is still an hour behind.
  setOffset(-HOUR);
  const backAt = Date.now();
  await sleep(3_000);
  d.proc.kill('SIGKILL');
  await d.exited;
  d = start();
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  await sleep(2_000);
  const lastBeforeBack = Math.max(...slots('sec'));
  assert.ok(
    lastBeforeBack <= backAt + 1_500,
    `no slot after the backward jump ran: ${new Date(lastBeforeBack).toISOString()}`,
  );
  assertConsecutive(slots('sec'), 1_000, 'sec, clock an hour behind');
  const replanned = d.logs.filter((l) => l.msg === 'catch-up plan' && l.job === 'sec');
  assert.deepEqual(replanned, [], 'restart an hour in the past: nothing to catch up');

  // The clock is right again (a forward step of 1 h): the slots of the seconds
  // spent in the past are missed slots; with `catchup: all` each runs once, as catch-up.
  setOffset(0);
  const backFor = Date.now() - backAt;
  const rightAgain = Date.now();
  await waitFor(
    () => slots('sec').some((t) => t > rightAgain + 1_500),
    20_000,
    'per-second runs once the clock is right again',
  );
  // Forward 1 h: the per-minute slots jumped over are missed slots, by policy.
  // Not within a few seconds of a minute boundary: which minute is due "now" at the
  // jump must not depend on how soon the daemon sees it (a CI run jumped at :58.9 s,
  // and the next minute's regular run fell inside the window judged below).
  const second = new Date().getUTCSeconds();
  if (second > 50 || second < 5) await sleep(((65 - second) % 60) * 1_000);
  const before = new Map(['min-all', 'min-latest', 'min-none'].map((j) => [j, slots(j).length]));
  const jumpedAt = Date.now();
  setOffset(HOUR);
  const missed = (job: string) => (l: LogLine) =>
    String(l.msg).startsWith('missed slots while running') && l.job === job;
  for (const j of ['min-all', 'min-latest', 'min-none', 'sec']) await d.waitForLog(missed(j), 15_000);
  await waitFor(() => slots('min-all').length - before.get('min-all')! >= 60, 60_000, 'min-all catch-up');
  await sleep(1_000);
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0, `graceful stop; stderr: ${d.stderr()}`);

  // The slots of the hour jumped over, up to the new "now"; later ones are the
  // normal schedule going on (the catch-up may outlast a minute boundary).
  const afterJump = (j: string) =>
    readOutput(out(j)).filter((o) => {
      const t = Date.parse(o.scheduledAt);
      return t > jumpedAt - 1_000 && t <= jumpedAt + HOUR + 2_000; // the jump is seen within ~1.1 s
    });
  const all = afterJump('min-all');
  assertConsecutive(
    all.map((o) => Date.parse(o.scheduledAt)),
    60_000,
    'min-all, every slot of the hour jumped over',
  );
  assert.ok(all.length === 60 || all.length === 61, `min-all ran the hour's slots: ${all.length}`);
  assert.equal(all.filter((o) => !o.catchup).length, 1, 'only the slot due now is a regular run');
  assert.equal(all.at(-1)!.catchup, false, 'the newest is the regular run');
  assert.ok(Date.parse(all.at(-1)!.scheduledAt) > jumpedAt + HOUR - 61_000, 'the newest is due now');
  for (const j of ['min-latest', 'min-none']) {
    const ran = afterJump(j);
    assert.equal(ran.length, 1, `${j}: one run for the whole hour: ${JSON.stringify(ran)}`);
    assert.ok(Date.parse(ran[0]!.scheduledAt) > jumpedAt + HOUR - 61_000, `${j}: the slot due now`);
  }
  // Back and forth: judged once every run has finished (a catch-up run may still
  // be running while later regular slots are done). Every slot up to the forward
  // jump ran once; the seconds spent in the past ran as catch-up.
  const sec = readOutput(out('sec')).filter((o) => Date.parse(o.scheduledAt) < jumpedAt - 1_000);
  assertConsecutive(
    sec.map((o) => Date.parse(o.scheduledAt)),
    1_000,
    'sec, after the clock went back and forth',
  );
  const caughtUp = sec.filter((o) => o.catchup).length;
  assert.ok(
    caughtUp >= Math.floor(backFor / 1_000) - 2,
    `the ~${Math.round(backFor / 1000)} s spent in the past were caught up: ${caughtUp} catch-up runs`,
  );
  // The per-second job's hour is beyond its cap: dropped, counted and logged.
  const secPlan = d.logs.find((l) => missed('sec')(l) && (l.dropped as number) > 0);
  assert.ok(secPlan, 'sec: the slots beyond maxCatchup are dropped and logged');
  assert.ok((secPlan.dropped as number) >= 3_400, `sec: dropped ${String(secPlan.dropped)}`);
  // Nothing ran twice across the whole test.
  for (const j of ['sec', 'min-all', 'min-latest', 'min-none']) {
    const times = slots(j);
    assert.equal(new Set(times).size, times.length, `${j}: a slot ran twice`);
  }
});
