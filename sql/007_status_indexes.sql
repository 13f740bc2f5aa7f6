-- Indexes that keep the status reads (/status, the status page, `cronkeeper
-- status`) bounded whatever the ledger holds. Forward-only.
--
-- Each status query now reads, per job, its newest rows by walking an index
-- on (job, scheduled_at) backwards with a LIMIT. Slots already have one
-- (cronkeeper_runs_slot, WHERE NOT manual); manual runs get their own, small
-- (only triggered runs enter it). The newest success gets one too: without
-- it, a job that has been failing for days is walked back row by row to its
-- last success (a read of every failure in the retention).
--
-- Plain CREATE INDEX (the migration is one transaction): on a ledger of
-- 1,000,000 rows it holds claims back for about a second, once, at upgrade.
CREATE INDEX cronkeeper_runs_manual ON cronkeeper_runs (job, scheduled_at) WHERE manual;
CREATE INDEX cronkeeper_runs_success ON cronkeeper_runs (job, scheduled_at) WHERE outcome = 'success';
