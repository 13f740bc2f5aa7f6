// Operator controls end to end: the real CLI writes to a real Postgres, the real
// daemon carries it out. Pause stops claims and survives a restart; resume
// follows onResume; trigger runs once as manual; backfill runs exactly the
// unclaimed slots and is idempotent; requests made while no daemon runs are
// carried out when one starts; every action is in the audit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import pg from 'pg';
import type { TestDatabase } from '../support/database.js';
import {
  CLI,
  type DaemonProcess,
  childEnv,
  readOutput,
  recordingCommand,
  sleep,
  waitFor,
} from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const run = promisify(execFile);

/** The real CLI on `config`; its exit code and output (a non-zero exit is not thrown). */
async function cliOn(
  config: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args, '--config', config], {
      env: childEnv(),
      encoding: 'utf8',
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Ledger {
  id: number;
  job: string;
  scheduled_at: Date;
  catchup: boolean;
  manual: boolean;
  control_id: number | null;
  outcome: string | null;
  error: string | null;
}

describe('operator controls (postgres store)', () => {
  const h = createHarness();
  const dir = h.tempDir('controls');
  let db: TestDatabase;
  let client: pg.Client;
  const out = (job: string) => path.join(dir, `${job}.out`);
  let config = '';
  h.defer(() => client?.end());

  const cli = (...args: string[]) => cliOn(config, ...args);

  async function cliJson<T>(...args: string[]): Promise<T> {
    const r = await cli(...args, '--json');
    assert.equal(r.code, 0, `cronkeeper ${args.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as T;
  }

  async function ledger(job: string): Promise<Ledger[]> {
    const res = await client.query<Ledger>(
      `SELECT id::int AS id, job, scheduled_at, catchup, manual, control_id::int AS control_id, outcome, error
       FROM cronkeeper_runs WHERE job = $1 ORDER BY scheduled_at, id`,
      [job],
    );
    return res.rows;
  }

  async function start(): Promise<DaemonProcess> {
    const d = h.startDaemon(config);
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    return d;
  }

  async function stop(d: DaemonProcess): Promise<void> {
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
  }

  /** Every slot of a per-second job appears at most once; returns the scheduled times (ms). */
  function slotsOf(rows: Ledger[]): number[] {
    const slots = rows.filter((r) => !r.manual).map((r) => r.scheduled_at.getTime());
    assert.equal(new Set(slots).size, slots.length, 'a slot was claimed twice');
    return slots;
  }

  test('setup: a daemon with per-second jobs runs', async () => {
    db = await h.database();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    config = path.join(dir, 'cronkeeper.yaml');
    fs.writeFileSync(
      config,
      `store: { url: "${db.url}" }
snapshot: { interval: 2s, maxUpdates: 5 }
shutdownGrace: 5s
defaults: { catchup: all, catchupWindow: 1h, maxCatchup: 1000 }
jobs:
  tick:
    schedule: "* * * * * *"
    onResume: skip
    command: ${JSON.stringify(recordingCommand(out('tick')))}
  tock:
    schedule: "* * * * * *"
    onResume: catchup
    command: ${JSON.stringify(recordingCommand(out('tock')))}
  daily:
    schedule: "0 0 3 * * *"
    catchup: none
    command: ${JSON.stringify(recordingCommand(out('daily')))}
  held:
    schedule: "0 0 3 * * *"
    catchup: none
    command: ${JSON.stringify(recordingCommand(out('held')))}
`,
    );
    await start();
    await waitFor(() => readOutput(out('tick')).length >= 2, 15_000, 'tick runs');
  });

  let pausedAtMs = 0;
  test('pause: the leader claims no slot of the job within a second; other jobs go on', async () => {
    const r = await cliJson<{ changed: boolean; control: { id: number; requestedBy: string; host: string } }>(
      'pause',
      'tick',
      '--reason',
      'maintenance window',
    );
    pausedAtMs = Date.now();
    assert.equal(r.changed, true);
    assert.ok(r.control.requestedBy.length > 0 && r.control.host.length > 0);
    const d = h.daemons.at(-1)!;
    await d.waitForLog((l) => l.msg?.startsWith('job paused') === true && l.job === 'tick', 5_000);
    const tockBefore = slotsOf(await ledger('tock')).length;
    await sleep(2_500);
    const late = slotsOf(await ledger('tick')).filter((ms) => ms > pausedAtMs + 1_000);
    assert.deepEqual(
      late.map((ms) => new Date(ms).toISOString()),
      [],
      'tick slots claimed after the pause',
    );
    assert.ok(slotsOf(await ledger('tock')).length >= tockBefore + 2, 'tock kept running');

    const again = await cliJson<{ changed: boolean }>('pause', 'tick');
    assert.equal(again.changed, false, 'pausing a paused job changes nothing');

    const status = await cliJson<{
      jobs: Array<{ name: string; paused: { reason: string } | null; next: string | null }>;
    }>('status');
    const tick = status.jobs.find((j) => j.name === 'tick')!;
    assert.equal(tick.paused?.reason, 'maintenance window');
    assert.equal(tick.next, null);
    assert.equal(status.jobs.find((j) => j.name === 'tock')!.paused, null);
  });

  test('a pause survives a restart (SIGKILL)', async () => {
    const old = h.daemons.at(-1)!;
    old.proc.kill('SIGKILL');
    await old.exited;
    const d = await start();
    assert.ok(d.logs.some((l) => l.msg?.startsWith('job is paused') && l.job === 'tick'));
    await waitFor(
      async () => slotsOf(await ledger('tock')).some((ms) => ms > Date.now() - 1_000),
      10_000,
      'tock after restart',
    );
    await sleep(1_500);
    const late = slotsOf(await ledger('tick')).filter((ms) => ms > pausedAtMs + 1_000);
    assert.deepEqual(late, [], 'the restarted daemon claimed tick slots while paused');
  });

  test('resume with onResume: skip — the paused slots stay unrun, the schedule goes on', async () => {
    const r = await cliJson<{ changed: boolean; control: { requestedAt: string } }>('resume', 'tick');
    assert.equal(r.changed, true);
    const resumedAtMs = Date.parse(r.control.requestedAt);
    await waitFor(
      async () => slotsOf(await ledger('tick')).filter((ms) => ms > resumedAtMs).length >= 2,
      10_000,
      'tick runs after resume',
    );
    const inPause = slotsOf(await ledger('tick')).filter(
      (ms) => ms > pausedAtMs + 1_000 && ms <= resumedAtMs - 1_000,
    );
    assert.deepEqual(inPause, [], 'slots missed while paused ran despite onResume: skip');
  });

  test('resume with onResume: catchup — every slot missed while paused runs once, as catch-up', async () => {
    await cliJson('pause', 'tock');
    const d = h.daemons.at(-1)!;
    await d.waitForLog((l) => l.msg?.startsWith('job paused') === true && l.job === 'tock', 5_000);
    await sleep(3_000);
    const r = await cliJson<{ control: { requestedAt: string } }>('resume', 'tock');
    const resumedAtMs = Date.parse(r.control.requestedAt);
    await waitFor(
      async () => slotsOf(await ledger('tock')).filter((ms) => ms > resumedAtMs + 1_000).length >= 1,
      10_000,
      'tock runs after resume',
    );
    await waitFor(
      async () =>
        (await ledger('tock')).every(
          (row) => row.outcome !== null || row.scheduled_at.getTime() > Date.now() - 2_000,
        ),
      10_000,
      'catch-up runs finished',
    ).catch(async (e: Error) => {
      const open = (await ledger('tock')).filter(
        (row) => row.outcome === null && row.scheduled_at.getTime() <= Date.now() - 2_000,
      );
      const more = await client.query(
        `SELECT id::int, started_at, recovery, attempts, node_id, epoch FROM cronkeeper_runs WHERE id = ANY($1)`,
        [open.map((o) => o.id)],
      );
      const logs = h.daemons.flatMap((dd, i) =>
        dd.logs.filter((l) => open.some((o) => o.id === l.runId)).map((l) => ({ i, ...l })),
      );
      const spool = path.join(dir, 'var/runs');
      const files = fs.existsSync(spool)
        ? fs.readdirSync(spool).map((n) => [n, fs.readdirSync(path.join(spool, n))])
        : [];
      throw new Error(
        `${e.message}: ${JSON.stringify(more.rows)} ${JSON.stringify(logs)} ${JSON.stringify(files)}`,
      );
    });
    const slots = slotsOf(await ledger('tock'));
    // No gap: every second from the first tock slot to the newest was claimed.
    for (let i = 1; i < slots.length; i++)
      assert.equal(slots[i]! - slots[i - 1]!, 1_000, `gap before ${new Date(slots[i]!).toISOString()}`);
    const caughtUp = (await ledger('tock')).filter((row) => row.catchup);
    assert.ok(caughtUp.length >= 2, `the paused slots ran as catch-up (${caughtUp.length})`);
  });

  test('trigger: one manual run, in the ledger as manual; the last execution does not move', async () => {
    const before = await cliJson<{ jobs: Array<{ name: string; last: string | null }> }>('status');
    const r = await cliJson<{ control: { id: number } }>('trigger', 'daily');
    await waitFor(() => readOutput(out('daily')).length === 1, 10_000, 'the manual run');
    await waitFor(async () => (await ledger('daily'))[0]?.outcome === 'success', 10_000, 'its outcome');
    const rows = await ledger('daily');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.manual, true);
    assert.equal(rows[0]!.control_id, r.control.id);
    const runs = await cliJson<Array<{ job: string; manual: boolean }>>('runs', '--job', 'daily');
    assert.deepEqual(
      runs.map((x) => x.manual),
      [true],
    );
    const status = await cliJson<{ jobs: Array<{ name: string; last: string | null }> }>('status');
    assert.equal(
      status.jobs.find((j) => j.name === 'daily')!.last,
      before.jobs.find((j) => j.name === 'daily')!.last,
    );
    await sleep(1_500);
    assert.equal(readOutput(out('daily')).length, 1, 'a trigger runs once');
  });

  test('trigger of a paused job: it runs once, as manual, and the job stays paused', async () => {
    await cliJson('pause', 'held', '--reason', 'held for the test');
    await h.daemons
      .at(-1)!
      .waitForLog((l) => l.msg?.startsWith('job paused') === true && l.job === 'held', 5_000);
    const r = await cliJson<{ control: { id: number } }>('trigger', 'held');
    await waitFor(async () => (await ledger('held'))[0]?.outcome === 'success', 10_000, 'the manual run');
    const rows = await ledger('held');
    assert.deepEqual(
      rows.map((x) => [x.manual, x.control_id]),
      [[true, r.control.id]],
    );
    assert.equal(readOutput(out('held')).length, 1, 'the job itself ran once');
    const status = await cliJson<{ jobs: Array<{ name: string; paused: unknown }> }>('status');
    assert.notEqual(status.jobs.find((j) => j.name === 'held')!.paused, null, 'still paused');
    await cliJson('resume', 'held');
  });

  test('backfill: runs exactly the unclaimed slots, oldest first; a second backfill runs nothing', async () => {
    const day = 86_400_000;
    const today3 = Math.floor(Date.now() / day) * day + 3 * 3_600_000;
    const newest = today3 <= Date.now() ? today3 : today3 - day;
    const from = new Date(newest - 3 * day).toISOString();
    const to = new Date(Date.now()).toISOString();
    const dry = await cliJson<{ slots: number; alreadyClaimed: number; wouldRun: string[] }>(
      'backfill',
      'daily',
      '--from',
      from,
      '--to',
      to,
      '--dry-run',
    );
    const expected = [3, 2, 1, 0].map((k) => new Date(newest - k * day).toISOString());
    assert.deepEqual(dry.wouldRun, expected);
    assert.equal(
      await ledger('daily').then((r) => r.filter((x) => !x.manual).length),
      0,
      'a dry run claims nothing',
    );

    const r = await cliJson<{ control: { id: number }; toRun: number }>(
      'backfill',
      'daily',
      '--from',
      from,
      '--to',
      to,
    );
    assert.equal(r.toRun, 4);
    await waitFor(() => readOutput(out('daily')).length === 1 + 4, 15_000, 'the backfilled runs');
    const ran = readOutput(out('daily'))
      .slice(1)
      .map((o) => o.scheduledAt);
    assert.deepEqual(ran, expected, 'oldest first, each once');
    const rows = (await ledger('daily')).filter((x) => !x.manual);
    assert.deepEqual(
      rows.map((x) => x.control_id),
      [r.control.id, r.control.id, r.control.id, r.control.id],
    );

    const second = await cliJson<{ control: { id: number }; toRun: number }>(
      'backfill',
      'daily',
      '--from',
      from,
      '--to',
      to,
    );
    assert.equal(second.toRun, 0);
    await waitFor(
      async () => {
        const audit = await cliJson<Array<{ id: number; doneAt: string | null }>>('audit');
        return audit.find((a) => a.id === second.control.id)?.doneAt !== null;
      },
      10_000,
      'the second backfill carried out',
    );
    await sleep(500);
    assert.equal(readOutput(out('daily')).length, 5, 'a second backfill ran nothing');
    assert.equal((await ledger('daily')).length, 5);
  });

  test('requests made while no daemon runs are carried out when one starts', async () => {
    await stop(h.daemons.at(-1)!);
    const paused = await cli('pause', 'tick');
    assert.equal(paused.code, 0);
    assert.match(paused.stdout, /no daemon is leading right now/);
    const trig = await cliJson<{ control: { id: number } }>('trigger', 'daily');
    const runsBefore = readOutput(out('daily')).length;
    const stoppedAtMs = Date.now();
    const d = await start();
    assert.ok(d.logs.some((l) => l.msg?.startsWith('job is paused') && l.job === 'tick'));
    await waitFor(() => readOutput(out('daily')).length === runsBefore + 1, 10_000, 'the waiting trigger');
    const manual = (await ledger('daily')).filter((x) => x.control_id === trig.control.id);
    assert.equal(manual.length, 1);
    await sleep(1_500);
    assert.deepEqual(
      slotsOf(await ledger('tick')).filter((ms) => ms > stoppedAtMs),
      [],
      'paused before start',
    );
  });

  test('audit lists every action with who, what and when', async () => {
    const audit =
      await cliJson<
        Array<{ action: string; job: string; requestedBy: string; host: string; doneAt: string | null }>
      >('audit');
    const actions = audit.map((a) => `${a.action} ${a.job}`).reverse();
    assert.deepEqual(actions, [
      'pause tick',
      'resume tick',
      'pause tock',
      'resume tock',
      'trigger daily',
      'pause held',
      'trigger held',
      'resume held',
      'backfill daily',
      'backfill daily',
      'pause tick',
      'trigger daily',
    ]);
    for (const a of audit) assert.ok(a.requestedBy && a.host);
    assert.ok(
      audit.filter((a) => a.action === 'trigger' || a.action === 'backfill').every((a) => a.doneAt !== null),
    );
    const text = await cli('audit');
    assert.equal(text.code, 0);
    assert.match(text.stdout, /maintenance window/);
  });

  test('bad requests: unknown job, missing range, --from after --to', async () => {
    const unknown = await cli('pause', 'nope');
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /no job named 'nope'/);
    const noRange = await cli('backfill', 'daily');
    assert.equal(noRange.code, 64);
    assert.match(noRange.stderr, /--from ISO and --to ISO/);
    const reversed = await cli(
      'backfill',
      'daily',
      '--from',
      '2026-01-02T00:00:00Z',
      '--to',
      '2026-01-01T00:00:00Z',
    );
    assert.equal(reversed.code, 64);
    const huge = await cli(
      'backfill',
      'tick',
      '--from',
      '2020-01-01T00:00:00Z',
      '--to',
      '2026-01-01T00:00:00Z',
    );
    assert.equal(huge.code, 64);
    assert.match(huge.stderr, /more than 100000 slots/);
  });
});

describe('operator controls in an HA pair', () => {
  const h = createHarness();
  const dir = h.tempDir('controls-ha');
  let db: TestDatabase;
  let client: pg.Client;
  let config = '';
  h.defer(() => client?.end());

  test('a pause made just before the leader is killed is honoured by the new leader', async () => {
    db = await h.database();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    config = path.join(dir, 'cronkeeper.yaml');
    fs.writeFileSync(
      config,
      `store: { url: "${db.url}" }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    command: ${JSON.stringify(recordingCommand(path.join(dir, 'tick.out')))}
`,
    );
    const a = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
    await a.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    const b = h.startDaemon(config, { CRONKEEPER_NODE_ID: 'node-b' });
    await b.waitForLog((l) => l.msg === 'http listening', 60_000);
    await waitFor(() => readOutput(path.join(dir, 'tick.out')).length >= 2, 10_000, 'tick runs');

    const paused = await run(process.execPath, [CLI, 'pause', 'tick', '--config', config], {
      env: childEnv(),
      encoding: 'utf8',
    });
    const pausedAtMs = Date.now();
    assert.match(paused.stdout, /paused 'tick'/);
    a.proc.kill('SIGKILL');
    await b.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
    assert.ok(b.logs.some((l) => l.msg?.startsWith('job is paused') && l.job === 'tick'));
    await sleep(2_000);
    const res = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM cronkeeper_runs WHERE job = 'tick' AND scheduled_at > $1`,
      [new Date(pausedAtMs + 1_000).toISOString()],
    );
    assert.equal(res.rows[0]!.n, 0, 'tick slots claimed after the pause');

    // The new leader exports the pause.
    const port = b.logs.find((l) => l.msg === 'http listening')!.port as number;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^cronkeeper_job_paused\{job="tick"\} 1$/m);
  });
});

describe('operator controls on the embedded store', () => {
  const h = createHarness();
  const dir = h.tempDir('controls-embedded');
  const config = path.join(dir, 'cronkeeper.yaml');
  const out = (job: string) => path.join(dir, `${job}.out`);

  const cli = (...args: string[]) => cliOn(config, ...args);

  test('a running daemon carries the controls out; requests made while it is stopped wait for it', async () => {
    fs.writeFileSync(
      config,
      `store: { path: "${path.join(dir, 'store')}" }
jobs:
  tick:
    schedule: "* * * * * *"
    command: ${JSON.stringify(recordingCommand(out('tick')))}
  daily:
    schedule: "0 0 3 * * *"
    command: ${JSON.stringify(recordingCommand(out('daily')))}
`,
    );
    const d = h.startDaemon(config);
    await d.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    // The store is the daemon's: it carries the pause out itself (command-server.ts), at once.
    const paused = await cli('pause', 'tick');
    assert.equal(paused.code, 0, paused.stderr);
    assert.doesNotMatch(paused.stdout, /no daemon is leading/);
    await d.waitForLog((l) => String(l.msg).startsWith('job paused') && l.job === 'tick', 5_000);
    const pausedAtMs = Date.now();
    await sleep(1_500);
    assert.deepEqual(
      readOutput(out('tick')).filter((o) => Date.parse(o.scheduledAt) > pausedAtMs),
      [],
      'tick ran after the pause',
    );
    assert.equal((await cli('resume', 'tick')).code, 0);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);

    assert.equal((await cli('pause', 'tick', '--reason', 'disk swap')).code, 0);
    assert.equal((await cli('trigger', 'daily')).code, 0);
    const stoppedAtMs = Date.now();
    const again = h.startDaemon(config);
    await again.waitForLog((l) => l.msg === 'ready: scheduling', 60_000);
    await waitFor(() => readOutput(out('daily')).length === 1, 10_000, 'the trigger made while stopped');
    await sleep(1_500);
    assert.deepEqual(
      readOutput(out('tick')).filter((o) => Date.parse(o.scheduledAt) > stoppedAtMs),
      [],
      'tick ran while paused',
    );
  });

  test('next: the coming slots in UTC and the job zone, no store needed', async () => {
    const r = await cli('next', 'daily', '-n', '3', '--from', '2026-03-28T12:00:00Z', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { zone: string; slots: Array<{ utc: string; local: string }> };
    assert.equal(doc.zone, 'UTC');
    assert.deepEqual(
      doc.slots.map((s) => s.utc),
      ['2026-03-29T03:00:00.000Z', '2026-03-30T03:00:00.000Z', '2026-03-31T03:00:00.000Z'],
    );
    assert.equal(doc.slots[0]!.local, '2026-03-29 03:00:00 +00:00');
  });
});
