// Headless Chromium (Debian's package, driven by playwright-core; no browser
// download) and helpers that load the status page from any base URL and read
// what it shows, so the same DOM assertions serve the fixture test
// (test/integration/status-page.test.ts) and an end-to-end test against a
// real daemon.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CRONKEEPER_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The status document as the page reads it (`cronkeeper status --json`, GET /status). */
export interface StatusDocument {
  now: string | null;
  store: string;
  node?: {
    nodeId: string;
    role: string;
    ready: boolean;
    catchUp: { done: number; total: number } | null;
  };
  leader: {
    nodeId: string;
    epoch: number;
    since: string | null;
    ledForMs: number | null;
    heartbeatAt: string | null;
  } | null;
  nodes: {
    nodeId: string;
    host: string;
    pid: number;
    role: string;
    epoch: number | null;
    startedAt: string | null;
    seenAt: string | null;
  }[];
  /** The workers of runOn pools (none without pool jobs). */
  workers: {
    workerId: string;
    pool: string;
    host: string;
    pid: number;
    concurrency: number;
    /** Runs it took and has not ended. */
    running: number;
    /** alive, silent (no heartbeat for two leases) or stopped. */
    state: string;
    startedAt: string | null;
    heartbeatAt: string | null;
    heartbeatAgeMs: number;
  }[];
  snapshot: { id: number; createdAt: string | null; highWater: number; epoch: number; bytes: number } | null;
  jobs: {
    name: string;
    schedule: string;
    /** The zone of a cron schedule other than UTC. */
    timezone?: string | null;
    catchup: string;
    overlap: string;
    /** Set while the job is paused (cronkeeper pause). */
    paused?: { since: string | null; by: string; reason: string | null } | null;
    last: string | null;
    next: string | null;
    /** Scheduled time of the newest successful run (manual runs count). */
    lastSuccess?: string | null;
    /** The job's maxAge (e.g. '1d2h'); null without a freshness check. */
    maxAge?: string | null;
    /** No successful run within maxAge. */
    stale?: boolean;
    /** The server's judgement: the job's last decided run failed (read-status.ts, isFailing). */
    failing?: boolean;
    /** When the job turns (or turned) stale if nothing succeeds meanwhile. */
    staleAt?: string | null;
    dropped: number;
    recent: {
      runId: number;
      scheduledAt: string | null;
      catchup: boolean;
      manual?: boolean;
      outcome: string;
      durationMs: number | null;
    }[];
    /** Ranges of slots not run, oldest first. */
    gaps?: {
      reason: string;
      firstSlot: string | null;
      lastSlot: string | null;
      slots: number;
      exact: boolean;
    }[];
  }[];
}

/**
 * Whether Chromium can run this test. When it is missing, the test fails
 * under CI=true and is skipped otherwise (call as `if (!chromiumOr(t)) return;`).
 */
export function chromiumOr(t: TestContext): boolean {
  if (fs.existsSync(CHROMIUM_PATH)) return true;
  const why = `${CHROMIUM_PATH} is missing (apt-get install chromium)`;
  if (process.env.CI === 'true') assert.fail(`${why}: CI must run the status page test`);
  t.skip(why);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

export interface SlotView {
  outcome: string;
  catchup: boolean;
  scheduledAt: string;
  title: string;
}

export interface WhenView {
  /** The visible text: the UTC ISO time and the relative time ("in 3 m", "5 m ago"), or "never"/"—". */
  text: string;
  /** The `<time datetime>`: the ISO string from the JSON, or null when there is none. */
  datetime: string | null;
}

export interface JobView {
  /** `data-job` of the row. */
  job: string;
  /** The name as shown (its text). */
  name: string;
  /** Number of elements inside the name cell (an unescaped `<b>x</b>` would add one). */
  nameElements: number;
  schedule: string;
  policy: string;
  last: WhenView;
  next: WhenView;
  dropped: number;
  droppedHighlighted: boolean;
  /** The row's stale marker (maxAge): its tooltip, or null when there is none. */
  stale: string | null;
  slots: SlotView[];
  /** The grid in order: 'slot' for a square, 'gap:<reason>:<slots>' for a range of slots not run. */
  timeline: string[];
  /** The tooltips of the gap marks, in order. */
  gapTitles: string[];
}

export interface WorkerView {
  /** `data-worker` of the row. */
  worker: string;
  /** `data-state` of the row. */
  state: string;
  /** The text of each cell, by `data-col`. */
  cells: { worker: string; pool: string; state: string; running: string; host: string; heartbeat: string };
  /** The heartbeat cell's `data-rel` (epoch ms), which tick() keeps showing as "… ago"; null without one. */
  heartbeatRel: number | null;
  /** Number of elements inside the worker and pool cells beyond their one span (markup would add some). */
  extraElements: number;
}

export interface PageView {
  title: string;
  role: string;
  nodeId: string;
  ready: string;
  leader: string;
  snapshot: string;
  catchUp: string | null;
  updated: string;
  /** The error banner's text, or null when it is hidden. */
  banner: string | null;
  summary: string;
  jobs: JobView[];
  nodes: { nodeId: string; role: string }[];
  /** Whether the workers panel shows (it is hidden when there are none). */
  workersShown: boolean;
  workers: WorkerView[];
}

// Evaluated in the page as a string, so nothing in it is rewritten by the
// test's TypeScript loader.
const READ_PAGE = `(() => {
  // Text with a space at every element boundary ("catch-up <b>all</b><span>…" → "catch-up all …").
  const text = (el) => {
    if (!el) return '';
    let out = '';
    const walk = (n) => {
      if (n.nodeType === 3) out += n.nodeValue;
      else if (n.nodeType === 1 && n.tagName === 'TIME') out += ' ' + n.textContent + ' ';
      else if (n.nodeType === 1) {
        out += ' ';
        n.childNodes.forEach(walk);
        out += ' ';
      }
    };
    walk(el);
    return out.replace(/\\s+/g, ' ').trim();
  };
  const byId = (id) => document.getElementById(id);
  const when = (td) => {
    const time = td && td.querySelector('time');
    return { text: text(td), datetime: time ? time.getAttribute('datetime') : null };
  };
  const banner = byId('banner');
  const catchUp = byId('catchup');
  return {
    title: document.title,
    role: text(byId('role')),
    nodeId: text(byId('node-id')),
    ready: byId('ready').hidden ? '' : text(byId('ready')),
    leader: text(byId('leader')),
    snapshot: text(byId('snapshot')),
    catchUp: catchUp ? text(catchUp) : null,
    updated: text(byId('updated')),
    banner: banner.hidden ? null : text(banner),
    summary: text(byId('job-summary')),
    jobs: Array.from(document.querySelectorAll('#jobs-body tr[data-job]')).map((tr) => {
      const td = (col) => tr.querySelector('td[data-col="' + col + '"]');
      const dropped = td('dropped').querySelector('.dropped');
      return {
        job: tr.getAttribute('data-job'),
        name: text(td('name').querySelector('.job-name')),
        nameElements: td('name').querySelector('.job-name').querySelectorAll('*').length,
        schedule: text(td('schedule')),
        policy: text(td('policy')),
        last: when(td('last')),
        next: when(td('next')),
        dropped: Number(text(dropped)),
        droppedHighlighted: dropped.classList.contains('some'),
        stale: (() => {
          const tag = td('name').querySelector('.tag.stale');
          return tag && tr.getAttribute('data-stale') === 'true' ? tag.getAttribute('title') : null;
        })(),
        slots: Array.from(td('slots').querySelectorAll('.slot[data-outcome]')).map((s) => ({
          outcome: s.getAttribute('data-outcome'),
          catchup: s.getAttribute('data-catchup') === 'true',
          scheduledAt: s.getAttribute('data-scheduled-at'),
          title: s.getAttribute('title'),
        })),
        timeline: Array.from(td('slots').querySelectorAll('.slot[data-outcome], .gap')).map((e) =>
          e.classList.contains('gap')
            ? 'gap:' + e.getAttribute('data-reason') + ':' + e.getAttribute('data-slots')
            : 'slot',
        ),
        gapTitles: Array.from(td('slots').querySelectorAll('.gap')).map((g) => g.getAttribute('title')),
      };
    }),
    nodes: Array.from(document.querySelectorAll('#nodes-body tr[data-node]')).map((tr) => ({
      nodeId: tr.getAttribute('data-node'),
      role: text(tr.querySelector('.role')),
    })),
    workersShown: getComputedStyle(byId('workers-panel')).display !== 'none',
    workers: Array.from(document.querySelectorAll('#workers-body tr[data-worker]')).map((tr) => {
      const td = (col) => tr.querySelector('td[data-col="' + col + '"]');
      const rel = td('heartbeat').querySelector('[data-rel]');
      return {
        worker: tr.getAttribute('data-worker'),
        state: tr.getAttribute('data-state'),
        cells: {
          worker: text(td('worker')),
          pool: text(td('pool')),
          state: text(td('state')),
          running: text(td('running')),
          host: text(td('host')),
          heartbeat: text(td('heartbeat')),
        },
        heartbeatRel: rel ? Number(rel.getAttribute('data-rel')) : null,
        extraElements:
          td('worker').querySelectorAll('*').length + td('pool').querySelectorAll('*').length - 2,
      };
    }),
  };
})()`;

export interface StatusPage {
  page: Page;
  /** Uncaught page errors, console errors (CSP violations among them) and failed requests. */
  errors: string[];
  /** The newest status document the page received (its own fetch of `status`, answered 200). */
  lastDocument(): StatusDocument | undefined;
  read(): Promise<PageView>;
  /** Polls what the page shows until `check` passes (returns without throwing), or rethrows its last error. */
  waitFor(check: (view: PageView) => void, timeoutMs: number, what: string): Promise<PageView>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Appended as `?token=`. */
  token?: string;
  width?: number;
  height?: number;
  colorScheme?: 'light' | 'dark';
}

/** Opens `${baseUrl}/` in a fresh context and waits for the first fetch of `status` to be rendered (or to fail). */
export async function openStatusPage(
  browser: Browser,
  baseUrl: string,
  o: OpenOptions = {},
): Promise<StatusPage> {
  const context: BrowserContext = await browser.newContext({
    viewport: { width: o.width ?? 1360, height: o.height ?? 900 },
    colorScheme: o.colorScheme ?? 'light',
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (500|503|401)/.test(m.text()))
      errors.push(`console: ${m.text()}`);
  });
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  let lastDocument: StatusDocument | undefined;
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('/status') && r.status() === 200)
      r.json().then(
        (doc: StatusDocument) => (lastDocument = doc),
        () => undefined,
      );
  });
  const url = new URL('/', baseUrl);
  if (o.token !== undefined) url.searchParams.set('token', o.token);
  await page.goto(url.toString(), { waitUntil: 'load' });
  // Polled with page.evaluate (the DevTools protocol's evaluation), not waitForFunction: its
  // polling code evaluates the predicate with eval in the page, which the page's CSP (no
  // 'unsafe-eval') refuses at times (a CI run failed so).
  const shown =
    "!document.getElementById('updated').classList.contains('loading') || !document.getElementById('banner').hidden";
  for (const deadline = Date.now() + 10_000; !(await page.evaluate(shown));) {
    if (Date.now() > deadline) throw new Error('the status page did not show its first status within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const read = async () => (await page.evaluate(READ_PAGE)) as PageView;
  return {
    page,
    errors,
    lastDocument: () => lastDocument,
    read,
    async waitFor(check, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await read();
        try {
          check(view);
          return view;
        } catch (err) {
          if (Date.now() > deadline) {
            (err as Error).message =
              `timed out after ${timeoutMs} ms waiting for ${what}: ${(err as Error).message}`;
            throw err;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => context.close(),
  };
}

/** `2026-11-26T23:49:00.000Z` as the page shows it: `2026-11-26T23:49:00Z`. */
export function shownIso(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

/** The rows the page shows for `status`, in the form assertJobsShown compares. */
function project(jobs: JobView[]) {
  return jobs.map((j) => ({
    job: j.job,
    name: j.name,
    schedule: j.schedule,
    last: j.last.datetime,
    next: j.next.datetime,
    dropped: j.dropped,
    slots: j.slots.map((s) => ({ outcome: s.outcome, catchup: s.catchup, scheduledAt: s.scheduledAt })),
  }));
}

function expected(status: StatusDocument) {
  return status.jobs.map((j) => ({
    job: j.name,
    name: j.name,
    schedule: j.schedule,
    last: j.last,
    next: j.next,
    dropped: j.dropped,
    slots: j.recent.map((r) => ({ outcome: r.outcome, catchup: r.catchup, scheduledAt: r.scheduledAt })),
  }));
}

/**
 * The page shows exactly the jobs of `status`, in order: names (as text),
 * schedules, last and next slot (UTC ISO and a relative time), dropped counts
 * (highlighted when > 0), policies, and per job one square per recent slot
 * with its outcome and catch-up flag, oldest first.
 */
export function assertJobsShown(view: PageView, status: StatusDocument): void {
  assert.deepEqual(project(view.jobs), expected(status));
  for (const [i, job] of status.jobs.entries()) {
    const row = view.jobs[i]!;
    assert.equal(row.nameElements, 0, `the name of ${job.name} is text, not markup`);
    assert.match(row.policy, new RegExp(`catch-up ${job.catchup}\\b`));
    assert.match(row.policy, new RegExp(`overlap ${job.overlap}\\b`));
    for (const [which, iso] of [
      ['last', job.last],
      ['next', job.next],
    ] as const) {
      const cell = row[which];
      if (which === 'next' && job.paused) assert.equal(cell.text, 'paused', `${job.name} is paused`);
      else if (iso === null) assert.match(cell.text, /^(never|—)$/, `${job.name} ${which}`);
      else {
        assert.ok(cell.text.includes(shownIso(iso)), `${job.name} ${which} shows ${iso}: ${cell.text}`);
        if (job.timezone) {
          // Beside UTC, the instant in the job's zone.
          const local = new Intl.DateTimeFormat('en-US', {
            timeZone: job.timezone,
            hourCycle: 'h23',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
          }).format(new Date(iso));
          assert.ok(
            cell.text.includes(` ${local} `),
            `${job.name} ${which} shows ${local} (${job.timezone}): ${cell.text}`,
          );
        }
        assert.match(
          cell.text,
          / (in \d+ [smhd]( \d+ [smhd])?|\d+ [smhd]( \d+ [smhd])? ago|now)$/,
          `${job.name} ${which}`,
        );
      }
    }
    assert.equal(row.droppedHighlighted, job.dropped > 0, `${job.name} dropped highlight`);
    assert.equal(row.stale !== null, job.stale === true, `${job.name} stale marker`);
    if (job.stale) {
      assert.ok(row.stale!.includes(`maxAge ${job.maxAge}`), row.stale!);
      if (job.lastSuccess) assert.ok(row.stale!.includes(shownIso(job.lastSuccess)), row.stale!);
      else assert.match(row.stale!, /never succeeded/);
    }
    for (const [k, r] of job.recent.entries()) {
      const title = row.slots[k]!.title;
      if (r.scheduledAt !== null) assert.ok(title.includes(shownIso(r.scheduledAt)), title);
      if (r.catchup) assert.match(title, /catch-up/);
    }
  }
}

/** The header shows this node's role, the leader with its epoch, the snapshot, catch-up progress, and the update time. */
export function assertHeaderShows(view: PageView, status: StatusDocument): void {
  if (status.node) {
    assert.equal(view.role, status.node.role);
    assert.equal(view.nodeId, status.node.nodeId);
    if (status.node.catchUp) {
      assert.ok(
        view.catchUp?.includes(`${status.node.catchUp.done} / ${status.node.catchUp.total}`),
        view.catchUp ?? '',
      );
    } else assert.equal(view.catchUp, null);
  }
  if (status.leader) {
    assert.ok(view.leader.includes(status.leader.nodeId), view.leader);
    assert.ok(view.leader.includes(`epoch ${status.leader.epoch}`), view.leader);
    assert.match(view.leader, /leading for \d+ [smhd]/);
  } else assert.match(view.leader, /no leader/);
  if (status.snapshot)
    assert.match(view.snapshot, new RegExp(`#${status.snapshot.id}, (\\d+ [smhd]( \\d+ [smhd])? ago|now)`));
  else assert.match(view.snapshot, /none/);
  assert.match(view.updated, /^updated \d\d:\d\d:\d\d UTC$/);
}

/**
 * The page shows exactly the workers of `status`, in order, each with its
 * pool, state, runs in progress / capacity, host and pid, and a heartbeat
 * time kept live ("… ago"); and no workers panel when there are none.
 */
export function assertWorkersShown(view: PageView, status: StatusDocument): void {
  const workers = status.workers;
  assert.equal(view.workersShown, workers.length > 0, 'the workers panel shows only when there are workers');
  assert.deepEqual(
    view.workers.map((w) => ({
      worker: w.worker,
      state: w.state,
      cells: { ...w.cells, heartbeat: undefined },
    })),
    workers.map((w) => ({
      worker: w.workerId,
      state: w.state,
      cells: {
        worker: w.workerId,
        pool: w.pool,
        state: w.state,
        running: `${w.running} / ${w.concurrency}`,
        host: `${w.host} · pid ${w.pid}`,
        heartbeat: undefined,
      },
    })),
  );
  for (const [i, w] of workers.entries()) {
    const row = view.workers[i]!;
    assert.equal(row.extraElements, 0, `the id and pool of ${w.workerId} are text, not markup`);
    assert.equal(row.heartbeatRel, w.heartbeatAt === null ? null : Date.parse(w.heartbeatAt));
    assert.match(
      row.cells.heartbeat,
      w.heartbeatAt === null ? /^—$/ : /^(\d+ [smhd]( \d+ [smhd])? ago|now)$/,
    );
  }
}

/**
 * Waits until the page shows `status` (its jobs and its header); without
 * `status`, the newest document the page itself fetched (for a live daemon,
 * whose status changes between any two fetches).
 */
export function waitForStatusShown(
  sp: StatusPage,
  status?: StatusDocument,
  timeoutMs = 7_000,
): Promise<PageView> {
  return sp.waitFor(
    (view) => {
      const doc = status ?? sp.lastDocument();
      assert.ok(doc, 'the page has fetched a status document');
      assertJobsShown(view, doc);
      assertHeaderShows(view, doc);
      assertWorkersShown(view, doc);
    },
    timeoutMs,
    'the page to show the status document',
  );
}
