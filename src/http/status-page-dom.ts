// The status page's script, first part (see status-page.ts): building DOM
// nodes from strings without markup, formatting times, sizes and durations,
// live relative times, and the cells that show an instant. Inlined into the
// page's one function scope, with status-page-render.ts.
export const STATUS_PAGE_DOM_SCRIPT = String.raw`
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

  // 03:30:00 GMT+1: the instant in the job's zone, with its date when that is not the UTC one.
  function zonedTime(ms, zone) {
    try {
      var parts = {};
      new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short'
      }).formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
      var date = parts.year + '-' + parts.month + '-' + parts.day;
      var time = parts.hour + ':' + parts.minute + ':' + parts.second + ' ' + parts.timeZoneName;
      return date === new Date(ms).toISOString().slice(0, 10) ? time : date + ' ' + time;
    } catch (e) {
      return null;
    }
  }

  function whenCell(col, label, iso, baseline, zone) {
    var t = parse(iso);
    if (!iso || t === null) {
      return h('td', { 'data-col': col, 'data-label': label, class: 'when' }, h('span', {
        class: 'never',
        title: baseline ? 'no run yet; its schedule counts from ' + isoShort(baseline) : null,
        text: col === 'last' ? 'never' : '\u2014'
      }));
    }
    var local = zone && zone !== 'UTC' ? zonedTime(t, zone) : null;
    return h('td', { 'data-col': col, 'data-label': label, class: 'when' },
      isoTime(iso),
      local ? h('span', { class: 'zoned', title: 'in the job\'s zone, ' + zone, text: local }) : null,
      relEl('span', { class: 'rel' }, t, 'rel'));
  }

`;
