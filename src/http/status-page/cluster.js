// @ts-check
// The node and its cluster: the top bar (this node's role, id and readiness,
// the update time), the cards (the leader and its epoch, the snapshot,
// catch-up progress, the cluster and its database), the nodes table, and the
// workers of runOn pools.
import { $, bytes, h, hms, isoShort, parse, replace, str } from './dom.js';
import { relEl, serverNow } from './live-times.js';

/** @typedef {import('./dom.js').Child} Child */

/**
 * @param {string} id
 * @param {string} label
 * @param {Child} value
 * @param {Child} sub
 * @param {{ warn?: boolean, after?: Node }} [extra]
 */
function card(id, label, value, sub, extra) {
  return h(
    'div',
    { class: 'card' + (extra && extra.warn ? ' warn' : ''), id: id },
    h('div', { class: 'label', text: label }),
    h('div', { class: 'value' }, value),
    sub ? h('div', { class: 'sub' }, sub) : null,
    extra && extra.after ? extra.after : null,
  );
}

/**
 * @param {any} leader
 * @param {number} now the server's time (epoch ms)
 */
function leaderCard(leader, now) {
  if (leader && leader.alive === false) {
    const beat = parse(leader.heartbeatAt);
    return card(
      'leader',
      'Leader',
      h('span', { class: 'bad', text: 'no live leader' }),
      [
        'last: ',
        h('span', { class: 'mono', text: str(leader.nodeId) }),
        ' \u00b7 epoch ' + str(leader.epoch),
        beat !== null ? [' \u00b7 heartbeat ', relEl('span', {}, beat, 'age')] : null,
        leader.why ? ' \u00b7 ' + str(leader.why) : null,
      ],
      { warn: true },
    );
  }
  if (leader) {
    const since = typeof leader.ledForMs === 'number' ? now - leader.ledForMs : parse(leader.since);
    const beat = parse(leader.heartbeatAt);
    return card(
      'leader',
      'Leader',
      [
        h('span', { class: 'mono', text: str(leader.nodeId) }),
        ' ',
        h('span', { class: 'muted', text: '\u00b7 epoch ' + str(leader.epoch) }),
      ],
      since !== null
        ? [
            'leading for ',
            relEl('span', {}, since, 'for'),
            leader.heartbeatAt ? ' \u00b7 heartbeat ' : '',
            leader.heartbeatAt && beat !== null ? relEl('span', {}, beat, 'age') : null,
          ]
        : null,
    );
  }
  return card('leader', 'Leader', h('span', { class: 'bad', text: 'no live leader' }), 'none has led yet', {
    warn: true,
  });
}

/** @param {any} snap */
function snapshotCard(snap) {
  if (!snap) {
    return card(
      'snapshot',
      'Snapshot',
      h('span', { class: 'muted', text: 'none yet' }),
      'written after the first claims',
    );
  }
  const created = parse(snap.createdAt);
  return card(
    'snapshot',
    'Snapshot',
    ['#' + str(snap.id), created !== null ? [', ', relEl('span', {}, created, 'age')] : null],
    'high-water ' + str(snap.highWater) + ' \u00b7 epoch ' + str(snap.epoch) + ' \u00b7 ' + bytes(snap.bytes),
  );
}

/** @param {any} catchUp */
function catchUpCard(catchUp) {
  const done = Number(catchUp.done) || 0;
  const total = Number(catchUp.total) || 0;
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  const rate = typeof catchUp.ratePerSecond === 'number' ? ' \u00b7 ' + catchUp.ratePerSecond + '/s' : '';
  const leftS =
    typeof catchUp.leftMs === 'number'
      ? ' \u00b7 about ' + Math.max(1, Math.round(catchUp.leftMs / 1000)) + ' s left'
      : '';
  return card(
    'catchup',
    'Catch-up',
    done + ' / ' + total + ' runs',
    pct + '%' + rate + leftS + ' \u00b7 normal scheduling resumes after it',
    {
      after: h(
        'div',
        {
          class: 'progress',
          role: 'progressbar',
          'aria-valuemin': 0,
          'aria-valuemax': total,
          'aria-valuenow': done,
        },
        h('div', { style: 'width:' + pct + '%' }),
      ),
    },
  );
}

/** @param {any} data the status document */
function clusterCard(data) {
  const database = data.database && typeof data.database === 'object' ? data.database : null;
  const nodes = /** @type {any[]} */ (Array.isArray(data.nodes) ? data.nodes : []);
  const standbys = nodes.filter((n) => n.role === 'standby').length;
  const live = nodes.filter((n) => n.role === 'leader' || n.role === 'standby').length;
  const down = nodes.length - live;
  return card(
    'store',
    'Cluster',
    live + ' live node' + (live === 1 ? '' : 's') + (down ? ' \u00b7 ' + down + ' gone or stopped' : ''),
    [
      (standbys ? standbys + ' standing by \u00b7 ' : 'no standby \u00b7 ') + 'store ' + str(data.store),
      database ? ' \u00b7 timeline ' + str(database.timeline) : null,
      database && database.failovers > 0
        ? h('span', {
            class: 'warn-text',
            title:
              'a new primary since ' + isoShort(database.since) + ' (seen by ' + str(database.seenBy) + ')',
            text:
              ' \u00b7 ' + database.failovers + ' database failover' + (database.failovers === 1 ? '' : 's'),
          })
        : null,
    ],
  );
}

/** @param {any} data the status document */
export function renderCards(data) {
  const node = data.node || null;
  const now = parse(data.now) || serverNow();
  replace(
    $('cards'),
    leaderCard(data.leader || null, now),
    snapshotCard(data.snapshot || null),
    node && node.catchUp ? catchUpCard(node.catchUp) : null,
    clusterCard(data),
  );
}

/** @param {any} data the status document */
export function renderTopbar(data) {
  const node = data.node || null;
  const role = node ? str(node.role) : 'unknown';
  const roleEl = $('role');
  roleEl.className = 'role ' + role.replace(/[^a-z]/g, '');
  roleEl.textContent = role;
  $('node-id').textContent = node ? str(node.nodeId) : '';
  const ready = $('ready');
  ready.hidden = !node;
  ready.textContent = node ? (node.ready ? 'ready' : node.catchUp ? 'catching up' : 'not ready') : '';
  ready.className = 'tag ' + (node && node.ready ? 'ok' : 'warn');
  const now = parse(data.now);
  const updated = $('updated');
  replace(
    updated,
    h('span', { class: 'dot' }),
    'updated ' + (now !== null ? hms(now) + ' UTC' : hms(Date.now())),
  );
  updated.title = 'server time of the last successful fetch: ' + str(data.now);
  updated.classList.remove('loading');
  updated.classList.remove('fresh');
  // Reading the layout restarts the "fresh" animation when the class comes back.
  void updated.offsetWidth;
  updated.classList.add('fresh');
}

/**
 * A cell of an id or a name, in the monospace font.
 * @param {string} col
 * @param {string} label
 * @param {any} v
 */
function monoCell(col, label, v) {
  return h('td', { 'data-col': col, 'data-label': label }, h('span', { class: 'mono', text: str(v) }));
}

/**
 * A node's or worker's host and pid.
 * @param {any} host
 * @param {any} pid
 */
function hostCell(host, pid) {
  return monoCell(
    'host',
    'Host',
    str(host) + (pid !== undefined && pid !== null ? ' \u00b7 pid ' + pid : ''),
  );
}

/**
 * How long ago an instant was, kept live by tick(); "—" without one.
 * @param {string} col
 * @param {string} label
 * @param {any} iso
 */
function ageCell(col, label, iso) {
  const t = parse(iso);
  return h(
    'td',
    { 'data-col': col, 'data-label': label },
    t !== null ? relEl('span', { title: str(iso) }, t, 'age') : '\u2014',
  );
}

/** @param {any} data the status document */
export function renderNodes(data) {
  const nodes = /** @type {any[]} */ (Array.isArray(data.nodes) ? data.nodes : []);
  $('nodes-panel').hidden = nodes.length === 0;
  replace(
    $('nodes-body'),
    nodes.map((n) =>
      h(
        'tr',
        { 'data-node': str(n.nodeId) },
        monoCell('node', 'Node', n.nodeId),
        h(
          'td',
          { 'data-col': 'role', 'data-label': 'Role' },
          h('span', { class: 'role ' + str(n.role).replace(/[^a-z]/g, ''), text: str(n.role) }),
        ),
        hostCell(n.host, n.pid),
        h('td', {
          'data-col': 'epoch',
          'data-label': 'Epoch',
          text: n.epoch === null || n.epoch === undefined ? '\u2014' : String(n.epoch),
        }),
        ageCell('started', 'Started', n.startedAt),
        ageCell('seen', 'Seen', n.seenAt),
      ),
    ),
  );
}

/**
 * The workers of runOn pools (none without pool jobs: no section then), in
 * the server's order, newest heartbeat first. Their state is the server's
 * judgement (alive, silent, stopped; read-status.ts).
 * @param {any} data the status document
 */
export function renderWorkers(data) {
  const workers = /** @type {any[]} */ (Array.isArray(data.workers) ? data.workers : []);
  $('workers-panel').hidden = workers.length === 0;
  replace(
    $('workers-body'),
    workers.map((w) => {
      const state = str(w.state);
      return h(
        'tr',
        { 'data-worker': str(w.workerId), 'data-state': state },
        monoCell('worker', 'Worker', w.workerId),
        monoCell('pool', 'Pool', w.pool),
        h(
          'td',
          { 'data-col': 'state', 'data-label': 'State' },
          h('span', { class: 'role ' + state.replace(/[^a-z]/g, ''), text: state }),
        ),
        h('td', {
          'data-col': 'running',
          'data-label': 'Running',
          class: 'num',
          title: 'runs in progress / concurrency',
          text: str(w.running) + ' / ' + str(w.concurrency),
        }),
        hostCell(w.host, w.pid),
        ageCell('heartbeat', 'Heartbeat', w.heartbeatAt),
      );
    }),
  );
}
