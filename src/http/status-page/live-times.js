// @ts-check
// Times that change as the page stays open: relative times ("in 3 m", "5 m
// ago") kept live by tick(), on the server's clock as the last document
// measured it; and the cells that show an instant, in UTC and in the job's
// zone.
import { $, h, isoShort, parse, relative, span } from './dom.js';
import { REFRESH_MS, shown } from './settings.js';

/** Now on the server's clock (epoch ms), as far as the last document tells. */
export function serverNow() {
  return Date.now() + (shown.last ? shown.last.skew : 0);
}

/**
 * An element whose text tick() keeps up to date: data-rel is an instant (epoch
 * ms, server clock), data-rel-fmt how to show it ('rel': "in 3 m" / "5 m ago";
 * 'age': "5 m ago"; 'for': "5 m").
 * @param {string} tag
 * @param {Record<string, unknown> | null} attrs
 * @param {number} t
 * @param {'rel' | 'age' | 'for'} fmt
 */
export function relEl(tag, attrs, t, fmt) {
  const el = h(tag, { ...attrs, 'data-rel': t, 'data-rel-fmt': fmt });
  tickOne(el, serverNow());
  return el;
}

/**
 * @param {Element} el
 * @param {number} now
 */
function tickOne(el, now) {
  const t = Number(el.getAttribute('data-rel'));
  const fmt = el.getAttribute('data-rel-fmt');
  const text = fmt === 'for' ? span(now - t) : fmt === 'age' && t > now ? 'now' : relative(t, now);
  if (el.textContent !== text) el.textContent = text;
  if (fmt === 'rel') el.classList.toggle('soon', t > now && t - now < 60000);
}

/** Brings every relative time up to date, and marks the update time stale when the data is. */
export function tick() {
  const now = serverNow();
  document.querySelectorAll('[data-rel]').forEach((el) => tickOne(el, now));
  if (shown.last) {
    const age = Date.now() - shown.last.fetchedAt;
    $('updated').classList.toggle('stale', age > 3 * REFRESH_MS || !$('banner').hidden);
  }
}

/**
 * 2026-11-26T23:49:00Z; in a squeezed column, date and time go on two lines.
 * @param {string} iso
 */
function isoTime(iso) {
  const shownIso = isoShort(iso);
  const at = shownIso.indexOf('T');
  return at < 0
    ? h('time', { datetime: iso, title: iso, text: shownIso })
    : h(
        'time',
        { datetime: iso, title: iso },
        h('span', { class: 'd', text: shownIso.slice(0, at + 1) }),
        h('span', { class: 't', text: shownIso.slice(at + 1) }),
      );
}

/**
 * 03:30:00 GMT+1: the instant in the job's zone, with its date when that is not the UTC one.
 * @param {number} ms
 * @param {string} zone
 */
function zonedTime(ms, zone) {
  try {
    /** @type {Record<string, string>} */
    const parts = {};
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    })
      .formatToParts(new Date(ms))
      .forEach((p) => (parts[p.type] = p.value));
    const date = parts.year + '-' + parts.month + '-' + parts.day;
    const time = parts.hour + ':' + parts.minute + ':' + parts.second + ' ' + parts.timeZoneName;
    return date === new Date(ms).toISOString().slice(0, 10) ? time : date + ' ' + time;
  } catch {
    return null;
  }
}

/**
 * The cell of a job's last or next slot: the instant in UTC, in the job's
 * zone, and how far off; or "never" / "—".
 * @param {'last' | 'next'} col
 * @param {string} label
 * @param {string | null | undefined} iso
 * @param {string | null | undefined} baseline
 * @param {string | null | undefined} zone
 */
export function whenCell(col, label, iso, baseline, zone) {
  const t = parse(iso);
  if (!iso || t === null) {
    return h(
      'td',
      { 'data-col': col, 'data-label': label, class: 'when' },
      h('span', {
        class: 'never',
        title: baseline ? 'no run yet; its schedule counts from ' + isoShort(baseline) : null,
        text: col === 'last' ? 'never' : '\u2014',
      }),
    );
  }
  const local = zone && zone !== 'UTC' ? zonedTime(t, zone) : null;
  return h(
    'td',
    { 'data-col': col, 'data-label': label, class: 'when' },
    isoTime(iso),
    local ? h('span', { class: 'zoned', title: "in the job's zone, " + zone, text: local }) : null,
    relEl('span', { class: 'rel' }, t, 'rel'),
  );
}
