// The status page the daemon serves at `/`: one self-contained HTML document
// (inline CSS and JS, no external assets, no build step) that paints the
// status document it carries (firstStatusElement), then fetches it from the
// relative URL `status` every 5 s and renders it:
// this node's role, the leader and its epoch, the snapshot age, catch-up
// progress, and a table of jobs with their schedule, policies, last and next
// slot, dropped count, and a grid of their recent slots coloured by outcome.
//
// The page is written for the daemon's Content-Security-Policy
// (default-src 'none'; script-src/style-src 'unsafe-inline'; connect-src
// 'self'; img-src data:). Everything taken from the JSON reaches the DOM
// through textContent or setAttribute, never through innerHTML: job names are
// user config.
//
// When the page URL carries `?token=…` (the daemon accepts it there), the
// fetch sends it as `Authorization: Bearer <token>`.
//
// The DOM is part of the contract with the tests (test/support/chromium.ts):
// rows are `tr[data-job]`, cells carry `data-col`, slot squares are
// `.slot[data-outcome][data-catchup]`, oldest first; the header fields are
// #role, #leader, #snapshot, #catchup, #updated; the error banner is #banner.
//
// Its parts: the stylesheet (status-page-style.ts), DOM building and time
// formatting (status-page-dom.ts), drawing a document (status-page-render.ts);
// here the page itself, loading and refreshing.

import { STATUS_PAGE_DOM_SCRIPT } from './status-page-dom.js';
import { STATUS_PAGE_RENDER_SCRIPT } from './status-page-render.js';
import { STATUS_PAGE_STYLE } from './status-page-style.js';

/** How often the page fetches `status`. */
export const STATUS_PAGE_REFRESH_MS = 5_000;

/** Slots a job's grid has room for (the status document sends up to 20). */
const GRID_SLOTS = 20;
/** The id of the script element that carries the status document the page shows first. */
const FIRST_STATUS_ID = 'first-status';

const SCRIPT = String.raw`
(function () {
  'use strict';
  var REFRESH_MS = ${STATUS_PAGE_REFRESH_MS};
  var GRID_SLOTS = ${GRID_SLOTS};
  var OUTCOMES = {
    success: 'success',
    failure: 'failed',
    timeout: 'timed out',
    error: 'error',
    stopped: 'stopped',
    interrupted: 'interrupted',
    skipped: 'skipped (overlap)',
    running: 'running',
    claimed: 'claimed, not started'
  };
  var GAP_REASONS = {
    expired: 'older than the catch-up window',
    dropped: 'dropped by maxCatchup',
    skipped: 'left out by the catch-up policy',
    paused: 'missed while paused',
    reanchored: 'left behind by a schedule change'
  };
  var FAILING = { failure: 1, timeout: 1, error: 1 };
  var ACTIVE = { running: 1, claimed: 1 };
  var FAVICON = { ok: '#2da44e', bad: '#cf222e', busy: '#0969da', none: '#8c959f' };

  var token = new URLSearchParams(location.search).get('token');
  var last = null; // { data, skew, fetchedAt }
  var timer = null;
  var inFlight = false;

${STATUS_PAGE_DOM_SCRIPT}
${STATUS_PAGE_RENDER_SCRIPT}
  // A status document read ageMs before the server sent it, asked at sentAt, here at receivedAt.
  function show(data, ageMs, sentAt, receivedAt) {
    var now = parse(data.now);
    var skew = now !== null ? now + ageMs - Math.round((sentAt + receivedAt) / 2) : 0;
    var previous = last;
    last = { data: data, skew: skew, fetchedAt: receivedAt };
    try {
      render(data);
      clearError();
    } catch (e) {
      last = previous;
      throw new Error('cannot render the status: ' + (e && e.message ? e.message : e));
    }
  }

  // The document the server put in the page (FIRST_STATUS_ID): painted at once, fetched again later.
  function showEmbedded() {
    var el = $('${FIRST_STATUS_ID}');
    if (!el) return false;
    try {
      var data = JSON.parse(el.textContent);
      if (!data || typeof data !== 'object' || !Array.isArray(data.jobs)) return false;
      var at = performance.timing && performance.timing.responseStart ? performance.timing.responseStart : Date.now();
      show(data, Number(el.getAttribute('data-age-ms')) || 0, at, at);
      return true;
    } catch (e) {
      return false;
    }
  }

  function load() {
    if (inFlight) return;
    inFlight = true;
    clearTimeout(timer);
    var headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var abort = ctrl ? setTimeout(function () { ctrl.abort(); }, REFRESH_MS - 500) : null;
    var sentAt = Date.now();
    fetch('status', { headers: headers, cache: 'no-store', credentials: 'same-origin', signal: ctrl ? ctrl.signal : undefined })
      .then(function (res) {
        return res.text().then(function (body) {
          if (!res.ok) throw new Error(errorMessage(res, body));
          var data;
          try { data = JSON.parse(body); } catch (e) { throw new Error('the response is not JSON'); }
          if (!data || typeof data !== 'object' || !Array.isArray(data.jobs)) throw new Error('the response is not a status document');
          // The server shares a document read up to a few seconds ago: its now is that read's time.
          return { data: data, ageMs: Number(res.headers.get('x-status-age-ms')) || 0 };
        });
      })
      .then(function (got) { show(got.data, got.ageMs, sentAt, Date.now()); })
      .catch(function (e) {
        var msg = e && e.name === 'AbortError' ? 'no answer within ' + (REFRESH_MS - 500) / 1000 + ' s'
          : e && e.message ? (e instanceof TypeError ? 'network error (' + e.message + ')' : e.message) : String(e);
        showError(msg);
      })
      .then(function () {
        clearTimeout(abort);
        inFlight = false;
        timer = setTimeout(load, REFRESH_MS);
      });
  }

  function legend() {
    var items = ['success', 'failure', 'timeout', 'error', 'stopped', 'interrupted', 'skipped', 'running', 'claimed'].map(function (o) {
      return h('span', { title: OUTCOMES[o] }, h('span', { class: 'slot', 'data-outcome': o, 'aria-hidden': 'true' }), o === 'claimed' ? 'claimed' : OUTCOMES[o].replace(' (overlap)', ''));
    });
    items.push(h('span', {}, h('span', { class: 'slot', 'data-outcome': 'success', 'data-catchup': 'true', 'aria-hidden': 'true' }), 'catch-up run'));
    items.push(h('span', {}, h('span', { class: 'drop-sample', 'aria-hidden': 'true' }), 'dropped'));
    replace($('legend'), items);
  }

  var json = $('json-link');
  json.setAttribute('href', token ? 'status?token=' + encodeURIComponent(token) : 'status');
  legend();
  setFavicon('none');
  if (showEmbedded()) timer = setTimeout(load, REFRESH_MS);
  else load();
  setInterval(tick, 1000);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && last && Date.now() - last.fetchedAt > REFRESH_MS) load();
  });
})();
`;

const LOGO = `<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" stroke-width="2"/><path d="M12 6.5V12l3.8 2.3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/><circle cx="19.5" cy="4.5" r="3.2" fill="#2da44e" style="stroke:var(--panel)" stroke-width="1.5"/></svg>`;

const BODY = `
<header class="topbar">
  <div class="brand">${LOGO}<span>cronkeeper</span></div>
  <div class="node">
    <span id="role" class="role">…</span>
    <span id="node-id" class="node-id"></span>
    <span id="ready" class="tag" hidden></span>
  </div>
  <span class="spacer"></span>
  <span id="updated" class="updated loading" role="status" aria-live="polite"><span class="dot"></span>loading…</span>
</header>
<main>
  <div id="banner" class="banner" role="alert" hidden></div>
  <section id="cards" class="cards" aria-label="cluster"></section>
  <section class="panel" aria-labelledby="jobs-title">
    <div class="panel-head">
      <h2 id="jobs-title">Jobs</h2>
      <span id="job-summary" class="summary"></span>
      <div id="legend" class="legend" aria-label="legend"></div>
    </div>
    <div class="table-wrap">
    <table class="jobs" id="jobs">
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Schedule</th>
          <th scope="col">Policy</th>
          <th scope="col">Last slot</th>
          <th scope="col">Next slot</th>
          <th scope="col" class="num col-dropped">Dropped</th>
          <th scope="col">Recent slots <span class="faint hint">(oldest → newest)</span></th>
        </tr>
      </thead>
      <tbody id="jobs-body"><tr><td colspan="7" class="loading-state">Loading status…</td></tr></tbody>
    </table>
    </div>
  </section>
  <section class="panel" id="nodes-panel" aria-labelledby="nodes-title" hidden>
    <div class="panel-head"><h2 id="nodes-title">Nodes</h2><span class="summary">seen in the last ten minutes</span></div>
    <table class="nodes">
      <thead>
        <tr><th scope="col">Node</th><th scope="col">Role</th><th scope="col">Host</th><th scope="col">Epoch</th><th scope="col">Started</th><th scope="col">Seen</th></tr>
      </thead>
      <tbody id="nodes-body"></tbody>
    </table>
  </section>
  <footer>Refreshes every ${STATUS_PAGE_REFRESH_MS / 1000} s · times in UTC, and in a job's own zone beneath · <a id="json-link" href="status">status JSON</a></footer>
</main>`;

/**
 * The status document as the page carries it: a JSON script element, painted
 * by the page before any fetch, so that a headless screenshot or a slow
 * network shows the jobs, not "Loading…". `<` is escaped so that the document
 * cannot end the element. Sent between statusPageParts' head and tail.
 */
export function firstStatusElement(json: string, ageMs: number): string {
  return `<script id="${FIRST_STATUS_ID}" type="application/json" data-age-ms="${Math.round(ageMs)}">${json.replaceAll('<', '\\u003c')}</script>\n`;
}

/** The status page in two parts, for a first document (firstStatusElement) to go between. */
export function statusPageParts(): { head: string; tail: string } {
  const page = renderStatusPage();
  const at = page.lastIndexOf('<script>');
  return { head: page.slice(0, at), tail: page.slice(at) };
}

/** The complete status page: an HTML document with inline CSS and JS. */
export function renderStatusPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>cronkeeper</title>
<link id="favicon" rel="icon" href="data:,">
<style>${STATUS_PAGE_STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
