import assert from 'node:assert/strict';
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CommandAction, JobConfig } from '../../../src/config/types.js';
import { MAX_LINE_BYTES, OutputLines } from '../../../src/run/output-lines.js';
import { startRun } from '../../../src/run/start-run.js';
import type { RunRequest } from '../../../src/run/types.js';
import { slotKey } from '../../../src/store/ledger.js';
import { type LogLine, memoryLogger } from '../../support/logger.js';

function commandJob(
  argv: string[],
  over: Partial<JobConfig> & { env?: Record<string, string>; cwd?: string } = {},
): JobConfig {
  const { env = {}, cwd, ...rest } = over;
  const action: CommandAction = { kind: 'command', argv, env, cwd };
  return {
    name: 'test-job',
    source: { file: '/etc/cronkeeper.yaml', line: 1, column: 1 },
    schedule: { kind: 'every', everyMs: 60_000, offsetMs: 0 },
    action,
    catchup: 'all',
    catchupWindowMs: 86_400_000,
    maxCatchup: 10,
    overlap: 'skip',
    timeoutMs: 10_000,
    killGraceMs: 1_000,
    onInterrupted: 'skip',
    onResume: 'skip',
    onScheduleChange: 'keep',
    formerNames: [],
    backfillFromMs: undefined,
    retries: { max: 0, backoffMs: 1_000, maxBackoffMs: 60_000 },
    jitterMs: 0,
    onFailure: undefined,
    onSuccess: undefined,
    outputKeepBytes: 16_384,
    logOutput: 'lines',
    logLineRate: 100,
    keepChildren: false,
    ...rest,
  };
}

const SCHEDULED_AT_MS = Date.UTC(2024, 2, 31, 2, 30, 0, 5);

function request(job: JobConfig, over: Partial<RunRequest> = {}): RunRequest {
  return {
    runId: 42,
    job,
    scheduledAtMs: SCHEDULED_AT_MS,
    catchup: false,
    epoch: 7,
    nodeId: 'node-a',
    attempt: 1,
    ...over,
  };
}

function outputLines(lines: LogLine[], stream: 'stdout' | 'stderr'): string[] {
  return lines.filter((l) => l.stream === stream).map((l) => l.line as string);
}

function finishedLine(lines: LogLine[]): LogLine {
  const found = lines.filter((l) => l.msg === 'run finished');
  assert.equal(found.length, 1);
  return found[0]!;
}

/** Alive and not a zombie (a reparented zombie still answers kill(pid, 0) until it is reaped). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

async function waitUntilDead(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isAlive(pid);
}

const node = process.execPath;

describe('command runs', () => {
  it('exit 0 is a success and logs one run finished line at info', async () => {
    const { logger, lines } = memoryLogger();
    const r = await startRun(request(commandJob(['true']), { catchup: true }), logger).result;
    assert.equal(r.outcome, 'success');
    assert.equal(r.exitCode, 0);
    assert.equal(r.signal, null);
    assert.equal(r.httpStatus, null);
    assert.equal(r.error, null);
    assert.ok(r.durationMs >= 0);
    const fin = finishedLine(lines);
    assert.equal(fin.level, 30);
    assert.deepEqual(
      {
        job: fin.job,
        scheduledAt: fin.scheduledAt,
        runId: fin.runId,
        catchup: fin.catchup,
        outcome: fin.outcome,
        exitCode: fin.exitCode,
        signal: fin.signal,
        httpStatus: fin.httpStatus,
      },
      {
        job: 'test-job',
        scheduledAt: '2024-03-31T02:30:00.005Z',
        runId: 42,
        catchup: true,
        outcome: 'success',
        exitCode: 0,
        signal: null,
        httpStatus: null,
      },
    );
    assert.equal(typeof fin.durationMs, 'number');
  });

  it('a non-zero exit is a failure with its exit code, logged at warn', async () => {
    const { logger, lines } = memoryLogger();
    const r = await startRun(request(commandJob(['sh', '-c', 'exit 3'])), logger).result;
    assert.equal(r.outcome, 'failure');
    assert.equal(r.exitCode, 3);
    assert.equal(r.signal, null);
    assert.equal(finishedLine(lines).level, 40);
  });

  it('death by a signal it did not get from us is a failure with the signal', async () => {
    const { logger } = memoryLogger();
    const r = await startRun(request(commandJob(['sh', '-c', 'kill -KILL $$'])), logger).result;
    assert.equal(r.outcome, 'failure');
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, 'SIGKILL');
  });

  it('passes the environment: the daemon, the job, then CRONKEEPER_* with exact values; runs in cwd', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'cronkeeper-run-')));
    try {
      const { logger, lines } = memoryLogger();
      const script = `const e = process.env; console.log(JSON.stringify({
        job: e.CRONKEEPER_JOB, at: e.CRONKEEPER_SCHEDULED_AT, catchup: e.CRONKEEPER_CATCHUP,
        runId: e.CRONKEEPER_RUN_ID, epoch: e.CRONKEEPER_EPOCH, node: e.CRONKEEPER_NODE_ID,
        own: e.OWN_VAR, path: typeof e.PATH, cwd: process.cwd() }))`;
      const job = commandJob([node, '-e', script], {
        env: { OWN_VAR: 'from job', CRONKEEPER_JOB: 'spoofed' },
        cwd: dir,
      });
      const r = await startRun(
        request(job, { catchup: true, runId: 9001, epoch: 3, nodeId: 'node-b' }),
        logger,
      ).result;
      assert.equal(r.outcome, 'success');
      const out = outputLines(lines, 'stdout');
      assert.equal(out.length, 1);
      assert.deepEqual(JSON.parse(out[0]!), {
        job: 'test-job',
        at: '2024-03-31T02:30:00.005Z',
        catchup: '1',
        runId: '9001',
        epoch: '3',
        node: 'node-b',
        own: 'from job',
        path: 'string',
        cwd: dir,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('CRONKEEPER_ATTEMPT is the attempt; extraEnv comes after CRONKEEPER_* (and wins)', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob(
      ['sh', '-c', 'echo "$CRONKEEPER_ATTEMPT|$CRONKEEPER_CATCHUP|$CRONKEEPER_JOB|$OWN|$EXTRA"'],
      { env: { OWN: 'job', EXTRA: 'from the job' } },
    );
    const r = await startRun(
      request(job, {
        attempt: 3,
        extraEnv: { EXTRA: 'from the request', CRONKEEPER_CATCHUP: '' },
        extraBody: { ignored: 'by commands' },
      }),
      logger,
    ).result;
    assert.equal(r.outcome, 'success');
    assert.deepEqual(outputLines(lines, 'stdout'), ['3||test-job|job|from the request']);
    assert.equal(finishedLine(lines).attempt, 3);
    assert.equal(lines.find((l) => l.msg === 'run started')!.attempt, 3);
  });

  it('CRONKEEPER_ATTEMPT is 1 for a first run', async () => {
    const { logger, lines } = memoryLogger();
    await startRun(request(commandJob(['sh', '-c', 'echo "$CRONKEEPER_ATTEMPT"'])), logger).result;
    assert.deepEqual(outputLines(lines, 'stdout'), ['1']);
  });

  it('CRONKEEPER_SLOT is the ledger slot key, the same for every attempt; CRONKEEPER_MANUAL is 0', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob(['sh', '-c', 'echo "$CRONKEEPER_SLOT|$CRONKEEPER_MANUAL"']);
    await startRun(request(job), logger).result;
    await startRun(request(job, { attempt: 2, catchup: true, epoch: 8, nodeId: 'node-b' }), logger).result;
    assert.deepEqual(outputLines(lines, 'stdout'), [
      `test-job@2024-03-31T02:30:00.005Z|0`,
      `test-job@2024-03-31T02:30:00.005Z|0`,
    ]);
    assert.equal(slotKey('test-job', SCHEDULED_AT_MS), 'test-job@2024-03-31T02:30:00.005Z');
  });

  it('a manual run (cronkeeper trigger) gets a key no slot can have, and CRONKEEPER_MANUAL=1', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob(['sh', '-c', 'echo "$CRONKEEPER_SLOT|$CRONKEEPER_MANUAL|$CRONKEEPER_CATCHUP"']);
    // Requested at the very instant of a slot: the keys still differ.
    await startRun(request(job, { manual: true, runId: 4711 }), logger).result;
    assert.deepEqual(outputLines(lines, 'stdout'), ['test-job@manual:4711|1|0']);
  });

  it('CRONKEEPER_CATCHUP is 0 for a regular run', async () => {
    const { logger, lines } = memoryLogger();
    await startRun(request(commandJob(['sh', '-c', 'echo "$CRONKEEPER_CATCHUP"'])), logger).result;
    assert.deepEqual(outputLines(lines, 'stdout'), ['0']);
  });

  it('logs stdout lines at info and stderr lines at warn with the job and slot attached', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob([
      'sh',
      '-c',
      'printf "one\\ntwo\\r\\n\\n"; printf "oops\\n" >&2; printf "partial"',
    ]);
    const r = await startRun(request(job), logger).result;
    assert.equal(r.outcome, 'success');
    assert.deepEqual(outputLines(lines, 'stdout'), ['one', 'two', '', 'partial']);
    assert.deepEqual(outputLines(lines, 'stderr'), ['oops']);
    const first = lines.find((l) => l.stream === 'stdout')!;
    assert.equal(first.level, 30);
    assert.equal(first.job, 'test-job');
    assert.equal(first.scheduledAt, '2024-03-31T02:30:00.005Z');
    assert.equal(first.runId, 42);
    assert.equal(lines.find((l) => l.stream === 'stderr')!.level, 40);
  });

  it('cuts a 1 MB line without newline to 8 KiB with a marker', async () => {
    const { logger, lines } = memoryLogger();
    const script = `process.stdout.write('x'.repeat(1 << 20) + '\\nafter')`;
    const r = await startRun(request(commandJob([node, '-e', script])), logger).result;
    assert.equal(r.outcome, 'success');
    const out = outputLines(lines, 'stdout');
    assert.equal(out.length, 2);
    const marker = `…[truncated ${(1 << 20) - MAX_LINE_BYTES} bytes]`;
    assert.equal(out[0]!.length, MAX_LINE_BYTES + marker.length);
    assert.ok(out[0]!.endsWith(marker));
    assert.equal(out[1], 'after');
  });

  it('a timeout sends SIGTERM and ends as timeout', async () => {
    const { logger, lines } = memoryLogger();
    const r = await startRun(request(commandJob(['sleep', '100'], { timeoutMs: 200 })), logger).result;
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.exitCode, null);
    assert.match(r.error ?? '', /timed out/);
    assert.equal(finishedLine(lines).outcome, 'timeout');
  });

  it('a job that ignores SIGTERM is SIGKILLed after killGraceMs', async () => {
    const { logger } = memoryLogger();
    const job = commandJob(['sh', '-c', 'trap "" TERM; sleep 100; sleep 100'], {
      timeoutMs: 200,
      killGraceMs: 200,
    });
    const r = await startRun(request(job), logger).result;
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.signal, 'SIGKILL');
  });

  it('a timeout kills the grandchildren too (the whole process group)', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob(['sh', '-c', 'sleep 100 & echo $!; sleep 100'], { timeoutMs: 300 });
    const r = await startRun(request(job), logger).result;
    assert.equal(r.outcome, 'timeout');
    const pid = Number(outputLines(lines, 'stdout')[0]);
    assert.ok(pid > 0);
    assert.ok(await waitUntilDead(pid, 2_000), `grandchild ${pid} is still alive`);
  });

  it('does not hang on a grandchild that keeps the pipes open after the job exited', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob(['sh', '-c', 'sleep 30 & echo $!']);
    const r = await startRun(request(job), logger, { pipeDrainMs: 100 }).result;
    const pid = Number(outputLines(lines, 'stdout')[0]);
    try {
      assert.equal(r.outcome, 'success');
      assert.ok(pid > 0);
    } finally {
      if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('background processes a successful job left behind are ended with it (its process group)', async () => {
    const { logger, lines } = memoryLogger();
    // One holds the pipes, one does not (as a daemonized child would): both are ended.
    const job = commandJob(['sh', '-c', 'sleep 30 & echo $!; sleep 30 >/dev/null 2>&1 & echo $!'], {
      killGraceMs: 500,
    });
    const r = await startRun(request(job), logger).result;
    const pids = outputLines(lines, 'stdout').map(Number);
    try {
      assert.equal(r.outcome, 'success');
      assert.equal(r.exitCode, 0);
      assert.equal(pids.length, 2);
      for (const pid of pids) assert.ok(await waitUntilDead(pid, 2_000), `leftover ${pid} is still alive`);
      assert.ok(lines.some((l) => l.msg === 'the job left processes behind: ending its process group'));
    } finally {
      for (const pid of pids) if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('a leftover that ignores SIGTERM is SIGKILLed after killGrace; the run keeps its own exit status', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob(['sh', '-c', `sh -c 'trap "" TERM; echo $$; exec sleep 30' & sleep 0.2; exit 3`], {
      killGraceMs: 300,
    });
    const r = await startRun(request(job), logger).result;
    const pid = Number(outputLines(lines, 'stdout')[0]);
    try {
      assert.equal(r.outcome, 'failure');
      assert.equal(r.exitCode, 3);
      assert.ok(await waitUntilDead(pid, 2_000), `leftover ${pid} is still alive`);
    } finally {
      if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('keepChildren: true leaves what the job started in the background running', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob(['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { keepChildren: true });
    const r = await startRun(request(job), logger).result;
    const pid = Number(outputLines(lines, 'stdout')[0]);
    try {
      assert.equal(r.outcome, 'success');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(isAlive(pid), 'the background process was ended');
    } finally {
      if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('a program that does not exist is an error, not a crash', async () => {
    const { logger, lines } = memoryLogger();
    const r = await startRun(request(commandJob(['/nope/not-there', 'x'])), logger).result;
    assert.equal(r.outcome, 'error');
    assert.equal(r.error, 'spawn /nope/not-there ENOENT');
    assert.equal(r.exitCode, null);
    assert.equal(finishedLine(lines).outcome, 'error');
  });

  it('a file that is not executable is an error (EACCES)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronkeeper-run-'));
    try {
      const file = join(dir, 'script.sh');
      await writeFile(file, '#!/bin/sh\necho hi\n');
      await chmod(file, 0o644);
      const { logger } = memoryLogger();
      const r = await startRun(request(commandJob([file])), logger).result;
      assert.equal(r.outcome, 'error');
      assert.match(r.error ?? '', /EACCES/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an empty argv is an error', async () => {
    const { logger } = memoryLogger();
    const r = await startRun(request(commandJob([])), logger).result;
    assert.equal(r.outcome, 'error');
  });

  it('stop() ends the run as stopped; it is idempotent', async () => {
    const { logger, lines } = memoryLogger();
    const handle = startRun(request(commandJob(['sleep', '100'])), logger);
    setTimeout(() => {
      handle.stop('shutdown');
      handle.stop('again');
    }, 100);
    const r = await handle.result;
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.error, 'stopped: shutdown');
    assert.equal(lines.filter((l) => l.msg === 'stopping run').length, 1);
    handle.stop('after the end');
    assert.equal(finishedLine(lines).outcome, 'stopped');
  });

  it('stop() after the run finished changes nothing', async () => {
    const { logger } = memoryLogger();
    const handle = startRun(request(commandJob(['true'])), logger);
    const r = await handle.result;
    handle.stop('late');
    assert.equal(r.outcome, 'success');
  });
});

describe('output tail of command runs', () => {
  it('is the whole output, stdout and stderr in arrival order, when it fits', async () => {
    const { logger, lines } = memoryLogger();
    const job = commandJob([
      'sh',
      '-c',
      'printf "out 1\\n"; sleep 0.1; printf "err 1\\n" >&2; sleep 0.1; printf "out 2\\n"; sleep 0.1; printf "err 2" >&2; exit 4',
    ]);
    const r = await startRun(request(job), logger).result;
    assert.equal(r.outcome, 'failure');
    assert.equal(r.outputTail, 'out 1\nerr 1\nout 2\nerr 2');
    // The lines still go to the log.
    assert.deepEqual(outputLines(lines, 'stdout'), ['out 1', 'out 2']);
    assert.deepEqual(outputLines(lines, 'stderr'), ['err 1', 'err 2']);
  });

  it('keeps the last outputKeepBytes bytes with a marker counting the bytes before', async () => {
    const { logger } = memoryLogger();
    const job = commandJob(['sh', '-c', 'printf "hello "; sleep 0.05; printf "world" >&2'], {
      outputKeepBytes: 5,
    });
    const r = await startRun(request(job), logger).result;
    assert.equal(r.outputTail, '…[6 bytes before]\nworld');
  });

  it('is empty for no output, and null when outputKeepBytes is 0', async () => {
    const { logger } = memoryLogger();
    assert.equal((await startRun(request(commandJob(['true'])), logger).result).outputTail, '');
    const none = commandJob(['sh', '-c', 'echo something; echo more >&2'], { outputKeepBytes: 0 });
    const r = await startRun(request(none), logger).result;
    assert.equal(r.outcome, 'success');
    assert.equal(r.outputTail, null);
    const failed = await startRun(request(commandJob(['/nope/not-there'])), logger).result;
    assert.equal(failed.outcome, 'error');
    assert.equal(failed.outputTail, '');
  });

  it('a timed-out run keeps what it printed', async () => {
    const { logger } = memoryLogger();
    const job = commandJob(['sh', '-c', 'echo before the hang; sleep 100'], { timeoutMs: 300 });
    const r = await startRun(request(job), logger).result;
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.outputTail, 'before the hang\n');
  });

  it('5 MB of multi-byte output: the last 16 KiB, UTF-8 safe, counted exactly', async () => {
    const { logger, lines } = memoryLogger();
    // 1 + 2 + 3 + 4 bytes per unit: whichever byte the cut falls on, it may be inside a character.
    const unit = 'aé€😀';
    const count = 500_000;
    const script = `const s = ${JSON.stringify(unit)}.repeat(10_000);
      let left = ${count / 10_000};
      const next = () => { while (left > 0) { left--; if (!process.stdout.write(s)) return process.stdout.once('drain', next); }
        process.stderr.write('END'); };
      next();`;
    const keep = 16_384;
    const r = await startRun(request(commandJob([node, '-e', script], { outputKeepBytes: keep })), logger)
      .result;
    assert.equal(r.outcome, 'success');
    const full = Buffer.from(unit.repeat(count) + 'END');
    assert.equal(full.length, 5_000_003);
    const tail = r.outputTail!;
    const m = /^…\[(\d+) bytes before\]\n/.exec(tail);
    assert.ok(m, 'starts with the marker');
    const body = tail.slice(m[0].length);
    const before = Number(m[1]);
    assert.equal(before + Buffer.byteLength(body), full.length, 'every byte is either counted or kept');
    assert.ok(Buffer.byteLength(body) <= keep);
    assert.ok(Buffer.byteLength(body) > keep - 4);
    assert.ok(!body.includes('\uFFFD'), 'no character cut in half');
    assert.ok(body.endsWith('😀END'));
    assert.equal(body, full.toString('utf8', before));
    // The log got it as one (cut) stdout line and the stderr line.
    assert.deepEqual(outputLines(lines, 'stderr'), ['END']);
  });
});

describe('OutputLines', () => {
  it('keeps memory bounded on 100 MB without a newline', () => {
    const got: string[] = [];
    const lines = new OutputLines((l) => got.push(l));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let peak = 0;
    for (let i = 0; i < 1600; i++) {
      lines.push(chunk);
      peak = Math.max(peak, lines.bufferedBytes);
    }
    assert.equal(got.length, 0);
    assert.ok(peak <= MAX_LINE_BYTES);
    lines.flush();
    assert.equal(got.length, 1);
    assert.equal(
      got[0],
      'a'.repeat(MAX_LINE_BYTES) + `…[truncated ${1600 * 64 * 1024 - MAX_LINE_BYTES} bytes]`,
    );
  });

  it('splits lines across chunks and keeps a line of exactly the limit whole', () => {
    const got: string[] = [];
    const lines = new OutputLines((l) => got.push(l), 4);
    lines.push(Buffer.from('ab'));
    lines.push(Buffer.from('cd\nef'));
    lines.push(Buffer.from('\n\nabcdef\n'));
    lines.flush();
    assert.deepEqual(got, ['abcd', 'ef', '', 'abcd…[truncated 2 bytes]']);
  });

  it('does not cut a UTF-8 character in half', () => {
    const got: string[] = [];
    const lines = new OutputLines((l) => got.push(l), 4);
    lines.push(Buffer.from('aé€x\n')); // a(1) é(2) €(3) x(1): the 4-byte limit falls inside the euro sign
    assert.deepEqual(got, ['aé…[truncated 4 bytes]']);
  });
});
