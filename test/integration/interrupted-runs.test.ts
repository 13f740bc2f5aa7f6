// A run in progress when its node died *and its supervisor with it* (a host
// restart, a cgroup killed whole): nothing tells whether the job did its work,
// so `onInterrupted: skip` records it as interrupted and never runs it again;
// `rerun` runs the slot again on the next leader (here: the restarted daemon),
// counting the interrupted attempt. (A daemon that dies alone leaves its runs
// running: the next start adopts them — run-survival.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { openEmbedded } from '../../src/store/open-embedded.js';
import { startDaemon, tempDir, waitFor } from '../support/daemon.js';

const dir = tempDir('interrupted');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Each run appends "start <slot>", works for 2 s, then appends "end <slot>". */
function slowJob(name: string, policy: string): string {
  const file = path.join(dir, `${name}.txt`);
  return `  ${name}:
    schedule: "0 0 1 1 *"
    backfillFrom: "2026-01-01T00:00:00Z"
    catchupWindow: 3650d
    catchup: latest
    onInterrupted: ${policy}
    command: ["/bin/sh", "-c", "echo start $CRONKEEPER_SCHEDULED_AT >> '${file}'; sleep 2; echo end $CRONKEEPER_SCHEDULED_AT >> '${file}'"]
`;
}

/** SIGKILLs every run's supervisor and job found in the spool (pids from its `started` and `pid` files). */
function killRunsInSpool(root: string): void {
  for (const run of fs.readdirSync(root)) {
    for (const file of ['started', 'pid']) {
      const pid = Number(fs.readFileSync(path.join(root, run, file), 'utf8').split(' ')[0]);
      try {
        process.kill(file === 'pid' ? -pid : pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

const lines = (name: string) => {
  const file = path.join(dir, `${name}.txt`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
};

test('onInterrupted: skip records the run as interrupted; rerun runs the slot again', async () => {
  const config = path.join(dir, 'cronkeeper.yaml');
  // A yearly job with a backfill start: its one missed slot (Jan 1st) runs at once, as catch-up.
  fs.writeFileSync(
    config,
    `store: { path: "${path.join(dir, 'store')}" }\njobs:\n${slowJob('keep', 'skip')}${slowJob('again', 'rerun')}`,
  );
  const first = startDaemon(config);
  await waitFor(() => lines('keep').length === 1 && lines('again').length === 1, 60_000, 'both runs started');
  first.proc.kill('SIGKILL');
  await first.exited;
  // Everything of the runs dies too, as in a reboot: their supervisors and their jobs.
  killRunsInSpool(path.join(dir, 'var', 'runs'));

  const second = startDaemon(config);
  await second.waitForLog((l) => l.msg === 'catch-up finished', 60_000);
  second.proc.kill('SIGTERM');
  assert.equal(await second.exited, 0);

  const slot = '2026-01-01T00:00:00.000Z';
  assert.deepEqual(lines('keep'), [`start ${slot}`], 'skip: not run again');
  assert.deepEqual(
    lines('again'),
    [`start ${slot}`, `start ${slot}`, `end ${slot}`],
    'rerun: the slot ran again after the interruption',
  );
  const db = await openEmbedded(path.join(dir, 'store'));
  try {
    const rows = await db.query<{
      job: string;
      outcome: string;
      interrupted_attempts: number;
      recovery: string;
    }>('SELECT job, outcome, interrupted_attempts, recovery FROM cronkeeper_runs ORDER BY job');
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [
        { job: 'again', outcome: 'success', interrupted_attempts: 1, recovery: 'supervisor-lost' },
        { job: 'keep', outcome: 'interrupted', interrupted_attempts: 1, recovery: 'supervisor-lost' },
      ],
    );
  } finally {
    await db.close();
  }
});
