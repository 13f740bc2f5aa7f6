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
// What the job is (argv, environment, directory) it reads from the run's
// `launch` file, written before the run's instant (launchScript).
//
// Supervisors are forked by a launcher: one small long-lived shell per daemon
// that starts a supervisor for each spool directory written to its stdin.
// Forking the daemon itself (child_process.spawn) copies its page tables on
// the event loop — milliseconds per run on an idle machine, tens under load,
// for every job due at once — and the fork of a large process is the slowest
// step between a slot's instant and its job's start. Writing a line to a pipe
// is neither. A supervisor started twice for one run (a line sent again after
// a launcher died) runs the job once: the `started` marker is exclusive.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../text/shell-words.js';

/** setsid(1), by its full path: a job's PATH may not hold it. */
const SETSID = ['/usr/bin/setsid', '/bin/setsid'].find((f) => fs.existsSync(f)) ?? 'setsid';
/** mv(1), by its full path: neither the launcher's nor a job's PATH need hold it. */
const MV = ['/usr/bin/mv', '/bin/mv'].find((f) => fs.existsSync(f)) ?? 'mv';

// `ticks PID` sets t to the process's start time (/proc/PID/stat field 22), to tell a reused pid
// apart; a variable, not $(...) output, so that no subshell is forked for it.
const TICKS = 'ticks() { t=; read -r s < "/proc/$1/stat" || return 1; s=${s##*) }; set -- $s; t=${20}; }';

// `set -C` makes `>` exclusive (O_EXCL): the supervisor runs the job only if it creates the
// `started` marker, i.e. no successor declared the run never-started first (and no second
// supervisor of the same run got there first). The job is a shell in a session of its own
// (setsid, which does not fork here: the supervisor's child leads no group) that runs the
// `launch` file.
export const SUPERVISOR_SCRIPT = `d=$1
${TICKS}
ticks $$
set -C
{ echo "$$ $t" > "$d/started"; } 2>/dev/null || exit 0
set +C
${SETSID} -- /bin/sh "$d/launch" "$d" < /dev/null >> "$d/output" 2>&1 &
wait "$!"
echo "$?" > "$d/exit.tmp" && ${MV} -f "$d/exit.tmp" "$d/exit"
`;

/** The launcher: a supervisor, in the background, for each spool directory read from stdin. */
const LAUNCHER_SCRIPT = `while IFS= read -r d; do /bin/sh -c "$1" cronkeeper-run "$d" & done`;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `launch` file of a run: run by a shell that is already the job's
 * process (in its own session, with an almost empty environment: the
 * launcher's), it writes its pid and start time to the spool's `pid` file,
 * enters the job's directory, sets exactly the job's environment and execs the
 * job (exec keeps the pid). Written from here, the pid is known only once the
 * job's process group exists (a stop signals the group), and however fast the
 * job ends (the supervisor cannot read the start time of a child its shell has
 * already reaped). Variables whose names sh cannot export are passed through
 * env(1).
 */
export function launchScript(argv: readonly string[], o: { cwd: string; env: NodeJS.ProcessEnv }): string {
  const lines = [
    'd=$1',
    TICKS,
    `ticks $$ && echo "$$ $t" > "$d/pid.tmp" && ${MV} -f "$d/pid.tmp" "$d/pid"`,
    `cd ${shellQuote(o.cwd)} || exit 126`,
    'unset PWD OLDPWD',
  ];
  const odd: string[] = [];
  for (const [name, value] of Object.entries(o.env)) {
    if (value === undefined) continue;
    if (NAME.test(name)) lines.push(`export ${name}=${shellQuote(value)}`);
    else odd.push(shellQuote(`${name}=${value}`));
  }
  const run = argv.map(shellQuote).join(' ');
  lines.push(odd.length > 0 ? `exec /usr/bin/env ${odd.join(' ')} ${run}` : `exec ${run}`);
  return `${lines.join('\n')}\n`;
}

/** Writes the run's `launch` file (see launchScript) into its spool directory. */
export async function writeLaunch(
  dir: string,
  argv: readonly string[],
  o: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<void> {
  await fs.promises.writeFile(path.join(dir, 'launch'), launchScript(argv, o), { mode: 0o600 });
}

/**
 * Starts supervisors through one long-lived launcher shell, made on first use
 * and again if it dies. It runs in a session of its own (signals to the
 * daemon's process group do not reach it), with an empty environment, and
 * does not keep the daemon alive; it exits when the daemon's end of the pipe
 * closes, and the supervisors it started go on.
 */
export class SupervisorLauncher {
  private child: ChildProcess | undefined;

  /** Asks for a supervisor of the run whose spool is `dir` (its `launch` file written). */
  launch(dir: string): void {
    if (dir.includes('\n')) throw new Error(`a spool directory with a newline cannot be launched: ${dir}`);
    this.launcher().stdin!.write(`${dir}\n`);
  }

  /**
   * Ends the launcher (its stdin closed, it exits) and waits for it, at most
   * `timeoutMs`, so that it does not outlive the daemon's exit (systemd would
   * find it left in the unit). The supervisors it started go on.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private launcher(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn('/bin/sh', ['-c', LAUNCHER_SCRIPT, 'cronkeeper-launcher', SUPERVISOR_SCRIPT], {
      cwd: '/',
      env: {},
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const gone = () => {
      if (this.child === child) this.child = undefined;
    };
    child.on('exit', gone);
    child.on('error', gone);
    // A write to a launcher that just died: its runs are launched again (see SupervisedRun).
    child.stdin!.on('error', gone);
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }
}
