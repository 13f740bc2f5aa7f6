// The slot, the core noun: one scheduled instant of one job, as it is claimed
// and then carried from the claim to the run. Types only, with no I/O, so
// that the schedule, the pipeline and the store all name it from here
// rather than from the store's SQL module.

import type { JobConfig } from '../config/types.js';

/** A slot to claim. */
export interface SlotClaim {
  job: string;
  /**
   * The job's config when the slot was planned (the scheduler's slots carry it to their run; the
   * gate still asks what the config in force says at the instant: a reload may have changed it).
   */
  config?: JobConfig;
  /** UTC ms */
  scheduledAtMs: number;
  catchup: boolean;
  /** The control request (a backfill) this slot is claimed for. */
  controlId?: number;
}

/** A slot claimed in the run ledger: its row's id is the run's. */
export interface ClaimedSlot extends SlotClaim {
  runId: number;
  /** A manual run (cronkeeper trigger): it stands for no slot; its scheduledAt is the request time. */
  manual?: boolean;
}
