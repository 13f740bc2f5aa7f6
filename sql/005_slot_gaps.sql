-- Slots that were never run, and why. Forward-only.
--
-- A run is a row of cronkeeper_runs (so is a slot skipped by the overlap
-- policy, or interrupted). The slots a catch-up policy or a pause leaves out
-- are recorded here, as ranges of one job's consecutive slots: a per-second
-- job down for a week leaves 604,800 slots out, one row per reason.
CREATE TABLE cronkeeper_slot_gaps (
  id           bigserial PRIMARY KEY,
  job          text NOT NULL,
  reason       text NOT NULL,        -- expired | dropped | skipped | paused
  first_slot   timestamptz NOT NULL, -- the oldest slot left out
  last_slot    timestamptz NOT NULL, -- the newest
  slots        bigint NOT NULL,      -- how many (an estimate when not exact)
  exact        boolean NOT NULL,
  epoch        bigint NOT NULL,
  node_id      text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
-- A plan made again after a crash records the same gap once (see recordSlotGaps).
CREATE UNIQUE INDEX cronkeeper_slot_gaps_start ON cronkeeper_slot_gaps (job, reason, first_slot);
CREATE INDEX cronkeeper_slot_gaps_job_last ON cronkeeper_slot_gaps (job, last_slot);
-- Aged out with the ledger retention.
CREATE INDEX cronkeeper_slot_gaps_recorded_at ON cronkeeper_slot_gaps (recorded_at);
