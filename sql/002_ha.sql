-- HA pairs. Forward-only: never edited once landed.

-- The backend pid of the leader's lock connection, so a standby can end the
-- session of a leader whose heartbeat stopped (a frozen process keeps its
-- connection, and with it the advisory lock, open).
ALTER TABLE cronkeeper_leader ADD COLUMN backend_pid integer;

-- Every daemon, leader or standby, says it is alive here every few seconds;
-- `cronkeeper status` lists the nodes seen recently.
CREATE TABLE cronkeeper_nodes (
  node_id     text PRIMARY KEY,
  host        text NOT NULL,
  pid         integer NOT NULL,
  role        text NOT NULL,          -- leader | standby
  epoch       bigint,                 -- the epoch it leads under, when leader
  started_at  timestamptz NOT NULL,
  seen_at     timestamptz NOT NULL
);

-- A run restarted after its node stopped mid-run (onInterrupted: rerun).
ALTER TABLE cronkeeper_runs ADD COLUMN interrupted_attempts integer NOT NULL DEFAULT 0;
