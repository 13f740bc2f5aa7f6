// The sd_notify protocol against a real AF_UNIX datagram socket standing in for
// systemd: a small python3 listener binds a SOCK_DGRAM socket, closes every fd
// passed with a datagram (that releases systemd-notify's barrier, as PID 1
// does), and prints each datagram as a JSON line. The notifier (through the real
// systemd-notify) and the built daemon (`dist/cli.js run`) send to it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import pino from 'pino';
import { createNotifier, watchdogIntervalMs } from '../../src/systemd/sd-notify.js';
import { type DaemonProcess, type LogLine, sleep, startDaemon, tempDir, waitFor } from '../support/daemon.js';
import { createTestDatabase } from '../support/database.js';

const LISTENER = String.raw`
import array, json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print(json.dumps({"listening": sys.argv[1]}), flush=True)
while True:
    data, ancdata, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4) + socket.CMSG_SPACE(12))
    fds, pid = [], None
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(payload[: len(payload) - len(payload) % a.itemsize])
            fds.extend(a)
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = int.from_bytes(payload[0:4], sys.byteorder)
    for fd in fds:
        os.close(fd)
    print(json.dumps({"data": data.decode("utf-8", "replace"), "fds": len(fds), "pid": pid, "t": time.time()}), flush=True)
`;

interface Datagram {
  /** The datagram's fields, in order. */
  fields: string[];
  /** Arrival time, ms since the epoch. */
  at: number;
  pid: number | null;
}

interface Listener {
  socket: string;
  /** Every datagram but systemd-notify's BARRIER=1 ones. */
  messages: Datagram[];
  /** Whether any datagram carried `field` (e.g. 'READY=1'). */
  has(field: string): boolean;
  waitForField(field: string, timeoutMs?: number, from?: number): Promise<Datagram>;
}

const children: ChildProcess[] = [];
const daemons: DaemonProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const d of daemons) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  await Promise.all(daemons.map((d) => d.exited));
  for (const c of children) c.kill();
  if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** python3 and systemd-notify are CI requirements; elsewhere their absence skips the test. */
function missingTools(t: TestContext): boolean {
  const missing = ['python3', 'systemd-notify'].filter(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined,
  );
  if (missing.length === 0) return false;
  if (process.env.CI === 'true') assert.fail(`${missing.join(' and ')} not installed (required in CI)`);
  t.skip(`${missing.join(' and ')} not installed`);
  return true;
}

async function startListener(name: string): Promise<Listener> {
  const dir = tempDir(`sd-notify-${name}`);
  dirs.push(dir);
  const socket = path.join(dir, 'notify.sock');
  const proc = spawn('python3', ['-c', LISTENER, socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const messages: Datagram[] = [];
  let stderr = '';
  let buf = '';
  let onListening: (() => void) | undefined;
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, i)) as {
        listening?: string;
        data?: string;
        pid?: number;
        t?: number;
      };
      buf = buf.slice(i + 1);
      if (line.listening) onListening?.();
      else if (line.data !== undefined && line.data !== 'BARRIER=1') {
        messages.push({ fields: line.data.split('\n'), at: (line.t ?? 0) * 1000, pid: line.pid ?? null });
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    onListening = resolve;
    proc.on('exit', (code) => reject(new Error(`the listener exited (${code}): ${stderr}`)));
  });
  const find = (field: string, from: number) => messages.slice(from).find((m) => m.fields.includes(field));
  return {
    socket,
    messages,
    has: (field) => find(field, 0) !== undefined,
    async waitForField(field, timeoutMs = 20_000, from = 0) {
      await waitFor(() => find(field, from) !== undefined, timeoutMs, `${field} on the notify socket`);
      return find(field, from)!;
    },
  };
}

/** A pino logger whose lines are collected. */
function collectingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}

describe('createNotifier', () => {
  test('delivers the fields exactly, as one datagram, spaces and all', async (t) => {
    if (missingTools(t)) return;
    const l = await startListener('exact');
    const { logger, lines } = collectingLogger();
    const n = createNotifier({ NOTIFY_SOCKET: l.socket, PATH: process.env.PATH }, logger);
    assert.equal(n.enabled, true);
    n.notify({ READY: '1', STATUS: 'leader epoch 7, 42 jobs, catch-up 3/10' });
    await n.close();
    await l.waitForField('READY=1', 5_000);
    assert.deepEqual(
      l.messages.map((m) => m.fields),
      [['READY=1', 'STATUS=leader epoch 7, 42 jobs, catch-up 3/10']],
    );
    assert.deepEqual(
      lines.filter((x) => (x.level ?? 0) >= 40),
      [],
    );
  });

  test('a newline in a value cannot start another field', async (t) => {
    if (missingTools(t)) return;
    const l = await startListener('newline');
    const n = createNotifier({ NOTIFY_SOCKET: l.socket }, collectingLogger().logger);
    n.notify({ STATUS: 'two\nlines\r\nhere' });
    await n.close();
    await waitFor(() => l.messages.length > 0, 5_000, 'the datagram');
    assert.deepEqual(l.messages[0]!.fields, ['STATUS=two lines here']);
  });

  test('quick calls arrive in order, the last state last (merging allowed)', async (t) => {
    if (missingTools(t)) return;
    const l = await startListener('order');
    const n = createNotifier({ NOTIFY_SOCKET: l.socket }, collectingLogger().logger);
    n.notify({ READY: '1', STATUS: 'step 0' });
    for (let i = 1; i < 20; i++) n.notify({ STATUS: `step ${i}` });
    n.notify({ WATCHDOG: '1' });
    await n.close();
    await waitFor(() => l.has('STATUS=step 19'), 5_000, 'the last status');
    await sleep(200);
    const statuses = l.messages.flatMap((m) => m.fields.filter((f) => f.startsWith('STATUS=')));
    const steps = statuses.map((s) => Number(s.slice('STATUS=step '.length)));
    assert.deepEqual(
      steps,
      [...steps].sort((a, b) => a - b),
      `statuses out of order: ${statuses.join(', ')}`,
    );
    assert.equal(new Set(steps).size, steps.length, 'a status sent twice');
    assert.equal(steps.at(-1), 19);
    assert.ok(l.has('READY=1'), 'READY=1 lost in the merge');
    assert.ok(l.messages.at(-1)!.fields.includes('WATCHDOG=1'), 'WATCHDOG=1 not in the last datagram');
    // At most one systemd-notify in flight plus one pending: 22 calls make few datagrams.
    assert.ok(l.messages.length < 22, `${l.messages.length} datagrams`);
  });

  test('a newer state replaces an unsent older one: RELOADING=1 then READY=1 never ends as RELOADING', async (t) => {
    if (missingTools(t)) return;
    const l = await startListener('states');
    const n = createNotifier({ NOTIFY_SOCKET: l.socket }, collectingLogger().logger);
    n.notify({ STATUS: 'first' }); // in flight: what follows is merged while it is sent
    n.notify({ RELOADING: '1', STATUS: 'reloading' });
    n.notify({ READY: '1', STATUS: 'reloaded' });
    await n.close();
    await waitFor(() => l.has('STATUS=reloaded'), 5_000, 'the last status');
    const last = l.messages.at(-1)!.fields;
    assert.ok(last.includes('READY=1') && !last.includes('RELOADING=1'), last.join(' | '));
  });

  test('disabled without NOTIFY_SOCKET: nothing is sent', async (t) => {
    if (missingTools(t)) return;
    const l = await startListener('disabled');
    const n = createNotifier({ PATH: process.env.PATH }, collectingLogger().logger);
    assert.equal(n.enabled, false);
    n.notify({ READY: '1' });
    await n.close();
    await sleep(300);
    assert.deepEqual(l.messages, []);
  });

  test('a missing systemd-notify is logged once and never throws', async () => {
    const { logger, lines } = collectingLogger();
    const n = createNotifier({ NOTIFY_SOCKET: '/nonexistent/notify.sock' }, logger, {
      command: '/nonexistent/systemd-notify',
    });
    n.notify({ READY: '1' });
    n.notify({ STATUS: 'a' });
    await n.close();
    const again = createNotifier({ NOTIFY_SOCKET: '/nonexistent/notify.sock' }, logger, {
      command: '/nonexistent/systemd-notify',
    });
    again.notify({ WATCHDOG: '1' });
    await again.close();
    const warnings = lines.filter((x) => (x.level ?? 0) >= 40);
    assert.equal(warnings.length, 2, JSON.stringify(warnings)); // once per notifier
    assert.match(String(warnings[0]!.msg), /not found/);
  });

  test('a socket nobody listens on: a warning, no throw', async (t) => {
    if (missingTools(t)) return;
    const dir = tempDir('sd-notify-nolistener');
    dirs.push(dir);
    const { logger, lines } = collectingLogger();
    const n = createNotifier({ NOTIFY_SOCKET: path.join(dir, 'nobody.sock') }, logger);
    n.notify({ READY: '1' });
    n.notify({ STATUS: 'x' });
    await n.close();
    const warnings = lines.filter((x) => (x.level ?? 0) >= 40);
    assert.equal(warnings.length, 1, JSON.stringify(warnings)); // the second failure is debug
    assert.match(String(warnings[0]!.msg), /systemd-notify failed/);
  });
});

describe('watchdogIntervalMs', () => {
  test('half of WATCHDOG_USEC, for this process only', () => {
    assert.equal(watchdogIntervalMs({}), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: String(process.pid) }), 1_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '' }), 1_000);
    assert.equal(
      watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: String(process.pid + 1) }),
      undefined,
    );
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '4242' }, 4242), 1_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '-5' }), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '1' }), 1);
  });
});

describe('the daemon speaks sd_notify', () => {
  test('READY=1 once ready, STATUS=, WATCHDOG=1, READY=1 after a reload, STOPPING=1 on SIGTERM; jobs see none of it', async (t) => {
    if (missingTools(t)) return;
    const l = await startListener('daemon');
    const dir = tempDir('sd-notify-daemon');
    dirs.push(dir);
    const config = path.join(dir, 'cronkeeper.yaml');
    const envFile = path.join(dir, 'env.txt');
    const envRecorder = [
      '/bin/sh',
      '-c',
      `echo "\${NOTIFY_SOCKET:-unset} \${WATCHDOG_USEC:-unset} \${WATCHDOG_PID:-unset}" >> '${envFile}'`,
    ];
    fs.writeFileSync(
      config,
      `store: { path: "${path.join(dir, 'store')}" }
http: { listen: "127.0.0.1:0" }
shutdownGrace: 5s
jobs:
  tick:
    schedule: "* * * * * *"
    command: ${JSON.stringify(envRecorder)}
`,
    );
    const d = startDaemon(config, { NOTIFY_SOCKET: l.socket, WATCHDOG_USEC: '2000000' });
    daemons.push(d);

    const readyLog = await d.waitForLog((x) => x.msg === 'ready: scheduling', 30_000);
    const ready = await l.waitForField('READY=1', 5_000);
    assert.ok(
      Date.parse(String(readyLog.time)) <= ready.at,
      `READY=1 (${new Date(ready.at).toISOString()}) before 'ready: scheduling' (${String(readyLog.time)})`,
    );
    const statuses = () => l.messages.flatMap((m) => m.fields.filter((f) => f.startsWith('STATUS=')));
    await waitFor(
      () => statuses().some((s) => /lead/i.test(s)),
      5_000,
      'a STATUS= naming the leadership',
    ).catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(statuses())}`));

    // WatchdogSec=2s: a WATCHDOG=1 every second.
    const from = l.messages.length;
    await waitFor(
      () => l.messages.slice(from).filter((m) => m.fields.includes('WATCHDOG=1')).length >= 2,
      3_500,
      'two WATCHDOG=1 within 3.5 s',
    );

    // SIGHUP: RELOADING=1 (unless merged away by a quick READY=1), then READY=1 again.
    const beforeReload = l.messages.length;
    d.proc.kill('SIGHUP');
    await d.waitForLog((x) => x.msg === 'config reloaded', 10_000);
    await l.waitForField('READY=1', 10_000, beforeReload);
    const lifecycle = l.messages
      .slice(beforeReload)
      .flatMap((m) => m.fields.filter((f) => /^(READY|RELOADING|STOPPING)=/.test(f)));
    assert.equal(lifecycle.at(-1), 'READY=1', lifecycle.join(', '));
    assert.ok(!lifecycle.includes('STOPPING=1'), lifecycle.join(', '));

    const beforeStop = l.messages.length;
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.stderr());
    const exitedAt = Date.now();
    // Sent before the exit; its JSON line from the listener may still be on its way.
    const stopping = await l
      .waitForField('STOPPING=1', 2_000, beforeStop)
      .catch(() => assert.fail(`no STOPPING=1: ${JSON.stringify(l.messages.slice(beforeStop))}`));
    assert.ok(stopping.at <= exitedAt, 'STOPPING=1 arrived after the daemon exited');
    assert.ok(
      l.messages.slice(l.messages.indexOf(stopping) + 1).every((m) => !m.fields.includes('READY=1')),
      'READY=1 after STOPPING=1',
    );

    // The notify socket and the watchdog are the daemon's: a job that sent READY=1
    // or STOPPING=1 would be believed (NotifyAccess=all), so jobs must not inherit them.
    const jobEnv = fs.readFileSync(envFile, 'utf8').trim().split('\n');
    assert.ok(jobEnv.length > 0);
    assert.deepEqual(
      new Set(jobEnv),
      new Set(['unset unset unset']),
      'a job inherited NOTIFY_SOCKET/WATCHDOG_*',
    );
  });
});

describe('a worker speaks sd_notify (cronkeeper-worker@.service: Type=notify, WatchdogSec)', () => {
  test('READY=1 once it takes runs, WATCHDOG=1, STOPPING=1 on SIGTERM; its jobs see none of it', async (t) => {
    if (missingTools(t)) return;
    const db = await createTestDatabase();
    after(() => db.drop());
    const l = await startListener('worker');
    const dir = tempDir('sd-notify-worker');
    dirs.push(dir);
    const config = path.join(dir, 'cronkeeper.yaml');
    const envFile = path.join(dir, 'env.txt');
    const envRecorder = [
      '/bin/sh',
      '-c',
      `echo "\${NOTIFY_SOCKET:-unset} \${WATCHDOG_USEC:-unset} \${WATCHDOG_PID:-unset}" >> '${envFile}'`,
    ];
    fs.writeFileSync(
      config,
      `store: { url: "${db.url}" }
spool: { path: "${path.join(dir, 'spool')}" }
shutdownGrace: 5s
jobs:
  tick:
    schedule: "* * * * * *"
    runOn: alpha
    command: ${JSON.stringify(envRecorder)}
`,
    );
    const leader = startDaemon(config);
    daemons.push(leader);
    const w = startDaemon(
      config,
      { NOTIFY_SOCKET: l.socket, WATCHDOG_USEC: '2000000' },
      {
        command: 'worker',
        args: ['--pool', 'alpha'],
      },
    );
    daemons.push(w);
    const readyLog = await w.waitForLog((x) => x.msg === 'worker ready: taking the runs of its pool', 30_000);
    const ready = await l.waitForField('READY=1', 5_000);
    assert.ok(Date.parse(String(readyLog.time)) <= ready.at, 'READY=1 once the worker takes runs');
    assert.ok(
      ready.fields.some((f) => f.startsWith('STATUS=worker of pool alpha')),
      JSON.stringify(ready.fields),
    );
    const from = l.messages.length;
    await waitFor(
      () => l.messages.slice(from).filter((m) => m.fields.includes('WATCHDOG=1')).length >= 2,
      3_500,
      'two WATCHDOG=1 within 3.5 s',
    );
    await waitFor(() => fs.existsSync(envFile), 15_000, 'a run on the worker');

    const beforeStop = l.messages.length;
    w.proc.kill('SIGTERM');
    assert.equal(await w.exited, 0, w.stderr());
    await l
      .waitForField('STOPPING=1', 2_000, beforeStop)
      .catch(() => assert.fail(`no STOPPING=1: ${JSON.stringify(l.messages.slice(beforeStop))}`));
    leader.proc.kill('SIGTERM');
    assert.equal(await leader.exited, 0, leader.stderr());
    assert.deepEqual(
      new Set(fs.readFileSync(envFile, 'utf8').trim().split('\n')),
      new Set(['unset unset unset']),
      "a worker's job inherited NOTIFY_SOCKET/WATCHDOG_*",
    );
  });
});
