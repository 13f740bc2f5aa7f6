// `cronkeeper import cronjob` (src/import/cronjob*.ts): a CronJob's schedule
// read as the CronJob controller (robfig/cron) reads it, its policies and its
// container as the job's; the example of the Kubernetes docs, a namespace's
// backup jobs and a `kubectl get -o yaml` List (test/fixtures/import/cronjob)
// as exact config text and notes; what is refused and what is an error, with
// the line. Every config is loaded by the config loader.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.js';
import { readSchedule } from '../../../src/import/cronjob-schedule.js';
import { importCronJobs } from '../../../src/import/cronjob.js';
import { dstDifferences } from '../../../src/import/dst-differences.js';
import type { SourceNote } from '../../../src/import/import-notes.js';
import { ROOT } from '../../support/daemon.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/import/cronjob');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronkeeper-import-cronjob-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function importFixture(name: string) {
  return importCronJobs(fs.readFileSync(path.join(FIXTURES, name), 'utf8'), name);
}

function noteLines(report: readonly SourceNote[], onlyMessages = false): string[] {
  return report
    .filter((n) => !onlyMessages || n.message !== undefined)
    .map((n) => `${n.line} ${n.outcome}${n.job ? ` ${n.job}` : ''}${n.message ? `: ${n.message}` : ''}`);
}

let files = 0;
async function load(yaml: string) {
  const file = path.join(dir, `config-${++files}.yaml`);
  fs.writeFileSync(file, yaml, { mode: 0o600 });
  return loadConfig(file, { insecure: true });
}

/** A CronJob manifest with `spec` lines (indented by 2) and a container with `container` lines (indented by 14). */
function cronJob(name: string, spec: string[], container: string[] = ['command: ["/bin/true"]']): string {
  return [
    'apiVersion: batch/v1',
    'kind: CronJob',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    ...spec.map((l) => `  ${l}`),
    '  jobTemplate:',
    '    spec:',
    '      template:',
    '        spec:',
    '          restartPolicy: Never',
    '          containers:',
    '            - name: main',
    '              image: alpine:3.20',
    ...container.map((l) => `              ${l}`),
    '',
  ].join('\n');
}

describe('import cronjob: the schedule', () => {
  it('reads it as the CronJob controller does', () => {
    const table: Array<[string, string, string?]> = [
      ['* * * * *', '* * * * *'],
      ['@hourly', '0 * * * *'],
      ['@daily', '0 0 * * *'],
      ['@midnight', '0 0 * * *'],
      ['@weekly', '0 0 * * 0'],
      ['@monthly', '0 0 1 * *'],
      ['@yearly', '0 0 1 1 *'],
      ['0 9 * * MON-FRI', '0 9 * * 1-5'],
      ['0 0 1 jan,jul ?', '0 0 1 1,7 *'],
      ['5/15 * * * *', '5-59/15 * * * *'],
      // robfig ANDs the day fields when one holds an unstepped * or ? (its star bit): + says so.
      ['0 0 */1 * 1', '0 0 */1 * +1'],
      ['0 0 1,15 * */1', '0 0 1,15 * +*/1'],
      // A step over 1 clears the star bit: both fields are restricted, and ORed, as in cronkeeper.
      ['30 2 */2 * 1-5', '30 2 */2 * 1-5'],
      ['0 0 1 * */2', '0 0 1 * */2'],
      ['0 0 ? * 1', '0 0 * * 1'],
      // Both restricted without a star: OR in both.
      ['0 0 1,15 * 1', '0 0 1,15 * 1'],
      ['CRON_TZ=Europe/Berlin 0 3 * * *', '0 3 * * *', 'Europe/Berlin'],
      ['TZ=Asia/Tokyo @daily', '0 0 * * *', 'Asia/Tokyo'],
    ];
    for (const [schedule, pattern, zone] of table) {
      assert.deepEqual(readSchedule(schedule), { pattern, zone, prefix: zone !== undefined }, schedule);
    }
  });

  it('refuses @every, and is an error where Kubernetes refuses the schedule', () => {
    assert.deepEqual(readSchedule('@every 90m'), {
      unsupported:
        "'@every 90m' counts from the CronJob's last run: a cron pattern cannot say it (a fixed grid from the Unix epoch is every: 90m)",
    });
    assert.deepEqual(readSchedule('@reboot'), {
      error: "'@reboot' is no schedule descriptor Kubernetes knows (@hourly, @daily, @weekly, ...)",
    });
    assert.deepEqual(readSchedule('0 0 * * * *'), {
      error: "'0 0 * * * *' has 6 fields; a CronJob schedule has 5",
    });
    assert.deepEqual(readSchedule('0 0 * * 7'), {
      error: "day of week '7': 7 is out of range 0-6 for Kubernetes",
    });
    assert.deepEqual(readSchedule('61 * * * *'), { error: "minute '61' is out of range 0-59" });
    assert.deepEqual(readSchedule('CRON_TZ=Mars/Olympus 0 0 * * *'), {
      error: "unknown time zone 'Mars/Olympus' in the schedule",
    });
  });

  it('says where DST days differ from the controller: a fixed time in a skipped or repeated hour', () => {
    assert.deepEqual(dstDifferences('30 2 * * *', 'America/New_York', 'kubernetes'), [
      'on the days the clock skips ahead in America/New_York (e.g. 2026-03-08, 02:00 to 03:00), Kubernetes does not run 02:30, which does not exist; cronkeeper runs it once, at 03:00',
    ]);
    assert.deepEqual(dstDifferences('30 1 * * *', 'America/New_York', 'kubernetes'), [
      'on the days the clock goes back in America/New_York (e.g. 2026-11-01, 01:00 to 02:00 twice), Kubernetes runs 01:30 at both times; cronkeeper once, the first time',
    ]);
    // An interval pattern skips and repeats as robfig does; Sundays-off misses the DST days of Europe.
    assert.deepEqual(dstDifferences('*/15 * * * *', 'America/New_York', 'kubernetes'), []);
    assert.deepEqual(dstDifferences('30 2 * * 1-5', 'Europe/Berlin', 'kubernetes'), []);
  });
});

describe('import cronjob: real manifests', () => {
  it('the Kubernetes docs example: the exact job and notes', async () => {
    const result = importFixture('hello.yaml');
    assert.equal(
      result.yaml.slice(result.yaml.indexOf('\njobs:') + 1),
      [
        'jobs:',
        '  # CronJob hello, from line 2',
        "  # note: no timeZone: the controller manager's local time, UTC in most clusters: written as UTC",
        '  # note: image: busybox:1.28: the command ran in this image; cronkeeper runs it as it is on its own host (install what it needs there, or start it with docker run or podman run)',
        "  # not carried over: imagePullPolicy (see the report of 'cronkeeper import cronjob hello.yaml')",
        '  hello:',
        '    schedule: "* * * * *"',
        '    timezone: UTC',
        '    command: ["/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"]',
        '',
      ].join('\n'),
    );
    assert.deepEqual(noteLines(result.report), [
      '2 converted hello',
      '4 skipped hello',
      "7 job hello: no timeZone: the controller manager's local time, UTC in most clusters: written as UTC",
      '13 skipped hello',
      '14 approximated hello: the command ran in this image; cronkeeper runs it as it is on its own host (install what it needs there, or start it with docker run or podman run)',
      '15 unsupported hello: a container setting: cronkeeper runs the command as a process on its own host, without it',
      '16 converted hello',
      '20 skipped hello',
    ]);
    const config = await load(result.yaml);
    const [job] = config.jobs;
    // Kubernetes' own defaults: the newest missed run, runs may overlap, 6 retries, 30s to stop.
    assert.deepEqual(
      [
        job?.catchup,
        job?.overlap,
        job?.retries.max,
        job?.retries.backoffMs,
        job?.retries.maxBackoffMs,
        job?.killGraceMs,
      ],
      ['latest', 'allow', 6, 10_000, 360_000, 30_000],
    );
  });

  it("a namespace's backups: policies, the container's command, $(VAR), literal env; what cannot map is reported", async () => {
    const result = importFixture('backups.yaml');
    assert.deepEqual(noteLines(result.report, true), [
      '2 skipped: a ConfigMap, not a CronJob',
      // Odd days: Sunday 2026-03-29 and 2026-10-25 are run days, so the DST days differ.
      '18 job db-backup: on the days the clock skips ahead in Europe/Berlin (e.g. 2026-03-29, 02:00 to 03:00), Kubernetes does not run 02:30, which does not exist; cronkeeper runs it once, at 03:00; on the days the clock goes back in Europe/Berlin (e.g. 2026-10-25, 02:00 to 03:00 twice), Kubernetes runs 02:30 at both times; cronkeeper once, the first time',
      '20 approximated db-backup: under Forbid, Kubernetes may start a skipped run once the previous one ends, within startingDeadlineSeconds; cronkeeper skips it',
      '21 converted db-backup: catchupWindow: 10m: a run missed by more than that is not made up',
      "22 skipped db-backup: cronkeeper keeps every run in its ledger for ledger.retention (see 'cronkeeper runs')",
      "23 skipped db-backup: cronkeeper keeps every run in its ledger for ledger.retention (see 'cronkeeper runs')",
      '26 approximated db-backup: retries: max 2; Kubernetes waits 10s, 20s, 40s, ... (at most 6m) before each new pod, cronkeeper a random time up to the same bounds',
      '27 approximated db-backup: timeout: for each attempt here; Kubernetes counted the Job with all its retries',
      "28 skipped db-backup: cronkeeper keeps every run in its ledger for ledger.retention (see 'cronkeeper runs')",
      '35 unsupported db-backup: a pod setting: cronkeeper runs the command as a process on its own host, without it',
      '39 approximated db-backup: the command ran in this image; cronkeeper runs it as it is on its own host (install what it needs there, or start it with docker run or podman run)',
      '48 unsupported db-backup: PGPASSWORD comes from a Secret, ConfigMap or the pod (valueFrom): not known here; set it in env: (or list it in inheritEnv)',
      '53 unsupported db-backup: variables from a ConfigMap or Secret: not known here; set them in env:',
      '56 unsupported db-backup: a container setting: cronkeeper runs the command as a process on its own host, without it',
      '59 unsupported db-backup: a container setting: cronkeeper runs the command as a process on its own host, without it',
      '62 unsupported db-backup: a pod setting: cronkeeper runs the command as a process on its own host, without it',
      '73 job cache-warmup: on the days the clock skips ahead in Europe/Berlin (e.g. 2026-03-29, 02:00 to 03:00), Kubernetes does not run 02:00, which does not exist; cronkeeper runs it once, at 03:00; on the days the clock goes back in Europe/Berlin (e.g. 2026-10-25, 02:00 to 03:00 twice), Kubernetes runs 02:00 at both times; cronkeeper once, the first time',
      "76 approximated cache-warmup: suspended: a config cannot say paused; before the first 'cronkeeper run', pause it: cronkeeper pause cache-warmup (the request waits in the store)",
      '85 approximated cache-warmup: the command ran in this image; cronkeeper runs it as it is on its own host (install what it needs there, or start it with docker run or podman run)',
    ]);
    assert.match(
      result.yaml,
      /\n {2}# SUSPENDED in Kubernetes: run 'cronkeeper pause cache-warmup' before the daemon starts\n/,
    );
    const config = await load(result.yaml);
    const backup = config.jobs.find((j) => j.name === 'db-backup')!;
    assert.deepEqual(backup.schedule, {
      kind: 'cron',
      pattern: '30 2 */2 * 1-5',
      timezone: 'Europe/Berlin',
    });
    assert.deepEqual(
      backup.action.kind === 'command' && [backup.action.argv, backup.action.cwd, backup.action.env],
      [
        ['pg_dump', '--format=custom', '--file=/backup/app.dump', '--verbose', 'app'],
        '/backup',
        { PGHOST: 'db.prod.svc', PGDATABASE: 'app' },
      ],
    );
    assert.deepEqual(
      [backup.overlap, backup.catchupWindowMs, backup.retries.max, backup.timeoutMs, backup.killGraceMs],
      ['skip', 600_000, 2, 3_600_000, 60_000],
    );
    const warmup = config.jobs.find((j) => j.name === 'cache-warmup')!;
    assert.deepEqual([warmup.overlap, warmup.retries.max], ['replace', 0]);
  });

  it('a List from kubectl get -o yaml: CRON_TZ, ?, names, $$; two containers, @every and an ENTRYPOINT are refused', async () => {
    const result = importFixture('cronjob-list.yaml');
    assert.equal(result.jobs, 1);
    assert.deepEqual(noteLines(result.report, true), [
      "17 job log-shipper: Kubernetes does not support TZ= in a schedule (use timeZone); read as the job's zone",
      '27 approximated log-shipper: the command ran in this image; cronkeeper runs it as it is on its own host (install what it needs there, or start it with docker run or podman run)',
      '47 unsupported: CronJob ops/report-with-sidecar: not imported: 2 containers: a cronkeeper job runs one command',
      "59 unsupported: CronJob ops/entrypoint-only: not imported: '@every 90m' counts from the CronJob's last run: a cron pattern cannot say it (a fixed grid from the Unix epoch is every: 90m)",
      "68 unsupported: CronJob ops/entrypoint-only: not imported: args without command run after the image's ENTRYPOINT, which the manifest does not say: write the whole command",
    ]);
    const [job] = (await load(result.yaml)).jobs;
    assert.deepEqual(job?.schedule, {
      kind: 'cron',
      pattern: '15 */6 * * 1-5',
      timezone: 'America/New_York',
    });
    assert.deepEqual(job?.action.kind === 'command' && job.action.argv, [
      '/usr/local/bin/ship-logs',
      '--since',
      '6h',
      '--dest',
      'https://logs.example.org/ingest',
      '--keep-$(literal)',
    ]);
  });
});

describe('import cronjob: refusals and errors', () => {
  const messages = (text: string) => noteLines(importCronJobs(text, 'x.yaml').report, true);

  it('what the API server refuses is an error at its line', () => {
    const result = importCronJobs(
      cronJob('a', ['schedule: "0 0 * * 7"', 'concurrencyPolicy: Sometimes', 'timeZone: Mars/Olympus']),
      'x.yaml',
    );
    assert.equal(result.errors, 3);
    assert.deepEqual(noteLines(result.report, true), [
      "6 error: CronJob a: day of week '7': 7 is out of range 0-6 for Kubernetes",
      "7 error: CronJob a: 'Sometimes' is not Allow, Forbid or Replace",
      "8 error: CronJob a: unknown time zone 'Mars/Olympus'",
    ]);
    assert.deepEqual(messages('apiVersion: batch/v1\nkind: CronJob\nmetadata: {}\nspec: {}\n'), [
      '3 error: CronJob (no name): no metadata.name: the API server refuses the CronJob',
    ]);
    assert.deepEqual(messages(cronJob('b', ['schedule: "CRON_TZ=UTC @daily"', 'timeZone: UTC'])), [
      '6 error: CronJob b: a TZ= in the schedule and a timeZone: Kubernetes refuses both',
    ]);
    assert.deepEqual(
      messages(
        cronJob(
          'c',
          ['schedule: "@daily"'],
          ['command: ["/bin/echo"]', 'env:', '  - name: NUM', '    value: 5'],
        ),
      ),
      ['17 error: CronJob c: NUM: the value is no string (quote it): the API server refuses it'],
    );
    assert.deepEqual(messages('apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: d\n  name: e\n'), [
      '5 error: Map keys must be unique',
    ]);
  });

  it('a CronJob cronkeeper cannot run as Kubernetes did is refused, saying why and nothing else', () => {
    assert.deepEqual(
      messages(
        cronJob('f', ['schedule: "@daily"']).replace(
          '    spec:\n      template:',
          '    spec:\n      completions: 3\n      template:',
        ),
      ),
      [
        '9 unsupported: CronJob f: not imported: completions 3 runs the command several times for one slot, which a cronkeeper job cannot',
      ],
    );
    assert.deepEqual(
      messages(
        cronJob(
          'g',
          ['schedule: "@daily"'],
          [
            'command: ["/bin/backup", "--password=$(PW)"]',
            'env:',
            '  - name: PW',
            '    valueFrom: {secretKeyRef: {name: s, key: k}}',
          ],
        ),
      ),
      [
        '15 unsupported: CronJob g: not imported: $(PW) in the command comes from valueFrom, which is not known here',
      ].sort((a, b) => Number.parseInt(a) - Number.parseInt(b)),
    );
  });

  it('names stay unique; YAML 1.1 booleans are read as Kubernetes reads them', async () => {
    const text = [
      cronJob('twin', ['schedule: "@hourly"', 'suspend: yes']),
      cronJob('twin', ['schedule: "@daily"', 'suspend: off']),
    ].join('---\n');
    const result = importCronJobs(text, 'x.yaml');
    assert.deepEqual(
      result.report.filter((n) => n.outcome === 'job').map((n) => n.job),
      ['twin', 'twin-2'],
    );
    assert.deepEqual(
      result.report.filter((n) => n.source.includes('suspend')).map((n) => n.outcome),
      ['approximated', 'converted'],
    );
    assert.deepEqual(
      (await load(result.yaml)).jobs.map((j) => j.name),
      ['twin', 'twin-2'],
    );
  });
});
