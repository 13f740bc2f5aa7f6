// The status page the daemon serves at `/`: one self-contained HTML document
// (inline CSS and JS, no external assets, no build step) that fetches the
// status document from the relative URL `status` every 5 s and renders it:
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

/** How often the page fetches `status`. */
export const STATUS_PAGE_REFRESH_MS = 5_000;

/** Slots a job's grid has room for (the status document sends up to 20). */
const GRID_SLOTS = 20;

const STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f8fa;
  --panel: #ffffff;
  --fg: #1f2328;
  --muted: #59636e;
  --faint: #818b98;
  --border: #d1d9e0;
  --border-soft: #e8ecf0;
  --hover: #f6f8fa;
  --head: #f6f8fa;
  --accent: #0969da;
  --ok: #2da44e;
  --fail: #cf222e;
  --timeout: #e16f24;
  --error: #82071e;
  --stopped: #6e7781;
  --interrupted: #8250df;
  --skipped: #d1d9e0;
  --running: #0969da;
  --claimed: #54aeff;
  --empty: #eff2f5;
  --empty-border: #e1e6eb;
  --warn-bg: #fff8c5;
  --warn-fg: #7d4e00;
  --warn-border: #eac54f;
  --danger-bg: #ffebe9;
  --danger-fg: #a40e26;
  --danger-border: #ff8182;
  --leader-bg: #dafbe1;
  --leader-fg: #116329;
  --standby-bg: #ddf4ff;
  --standby-fg: #0550ae;
  --neutral-bg: #eff2f5;
  --neutral-fg: #59636e;
  --stripe: rgba(255, 255, 255, 0.55);
  --shadow: 0 1px 0 rgba(31, 35, 40, 0.04);
  --sans: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif;
  --mono: ui-monospace, SFMono-Regular, 'SF Mono', Menlo, Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --panel: #151b23;
    --fg: #e6edf3;
    --muted: #9198a1;
    --faint: #6e7681;
    --border: #3d444d;
    --border-soft: #262c36;
    --hover: #1b222c;
    --head: #1b222c;
    --accent: #4493f8;
    --ok: #2ea043;
    --fail: #f85149;
    --timeout: #db6d28;
    --error: #b62324;
    --stopped: #768390;
    --interrupted: #a371f7;
    --skipped: #3d444d;
    --running: #388bfd;
    --claimed: #6cb6ff;
    --empty: #1b222c;
    --empty-border: #262c36;
    --warn-bg: #2e2410;
    --warn-fg: #e3b341;
    --warn-border: #9e6a03;
    --danger-bg: #2d1417;
    --danger-fg: #ff7b72;
    --danger-border: #8e1519;
    --leader-bg: #12261e;
    --leader-fg: #3fb950;
    --standby-bg: #121d2f;
    --standby-fg: #79c0ff;
    --neutral-bg: #212830;
    --neutral-fg: #9198a1;
    --stripe: rgba(255, 255, 255, 0.4);
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--fg);
  font: 14px/1.5 var(--sans);
}
.mono, code { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.faint { color: var(--faint); }
[hidden] { display: none !important; }

.topbar {
  position: sticky;
  top: 0;
  z-index: 2;
  display: flex;
  align-items: center;
  flex-wrap: wrap;
  gap: 8px 14px;
  padding: 10px 24px;
  background: var(--panel);
  border-bottom: 1px solid var(--border);
}
.brand { display: flex; align-items: center; gap: 8px; font-weight: 600; font-size: 15px; letter-spacing: -0.01em; }
.brand svg { display: block; }
.topbar .node { display: flex; align-items: center; gap: 8px; min-width: 0; }
.topbar .node-id { font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
.spacer { flex: 1 1 auto; }
.role {
  display: inline-flex;
  align-items: center;
  gap: 6px;
  padding: 1px 10px;
  border-radius: 999px;
  font-size: 12px;
  font-weight: 600;
  letter-spacing: 0.02em;
  text-transform: uppercase;
  background: var(--neutral-bg);
  color: var(--neutral-fg);
  border: 1px solid transparent;
}
.role::before { content: ''; width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
.role.leader { background: var(--leader-bg); color: var(--leader-fg); }
.role.standby { background: var(--standby-bg); color: var(--standby-fg); }
.role.starting { background: var(--warn-bg); color: var(--warn-fg); }
.role.gone { background: var(--danger-bg); color: var(--danger-fg); }
.role.stopped { background: var(--neutral-bg); color: var(--muted); }
.role.stopped::before { background: transparent; border: 1px solid currentColor; }
.updated { display: inline-flex; align-items: center; gap: 7px; font-size: 12.5px; color: var(--muted); white-space: nowrap; }
.updated .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--ok); }
.updated.fresh .dot { animation: blink 0.9s ease-out 1; }
.updated.stale { color: var(--danger-fg); }
.updated.stale .dot { background: var(--fail); }
.updated.loading .dot { background: var(--faint); }

main { max-width: 1440px; margin: 0 auto; padding: 18px 24px 32px; }

.banner {
  display: flex;
  gap: 10px;
  align-items: flex-start;
  margin-bottom: 16px;
  padding: 10px 14px;
  border: 1px solid var(--danger-border);
  border-radius: 8px;
  background: var(--danger-bg);
  color: var(--danger-fg);
  overflow-wrap: anywhere;
}
.banner strong { font-weight: 600; }
.banner .icon { flex: none; font-weight: 700; }

.cards {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(210px, 1fr));
  gap: 12px;
  margin-bottom: 18px;
}
.card {
  min-width: 0;
  padding: 12px 14px;
  background: var(--panel);
  border: 1px solid var(--border);
  border-radius: 8px;
  box-shadow: var(--shadow);
}
.card .label { font-size: 11.5px; font-weight: 600; letter-spacing: 0.05em; text-transform: uppercase; color: var(--muted); }
.card .value { margin-top: 2px; font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
.card .value .mono { font-size: 15px; }
.card .sub { margin-top: 2px; font-size: 12.5px; color: var(--muted); overflow-wrap: anywhere; }
.card.warn { border-color: var(--warn-border); }
.card .value .bad { color: var(--danger-fg); }
.progress { margin-top: 8px; height: 6px; border-radius: 3px; background: var(--empty); overflow: hidden; }
.progress > div { height: 100%; background: var(--running); border-radius: 3px; transition: width 0.4s ease; }

.panel {
  background: var(--panel);
  border: 1px solid var(--border);
  border-radius: 8px;
  box-shadow: var(--shadow);
  margin-bottom: 18px;
  overflow: hidden;
}
.panel-head {
  display: flex;
  align-items: center;
  flex-wrap: wrap;
  gap: 6px 16px;
  padding: 10px 16px;
  border-bottom: 1px solid var(--border);
  background: var(--head);
}
.panel-head h2 { margin: 0; font-size: 14px; font-weight: 600; }
.panel-head .summary { font-size: 12.5px; color: var(--muted); }
.panel-head .summary b { font-weight: 600; }
.panel-head .summary .bad { color: var(--danger-fg); }
.panel-head .summary .warn { color: var(--warn-fg); }

.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin-left: auto; font-size: 12px; color: var(--muted); }
.legend span { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.legend .slot { cursor: default; }
.legend .drop-sample { width: 12px; height: 12px; border-radius: 3px; border: 1.5px dashed var(--warn-fg); }

table { width: 100%; border-collapse: collapse; }
th {
  text-align: left;
  font-size: 12px;
  font-weight: 600;
  color: var(--muted);
  padding: 8px 12px;
  border-bottom: 1px solid var(--border);
  white-space: nowrap;
}
td { padding: 10px 12px; border-bottom: 1px solid var(--border-soft); vertical-align: middle; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: var(--hover); }
th:first-child, td:first-child { padding-left: 16px; }
th:last-child, td:last-child { padding-right: 16px; }

.job { display: flex; align-items: center; gap: 8px; min-width: 0; }
/* under the name (lined up with it), so the marker does not widen the column */
.job-flags { margin: 3px 0 0 18px; }
.job-name { font-weight: 600; white-space: nowrap; }
.health { flex: none; width: 10px; height: 10px; border-radius: 50%; background: var(--empty-border); }
.sched { font-family: var(--mono); font-size: 12.5px; white-space: nowrap; }
.sched .zone { display: block; font-family: var(--sans); font-size: 12px; color: var(--muted); }
.table-wrap { overflow-x: auto; }
.tags { display: flex; flex-wrap: wrap; gap: 4px; }
.tag {
  display: inline-block;
  padding: 0 7px;
  border: 1px solid var(--border);
  border-radius: 999px;
  font-size: 11.5px;
  line-height: 18px;
  color: var(--muted);
  white-space: nowrap;
}
.tag b { font-weight: 600; color: var(--fg); }
.tag.ok { border-color: transparent; background: var(--leader-bg); color: var(--leader-fg); }
.tag.warn { border-color: var(--warn-border); background: var(--warn-bg); color: var(--warn-fg); }
.tag.stale { border-color: var(--fail); color: var(--fail); font-weight: 600; }
.when { white-space: nowrap; }
.when time { display: block; font-family: var(--mono); font-size: 12.5px; white-space: nowrap; }
.when time span { display: inline-block; }
td[data-col='slots'] { width: 1%; }
.when .rel { display: block; font-size: 12px; color: var(--muted); }
.when .rel.soon { color: var(--accent); }
.when .never { color: var(--faint); }
.num { text-align: right; }
.dropped { font-variant-numeric: tabular-nums; color: var(--faint); }
.dropped.some {
  display: inline-block;
  padding: 0 8px;
  border: 1px solid var(--warn-border);
  border-radius: 999px;
  background: var(--warn-bg);
  color: var(--warn-fg);
  font-weight: 600;
  font-size: 12px;
  line-height: 20px;
}

.grid { display: flex; flex-wrap: nowrap; gap: 3px; align-items: center; --sq: 14px; }
.grid .lane { flex: none; display: flex; justify-content: flex-end; width: 34px; margin-right: 2px; }
.no-runs { font-size: 12px; color: var(--faint); }
.slot {
  position: relative;
  flex: none;
  width: var(--sq, 14px);
  height: var(--sq, 14px);
  border-radius: 3px;
  background: var(--stopped);
}
.slot.empty { background: var(--empty); box-shadow: inset 0 0 0 1px var(--empty-border); }
.slot[data-outcome='success'] { background: var(--ok); }
.slot[data-outcome='failure'] { background: var(--fail); }
.slot[data-outcome='timeout'] { background: var(--timeout); }
.slot[data-outcome='error'] { background: var(--error); }
.slot[data-outcome='stopped'] { background: var(--stopped); }
.slot[data-outcome='interrupted'] { background: var(--interrupted); }
.slot[data-outcome='skipped'] { background: var(--skipped); }
/* a range of slots not run (expired, dropped, skipped, paused): a thin hatched bar between the squares */
.gap { flex: none; width: 5px; height: var(--sq, 14px); border-radius: 2px;
  background: repeating-linear-gradient(180deg, var(--skipped) 0 2px, transparent 2px 4px); }
.slot[data-outcome='running'] { background: var(--running); animation: pulse 1.6s ease-in-out infinite; }
.slot[data-outcome='claimed'] { background: var(--claimed); animation: pulse 1.6s ease-in-out infinite; }
.slot[data-catchup='true'] {
  background-image: repeating-linear-gradient(135deg, var(--stripe) 0 2px, transparent 2px 5px);
}
.slot.latest { outline: 1.5px solid var(--fg); outline-offset: 1.5px; }
.slot:not(.empty):hover { transform: scale(1.25); z-index: 1; }
@keyframes pulse { 0%, 100% { opacity: 1; } 50% { opacity: 0.35; } }
@keyframes blink { 0% { box-shadow: 0 0 0 0 var(--ok); } 100% { box-shadow: 0 0 0 6px transparent; } }
@media (prefers-reduced-motion: reduce) {
  .slot[data-outcome='running'], .slot[data-outcome='claimed'] { animation: none; }
}

.health[data-outcome='success'] { background: var(--ok); }
.health[data-outcome='failure'] { background: var(--fail); }
.health[data-outcome='timeout'] { background: var(--timeout); }
.health[data-outcome='error'] { background: var(--error); }
.health[data-outcome='stopped'] { background: var(--stopped); }
.health[data-outcome='interrupted'] { background: var(--interrupted); }
.health[data-outcome='skipped'] { background: var(--skipped); }
.health[data-outcome='running'], .health[data-outcome='claimed'] { background: var(--running); animation: pulse 1.6s ease-in-out infinite; }

.drop-mark {
  flex: none;
  height: var(--sq, 14px);
  padding: 0 3px;
  border: 1.5px dashed var(--warn-fg);
  border-radius: 3px;
  color: var(--warn-fg);
  font-size: 10px;
  font-weight: 700;
  line-height: 11px;
}

.empty-state, .loading-state { padding: 28px 16px; text-align: center; color: var(--muted); }
.nodes td, .nodes th { font-size: 13px; }
.nodes .role { font-size: 11px; }
footer { font-size: 12px; color: var(--faint); text-align: center; }
footer a { color: inherit; }

@media (max-width: 1280px) {
  th, td { padding-left: 9px; padding-right: 9px; }
  .grid { gap: 2px; --sq: 12px; }
  .hint { display: none; }
  .when time { white-space: normal; }
}
@media (min-width: 861px) and (max-width: 1280px) {
  /* the grid's dropped marker carries the count */
  .col-dropped { display: none; }
}
@media (max-width: 860px) {
  .sched { white-space: normal; overflow-wrap: anywhere; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .card .value { font-size: 15px; }
  .job-name { white-space: normal; overflow-wrap: anywhere; }
  .grid { gap: 3px; --sq: 13px; }
  .grid .lane { width: auto; }
  .grid .lane:empty { display: none; }
  table.jobs td[data-col='slots']::before { display: block !important; margin-bottom: 4px; }
  .sched .zone { display: inline; }
  .topbar { padding: 10px 14px; }
  main { padding: 14px 12px 24px; }
  .legend { margin-left: 0; }
  table.jobs thead, table.nodes thead { display: none; }
  table.jobs, table.jobs tbody, table.jobs tr, table.jobs td,
  table.nodes, table.nodes tbody, table.nodes tr, table.nodes td { display: block; width: 100%; }
  table.jobs tr, table.nodes tr { padding: 10px 14px; border-bottom: 1px solid var(--border); }
  table.jobs tbody tr:last-child, table.nodes tbody tr:last-child { border-bottom: 0; }
  table.jobs td, table.nodes td { border: 0; padding: 3px 0 !important; background: none !important; }
  table.jobs td[data-label]::before, table.nodes td[data-label]::before {
    content: attr(data-label);
    display: inline-block;
    min-width: 86px;
    font-size: 11.5px;
    font-weight: 600;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: var(--faint);
    vertical-align: top;
  }
  table.jobs td[data-col='name'] { font-size: 15px; padding-bottom: 6px !important; }
  .when time, .when .rel { display: inline; }
  .when .rel::before { content: ' · '; }
  .num { text-align: left; }
  .grid { flex-wrap: wrap; }
  .grid .slot.empty { display: none; }
}
`;

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

  function $(id) { return document.getElementById(id); }

  // h('td', { class: 'x', 'data-col': 'name' }, child, ...): children are
  // nodes or strings (text nodes), never markup.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') el.textContent = String(v);
        else el.setAttribute(k, String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function replace(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    for (var i = 1; i < arguments.length; i++) append(el, arguments[i]);
  }

  function str(v) { return v === null || v === undefined ? '' : String(v); }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function parse(iso) { var t = Date.parse(iso); return isNaN(t) ? null : t; }
  function isoShort(iso) { return str(iso).replace(/\.000Z$/, 'Z'); }
  function hms(ms) {
    var d = new Date(ms);
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }
  function serverNow() { return Date.now() + (last ? last.skew : 0); }

  // 45 s, 3 m, 2 h 5 m, 3 d 4 h
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' m';
    var hr = Math.floor(m / 60);
    if (hr < 24) return hr + ' h' + (m % 60 ? ' ' + (m % 60) + ' m' : '');
    var d = Math.floor(hr / 24);
    return d + ' d' + (hr % 24 ? ' ' + (hr % 24) + ' h' : '');
  }
  function relative(t, now) {
    var diff = t - now;
    if (Math.abs(diff) < 1000) return 'now';
    return diff > 0 ? 'in ' + span(diff) : span(diff) + ' ago';
  }
  function duration(ms) {
    if (ms === null || ms === undefined || typeof ms !== 'number' || !isFinite(ms)) return null;
    if (ms < 1000) return (Math.round(ms * 10) / 10) + ' ms';
    if (ms < 60000) return (Math.round(ms / 100) / 10) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' m ' + Math.floor((ms % 60000) / 1000) + ' s';
    return span(ms);
  }
  function bytes(n) {
    if (typeof n !== 'number') return '';
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (Math.round(n / 102.4) / 10) + ' KiB';
    return (Math.round(n / 104857.6) / 10) + ' MiB';
  }

  // Live relative times: elements with data-rel (an epoch ms, server clock)
  // and data-rel-fmt ('rel': "in 3 m" / "5 m ago"; 'age': "5 m ago"; 'for': "5 m").
  function relEl(tag, attrs, t, fmt) {
    attrs = attrs || {};
    attrs['data-rel'] = t;
    attrs['data-rel-fmt'] = fmt;
    var el = h(tag, attrs);
    tickOne(el, serverNow());
    return el;
  }
  function tickOne(el, now) {
    var t = Number(el.getAttribute('data-rel'));
    var fmt = el.getAttribute('data-rel-fmt');
    var text = fmt === 'for' ? span(now - t) : fmt === 'age' && t > now ? 'now' : relative(t, now);
    if (el.textContent !== text) el.textContent = text;
    if (fmt === 'rel') el.classList.toggle('soon', t > now && t - now < 60000);
  }
  function tick() {
    var now = serverNow();
    var els = document.querySelectorAll('[data-rel]');
    for (var i = 0; i < els.length; i++) tickOne(els[i], now);
    if (last) {
      var age = Date.now() - last.fetchedAt;
      $('updated').classList.toggle('stale', age > 3 * REFRESH_MS || !$('banner').hidden);
    }
  }

  // 2026-11-26T23:49:00Z; in a squeezed column, date and time go on two lines.
  function isoTime(iso) {
    var shown = isoShort(iso);
    var at = shown.indexOf('T');
    return at < 0 ? h('time', { datetime: iso, title: iso, text: shown })
      : h('time', { datetime: iso, title: iso },
        h('span', { class: 'd', text: shown.slice(0, at + 1) }),
        h('span', { class: 't', text: shown.slice(at + 1) }));
  }

  function whenCell(col, label, iso) {
    var t = parse(iso);
    if (!iso || t === null) {
      return h('td', { 'data-col': col, 'data-label': label, class: 'when' }, h('span', { class: 'never', text: col === 'last' ? 'never' : '\u2014' }));
    }
    return h('td', { 'data-col': col, 'data-label': label, class: 'when' },
      isoTime(iso),
      relEl('span', { class: 'rel' }, t, 'rel'));
  }

  function slotTitle(r) {
    var lines = [isoShort(r.scheduledAt)];
    var what = OUTCOMES[r.outcome] || str(r.outcome);
    var d = duration(r.durationMs);
    lines.push(what + (d ? ' \u00b7 ' + d : ''));
    if (r.manual) lines.push('manual run (cronkeeper trigger)');
    else if (r.catchup) lines.push('catch-up run');
    if (typeof r.attempts === 'number' && r.attempts > 1) lines.push(r.attempts + ' attempts');
    if (r.runId !== undefined && r.runId !== null) lines.push('run #' + r.runId);
    if (typeof r.output === 'string' && r.output.trim() !== '') {
      var tail = r.output.trim().split('\n').slice(-5).join('\n');
      lines.push('\u2014 output \u2014', tail);
    }
    return lines.join('\n');
  }

  function latestOutcome(job) {
    var recent = Array.isArray(job.recent) ? job.recent : [];
    var r = recent[recent.length - 1];
    return r ? str(r.outcome) : null;
  }
  // The newest outcome that says how the job is doing: not running, claimed or skipped.
  function health(job) {
    var recent = Array.isArray(job.recent) ? job.recent : [];
    for (var i = recent.length - 1; i >= 0; i--) {
      var o = str(recent[i].outcome);
      if (!ACTIVE[o] && o !== 'skipped') return o;
    }
    return null;
  }

  function gridCell(job) {
    var recent = Array.isArray(job.recent) ? job.recent.slice(-GRID_SLOTS) : [];
    var grid = h('div', { class: 'grid', role: 'list', 'aria-label': 'recent slots of ' + str(job.name) + ', oldest first' });
    var dropped = Number(job.dropped) || 0;
    var lane = h('span', { class: 'lane' });
    grid.appendChild(lane);
    if (dropped > 0) {
      lane.appendChild(h('span', {
        class: 'drop-mark',
        'data-dropped': dropped,
        title: dropped + ' missed slot' + (dropped === 1 ? '' : 's') + ' dropped (maxCatchup / catch-up policy) since this daemon started',
        text: '+' + dropped
      }));
    }
    if (recent.length === 0) {
      grid.appendChild(h('span', { class: 'no-runs', text: 'no runs yet' }));
      return h('td', { 'data-col': 'slots', 'data-label': 'Recent' }, grid);
    }
    for (var i = recent.length; i < GRID_SLOTS; i++) grid.appendChild(h('span', { class: 'slot empty', 'aria-hidden': 'true' }));
    // Slots not run sit between the squares, where they fall in time (those older than the grid are left out).
    var gaps = (Array.isArray(job.gaps) ? job.gaps : []).filter(function (g) {
      return parse(g.lastSlot) !== null && parse(g.lastSlot) >= (parse(recent[0].scheduledAt) || 0);
    });
    var gapMark = function (g) {
      var n = Number(g.slots) || 0;
      var title = n + (g.exact === false ? '~' : '') + ' slot' + (n === 1 ? '' : 's') + ' not run: ' + (GAP_REASONS[g.reason] || str(g.reason)) +
        '\n' + isoShort(g.firstSlot) + (n > 1 ? ' \u2026 ' + isoShort(g.lastSlot) : '');
      return h('span', { class: 'gap', role: 'listitem', 'data-reason': str(g.reason), 'data-slots': String(n), title: title, 'aria-label': title.replace(/\n/g, ', ') });
    };
    recent.forEach(function (r, i) {
      while (gaps.length > 0 && parse(gaps[0].lastSlot) < parse(r.scheduledAt)) grid.appendChild(gapMark(gaps.shift()));
      grid.appendChild(h('span', {
        class: 'slot' + (i === recent.length - 1 ? ' latest' : ''),
        role: 'listitem',
        'data-outcome': str(r.outcome),
        'data-catchup': r.catchup ? 'true' : 'false',
        'data-scheduled-at': str(r.scheduledAt),
        title: slotTitle(r),
        'aria-label': slotTitle(r).replace(/\n/g, ', ')
      }));
    });
    gaps.forEach(function (g) { grid.appendChild(gapMark(g)); });
    return h('td', { 'data-col': 'slots', 'data-label': 'Recent' }, grid);
  }

  // "30 2 * * * (Europe/Berlin)": the pattern, and the zone under it.
  function schedule(text) {
    var m = /^(.*\S) (\([^()]+\))$/.exec(str(text));
    if (!m) return h('span', { class: 'sched', text: str(text) });
    return h('span', { class: 'sched' }, h('span', { class: 'pattern', text: m[1] }), ' ', h('span', { class: 'zone', text: m[2] }));
  }

  // maxAge: why the job is stale, and since when.
  function staleTitle(job) {
    return (job.lastSuccess ? 'no successful run since ' + isoShort(job.lastSuccess) : 'never succeeded') +
      ' \u00b7 maxAge ' + str(job.maxAge) + (job.staleAt ? ' \u00b7 stale since ' + isoShort(job.staleAt) : '');
  }

  function jobRow(job) {
    var name = str(job.name);
    var outcome = health(job);
    var dropped = Number(job.dropped) || 0;
    var paused = job.paused && typeof job.paused === 'object' ? job.paused : null;
    return h('tr', { 'data-job': name, 'data-paused': paused ? 'true' : 'false', 'data-stale': job.stale ? 'true' : 'false' },
      h('td', { 'data-col': 'name' },
        h('div', { class: 'job' },
          h('span', { class: 'health', 'data-outcome': outcome, title: outcome ? 'last finished run: ' + (OUTCOMES[outcome] || outcome) : 'no finished run yet' }),
          h('span', { class: 'job-name', text: name })),
        job.stale ? h('div', { class: 'job-flags' }, h('span', { class: 'tag stale', title: staleTitle(job), text: 'stale' })) : null),
      h('td', { 'data-col': 'schedule', 'data-label': 'Schedule' }, schedule(job.schedule)),
      h('td', { 'data-col': 'policy', 'data-label': 'Policy' },
        h('span', { class: 'tags' },
          h('span', { class: 'tag', title: 'catch-up policy' }, 'catch-up ', h('b', { text: str(job.catchup) })),
          h('span', { class: 'tag', title: 'overlap policy' }, 'overlap ', h('b', { text: str(job.overlap) })),
          paused ? h('span', {
            class: 'tag warn paused',
            title: 'paused since ' + isoShort(paused.since) + ' by ' + str(paused.by) + (paused.reason ? ': ' + str(paused.reason) : '') + ' \u00b7 cronkeeper resume ' + name,
            text: 'paused'
          }) : null)),
      whenCell('last', 'Last slot', job.last),
      paused
        ? h('td', { 'data-col': 'next', 'data-label': 'Next slot', class: 'when' }, h('span', { class: 'never', text: 'paused' }))
        : whenCell('next', 'Next slot', job.next),
      h('td', { 'data-col': 'dropped', 'data-label': 'Dropped', class: 'num col-dropped' },
        h('span', {
          class: 'dropped' + (dropped > 0 ? ' some' : ''),
          title: dropped > 0 ? 'missed slots dropped by maxCatchup / catch-up policy since this daemon started' : 'no missed slots dropped',
          text: String(dropped)
        })),
      gridCell(job));
  }

  function card(id, label, value, sub, extra) {
    return h('div', { class: 'card' + (extra && extra.warn ? ' warn' : ''), id: id },
      h('div', { class: 'label', text: label }),
      h('div', { class: 'value' }, value),
      sub ? h('div', { class: 'sub' }, sub) : null,
      extra && extra.after ? extra.after : null);
  }

  function renderCards(data) {
    var node = data.node || null;
    var leader = data.leader || null;
    var snap = data.snapshot || null;
    var now = parse(data.now) || serverNow();
    var cards = [];

    if (leader && leader.alive === false) {
      var beat = parse(leader.heartbeatAt);
      cards.push(card('leader', 'Leader', h('span', { class: 'bad', text: 'no live leader' }),
        ['last: ', h('span', { class: 'mono', text: str(leader.nodeId) }), ' \u00b7 epoch ' + str(leader.epoch),
          beat !== null ? [' \u00b7 heartbeat ', relEl('span', {}, beat, 'age')] : null,
          leader.why ? ' \u00b7 ' + str(leader.why) : null], { warn: true }));
    } else if (leader) {
      var since = typeof leader.ledForMs === 'number' ? now - leader.ledForMs : parse(leader.since);
      cards.push(card('leader', 'Leader',
        [h('span', { class: 'mono', text: str(leader.nodeId) }), ' ', h('span', { class: 'muted', text: '\u00b7 epoch ' + str(leader.epoch) })],
        since !== null ? ['leading for ', relEl('span', {}, since, 'for'), leader.heartbeatAt ? ' \u00b7 heartbeat ' : '',
          leader.heartbeatAt && parse(leader.heartbeatAt) !== null ? relEl('span', {}, parse(leader.heartbeatAt), 'age') : null] : null));
    } else {
      cards.push(card('leader', 'Leader', h('span', { class: 'bad', text: 'no live leader' }), 'none has led yet', { warn: true }));
    }

    if (snap) {
      var created = parse(snap.createdAt);
      cards.push(card('snapshot', 'Snapshot',
        ['#' + str(snap.id), created !== null ? [', ', relEl('span', {}, created, 'age')] : null],
        'high-water ' + str(snap.highWater) + ' \u00b7 epoch ' + str(snap.epoch) + ' \u00b7 ' + bytes(snap.bytes)));
    } else {
      cards.push(card('snapshot', 'Snapshot', h('span', { class: 'muted', text: 'none yet' }), 'written after the first claims'));
    }

    if (node && node.catchUp) {
      var done = Number(node.catchUp.done) || 0;
      var total = Number(node.catchUp.total) || 0;
      var pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
      var rate = typeof node.catchUp.ratePerSecond === 'number' ? ' \u00b7 ' + node.catchUp.ratePerSecond + '/s' : '';
      var leftS = typeof node.catchUp.leftMs === 'number' ? ' \u00b7 about ' + Math.max(1, Math.round(node.catchUp.leftMs / 1000)) + ' s left' : '';
      cards.push(card('catchup', 'Catch-up', done + ' / ' + total + ' runs', pct + '%' + rate + leftS + ' \u00b7 normal scheduling resumes after it',
        { after: h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done },
          h('div', { style: 'width:' + pct + '%' })) }));
    }

    var nodes = Array.isArray(data.nodes) ? data.nodes : [];
    var standbys = nodes.filter(function (n) { return n.role === 'standby'; }).length;
    var live = nodes.filter(function (n) { return n.role === 'leader' || n.role === 'standby'; }).length;
    var down = nodes.length - live;
    cards.push(card('store', 'Cluster',
      live + ' live node' + (live === 1 ? '' : 's') + (down ? ' \u00b7 ' + down + ' gone or stopped' : ''),
      (standbys ? standbys + ' standing by \u00b7 ' : 'no standby \u00b7 ') + 'store ' + str(data.store)));

    replace($('cards'), cards);
  }

  function renderTopbar(data) {
    var node = data.node || null;
    var role = node ? str(node.role) : 'unknown';
    var roleEl = $('role');
    roleEl.className = 'role ' + role.replace(/[^a-z]/g, '');
    roleEl.textContent = role;
    $('node-id').textContent = node ? str(node.nodeId) : '';
    var ready = $('ready');
    ready.hidden = !node;
    ready.textContent = node ? (node.ready ? 'ready' : (node.catchUp ? 'catching up' : 'not ready')) : '';
    ready.className = 'tag ' + (node && node.ready ? 'ok' : 'warn');
    var now = parse(data.now);
    var updated = $('updated');
    replace(updated, h('span', { class: 'dot' }), 'updated ' + (now !== null ? hms(now) + ' UTC' : hms(Date.now())));
    updated.title = 'server time of the last successful fetch: ' + str(data.now);
    updated.classList.remove('loading');
    updated.classList.remove('fresh');
    void updated.offsetWidth;
    updated.classList.add('fresh');
  }

  function renderJobs(data) {
    var jobs = Array.isArray(data.jobs) ? data.jobs : [];
    var tbody = $('jobs-body');
    if (jobs.length === 0) {
      replace(tbody, h('tr', {}, h('td', { colspan: 7, class: 'empty-state', text: 'No jobs configured.' })));
    } else {
      replace(tbody, jobs.map(jobRow));
    }
    var failing = 0, running = 0, dropped = 0, stale = 0;
    jobs.forEach(function (j) {
      var o = latestOutcome(j);
      var hl = health(j);
      if (hl && FAILING[hl]) failing++;
      if (j.stale) stale++;
      if (o && ACTIVE[o]) running++;
      dropped += Number(j.dropped) || 0;
    });
    var parts = [h('b', { text: jobs.length + ' job' + (jobs.length === 1 ? '' : 's') })];
    if (failing) parts.push(' \u00b7 ', h('b', { class: 'bad', text: failing + ' failing' }));
    if (stale) parts.push(' \u00b7 ', h('b', { class: 'bad', text: stale + ' stale' }));
    if (running) parts.push(' \u00b7 ', h('span', { text: running + ' running' }));
    if (dropped) parts.push(' \u00b7 ', h('span', { class: 'warn', text: dropped + ' slot' + (dropped === 1 ? '' : 's') + ' dropped' }));
    replace($('job-summary'), parts);
    return { failing: failing, running: running, stale: stale };
  }

  function renderNodes(data) {
    var nodes = Array.isArray(data.nodes) ? data.nodes : [];
    $('nodes-panel').hidden = nodes.length === 0;
    replace($('nodes-body'), nodes.map(function (n) {
      var seen = parse(n.seenAt);
      var started = parse(n.startedAt);
      return h('tr', { 'data-node': str(n.nodeId) },
        h('td', { 'data-label': 'Node' }, h('span', { class: 'mono', text: str(n.nodeId) })),
        h('td', { 'data-label': 'Role' }, h('span', { class: 'role ' + str(n.role).replace(/[^a-z]/g, ''), text: str(n.role) })),
        h('td', { 'data-label': 'Host' }, h('span', { class: 'mono', text: str(n.host) + (n.pid !== undefined && n.pid !== null ? ' \u00b7 pid ' + n.pid : '') })),
        h('td', { 'data-label': 'Epoch', text: n.epoch === null || n.epoch === undefined ? '\u2014' : String(n.epoch) }),
        h('td', { 'data-label': 'Started' }, started !== null ? relEl('span', { title: str(n.startedAt) }, started, 'age') : '\u2014'),
        h('td', { 'data-label': 'Seen' }, seen !== null ? relEl('span', { title: str(n.seenAt) }, seen, 'age') : '\u2014'));
    }));
  }

  function setFavicon(kind) {
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="' + FAVICON[kind] + '"/></svg>';
    $('favicon').setAttribute('href', 'data:image/svg+xml,' + encodeURIComponent(svg));
  }

  function render(data) {
    renderTopbar(data);
    renderCards(data);
    var counts = renderJobs(data);
    renderNodes(data);
    var node = data.node || null;
    document.title = (counts.failing ? '\u2716 ' + counts.failing + ' failing \u00b7 ' : '') +
      (node ? str(node.nodeId) + ' (' + str(node.role) + ') \u00b7 ' : '') + 'cronkeeper';
    setFavicon(counts.failing || counts.stale ? 'bad' : counts.running ? 'busy' : (data.jobs && data.jobs.length ? 'ok' : 'none'));
  }

  function showError(message) {
    var banner = $('banner');
    var detail = last
      ? ['Showing the data of ', hms(parse(last.data.now) || last.fetchedAt), ' UTC (', relEl('span', {}, last.fetchedAt + last.skew, 'age'), ').']
      : ['Nothing to show yet.'];
    replace(banner,
      h('span', { class: 'icon', 'aria-hidden': 'true', text: '!' }),
      h('span', {}, h('strong', { text: 'Cannot refresh the status: ' }), message + '. ', detail, ' Retrying every ' + REFRESH_MS / 1000 + ' s.'));
    banner.hidden = false;
    $('updated').classList.add('stale');
    if (!last) {
      replace($('jobs-body'), h('tr', {}, h('td', { colspan: 7, class: 'empty-state', text: 'The status could not be loaded.' })));
    }
  }
  function clearError() {
    var banner = $('banner');
    banner.hidden = true;
    replace(banner);
    $('updated').classList.remove('stale');
  }

  function errorMessage(res, body) {
    var msg = 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
    try {
      var j = JSON.parse(body);
      if (j && typeof j.error === 'string') return msg + ': ' + j.error;
    } catch (e) { /* not JSON */ }
    body = str(body).trim();
    if (res.status === 401) return msg + (token ? ': the token was refused' : ': open this page with ?token=<http.token>');
    return body ? msg + ': ' + body.slice(0, 300) : msg;
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
      .then(function (got) {
        var data = got.data;
        var receivedAt = Date.now();
        var now = parse(data.now);
        var skew = now !== null ? now + got.ageMs - Math.round((sentAt + receivedAt) / 2) : 0;
        var previous = last;
        last = { data: data, skew: skew, fetchedAt: receivedAt };
        try {
          render(data);
          clearError();
        } catch (e) {
          last = previous;
          throw new Error('cannot render the status: ' + (e && e.message ? e.message : e));
        }
      })
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
  load();
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
  <footer>Refreshes every ${STATUS_PAGE_REFRESH_MS / 1000} s · times in UTC · <a id="json-link" href="status">status JSON</a></footer>
</main>`;

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
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
