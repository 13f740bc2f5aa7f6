// Command runs under their supervisor (run-supervisor.ts): what the job does,
// its output, its end, and what it leaves in its spool for a successor — the
// "daemon" here is this test process, and its death is simulated by dropping
// the handle and adopting the run from the spool as a new daemon would.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { CommandAction, JobConfig } from '../../../src/config/types.js';
import { type SpoolPaths, inspectSpool, listSpools, spoolPaths } from '../../../src/run/run-spool.js';
import { commandEnv } from '../../../src/run/command-run.js';
import { prepareSupervised } from '../../../src/run/prepare-run.js';
import { adoptRun, startRun } from '../../../src/run/start-run.js';
import { SupervisorLauncher } from '../../../src/run/run-supervisor.js';
import type { RunRequest } from '../../../src/run/types.js';
import { testJob } from '../../support/jobs.js';
import { memoryLogger } from '../../support/logger.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
function spoolRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-spool-'));
  roots.push(root);
  return path.join(root, 'runs');
}

let nextRunId = 1;
/** The test's own launcher, as a daemon owns one. */
const launcher = new SupervisorLauncher();

function request(job: JobConfig, root: string, over: Partial<RunRequest> = {}): RunRequest {
  return {
    runId: nextRunId++,
    job,
    scheduledAtMs: Date.UTC(2026, 11, 4, 2, 0, 0),
    catchup: false,
    epoch: 3,
    nodeId: 'node-a',
    attempt: 1,
    spool: { root, launcher },
    ...over,
  };
}

const key = (r: RunRequest) => ({ runId: r.runId, attempt: r.attempt, epoch: r.epoch });

const sh = (script: string, fields: Parameters<typeof testJob>[1] = {}) =>
  testJob('job', { every: 60_000, command: ['/bin/sh', '-c', script], ...fields });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(fn: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('supervised command runs', () => {
  it('runs the job with its environment; output logged line by line and kept as the tail; the spool released', async () => {
    const { logger, lines } = memoryLogger('info');
    const root = spoolRoot();
    const req = request(sh('echo "one $CRONKEEPER_JOB"; echo two >&2; exit 0'), root);
    const handle = startRun(req, logger);
    const r = await handle.result;
    assert.equal(r.outcome, 'success');
    assert.equal(r.exitCode, 0);
    assert.equal(r.outputTail, 'one job\ntwo\n');
    assert.deepEqual(
      lines.filter((l) => l.msg === 'job output').map((l) => l.line),
      ['one job', 'two'],
    );
    assert.ok((await handle.spawned)! > 0, 'the job pid is known');
    assert.deepEqual(await listSpools(root), [{ runId: req.runId, attempt: 1, epoch: 3 }]);
    await handle.release!();
    assert.deepEqual(await listSpools(root), []);
  });

  it('the job gets exactly its environment, directory and argv, whatever they hold', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "cronkeeper-cwd it's-"));
    roots.push(cwd);
    const job = testJob('env', {
      every: 60_000,
      command: ['/bin/sh', '-c', 'pwd; printf "[%s]" "$@"; echo; env', 'sh', "it's", '$HOME', 'a b', '-x'],
      cwd,
      env: { QUOTED: 'it\'s "here"\nand $(not run)', EMPTY: '' },
    });
    const req = request(job, root);
    const r = await startRun(req, logger).result;
    assert.equal(r.outcome, 'success', r.error ?? '');
    const [dir, args, ...envText] = r.outputTail!.split('\n');
    assert.equal(dir, cwd);
    assert.equal(args, "[it's][$HOME][a b][-x]");
    const expected = commandEnv(req, job.action as CommandAction);
    const got = envText.join('\n');
    for (const [name, value] of Object.entries(expected)) {
      assert.ok(got.includes(`${name}=${value}\n`), `${name} missing or changed`);
    }
    // Nothing else: every NAME= at a line start is one of the job's (sh adds PWD, set to its directory).
    const names = got.split('\n').flatMap((l) => /^([^=\s]+)=/.exec(l)?.[1] ?? []);
    const extra = names.filter((n) => !(n in expected) && n !== 'PWD' && n !== 'SHLVL' && n !== '_');
    assert.deepEqual(extra, []);
    // A name sh cannot hold still reaches a job that is not sh.
    const odd = testJob('odd', { every: 60_000, command: ['/usr/bin/env'], env: { 'ODD.NAME': 'kept' } });
    const r2 = await startRun(request(odd, root), logger).result;
    assert.match(r2.outputTail ?? '', /^ODD\.NAME=kept$/m);
  });

  it('a start prepared ahead is used as prepared while fresh, and judged again once stale', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const job = sh('echo ran');
    // Prepared ahead: the directory is there before the start, nothing is spawned yet.
    const req = request(job, root);
    const prepared = await prepareSupervised(req, job.action as CommandAction, root);
    assert.equal(prepared.problem, undefined);
    assert.ok(fs.statSync(prepared.paths.dir).isDirectory());
    assert.equal(fs.existsSync(prepared.paths.started), false);
    const r = await startRun({ ...req, prepared }, logger).result;
    assert.deepEqual([r.outcome, r.outputTail], ['success', 'ran\n']);
    // A fresh preparation's verdict is taken as it is (here, one made up: the program is there)...
    const verdict = { problem: 'spawn /bin/sh ENOENT', checkedAt: performance.now() };
    const fresh = request(job, root);
    const refused = await startRun(
      { ...fresh, prepared: { paths: spoolPaths(root, key(fresh)), ...verdict } },
      logger,
    ).result;
    assert.deepEqual([refused.outcome, refused.error], ['error', 'spawn /bin/sh ENOENT']);
    // ...a stale one, or one for another attempt's directory, is judged again.
    const stale = request(job, root);
    const again = await startRun(
      {
        ...stale,
        prepared: { paths: spoolPaths(root, key(stale)), ...verdict, checkedAt: performance.now() - 60_000 },
      },
      logger,
    ).result;
    assert.equal(again.outcome, 'success');
    const other = request(job, root);
    const elsewhere = await startRun(
      { ...other, prepared: { paths: spoolPaths(root, { ...key(other), attempt: 2 }), ...verdict } },
      logger,
    ).result;
    assert.equal(elsewhere.outcome, 'success');
  });

  it('a non-zero exit is a failure; death by a signal names it', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const failed = await startRun(request(sh('exit 3'), root), logger).result;
    assert.deepEqual([failed.outcome, failed.exitCode, failed.signal], ['failure', 3, null]);
    const killed = await startRun(request(sh('kill -USR1 $$'), root), logger).result;
    assert.deepEqual([killed.outcome, killed.exitCode, killed.signal], ['failure', null, 'SIGUSR1']);
  });

  it('a program that is not there, or not executable, is an error, and nothing is spawned', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const missing = await startRun(
      request(testJob('x', { every: 60_000, command: ['/nope/not-there'] }), root),
      logger,
    ).result;
    assert.equal(missing.outcome, 'error');
    assert.equal(missing.error, 'spawn /nope/not-there ENOENT');
    const notExec = path.join(path.dirname(root), 'script.sh');
    fs.writeFileSync(notExec, '#!/bin/sh\n', { mode: 0o644 });
    const denied = await startRun(request(testJob('x', { every: 60_000, command: [notExec] }), root), logger)
      .result;
    assert.equal(denied.outcome, 'error');
    assert.match(denied.error ?? '', /EACCES/);
    assert.deepEqual(await listSpools(root), []);
    // Its spool, made before the attempt was recorded (runSlot does), is released like any other.
    fs.mkdirSync(path.join(root, '777-1-3'), { recursive: true });
    const handle = startRun(
      request(testJob('x', { every: 60_000, command: ['/nope/x'] }), root, { runId: 777 }),
      logger,
    );
    assert.equal((await handle.result).outcome, 'error');
    await handle.release!();
    assert.deepEqual(await listSpools(root), []);
  });

  it('a timeout ends the job and its process group, not its supervisor: the status is recorded', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const job = sh('sleep 30 & echo $!; sleep 30', { timeout: 300, killGrace: 300 });
    const handle = startRun(request(job, root), logger);
    const r = await handle.result;
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.signal, 'SIGTERM');
    const grandchild = Number(r.outputTail?.trim());
    await until(() => !alive(grandchild), 2_000, 'the grandchild to die');
  });

  it('what a successful job left running in the background is ended with it, unless keepChildren', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const leftover = async (keepChildren: boolean) => {
      const r = await startRun(
        request(sh('sleep 30 >/dev/null 2>&1 & echo $!', { keepChildren, killGrace: 300 }), root),
        logger,
      ).result;
      assert.equal(r.outcome, 'success');
      return Number(r.outputTail?.trim());
    };
    const ended = await leftover(false);
    await until(() => !alive(ended), 2_000, 'the leftover to be ended');
    const kept = await leftover(true);
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(alive(kept), 'keepChildren: the background process was ended');
    } finally {
      process.kill(kept, 'SIGKILL');
    }
  });

  it('stop() ends the run as stopped', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const handle = startRun(request(sh('sleep 30'), root), logger);
    await handle.spawned;
    handle.stop('shutdown');
    const r = await handle.result;
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.error, 'stopped: shutdown');
  });

  it('a job that ends at once is known to have been spawned; a stop asked as a job starts reaches it', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    // The pid file is the evidence a successor judges a run by: it must be there however fast the
    // job ends (a shell reaps such a child before its start time can be read from outside).
    const quick = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const handle = startRun(
          request(testJob('quick', { every: 60_000, command: ['/bin/true'] }), root),
          logger,
        );
        const [spawned, r] = await Promise.all([handle.spawned, handle.result]);
        return { spawned, outcome: r.outcome };
      }),
    );
    assert.deepEqual(
      quick.filter((q) => !(q.spawned! > 0) || q.outcome !== 'success'),
      [],
    );
    // A stop asked before the job's process group exists is held until it does, then delivered.
    const stops = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const handle = startRun(request(sh('sleep 30'), root), logger);
        if (i % 2 === 1) await new Promise((r) => setImmediate(r));
        handle.stop('shutdown');
        return (await handle.result).outcome;
      }),
    );
    assert.deepEqual(new Set(stops), new Set(['stopped']));
  });

  it('the job outlives its daemon: adopted while running, its output after the adoption logged, its end recorded', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const job = sh('echo before; sleep 0.6; echo after; exit 4');
    const req = request(job, root);
    // The first daemon starts it and is "gone": nothing of it follows the run any more.
    const first = startRun(req, logger);
    const pid = (await first.spawned)!;
    const paths = spoolPaths(root, { runId: req.runId, attempt: 1, epoch: req.epoch });
    await until(() => fs.readFileSync(paths.output, 'utf8').includes('before'), 2_000, 'before');
    const found = await inspectSpool(paths);
    assert.equal(found.kind, 'running');
    assert.ok(found.kind === 'running' && found.job?.pid === pid);
    const second = memoryLogger('info');
    const adopted = adoptRun(
      req,
      paths,
      {
        startedAtMs: found.startedAtMs,
        supervisor: found.kind === 'running' ? found.supervisor : undefined,
        running: true,
      },
      second.logger,
    );
    const r = await adopted.result;
    assert.equal(r.outcome, 'failure');
    assert.equal(r.exitCode, 4);
    assert.equal(r.outputTail, 'before\nafter\n');
    // Only what came after the adoption is logged by the adopter.
    assert.deepEqual(
      second.lines.filter((l) => l.msg === 'job output').map((l) => l.line),
      ['after'],
    );
    assert.ok(second.lines.some((l) => String(l.msg).startsWith('run adopted')));
  });

  it('a run that ended while no daemon watched: its status and tail are read from the spool', async () => {
    const { logger } = memoryLogger('info');
    const root = spoolRoot();
    const req = request(sh('echo done; exit 0'), root);
    const first = startRun(req, logger);
    await first.result;
    const paths = spoolPaths(root, { runId: req.runId, attempt: 1, epoch: req.epoch });
    const found = await inspectSpool(paths);
    assert.equal(found.kind, 'finished');
    const r = await adoptRun(
      req,
      paths,
      { startedAtMs: found.startedAtMs, supervisor: undefined, running: false },
      logger,
    ).result;
    assert.equal(r.outcome, 'success');
    assert.equal(r.outputTail, 'done\n');
  });

  it('no started marker: the run never started, and its supervisor, should it start late, does not run the job', async () => {
    const root = spoolRoot();
    const req = request(sh('echo ran >> "$0.ran"'), root);
    const paths: SpoolPaths = spoolPaths(root, { runId: req.runId, attempt: 1, epoch: req.epoch });
    fs.mkdirSync(paths.dir, { recursive: true });
    assert.deepEqual(await inspectSpool(paths), { kind: 'never-started' });
    // The supervisor of that attempt comes late: it finds the marker taken and exits without running.
    const { logger } = memoryLogger('info');
    const r = await startRun(req, logger).result;
    assert.equal(r.outcome, 'error');
    assert.equal(fs.existsSync(paths.pid), false, 'the job was started');
  });
});
