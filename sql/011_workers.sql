-- Workers: processes on any host that run the attempts of `runOn: <pool>`
-- jobs. The leader hands an attempt to graphile-worker's queue (its own
-- schema, installed by its migrator under cronkeeper's migration lock) and
-- records here to which pool; the worker that takes it records itself, and
-- writes the attempt's end. See src/store/worker-attempts.ts. Forward-only.
--
-- pool: the pool an attempt was handed to (NULL: run by the leader itself).
-- worker: the worker that took it (NULL while it waits in the queue).
ALTER TABLE cronkeeper_attempts ADD COLUMN pool text;
ALTER TABLE cronkeeper_attempts ADD COLUMN worker text;
-- Set when the leader asks the worker to stop the attempt (overlap: replace, a pause, a stop).
ALTER TABLE cronkeeper_attempts ADD COLUMN stop_requested_at timestamptz;

-- Each worker process, while it lives: its heartbeat says it does. A worker
-- silent for two leases is dead to the leader, which then ends its attempts
-- as interrupted (the job's onInterrupted decides).
CREATE TABLE cronkeeper_workers (
  worker_id     text PRIMARY KEY,
  pool          text NOT NULL,
  host          text NOT NULL,
  pid           integer NOT NULL,
  concurrency   integer NOT NULL,
  started_at    timestamptz NOT NULL,
  heartbeat_at  timestamptz NOT NULL,
  stopped_at    timestamptz
);

-- The attempts a worker is running or a pool's queue holds: few, whatever the ledger holds.
CREATE INDEX cronkeeper_attempts_remote_open ON cronkeeper_attempts (worker)
  WHERE pool IS NOT NULL AND finished_at IS NULL;
