// The shipped unit (systemd/cronkeeper.service) under a real systemd: a job
// running when the daemon's main process is SIGKILLed goes on (KillMode=process),
// systemd restarts the daemon (Restart=on-failure, ready again by Type=notify),
// and the new daemon adopts the run: the ledger ends with one run for the slot,
// succeeded, and the job's own file shows it ran once, to its end. With
// KillMode=mixed the same kill takes the job with it — what the setting is for.
//
// systemd is booted as PID 1 of a pid+mount namespace (test/support/systemd-boot.ts).
// The unit is copied unchanged; test.conf overrides only what this environment needs:
//   ExecStart=       no /usr/bin/cronkeeper here: this node and the built dist/cli.js,
//                    bind-mounted under /run (ProtectHome=yes hides them when the
//                    checkout or node is under /home or /root)
//   RestartSec=1s    the shipped 5s, only faster
//   StandardOutput=, StandardError=   no journald in the namespace: the daemon's log
//                    goes to a file the test reads
//   ReadWritePaths=  the job writes its file outside the unit's writable paths
//                    (ProtectSystem=strict), the relaxation systemd/README.md describes
// User=cronkeeper stays: the user is made by systemd/cronkeeper.sysusers in the
// namespace's /etc overlay. Every sandbox setting (PrivateUsers, ProtectSystem,
// PrivateTmp, ProtectProc, ProcSubset, SystemCallFilter, ...) works in the
// namespace as shipped: none is overridden.
//
// Needs root, unshare and systemd; CI (which installs systemd) fails without them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ROOT, sleep, tempDir, waitFor } from '../support/daemon.js';
import { bootSystemd, cannotBoot, type Systemd } from '../support/systemd-boot.js';

const UNIT = 'cronkeeper.service';
const SHARED = '/run/cronkeeper-test'; // the test directory, inside the namespace
const LINES = 14; // the job prints one every 0.5 s: 7 s of work

const reason = cannotBoot();
let sd: Systemd | undefined;
let db: TestDatabase | undefined;
let dir = '';

function skipOrFail(t: TestContext): boolean {
  if (reason === undefined) return false;
  if (process.env.CI === 'true') assert.fail(`cannot boot systemd: ${reason} (CI runs as root with systemd)`);
  t.skip(`cannot boot systemd: ${reason}`);
  return true;
}

before(async () => {
  if (reason !== undefined) return;
  dir = tempDir('systemd-crash');
  fs.chmodSync(dir, 0o755); // the daemon runs as cronkeeper
  for (const d of ['units', 'units/cronkeeper.service.d', 'out']) fs.mkdirSync(path.join(dir, d));
  fs.copyFileSync(path.join(ROOT, 'systemd', UNIT), path.join(dir, 'units', UNIT));
  fs.writeFileSync(
    path.join(dir, 'units', `${UNIT}.d`, 'test.conf'),
    `[Service]
ExecStart=
ExecStart=/run/cronkeeper-node /run/cronkeeper-repo/dist/cli.js run --config ${SHARED}/cronkeeper.yaml
RestartSec=1s
StandardOutput=append:${SHARED}/daemon.log
StandardError=append:${SHARED}/daemon.log
ReadWritePaths=${SHARED}/out
`,
  );
  // The unit's default dependencies need these; the host's would start its boot services.
  for (const target of ['sysinit', 'basic', 'network-online']) {
    fs.writeFileSync(
      path.join(dir, 'units', `${target}.target`),
      `[Unit]\nDescription=stand-in for ${target}.target\nDefaultDependencies=no\n`,
    );
  }
  db = await createTestDatabase();
  sd = await bootSystemd({
    units: path.join(dir, 'units'),
    binds: [
      [dir, SHARED],
      [ROOT, '/run/cronkeeper-repo'],
      [process.execPath, '/run/cronkeeper-node'],
    ],
    setup: `systemd-sysusers /run/cronkeeper-repo/systemd/cronkeeper.sysusers && chown cronkeeper:cronkeeper ${SHARED}/out`,
  });
});

after(async () => {
  await sd?.stop(); // kills the daemon and every job with it
  await db?.drop().catch(() => {});
  if (dir && !process.env.KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

const log = () => fs.readFileSync(path.join(dir, 'daemon.log'), 'utf8');
const jobLines = (job: string) => {
  const file = path.join(dir, 'out', `${job}.txt`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

/** What to look at when an assertion fails: the unit's status and the daemon's log. */
function story(job: string): string {
  const lines = log()
    .split('\n')
    .filter((l) => l.includes(`"job":"${job}"`) || /starting|ready|leading|restored/.test(l))
    .filter((l) => !l.includes('"job output"'));
  return `\n${sd!.systemctl('status', UNIT).output}\n--- daemon log:\n${lines.join('\n')}`;
}

/**
 * Writes a config whose one job has one slot, a few seconds from now (6-field
 * cron, UTC), and (re)starts the unit: `systemctl start` returns once the daemon
 * sent READY=1. Returns the slot.
 */
function startWithSlotSoon(job: string): Date {
  const slot = new Date(Math.ceil((Date.now() + 6_000) / 1000) * 1000);
  const work = `for i in $(seq ${LINES}); do echo "$CRONKEEPER_RUN_ID $i" | tee -a ${SHARED}/out/${job}.txt; sleep 0.5; done; echo "$CRONKEEPER_RUN_ID done" | tee -a ${SHARED}/out/${job}.txt`;
  fs.writeFileSync(
    path.join(dir, 'cronkeeper.yaml'),
    `store: { url: "${db!.url}" }
http: { listen: "127.0.0.1:0" }
jobs:
  ${job}:
    schedule: "${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} ${slot.getUTCDate()} ${slot.getUTCMonth() + 1} *"
    command: ["/bin/sh", "-c", ${JSON.stringify(work)}]
`,
  );
  const r = sd!.systemctl('restart', UNIT);
  assert.equal(r.status, 0, `systemctl restart: ${r.output}${story(job)}`);
  const s = sd!.show(UNIT, 'ActiveState', 'SubState', 'StatusText');
  assert.deepEqual([s.ActiveState, s.SubState], ['active', 'running'], story(job));
  // STATUS= (and READY=1 before it) came from systemd-notify, a child of the daemon: NotifyAccess=all works.
  assert.match(s.StatusText ?? '', /leader epoch \d+/);
  assert.ok(
    Date.now() < slot.getTime() - 500,
    `the daemon was ready too late for the slot ${slot.toISOString()}`,
  );
  return slot;
}

/** SIGKILLs the daemon alone, as a crash would, and waits for systemd to have it running (and ready) again. */
async function crashAndWaitForRestart(job: string): Promise<void> {
  const before = sd!.show(UNIT, 'MainPID', 'NRestarts');
  const r = sd!.systemctl('kill', '--kill-whom=main', '--signal=KILL', UNIT);
  assert.equal(r.status, 0, r.output);
  await waitFor(
    () => {
      const s = sd!.show(UNIT, 'ActiveState', 'MainPID', 'NRestarts');
      return (
        s.ActiveState === 'active' &&
        Number(s.NRestarts) === Number(before.NRestarts) + 1 &&
        s.MainPID !== '0' &&
        s.MainPID !== before.MainPID
      );
    },
    15_000,
    `systemd to restart the daemon${story(job)}`,
  );
}

interface RunRow {
  id: number;
  scheduled_at: Date;
  outcome: string | null;
  exit_code: number | null;
  recovery: string | null;
  attempts: number;
}

async function runsOf(job: string): Promise<RunRow[]> {
  const c = new pg.Client({ connectionString: db!.url });
  await c.connect();
  try {
    const r = await c.query<RunRow>(
      'SELECT id::int AS id, scheduled_at, outcome, exit_code, recovery, attempts FROM cronkeeper_runs WHERE job = $1 ORDER BY id',
      [job],
    );
    return r.rows;
  } finally {
    await c.end();
  }
}

async function waitForOutcome(job: string): Promise<RunRow[]> {
  let rows: RunRow[] = [];
  await waitFor(
    async () => {
      rows = await runsOf(job);
      return rows.length > 0 && rows.every((r) => r.outcome !== null);
    },
    20_000,
    `the run of ${job} to be recorded as ended${story(job)}`,
  );
  return rows;
}

describe('the shipped systemd unit when the daemon crashes', () => {
  test('the running job goes on, systemd restarts the daemon, which adopts the run: one run, succeeded', async (t) => {
    if (skipOrFail(t)) return;
    const shipped = sd!.show(UNIT, 'KillMode', 'Type', 'Restart', 'NotifyAccess', 'User');
    assert.deepEqual(shipped, {
      KillMode: 'process',
      Type: 'notify',
      Restart: 'on-failure',
      NotifyAccess: 'all',
      User: 'cronkeeper',
    });
    const job = 'crash';
    const slot = startWithSlotSoon(job);
    await waitFor(() => jobLines(job).length >= 1, 15_000, `the job to start${story(job)}`);
    await crashAndWaitForRestart(job);
    // The new daemon is up; the job, if it survived, is still at work.
    assert.ok(!jobLines(job).some((l) => l.endsWith(' done')), 'the job ended before the restart: too short');

    await waitFor(
      () => jobLines(job).some((l) => l.endsWith(' done')),
      15_000,
      `the job to finish${story(job)}`,
    );
    const rows = await waitForOutcome(job);
    const s = story(job);
    assert.equal(rows.length, 1, `runs of the job: ${JSON.stringify(rows)}${s}`);
    const run = rows[0]!;
    assert.equal(run.scheduled_at.toISOString(), slot.toISOString());
    assert.deepEqual(
      { outcome: run.outcome, exit_code: run.exit_code, recovery: run.recovery, attempts: run.attempts },
      { outcome: 'success', exit_code: 0, recovery: 'adopted', attempts: 1 },
      s,
    );
    // One run, every line in order, to its end.
    const expected = [...Array.from({ length: LINES }, (_, i) => `${run.id} ${i + 1}`), `${run.id} done`];
    assert.deepEqual(jobLines(job), expected);
    assert.match(log(), /"msg":"run adopted: started by a daemon that is gone, still running"/);
  });

  test('with KillMode=mixed (a drop-in) the same crash kills the job: it never finishes', async (t) => {
    if (skipOrFail(t)) return;
    fs.writeFileSync(
      path.join(dir, 'units', `${UNIT}.d`, 'zz-kill-mode.conf'),
      '[Service]\nKillMode=mixed\n',
    );
    assert.equal(sd!.systemctl('daemon-reload').status, 0);
    assert.equal(sd!.show(UNIT, 'KillMode').KillMode, 'mixed');
    const job = 'mixed';
    startWithSlotSoon(job);
    await waitFor(() => jobLines(job).length >= 1, 15_000, `the job to start${story(job)}`);
    const startedAt = Date.now();
    await crashAndWaitForRestart(job);
    const rows = await waitForOutcome(job);
    // Long enough for a surviving job to have finished.
    await sleep(Math.max(0, startedAt + LINES * 500 + 2_000 - Date.now()));
    const lines = jobLines(job);
    assert.ok(lines.length < LINES, `the job went on: ${lines.join(', ')}`);
    assert.ok(!lines.some((l) => l.endsWith(' done')));
    assert.deepEqual(
      rows.map((r) => [r.outcome, r.recovery]),
      [['interrupted', 'supervisor-lost']],
      story(job),
    );
  });
});
