// When Postgres itself fails over: an HA pair on a primary and a streaming
// standby, both listed in store.url (postgres://primary,standby/...), a
// per-second job with catchup: all. The primary is switched over (stopped
// cleanly, the standby promoted) or killed (SIGKILL of its postmaster, the
// standby promoted); with synchronous replication every committed claim is on
// the new primary: every slot runs once, none is missed, both daemons follow
// the new primary, and epochs only grow. The old primary then comes back as a
// standby on its listed host: nobody writes to it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { type PgCluster, startCluster, startStandby } from '../../scripts/pg-cluster.js';
import { spawnSync } from 'node:child_process';
import {
  CLI,
  type DaemonProcess,
  type OutputLine,
  childEnv,
  readOutput,
  recordingCommand,
  sleep,
  startDaemon,
  tempDir,
  waitFor,
} from '../support/daemon.js';

type Ran = OutputLine;

const readRuns = readOutput;

function writeConfig(dir: string, url: string, out: string): string {
  const file = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    file,
    `store: { url: "${url}" }
ha: { lease: 2s }
snapshot: { interval: 2s }
jobs:
  tick:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ${JSON.stringify(recordingCommand(out))}
`,
  );
  return file;
}

/** Every slot from the first to the last exactly once; the epochs of the runs, in slot order, never go down. */
function assertExactlyOnce(runs: Ran[]): void {
  const sorted = [...runs].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt));
  const times = sorted.map((r) => r.scheduledAt);
  assert.equal(new Set(times).size, times.length, `a slot ran twice: ${times.join(' ')}`);
  for (let i = 1; i < times.length; i++) {
    assert.equal(
      Date.parse(times[i]!) - Date.parse(times[i - 1]!),
      1000,
      `slots missing after ${times[i - 1]}`,
    );
  }
}

async function query<R extends pg.QueryResultRow>(port: number, sql: string): Promise<R[]> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** The old primary, stopped, comes back as a standby of the new one (its WAL ends before the fork). */
function rejoinAsStandby(old: PgCluster, primary: PgCluster): void {
  // Written as the cluster's owner (the postgres user when the tests run as root).
  old.run('/usr/bin/touch', [path.join(old.data, 'standby.signal')]);
  fs.appendFileSync(
    path.join(old.data, 'postgresql.auto.conf'),
    `\nprimary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres'\n`,
  );
  old.start();
}

/** An HA pair on `config`: node-a leads, node-b stands by. */
async function startPair(config: string, daemons: DaemonProcess[]): Promise<[DaemonProcess, DaemonProcess]> {
  const a = startDaemon(config, { CRONKEEPER_NODE_ID: 'node-a' });
  daemons.push(a);
  await a.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);
  const b = startDaemon(config, { CRONKEEPER_NODE_ID: 'node-b' });
  daemons.push(b);
  await b.waitForLog(
    (l) => l.msg === 'another node leads: standing by until the leader lock is free',
    30_000,
  );
  return [a, b];
}

/** What a suite starts, killed and removed after it. */
function cleanedUp(): { clusters: PgCluster[]; daemons: DaemonProcess[]; dirs: string[] } {
  const made = { clusters: [] as PgCluster[], daemons: [] as DaemonProcess[], dirs: [] as string[] };
  after(async () => {
    for (const d of made.daemons) d.proc.kill('SIGKILL');
    await Promise.all(made.daemons.map((d) => d.exited));
    for (const c of made.clusters) c.destroy();
    for (const dir of made.dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  return made;
}

describe('Postgres failover under an HA pair', () => {
  const { clusters, daemons, dirs } = cleanedUp();

  async function setUp(name: string) {
    const primary = await startCluster();
    const standby = await startStandby(primary, { synchronous: true });
    clusters.push(primary, standby);
    const dir = tempDir(name);
    dirs.push(dir);
    const out = path.join(dir, 'out.txt');
    const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres`;
    const config = writeConfig(dir, url, out);
    const [a, b] = await startPair(config, daemons);
    await waitFor(() => readRuns(out).length >= 3, 15_000, 'runs before the failover');
    return { primary, standby, out, config, pair: [a, b] };
  }

  async function afterFailover(o: {
    primary: PgCluster;
    standby: PgCluster;
    out: string;
    config: string;
    pair: DaemonProcess[];
    at: number;
    epochBefore: number;
  }): Promise<void> {
    const { primary, standby, out, config, pair, at, epochBefore } = o;
    await waitFor(
      () => readRuns(out).filter((r) => Date.parse(r.scheduledAt) > at + 3_000).length >= 3,
      30_000,
      'runs on the new primary',
    );
    // Epochs only grow: every run after the failover carries one above every run before it.
    const later = readRuns(out).filter((r) => Date.parse(r.scheduledAt) > at + 3_000);
    assert.ok(
      later.every((r) => r.epoch > epochBefore),
      `epochs after: ${later.map((r) => r.epoch).join(',')}, before: ${epochBefore}`,
    );
    // The old primary comes back as a standby on its listed host (first in the URL): nobody writes
    // to it, and scheduling goes on on the new primary.
    rejoinAsStandby(primary, standby);
    const backAt = Date.now();
    await waitFor(
      () => readRuns(out).filter((r) => Date.parse(r.scheduledAt) > backAt + 2_000).length >= 3,
      30_000,
      'runs with the old primary back as a standby',
    );
    const [rec] = await query<{ r: boolean }>(primary.port, 'SELECT pg_is_in_recovery() AS r');
    assert.equal(rec!.r, true, 'the old primary is a standby');
    // Both daemons are on the new primary: the leader's lock and the standby's polling.
    const apps = await query<{ application_name: string }>(
      standby.port,
      "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'cronkeeper-leader-lock%'",
    );
    assert.deepEqual(apps.map((a) => a.application_name).sort(), [
      'cronkeeper-leader-lock node-a',
      'cronkeeper-leader-lock node-b',
    ]);
    // The failover is known: logged once (by the node that saw it first), counted, and in status.
    const said = pair.flatMap((d) =>
      d.logs.filter((l) => String(l.msg).startsWith('the database failed over')),
    );
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.deepEqual([said[0]!.fromTimeline, said[0]!.toTimeline], [1, 2]);
    const status = spawnSync(process.execPath, [CLI, 'status', '--json', '--config', config], {
      env: childEnv(),
      encoding: 'utf8',
    });
    const database = (JSON.parse(status.stdout) as { database: { timeline: number; failovers: number } })
      .database;
    assert.deepEqual([database.timeline, database.failovers], [2, 1]);
    const metric = async (d: DaemonProcess) => {
      const port = (await d.waitForLog((l) => l.msg === 'http listening', 1_000)).port as number;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/^cronkeeper_database_failovers_total (\d+)$/m.exec(text)?.[1]);
    };
    assert.deepEqual((await Promise.all(pair.map(metric))).sort(), [0, 1]);
    for (const d of pair) d.proc.kill('SIGTERM');
    assert.deepEqual(await Promise.all(pair.map((d) => d.exited)), [0, 0]);
    assertExactlyOnce(readRuns(out));
  }

  test('a planned switchover (primary stopped cleanly, standby promoted): every slot once, none missed', async () => {
    const { primary, standby, out, config, pair } = await setUp('pg-switchover');
    const epochBefore = Math.max(...readRuns(out).map((r) => r.epoch));
    primary.stop('fast');
    standby.promote();
    await afterFailover({ primary, standby, out, config, pair, at: Date.now(), epochBefore });
  });

  test('an unplanned failover with synchronous replication (primary killed, standby promoted): every slot once', async () => {
    const { primary, standby, out, config, pair } = await setUp('pg-failover-sync');
    await sleep(1_500);
    const epochBefore = Math.max(...readRuns(out).map((r) => r.epoch));
    primary.kill();
    standby.promote();
    await afterFailover({ primary, standby, out, config, pair, at: Date.now(), epochBefore });
  });
});

describe('Postgres failover with asynchronous replication', () => {
  const { clusters, daemons, dirs } = cleanedUp();

  const JOBS = 20;
  function loadConfig(dir: string, url: string, out: string, store = ''): string {
    const file = path.join(dir, `cronkeeper${store ? '-sync' : ''}.yaml`);
    const jobs = Array.from(
      { length: JOBS },
      (_, i) => `  tick-${i}:
    schedule: "* * * * * *"
    catchup: all
    maxCatchup: 1000
    command: ["/bin/sh", "-c", "echo \\"$CRONKEEPER_JOB $CRONKEEPER_SCHEDULED_AT\\" >> '${out}'"]
`,
    ).join('');
    fs.writeFileSync(
      file,
      `store: { url: "${url}"${store} }\nha: { lease: 2s }\nsnapshot: { interval: 2s }\njobs:\n${jobs}`,
    );
    return file;
  }

  test('requireSynchronousReplication refuses to lead; without it, a killed primary may cost slots run twice, never a slot missed', async (t) => {
    const primary = await startCluster();
    const standby = await startStandby(primary);
    clusters.push(primary, standby);
    const dir = tempDir('pg-failover-async');
    dirs.push(dir);
    const out = path.join(dir, 'out.txt');
    const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres`;

    // Asked for synchronous replication on a server without it: it says why, and leads nothing.
    const strict = startDaemon(loadConfig(dir, url, out, ', requireSynchronousReplication: true'), {
      CRONKEEPER_NODE_ID: 'strict',
    });
    daemons.push(strict);
    const refused = await strict.waitForLog((l) => String(l.msg).startsWith('refusing to lead'), 30_000);
    assert.match(String(refused.problem), /synchronous_standby_names is empty/);
    await sleep(2_000);
    assert.equal(strict.logs.filter((l) => l.msg === 'ready: scheduling').length, 0);
    assert.equal(readRuns(out).length, 0, 'no run');
    strict.proc.kill('SIGTERM');
    assert.equal(await strict.exited, 0);

    // The pair on the same servers, under 20 per-second jobs; the primary is killed mid-stream.
    const config = loadConfig(dir, url, out);
    const [a, b] = await startPair(config, daemons);
    const lines = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
    await waitFor(() => lines().length >= JOBS * 5, 20_000, 'runs before the failover');
    // The standby a second behind when the primary dies (the primary's WAL sender paused, then
    // killed with it): the lag asynchronous replication allows, made visible.
    const [sender] = await query<{ pid: number }>(primary.port, 'SELECT pid FROM pg_stat_replication');
    process.kill(sender!.pid, 'SIGSTOP');
    await sleep(1_000);
    primary.kill();
    process.kill(sender!.pid, 'SIGKILL');
    const killedAt = Date.now();
    standby.promote();
    await waitFor(
      () => lines().filter((l) => Date.parse(l.split(' ')[1]!) > killedAt + 3_000).length >= JOBS * 3,
      30_000,
      'runs on the promoted standby',
    );
    for (const d of [a, b]) d.proc.kill('SIGTERM');
    assert.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0]);

    const byJob = new Map<string, string[]>();
    for (const l of lines()) {
      const [job, at] = l.split(' ') as [string, string];
      byJob.set(job, [...(byJob.get(job) ?? []), at]);
    }
    let twice = 0;
    for (const [job, times] of byJob) {
      const slots = [...new Set(times)].sort();
      twice += times.length - slots.length;
      // Never a slot missed: a claim lost with the primary is claimed again and run.
      for (let i = 1; i < slots.length; i++) {
        assert.equal(
          Date.parse(slots[i]!) - Date.parse(slots[i - 1]!),
          1000,
          `${job}: slots missing after ${slots[i - 1]}`,
        );
      }
    }
    // Reported, not asserted: what asynchronous replication may lose is the last claims before the
    // crash, run again by the next leader (docs/ha.md, "When Postgres fails over").
    const said = `asynchronous failover, standby 1 s behind, under ${JOBS} per-second jobs: ${twice} slot run(s) twice`;
    t.diagnostic(said);
    console.log(`# pg-failover: ${said}`);
  });
});
