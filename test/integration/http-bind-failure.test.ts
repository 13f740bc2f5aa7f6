// A port taken by someone else (a local user squatting 9464) must not stop
// the schedule: the daemon becomes ready and runs its jobs, says loudly that
// it cannot listen, and binds once the port is free.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  type DaemonProcess,
  readOutput,
  recordingCommand,
  startDaemon,
  tempDir,
  waitFor,
} from '../support/daemon.js';

const dir = tempDir('http-bind');
let daemon: DaemonProcess | undefined;
after(async () => {
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a taken port: scheduling goes on, the bind is retried until it succeeds', async () => {
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const port = (squatter.address() as net.AddressInfo).port;
  const out = path.join(dir, 'tick.txt');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: "${path.join(dir, 'store')}" }
jobs:
  tick:
    schedule: "* * * * * *"
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  daemon = startDaemon(config, { CRONKEEPER_HTTP_LISTEN: `127.0.0.1:${port}` });
  const failed = await daemon.waitForLog((l) => l.msg?.startsWith('http: cannot listen') === true, 60_000);
  assert.equal(failed.level, 50, 'logged as an error');
  assert.equal(failed.code, 'EADDRINUSE');
  // The squatter is this test process: the log names it, once.
  assert.match(String(failed.msg), new RegExp(`in use by pid ${process.pid} \\(`));
  assert.ok(String(failed.holder).startsWith(`pid ${process.pid} (`), String(failed.holder));
  assert.match(failed.msg!, new RegExp(`127\\.0\\.0\\.1:${port}`));
  await daemon.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
  await waitFor(() => readOutput(out).length >= 3, 20_000, 'three runs while the port is taken');
  assert.ok(!daemon.logs.some((l) => l.msg === 'http listening'));

  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  const listening = await daemon.waitForLog((l) => l.msg === 'http listening', 45_000);
  assert.equal(listening.port, port);
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  assert.equal(ready.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(metrics, /^cronkeeper_http_listening 1$/m);

  const slots = readOutput(out).map((o) => Date.parse(o.scheduledAt));
  assert.equal(new Set(slots).size, slots.length, 'no slot ran twice');
  daemon.proc.kill('SIGTERM');
  assert.equal(await daemon.exited, 0);
});
