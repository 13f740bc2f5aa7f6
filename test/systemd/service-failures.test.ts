// systemd/cronkeeper.service under a real systemd as PID 1, when the daemon
// fails: a hung daemon (SIGSTOP) is killed by the watchdog and restarted, and a
// daemon refusing its config (exit 78) is not restarted. The container and the
// install are service.test.ts's (test/systemd/support/); the waits follow the
// shipped unit's WatchdogSec= and RestartSec=.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, sleep } from '../support/daemon.js';
import { containerForFile, embeddedConfig, managerLines, skipOrFail, waitOrTell } from './support/suite.js';
import { writeConfig } from './support/install.js';
import { unitSeconds } from './support/unit-file.js';

const UNIT = 'cronkeeper.service';
const CONFIG = '/etc/cronkeeper/cronkeeper.yaml';
const SHIPPED = fs.readFileSync(path.join(ROOT, 'systemd', UNIT), 'utf8');

const installed = containerForFile('cronkeeper-service-failures', [UNIT]);
const config = (jobs: string) => embeddedConfig('/var/lib/cronkeeper', jobs);

describe('systemd/cronkeeper.service under systemd as PID 1: when the daemon fails', () => {
  test('installed and started', (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    writeConfig(ct, CONFIG, config(`  tick:\n    every: 5s\n    command: ['/bin/true']\n`));
    const r = ct.systemctl('enable', '--now', UNIT);
    assert.equal(r.status, 0, `${r.output}${ct.story(UNIT)}`);
    assert.match(ct.show(UNIT, 'StatusText').StatusText ?? '', /^leader epoch \d+, 1 job$/);
  });

  test('watchdog: a SIGSTOPped daemon is killed (SIGABRT) and restarted', async (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    const watchdogS = unitSeconds(SHIPPED, 'WatchdogSec');
    const restartS = unitSeconds(SHIPPED, 'RestartSec');
    const before = ct.show(UNIT, 'MainPID', 'NRestarts', 'WatchdogUSec');
    assert.equal(before.WatchdogUSec, `${watchdogS}s`);
    const cursor = ct.cursor();
    const r = ct.systemctl('kill', '--kill-whom=main', '--signal=SIGSTOP', UNIT);
    assert.equal(r.status, 0, r.output);
    assert.match(ct.sh(`grep ^State: /proc/${before.MainPID}/status`).stdout, /\bT \(stopped\)/);
    await waitOrTell(
      () => {
        const s = ct.show(UNIT, 'ActiveState', 'MainPID', 'NRestarts');
        return (
          s.ActiveState === 'active' &&
          Number(s.NRestarts) === Number(before.NRestarts) + 1 &&
          !['0', before.MainPID].includes(s.MainPID ?? '0')
        );
      },
      (watchdogS + restartS + 30) * 1000,
      'systemd to kill and restart the stopped daemon',
      () => ct.story(UNIT),
    );
    const journal = ct.journal(UNIT, cursor);
    const stopped = managerLines(journal, /Sent signal SIGSTOP to main process/)[0];
    const timeout = managerLines(journal, new RegExp(`Watchdog timeout \\(limit ${watchdogS}s\\)`))[0];
    assert.ok(stopped && timeout, ct.story(UNIT));
    const waitedS = (timeout.realtimeUs - stopped.realtimeUs) / 1e6;
    assert.ok(waitedS <= watchdogS + 1, `the watchdog fired ${waitedS} s after the SIGSTOP`);
    assert.equal(
      managerLines(journal, new RegExp(`Killing process ${before.MainPID} \\(node\\) with signal SIGABRT`))
        .length,
      1,
      ct.story(UNIT),
    );
    assert.equal(managerLines(journal, /Failed with result 'watchdog'/).length, 1);
    assert.equal(managerLines(journal, /Scheduled restart job/).length, 1);
    assert.match(ct.show(UNIT, 'StatusText').StatusText ?? '', /^leader epoch \d+, 1 job$/);
  });

  test('a bad config: exit 78, and no restart (RestartPreventExitStatus=78) until it is fixed', async (t) => {
    if (skipOrFail(t)) return;
    const { ct } = installed();
    const restartS = unitSeconds(SHIPPED, 'RestartSec');
    writeConfig(ct, CONFIG, config(`  broken:\n    schedule: '61 * * * *'\n    command: ['/bin/true']\n`));
    const cursor = ct.cursor();
    let r = ct.systemctl('restart', UNIT);
    assert.notEqual(r.status, 0, 'systemctl restart succeeded with a bad config');
    const failed = ct.show(UNIT, 'ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus', 'NRestarts');
    assert.deepEqual(
      [failed.ActiveState, failed.Result, failed.ExecMainCode, failed.ExecMainStatus],
      ['failed', 'exit-code', '1', '78'],
      ct.story(UNIT),
    );
    // Longer than RestartSec: a restart would have come by now.
    await sleep((restartS + 3) * 1000);
    const later = ct.show(UNIT, 'ActiveState', 'NRestarts');
    assert.deepEqual([later.ActiveState, later.NRestarts], ['failed', failed.NRestarts], ct.story(UNIT));
    const journal = ct.journal(UNIT, cursor);
    assert.equal(managerLines(journal, /^Starting cronkeeper\.service/).length, 1, ct.story(UNIT));
    assert.deepEqual(managerLines(journal, /Scheduled restart job/), []);
    assert.ok(
      journal.some((e) => e.pid !== 1 && e.message.includes('broken')),
      `the problem is not in the journal${ct.story(UNIT)}`,
    );
    // Fixed, then restarted by hand, as systemd/README.md says.
    writeConfig(ct, CONFIG, config(`  fixed:\n    schedule: '1 * * * *'\n    command: ['/bin/true']\n`));
    r = ct.systemctl('restart', UNIT);
    assert.equal(r.status, 0, r.output);
    assert.equal(ct.show(UNIT, 'ActiveState').ActiveState, 'active');
  });
});
