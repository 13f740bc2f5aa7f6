// A container booting a real systemd as its PID 1: systemd-nspawn --boot on the
// cached Debian root (debian-root.ts), with --volatile=overlay so that nothing
// it does reaches the cached root. Shares the host's network (no
// --private-network): the daemons in it reach the host's Postgres on 127.0.0.1.
//
// Driven with nsenter into the namespaces of the container's PID 1, running the
// container's own programs (systemctl, journalctl, the installed cronkeeper).
// Not machinectl or systemd-run -M: those need the container registered with
// systemd-machined on the host, and the host's PID 1 need not be systemd (it is
// not on the test machines), hence --register=no --keep-unit.
//
// With --keep-unit, nspawn puts itself and the container in cgroups below its
// own: started from the root cgroup it would make /payload and /supervisor
// there, shared by every container started the same way. So it is started in a
// cgroup of its own, made here and removed by stop(), on each hierarchy the
// manager uses (name=systemd and the unified one, or the cgroup2 root).
//
// Needs root, systemd-nspawn (systemd-container) and debootstrap (the first time).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sleep, waitFor } from '../../support/daemon.js';
import { rootDirectory } from './debian-root.js';

/** The environment of every command run in the container: the host's is none of its business. */
const ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  TERM: 'dumb',
  SYSTEMD_COLORS: '0',
  SYSTEMD_PAGER: '',
};

export interface Bind {
  host: string;
  /** The path inside the container. */
  at: string;
  readOnly?: boolean;
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr, trimmed: for messages. */
  output: string;
}

export interface JournalEntry {
  /** When journald got it: µs since the epoch. */
  realtimeUs: number;
  pid: number;
  message: string;
  /** The daemon's log line (pino JSON), when the message is one. */
  log?: { msg?: string; time?: string; [field: string]: unknown };
}

/** Why this machine cannot run the containers, or undefined when it can. */
export function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const tools = ['systemd-nspawn', 'nsenter'];
  if (!fs.existsSync(rootDirectory())) tools.push('debootstrap');
  for (const tool of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
      return `${tool} not installed`;
    }
  }
  return undefined;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export class Container {
  private exited: Promise<void>;

  private constructor(
    private readonly nspawn: ChildProcess,
    /** The container's PID 1 (systemd), as the host sees it. */
    readonly pid: number,
    /** nspawn's own output (the console: systemd's boot messages), for failures. */
    readonly consoleLog: string,
    private readonly cgroups: string[],
  ) {
    this.exited = new Promise((resolve) => {
      if (nspawn.exitCode !== null || nspawn.signalCode !== null) resolve();
      else nspawn.once('exit', () => resolve());
    });
  }

  /** Boots `root` and resolves once systemd reports the boot done (running or degraded). */
  static async boot(o: {
    root: string;
    name: string;
    binds: Bind[];
    consoleLog: string;
  }): Promise<Container> {
    const cgroups = ownCgroups(o.name);
    const args = [
      '--quiet',
      '--register=no',
      '--keep-unit',
      `--directory=${o.root}`,
      '--volatile=overlay',
      `--machine=${o.name}`,
      ...o.binds.map((b) => `--bind${b.readOnly ? '-ro' : ''}=${b.host}:${b.at}`),
      '--boot',
    ];
    // Into its cgroups first; where that fails, nspawn starts where it is.
    const script = [
      ...cgroups.map((dir) => `{ echo $$ > ${quote(path.join(dir, 'cgroup.procs'))}; } 2>/dev/null`),
      'exec systemd-nspawn "$@"',
    ].join('\n');
    const log = fs.openSync(o.consoleLog, 'w');
    const nspawn = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const pid = await containerInit(nspawn, o.consoleLog);
    const ct = new Container(nspawn, pid, o.consoleLog, cgroups);
    killOnExit.add(ct);
    let state = '';
    try {
      await waitFor(
        () => {
          state = ct.sh('systemctl is-system-running').stdout.trim();
          return ['running', 'degraded'].includes(state);
        },
        60_000,
        "the container's systemd to finish booting",
      );
    } catch (err) {
      await ct.stop();
      throw new Error(
        `${(err as Error).message} (is-system-running: ${state})\n--- console:\n${tail(o.consoleLog)}`,
        {
          cause: err,
        },
      );
    }
    return ct;
  }

  /** Runs `script` with /bin/sh in the container, as root, and waits for it. */
  sh(script: string, o: { input?: string; timeoutMs?: number } = {}): Result {
    const r = spawnSync('nsenter', this.nsenterArgs(script), {
      encoding: 'utf8',
      env: ENV,
      input: o.input ?? '',
      timeout: o.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return result(r.status, r.stdout, r.stderr);
  }

  /** sh() without blocking the event loop: for commands that take a while, or that are timed while others run. */
  shAsync(script: string, o: { timeoutMs?: number } = {}): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn('nsenter', this.nsenterArgs(script), {
        env: ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: o.timeoutMs ?? 300_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.once('error', reject);
      child.once('close', (code) => resolve(result(code, stdout, stderr)));
    });
  }

  systemctl(...args: string[]): Result {
    return this.sh(['systemctl', '--no-pager', ...args].map(quote).join(' '));
  }

  /** `systemctl show UNIT -p …` as an object. */
  show(unit: string, ...props: string[]): Record<string, string> {
    const r = this.systemctl('show', unit, ...props.map((p) => `--property=${p}`));
    return Object.fromEntries(
      r.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  /** A cursor at the journal's end: journal(…, cursor) then returns only what comes after now. */
  cursor(): string {
    const r = this.sh('journalctl --no-pager -q -n 1 -o json');
    const last = r.stdout.trim().split('\n').pop() ?? '';
    const cursor = last ? (JSON.parse(last) as { __CURSOR?: string }).__CURSOR : undefined;
    if (!cursor) throw new Error(`no journal cursor: ${r.output}`);
    return cursor;
  }

  /** The unit's journal (the daemon's lines and systemd's about it), after `cursor` if given. */
  journal(unit: string, cursor?: string): JournalEntry[] {
    const args = ['journalctl', '--no-pager', '-q', '-o', 'json', '-u', unit];
    if (cursor) args.push(`--after-cursor=${cursor}`);
    const r = this.sh(args.map(quote).join(' '));
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const e = JSON.parse(line) as Record<string, unknown>;
        // journald gives a message that is not valid UTF-8 as an array of bytes.
        const raw = e.MESSAGE;
        const message = Array.isArray(raw)
          ? Buffer.from(raw as number[]).toString('utf8')
          : String(raw ?? '');
        const entry: JournalEntry = {
          realtimeUs: Number(e.__REALTIME_TIMESTAMP),
          pid: Number(e._PID),
          message,
        };
        if (message.startsWith('{')) {
          try {
            entry.log = JSON.parse(message) as JournalEntry['log'];
          } catch {
            // a line that only starts like JSON
          }
        }
        return entry;
      });
  }

  /** Waits until the unit's journal after `cursor` has an entry `match` accepts, and returns it. */
  async waitForJournal(
    unit: string,
    cursor: string,
    match: (e: JournalEntry) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<JournalEntry> {
    let found: JournalEntry | undefined;
    await waitFor(
      () => (found = this.journal(unit, cursor).find(match)) !== undefined,
      timeoutMs,
      what,
    ).catch((err: Error) => {
      throw new Error(`${err.message}${this.story(unit)}`, { cause: err });
    });
    return found!;
  }

  /** What to look at when a check fails: the unit's status and its last journal lines. */
  story(unit: string): string {
    const status = this.systemctl('status', '--lines=0', unit).output;
    const lines = this.sh(`journalctl --no-pager -q -o short-precise -n 40 -u ${quote(unit)}`).stdout;
    return `\n--- systemctl status ${unit}:\n${status}\n--- journal:\n${lines}`;
  }

  /** Powers the container off (SIGTERM to nspawn: the container's systemd shuts down), killing it if that hangs. */
  async stop(): Promise<void> {
    killOnExit.delete(this);
    if (this.nspawn.exitCode === null && this.nspawn.signalCode === null) {
      this.nspawn.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 30_000))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.killNow();
        await this.exited;
      }
    }
    // The container's cgroups outlive it for a moment.
    for (let i = 0; i < 20 && this.cgroups.some((dir) => fs.existsSync(dir)); i++) {
      for (const dir of this.cgroups) removeTree(dir);
      if (this.cgroups.some((dir) => fs.existsSync(dir))) await sleep(100);
    }
  }

  /** SIGKILL to PID 1 (which takes every process of the container with it) and to nspawn. */
  killNow(): void {
    for (const pid of [this.pid, this.nspawn.pid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  private nsenterArgs(script: string): string[] {
    return [`--target=${this.pid}`, '--all', '--root', '--wd', '/bin/sh', '-c', script];
  }
}

/** Containers still up when the test process exits (a crash, a timeout): killed, not left running. */
const killOnExit = new Set<Container>();
process.once('exit', () => {
  for (const ct of killOnExit) ct.killNow();
});

function result(status: number | null, stdout: string, stderr: string): Result {
  return { status, stdout, stderr, output: `${stdout}${stderr}`.trim() };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(none)';
  }
}

/** nspawn's child once it is systemd: the container's PID 1. */
async function containerInit(nspawn: ChildProcess, consoleLog: string): Promise<number> {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      return ''; // gone meanwhile
    }
  };
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (nspawn.exitCode !== null)
      throw new Error(`systemd-nspawn exited ${nspawn.exitCode}:\n${tail(consoleLog)}`);
    const children = read(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`).split(/\s+/).filter(Boolean);
    const init = children.map(Number).find((pid) => read(`/proc/${pid}/comm`) === 'systemd');
    if (init) return init;
    await sleep(50);
  }
  nspawn.kill('SIGKILL');
  throw new Error(`the container's systemd did not start:\n${tail(consoleLog)}`);
}

/**
 * A new cgroup below this process's own on each hierarchy systemd uses, for
 * nspawn to start in: the name=systemd and unified hierarchies of a hybrid
 * layout, or the cgroup2 root. Empty when there is none to make (nspawn then
 * picks its own place).
 */
function ownCgroups(name: string): string[] {
  const self = fs.readFileSync('/proc/self/cgroup', 'utf8');
  const own = (re: RegExp) => re.exec(self)?.[1] ?? '/';
  const hybrid = fs.existsSync('/sys/fs/cgroup/systemd/cgroup.procs');
  const roots: Array<[string, string]> = hybrid
    ? [
        ['/sys/fs/cgroup/systemd', own(/^\d+:name=systemd:(.*)$/m)],
        ['/sys/fs/cgroup/unified', own(/^0::(.*)$/m)],
      ]
    : [['/sys/fs/cgroup', own(/^0::(.*)$/m)]];
  const made: string[] = [];
  for (const [mount, cg] of roots) {
    if (!fs.existsSync(path.join(mount, 'cgroup.procs'))) continue;
    const dir = path.join(mount, cg, `${name}-${process.pid}`);
    try {
      fs.mkdirSync(dir);
      made.push(dir);
    } catch {
      // read-only or not ours to change: nspawn picks its own place
    }
  }
  return made;
}

/** rmdir of a cgroup and the ones below it, deepest first; only empty ones go. */
function removeTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeTree(path.join(dir, e.name));
  }
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty yet
  }
}
