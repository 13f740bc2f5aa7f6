// @ts-check
// What the page is set to, and what it keeps between fetches: shared by its
// parts.
import { $ } from './dom.js';

/** How often the page fetches `status` (ms). */
export const REFRESH_MS = 5_000;

/** Slots a job's grid has room for (the status document sends up to 20). */
export const GRID_SLOTS = 20;

/**
 * The server's words for run outcomes and gap reasons (src/text/slot-labels.ts),
 * which the server puts into the page as JSON.
 * @type {{ outcomes: Record<string, string>, gapReasons: Record<string, string> }}
 */
const labels = JSON.parse($('page-labels').textContent ?? '');
export const OUTCOMES = labels.outcomes;
export const GAP_REASONS = labels.gapReasons;

/** The page URL's `?token=` (the daemon accepts it there), sent with each fetch as a Bearer token. */
export const token = new URLSearchParams(location.search).get('token');

/**
 * @typedef {object} Shown
 * @property {any} data the status document
 * @property {number} skew how far the server's clock is ahead of this one (ms)
 * @property {number} fetchedAt when it came, by this clock (epoch ms)
 */

/** @type {{ last: Shown | null }} the status document shown last */
export const shown = { last: null };
