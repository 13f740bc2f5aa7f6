// Run policies on the real daemon: retries within one slot (also across a
// SIGKILL between attempts), the onFailure hook's data, the global
// concurrency limit, deterministic jitter, and `runs show`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { retryDelayMs, slotJitterMs } from '../../src/schedule/jitter.js';
import { openEmbedded } from '../../src/store/open-embedded.js';
import { CLI, type DaemonProcess, childEnv, startDaemon, tempDir, waitFor } from '../support/daemon.js';

const dirs: string[] = [];
const daemons: DaemonProcess[] = [];
after(async () => {
  for (const d of daemons) d.proc.kill('SIGKILL');
  await Promise.all(daemons.map((d) => d.exited));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** The one slot of a yearly job with a backfill start: it runs at once, as catch-up. */
const SLOT = '2026-01-01T00:00:00.000Z';
const ONE_SLOT = `    schedule: "0 0 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    catchup: latest
`;

function setUp(name: string, body: string) {
  const dir = tempDir(`policies-${name}`);
  dirs.push(dir);
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(config, `store: { path: "${path.join(dir, 'store')}" }\n${body}`);
  const lines = (file: string) =>
    fs.existsSync(path.join(dir, file))
      ? fs.readFileSync(path.join(dir, file), 'utf8').trim().split('\n')
      : [];
  const start = () => {
    const d = startDaemon(config);
    daemons.push(d);
    return d;
  };
  const query = async <R>(sql: string): Promise<R[]> => {
    const db = await openEmbedded(path.join(dir, 'store'));
    try {
      return (await db.query<R>(sql)).map((r) => ({ ...r }));
    } finally {
      await db.close();
    }
  };
  return { dir, config, lines, start, query };
}

/** A command that fails until its `n`-th attempt, appending CRONKEEPER_ATTEMPT to attempts.txt. */
const failUntil = (dir: string, n: number) =>
  JSON.stringify([
    '/bin/sh',
    '-c',
    `echo "$CRONKEEPER_ATTEMPT" >> '${dir}/attempts.txt'; echo "output of attempt $CRONKEEPER_ATTEMPT"; [ "$CRONKEEPER_ATTEMPT" -ge ${n} ]`,
  ]);

describe('run policies', () => {
  test('a job that fails twice then succeeds: one slot, three attempts, success; runs show lists them', async () => {
    const s = setUp('retry', '');
    fs.appendFileSync(
      s.config,
      `jobs:\n  flaky:\n${ONE_SLOT}    retries: { max: 3, backoff: 100ms, maxBackoff: 300ms }\n    command: ${failUntil(s.dir, 3)}\n`,
    );
    const d = s.start();
    await d.waitForLog((l) => l.msg === 'catch-up finished', 60_000);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    assert.deepEqual(s.lines('attempts.txt'), ['1', '2', '3']);
    const runs = await s.query<{ id: number; outcome: string; attempts: number }>(
      'SELECT id, outcome, attempts FROM cronkeeper_runs',
    );
    assert.equal(runs.length, 1, 'one slot, claimed once');
    assert.equal(runs[0]!.outcome, 'success');
    assert.equal(runs[0]!.attempts, 3);
    const attempts = await s.query<{ attempt: number; outcome: string; exit_code: number }>(
      'SELECT attempt, outcome, exit_code FROM cronkeeper_attempts ORDER BY attempt',
    );
    assert.deepEqual(attempts, [
      { attempt: 1, outcome: 'failure', exit_code: 1 },
      { attempt: 2, outcome: 'failure', exit_code: 1 },
      { attempt: 3, outcome: 'success', exit_code: 0 },
    ]);

    const show = spawnSync(
      process.execPath,
      [CLI, 'runs', 'show', String(runs[0]!.id), '--json', '--config', s.config],
      {
        encoding: 'utf8',
        env: childEnv(),
      },
    );
    assert.equal(show.status, 0, show.stderr);
    const detail = JSON.parse(show.stdout) as { attempts: Array<{ outcome: string }>; outputTail?: string };
    assert.deepEqual(
      detail.attempts.map((a) => a.outcome),
      ['failure', 'failure', 'success'],
    );
    assert.match(show.stdout, /output of attempt 3/);
  });

  test('a retry pending when the daemon is SIGKILLed is carried out by the next start, once', async () => {
    // The retry delay is deterministic per job and slot: pick a name whose first retry waits 2-4 s,
    // time enough to kill the daemon between the attempts.
    const policy = { max: 2, backoffMs: 4_000, maxBackoffMs: 4_000 };
    const delayOf = (i: number) => retryDelayMs(policy, `late-${i}`, Date.parse(SLOT), 2);
    let i = 0;
    while (delayOf(i) < 2_000 || delayOf(i) > 4_000) i++;
    const name = `late-${i}`;
    const s = setUp('retry-kill', '');
    fs.appendFileSync(
      s.config,
      `jobs:\n  ${name}:\n${ONE_SLOT}    retries: { max: 2, backoff: 4s, maxBackoff: 4s }\n    command: ${failUntil(s.dir, 2)}\n`,
    );
    const first = s.start();
    await first.waitForLog((l) => l.msg === 'attempt failed: retrying', 60_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    assert.deepEqual(s.lines('attempts.txt'), ['1']);

    const second = s.start();
    await second.waitForLog((l) => l.msg === 'retry left pending by its node: carrying it out', 60_000);
    await waitFor(() => s.lines('attempts.txt').length >= 2, 15_000, 'the second attempt');
    await second.waitForLog((l) => l.msg === 'run finished' && l.outcome === 'success', 15_000);
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    assert.deepEqual(s.lines('attempts.txt'), ['1', '2'], 'each attempt once');
    const runs = await s.query<{ outcome: string; attempts: number }>(
      'SELECT outcome, attempts FROM cronkeeper_runs',
    );
    assert.deepEqual(runs, [{ outcome: 'success', attempts: 2 }]);
  });

  test('onFailure gets the job, slot, attempts, exit status and the tail of the output', async () => {
    const s = setUp('hook', '');
    const hookOut = path.join(s.dir, 'hook.txt');
    fs.appendFileSync(
      s.config,
      `jobs:
  doomed:
${ONE_SLOT}    retries: { max: 1, backoff: 100ms, maxBackoff: 100ms }
    command: ["/bin/sh", "-c", "echo boom on attempt $CRONKEEPER_ATTEMPT; exit 7"]
    onFailure:
      command: ["/bin/sh", "-c", "printf '%s|%s|%s|%s|%s|%s|%s' \\"$CRONKEEPER_HOOK\\" \\"$CRONKEEPER_JOB\\" \\"$CRONKEEPER_SCHEDULED_AT\\" \\"$CRONKEEPER_ATTEMPTS\\" \\"$CRONKEEPER_OUTCOME\\" \\"$CRONKEEPER_EXIT_CODE\\" \\"$CRONKEEPER_OUTPUT_TAIL\\" > '${hookOut}'"]
`,
    );
    const d = s.start();
    await d.waitForLog((l) => l.msg === 'hook finished', 60_000);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    const [hook, job, slot, attempts, outcome, exitCode, tail] = fs.readFileSync(hookOut, 'utf8').split('|');
    assert.deepEqual(
      [hook, job, slot, attempts, outcome, exitCode],
      ['failure', 'doomed', SLOT, '2', 'failure', '7'],
    );
    assert.match(tail!, /boom on attempt 2/);
  });

  test('a global limit of 2 with 5 jobs due at once: never more than 2 running, all 5 run', async () => {
    const s = setUp('limit', 'concurrency: { max: 2 }\ncatchupConcurrency: 5\n');
    const events = path.join(s.dir, 'events.txt');
    const jobs = [1, 2, 3, 4, 5]
      .map(
        (i) =>
          `  job-${i}:\n${ONE_SLOT}    command: ["/bin/sh", "-c", "echo start >> '${events}'; sleep 1; echo end >> '${events}'"]\n`,
      )
      .join('');
    fs.appendFileSync(s.config, `jobs:\n${jobs}`);
    const d = s.start();
    await d.waitForLog((l) => l.msg === 'catch-up finished', 60_000);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    let running = 0;
    let most = 0;
    for (const e of s.lines('events.txt')) {
      running += e === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    assert.equal(s.lines('events.txt').filter((e) => e === 'start').length, 5, 'all five ran');
    assert.equal(most, 2, 'never more than two at once');
  });

  test('jitter delays a regular start by the same deterministic amount everywhere', async () => {
    const s = setUp('jitter', '');
    fs.appendFileSync(
      s.config,
      `jobs:\n  spread:\n    every: 2s\n    jitter: 1500ms\n    command: ["true"]\n`,
    );
    const d = s.start();
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => d.logs.filter((l) => l.msg === 'run started').length >= 3, 20_000, 'three runs');
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    for (const l of d.logs.filter((x) => x.msg === 'run started')) {
      const slot = Date.parse(String(l.scheduledAt));
      const late = Date.parse(String(l.time)) - slot;
      const jitter = slotJitterMs('spread', slot, 1500);
      assert.ok(late >= jitter, `started ${late} ms after its slot, before its jitter of ${jitter} ms`);
      assert.ok(late < jitter + 1000, `started ${late} ms after its slot; its jitter is ${jitter} ms`);
    }
  });
});
