// The shipped alerting rules (deploy/prometheus/): promtool accepts them, their
// unit tests pass (each alert fires on its failure from the first event, none
// on a healthy pair), every metric they name is one the daemon exports, and the
// labelled counters they alert on are exported at 0 before the first event.
//
// promtool comes with Debian's prometheus package, which CI installs: there, a
// missing promtool fails the test; elsewhere it skips it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Metrics } from '../../src/metrics/metrics.js';
import { ROOT } from '../support/daemon.js';

const DIR = path.join(ROOT, 'deploy', 'prometheus');

function promtool(t: TestContext, ...args: string[]): { status: number | null; output: string } | undefined {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  if (r.error) {
    if (process.env.CI === 'true') assert.fail('promtool not installed (CI installs the prometheus package)');
    t.skip('promtool not installed');
    return undefined;
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('promtool checks the rules and passes their unit tests', (t) => {
  const check = promtool(t, 'check', 'rules', 'cronkeeper-rules.yaml');
  if (!check) return;
  assert.equal(check.status, 0, check.output);
  const unit = promtool(t, 'test', 'rules', 'cronkeeper-rules.test.yaml');
  assert.equal(unit!.status, 0, unit!.output);
  assert.match(unit!.output, /SUCCESS/);
});

test('every metric the rules name is exported, the alerted counters at 0 from the start', async () => {
  const metrics = new Metrics();
  metrics.retainJobs(new Map([['billing', {}]]));
  const exposition = await metrics.exposition();
  const exported = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  const rules = fs.readFileSync(path.join(DIR, 'cronkeeper-rules.yaml'), 'utf8');
  const named = new Set([...rules.matchAll(/\b(cronkeeper_[a-z_]+)\b/g)].map((m) => m[1]!));
  assert.ok(named.size >= 8, [...named].join(' '));
  for (const name of named) assert.ok(exported.has(name), `${name} is named by a rule but not exported`);
  for (const series of [
    'cronkeeper_dropped_slots_total{job="billing"} 0',
    'cronkeeper_restore_fallbacks_total{reason="checksum"} 0',
    'cronkeeper_restore_fallbacks_total{reason="truncated"} 0',
    'cronkeeper_clock_jumps_total{direction="forward"} 0',
    'cronkeeper_clock_jumps_total{direction="backward"} 0',
    'cronkeeper_controls_total{action="trigger"} 0',
    'cronkeeper_bad_rows_total{table="cronkeeper_runs"} 0',
  ]) {
    assert.ok(exposition.split('\n').includes(series), `${series} is not exported before the first event`);
  }
});
