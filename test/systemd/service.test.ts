// systemd/cronkeeper.service under a real systemd as PID 1: a Debian container
// (systemd-nspawn --boot; test/systemd/support/) with cronkeeper installed from
// the packed tarball and the unit installed unchanged, no drop-in, as
// systemd/README.md says (what differs: support/install.ts). Every check goes
// through systemctl and the journal in the container. The daemon uses the
// embedded store in /var/lib/cronkeeper, as README step 3 says for it.
//
// The tests run in order on one container, each leaving the unit as the next
// expects it: installed, started, reloaded, restarted in the sandbox, stopped.
// What systemd does when the daemon fails: service-failures.test.ts.
//
// `npm run test:systemd`, not `npm test`: needs root and systemd-nspawn (and
// debootstrap with a Debian mirror the first time). Skipped without them, except
// under CI, where .ci/run calls it only where nspawn can run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, sleep, waitFor } from '../support/daemon.js';
import {
  containerForFile,
  daemonLines,
  embeddedConfig,
  loggedAt,
  managerLines,
  skipOrFail,
  waitOrTell,
} from './support/suite.js';
import { writeConfig } from './support/install.js';
import { unitSeconds, unitSetting } from './support/unit-file.js';

const UNIT = 'cronkeeper.service';
const CONFIG = '/etc/cronkeeper/cronkeeper.yaml';
const STATE = '/var/lib/cronkeeper';
const SHIPPED = fs.readFileSync(path.join(ROOT, 'systemd', UNIT), 'utf8');

const installed = containerForFile('cronkeeper-service', [UNIT]);
const config = (jobs: string, settings = '') => embeddedConfig(STATE, jobs, settings);

describe('systemd/cronkeeper.service under systemd as PID 1', () => {
  test('installs as systemd/README.md says: the tarball to /usr/bin/cronkeeper, the user, the unit', (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    assert.equal(ct.sh('command -v cronkeeper').stdout.trim(), '/usr/bin/cronkeeper');
    assert.equal(ct.sh('cronkeeper --version').stdout.trim(), installed().version);
    // Installed, the CLI finds the system's config without --config (from anywhere but a directory
    // holding config/cronkeeper.yaml, which it would look at first).
    const found = ct.sh('cd / && cronkeeper validate');
    assert.equal(found.status, 0, found.output);
    assert.match(found.stdout, /^\/etc\/cronkeeper\/cronkeeper\.yaml: valid, \d+ job\(s\)/);
    assert.match(
      ct.sh('getent passwd cronkeeper').stdout,
      /^cronkeeper:x:\d+:\d+:cronkeeper daemon:\/var\/lib\/cronkeeper:\S*nologin$/m,
    );
    // The unit as shipped in the package, unchanged, and nothing overriding it.
    assert.equal(ct.sh(`cat /etc/systemd/system/${UNIT}`).stdout, SHIPPED);
    const s = ct.show(UNIT, 'LoadState', 'FragmentPath', 'DropInPaths', 'ExecStart');
    assert.equal(s.LoadState, 'loaded');
    assert.equal(s.FragmentPath, `/etc/systemd/system/${UNIT}`);
    assert.equal(s.DropInPaths, '');
    assert.match(
      s.ExecStart ?? '',
      /path=\/usr\/bin\/cronkeeper ; argv\[\]=\/usr\/bin\/cronkeeper run --config /,
    );
    const r = ct.systemctl('enable', UNIT);
    assert.equal(r.status, 0, r.output);
    assert.equal(ct.systemctl('is-enabled', UNIT).stdout.trim(), 'enabled');
  });

  test('start: activating while the state is restored and missed runs are caught up, then active with a STATUS line', async (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    // Five or more missed slots (every 10s on the grid, since 45s ago), each run taking 2 s,
    // one at a time: the catch-up takes 10 s or more, before which the daemon is not ready.
    const from = new Date(Math.floor(Date.now() / 10_000) * 10_000 - 45_000);
    writeConfig(
      ct,
      CONFIG,
      config(
        `  backfill:
    every: 10s
    catchup: all
    backfillFrom: '${from.toISOString()}'
    command: ['/bin/sh', '-c', 'sleep 2; echo caught up $CRONKEEPER_SCHEDULED_AT']
`,
        'catchupConcurrency: 1\n',
      ),
    );
    const cursor = ct.cursor();
    let returnedAt = 0;
    const start = ct.shAsync(`systemctl start ${UNIT}`).then((r) => {
      returnedAt = Date.now();
      return r;
    });
    // What systemd says while `systemctl start` waits.
    const samples: Array<{ before: number; after: number; state: string; status: string }> = [];
    while (returnedAt === 0 && samples.length < 1_000) {
      const before = Date.now();
      const s = ct.show(UNIT, 'ActiveState', 'StatusText');
      samples.push({ before, after: Date.now(), state: s.ActiveState ?? '', status: s.StatusText ?? '' });
      await sleep(100);
    }
    const r = await start;
    const story = ct.story(UNIT);
    assert.equal(r.status, 0, `systemctl start: ${r.output}${story}`);
    const s = ct.show(UNIT, 'ActiveState', 'SubState', 'StatusText');
    assert.deepEqual([s.ActiveState, s.SubState], ['active', 'running'], story);
    assert.match(s.StatusText ?? '', /^leader epoch \d+, 1 job$/, story);
    assert.match(ct.systemctl('status', UNIT).output, /Status: "leader epoch \d+, 1 job"/);

    const journal = ct.journal(UNIT, cursor);
    const started = managerLines(journal, /^Started cronkeeper\.service/);
    assert.equal(started.length, 1, story);
    const activeAt = started[0]!.realtimeUs / 1000;
    const restored = journal.find((e) => /^(no previous state|state restored)/.test(e.log?.msg ?? ''));
    assert.ok(restored, `no restore in the journal${story}`);
    const runsStarted = daemonLines(journal, 'run started').filter((e) => e.log?.catchup === true);
    const runsFinished = daemonLines(journal, 'run finished').filter((e) => e.log?.catchup === true);
    assert.ok(runsStarted.length >= 4, `catch-up runs: ${runsStarted.length}${story}`);
    assert.equal(runsFinished.length, runsStarted.length, story);
    assert.ok(runsFinished.every((e) => e.log?.outcome === 'success'));
    const caughtUp = daemonLines(journal, 'catch-up finished')[0];
    assert.ok(caughtUp, `no 'catch-up finished'${story}`);
    // Restore, every catch-up run, then READY=1: the daemon logged each before systemd had it active.
    assert.ok(loggedAt(restored) <= loggedAt(runsStarted[0]!));
    for (const e of [...runsFinished, caughtUp]) assert.ok(loggedAt(e) <= activeAt, JSON.stringify(e.log));
    // systemd said activating all through the catch-up, with the progress in STATUS=,
    // and `systemctl start` returned once it was active.
    const lastRunEnd = Math.max(...runsFinished.map(loggedAt));
    const during = samples.filter((x) => x.before > loggedAt(runsStarted[0]!) && x.after < lastRunEnd);
    assert.ok(during.length >= 10, `samples during the catch-up: ${during.length}`);
    assert.deepEqual([...new Set(during.map((x) => x.state))], ['activating'], JSON.stringify(during));
    assert.ok(
      during.some((x) => /catch-up \d+\/\d+ runs/.test(x.status)),
      `no catch-up progress in STATUS=: ${[...new Set(during.map((x) => x.status))].join(' | ')}`,
    );
    assert.ok(returnedAt >= activeAt, `systemctl start returned at ${returnedAt}, active at ${activeAt}`);
  });

  test('reload: a new config takes effect in the running daemon; a bad one is rejected and the old one runs on', async (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    const pid = ct.show(UNIT, 'MainPID').MainPID;
    // The start test's job replaced by two others.
    const jobs = (every: string) => `  added:
    every: ${every}
    command: ['/bin/echo', 'added by a reload']
  hourly:
    schedule: '0 * * * *'
    command: ['/bin/true']
`;
    writeConfig(ct, CONFIG, config(jobs('1s')));
    let cursor = ct.cursor();
    let r = ct.systemctl('reload', UNIT);
    assert.equal(r.status, 0, r.output);
    const reloaded = await ct.waitForJournal(
      UNIT,
      cursor,
      (e) => e.log?.msg === 'config reloaded',
      15_000,
      "'config reloaded'",
    );
    assert.equal(reloaded.log?.jobs, 2);
    await ct.waitForJournal(
      UNIT,
      cursor,
      (e) => e.log?.msg === 'run finished' && e.log.job === 'added' && e.log.outcome === 'success',
      15_000,
      'a run of the job the reload added',
    );
    // The same process, ready again (RELOADING=1, then READY=1), the new job count in its status.
    await waitOrTell(
      () => {
        const s = ct.show(UNIT, 'ActiveState', 'SubState', 'StatusText');
        return s.ActiveState === 'active' && s.SubState === 'running' && /, 2 jobs$/.test(s.StatusText ?? '');
      },
      10_000,
      'active (running), 2 jobs, after the reload',
      () => ct.story(UNIT),
    );
    assert.equal(ct.show(UNIT, 'MainPID').MainPID, pid);
    assert.ok(!daemonLines(ct.journal(UNIT, cursor), 'cronkeeper starting').length, 'the reload restarted');

    writeConfig(ct, CONFIG, config(jobs('sometimes')));
    cursor = ct.cursor();
    r = ct.systemctl('reload', UNIT);
    assert.equal(r.status, 0, r.output);
    const rejected = await ct.waitForJournal(
      UNIT,
      cursor,
      (e) => e.log?.msg === 'config reload rejected: keeping the running config',
      15_000,
      'the bad config rejected',
    );
    assert.match(JSON.stringify(rejected.log?.problems), /sometimes/);
    await ct.waitForJournal(
      UNIT,
      cursor,
      (e) => e.log?.msg === 'run started' && e.log.job === 'added' && e.realtimeUs > rejected.realtimeUs,
      15_000,
      'a run of the running config after the rejection',
    );
    const s = ct.show(UNIT, 'ActiveState', 'SubState', 'MainPID');
    assert.deepEqual([s.ActiveState, s.SubState, s.MainPID], ['active', 'running', pid], ct.story(UNIT));
  });

  test('the sandbox (ProtectSystem=strict, PrivateTmp, ProtectHome, PrivateUsers, …) holds, and the daemon and its embedded store work in it', async (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    // As shipped, no drop-in relaxing anything.
    const s = ct.show(
      UNIT,
      'User',
      'ProtectSystem',
      'ProtectHome',
      'PrivateTmp',
      'PrivateUsers',
      'PrivateDevices',
      'NoNewPrivileges',
      'ProcSubset',
      'DropInPaths',
    );
    assert.deepEqual(s, {
      User: 'cronkeeper',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateUsers: 'yes',
      PrivateDevices: 'yes',
      NoNewPrivileges: 'yes',
      ProcSubset: 'pid',
      DropInPaths: '',
    });
    // A job looks at its sandbox (jobs run in the daemon's) and writes what it sees to the state directory.
    const probe = String.raw`f=${STATE}/probe.txt
{
  echo "user=$(id -un)"
  for d in /etc /usr ${STATE} /tmp; do
    if touch "$d/ck-probe" 2>/dev/null; then echo "write $d=yes"; else echo "write $d=no"; fi
  done
  echo "home mode=$(stat -c %a /home)"
  grep -E '^(NoNewPrivs|CapEff):' /proc/self/status | tr -d ' \t' | tr : =
  if [ -e /proc/meminfo ]; then echo meminfo=visible; else echo meminfo=hidden; fi
  echo "uid map=$(tr -s ' \n' '  ' < /proc/self/uid_map | sed 's/^ //; s/ $//')"
} > "$f.new" && mv -f "$f.new" "$f"`;
    writeConfig(
      ct,
      CONFIG,
      config(`  probe:
    every: 2s
    command: ['/bin/sh', '-c', ${JSON.stringify(probe)}]
`),
    );
    ct.sh(`rm -f ${STATE}/probe.txt /tmp/ck-probe`);
    const cursor = ct.cursor();
    const r = ct.systemctl('restart', UNIT);
    assert.equal(r.status, 0, `${r.output}${ct.story(UNIT)}`);
    await waitOrTell(
      () => ct.sh(`test -s ${STATE}/probe.txt`).status === 0,
      15_000,
      'the probe',
      () => ct.story(UNIT),
    );
    const seen = Object.fromEntries(
      ct
        .sh(`cat ${STATE}/probe.txt`)
        .stdout.trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const uid = ct.sh('id -u cronkeeper').stdout.trim();
    assert.deepEqual(seen, {
      user: 'cronkeeper',
      'write /etc': 'no', // ProtectSystem=strict
      'write /usr': 'no',
      [`write ${STATE}`]: 'yes', // StateDirectory=
      'write /tmp': 'yes', // PrivateTmp=: its own
      'home mode': '0', // ProtectHome=yes: /home made inaccessible
      NoNewPrivs: '1', // NoNewPrivileges=yes
      CapEff: '0000000000000000', // CapabilityBoundingSet= (empty)
      meminfo: 'hidden', // ProcSubset=pid
      'uid map': `0 0 1 ${uid} ${uid} 1`, // PrivateUsers=yes: root and cronkeeper only
    });
    assert.notEqual(ct.sh('test -e /tmp/ck-probe').status, 0, "the job's /tmp is the host's /tmp");

    // The embedded store: in the state directory, owned by cronkeeper, and kept across restarts
    // (the catch-up runs of the start test are still in the ledger, read through the daemon).
    const journal = ct.journal(UNIT, cursor);
    assert.ok(
      journal.some((e) => e.log?.msg === 'store opened' && e.log.location === STATE),
      ct.story(UNIT),
    );
    assert.ok(
      journal.some((e) => e.log?.msg === 'state restored'),
      ct.story(UNIT),
    );
    assert.equal(ct.sh(`stat -c '%U %a' ${STATE}`).stdout.trim(), 'cronkeeper 700');
    assert.equal(ct.sh(`test -d ${STATE}/pgdata`).status, 0);
    const runs = ct.sh(`cronkeeper runs --config ${CONFIG} --limit 500 --json`);
    assert.equal(runs.status, 0, runs.output);
    const rows = JSON.parse(runs.stdout) as Array<{ job?: string; kind: string; outcome?: string }>;
    assert.ok(rows.filter((x) => x.job === 'backfill' && x.kind === 'catch-up').length >= 4, runs.stdout);
    assert.ok(
      rows.some((x) => x.job === 'probe' && x.outcome === 'success'),
      runs.stdout,
    );
    assert.ok(
      rows.some((x) => x.job === 'added' && x.outcome === 'success'),
      runs.stdout,
    );
  });

  test("stop: the running job's whole process group ends, the daemon exits 0", async (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    // A job that ignores SIGTERM, and a child of it in its process group that does too: the
    // daemon must SIGKILL the group after shutdownGrace and killGrace.
    writeConfig(
      ct,
      CONFIG,
      config(
        `  stubborn:
    every: 2s
    killGrace: 1s
    command: ['/bin/sh', '-c', 'trap "" TERM; sleep 3601 & sleep 3602; wait']
`,
        'shutdownGrace: 2s\n',
      ),
    );
    let r = ct.systemctl('restart', UNIT);
    assert.equal(r.status, 0, r.output);
    const list = () =>
      ct
        .sh('ps -eo pid=,ppid=,pgid=,args=')
        .stdout.split('\n')
        .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
        .flatMap((m) => (m ? [{ pid: m[1]!, ppid: m[2]!, pgid: m[3]!, args: m[4]! }] : []));
    let job: ReturnType<typeof list> = [];
    await waitOrTell(
      () => (job = list().filter((p) => /^sleep 360[12]$/.test(p.args))).length === 2,
      15_000,
      'the job and its child to run',
      () => ct.story(UNIT),
    );
    const pgid = job[0]!.pgid;
    assert.equal(job[1]!.pgid, pgid);
    for (const p of job) assert.match(ct.sh(`cat /proc/${p.pid}/cgroup`).stdout, /\/cronkeeper\.service$/m);

    const cursor = ct.cursor();
    const startedAt = performance.now();
    r = ct.systemctl('stop', UNIT);
    const tookMs = performance.now() - startedAt;
    assert.equal(r.status, 0, r.output);
    const s = ct.show(UNIT, 'ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus', 'KillMode');
    // ExecMainCode 1: exited (not killed), with status 0.
    assert.deepEqual(
      [s.ActiveState, s.Result, s.ExecMainCode, s.ExecMainStatus],
      ['inactive', 'success', '1', '0'],
      ct.story(UNIT),
    );
    const left = list().filter((p) => p.pgid === pgid || /^sleep 360[12]$/.test(p.args));
    assert.deepEqual(left, [], 'processes of the job left running');
    // The daemon ended them itself, after the grace: systemd sends SIGTERM to the daemon alone
    // (KillMode as shipped) and killed nothing.
    assert.equal(s.KillMode, unitSetting(SHIPPED, 'KillMode'));
    const journal = ct.journal(UNIT, cursor);
    assert.ok(daemonLines(journal, 'stop requested').length === 1, ct.story(UNIT));
    assert.deepEqual(
      daemonLines(journal, 'stopped').map((e) => e.log?.exitCode),
      [0],
    );
    assert.deepEqual(managerLines(journal, /Killing process|timed out|Failed with result/), []);
    // Nothing of the daemon's was left in the unit when it exited: it ends its launcher shell first.
    assert.deepEqual(managerLines(journal, /remains running|left-over/), []);
    await waitFor(
      () => ct.sh("grep -l '/cronkeeper\\.service$' /proc/[0-9]*/cgroup 2>/dev/null").stdout.trim() === '',
      5_000,
      'the unit to hold no process',
    );
    assert.ok(tookMs >= 2_000, `stopped after ${Math.round(tookMs)} ms, within the 2 s grace`);
    assert.ok(tookMs < unitSeconds(SHIPPED, 'TimeoutStopSec') * 1000);
  });
});
