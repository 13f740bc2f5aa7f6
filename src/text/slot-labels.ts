// What people are told about a slot: the outcome of its run, and why a range
// of slots was not run (a gap's reason). Written once for the CLI and the
// status page: http/status-page.ts puts these very objects into the page as
// JSON, and the page looks its words up there.
import type { SlotGap } from '../catchup/plan-catch-up.js';

/**
 * A run's outcome as the status document gives it: how the run ended, or
 * 'running' / 'claimed' while it has not.
 */
export const OUTCOME_LABELS = {
  success: 'success',
  failure: 'failed',
  timeout: 'timed out',
  error: 'error',
  stopped: 'stopped',
  interrupted: 'interrupted',
  skipped: 'skipped (overlap)',
  running: 'running',
  claimed: 'claimed, not started',
} as const satisfies Record<string, string>;

/** Why a range of slots was not run, as its reason is shown beside it. */
export const GAP_REASON_LABELS = {
  expired: 'older than the catch-up window',
  dropped: 'dropped by maxCatchup',
  skipped: 'left out by the catch-up policy',
  paused: 'missed while paused',
  reanchored: 'left behind by a schedule change',
} as const satisfies Record<SlotGap['reason'], string>;

/**
 * The setting that chose to leave the slots out, for the reasons whose label
 * does not name it. The CLI's listing adds it (an operator reading `runs`
 * asks what to change); the page's tooltip, a line under a square, does not.
 */
const GAP_REASON_SETTINGS: Partial<Record<SlotGap['reason'], string>> = {
  paused: 'onResume: skip',
  reanchored: 'onScheduleChange: reanchor',
};

/** A gap's reason for logs and the CLI: its label, and the setting behind it where the label does not say. */
export function describeGapReason(reason: SlotGap['reason']): string {
  const setting = GAP_REASON_SETTINGS[reason];
  return setting === undefined ? GAP_REASON_LABELS[reason] : `${GAP_REASON_LABELS[reason]} (${setting})`;
}
