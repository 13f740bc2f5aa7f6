// The HTTP side under abuse, on a real daemon with a Postgres store and a
// per-second job: the token checked before anything, Host checked against
// loopback and http.allowedHosts (DNS rebinding), only origin-form targets
// routed, a malformed request answered 400 and not logged, concurrent
// /metrics and /status requests sharing one render and one store read, and a
// quick 503 beyond the requests served at once — while every slot runs once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import pg from 'pg';
import { MAX_REQUESTS } from '../../src/http/http-server.js';
import { type DaemonProcess, readOutput, recordingCommand, sleep, waitFor } from '../support/daemon.js';
import type { TestDatabase } from '../support/database.js';
import { createHarness } from '../support/harness.js';

const TOKEN = 'hardening-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const h = createHarness();
const dir = h.tempDir('http-hardening');
const out = path.join(dir, 'tick.txt');
let database: TestDatabase;
let d: DaemonProcess;
let port: number;

before(async () => {
  database = await h.database();
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { url: "${database.url}" }
http: { token: ${TOKEN}, allowedHosts: [cron.example.org] }
jobs:
  tick:
    schedule: "* * * * * *"
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  d = h.startDaemon(config, { CRONKEEPER_LOG_LEVEL: 'debug' });
  port = (await d.waitForLog((l) => l.msg === 'http listening', 60_000)).port as number;
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
});

/** One request through node:http, which (unlike fetch) sends the Host header it is given. */
function request(
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: target, method, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Writes `raw` on a fresh connection; resolves with everything the server sent before closing. */
function rawExchange(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let got = '';
    socket.setEncoding('utf8').on('data', (c: string) => (got += c));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no close after ${JSON.stringify(raw)}`)));
  });
}

function sample(metrics: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

describe('HTTP hardening', () => {
  test('the token is checked before anything else', async () => {
    const wrong = { authorization: 'Bearer wrong-token-of-some-length' };
    assert.equal((await request('/no-such-path', wrong)).status, 401);
    assert.equal((await request('/status', wrong, 'POST')).status, 401);
    assert.equal((await request('/status', { ...wrong, host: 'evil.example' })).status, 401);
    assert.equal((await request('http://127.0.0.1/status')).status, 401);
    assert.equal((await request('/no-such-path', AUTH)).status, 404);
    assert.equal((await request('/status', AUTH, 'POST')).status, 405);
    assert.equal((await request(`/healthz?token=${TOKEN}`)).status, 200);
  });

  test('Host must be a loopback name, the listen host or an allowed host', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, 'cron.example.org.evil', '10.0.0.1']) {
      const res = await request('/status', { ...AUTH, host });
      assert.equal(res.status, 421, host);
      assert.doesNotMatch(res.body, /"jobs"/, host);
    }
    for (const host of [
      'localhost',
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'CRON.example.org',
    ]) {
      assert.equal((await request('/healthz', { ...AUTH, host })).status, 200, host);
    }
  });

  test('absolute-form and //host targets are not served as /status', async () => {
    for (const target of [`http://127.0.0.1:${port}/status`, '//127.0.0.1/status', '//x/status']) {
      const res = await request(target, AUTH);
      assert.equal(res.status, 400, target);
      assert.doesNotMatch(res.body, /"jobs"/, target);
    }
  });

  test('a malformed request gets 400 and closes; neither it nor a stack is logged', async () => {
    const before = sample(await (await request('/metrics', AUTH)).body, 'cronkeeper_http_bad_requests_total');
    const logged = d.logs.length;
    const reply = await rawExchange('GARBAGE-REQUEST-XYZZY \x01\x02 nonsense\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
    await d.waitForLog((l) => l.msg?.startsWith('http: malformed') === true, 10_000);
    const lines = d.logs.slice(logged).map((l) => JSON.stringify(l));
    assert.ok(!lines.some((l) => l.includes('XYZZY')), lines.join('\n'));
    assert.ok(!lines.some((l) => /"stack"|\\n\s+at /.test(l)), lines.join('\n'));
    await sleep(1_100); // past the shared render of /metrics
    const after = sample(await (await request('/metrics', AUTH)).body, 'cronkeeper_http_bad_requests_total');
    assert.equal(after, before + 1);
  });

  test('concurrent /metrics scrapes share one render', async () => {
    const N = MAX_REQUESTS - 4;
    const first = (await request('/metrics', AUTH)).body;
    const renders0 = sample(first, 'cronkeeper_http_metrics_renders_total');
    await sleep(1_100);
    const burst = await Promise.all(Array.from({ length: N }, () => request('/metrics', AUTH)));
    assert.ok(burst.every((r) => r.status === 200));
    const renders = new Set(burst.map((r) => sample(r.body, 'cronkeeper_http_metrics_renders_total')));
    // One render served them all (two if the burst straddled the end of a render's second).
    assert.ok(renders.size <= 2 && Math.max(...renders) <= renders0 + 2, `renders seen: ${[...renders]}`);
    assert.ok(new Set(burst.map((r) => r.body)).size <= renders.size, 'each render is one shared body');
    assert.equal(sample(first, 'cronkeeper_http_listening'), 1);
  });

  test('concurrent /status requests share one store read', async () => {
    const N = MAX_REQUESTS - 4;
    await sleep(2_100); // past any shared status document
    const reads0 = sample((await request('/metrics', AUTH)).body, 'cronkeeper_http_status_reads_total');
    const burst = await Promise.all(Array.from({ length: N }, () => request('/status', AUTH)));
    assert.ok(burst.every((r) => r.status === 200));
    const nows = new Set(burst.map((r) => (JSON.parse(r.body) as { now: string }).now));
    assert.ok(nows.size <= 2, `documents read: ${[...nows]}`);
    await sleep(1_100);
    const reads = sample((await request('/metrics', AUTH)).body, 'cronkeeper_http_status_reads_total');
    assert.ok(reads - reads0 >= 1 && reads - reads0 <= 2, `store reads for ${N} requests: ${reads - reads0}`);
  });

  test('beyond the requests served at once: a quick 503 with Retry-After; the schedule goes on', async () => {
    await sleep(2_100); // the next /status reads the store
    // Hold the status read at cronkeeper_job_controls (the leader does not touch it while nobody pauses).
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE cronkeeper_job_controls IN ACCESS EXCLUSIVE MODE');
      const ranBefore = readOutput(out).length;
      const held = Array.from({ length: MAX_REQUESTS }, () => request('/status', AUTH));
      let busy: Awaited<ReturnType<typeof request>> | undefined;
      await waitFor(
        async () => {
          const r = await request('/healthz', AUTH);
          if (r.status === 503) busy = r;
          return busy !== undefined;
        },
        8_000,
        'a 503 once every place is taken',
      );
      assert.equal(busy!.headers['retry-after'], '1');
      // Meanwhile the per-second job runs on: status readers have their own connections.
      await waitFor(() => readOutput(out).length >= ranBefore + 2, 8_000, 'two runs while readers wait');
      await blocker.query('COMMIT');
      const answers = await Promise.all(held);
      assert.deepEqual(
        answers.map((a) => a.status),
        answers.map(() => 200),
      );
      assert.equal((await request('/healthz', AUTH)).status, 200);
    } finally {
      await blocker.end();
    }
  });

  test('every slot of the per-second job ran exactly once throughout', async () => {
    // Enough slots to judge, however quickly the tests above went.
    await waitFor(() => readOutput(out).length >= 10, 30_000, 'ten runs');
    const slots = readOutput(out).map((o) => Date.parse(o.scheduledAt));
    assert.ok(slots.length >= 10, `${slots.length} runs`);
    assert.equal(new Set(slots).size, slots.length, 'no slot twice');
    const sorted = [...slots].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) {
      assert.equal(
        sorted[i]! - sorted[i - 1]!,
        1_000,
        `no slot missed before ${new Date(sorted[i]!).toISOString()}`,
      );
    }
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
  });
});
