import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { HttpAction, JobConfig } from '../../../src/config/types.js';
import { LOGGED_RESPONSE_BYTES } from '../../../src/run/run-http.js';
import { startRun } from '../../../src/run/start-run.js';
import type { RunRequest } from '../../../src/run/types.js';
import { memoryLogger } from '../../support/logger.js';

function httpJob(
  url: string,
  over: Partial<JobConfig> & { method?: string; headers?: Record<string, string> } = {},
): JobConfig {
  const { method = 'POST', headers = {}, ...rest } = over;
  const action: HttpAction = { kind: 'http', url, method, headers };
  return {
    name: 'hook-job',
    source: { file: '/etc/cronkeeper.yaml', line: 1, column: 1 },
    schedule: { kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' },
    action,
    catchup: 'latest',
    catchupWindowMs: 86_400_000,
    maxCatchup: 1,
    overlap: 'skip',
    timeoutMs: 2_000,
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

function request(job: JobConfig, over: Partial<RunRequest> = {}): RunRequest {
  return {
    runId: 77,
    job,
    scheduledAtMs: Date.UTC(2024, 9, 27, 1, 30, 0, 0),
    catchup: true,
    epoch: 12,
    nodeId: 'node-a',
    attempt: 1,
    ...over,
  };
}

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A server on 127.0.0.1, port 0, that records each request and answers with `respond`. */
async function startServer(
  respond: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook?x=1`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const servers: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all(servers.map((close) => close()));
});

async function server(respond: (req: IncomingMessage, res: ServerResponse) => void) {
  const s = await startServer(respond);
  servers.push(s.close);
  return s;
}

describe('http runs', () => {
  it('sends the slot as JSON with the job headers; 2xx is a success', async () => {
    const s = await server((_req, res) => res.writeHead(204).end());
    const { logger, lines } = memoryLogger();
    const job = httpJob(s.url, { method: 'PUT', headers: { Authorization: 'Bearer t0k', 'X-Extra': 'yes' } });
    const r = await startRun(request(job), logger).result;
    assert.equal(r.outcome, 'success');
    assert.equal(r.httpStatus, 204);
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, null);
    assert.equal(r.error, null);
    assert.equal(s.received.length, 1);
    const got = s.received[0]!;
    assert.equal(got.method, 'PUT');
    assert.equal(got.url, '/hook?x=1');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers.authorization, 'Bearer t0k');
    assert.equal(got.headers['x-extra'], 'yes');
    assert.deepEqual(JSON.parse(got.body), {
      job: 'hook-job',
      scheduledAt: '2024-10-27T01:30:00.000Z',
      catchup: true,
      slot: 'hook-job@2024-10-27T01:30:00.000Z',
      manual: false,
      runId: 77,
      epoch: 12,
      nodeId: 'node-a',
      attempt: 1,
    });
    const fin = lines.filter((l) => l.msg === 'run finished');
    assert.equal(fin.length, 1);
    assert.equal(fin[0]!.level, 30);
    assert.equal(fin[0]!.httpStatus, 204);
    assert.equal(fin[0]!.catchup, true);
  });

  it('a manual run has slot <job>@manual:<runId> and manual: true in its body', async () => {
    const s = await server((_req, res) => res.end());
    const { logger } = memoryLogger();
    await startRun(request(httpJob(s.url), { manual: true, catchup: false, runId: 88 }), logger).result;
    const body = JSON.parse(s.received[0]!.body) as Record<string, unknown>;
    assert.deepEqual([body.slot, body.manual, body.catchup], ['hook-job@manual:88', true, false]);
  });

  it('sends the attempt, and merges extraBody into the body (last, so it wins)', async () => {
    const s = await server((_req, res) => res.end());
    const { logger } = memoryLogger();
    const r = await startRun(
      request(httpJob(s.url), {
        attempt: 3,
        extraBody: { hook: 'failure', exitCode: null, nested: { a: [1, 2] }, catchup: null },
        extraEnv: { IGNORED: 'by http jobs' },
      }),
      logger,
    ).result;
    assert.equal(r.outcome, 'success');
    assert.deepEqual(JSON.parse(s.received[0]!.body), {
      job: 'hook-job',
      scheduledAt: '2024-10-27T01:30:00.000Z',
      catchup: null,
      slot: 'hook-job@2024-10-27T01:30:00.000Z',
      manual: false,
      runId: 77,
      epoch: 12,
      nodeId: 'node-a',
      attempt: 3,
      hook: 'failure',
      exitCode: null,
      nested: { a: [1, 2] },
    });
  });

  it('the output tail is the response body, cut to outputKeepBytes', async () => {
    const s = await server((req, res) =>
      res.writeHead(req.url === '/long' ? 503 : 200).end(req.url === '/long' ? 'x'.repeat(100) + 'ü!' : 'ok'),
    );
    const base = s.url.replace(/\/hook\?x=1$/, '');
    const { logger } = memoryLogger();
    const short = await startRun(request(httpJob(`${base}/short`)), logger).result;
    assert.equal(short.outputTail, 'ok');
    const long = await startRun(request(httpJob(`${base}/long`, { outputKeepBytes: 2 })), logger).result;
    assert.equal(long.outcome, 'failure');
    // The last 2 bytes would start inside 'ü' (2 bytes): that half is cut too.
    assert.equal(long.outputTail, '…[102 bytes before]\n!');
    const none = await startRun(request(httpJob(`${base}/short`, { outputKeepBytes: 0 })), logger).result;
    assert.equal(none.outputTail, null);
    const empty = await startRun(request(httpJob(s.url, { method: 'HEAD' })), logger).result;
    assert.equal(empty.outputTail, '');
  });

  it('a job header may override the content type', async () => {
    const s = await server((_req, res) => res.end('ok'));
    const { logger } = memoryLogger();
    const job = httpJob(s.url, { headers: { 'Content-Type': 'application/vnd.hook+json' } });
    const r = await startRun(request(job, { catchup: false }), logger).result;
    assert.equal(r.outcome, 'success');
    assert.equal(s.received[0]!.headers['content-type'], 'application/vnd.hook+json');
    assert.equal(JSON.parse(s.received[0]!.body).catchup, false);
  });

  it('a GET goes without a body', async () => {
    const s = await server((_req, res) => res.end());
    const { logger } = memoryLogger();
    const r = await startRun(request(httpJob(s.url, { method: 'get' })), logger).result;
    assert.equal(r.outcome, 'success');
    assert.equal(s.received[0]!.method, 'GET');
    assert.equal(s.received[0]!.body, '');
    assert.equal(s.received[0]!.headers['content-type'], undefined);
  });

  it('a 500 is a failure with the status, logged at warn', async () => {
    const s = await server((_req, res) => res.writeHead(500).end('boom'));
    const { logger, lines } = memoryLogger();
    const r = await startRun(request(httpJob(s.url)), logger).result;
    assert.equal(r.outcome, 'failure');
    assert.equal(r.httpStatus, 500);
    const fin = lines.find((l) => l.msg === 'run finished')!;
    assert.equal(fin.level, 40);
    assert.equal(fin.outcome, 'failure');
    const debug = lines.find((l) => l.msg === 'http response')!;
    assert.equal(debug.level, 20);
    assert.equal(debug.body, 'boom');
  });

  it('reads a large body only in part and logs its first 1 KiB at debug', async () => {
    const s = await server((_req, res) => res.end('y'.repeat(1 << 20)));
    const { logger, lines } = memoryLogger();
    const r = await startRun(request(httpJob(s.url)), logger).result;
    assert.equal(r.outcome, 'success');
    const debug = lines.find((l) => l.msg === 'http response')!;
    assert.equal((debug.body as string).length, LOGGED_RESPONSE_BYTES);
    assert.equal(debug.bytesRead, 64 * 1024);
  });

  it('connection refused is an error', async () => {
    const s = await startServer((_req, res) => res.end());
    const url = s.url;
    await s.close();
    const { logger } = memoryLogger();
    const r = await startRun(request(httpJob(url)), logger).result;
    assert.equal(r.outcome, 'error');
    assert.equal(r.httpStatus, null);
    assert.match(r.error ?? '', /ECONNREFUSED/);
    assert.equal(r.outputTail, '');
  });

  it('a malformed URL is an error, not a throw', async () => {
    const { logger } = memoryLogger();
    const r = await startRun(request(httpJob('not a url')), logger).result;
    assert.equal(r.outcome, 'error');
  });

  it('a server slower than timeoutMs is a timeout', async () => {
    const s = await server(() => undefined); // never answers
    const { logger, lines } = memoryLogger();
    const r = await startRun(request(httpJob(s.url, { timeoutMs: 300 })), logger).result;
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.httpStatus, null);
    assert.equal(lines.find((l) => l.msg === 'run finished')!.outcome, 'timeout');
  });

  it('stop() aborts the request: stopped', async () => {
    const s = await server(() => undefined);
    const { logger } = memoryLogger();
    const handle = startRun(request(httpJob(s.url)), logger);
    setTimeout(() => handle.stop('replaced'), 100);
    const r = await handle.result;
    assert.equal(r.outcome, 'stopped');
    assert.equal(r.error, 'stopped: replaced');
  });
});
