// The gate before a claimed slot starts, written once for every way a slot
// is claimed: scheduled, by the boot catch-up, by an operator's control. The
// copies it replaces disagreed: the boot catch-up dropped a removed job's slot
// without a word, leaving its claim open; the others recorded it as skipped.
import type { JobConfig } from '../config/types.js';
import type { ClaimedSlot } from '../schedule/slot.js';

export type GateVerdict =
  /** The daemon is stopping: the slot stays claimed and unstarted, and the next leader runs it. */
  | { kind: 'leave' }
  /** Recorded as skipped, for this reason: not left open for nothing to run. */
  | { kind: 'skip'; reason: string }
  | { kind: 'run'; job: JobConfig };

export function slotGate(
  slot: ClaimedSlot,
  now: {
    stopping: boolean;
    /** The job as configured now, if it still is. */
    job: JobConfig | undefined;
    /** Whether the job is paused now. */
    paused: boolean;
  },
): GateVerdict {
  if (now.stopping) return { kind: 'leave' };
  if (!now.job) return { kind: 'skip', reason: 'the job is no longer configured' };
  // A slot an operator's control asked for (a backfill) runs even while the job is paused.
  if (now.paused && slot.controlId === undefined) return { kind: 'skip', reason: 'the job was paused' };
  return { kind: 'run', job: now.job };
}
