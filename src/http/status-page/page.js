// @ts-check
// The status page's script: paints the status document the page carries
// (#first-status, put there by the server), then fetches `status` every
// REFRESH_MS and draws it; keeps the last one under an error banner when a
// fetch fails. The DOM is part of the contract with the tests
// (test/support/chromium.ts): rows are `tr[data-job]`, cells carry
// `data-col`, slot squares are `.slot[data-outcome][data-catchup]`, oldest
// first; the header fields are #role, #leader, #snapshot, #catchup, #updated;
// the error banner is #banner. Nodes are `#nodes-body tr[data-node]` and
// workers `#workers-body tr[data-worker][data-state]`, their cells with
// `data-col` too; a panel with no rows (#nodes-panel, #workers-panel) is
// hidden.
import { renderCards, renderNodes, renderTopbar, renderWorkers } from './cluster.js';
import { $, h, hms, parse, replace, str } from './dom.js';
import { renderJobs } from './jobs.js';
import { relEl, tick } from './live-times.js';
import { OUTCOMES, REFRESH_MS, shown, token } from './settings.js';

/** The favicon's colour: jobs all well, some failing or stale, some running, none. */
const FAVICON = { ok: '#2da44e', bad: '#cf222e', busy: '#0969da', none: '#8c959f' };

/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
let inFlight = false;

/** @param {keyof typeof FAVICON} kind */
function setFavicon(kind) {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="' +
    FAVICON[kind] +
    '"/></svg>';
  $('favicon').setAttribute('href', 'data:image/svg+xml,' + encodeURIComponent(svg));
}

/** @param {any} data the status document */
function render(data) {
  renderTopbar(data);
  renderCards(data);
  const counts = renderJobs(data);
  renderNodes(data);
  renderWorkers(data);
  const node = data.node || null;
  document.title =
    (counts.failing ? '\u2716 ' + counts.failing + ' failing \u00b7 ' : '') +
    (node ? str(node.nodeId) + ' (' + str(node.role) + ') \u00b7 ' : '') +
    'cronkeeper';
  setFavicon(
    counts.failing || counts.stale
      ? 'bad'
      : counts.running
        ? 'busy'
        : data.jobs && data.jobs.length
          ? 'ok'
          : 'none',
  );
}

/** @param {string} message */
function showError(message) {
  const banner = $('banner');
  const last = shown.last;
  const detail = last
    ? [
        'Showing the data of ',
        hms(parse(last.data.now) || last.fetchedAt),
        ' UTC (',
        relEl('span', {}, last.fetchedAt + last.skew, 'age'),
        ').',
      ]
    : ['Nothing to show yet.'];
  replace(
    banner,
    h('span', { class: 'icon', 'aria-hidden': 'true', text: '!' }),
    h(
      'span',
      {},
      h('strong', { text: 'Cannot refresh the status: ' }),
      message + '. ',
      detail,
      ' Retrying every ' + REFRESH_MS / 1000 + ' s.',
    ),
  );
  banner.hidden = false;
  $('updated').classList.add('stale');
  if (!last) {
    replace(
      $('jobs-body'),
      h('tr', {}, h('td', { colspan: 7, class: 'empty-state', text: 'The status could not be loaded.' })),
    );
  }
}

function clearError() {
  const banner = $('banner');
  banner.hidden = true;
  replace(banner);
  $('updated').classList.remove('stale');
}

/**
 * @param {Response} res
 * @param {string} body
 */
function errorMessage(res, body) {
  const msg = 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
  try {
    const j = JSON.parse(body);
    if (j && typeof j.error === 'string') return msg + ': ' + j.error;
  } catch {
    // not JSON
  }
  const text = str(body).trim();
  if (res.status === 401)
    return msg + (token ? ': the token was refused' : ': open this page with ?token=<http.token>');
  return text ? msg + ': ' + text.slice(0, 300) : msg;
}

/**
 * Shows a status document read ageMs before the server sent it, asked for at
 * sentAt and here at receivedAt (epoch ms, this clock).
 * @param {any} data
 * @param {number} ageMs
 * @param {number} sentAt
 * @param {number} receivedAt
 */
function show(data, ageMs, sentAt, receivedAt) {
  const now = parse(data.now);
  const skew = now !== null ? now + ageMs - Math.round((sentAt + receivedAt) / 2) : 0;
  const previous = shown.last;
  shown.last = { data: data, skew: skew, fetchedAt: receivedAt };
  try {
    render(data);
    clearError();
  } catch (e) {
    shown.last = previous;
    throw new Error('cannot render the status: ' + (e instanceof Error ? e.message : e), { cause: e });
  }
}

/** @param {any} data */
function isStatusDocument(data) {
  return data && typeof data === 'object' && Array.isArray(data.jobs);
}

/** The document the server put in the page (#first-status): painted at once, fetched again later. */
function showEmbedded() {
  const el = document.getElementById('first-status');
  if (!el) return false;
  try {
    const data = JSON.parse(el.textContent ?? '');
    if (!isStatusDocument(data)) return false;
    const at =
      performance.timing && performance.timing.responseStart ? performance.timing.responseStart : Date.now();
    show(data, Number(el.getAttribute('data-age-ms')) || 0, at, at);
    return true;
  } catch {
    return false;
  }
}

function load() {
  if (inFlight) return;
  inFlight = true;
  clearTimeout(timer);
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const ctrl = new AbortController();
  const abort = setTimeout(() => ctrl.abort(), REFRESH_MS - 500);
  const sentAt = Date.now();
  fetch('status', { headers: headers, cache: 'no-store', credentials: 'same-origin', signal: ctrl.signal })
    .then((res) =>
      res.text().then((body) => {
        if (!res.ok) throw new Error(errorMessage(res, body));
        let data;
        try {
          data = JSON.parse(body);
        } catch {
          throw new Error('the response is not JSON');
        }
        if (!isStatusDocument(data)) throw new Error('the response is not a status document');
        // The server shares a document read up to a few seconds ago: its now is that read's time.
        return { data: data, ageMs: Number(res.headers.get('x-status-age-ms')) || 0 };
      }),
    )
    .then((got) => show(got.data, got.ageMs, sentAt, Date.now()))
    .catch((e) => {
      const msg =
        e && e.name === 'AbortError'
          ? 'no answer within ' + (REFRESH_MS - 500) / 1000 + ' s'
          : e && e.message
            ? e instanceof TypeError
              ? 'network error (' + e.message + ')'
              : e.message
            : String(e);
      showError(msg);
    })
    .then(() => {
      clearTimeout(abort);
      inFlight = false;
      timer = setTimeout(load, REFRESH_MS);
    });
}

/** A square of each outcome with its name, a catch-up square, and the dropped mark. */
function legend() {
  const outcomes = [
    'success',
    'failure',
    'timeout',
    'error',
    'stopped',
    'interrupted',
    'skipped',
    'running',
    'claimed',
  ];
  const items = outcomes.map((o) => {
    const label = OUTCOMES[o] ?? o;
    return h(
      'span',
      { title: label },
      h('span', { class: 'slot', 'data-outcome': o, 'aria-hidden': 'true' }),
      o === 'claimed' ? 'claimed' : label.replace(' (overlap)', ''),
    );
  });
  items.push(
    h(
      'span',
      {},
      h('span', { class: 'slot', 'data-outcome': 'success', 'data-catchup': 'true', 'aria-hidden': 'true' }),
      'catch-up run',
    ),
  );
  items.push(h('span', {}, h('span', { class: 'drop-sample', 'aria-hidden': 'true' }), 'dropped'));
  replace($('legend'), items);
}

$('json-link').setAttribute('href', token ? 'status?token=' + encodeURIComponent(token) : 'status');
$('refresh-every').textContent = REFRESH_MS / 1000 + ' s';
legend();
setFavicon('none');
if (showEmbedded()) timer = setTimeout(load, REFRESH_MS);
else load();
setInterval(tick, 1000);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && shown.last && Date.now() - shown.last.fetchedAt > REFRESH_MS)
    load();
});
