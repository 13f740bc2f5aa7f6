-- Run policies: retries inside one slot, output retention. Forward-only.

-- A slot is claimed once; each attempt at running it is a row here.
CREATE TABLE cronkeeper_attempts (
  run_id       bigint NOT NULL REFERENCES cronkeeper_runs (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,           -- 1 = the first run, 2 = the first retry, ...
  epoch        bigint NOT NULL,
  node_id      text NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  outcome      text,                       -- NULL while running
  exit_code    integer,
  signal       text,
  http_status  integer,
  duration_ms  double precision,
  error        text,
  output_tail  text,                       -- the last outputKeep bytes of stdout+stderr
  PRIMARY KEY (run_id, attempt)
);

-- Attempts started so far, and when the next one is due while a retry is pending.
ALTER TABLE cronkeeper_runs ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE cronkeeper_runs ADD COLUMN next_attempt_at timestamptz;
-- The final attempt's output tail, for `cronkeeper runs show` and the status page.
ALTER TABLE cronkeeper_runs ADD COLUMN output_tail text;

-- The cleaner deletes by claim time: a backfilled old slot is kept as long as a fresh one.
CREATE INDEX cronkeeper_runs_claimed_at ON cronkeeper_runs (claimed_at);
