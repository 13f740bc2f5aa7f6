-- Operator controls: pause, resume, trigger, backfill. Forward-only.

-- Every control action, as asked for: the audit log (`cronkeeper audit`) and,
-- for trigger and backfill, the queue the leader works through. Never cleaned.
CREATE TABLE cronkeeper_controls (
  id           bigserial PRIMARY KEY,
  action       text NOT NULL,            -- pause | resume | trigger | backfill
  job          text NOT NULL,
  args         jsonb NOT NULL DEFAULT '{}',  -- reason; from, to
  requested_by text NOT NULL,            -- the OS user who ran the command
  host         text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  -- trigger/backfill: when a leader carried it out, under which epoch, and what came of it.
  done_at      timestamptz,
  done_epoch   bigint,
  result       text
);
CREATE INDEX cronkeeper_controls_pending ON cronkeeper_controls (id) WHERE done_at IS NULL;

-- A job's pause state, so that it survives restarts and failovers. A row is
-- kept after resume: `resumed_at` tells a leader which slots the pause covered.
CREATE TABLE cronkeeper_job_controls (
  job          text PRIMARY KEY,
  paused       boolean NOT NULL,
  paused_at    timestamptz NOT NULL,
  reason       text,
  paused_by    text NOT NULL,
  resumed_at   timestamptz
);

-- A manual run (`cronkeeper trigger`) is a ledger row outside the schedule: its
-- scheduled_at is the request time, it never moves the job's last execution,
-- and it cannot collide with a slot. The slot key becomes a partial unique index.
ALTER TABLE cronkeeper_runs ADD COLUMN manual boolean NOT NULL DEFAULT false;
-- The control request (trigger or backfill) a row was claimed for.
ALTER TABLE cronkeeper_runs ADD COLUMN control_id bigint;
ALTER TABLE cronkeeper_runs DROP CONSTRAINT cronkeeper_runs_slot;
CREATE UNIQUE INDEX cronkeeper_runs_slot ON cronkeeper_runs (job, scheduled_at) WHERE NOT manual;
-- `cronkeeper audit` counts each request's runs.
CREATE INDEX cronkeeper_runs_control ON cronkeeper_runs (control_id) WHERE control_id IS NOT NULL;
