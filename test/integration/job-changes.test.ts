// Renames and schedule changes across restarts, with the real daemon on a real
// Postgres: formerNames carries state and history over once (no duplicate, no
// storm); a rename without it is a new job and the log says so; a changed
// schedule follows onScheduleChange (keep: catch up under the new schedule;
// reanchor: start fresh, the slots left behind recorded).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import type { TestDatabase } from '../support/database.js';
import {
  CLI,
  type DaemonProcess,
  childEnv,
  readOutput,
  recordingCommand,
  sleep,
  waitFor,
} from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const run = promisify(execFile);

describe('renames and schedule changes', () => {
  const h = createHarness();
  const dir = h.tempDir('job-changes');
  let db: TestDatabase;
  const config = path.join(dir, 'cronkeeper.yaml');
  const out = (name: string) => path.join(dir, `${name}.out`);

  function writeConfig(jobs: string): void {
    fs.writeFileSync(
      config,
      `store: { url: "${db.url}" }
defaults: { catchup: all, catchupWindow: 1h, maxCatchup: 1000 }
jobs:
${jobs}`,
    );
  }

  async function cycle(jobs: string, downMs: number): Promise<DaemonProcess> {
    const last = h.daemons.at(-1);
    if (last) {
      last.proc.kill('SIGTERM');
      assert.equal(await last.exited, 0);
    }
    writeConfig(jobs);
    await sleep(downMs);
    const d = h.startDaemon(config);
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    return d;
  }

  async function ledger(
    job: string,
  ): Promise<
    Array<{ kind: string; scheduledAt?: string; claimedAt?: string; reason?: string; slots?: number }>
  > {
    const r = await run(
      process.execPath,
      [CLI, 'runs', '--job', job, '--limit', '1000', '--json', '--config', config],
      {
        env: childEnv(),
        encoding: 'utf8',
      },
    );
    return JSON.parse(r.stdout) as Array<{ kind: string; scheduledAt?: string; claimedAt?: string }>;
  }

  /** Every second from the first to the last slot of `file` ran exactly once. */
  function assertContiguous(file: string): number[] {
    const times = readOutput(file).map((o) => Date.parse(o.scheduledAt));
    assert.equal(new Set(times).size, times.length, 'a slot ran twice');
    const sorted = [...times].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++)
      assert.equal(
        sorted[i]! - sorted[i - 1]!,
        1_000,
        `missing slot after ${new Date(sorted[i - 1]!).toISOString()}`,
      );
    return sorted;
  }

  const job = (name: string, extra = '', schedule = '"* * * * * *"') =>
    `  ${name}:\n    schedule: ${schedule}\n${extra}    command: ${JSON.stringify(recordingCommand(out('billing')))}\n`;

  test('formerNames carries the state and history over once: no duplicate, no storm', async () => {
    db = await h.database();
    writeConfig(job('billing'));
    const first = h.startDaemon(config);
    await first.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => readOutput(out('billing')).length >= 3, 10_000, 'billing runs');

    const renamed = await cycle(job('billing-v2', '    formerNames: [billing]\n'), 3_000);
    const log = renamed.logs.find((l) => l.msg?.startsWith('job renamed'));
    assert.ok(log, 'the rename is logged');
    assert.equal(log.from, 'billing');
    assert.ok((log.runs as number) >= 3, `runs moved: ${log.runs}`);
    await sleep(1_500);
    // The downtime was caught up under the new name, continuing the old one's slots.
    const times = assertContiguous(out('billing'));
    assert.ok(times.length >= 7, `${times.length} runs`);
    assert.deepEqual(await ledger('billing'), [], 'the old name has no history left');
    const moved = new Set(
      (await ledger('billing-v2')).filter((e) => e.kind !== 'gap').map((e) => Date.parse(e.scheduledAt!)),
    );
    for (const ms of times)
      assert.ok(moved.has(ms), `${new Date(ms).toISOString()} is in the new name's history`);

    // Once: a restart with the same config carries nothing over again.
    const again = await cycle(job('billing-v2', '    formerNames: [billing]\n'), 500);
    await sleep(1_000);
    assert.ok(!again.logs.some((l) => l.msg?.startsWith('job renamed')));
    assertContiguous(out('billing'));
  });

  test('a rename without formerNames is a new job, and the log says how to carry the old one over', async () => {
    const before = readOutput(out('billing')).length;
    const d = await cycle(job('billing-v3'), 2_000);
    const warn = d.logs.find((l) => typeof l.msg === 'string' && l.msg.includes('add formerNames'));
    assert.ok(warn, 'the possible rename is logged');
    assert.deepEqual(warn.added, ['billing-v3']);
    assert.deepEqual(warn.gone, ['billing-v2']);
    assert.ok(
      d.logs.some(
        (l) => l.msg === 'job seen for the first time: no catch-up, baseline now' && l.job === 'billing-v3',
      ),
    );
    await sleep(1_500);
    const catchUps = readOutput(out('billing'))
      .slice(before)
      .filter((o) => o.catchup);
    assert.deepEqual(catchUps, [], 'no catch-up for a new job');
  });

  test('onScheduleChange: keep catches up under the new schedule; reanchor starts fresh and records what it left', async () => {
    const two = '"*/2 * * * * *"';
    await cycle(job('keepy', '', two) + job('fresh', '    onScheduleChange: reanchor\n', two), 500);
    await sleep(3_000);
    const restartedAt = Date.now();
    const d = await cycle(job('keepy') + job('fresh', '    onScheduleChange: reanchor\n'), 3_000);
    const keep = d.logs.find((l) => l.job === 'keepy' && l.onScheduleChange === 'keep');
    assert.ok(keep, 'keep is logged');
    assert.equal(keep.from, '*/2 * * * * *');
    const reanchor = d.logs.find((l) => l.job === 'fresh' && l.onScheduleChange === 'reanchor');
    assert.ok(reanchor, 'reanchor is logged');
    await sleep(1_500);
    const keepRuns = (await ledger('keepy'))
      .filter((e) => e.kind === 'catch-up')
      .map((e) => Date.parse(e.scheduledAt!));
    // keep: the odd seconds of the downtime are slots of the new schedule, caught up.
    assert.ok(
      keepRuns.some((ms) => (ms / 1_000) % 2 === 1),
      'slots of the new schedule were caught up',
    );
    const freshEntries = await ledger('fresh');
    // No slot before the reanchor is claimed to catch up (a slot due later, while the daemon was still
    // starting, may run late). A slot the stopped daemon had already claimed ahead is owed and runs
    // late, recorded as the catch-up run it is: it was not left behind.
    const reanchoredAt = Date.parse(reanchor.time as string);
    assert.deepEqual(
      freshEntries.filter(
        (e) =>
          e.kind === 'catch-up' &&
          Date.parse(e.scheduledAt!) <= reanchoredAt &&
          Date.parse(e.claimedAt!) >= restartedAt,
      ),
      [],
      'reanchor runs none of the slots left behind',
    );
    const gap = freshEntries.find((e) => e.kind === 'gap');
    assert.equal(gap?.reason, 'reanchored');
    assert.ok((gap?.slots ?? 0) >= 2, `slots left behind: ${gap?.slots}`);

    // The new schedules are now the recorded ones: no change the next time.
    const next = await cycle(job('keepy') + job('fresh', '    onScheduleChange: reanchor\n'), 500);
    assert.ok(!next.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('schedule changed')));
  });
});
