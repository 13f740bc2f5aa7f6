// The daemon's HTTP side on a real process: health, readiness, the status
// document, Prometheus metrics (checked by promtool where installed), the token
// off loopback, and that nothing changes state.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type DaemonProcess,
  recordingCommand,
  readOutput,
  startDaemon,
  tempDir,
  waitFor,
} from '../support/daemon.js';

const dir = tempDir('http');
const daemons: DaemonProcess[] = [];
after(async () => {
  for (const d of daemons) d.proc.kill('SIGKILL');
  await Promise.all(daemons.map((d) => d.exited));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, extra: string): Promise<{ d: DaemonProcess; base: string; out: string }> {
  const out = path.join(dir, `${name}.txt`);
  const config = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    config,
    `store: { path: "${path.join(dir, `${name}-store`)}" }
${extra}
jobs:
  tick:
    schedule: "* * * * * *"
    command: ${JSON.stringify(recordingCommand(out))}
  failing:
    every: 1s
    command: ["/bin/sh", "-c", "exit 3"]
`,
  );
  const d = startDaemon(config);
  daemons.push(d);
  const listening = await d.waitForLog((l) => l.msg === 'http listening', 60_000);
  return { d, base: `http://127.0.0.1:${listening.port as number}`, out };
}

/** Prometheus text format -> samples, e.g. `cronkeeper_runs_total{job="tick",...}` -> value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `a well-formed sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

describe('HTTP endpoints', () => {
  test('healthz, readyz, status, metrics; read-only', async () => {
    const { d, base, out } = await start('plain', 'http: { listen: "127.0.0.1:0" }');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => readOutput(out).length >= 2, 15_000, 'two runs');

    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { ready: boolean; role: string }).role, 'leader');

    type Status = {
      node: { role: string; ready: boolean };
      leader: { epoch: number };
      jobs: Array<{ name: string; recent: Array<{ outcome: string; catchup: boolean }>; next: string }>;
    };
    const readStatus = async () => (await (await fetch(`${base}/status`)).json()) as Status;
    // A run's output is written before its end is recorded (and /status is read at most every 2 s).
    let status = await readStatus();
    const successes = (s: Status) =>
      s.jobs.find((j) => j.name === 'tick')!.recent.filter((r) => r.outcome === 'success').length;
    await waitFor(
      async () => successes((status = await readStatus())) >= 2,
      10_000,
      'two recorded successes in /status',
    ).catch(() => {});
    assert.equal(status.node.role, 'leader');
    assert.equal(status.node.ready, true);
    assert.ok(status.leader.epoch >= 1);
    const tick = status.jobs.find((j) => j.name === 'tick')!;
    assert.ok(tick.recent.filter((r) => r.outcome === 'success').length >= 2, JSON.stringify(tick.recent));
    assert.ok(Date.parse(tick.next) > Date.now() - 1000);
    const failing = status.jobs.find((j) => j.name === 'failing')!;
    assert.ok(failing.recent.some((r) => r.outcome === 'failure'));

    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const m = parseMetrics(text);
    const ranOk = m.get('cronkeeper_runs_total{job="tick",outcome="success",catchup="false"}') ?? 0;
    assert.ok(ranOk >= 2, `runs counted: ${ranOk}`);
    assert.ok((m.get('cronkeeper_runs_total{job="failing",outcome="failure",catchup="false"}') ?? 0) >= 1);
    assert.equal(m.get('cronkeeper_leader'), 1);
    assert.ok((m.get('cronkeeper_leader_epoch') ?? 0) >= 1);
    assert.equal(m.get('cronkeeper_jobs_configured'), 2);
    assert.equal(m.get('cronkeeper_database_up'), 1);
    assert.equal(m.get('cronkeeper_ready'), 1);
    assert.ok(
      (m.get('cronkeeper_job_next_slot_timestamp_seconds{job="tick"}') ?? 0) * 1000 > Date.now() - 2000,
    );
    assert.ok((m.get('cronkeeper_job_last_success_timestamp_seconds{job="tick"}') ?? 0) > 0);
    assert.equal(m.get('cronkeeper_job_last_success_timestamp_seconds{job="failing"}'), undefined);
    assert.ok((m.get('cronkeeper_run_start_lateness_seconds_count{catchup="false"}') ?? 0) >= 2);
    assert.ok(m.has('cronkeeper_snapshot_save_errors_total'));
    assert.ok(m.has('cronkeeper_snapshot_encode_errors_total'));
    assert.ok(m.has('process_resident_memory_bytes'), 'default process metrics');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error === undefined) {
      assert.equal(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
    } else {
      assert.notEqual(process.env.CI, 'true', 'promtool must be installed in CI');
    }

    for (const method of ['POST', 'PUT', 'DELETE']) {
      assert.equal((await fetch(`${base}/status`, { method })).status, 405, method);
    }
    assert.equal((await fetch(`${base}/nope`)).status, 404);

    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
  });

  test('with http.token, every request must present it', async () => {
    const token = 'a-long-enough-secret-token';
    const { d, base } = await start('token', `http: { listen: "127.0.0.1:0", token: ${token} }`);
    for (const p of ['/', '/healthz', '/readyz', '/status', '/metrics']) {
      assert.equal((await fetch(`${base}${p}`)).status, 401, p);
      assert.equal(
        (await fetch(`${base}${p}`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } }))
          .status,
        401,
      );
    }
    assert.equal(
      (await fetch(`${base}/healthz`, { headers: { authorization: `Bearer ${token}` } })).status,
      200,
    );
    assert.equal((await fetch(`${base}/healthz?token=${token}`)).status, 200);
    assert.ok(!d.logs.some((l) => JSON.stringify(l).includes(token)), 'the token is never logged');
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
  });
});
