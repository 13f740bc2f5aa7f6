// The status page the daemon serves at `/`: the files in src/http/status-page/
// (page.html, its stylesheets, its script's modules; `npm run build` copies
// them to dist/http/status-page/) made one self-contained document, as the
// daemon's CSP wants it (default-src 'none'; inline styles and scripts;
// connect-src 'self'; img-src data:). Each stylesheet link becomes a <style>
// with the file's text, and the module script a classic <script> of the
// modules joined (status-page-script.ts). Before that script go the labels
// of outcomes and gap reasons, the server's own (text/slot-labels.ts), as
// JSON, and, between the two parts statusPageParts returns, the status
// document to paint first (firstStatusElement).
//
// What the page does and the DOM it keeps for the tests: status-page/page.js.
import fs from 'node:fs';
import { GAP_REASON_LABELS, OUTCOME_LABELS } from '../text/slot-labels.js';
import { joinPageScript } from './status-page-script.js';

/** Beside this module, in src/ as in dist/. */
const PAGE_DIR = new URL('./status-page/', import.meta.url);
/** The id of the script element that carries the status document the page shows first (page.js reads it). */
const FIRST_STATUS_ID = 'first-status';
/** The id of the script element that carries the labels (settings.js reads it). */
const LABELS_ID = 'page-labels';

const STYLESHEET = /<link rel="stylesheet" href="([\w-]+\.css)" \/>/g;
const MODULE_SCRIPT = /<script type="module" src="([\w-]+\.js)"><\/script>/g;

/** The words the page shows for outcomes and gap reasons: exactly the server's. */
export function pageLabels(): { outcomes: Record<string, string>; gapReasons: Record<string, string> } {
  return { outcomes: OUTCOME_LABELS, gapReasons: GAP_REASON_LABELS };
}

/**
 * The status document as the page carries it: a JSON script element, painted
 * by the page before any fetch, so that a headless screenshot or a slow
 * network shows the jobs, not "Loading…". `<` is escaped so that the document
 * cannot end the element. Sent between statusPageParts' head and tail.
 */
export function firstStatusElement(json: string, ageMs: number): string {
  return `<script id="${FIRST_STATUS_ID}" type="application/json" data-age-ms="${Math.round(ageMs)}">${escapeJson(json)}</script>\n`;
}

/**
 * The status page in two parts, for a first document (firstStatusElement) to
 * go between. Reads the page's files: call it once, at startup, and keep the
 * parts. Throws when a file is missing or not in the form expected.
 */
export function statusPageParts(): { head: string; tail: string } {
  const html = readPageFile('page.html').replace(
    STYLESHEET,
    (_, file: string) => `<style>\n${inlined(readPageFile(file), 'style', file)}</style>`,
  );
  const scripts = [...html.matchAll(MODULE_SCRIPT)];
  const script = scripts[0];
  if (scripts.length !== 1 || script === undefined) {
    throw new Error(`status page: page.html has ${scripts.length} module scripts, not one`);
  }
  const entry = script[1]!;
  const labels = `<script id="${LABELS_ID}" type="application/json">${escapeJson(JSON.stringify(pageLabels()))}</script>\n`;
  return {
    head: html.slice(0, script.index) + labels,
    tail: `<script>\n${inlined(joinPageScript(PAGE_DIR, entry), 'script', entry)}</script>${html.slice(script.index + script[0].length)}`,
  };
}

/** The complete status page, carrying no status document (the page fetches it). */
export function renderStatusPage(): string {
  const { head, tail } = statusPageParts();
  return head + tail;
}

function readPageFile(file: string): string {
  return fs.readFileSync(new URL(file, PAGE_DIR), 'utf8');
}

/** The text of a file put inside a `<style>` or `<script>`, which it must not end early. */
function inlined(text: string, tag: 'style' | 'script', file: string): string {
  if (text.toLowerCase().includes(`</${tag}`) || text.includes('<!--')) {
    throw new Error(`status page: ${file} holds "</${tag}" or "<!--", which would break its inline <${tag}>`);
  }
  return text;
}

function escapeJson(json: string): string {
  return json.replaceAll('<', '\\u003c');
}
