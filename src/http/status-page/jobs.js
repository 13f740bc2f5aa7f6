// @ts-check
// The jobs table: a row per job with its schedule, policies, last and next
// slot, dropped count and a grid of its recent slots coloured by outcome, with
// the ranges of slots not run between them; and the summary above it.
import { $, duration, h, isoShort, parse, replace, str } from './dom.js';
import { whenCell } from './live-times.js';
import { GAP_REASONS, GRID_SLOTS, OUTCOMES } from './settings.js';

/** Outcomes of a run not finished yet. */
const ACTIVE = new Set(['running', 'claimed']);

/**
 * A slot square's tooltip: when, how it ended and in how long, what kind of
 * run, and the tail of its output.
 * @param {any} r a run of the status document (job.recent[])
 */
function slotTitle(r) {
  const lines = [isoShort(r.scheduledAt)];
  const what = OUTCOMES[r.outcome] || str(r.outcome);
  const d = duration(r.durationMs);
  lines.push(what + (d ? ' \u00b7 ' + d : ''));
  if (r.manual) lines.push('manual run (cronkeeper trigger)');
  else if (r.catchup) lines.push('catch-up run');
  if (typeof r.attempts === 'number' && r.attempts > 1) lines.push(r.attempts + ' attempts');
  if (r.runId !== undefined && r.runId !== null) lines.push('run #' + r.runId);
  if (typeof r.output === 'string' && r.output.trim() !== '') {
    const tail = r.output.trim().split('\n').slice(-5).join('\n');
    lines.push('\u2014 output \u2014', tail);
  }
  return lines.join('\n');
}

/** @param {any} job */
function recentOf(job) {
  return /** @type {any[]} */ (Array.isArray(job.recent) ? job.recent : []);
}

/** @param {any} job */
function latestOutcome(job) {
  const recent = recentOf(job);
  const r = recent[recent.length - 1];
  return r ? str(r.outcome) : null;
}

/**
 * The newest outcome that says how the job is doing: not running, claimed or skipped.
 * @param {any} job
 */
function health(job) {
  const recent = recentOf(job);
  for (let i = recent.length - 1; i >= 0; i--) {
    const o = str(recent[i].outcome);
    if (!ACTIVE.has(o) && o !== 'skipped') return o;
  }
  return null;
}

/**
 * A range of slots not run, as a mark between the squares.
 * @param {any} g a gap of the status document (job.gaps[])
 */
function gapMark(g) {
  const n = Number(g.slots) || 0;
  const title =
    n +
    (g.exact === false ? '~' : '') +
    ' slot' +
    (n === 1 ? '' : 's') +
    ' not run: ' +
    (GAP_REASONS[g.reason] || str(g.reason)) +
    '\n' +
    isoShort(g.firstSlot) +
    (n > 1 ? ' \u2026 ' + isoShort(g.lastSlot) : '');
  return h('span', {
    class: 'gap',
    role: 'listitem',
    'data-reason': str(g.reason),
    'data-slots': String(n),
    title: title,
    'aria-label': title.replace(/\n/g, ', '),
  });
}

/** @param {any} job */
function gridCell(job) {
  const recent = recentOf(job).slice(-GRID_SLOTS);
  const grid = h('div', {
    class: 'grid',
    role: 'list',
    'aria-label': 'recent slots of ' + str(job.name) + ', oldest first',
  });
  const dropped = Number(job.dropped) || 0;
  const lane = h('span', { class: 'lane' });
  grid.appendChild(lane);
  if (dropped > 0) {
    lane.appendChild(
      h('span', {
        class: 'drop-mark',
        'data-dropped': dropped,
        title:
          dropped +
          ' missed slot' +
          (dropped === 1 ? '' : 's') +
          ' dropped (maxCatchup / catch-up policy) since this daemon started',
        text: '+' + dropped,
      }),
    );
  }
  if (recent.length === 0) {
    grid.appendChild(h('span', { class: 'no-runs', text: 'no runs yet' }));
    return h('td', { 'data-col': 'slots', 'data-label': 'Recent' }, grid);
  }
  for (let i = recent.length; i < GRID_SLOTS; i++) {
    grid.appendChild(h('span', { class: 'slot empty', 'aria-hidden': 'true' }));
  }
  // Slots not run sit between the squares, where they fall in time (those older than the grid are left out).
  const oldest = parse(recent[0].scheduledAt) || 0;
  const gaps = /** @type {any[]} */ (Array.isArray(job.gaps) ? job.gaps : []).filter((g) => {
    const last = parse(g.lastSlot);
    return last !== null && last >= oldest;
  });
  recent.forEach((r, i) => {
    // A missing time (null) counts as 0, as `<` would take it.
    while (gaps.length > 0 && Number(parse(gaps[0].lastSlot)) < Number(parse(r.scheduledAt))) {
      grid.appendChild(gapMark(gaps.shift()));
    }
    grid.appendChild(
      h('span', {
        class: 'slot' + (i === recent.length - 1 ? ' latest' : ''),
        role: 'listitem',
        'data-outcome': str(r.outcome),
        'data-catchup': r.catchup ? 'true' : 'false',
        'data-scheduled-at': str(r.scheduledAt),
        title: slotTitle(r),
        'aria-label': slotTitle(r).replace(/\n/g, ', '),
      }),
    );
  });
  gaps.forEach((g) => grid.appendChild(gapMark(g)));
  return h('td', { 'data-col': 'slots', 'data-label': 'Recent' }, grid);
}

/**
 * "30 2 * * * (Europe/Berlin)": the pattern, and the zone under it.
 * @param {unknown} text
 */
function schedule(text) {
  const m = /^(.*\S) (\([^()]+\))$/.exec(str(text));
  if (!m) return h('span', { class: 'sched', text: str(text) });
  return h(
    'span',
    { class: 'sched' },
    h('span', { class: 'pattern', text: m[1] }),
    ' ',
    h('span', { class: 'zone', text: m[2] }),
  );
}

/**
 * maxAge: why the job is stale, and since when.
 * @param {any} job
 */
function staleTitle(job) {
  return (
    (job.lastSuccess ? 'no successful run since ' + isoShort(job.lastSuccess) : 'never succeeded') +
    ' \u00b7 maxAge ' +
    str(job.maxAge) +
    (job.staleAt ? ' \u00b7 stale since ' + isoShort(job.staleAt) : '')
  );
}

/** @param {any} job */
function jobRow(job) {
  const name = str(job.name);
  const outcome = health(job);
  const dropped = Number(job.dropped) || 0;
  const paused = job.paused && typeof job.paused === 'object' ? job.paused : null;
  return h(
    'tr',
    {
      'data-job': name,
      'data-paused': paused ? 'true' : 'false',
      'data-stale': job.stale ? 'true' : 'false',
    },
    h(
      'td',
      { 'data-col': 'name' },
      h(
        'div',
        { class: 'job' },
        h('span', {
          class: 'health',
          'data-outcome': outcome,
          title: outcome ? 'last finished run: ' + (OUTCOMES[outcome] || outcome) : 'no finished run yet',
        }),
        h('span', { class: 'job-name', text: name }),
      ),
      job.stale
        ? h(
            'div',
            { class: 'job-flags' },
            h('span', { class: 'tag stale', title: staleTitle(job), text: 'stale' }),
          )
        : null,
    ),
    h('td', { 'data-col': 'schedule', 'data-label': 'Schedule' }, schedule(job.schedule)),
    h(
      'td',
      { 'data-col': 'policy', 'data-label': 'Policy' },
      h(
        'span',
        { class: 'tags' },
        h(
          'span',
          { class: 'tag', title: 'catch-up policy' },
          'catch-up ',
          h('b', { text: str(job.catchup) }),
        ),
        h('span', { class: 'tag', title: 'overlap policy' }, 'overlap ', h('b', { text: str(job.overlap) })),
        paused
          ? h('span', {
              class: 'tag warn paused',
              title:
                'paused since ' +
                isoShort(paused.since) +
                ' by ' +
                str(paused.by) +
                (paused.reason ? ': ' + str(paused.reason) : '') +
                ' \u00b7 cronkeeper resume ' +
                name,
              text: 'paused',
            })
          : null,
      ),
    ),
    whenCell('last', 'Last slot', job.last, job.baseline, job.timezone),
    paused
      ? h(
          'td',
          { 'data-col': 'next', 'data-label': 'Next slot', class: 'when' },
          h('span', { class: 'never', text: 'paused' }),
        )
      : whenCell('next', 'Next slot', job.next, null, job.timezone),
    h(
      'td',
      { 'data-col': 'dropped', 'data-label': 'Dropped', class: 'num col-dropped' },
      h('span', {
        class: 'dropped' + (dropped > 0 ? ' some' : ''),
        title:
          dropped > 0
            ? 'missed slots dropped by maxCatchup / catch-up policy since this daemon started'
            : 'no missed slots dropped',
        text: String(dropped),
      }),
    ),
    gridCell(job),
  );
}

/**
 * The jobs table and its summary; returns how many jobs fail, run and are stale.
 * @param {any} data the status document
 */
export function renderJobs(data) {
  const jobs = /** @type {any[]} */ (Array.isArray(data.jobs) ? data.jobs : []);
  const tbody = $('jobs-body');
  if (jobs.length === 0) {
    replace(tbody, h('tr', {}, h('td', { colspan: 7, class: 'empty-state', text: 'No jobs configured.' })));
  } else {
    replace(tbody, jobs.map(jobRow));
  }
  let failing = 0;
  let running = 0;
  let dropped = 0;
  let stale = 0;
  jobs.forEach((j) => {
    const o = latestOutcome(j);
    // The server's judgement (read-status.ts): a skipped, stopped or interrupted run after a failure
    // says nothing about the job, which is still failing.
    if (j.failing === true) failing++;
    if (j.stale) stale++;
    if (o && ACTIVE.has(o)) running++;
    dropped += Number(j.dropped) || 0;
  });
  /** @type {import('./dom.js').Child[]} */
  const parts = [h('b', { text: jobs.length + ' job' + (jobs.length === 1 ? '' : 's') })];
  if (failing) parts.push(' \u00b7 ', h('b', { class: 'bad', text: failing + ' failing' }));
  if (stale) parts.push(' \u00b7 ', h('b', { class: 'bad', text: stale + ' stale' }));
  if (running) parts.push(' \u00b7 ', h('span', { text: running + ' running' }));
  if (dropped) {
    parts.push(
      ' \u00b7 ',
      h('span', { class: 'warn', text: dropped + ' slot' + (dropped === 1 ? '' : 's') + ' dropped' }),
    );
  }
  replace($('job-summary'), parts);
  return { failing: failing, running: running, stale: stale };
}
