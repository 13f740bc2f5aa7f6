// Clock integrity under the real daemon on Postgres, its wall clock stepped
// through the test clock hook (CRONKEEPER_TEST_CLOCK_OFFSET_FILE): a skew
// against the database's clock is exported and logged; a step forward and a
// step back are each logged with their size and counted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../support/daemon.js';
import { createHarness } from '../support/harness.js';

const h = createHarness();

async function sample(base: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('skew against the database is exported and logged; wall-clock steps are logged with their size', async () => {
  const dir = h.tempDir('clock-integrity');
  const db = await h.database();
  const offsetFile = path.join(dir, 'offset');
  fs.writeFileSync(offsetFile, '0');
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { url: "${db.url}" }
http: { listen: "127.0.0.1:0" }
jobs:
  daily:
    schedule: "0 3 * * *"
    command: ["/bin/true"]
`,
  );
  const d = h.startDaemon(config, { CRONKEEPER_TEST_CLOCK_OFFSET_FILE: offsetFile });
  const listening = await d.waitForLog((l) => l.msg === 'http listening', 30_000);
  const base = `http://127.0.0.1:${listening.port as number}`;
  await d.waitForLog((l) => l.msg === 'ready: scheduling', 30_000);

  // In step with the database (same machine): exported, near 0, nothing logged.
  await waitFor(
    async () => (await sample(base, 'cronkeeper_clock_skew_seconds')) !== undefined,
    15_000,
    'a skew sample',
  );
  assert.ok(Math.abs((await sample(base, 'cronkeeper_clock_skew_seconds'))!) < 1);

  // Our clock 1 h ahead: a forward jump of about an hour, and a skew of +3600 s against the database.
  fs.writeFileSync(offsetFile, String(3_600_000));
  const forward = await d.waitForLog(
    (l) => typeof l.msg === 'string' && l.msg.startsWith('wall clock jumped forward'),
    10_000,
  );
  assert.ok(Math.abs((forward.jumpMs as number) - 3_600_000) < 1_000, `jump ${String(forward.jumpMs)} ms`);
  const skewed = await d.waitForLog(
    (l) => typeof l.msg === 'string' && l.msg.includes('disagrees with the database'),
    15_000,
  );
  assert.ok(Math.abs((skewed.skewMs as number) - 3_600_000) < 1_000, `skew ${String(skewed.skewMs)} ms`);
  // /metrics is rendered at most once a second: a scrape may show the values of up to a second ago.
  await waitFor(
    async () => Math.abs((await sample(base, 'cronkeeper_clock_skew_seconds'))! - 3_600) < 1,
    5_000,
    'a skew of about an hour exported',
  );

  // Back in step: a backward jump of about an hour; the skew heals.
  fs.writeFileSync(offsetFile, '0');
  const backward = await d.waitForLog(
    (l) => typeof l.msg === 'string' && l.msg.startsWith('wall clock jumped backward'),
    10_000,
  );
  assert.ok(Math.abs((backward.jumpMs as number) - 3_600_000) < 1_000, `jump ${String(backward.jumpMs)} ms`);
  await d.waitForLog(
    (l) => typeof l.msg === 'string' && l.msg.includes('agrees with the database server'),
    15_000,
  );
  let text = '';
  await waitFor(
    // The series is there from the start, at 0: wait for the count (a render is shared for a second).
    async () => (text = await (await fetch(`${base}/metrics`)).text()).includes('direction="backward"} 1\n'),
    5_000,
    'the backward jump counted in /metrics',
  );
  assert.match(text, /cronkeeper_clock_jumps_total\{direction="forward"\} 1\n/);
  assert.match(text, /cronkeeper_clock_jumps_total\{direction="backward"\} 1\n/);

  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
});
