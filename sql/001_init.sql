-- cronkeeper schema, version 1.
-- Forward-only: once landed this file is never edited; changes go into a new numbered file.

-- The leader record: one row. `epoch` grows at every takeover; every write a
-- leader makes (claim, snapshot, cleanup) is fenced by it.
CREATE TABLE cronkeeper_leader (
  id          integer PRIMARY KEY CHECK (id = 1),
  epoch       bigint NOT NULL,
  node_id     text,
  since       timestamptz,
  heartbeat_at timestamptz
);
INSERT INTO cronkeeper_leader (id, epoch) VALUES (1, 0);

-- The run ledger: one row per claimed slot. The unique key is the claim: a slot
-- is inserted once, ever, by whichever node claims it first.
CREATE TABLE cronkeeper_runs (
  id            bigserial PRIMARY KEY,
  job           text NOT NULL,
  scheduled_at  timestamptz NOT NULL,
  catchup       boolean NOT NULL,
  epoch         bigint NOT NULL,
  node_id       text NOT NULL,
  claimed_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz,
  -- NULL while claimed or running; then success | failure | timeout | error | stopped | skipped
  outcome       text,
  exit_code     integer,
  signal        text,
  http_status   integer,
  duration_ms   double precision,
  error         text,
  CONSTRAINT cronkeeper_runs_slot UNIQUE (job, scheduled_at)
);
CREATE INDEX cronkeeper_runs_scheduled_at ON cronkeeper_runs (scheduled_at);

-- Snapshots of the job -> last execution map. `payload` is the whole versioned,
-- checksummed envelope; the other columns repeat what is inside it for listing
-- and are never trusted by restore.
CREATE TABLE cronkeeper_snapshots (
  id             bigserial PRIMARY KEY,
  format_version integer NOT NULL,
  high_water     bigint NOT NULL,
  epoch          bigint NOT NULL,
  node_id        text NOT NULL,
  job_count      integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  payload        bytea NOT NULL
);
