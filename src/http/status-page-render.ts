// The status page's script, second part (see status-page.ts): a status
// document drawn as the header cards, the jobs table with each job's slot
// grid, and the nodes table; the error banner. Inlined into the page's one
// function scope, after status-page-dom.ts.
export const STATUS_PAGE_RENDER_SCRIPT = String.raw`
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
      whenCell('last', 'Last slot', job.last, job.baseline, job.timezone),
      paused
        ? h('td', { 'data-col': 'next', 'data-label': 'Next slot', class: 'when' }, h('span', { class: 'never', text: 'paused' }))
        : whenCell('next', 'Next slot', job.next, null, job.timezone),
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

    var database = data.database && typeof data.database === 'object' ? data.database : null;
    var nodes = Array.isArray(data.nodes) ? data.nodes : [];
    var standbys = nodes.filter(function (n) { return n.role === 'standby'; }).length;
    var live = nodes.filter(function (n) { return n.role === 'leader' || n.role === 'standby'; }).length;
    var down = nodes.length - live;
    cards.push(card('store', 'Cluster',
      live + ' live node' + (live === 1 ? '' : 's') + (down ? ' \u00b7 ' + down + ' gone or stopped' : ''),
      [(standbys ? standbys + ' standing by \u00b7 ' : 'no standby \u00b7 ') + 'store ' + str(data.store),
        database ? ' \u00b7 timeline ' + str(database.timeline) : null,
        database && database.failovers > 0 ? h('span', {
          class: 'warn-text',
          title: 'a new primary since ' + isoShort(database.since) + ' (seen by ' + str(database.seenBy) + ')',
          text: ' \u00b7 ' + database.failovers + ' database failover' + (database.failovers === 1 ? '' : 's')
        }) : null]));

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
    var database = data.database && typeof data.database === 'object' ? data.database : null;
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

`;
