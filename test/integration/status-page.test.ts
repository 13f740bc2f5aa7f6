// The status page (src/http/status-page.ts) in headless Chromium, served with
// a fixture status document from a small HTTP server: what it shows, that it
// escapes what it shows, sends ?token= as a Bearer token, refreshes itself,
// and keeps the last data under an error banner when `status` fails.
// Screenshots go to test/artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { firstStatusElement, renderStatusPage, statusPageParts } from '../../src/http/status-page.js';
import { type Status, isFailing } from '../../src/status/read-status.js';
import {
  assertHeaderShows,
  assertJobsShown,
  chromiumOr,
  launchChromium,
  openStatusPage,
  type StatusDocument,
  type StatusPage,
  waitForStatusShown,
} from '../support/chromium.js';
import { ROOT } from '../support/daemon.js';

// The fixture is written against the status contract; the real document must fit it.
const _contract: (s: Status) => StatusDocument = (s) => s;

const ARTIFACTS = path.join(ROOT, 'test/artifacts');
const NOW = Date.parse('2026-11-26T23:50:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

type Job = StatusDocument['jobs'][number];
type Run = Job['recent'][number];
type Outcome = Run['outcome'];

let runIds = 1000;
/** Runs at `first`, `first + every`, …, one per outcome; `c` marks a catch-up run: 'success c'. */
function runs(first: number, every: number, outcomes: string[], durationMs = 1200): Run[] {
  return outcomes.map((spec, i) => {
    const [outcome, flag] = spec.split(' ') as [Outcome, string | undefined];
    const active = outcome === 'running' || outcome === 'claimed';
    return {
      runId: runIds++,
      scheduledAt: iso(first + i * every),
      catchup: flag === 'c',
      outcome,
      durationMs: active ? null : Math.round(durationMs * (0.6 + ((i * 37) % 10) / 12) * 10) / 10,
    };
  });
}

function fixture(): StatusDocument {
  runIds = 1000;
  const nightlyFirst = Date.parse('2026-11-07T01:30:00.000Z');
  const nightly = runs(
    nightlyFirst,
    DAY,
    [
      ...Array<string>(9).fill('success'),
      'failure',
      ...Array<string>(5).fill('success'),
      'success c',
      'success c',
      'success c',
      'success',
      'success',
    ],
    184_000,
  );
  const billingFirst = NOW - 13 * 90_000;
  const billing = runs(billingFirst, 90_000, [
    'success c',
    'success',
    'success',
    'timeout',
    'success',
    'success',
    'success',
    'success',
    'timeout',
    'timeout',
    'success',
    'success',
    'success',
    'running',
  ]);
  const cacheFirst = NOW - 19 * 10_000;
  const cache = runs(
    cacheFirst,
    10_000,
    [
      ...Array<string>(7).fill('success'),
      'stopped',
      ...Array<string>(6).fill('success'),
      'success',
      'success',
      'success',
      'success',
      'success',
      'failure',
    ],
    3_400,
  );
  const xFirst = NOW - 6 * 5 * MIN;
  // Failing, though its newest finished runs are not failures: they say nothing about the job itself.
  const x = runs(xFirst, 5 * MIN, ['success', 'error', 'stopped', 'interrupted', 'skipped', 'claimed'], 42);
  return withFailing({
    now: iso(NOW),
    store: 'postgres',
    node: { nodeId: 'node-a', role: 'leader', ready: false, catchUp: { done: 3, total: 10 } },
    leader: {
      nodeId: 'node-a',
      epoch: 7,
      since: iso(NOW - 2 * HOUR - 14 * MIN),
      ledForMs: 2 * HOUR + 14 * MIN,
      heartbeatAt: iso(NOW - 1_500),
    },
    nodes: [
      {
        nodeId: 'node-a',
        host: 'cron-1.internal',
        pid: 4242,
        role: 'leader',
        epoch: 7,
        startedAt: iso(NOW - 3 * DAY),
        seenAt: iso(NOW - 1_500),
      },
      {
        nodeId: 'node-b',
        host: 'cron-2.internal',
        pid: 3117,
        role: 'standby',
        epoch: null,
        startedAt: iso(NOW - 2 * HOUR - 13 * MIN),
        seenAt: iso(NOW - 4_000),
      },
    ],
    // Newest heartbeat first, as read-status.ts lists them.
    workers: [
      {
        workerId: 'w-7f3a',
        pool: 'batch',
        host: 'worker-1.internal',
        pid: 5151,
        concurrency: 4,
        running: 3,
        state: 'alive',
        startedAt: iso(NOW - 5 * HOUR),
        heartbeatAt: iso(NOW - 2_000),
        heartbeatAgeMs: 2_000,
      },
      {
        workerId: 'w-0c9e',
        pool: 'gpu',
        host: 'worker-2.internal',
        pid: 808,
        concurrency: 2,
        running: 1,
        state: 'silent',
        startedAt: iso(NOW - DAY),
        heartbeatAt: iso(NOW - 3 * MIN),
        heartbeatAgeMs: 3 * MIN,
      },
    ],
    snapshot: { id: 42, createdAt: iso(NOW - 12_000), highWater: 1234, epoch: 7, bytes: 210 },
    jobs: [
      {
        name: 'nightly-report',
        schedule: '30 2 * * * (Europe/Berlin)',
        timezone: 'Europe/Berlin',
        catchup: 'all',
        overlap: 'skip',
        last: nightly.at(-1)!.scheduledAt,
        next: iso(Date.parse(nightly.at(-1)!.scheduledAt!) + DAY),
        lastSuccess: nightly.at(-1)!.scheduledAt,
        maxAge: '1d2h',
        stale: false,
        staleAt: iso(Date.parse(nightly.at(-1)!.scheduledAt!) + 26 * HOUR),
        dropped: 0,
        recent: nightly,
      },
      {
        name: 'billing-sync',
        schedule: 'every 1m30s',
        catchup: 'latest',
        overlap: 'queue',
        last: billing.at(-1)!.scheduledAt,
        next: iso(Date.parse(billing.at(-1)!.scheduledAt!) + 90_000),
        dropped: 12,
        recent: billing,
        gaps: [
          // Older than the grid: not shown.
          {
            reason: 'expired',
            firstSlot: iso(billingFirst - 900_000),
            lastSlot: iso(billingFirst - 90_000),
            slots: 10,
            exact: true,
          },
          // Between the 4th and 5th square.
          {
            reason: 'dropped',
            firstSlot: iso(billingFirst + 3 * 90_000 + 1_000),
            lastSlot: iso(billingFirst + 3 * 90_000 + 60_000),
            slots: 12,
            exact: true,
          },
          // After the newest square.
          {
            reason: 'paused',
            firstSlot: iso(NOW + 1_000),
            lastSlot: iso(NOW + 1_000),
            slots: 1,
            exact: true,
          },
        ],
      },
      {
        name: 'cache-warm',
        schedule: 'every 10s',
        catchup: 'none',
        overlap: 'replace',
        last: cache.at(-1)!.scheduledAt,
        next: iso(NOW + 10_000),
        dropped: 0,
        recent: cache,
      },
      {
        name: '<b>x</b>',
        schedule: '*/5 * * * *',
        catchup: 'none',
        overlap: 'allow',
        last: x.at(-1)!.scheduledAt,
        next: null,
        lastSuccess: x[4]!.scheduledAt,
        maxAge: '5m',
        stale: true,
        staleAt: iso(Date.parse(x[4]!.scheduledAt!) + 5 * MIN),
        dropped: 0,
        recent: x,
      },
      {
        name: 'weekly-digest',
        schedule: '0 9 * * 1 (America/New_York)',
        timezone: 'America/New_York',
        catchup: 'latest',
        overlap: 'skip',
        paused: { since: iso(NOW - 3_600_000), by: 'alice', reason: 'vendor outage' },
        last: null,
        next: null,
        lastSuccess: null,
        maxAge: '8d',
        stale: true,
        staleAt: iso(NOW - HOUR),
        dropped: 0,
        recent: [],
      },
    ],
  });
}

/** Each job's `failing`, as the server judges it from the same runs. */
function withFailing(doc: StatusDocument): StatusDocument {
  for (const job of doc.jobs) job.failing = isFailing(job.recent);
  return doc;
}

// The server: GET / → the page (carrying `doc` while `carry`, as the daemon sends it), GET /status →
// `doc` (or a 500 while `failing`, no answer at all while `stalled`).
let doc: StatusDocument = fixture();
let failing = false;
let carry = false;
let stalled = false;
const statusRequests: { authorization: string | undefined }[] = [];
const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP });
    if (!carry) return res.end(renderStatusPage());
    const { head, tail } = statusPageParts();
    res.end(head + firstStatusElement(JSON.stringify(doc, null, 2), 1_500) + tail);
  } else if (url.pathname === '/status') {
    statusRequests.push({ authorization: req.headers.authorization });
    if (stalled) return;
    if (failing) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'the store cannot be read: connection refused' }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(doc));
    }
  } else {
    res.writeHead(404).end();
  }
});
let base = '';
let browser: Browser | undefined;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await browser?.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function getBrowser(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

async function withPage(
  o: Parameters<typeof openStatusPage>[2],
  fn: (sp: StatusPage) => Promise<void>,
): Promise<void> {
  const sp = await openStatusPage(await getBrowser(), base, o);
  try {
    await fn(sp);
    assert.deepEqual(sp.errors, [], 'no page errors, console errors or failed requests');
  } finally {
    await sp.close();
  }
}

function reset(): void {
  doc = fixture();
  failing = false;
  carry = false;
  stalled = false;
  statusRequests.length = 0;
}

test('shows every job with its schedule, policies, last and next slot, and its recent slots', async (t) => {
  if (!chromiumOr(t)) return;
  reset();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await withPage({}, async (sp) => {
    const view = await waitForStatusShown(sp, doc, 5_000);
    assertJobsShown(view, doc);
    assertHeaderShows(view, doc);

    // The header: this node leads, the leader with its epoch, snapshot age, catch-up progress.
    assert.equal(view.role, 'leader');
    assert.equal(view.nodeId, 'node-a');
    assert.equal(view.ready, 'catching up');
    assert.match(view.leader, /^Leader node-a · epoch 7 leading for 2 h 14 m/);
    assert.match(view.snapshot, /^Snapshot #42, 1[2-9] s ago/);
    assert.match(view.catchUp ?? '', /^Catch-up 3 \/ 10 runs 30%/);
    assert.equal(view.updated, 'updated 23:50:00 UTC');
    assert.equal(view.banner, null);
    assert.match(view.summary, /5 jobs · 2 failing · 2 stale · 2 running · 12 slots dropped/);
    assert.deepEqual(view.nodes, [
      { nodeId: 'node-a', role: 'leader' },
      { nodeId: 'node-b', role: 'standby' },
    ]);
    assert.match(view.title, /^✖ 2 failing · node-a \(leader\) · cronkeeper$/);

    // The workers, newest heartbeat first: pool, state, runs in progress / capacity, host, heartbeat.
    assert.equal(view.workersShown, true);
    assert.deepEqual(
      view.workers.map((w) => [
        w.worker,
        w.state,
        w.cells.pool,
        w.cells.state,
        w.cells.running,
        w.cells.host,
      ]),
      [
        ['w-7f3a', 'alive', 'batch', 'alive', '3 / 4', 'worker-1.internal · pid 5151'],
        ['w-0c9e', 'silent', 'gpu', 'silent', '1 / 2', 'worker-2.internal · pid 808'],
      ],
    );
    assert.match(view.workers[0]!.cells.heartbeat, /^[2-9] s ago$/);
    assert.match(view.workers[1]!.cells.heartbeat, /^3 m ago$/);
    assert.equal(
      await sp.page.locator('tr[data-worker="w-0c9e"] td[data-col="state"] .role.silent').count(),
      1,
      'a silent worker is marked so',
    );
    // Its heartbeat time stays live, as the page's other times.
    await sp.waitFor(
      (v) => assert.notEqual(v.workers[0]!.cells.heartbeat, view.workers[0]!.cells.heartbeat),
      3_000,
      'the heartbeat time to move on',
    );

    // Room for slots to come is a dot, no square; a skipped slot is a solid square.
    const look = (selector: string) =>
      sp.page.evaluate(
        `(() => { const s = getComputedStyle(document.querySelector(${JSON.stringify(selector)})); return [s.backgroundColor, s.backgroundImage]; })()`,
      ) as Promise<[string, string]>;
    const [emptyColour, emptyImage] = await look('.grid .slot.empty');
    assert.equal(emptyColour, 'rgba(0, 0, 0, 0)');
    assert.match(emptyImage, /^radial-gradient/);
    const [skippedColour, skippedImage] = await look(".grid .slot[data-outcome='skipped']");
    assert.notEqual(skippedColour, 'rgba(0, 0, 0, 0)');
    assert.equal(skippedImage, 'none');

    // Rows, by name; every outcome, in order.
    assert.deepEqual(
      view.jobs.map((j) => j.job),
      ['nightly-report', 'billing-sync', 'cache-warm', '<b>x</b>', 'weekly-digest'],
    );
    const row = (name: string) => view.jobs.find((j) => j.job === name)!;
    assert.deepEqual(
      row('<b>x</b>').slots.map((s) => s.outcome),
      ['success', 'error', 'stopped', 'interrupted', 'skipped', 'claimed'],
    );
    assert.deepEqual(
      row('billing-sync').slots.map((s) => s.outcome),
      doc.jobs[1]!.recent.map((r) => r.outcome),
    );
    assert.equal(row('billing-sync').slots[0]!.catchup, true);
    assert.equal(row('billing-sync').slots.at(-1)!.outcome, 'running');
    assert.deepEqual(
      row('nightly-report')
        .slots.map((s, i) => (s.catchup ? i : -1))
        .filter((i) => i >= 0),
      [15, 16, 17],
    );
    assert.equal(row('nightly-report').slots.length, 20);
    assert.equal(row('weekly-digest').slots.length, 0);
    assert.equal(
      await sp.page.locator('tr[data-job="weekly-digest"] td[data-col="slots"]').textContent(),
      'no runs yet',
    );
    const outcomes = new Set(view.jobs.flatMap((j) => j.slots.map((s) => s.outcome)));
    for (const o of [
      'success',
      'failure',
      'timeout',
      'error',
      'stopped',
      'skipped',
      'interrupted',
      'running',
    ]) {
      assert.ok(outcomes.has(o), o);
    }

    // Schedules, last/next (UTC ISO + relative), dropped.
    const billing = row('billing-sync');
    assert.equal(billing.schedule, 'every 1m30s');
    // Slots not run sit where they fall in time, with why in the tooltip.
    const squares = billing.slots.length;
    assert.deepEqual(billing.timeline, [
      ...Array<string>(4).fill('slot'),
      'gap:dropped:12',
      ...Array<string>(squares - 4).fill('slot'),
      'gap:paused:1',
    ]);
    assert.match(billing.gapTitles[0]!, /^12 slots not run: dropped by maxCatchup\n\S+Z … \S+Z$/);
    assert.match(billing.gapTitles[1]!, /^1 slot not run: missed while paused\n\S+Z$/);
    assert.equal(billing.policy, 'catch-up latest overlap queue');
    assert.match(billing.last.text, /^2026-11-26T23:50:00Z (now|\d s ago)$/);
    assert.match(billing.next.text, /^2026-11-26T23:51:30Z in 1 m$/);
    assert.equal(billing.dropped, 12);
    assert.equal(billing.droppedHighlighted, true);
    // A zoned job's slots also in its zone (02:30 in Berlin, UTC+1 in November).
    assert.match(
      row('nightly-report').last.text,
      /^2026-11-26T01:30:00Z 02:30:00 GMT\+1 22 h (20|21) m ago$/,
    );
    assert.match(row('nightly-report').next.text, /^2026-11-27T01:30:00Z 02:30:00 GMT\+1 in 1 h (39|40) m$/);
    assert.equal(row('weekly-digest').last.text, 'never');
    // A paused job says so, with who paused it and why, and has no next slot.
    assert.equal(row('weekly-digest').policy, 'catch-up latest overlap skip paused');
    assert.equal(row('weekly-digest').next.text, 'paused');
    assert.match(
      (await sp.page.locator('tr[data-job="weekly-digest"] .tag.paused').getAttribute('title')) ?? '',
      /^paused since 2026-11-26T22:50:00Z by alice: vendor outage/,
    );
    assert.equal(billing.policy, 'catch-up latest overlap queue');
    assert.equal(row('<b>x</b>').next.text, '—');
    // maxAge: a stale job is marked, with its last success (or none) and since when it is stale.
    assert.equal(
      row('<b>x</b>').stale,
      'no successful run since 2026-11-26T23:40:00Z · maxAge 5m · stale since 2026-11-26T23:45:00Z',
    );
    assert.equal(
      row('weekly-digest').stale,
      'never succeeded · maxAge 8d · stale since 2026-11-26T22:50:00Z',
    );
    assert.equal(row('nightly-report').stale, null, 'fresh within its maxAge');
    assert.equal(billing.stale, null, 'no maxAge: no freshness check');
    assert.equal(row('nightly-report').droppedHighlighted, false);

    // The tooltip of a square: time, outcome, duration, catch-up.
    const catchUpSlot = row('nightly-report').slots[15]!;
    assert.match(catchUpSlot.title, /^2026-11-22T01:30:00Z\nsuccess · \d+ m \d+ s\ncatch-up run\nrun #1015$/);

    // The job name that looks like markup is shown as text.
    assert.equal(row('<b>x</b>').name, '<b>x</b>');
    assert.equal(row('<b>x</b>').nameElements, 0);
    assert.equal(await sp.page.locator('#jobs b:text-is("x")').count(), 0);

    // No Authorization header without ?token=.
    assert.ok(statusRequests.length >= 1);
    assert.ok(statusRequests.every((r) => r.authorization === undefined));

    await sp.page.screenshot({
      path: path.join(ARTIFACTS, 'status-page.png'),
      fullPage: true,
      animations: 'disabled',
    });
  });
  await withPage({ colorScheme: 'dark' }, async (sp) => {
    await waitForStatusShown(sp, doc, 5_000);
    await sp.page.screenshot({
      path: path.join(ARTIFACTS, 'status-page-dark.png'),
      fullPage: true,
      animations: 'disabled',
    });
  });
  // A laptop-sized window: the table fits without scrolling sideways.
  await withPage({ width: 1024, height: 768 }, async (sp) => {
    await waitForStatusShown(sp, doc, 5_000);
    const overflow = await sp.page.evaluate(
      "(() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; })()",
    );
    await sp.page.screenshot({
      path: path.join(ARTIFACTS, 'status-page-1024.png'),
      fullPage: true,
      animations: 'disabled',
    });
    assert.ok((overflow as number) <= 0, `the jobs table fits (${String(overflow)} px too wide)`);
    await sp.page.screenshot({
      path: path.join(ARTIFACTS, 'status-page-1024.png'),
      fullPage: true,
      animations: 'disabled',
    });
  });
  // A narrow window: rows become cards, nothing scrolls sideways.
  await withPage({ width: 390, height: 844 }, async (sp) => {
    const view = await waitForStatusShown(sp, doc, 5_000);
    assert.equal(view.jobs.length, 5);
    const overflow = await sp.page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok((overflow as number) <= 0, `no horizontal scrolling (${String(overflow)} px too wide)`);
    await sp.page.screenshot({
      path: path.join(ARTIFACTS, 'status-page-narrow.png'),
      fullPage: true,
      animations: 'disabled',
    });
  });
});

test('escapes every string from the status document', async (t) => {
  if (!chromiumOr(t)) return;
  reset();
  const probe = '<img src=x onerror="window.pwned=1">';
  doc.node!.nodeId = probe;
  doc.leader!.nodeId = probe;
  doc.nodes[1]!.host = probe;
  doc.workers[0]!.workerId = probe;
  doc.workers[0]!.pool = probe;
  doc.workers[1]!.host = probe;
  doc.workers[1]!.state = probe;
  doc.jobs[0]!.name = probe;
  doc.jobs[0]!.schedule = probe;
  doc.jobs[0]!.catchup = probe;
  doc.jobs[0]!.recent[0]!.outcome = probe;
  await withPage({}, async (sp) => {
    const view = await sp.waitFor((v) => assert.equal(v.jobs[0]?.name, probe), 5_000, 'the probe job');
    assert.equal(view.nodeId, probe);
    assert.ok(view.leader.includes(probe));
    assert.equal(view.jobs[0]!.schedule, probe);
    assert.equal(view.jobs[0]!.slots[0]!.outcome, probe);
    assert.equal(view.workers[0]!.worker, probe);
    assert.equal(view.workers[0]!.cells.worker, probe);
    assert.equal(view.workers[0]!.cells.pool, probe);
    assert.equal(view.workers[0]!.extraElements, 0);
    assert.equal(view.workers[1]!.cells.host, `${probe} · pid 808`);
    assert.equal(view.workers[1]!.cells.state, probe);
    assert.equal(await sp.page.locator('img').count(), 0);
    assert.equal(await sp.page.evaluate('window.pwned'), undefined);
  });
});

test('shows no workers section when there are no workers (no runOn pools)', async (t) => {
  if (!chromiumOr(t)) return;
  reset();
  doc.workers = [];
  await withPage({}, async (sp) => {
    const view = await waitForStatusShown(sp, doc, 5_000);
    assert.equal(view.workersShown, false);
    assert.deepEqual(view.workers, []);
    assert.equal(await sp.page.locator('#workers-panel').isVisible(), false);
    assert.equal(view.nodes.length, 2, 'the nodes still show');
  });
});

test('paints the status document the page carries at once, before any fetch (a status that never answers)', async (t) => {
  if (!chromiumOr(t)) return;
  reset();
  carry = true;
  stalled = true;
  // A name that would end the script element, were it not escaped.
  doc.jobs[0]!.name = '</script><script>window.pwned=1</script>';
  await withPage({}, async (sp) => {
    const view = await waitForStatusShown(sp, doc, 1_000);
    assert.equal(view.banner, null);
    assert.equal(view.jobs[0]!.job, doc.jobs[0]!.name);
    assert.equal(await sp.page.evaluate('window.pwned'), undefined);
    assert.equal(
      statusRequests.length,
      0,
      'shown from the page itself; status is fetched at the next refresh',
    );
  });
});

test('sends ?token= as a Bearer token with its fetch of status', async (t) => {
  if (!chromiumOr(t)) return;
  reset();
  await withPage({ token: 'abc' }, async (sp) => {
    await waitForStatusShown(sp, doc, 5_000);
    assert.ok(statusRequests.length >= 1);
    assert.deepEqual(
      statusRequests.map((r) => r.authorization),
      statusRequests.map(() => 'Bearer abc'),
    );
    assert.equal(await sp.page.getAttribute('#json-link', 'href'), 'status?token=abc');
  });
});

test('refreshes itself every 5 s', async (t) => {
  if (!chromiumOr(t)) return;
  reset();
  await withPage({}, async (sp) => {
    await waitForStatusShown(sp, doc, 5_000);
    // Catch-up finishes, the running slot succeeds, a new one starts, a job is added.
    const next = fixture();
    next.now = iso(NOW + 90_000);
    next.node!.ready = true;
    next.node!.catchUp = null;
    const billing = next.jobs[1]!;
    billing.recent.at(-1)!.outcome = 'failure';
    billing.recent.at(-1)!.durationMs = 5_021;
    billing.recent.push({
      runId: 5000,
      scheduledAt: iso(NOW + 90_000),
      catchup: false,
      outcome: 'running',
      durationMs: null,
    });
    billing.recent.shift();
    billing.last = iso(NOW + 90_000);
    billing.next = iso(NOW + 180_000);
    next.jobs.push({ ...next.jobs[4]!, name: 'added-later', recent: [] });
    // The alive worker stops; the silent one is no longer listed.
    next.workers = [{ ...next.workers[0]!, state: 'stopped', running: 0 }];
    const changedAt = Date.now();
    doc = next;
    const view = await waitForStatusShown(sp, next, 6_500);
    t.diagnostic(`the change showed after ${Date.now() - changedAt} ms`);
    assert.equal(view.catchUp, null);
    assert.equal(view.ready, 'ready');
    assert.equal(view.updated, 'updated 23:51:30 UTC');
    assert.deepEqual(
      view.jobs
        .find((j) => j.job === 'billing-sync')!
        .slots.slice(-2)
        .map((s) => s.outcome),
      ['failure', 'running'],
    );
    assert.deepEqual(
      view.workers.map((w) => [w.worker, w.state, w.cells.running]),
      [['w-7f3a', 'stopped', '0 / 4']],
    );
    // All workers gone: the section goes too.
    next.workers = [];
    await sp.waitFor((v) => assert.equal(v.workersShown, false), 6_500, 'the workers section to go');
  });
});

test('shows an error banner when status fails, keeping the last data, and clears it when it answers again', async (t) => {
  if (!chromiumOr(t)) return;
  reset();
  await withPage({}, async (sp) => {
    await waitForStatusShown(sp, doc, 5_000);
    failing = true;
    const failed = await sp.waitFor((v) => assert.notEqual(v.banner, null), 6_500, 'the error banner');
    assert.match(
      failed.banner!,
      /Cannot refresh the status: HTTP 500 .*the store cannot be read: connection refused/,
    );
    assert.match(failed.banner!, /Showing the data of 23:50:00 UTC/);
    assertJobsShown(failed, doc);
    assert.ok(await sp.page.locator('#updated.stale').count(), 'the update time is marked stale');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await sp.page.screenshot({
      path: path.join(ARTIFACTS, 'status-page-error.png'),
      clip: { x: 0, y: 0, width: 1360, height: 420 },
      animations: 'disabled',
    });
    failing = false;
    const recovered = await sp.waitFor((v) => assert.equal(v.banner, null), 6_500, 'the banner to clear');
    assertJobsShown(recovered, doc);
    assert.equal(await sp.page.locator('#updated.stale').count(), 0);
  });
});
