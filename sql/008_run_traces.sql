-- What a successor needs to tell the runs in flight when a daemon died apart
-- (see src/run/run-spool.ts). Forward-only.
--
-- An attempt records, as it starts, the host and the spool directory of the
-- node that starts it: the next daemon on that host, with that spool, finds
-- the run's traces there (never started, still running, ended unwatched).
-- Once the job runs, its pid (its process group) is recorded too.
ALTER TABLE cronkeeper_attempts ADD COLUMN host text;
ALTER TABLE cronkeeper_attempts ADD COLUMN spool text;
ALTER TABLE cronkeeper_attempts ADD COLUMN pid integer;
-- How a run's outcome was learned when its daemon died before recording it:
-- 'never-started' (no trace: run by the successor), 'adopted' (still running:
-- followed to its end), 'ended-unwatched' (ended meanwhile: read from its
-- spool), 'supervisor-lost' (started, then its supervisor died without a
-- status: interrupted), 'host-unknown' (started on another host or spool, or
-- before traces were kept: interrupted). NULL: its own daemon recorded it.
ALTER TABLE cronkeeper_runs ADD COLUMN recovery text;
