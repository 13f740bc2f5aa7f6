// Malformed configs, one per file in test/fixtures/bad-configs, each loaded
// through the real loader: the exact problems it must produce, at their exact
// file:line:column. A problem in the fixture itself is written `line:column:
// path: message`; one in another file starts with that file's path (relative
// to the fixtures folder). `<dir>` stands for the fixtures folder's absolute path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError, formatProblem } from '../../../src/config/types.js';

const DIR = fileURLToPath(new URL('../../fixtures/bad-configs', import.meta.url));
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const EXPECTED: ReadonlyArray<[fixture: string, problems: string[]]> = [
  [
    'backfill-without-offset',
    [
      "4:19: jobs.a.backfillFrom: '2026-01-01 00:00' is not an ISO 8601 instant with an offset; use e.g. 2026-01-01T00:00:00Z",
    ],
  ],
  [
    'bad-duration',
    ["4:14: jobs.a.timeout: '5 minutes' is not a duration; use e.g. 500ms, 90s, 15m, 24h, 7d"],
  ],
  ['bad-timezone', ["4:15: jobs.a.timezone: unknown time zone 'Europe/Nowhere'"]],
  ['catchup-unknown-policy', ["4:14: jobs.a.catchup: 'missed' is not one of: all, latest, none"]],
  ['command-and-http', ["5:5: jobs.a.http: exactly one of 'command' or 'http' is required, not both"]],
  ['command-empty-list', ['4:14: jobs.a.command: must name at least the program to run']],
  [
    'command-is-a-string',
    [
      '4:14: jobs.a.command: expected a list of strings (argv), got a string; no shell is involved: write e.g. ["/bin/sh", "-c", "backup.sh --full"]',
    ],
  ],
  ['comments-only', ["1:1: the config file is empty; write 'jobs: {}' for a daemon with no jobs"]],
  // A control character copied into a message is shown escaped, not sent to the terminal.
  [
    'control-character-in-key',
    ["2:1: snap\\u001bshot: unknown key 'snap\\u001bshot'; did you mean 'snapshot'?"],
  ],
  [
    'log-output-bad',
    [
      "4:16: jobs.a.logOutput: 'all' is not one of: lines, tail, none",
      '5:18: jobs.a.logLineRate: must be at least 1, got 0',
      "6:19: jobs.a.keepChildren: expected true or false, got 'yes'",
    ],
  ],
  ['concurrency-fraction', ['2:11: concurrency.perJob: expected an integer, got 1.5']],
  ['concurrency-zero', ['2:8: concurrency.max: must be at least 1, got 0']],
  [
    'cron-bad-minute',
    [
      "3:15: jobs.nightly-report.schedule: invalid cron pattern '61 2 * * *': minute '61' is out of range 0-59",
    ],
  ],
  ['cron-empty', ['3:15: jobs.a.schedule: must not be empty']],
  [
    'cron-field-count',
    [
      "3:15: jobs.nightly-report.schedule: '0 2 * *' has 4 fields; a cron pattern has 5, or 6 with seconds first",
    ],
  ],
  [
    'cron-impossible-date',
    ["3:15: jobs.feb30.schedule: cron pattern '0 0 30 2 *' never matches a date (e.g. the 31st of February)"],
  ],
  ['defaults-unknown-key', ["2:3: defaults.timout: unknown key 'timout'; did you mean 'timeout'?"]],
  [
    'duplicate-job-across-include',
    [
      "included/backup-job.yaml:2:3: jobs.backup: duplicate job 'backup'; first defined at <dir>/duplicate-job-across-include.yaml:3:3",
    ],
  ],
  ['duplicate-job-key', ["5:5: jobs.a.every: duplicate key 'every' (first at line 3, column 5)"]],
  [
    'duplicate-job-name',
    ["5:3: jobs.backup: duplicate job 'backup'; first defined at <dir>/duplicate-job-name.yaml:2:3"],
  ],
  ['duplicate-top-level-key', ["3:1: snapshot: duplicate key 'snapshot' (first at line 1, column 1)"]],
  ['empty-file', ["1:1: the config file is empty; write 'jobs: {}' for a daemon with no jobs"]],
  ['empty-value', ['3:5: jobs.a.every: expected a duration such as 90s, got an empty value']],
  [
    'env-bad-name',
    ["6:7: jobs.a.env.MY-VAR: invalid environment variable name 'MY-VAR'; use letters, digits and '_'"],
  ],
  [
    'env-reserved-name',
    [
      "6:7: jobs.a.env.CRONKEEPER_JOB: 'CRONKEEPER_JOB' is reserved: the daemon sets the CRONKEEPER_* variables",
    ],
  ],
  ['env-with-http', ["5:5: jobs.a.env: 'env' is only allowed with 'command'"]],
  ['every-fraction', ["3:12: jobs.a.every: '1500ms' is not a whole number of seconds"]],
  ['every-not-a-duration', ['3:12: jobs.a.every: 10 has no unit; use e.g. 500ms, 90s, 15m, 24h, 7d']],
  ['every-too-short', ['3:12: jobs.a.every: must be at least 1s']],
  [
    'hook-command-and-http',
    ["7:7: jobs.a.onFailure.http: exactly one of 'command' or 'http' is required, not both"],
  ],
  ['hook-empty', ["2:3: defaults.onSuccess: exactly one of 'command' or 'http' is required"]],
  ['hook-is-a-string', ["5:16: jobs.a.onFailure: expected a map, got '/usr/bin/alert'"]],
  ['http-bad-header', ["7:9: jobs.ping.http.headers.X Token: invalid HTTP header name 'X Token'"]],
  ['http-bad-method', ["4:51: jobs.ping.http.method: invalid HTTP method 'GET /'"]],
  ['http-bad-url', ["4:18: jobs.ping.http.url: 'ftp://example.com/ping' is not an http:// or https:// URL"]],
  ['http-missing-url', ["4:5: jobs.ping.http.url: missing required key 'url'"]],
  ['http-relative-url', ["5:12: jobs.ping.http.url: '/ping' is not an http:// or https:// URL"]],
  ['include-missing-file', ["1:10: include: included file '<dir>/included/missing.yaml' does not exist"]],
  [
    'include-nested',
    [
      "included/nested.yaml:1:1: include: 'include' is not allowed in an included file (includes do not nest)",
    ],
  ],
  ['include-not-a-pattern', ['3:5: include[1]: expected a file pattern, got 42']],
  [
    'include-settings-in-included',
    [
      "included/with-settings.yaml:1:1: snapshot: 'snapshot' is not allowed in an included file; it may contain only 'jobs'",
    ],
  ],
  [
    'include-wildcard-directory',
    ["1:10: include: '*/jobs.yaml': wildcards ('*', '?') are only allowed in the last path segment"],
  ],
  [
    'include-yaml-error',
    [
      "included/broken.yaml:4:14: this '[' is not closed by a ']' (or a line of the list is not indented enough)",
    ],
  ],
  [
    'invalid-job-name',
    [
      "2:3: jobs.nightly report: invalid job name 'nightly report': use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ],
  ],
  ['job-is-a-scalar', ["2:6: jobs.a: expected a map, got 'every 10s'"]],
  ['jobs-is-a-list', ['2:3: jobs: expected a map of job name to job, got a list']],
  [
    'listen-bad-address',
    ["2:11: http.listen: '9464' is not a listen address; use host:port, e.g. 127.0.0.1:9464"],
  ],
  [
    'listen-without-token',
    [
      "2:11: http.listen: '0.0.0.0:9464' is not a loopback address: set http.token, which every request must then present",
    ],
  ],
  [
    'many-problems-one-job',
    [
      "3:15: jobs.billing.schedule: invalid cron pattern '0 25 * * *': hour '25' is out of range 0-23",
      "5:14: jobs.billing.catchup: 'everything' is not one of: all, latest, none",
      '6:14: jobs.billing.timeout: must be greater than 0',
      '7:14: jobs.billing.command: expected a list of strings (argv), got a string; no shell is involved: write e.g. ["/bin/sh", "-c", "bill --all"]',
    ],
  ],
  ['max-catchup-negative', ['4:17: jobs.a.maxCatchup: must be at least 0, got -5']],
  ['no-command-or-http', ["2:3: jobs.a: exactly one of 'command' or 'http' is required"]],
  ['no-schedule', ["2:3: jobs.a: exactly one of 'schedule' or 'every' is required"]],
  ['not-a-map', ['1:1: the config must be a map of settings, got a list']],
  ['offset-not-below-every', ["4:13: jobs.a.offset: must be less than 'every' (1m)"]],
  ['offset-without-every', ["4:5: jobs.a.offset: 'offset' is only allowed with 'every'"]],
  ['output-keep-too-big', ["5:17: jobs.a.outputKeep: must be at most 1MiB, got '10MiB'"]],
  ['overlap-unknown-policy', ["2:12: defaults.overlap: 'wait' is not one of: skip, queue, allow, replace"]],
  ['retries-backoff-order', ["8:19: jobs.a.retries.maxBackoff: must be at least 'backoff' (10m)"]],
  ['retries-negative', ['5:21: jobs.a.retries.max: must be at least 0, got -1']],
  ['retries-not-a-map', ['5:14: jobs.a.retries: expected a map, got 3']],
  ['scalar-document', ["1:1: the config must be a map of settings, got 'hello'"]],
  [
    'schedule-month-13',
    ["3:15: jobs.a.schedule: invalid cron pattern '0 0 1 13 *': month '13' is out of range 1-12"],
  ],
  ['schedule-and-every', ["4:5: jobs.a.every: exactly one of 'schedule' or 'every' is required, not both"]],
  [
    'store-url-bad-host-list',
    ["2:8: store.url: 'postgres://app:***@db1:5432,db2:70000/cron': bad port in 'db2:70000'"],
  ],
  ['store-url-not-postgres', ["2:8: store.url: 'mysql://app:***@db/cron' is not a postgres:// URL"]],
  ['timezone-with-every', ["4:5: jobs.a.timezone: 'timezone' is only allowed with 'schedule'"]],
  ['token-too-short', ['3:10: http.token: must be at least 16 characters']],
  ['unknown-job-key', ["4:5: jobs.a.comand: unknown key 'comand'; did you mean 'command'?"]],
  ['unknown-top-level-key', ["1:1: jobz: unknown key 'jobz'; did you mean 'jobs'?"]],
  ['wrong-type-setting', ["2:9: snapshot.keep: expected a number, got 'ten'"]],
  [
    'yaml-flow-continuation-indent',
    [
      "4:14: this '[' is not closed by a ']' (or a line of the list is not indented enough)",
      '5:3: Implicit map keys need to be followed by map values',
    ],
  ],
  ['yaml-indentation', ['4:1: All mapping items must start at the same column']],
  // Lines are counted right after a syntax error too (the parser's own counter skips one here).
  [
    'yaml-lines-after-error',
    [
      '3:1: Unexpected scalar at node end',
      '4:5: Unexpected map-value-ind token in YAML stream: ":"',
      '5:3: Unexpected scalar token in YAML stream: "listen"',
      '5:9: Unexpected map-value-ind token in YAML stream: ":"',
      '5:11: Unexpected scalar token in YAML stream: "127.0.0.1:9464"',
    ],
  ],
  [
    'yaml-tab-indentation',
    ['2:1: Tabs are not allowed as indentation', '3:1: Tabs are not allowed as indentation'],
  ],
  [
    'yaml-unclosed-flow',
    [
      "2:6: this '{' is not closed by a '}' (or a line of the map is not indented enough)",
      "2:29: this '[' is not closed by a ']' (or a line of the list is not indented enough)",
    ],
  ],
  ['yaml-unclosed-quote', ['3:15: the string opened by this " is never closed']],
  [
    'yaml-unclosed-single-quote',
    [
      "4:14: this '[' is not closed by a ']' (or a line of the list is not indented enough)",
      "4:15: the string opened by this ' is never closed",
    ],
  ],
  ['yaml-unknown-alias', ["4:14: jobs.a.command: unknown alias '*cmd'"]],
  ['zero-duration', ['4:16: jobs.a.killGrace: must be greater than 0']],
];

/** The problems of one fixture as the table writes them. */
async function problemsOf(fixture: string): Promise<string[]> {
  const file = path.join(DIR, `${fixture}.yaml`);
  try {
    // insecure: the checkout's file modes are not under test here.
    await loadConfig(file, { insecure: true, nowMs: NOW, env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems.map((p) => {
      const line = formatProblem({ ...p, file: path.relative(DIR, p.file) }).replaceAll(DIR, '<dir>');
      return line.startsWith(`${fixture}.yaml:`) ? line.slice(fixture.length + 6) : line;
    });
  }
  assert.fail(`${fixture}.yaml loaded without a problem`);
}

describe('malformed configs (test/fixtures/bad-configs)', () => {
  it('every fixture has its expected problems here, and there are at least 40', () => {
    const files = fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
    assert.deepEqual(files, EXPECTED.map(([name]) => name).sort());
    assert.ok(files.length >= 40);
  });

  for (const [fixture, expected] of EXPECTED) {
    it(fixture, async () => {
      assert.deepEqual(await problemsOf(fixture), expected);
    });
  }
});
