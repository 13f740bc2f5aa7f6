// The status page served by the real daemon, in headless Chromium: the jobs and
// the outcomes of their runs as the daemon recorded them, and the token.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { chromiumOr, launchChromium, openStatusPage, waitForStatusShown } from '../support/chromium.js';
import { type DaemonProcess, startDaemon, tempDir } from '../support/daemon.js';

const dir = tempDir('page-daemon');
let daemon: DaemonProcess | undefined;
after(async () => {
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the page shows what the daemon ran, outcome by outcome', async (t) => {
  if (!chromiumOr(t)) return;
  const token = 'page-test-token-0123456789';
  const config = path.join(dir, 'cronkeeper.yaml');
  fs.writeFileSync(
    config,
    `store: { path: "${path.join(dir, 'store')}" }
http: { token: ${token} }
jobs:
  ok-job:
    every: 1s
    command: ["true"]
  failing-job:
    every: 1s
    command: ["/bin/sh", "-c", "echo failing-output-xyz; exit 2"]
  slow-job:
    every: 1s
    timeout: 1500ms
    killGrace: 100ms
    command: ["sleep", "5"]
  yearly:
    schedule: "0 0 1 1 *"
    command: ["true"]
`,
  );
  daemon = startDaemon(config);
  const port = (await daemon.waitForLog((l) => l.msg === 'http listening', 60_000)).port as number;
  await daemon.waitForLog((l) => l.msg === 'run finished' && l.outcome === 'timeout', 30_000);

  // The page carries the status document: a plain GET shows the jobs, with no script run.
  const html = await (
    await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  const carried =
    /<script id="first-status" type="application\/json" data-age-ms="\d+">([^<]*)<\/script>/.exec(html);
  assert.ok(carried, 'the page carries a status document');
  const first = JSON.parse(carried[1]!) as {
    jobs: Array<{ name: string; last: string | null; baseline: string | null }>;
  };
  assert.deepEqual(first.jobs.map((j) => j.name).sort(), ['failing-job', 'ok-job', 'slow-job', 'yearly']);
  // A job that never ran has no last slot, only the baseline its schedule counts from.
  const yearly = first.jobs.find((j) => j.name === 'yearly')!;
  assert.equal(yearly.last, null);
  assert.ok(yearly.baseline !== null);
  assert.ok(first.jobs.find((j) => j.name === 'ok-job')!.last !== null);

  const browser = await launchChromium();
  try {
    const sp = await openStatusPage(browser, `http://127.0.0.1:${port}`, { token });
    const view = await waitForStatusShown(sp);
    const outcomes = (job: string) =>
      new Set(view.jobs.find((j) => j.job === job)?.slots.map((s) => s.outcome));
    assert.ok(outcomes('ok-job').has('success'), JSON.stringify(view.jobs));
    assert.ok(outcomes('failing-job').has('failure'));
    const failing = view.jobs.find((j) => j.job === 'failing-job')!;
    assert.ok(
      failing.slots.some((sl) => sl.outcome === 'failure' && sl.title.includes('failing-output-xyz')),
      'a failed slot shows the end of its output',
    );
    assert.ok(outcomes('slow-job').has('timeout'));
    assert.equal(view.jobs.find((j) => j.job === 'yearly')!.last.text, 'never');
    assert.equal(view.role.toLowerCase(), 'leader');
    assert.deepEqual(sp.errors, [], 'no page errors');
    fs.mkdirSync('test/artifacts', { recursive: true });
    await sp.page.screenshot({ path: 'test/artifacts/status-page-daemon.png', fullPage: true });
    await sp.close();

    // Without the token the page cannot read the status.
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 401);
  } finally {
    await browser.close();
  }
  daemon.proc.kill('SIGTERM');
  assert.equal(await daemon.exited, 0);
});
