// SIGTERM while a job runs: the daemon claims nothing new, lets the running job
// finish within shutdownGrace (or stops it after the grace, SIGKILL after
// killGrace), records its outcome, flushes the snapshot, and exits 0. A second
// SIGTERM during the grace exits at once (143), killing the job's process group.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { snapshotCodec } from '../../src/snapshot/snapshot-codec.js';
import { openEmbedded } from '../../src/store/open-embedded.js';
import { restoreState, type RestoredState } from '../../src/store/restore-state.js';
import { type DaemonProcess, type LogLine, startDaemon, tempDir, waitFor } from '../support/daemon.js';

interface LedgerRow {
  id: number;
  scheduled_at: Date;
  claimed_at: Date;
  started_at: Date | null;
  outcome: string | null;
  signal: string | null;
}

const started: DaemonProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const d of started) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  await Promise.all(started.map((d) => d.exited));
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function setup(name: string, settings: string, command: string[]) {
  const dir = tempDir(`graceful-${name}`);
  dirs.push(dir);
  const storeDir = path.join(dir, 'store');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: "${storeDir}" }
${settings}
jobs:
  slow:
    schedule: "* * * * * *"
    overlap: skip
    command: ${JSON.stringify(command)}
`,
  );
  return {
    dir,
    start(): DaemonProcess {
      const d = startDaemon(config);
      started.push(d);
      return d;
    },
    /** The ledger and the restored state, read after the daemon exited. */
    async readStore(): Promise<{ rows: LedgerRow[]; restored: RestoredState }> {
      const db = await openEmbedded(storeDir);
      try {
        const rows = await db.query<LedgerRow>(
          `SELECT id, scheduled_at, claimed_at, started_at, outcome, signal
           FROM cronkeeper_runs WHERE job = 'slow' ORDER BY id`,
        );
        return { rows, restored: await restoreState(db, snapshotCodec) };
      } finally {
        await db.close();
      }
    },
  };
}

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

const msgIndex = (d: DaemonProcess, msg: string) => d.logs.findIndex((l) => l.msg === msg);
const dump = (d: DaemonProcess) =>
  `stderr: ${d.stderr()}\nlogs:\n${d.logs.map((l) => JSON.stringify(l)).join('\n')}`;
const iso = (d: Date) => d.toISOString();

/** Live (non-zombie) processes of a process group, from /proc. */
function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the last ')': state ppid pgrp ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

describe('graceful stop', () => {
  test('SIGTERM while a job runs: nothing new is claimed, the run finishes, the state is flushed', async () => {
    const dir = tempDir('graceful-finish-out');
    dirs.push(dir);
    const out = path.join(dir, 'out.txt');
    const s = setup('finish', 'shutdownGrace: 30s', [
      '/bin/sh',
      '-c',
      `sleep 2; echo "$CRONKEEPER_SCHEDULED_AT" >> '${out}'`,
    ]);
    const d = s.start();
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    const run: LogLine = await d.waitForLog((l) => l.msg === 'run started' && l.job === 'slow', 30_000);
    d.proc.kill('SIGTERM');
    assert.equal(await exitWithin(d, 60_000), 0, dump(d));

    // Logs: no run started after the stop; the run finished (success) before the daemon stopped.
    const stopAt = msgIndex(d, 'stop requested');
    const stoppedAt = msgIndex(d, 'stopped');
    assert.ok(stopAt >= 0 && stoppedAt > stopAt, dump(d));
    const lateStarts = d.logs.slice(stopAt).filter((l) => l.msg === 'run started');
    assert.deepEqual(lateStarts, [], 'no run starts after the stop');
    const finished = d.logs.findIndex(
      (l) => l.msg === 'run finished' && l.runId === run.runId && l.outcome === 'success',
    );
    assert.ok(finished >= 0 && finished < stoppedAt, `the run finished before the stop: ${dump(d)}`);
    const stopping = d.logs.find((l) => l.msg === 'stopping: no new slots will be claimed');
    assert.ok(stopping, dump(d));

    // The job's own output.
    const lines = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.includes(run.scheduledAt as string), `the run wrote its line: ${lines.join(', ')}`);

    // The ledger: the run succeeded; nothing was claimed after the stop.
    const { rows, restored } = await s.readStore();
    const row = rows.find((r) => r.id === run.runId);
    assert.ok(row, `ledger row ${String(run.runId)}`);
    assert.equal(iso(row.scheduled_at), run.scheduledAt);
    assert.equal(row.outcome, 'success');
    const stoppingMs = Date.parse(stopping.time as string);
    for (const r of rows) {
      assert.ok(
        r.claimed_at.getTime() <= stoppingMs + 1,
        `slot ${iso(r.scheduled_at)} claimed at ${iso(r.claimed_at)}, after the stop at ${String(stopping.time)}`,
      );
      if (r.started_at !== null)
        assert.equal(r.outcome, 'success', `a started run finished: ${JSON.stringify(r)}`);
      else
        assert.ok(
          r.outcome === 'skipped' || r.outcome === null,
          `an unstarted slot is skipped (overlap) or left claimed: ${JSON.stringify(r)}`,
        );
    }

    // Flush before exit: the newest snapshot covers every ledger row.
    assert.deepEqual(restored.skipped, []);
    assert.equal(restored.replayedRows, 0, 'the final snapshot covers every ledger row');
    const newest = rows.map((r) => r.scheduled_at.getTime()).reduce((a, b) => Math.max(a, b));
    assert.equal(restored.lastExecution.get('slow'), newest);
  });

  test('a job that ignores SIGTERM is killed after shutdownGrace + killGrace; the daemon exits 0', async () => {
    const dir = tempDir('graceful-kill-out');
    dirs.push(dir);
    const pidFile = path.join(dir, 'pid');
    const s = setup('kill', 'shutdownGrace: 1s\ndefaults: { killGrace: 1s }', [
      '/bin/sh',
      '-c',
      `echo $$ > '${pidFile}'; trap "" TERM; sleep 30`,
    ]);
    const d = s.start();
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    const run = await d.waitForLog((l) => l.msg === 'run started' && l.job === 'slow', 30_000);
    await waitFor(
      () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '',
      30_000,
      'pid',
    );
    const jobPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    d.proc.kill('SIGTERM');
    // Well before the job's 30 s sleep would end by itself.
    assert.equal(await exitWithin(d, 25_000), 0, dump(d));
    assert.ok(msgIndex(d, 'grace over: stopping running jobs') >= 0, dump(d));

    const { rows, restored } = await s.readStore();
    const row = rows.find((r) => r.id === run.runId);
    assert.ok(row, `ledger row ${String(run.runId)}`);
    assert.equal(row.outcome, 'stopped', JSON.stringify(row));
    assert.equal(row.signal, 'SIGKILL', 'SIGTERM was ignored: the run ended by SIGKILL');
    assert.deepEqual(liveGroupMembers(jobPid), [], 'no process of the job is left');
    assert.equal(restored.replayedRows, 0, 'the state was flushed before exit');
  });

  test('a second SIGTERM during the grace exits at once, with 128+15, and kills the job', async () => {
    const dir = tempDir('graceful-twice-out');
    dirs.push(dir);
    const out = path.join(dir, 'out.txt');
    const pidFile = path.join(dir, 'pid');
    const s = setup('twice', 'shutdownGrace: 30s', [
      '/bin/sh',
      '-c',
      `echo $$ > '${pidFile}'; sleep 20; echo "$CRONKEEPER_SCHEDULED_AT" >> '${out}'`,
    ]);
    const d = s.start();
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await d.waitForLog((l) => l.msg === 'run started' && l.job === 'slow', 30_000);
    await waitFor(
      () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '',
      10_000,
      'the job pid',
    );
    const jobPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    d.proc.kill('SIGTERM');
    await d.waitForLog((l) => l.msg === 'stop requested', 30_000);
    d.proc.kill('SIGTERM');
    assert.equal(await exitWithin(d, 10_000), 143, dump(d));
    assert.ok(
      d.logs.some((l) => l.msg === 'second stop signal: exiting now'),
      `the second SIGTERM is logged: ${dump(d)}`,
    );
    await waitFor(() => liveGroupMembers(jobPid).length === 0, 5_000, 'the job process group gone');
    assert.ok(!fs.existsSync(out), 'the job was killed before it finished');
  });
});
