// The in-memory snapshot model: what a restore needs, whatever format it was read from.

export interface Snapshot {
  /** When the snapshot was taken, UTC ms. */
  createdAtMs: number;
  /** Highest run-ledger id whose claim is reflected in `lastExecution`; restore replays ids above it. */
  highWater: number;
  /** Leader epoch of the writer. */
  epoch: number;
  /** job name -> scheduled time (UTC ms) of its newest claimed slot, or its baseline when first seen. */
  lastExecution: Map<string, number>;
}
