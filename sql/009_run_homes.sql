-- A run's home: the host and spool of the node that started it. Only a node
-- with that home can read what the run left (src/run/run-spool.ts), so after
-- a takeover by a node elsewhere the run waits for its home to come back
-- (src/dispatch/watch-remote-runs.ts). Forward-only.
--
-- Every node says which spool it has, beside its host, when it records that
-- it is alive: the leader tells a home that is back from one that is gone.
ALTER TABLE cronkeeper_nodes ADD COLUMN spool text;
-- The runs without an outcome, read at every term's start and watched while
-- their home is away: few, whatever the ledger holds.
CREATE INDEX cronkeeper_runs_open ON cronkeeper_runs (id) WHERE outcome IS NULL;
