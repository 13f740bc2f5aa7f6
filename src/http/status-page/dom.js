// @ts-check
// Building DOM nodes from strings without markup, and formatting times, sizes
// and durations. Everything taken from the status document reaches the DOM
// through textContent or setAttribute, never through innerHTML: job names are
// user config.

/**
 * What h, append and replace take as children: nodes, text, and lists of them
 * (any depth; a JSDoc type cannot say so itself).
 * @typedef {Node | string | number | boolean | null | undefined | unknown[]} Child
 */

/** @param {string} id */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/**
 * h('td', { class: 'x', 'data-col': 'name' }, child, ...): children are nodes
 * or strings (text nodes), never markup; an attribute null, undefined or false
 * is left out, and `text` sets the text.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...Child} children
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else el.setAttribute(k, String(v));
    }
  }
  for (const child of children) append(el, child);
  return el;
}

/**
 * @param {Node} el
 * @param {Child} child
 */
export function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    child.forEach((c) => append(el, /** @type {Child} */ (c)));
    return;
  }
  el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}

/**
 * @param {Node} el
 * @param {...Child} children
 */
export function replace(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  for (const child of children) append(el, child);
}

/** @param {unknown} v */
export function str(v) {
  return v === null || v === undefined ? '' : String(v);
}

/** @param {number} n */
function pad(n) {
  return (n < 10 ? '0' : '') + n;
}

/**
 * Epoch ms of an ISO instant, or null.
 * @param {unknown} iso
 */
export function parse(iso) {
  const t = Date.parse(/** @type {string} */ (iso));
  return isNaN(t) ? null : t;
}

/** @param {unknown} iso */
export function isoShort(iso) {
  return str(iso).replace(/\.000Z$/, 'Z');
}

/** @param {number} ms */
export function hms(ms) {
  const d = new Date(ms);
  return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
}

/**
 * 45 s, 3 m, 2 h 5 m, 3 d 4 h
 * @param {number} ms
 */
export function span(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' m';
  const hr = Math.floor(m / 60);
  if (hr < 24) return hr + ' h' + (m % 60 ? ' ' + (m % 60) + ' m' : '');
  const d = Math.floor(hr / 24);
  return d + ' d' + (hr % 24 ? ' ' + (hr % 24) + ' h' : '');
}

/**
 * "in 3 m", "5 m ago", "now"
 * @param {number} t
 * @param {number} now
 */
export function relative(t, now) {
  const diff = t - now;
  if (Math.abs(diff) < 1000) return 'now';
  return diff > 0 ? 'in ' + span(diff) : span(diff) + ' ago';
}

/** @param {unknown} ms */
export function duration(ms) {
  if (ms === null || ms === undefined || typeof ms !== 'number' || !isFinite(ms)) return null;
  if (ms < 1000) return Math.round(ms * 10) / 10 + ' ms';
  if (ms < 60000) return Math.round(ms / 100) / 10 + ' s';
  if (ms < 3600000) return Math.floor(ms / 60000) + ' m ' + Math.floor((ms % 60000) / 1000) + ' s';
  return span(ms);
}

/** @param {unknown} n */
export function bytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return n + ' B';
  if (n < 1048576) return Math.round(n / 102.4) / 10 + ' KiB';
  return Math.round(n / 104857.6) / 10 + ' MiB';
}
