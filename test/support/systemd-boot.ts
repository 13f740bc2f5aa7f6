// A real systemd (the host's /lib/systemd/systemd) booted as PID 1 of a new pid
// and mount namespace, for tests of the shipped unit under the service manager
// that runs it in production. Needs root, unshare and nsenter; no container engine.
//
// Kept from touching the host: started with the host's unit path, a unit
// pulling in sysinit.target (every service with default dependencies does)
// ran systemd-tmpfiles-setup, which emptied the host's /tmp, and started
// journald, sysusers and utmp on the host's /var and /etc. So the manager sees
// only the units the test writes (SYSTEMD_UNIT_PATH, no generators), and inside
// the namespace /tmp, /var/tmp, /var/lib and /var/log are empty tmpfs and /etc
// is an overlay whose writes (machine-id, sysusers) stay in the namespace.
// Killing PID 1 of a pid namespace kills everything in it: nothing outlives stop().
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './daemon.js';

export interface BootOptions {
  /** A host directory of unit files, bind-mounted as /run/systemd/system (the only unit path). */
  units: string;
  /** [host path, path inside the namespace]: directories or files, bind-mounted under /run. */
  binds: Array<[string, string]>;
  /** Shell run inside the namespace once mounted, before systemd starts. */
  setup?: string;
}

export interface Systemd {
  /** The manager's pid, as the host sees it. */
  pid: number;
  systemctl(...args: string[]): { status: number | null; output: string };
  /** `systemctl show -p …` as an object. */
  show(unit: string, ...props: string[]): Record<string, string>;
  stop(): Promise<void>;
}

const TOOLS = ['unshare', 'nsenter', 'systemctl', 'systemd-sysusers'];
const MANAGER = '/lib/systemd/systemd';

/** Why this machine cannot boot systemd here, or undefined when it can. */
export function cannotBoot(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!fs.existsSync(MANAGER)) return `${MANAGER} not installed`;
  for (const tool of TOOLS) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `${tool} not installed`;
  }
  return undefined;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export async function bootSystemd(o: BootOptions): Promise<Systemd> {
  const cgroupsBefore = new Set(managerCgroups());
  const script = [
    'set -eu',
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/systemd/system /run/ck-etc/upper /run/ck-etc/work /run/ck-none',
    `mount --bind ${quote(o.units)} /run/systemd/system`,
    ...o.binds.flatMap(([from, to]) => [
      fs.statSync(from).isDirectory() ? `mkdir -p ${quote(to)}` : `touch ${quote(to)}`,
      `mount --bind ${quote(from)} ${quote(to)}`,
    ]),
    'mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/ck-etc/upper,workdir=/run/ck-etc/work /etc',
    'for d in /tmp /var/tmp /var/lib /var/log; do mount -t tmpfs tmpfs "$d"; done',
    o.setup ?? ':',
    'export SYSTEMD_UNIT_PATH=/run/systemd/system SYSTEMD_GENERATOR_PATH=/run/ck-none SYSTEMD_ENVIRONMENT_GENERATOR_PATH=/run/ck-none',
    `exec ${MANAGER} --system --unit=ck-test.target`,
  ].join('\n');
  fs.writeFileSync(
    path.join(o.units, 'ck-test.target'),
    '[Unit]\nDescription=the test boot: nothing but what the test starts\nDefaultDependencies=no\n',
  );
  const unshare = spawn(
    'unshare',
    // Private propagation: none of the mounts below reaches the host.
    ['--pid', '--fork', '--mount', '--propagation', 'private', '--mount-proc', 'bash', '-c', script],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  unshare.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => unshare.once('exit', () => resolve()));
  const pid = await managerPid(unshare, () => stderr);

  const systemctl = (...args: string[]) => {
    const r = spawnSync('nsenter', ['-t', String(pid), '-m', '-p', 'systemctl', '--no-pager', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SYSTEMD_COLORS: '0' },
    });
    if (r.error) throw r.error;
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  };
  const stop = async () => {
    if (unshare.exitCode === null && unshare.signalCode === null) {
      process.kill(pid, 'SIGKILL');
      await exited;
    }
    // The manager's cgroups outlive it; those it made go (rmdir: only empty ones can).
    const made = managerCgroups().filter((d) => !cgroupsBefore.has(d));
    for (const d of made.sort((a, b) => b.length - a.length)) {
      try {
        fs.rmdirSync(d);
      } catch {
        // not empty, or gone
      }
    }
  };
  const deadline = Date.now() + 20_000;
  let state = '';
  while (!['running', 'degraded'].includes(state)) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`systemd did not come up (is-system-running: ${state}); stderr: ${stderr}`);
    }
    await sleep(100);
    state = systemctl('is-system-running').output;
  }
  return {
    pid,
    systemctl,
    show(unit, ...props) {
      const r = systemctl('show', unit, ...props.map((p) => `--property=${p}`));
      return Object.fromEntries(
        r.output.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    },
    stop,
  };
}

/** The child of unshare, once it has exec'd systemd. */
async function managerPid(unshare: ChildProcess, stderr: () => string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (unshare.exitCode !== null) throw new Error(`unshare exited ${unshare.exitCode}: ${stderr()}`);
    const read = (file: string) => {
      try {
        return fs.readFileSync(file, 'utf8').trim();
      } catch {
        return ''; // gone meanwhile
      }
    };
    const pid = Number(read(`/proc/${unshare.pid}/task/${unshare.pid}/children`).split(' ')[0]);
    if (pid > 0 && read(`/proc/${pid}/comm`) === 'systemd') return pid;
    await sleep(50);
  }
  unshare.kill('SIGKILL');
  throw new Error(`systemd did not start: ${stderr()}`);
}

/** init.scope, system.slice and the units' cgroups below it, where the manager (rooted at ours) makes them. */
function managerCgroups(): string[] {
  const own = (re: RegExp) => re.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  const roots: Array<[string, string]> = [
    ['/sys/fs/cgroup/systemd', own(/^\d+:name=systemd:(.*)$/m)],
    ['/sys/fs/cgroup/unified', own(/^0::(.*)$/m)],
    ['/sys/fs/cgroup', own(/^0::(.*)$/m)],
  ];
  const dirs: string[] = [];
  for (const [mount, cg] of roots) {
    if (!fs.existsSync(path.join(mount, 'cgroup.procs'))) continue;
    const base = path.join(mount, cg);
    for (const top of ['init.scope', 'system.slice']) {
      const dir = path.join(base, top);
      if (!fs.existsSync(dir)) continue;
      dirs.push(dir);
      if (top === 'system.slice') {
        for (const e of fs.readdirSync(dir, { withFileTypes: true }))
          if (e.isDirectory()) dirs.push(path.join(dir, e.name));
      }
    }
  }
  return dirs;
}
