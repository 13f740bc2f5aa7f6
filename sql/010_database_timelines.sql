-- The database servers this store has been served by, as a node found them
-- when it connected for the leader lock: the cluster's system identifier (''
-- when the role may not read it) and the WAL timeline of the primary. A
-- promoted standby serves the same data on a new timeline, a different
-- cluster behind the same address has another identifier: a row that is not
-- the first is a database failover, logged once by the node that recorded it
-- and counted (cronkeeper_database_failovers_total). Forward-only.
CREATE TABLE cronkeeper_database_timelines (
  system_identifier text NOT NULL,
  timeline integer NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  seen_by text NOT NULL,
  PRIMARY KEY (system_identifier, timeline)
);
