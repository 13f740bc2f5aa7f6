import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import type { CommandAction, JobAction, JobConfig } from '../../../src/config/types.js';
import { HOOK_OUTPUT_TAIL_BYTES, runHook, type HookInfo } from '../../../src/run/run-hook.js';
import { cutMarker } from '../../../src/run/output-tail.js';
import type { RunResult } from '../../../src/run/types.js';
import { type LogLine, memoryLogger } from '../../support/logger.js';

const node = process.execPath;

function job(over: Partial<JobConfig> = {}): JobConfig {
  const action: CommandAction = {
    kind: 'command',
    argv: ['/usr/local/bin/nightly'],
    env: {},
    cwd: undefined,
  };
  return {
    name: 'nightly',
    source: { file: '/etc/cronkeeper.yaml', line: 1, column: 1 },
    schedule: { kind: 'every', everyMs: 60_000, offsetMs: 0 },
    action,
    catchup: 'all',
    catchupWindowMs: 86_400_000,
    maxCatchup: 10,
    overlap: 'skip',
    timeoutMs: 60_000,
    killGraceMs: 500,
    onInterrupted: 'skip',
    onResume: 'skip',
    onScheduleChange: 'keep',
    formerNames: [],
    backfillFromMs: undefined,
    retries: { max: 2, backoffMs: 1_000, maxBackoffMs: 60_000 },
    jitterMs: 0,
    onFailure: undefined,
    onSuccess: undefined,
    outputKeepBytes: 16_384,
    logOutput: 'lines',
    logLineRate: 100,
    keepChildren: false,
    ...over,
  };
}

function command(argv: string[], env: Record<string, string> = {}): JobAction {
  return { kind: 'command', argv, env, cwd: undefined };
}

const SLOT = Date.UTC(2026, 0, 1, 3, 0, 0, 0);

/** A failed run whose output was 10,000 bytes: 'line 0000\n' ... 'line 0999\n'. */
const LONG_OUTPUT = Array.from({ length: 1000 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`).join('');

function failedRun(over: Partial<RunResult> = {}): RunResult {
  return {
    outcome: 'failure',
    exitCode: 7,
    signal: null,
    httpStatus: null,
    durationMs: 1234,
    error: null,
    outputTail: LONG_OUTPUT,
    ...over,
  };
}

function info(over: Partial<HookInfo> = {}): HookInfo {
  return {
    job: job(),
    runId: 31,
    scheduledAtMs: SLOT,
    attempts: 3,
    result: failedRun(),
    epoch: 5,
    nodeId: 'node-b',
    ...over,
  };
}

/** Prints the CRONKEEPER_* (and HOOK_OWN) environment as one JSON line. */
const PRINT_ENV = `const e = {}; for (const [k, v] of Object.entries(process.env))
  if (k.startsWith('CRONKEEPER_') || k === 'HOOK_OWN') e[k] = v;
console.log(JSON.stringify(e));`;

function printedEnv(lines: LogLine[]): Record<string, string> {
  const out = lines.filter((l) => l.msg === 'job output' && l.stream === 'stdout');
  assert.equal(out.length, 1);
  assert.equal(out[0]!.hook, 'failure', 'the hook output is logged with the hook attached');
  return JSON.parse(out[0]!.line as string) as Record<string, string>;
}

function hookFinished(lines: LogLine[]): LogLine {
  const found = lines.filter((l) => l.msg === 'hook finished');
  assert.equal(found.length, 1);
  return found[0]!;
}

const servers: Array<() => void> = [];
after(() => servers.forEach((close) => close()));

describe('runHook', () => {
  it('a command hook of a failed run gets what happened in its environment', async () => {
    const { logger, lines } = memoryLogger();
    const hook = { action: command([node, '-e', PRINT_ENV], { HOOK_OWN: 'yes' }), timeoutMs: 10_000 };
    const r = await runHook('failure', hook, info(), logger);
    assert.equal(r.outcome, 'success');
    const env = printedEnv(lines);
    // The run's 10,000-byte tail, cut to its last 4 KiB.
    const tail = cutMarker(10_000 - HOOK_OUTPUT_TAIL_BYTES) + LONG_OUTPUT.slice(-HOOK_OUTPUT_TAIL_BYTES);
    assert.deepEqual(env, {
      CRONKEEPER_HOOK: 'failure',
      CRONKEEPER_ATTEMPTS: '3',
      CRONKEEPER_OUTCOME: 'failure',
      CRONKEEPER_EXIT_CODE: '7',
      CRONKEEPER_SIGNAL: '',
      CRONKEEPER_HTTP_STATUS: '',
      CRONKEEPER_ERROR: '',
      CRONKEEPER_OUTPUT_TAIL: tail,
      CRONKEEPER_JOB: 'nightly',
      CRONKEEPER_SCHEDULED_AT: '2026-01-01T03:00:00.000Z',
      CRONKEEPER_RUN_ID: '31',
      CRONKEEPER_EPOCH: '5',
      CRONKEEPER_NODE_ID: 'node-b',
      CRONKEEPER_ATTEMPT: '3',
      CRONKEEPER_CATCHUP: '', // not told
      CRONKEEPER_SLOT: 'nightly@2026-01-01T03:00:00.000Z',
      CRONKEEPER_MANUAL: '0',
      HOOK_OWN: 'yes',
    });
    assert.ok(env.CRONKEEPER_OUTPUT_TAIL!.endsWith('line 0999\n'));
    const fin = hookFinished(lines);
    assert.equal(fin.level, 30);
    assert.deepEqual(
      { job: fin.job, runId: fin.runId, scheduledAt: fin.scheduledAt, hook: fin.hook, outcome: fin.outcome },
      {
        job: 'nightly',
        runId: 31,
        scheduledAt: '2026-01-01T03:00:00.000Z',
        hook: 'failure',
        outcome: 'success',
      },
    );
    assert.equal(lines.filter((l) => l.msg === 'run finished' || l.msg === 'run started').length, 0);
  });

  it('nulls are empty strings; a signal, an error, the catch-up flag; a short tail as is', async () => {
    const { logger, lines } = memoryLogger();
    const hook = { action: command([node, '-e', PRINT_ENV]), timeoutMs: 10_000 };
    const result = failedRun({
      outcome: 'timeout',
      exitCode: null,
      signal: 'SIGKILL',
      error: 'timed out after 5000 ms',
      outputTail: 'bin\u0000ary?\n',
    });
    await runHook('failure', hook, info({ result, attempts: 1, catchup: true }), logger);
    const env = printedEnv(lines);
    assert.equal(env.CRONKEEPER_OUTCOME, 'timeout');
    assert.equal(env.CRONKEEPER_EXIT_CODE, '');
    assert.equal(env.CRONKEEPER_SIGNAL, 'SIGKILL');
    assert.equal(env.CRONKEEPER_ERROR, 'timed out after 5000 ms');
    assert.equal(env.CRONKEEPER_OUTPUT_TAIL, 'bin\uFFFDary?\n', 'no NUL in an environment');
    assert.equal(env.CRONKEEPER_ATTEMPTS, '1');
    assert.equal(env.CRONKEEPER_CATCHUP, '1');

    const none = memoryLogger();
    await runHook('failure', hook, info({ result: failedRun({ outputTail: null }) }), none.logger);
    assert.equal(printedEnv(none.lines).CRONKEEPER_OUTPUT_TAIL, '');
  });

  it('an http hook gets the same as JSON body fields', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        res.writeHead(202).end('noted');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const { port } = server.address() as AddressInfo;
    const { logger, lines } = memoryLogger();
    const hook = {
      action: { kind: 'http', url: `http://127.0.0.1:${port}/alert`, method: 'POST', headers: {} } as const,
      timeoutMs: 5_000,
    };
    const result = failedRun({
      outcome: 'failure',
      exitCode: null,
      httpStatus: 503,
      outputTail: 'bad gateway',
    });
    const r = await runHook('failure', hook, info({ result, catchup: false }), logger);
    assert.equal(r.outcome, 'success');
    assert.equal(r.httpStatus, 202);
    assert.equal(r.outputTail, 'noted');
    assert.equal(bodies.length, 1);
    assert.deepEqual(JSON.parse(bodies[0]!), {
      hook: 'failure',
      attempts: 3,
      outcome: 'failure',
      exitCode: null,
      signal: null,
      httpStatus: 503,
      error: null,
      outputTail: 'bad gateway',
      job: 'nightly',
      scheduledAt: '2026-01-01T03:00:00.000Z',
      runId: 31,
      catchup: false,
      slot: 'nightly@2026-01-01T03:00:00.000Z',
      manual: false,
      epoch: 5,
      nodeId: 'node-b',
      attempt: 3,
    });
    assert.equal(hookFinished(lines).httpStatus, 202);
  });

  it("the hook of a manual run gets the manual run's key", async () => {
    const { logger, lines } = memoryLogger();
    const hook = { action: command([node, '-e', PRINT_ENV]), timeoutMs: 10_000 };
    await runHook('failure', hook, info({ manual: true, catchup: false }), logger);
    const env = printedEnv(lines);
    assert.deepEqual([env.CRONKEEPER_SLOT, env.CRONKEEPER_MANUAL], ['nightly@manual:31', '1']);
  });

  it('a success hook is told so', async () => {
    const { logger, lines } = memoryLogger();
    const hook = {
      action: command(['sh', '-c', 'echo "$CRONKEEPER_HOOK $CRONKEEPER_OUTCOME $CRONKEEPER_EXIT_CODE"']),
      timeoutMs: 10_000,
    };
    const result = failedRun({ outcome: 'success', exitCode: 0, outputTail: 'fine\n' });
    const r = await runHook('success', hook, info({ result, attempts: 1 }), logger);
    assert.equal(r.outcome, 'success');
    assert.deepEqual(
      lines.filter((l) => l.msg === 'job output').map((l) => [l.hook, l.line]),
      [['success', 'success success 0']],
    );
  });

  it('a failing hook is reported in its result and a warn line, not thrown', async () => {
    const { logger, lines } = memoryLogger();
    const failing = { action: command(['sh', '-c', 'echo alerting failed >&2; exit 2']), timeoutMs: 10_000 };
    const r = await runHook('failure', failing, info(), logger);
    assert.equal(r.outcome, 'failure');
    assert.equal(r.exitCode, 2);
    assert.equal(r.outputTail, 'alerting failed\n');
    const fin = hookFinished(lines);
    assert.equal(fin.level, 40);
    assert.equal(fin.outcome, 'failure');
    assert.equal(fin.exitCode, 2);

    const missing = memoryLogger();
    const r2 = await runHook(
      'failure',
      { action: command(['/nope/alert']), timeoutMs: 10_000 },
      info(),
      missing.logger,
    );
    assert.equal(r2.outcome, 'error');
    assert.equal(r2.error, 'spawn /nope/alert ENOENT');
    assert.equal(hookFinished(missing.lines).level, 40);
  });

  it('never throws, even on a broken hook or logger', async () => {
    const { logger } = memoryLogger();
    const bogus = { action: { kind: 'carrier-pigeon' } as unknown as JobAction, timeoutMs: 1_000 };
    const r = await runHook('failure', bogus, info(), logger);
    assert.equal(r.outcome, 'error');
    assert.match(r.error ?? '', /unknown action kind/);

    const throwing = pino({ level: 'debug' }, { write: () => assert.fail('log destination broken') });
    const r2 = await runHook('success', { action: command(['true']), timeoutMs: 1_000 }, info(), throwing);
    assert.ok(['success', 'error'].includes(r2.outcome));

    const r3 = await runHook(
      'failure',
      { action: command(['true']), timeoutMs: 1_000 },
      info({ job: undefined as unknown as JobConfig }),
      logger,
    );
    assert.equal(r3.outcome, 'error');
  });

  it('the hook timeout stops it (not the job timeout)', async () => {
    const { logger, lines } = memoryLogger();
    const hook = { action: command(['sleep', '100']), timeoutMs: 200 };
    const t0 = Date.now();
    const r = await runHook('failure', hook, info({ job: job({ timeoutMs: 60_000 }) }), logger);
    assert.ok(Date.now() - t0 < 5_000);
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.error, 'timed out after 200 ms');
    assert.equal(hookFinished(lines).outcome, 'timeout');
  });

  it('an abort signal stops a hook still running', async () => {
    const { logger } = memoryLogger();
    const controller = new AbortController();
    setTimeout(() => controller.abort('shutdown'), 100);
    const r = await runHook(
      'failure',
      { action: command(['sleep', '100']), timeoutMs: 60_000 },
      info(),
      logger,
      {
        signal: controller.signal,
      },
    );
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.error, 'stopped: shutdown');
  });
});
