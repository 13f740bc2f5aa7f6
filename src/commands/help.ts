// The help texts of the command line: 'cronkeeper --help' and 'cronkeeper COMMAND --help'.
import { MAX_BACKFILL_SLOTS } from '../catchup/slots-in-range.js';

const SIMULATE_HELP = `Usage: cronkeeper simulate --from ISO --to ISO [--down ISO..ISO]... [--job NAME] [--config FILE] [--json]

Replays the configured schedules from --from to --to (both included) with the
daemon down in each --down window, and prints what happens to every slot, by
the daemon's own catch-up planner and each job's catchup, catchupWindow and
maxCatchup: run (on time), catchup (run when the downtime ends), dropped (by
maxCatchup), skipped (catchup: latest or none), expired (older than the
catch-up window when the downtime ends). Reads the config only: no store is
opened and no job runs. Instants are ISO 8601 with an offset or Z.

  --down A..B   the daemon stops at A and starts again at B (both included):
                a slot at A is missed, B is the instant it plans its catch-up;
                windows must lie inside --from..--to and not overlap
  --job NAME    only this job
  --json        {"from", "to", "down", "slots": [{"job", "scheduledAt",
                "local", "outcome", "startsAt", "note"}], "totals": {JOB: {...}}}

Assumptions: the daemon was running at --from, so each job's last execution
is its slot before --from (backfillFrom, which only applies to a job seen for
the first time, plays no part); no job is paused; claims take no time. Not
modeled: run durations, so neither the overlap policy (skip, queue, replace)
nor retries, nor a catch-up so long that later slots come due before it ends;
catch-up runs are shown starting at the end of the downtime although they run
one after another per job, catchupConcurrency at a time.
A regular run's jitter is shown (catch-up runs have none). At most ${MAX_BACKFILL_SLOTS.toLocaleString('en-US')}
slots at a time.`;

export const HELP: Record<string, string> = {
  '': `cronkeeper — a cron daemon that never forgets

Usage: cronkeeper <command> [options]

Commands:
  init [DIR]   write a starter config, DIR/config/cronkeeper.yaml (embedded store, two example jobs)
  run          run the daemon
  worker       run the jobs of one pool (runOn: POOL) handed by the leader --pool POOL [--concurrency N]
  validate     check a config file; exit 78 listing every problem
  plan         show what catch-up would run now, executing nothing
  simulate     replay the schedules through downtime windows: each slot's fate, running nothing
  snapshots    list | show ID | compact --keep N | clear
  runs         list the run ledger | show RUN_ID | --follow: new runs and outcomes as they happen
  logs JOB     the kept output of the job's recent runs, oldest first [-n N]
  status       who leads (alive or not), the nodes and their roles, the newest snapshot, each job; exit 0/1/2
  jobs         every job by its next run: next, time left, last, time passed, last outcome,
               running; --commands: what each job runs, like crontab -l
  migrate      apply pending schema migrations
  import crontab [FILE|-]
               a crontab as a cronkeeper config, and what became of each line [--out FILE]
  import systemd UNIT.timer|DIR...
               systemd timers (and their services) as a config, and what became of each directive
  import cronjob [FILE|-]
               Kubernetes CronJobs as a config, and what became of each field

Operator controls (through the store; the leader carries them out within a second):
  pause JOB    claim none of the job's slots until resumed [--reason TEXT]
  resume JOB   schedule it again (missed slots: the job's onResume rule)
  trigger JOB  one manual run now, outside the schedule
  backfill JOB run the never-claimed slots in --from ISO --to ISO [--dry-run]
  next [JOB]   the next slots of JOB (or of every job, merged), in UTC and the job's zone [-n N] [--from ISO]
  calendar EXPR  when a cron pattern (or 'every 15m') fires, no config needed [--timezone Z] [-n N] [--from ISO]
  audit        every control action: who, what, when [--job NAME] [--limit N]

Common options:
  -c, --config FILE   config file (default: $CRONKEEPER_CONFIG, else config/cronkeeper.yaml,
                      else /etc/cronkeeper/cronkeeper.yaml)
  --insecure-config   accept a config file writable by group/others or owned by
                      another user (development only: it defines the commands run)
  --json              machine-readable output
  -h, --help          help for a command
  -v, --version       print the version

Run 'cronkeeper <command> --help' for a command's options.`,
  run: `Usage: cronkeeper run [--config FILE] [--pretty]

Runs the daemon: restores state, runs missed slots by each job's catch-up
policy, then schedules normally. SIGTERM/SIGINT stop it gracefully (running
jobs get shutdownGrace to finish, the state is flushed); SIGHUP reloads the
config. Logs are JSON lines on stdout; --pretty renders them for a terminal.`,
  worker: `Usage: cronkeeper worker --pool POOL [--concurrency N] [--config FILE] [--pretty]

Runs the jobs of pool POOL (those with runOn: POOL) that the leader hands to
it, on this host, N at a time (default 4), with the same config and database
as the leader. Runs, their output and outcomes go to the same ledger; each
job gets CRONKEEPER_WORKER (its HTTP body, "worker"). SIGTERM/SIGINT stop it
gracefully: no more runs are taken, those in progress get shutdownGrace.
Commands run under supervisors in <spool.path>/workers/POOL and outlive the
worker: the next worker of the pool on this host takes them over. A worker
silent for two leases (ha.lease) is dead; if no worker of its host takes its
runs over within ha.hostWait, they end as interrupted, and their job's
onInterrupted decides.`,
  validate: `Usage: cronkeeper validate [--config FILE] [--json]

Exits 0 if the config is valid; otherwise prints every problem as
file:line:column: path: message and exits 78. --json: one object on stdout,
{ valid, file, jobs, problems: [{ file, line, column, path, message }],
warnings }, whatever the outcome (the exit status is the same).`,
  plan: `Usage: cronkeeper plan [--config FILE] [--state FILE] [--now ISO] [--json]

Prints the catch-up runs the daemon would start now, executing nothing.
  --state FILE  a JSON object { "<job>": "<ISO last execution time>" } used
                instead of the store (the store is then not opened); jobs
                missing from it are seen for the first time
  --now ISO     plan as of this instant (with offset or Z) instead of now
  --json        {"now", "runs": [{"job", "scheduledAt"}], "dropped": [{"job", "count"}],
                "jobs": [{"job", "catchup", "firstSeen", "runs", "dropped", "skipped",
                "expired", "exact"}]} (jobs: those with runs or slots left out;
                exact false: the counts are estimates)`,
  snapshots: `Usage: cronkeeper snapshots [list] [--config FILE] [--json]
       cronkeeper snapshots show ID [--config FILE] [--json]
       cronkeeper snapshots compact [--keep N] [--config FILE] [--json]
       cronkeeper snapshots clear [--config FILE] [--json]

list: the stored snapshots, newest first. show: one decoded (or why it cannot
be). compact: keep the newest N (default snapshot.keep). clear: delete all;
the next restore replays the run ledger.`,
  runs: `Usage: cronkeeper runs [list] [--job NAME] [--from ISO] [--to ISO] [--limit N] [--config FILE] [--json]
       cronkeeper runs show RUN_ID [--config FILE] [--json]
       cronkeeper runs --follow [--job NAME] [--limit N] [--config FILE] [--json]

list: the run ledger, newest first (default limit 50), with the slots that
were never run in between, as ranges and why: older than the catch-up window
(expired), beyond maxCatchup (dropped), left out by catchup latest/none
(skipped), missed while paused (paused). Slots skipped by the overlap policy
and interrupted runs are ledger rows with that outcome. --from/--to keep the
slots scheduled in that range. --json: runs as objects with "kind"
(scheduled, catch-up, backfill, manual), ranges with "kind": "gap".
show: one run (job, slot, catch-up, outcome, node, epoch), each of its
attempts (start, end, outcome, exit code / signal / HTTP status, duration,
error) and the tail of its output; --json: the same as one object, times in
ISO 8601 UTC. Exits 1 when there is no run RUN_ID.
--follow (-f): the newest runs (default 10), then each new run and each change
of state (claimed, running, its outcome) as it happens, until interrupted,
like 'kubectl get jobs -w'; --json: one object per line.`,
  logs: `Usage: cronkeeper logs JOB [-n N] [--config FILE] [--json]

The kept output (the last outputKeep bytes) of JOB's newest N runs (default 5),
oldest first, each under a line naming the run, its slot and how it ended,
like 'journalctl -u'. The full output of a run is in the daemon's log.`,
  status: `Usage: cronkeeper status [--config FILE] [--json]

The leader (node, epoch, how long it has led, last heartbeat) and whether it is
alive (its session holds the leader lock and its heartbeat is within ha.lease),
the nodes seen in the last ten minutes with their roles (leader, standby, gone,
stopped), the newest snapshot, and per job its last claimed slot, its next
slot, and whether it is stale or failing. Reads the store only.
Exit status: 0 a live leader and every job fine; 1 some job failing or stale;
2 no live leader.`,
  jobs: `Usage: cronkeeper jobs [--config FILE] [--json]
       cronkeeper jobs --commands [JOB...] [--config FILE] [--json]

Every job sorted by its next run, like 'systemctl list-timers': NEXT, LEFT,
LAST (never: it has not run yet), PASSED, LAST OUTCOME (of its newest finished
run), RUNNING, and marks (paused, stale, failing). Reads the store only.

--commands: what each job (or each JOB named) runs, like 'crontab -l': its
schedule and command line (or HTTP method and URL), its directory and the
names of its environment variables and headers. Their values, and the values
of a URL's query, are not shown. Reads the config only.`,
  pause: `Usage: cronkeeper pause JOB [--reason TEXT] [--config FILE] [--json]

Pauses a job: the leader claims none of its slots from within a second on,
until 'cronkeeper resume JOB'. A run in progress is not stopped. The pause is
stored, so it survives restarts and failovers; it shows in 'status', on the
status page and as cronkeeper_job_paused. Recorded for 'cronkeeper audit'.
Pausing a paused job changes nothing.`,
  resume: `Usage: cronkeeper resume JOB [--config FILE] [--json]

Resumes a paused job. The slots missed while it was paused follow its
onResume rule: skip (the default: a pause is deliberate) or catchup (like
downtime: by its catchup policy, catchupWindow and maxCatchup).`,
  trigger: `Usage: cronkeeper trigger JOB [--config FILE] [--json]

Asks the leader for one run of JOB now, outside the schedule (also of a
paused job). It is recorded in the ledger as manual, with the request time as
its scheduled time; it does not move the job's last execution and cannot take
a slot's place. The job's overlap policy applies. With no daemon running, the
request waits and is carried out when one starts.`,
  backfill: `Usage: cronkeeper backfill JOB --from ISO --to ISO [--dry-run] [--config FILE] [--json]

Claims and runs every slot of JOB in [--from, --to] that was never claimed,
oldest first, through the schedule's claim path and under the catch-up
concurrency limit; slots already claimed are left alone, so running it twice
runs nothing new. Slots after now are left to the schedule. --dry-run lists
the slots it would run and requests nothing. At most 100,000 slots at a time.
Slots older than the ledger retention may have run and been cleaned: they
would run again (a warning says so).`,
  next: `Usage: cronkeeper next [JOB] [-n N] [--from ISO] [--config FILE] [--json]

The next N (default 5) slots of JOB after now (or --from), in UTC and in the
job's time zone with its UTC offset, and the time left, like 'systemd-analyze
calendar'. Without JOB: the next N (default 10) slots of all jobs, merged in
time order. Reads the config only.`,
  calendar: `Usage: cronkeeper calendar EXPR [--timezone ZONE] [-n N] [--from ISO] [--json]

When a cron expression fires, with no config at all, like 'systemd-analyze
calendar': the next N (default 5) instants after now (or --from), in ZONE
(default UTC, the pattern's wall clock) with its UTC offset, in UTC, and the
time left. EXPR is a job's 'schedule' (5 fields, or 6 with seconds first;
@daily and the like) or 'every DURATION' (e.g. 'every 15m'). A pattern that
cannot be used is an error (exit 64) saying why, as 'validate' would.`,
  audit: `Usage: cronkeeper audit [--job NAME] [--limit N] [--config FILE] [--json]

Every control action, newest first (default limit 50): when, what, which job,
the OS user and host that asked, and for trigger and backfill when a leader
carried it out and how its runs went.`,
  simulate: SIMULATE_HELP,
  import: `Usage: cronkeeper import crontab [FILE|-] [--out FILE] [--json]
       cronkeeper import systemd UNIT.timer|DIR... [--out FILE] [--json]
       cronkeeper import cronjob [FILE|-] [--out FILE] [--json]

Prints a cronkeeper config for what another scheduler runs, with no config
needed, and reports on stderr as FILE:LINE: what did not map one to one.
Errors (input the source system itself refuses): exit 78, nothing written.
defaults: the source system's catch-up and overlap behaviour.

crontab: a crontab (FILE, or stdin for - or no FILE). User format (m h dom mon
dow command) or system format (a user column, as in /etc/crontab and
/etc/cron.d, which are read so; another file when its lines look it). Each
line becomes a job running [SHELL, -c, LINE] (SHELL from the crontab, else
/bin/sh), named after its program; text after an unescaped % is fed to its
stdin. NAME=value lines go to the env of the jobs below; CRON_TZ (or TZ) sets
their timezone, else the host's zone is written; the comments above a line
are kept above its job. Reported: @reboot (not imported), MAILTO (no mail
here), the user column (no per-job user).

systemd: .timer files (a directory: every .timer in it), each with the service
it starts (given too, or found beside it; foo@bar.timer is read from the
template foo@.timer). OnCalendar= becomes the schedule where a cron pattern
means the same instants (a zone suffix the job's timezone; seconds a 6-field
pattern), Persistent=true catchup: latest, RandomizedDelaySec= jitter, the
service's ExecStart= (with ExecStartPre=/ExecStartPost= through /bin/sh),
WorkingDirectory=, Environment= and time limits the command and policies.
Reported: monotonic timers (OnBootSec=, OnUnitActiveSec=, ...: no job),
calendar events no pattern means, User=, sandboxing, conditions, and where
DST days differ. For drop-ins, import the output of 'systemctl cat UNIT'.

cronjob: Kubernetes CronJob manifests (several documents, or a List).
schedule (CRON_TZ= too) and timeZone, concurrencyPolicy (overlap),
startingDeadlineSeconds (catchupWindow), backoffLimit (retries),
activeDeadlineSeconds (timeout), the container's command + args, workingDir
and literal env. Reported: the image and the rest of the pod template,
valueFrom and envFrom, suspend (pause the job before the first run).
  --out FILE  write the config to FILE (mode 0600), which must not exist
  --json      { config, report: [...] }: crontab notes { line, source, outcome,
              job?, message? } (outcome: job, env, comment, skipped,
              unsupported, error); systemd and cronjob notes { file, line,
              source, outcome, job?, message? } (outcome: job, converted,
              approximated, unsupported, skipped, error)`,
  init: `Usage: cronkeeper init [DIR] [--json]

Writes a starter config to DIR/config/cronkeeper.yaml (DIR: the current
directory by default), where 'cronkeeper run' started in DIR finds it: the
embedded store in DIR/var, the status page on 127.0.0.1:9464, two example
jobs, and comments on what to change. An existing file is never overwritten
(exit 1).
  --json  { file }`,
  migrate: `Usage: cronkeeper migrate [--config FILE] [--json]

Applies pending schema migrations (the daemon also does this at start).`,
};
