// The per-run supervisor: a small shell process between the daemon and a
// command job, so that the run does not depend on the daemon staying alive.
// It runs in a session of its own (spawned detached), starts the job in
// another session (setsid: the job's pid is its process group, which a
// timeout or stop signals without reaching the supervisor), sends the job's
// output to a file in the run's spool instead of a pipe to the daemon (a dead
// reader would SIGPIPE the job at its next line), waits for it and writes its
// exit status there. See run-spool.ts for the files and what they prove.
//
// The script is passed with `sh -c`, not installed as a file: the shell has
// read all of it before it runs, and the version that runs is the daemon's.
import { spawn, type ChildProcess } from 'node:child_process';
import type { SpoolPaths } from './run-spool.js';

// `ticks PID` sets t to the process's start time (/proc/PID/stat field 22), to tell a reused pid
// apart; a variable, not $(...) output, so that no subshell is forked before the job starts.
// `set -C` makes `>` exclusive (O_EXCL): the supervisor runs the job only if it creates the
// `started` marker, i.e. no successor declared the run never-started first.
export const SUPERVISOR_SCRIPT = `d=$1; shift
ticks() { t=; read -r s < "/proc/$1/stat" || return 1; s=\${s##*) }; set -- $s; t=\${20}; }
ticks $$
set -C
{ echo "$$ $t" > "$d/started"; } 2>/dev/null || exit 0
set +C
setsid "$@" < /dev/null >> "$d/output" 2>&1 &
j=$!
ticks $j
echo "$j $t" > "$d/pid.tmp" && mv -f "$d/pid.tmp" "$d/pid"
wait "$j"
echo "$?" > "$d/exit.tmp" && mv -f "$d/exit.tmp" "$d/exit"
`;

/** Starts the supervisor of one run; the job (argv) runs in `cwd` with `env`. */
export function spawnSupervisor(
  paths: SpoolPaths,
  argv: readonly string[],
  o: { cwd: string | undefined; env: NodeJS.ProcessEnv },
): ChildProcess {
  return spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, 'cronkeeper-run', paths.dir, ...argv], {
    cwd: o.cwd,
    env: o.env,
    detached: true,
    stdio: 'ignore',
  });
}
