// The shipped Grafana dashboard (deploy/grafana/) uses only series cronkeeper
// exports: every metric its queries name is in the daemon's /metrics (a
// histogram's _bucket/_sum/_count included), read from a real daemon.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}

test('every series the dashboard queries is one the daemon exports', async () => {
  const dashboard = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'deploy', 'grafana', 'cronkeeper-dashboard.json'), 'utf8'),
  ) as { uid: string; panels: Panel[] };
  assert.equal(dashboard.uid, 'cronkeeper');
  const named = new Map<string, string>();
  for (const p of dashboard.panels) {
    assert.ok((p.targets ?? []).length > 0, `panel '${p.title}' has a query`);
    for (const t of p.targets ?? []) {
      for (const m of t.expr.matchAll(/\b(cronkeeper_[a-z_]+)\b/g)) named.set(m[1]!, p.title);
    }
  }
  assert.ok(named.size >= 15, [...named.keys()].join(' '));

  const dir = h.tempDir('grafana');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: ./store }\nhttp: { listen: "127.0.0.1:0" }\njobs:\n  tick:\n    every: 1s\n    maxAge: 1h\n    command: ["true"]\n`,
  );
  const d = h.startDaemon(config);
  const listening = await d.waitForLog((l) => l.msg === 'http listening', 30_000);
  await d.waitForLog((l) => l.msg === 'run finished', 30_000);
  const text = await (await fetch(`http://127.0.0.1:${listening.port as number}/metrics`)).text();
  const exported = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exported.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(m[1]! + s);
  }
  for (const [name, panel] of named) {
    assert.ok(exported.has(name), `'${panel}' queries ${name}, which /metrics does not export`);
  }
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
});
