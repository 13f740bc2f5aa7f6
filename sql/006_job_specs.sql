-- Schedule changes and renames. Forward-only.

-- Each job's schedule as a leader last saw it: a changed spec is a schedule
-- change, handled by the job's onScheduleChange rule.
CREATE TABLE cronkeeper_job_specs (
  job        text PRIMARY KEY,
  spec_hash  text NOT NULL,
  spec       text NOT NULL,          -- readable: "30 2 * * * (Europe/Berlin)"
  seen_at    timestamptz NOT NULL DEFAULT now()
);

-- Renames carried over (formerNames): each old name's history, pause and
-- schedule record move to the new name once.
CREATE TABLE cronkeeper_renames (
  old_name    text PRIMARY KEY,
  new_name    text NOT NULL,
  renamed_at  timestamptz NOT NULL DEFAULT now(),
  epoch       bigint NOT NULL,
  runs_moved  bigint NOT NULL
);
