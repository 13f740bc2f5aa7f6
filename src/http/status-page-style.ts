// The status page's stylesheet (see status-page.ts): light and dark, a wide
// table that folds into cards on a narrow screen, the slot grid's colours.
export const STATUS_PAGE_STYLE = String.raw`
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
.card .sub .warn-text { color: var(--warn-fg); }
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
.when .zoned { display: block; font-size: 12px; color: var(--muted); white-space: normal; }
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
/* room for slots to come: a faint dot, unlike any square of a slot (skipped is a solid grey square, dropped a dashed box) */
.slot.empty { background: radial-gradient(circle, var(--faint) 0 1.5px, transparent 2px); opacity: 0.6; }
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
