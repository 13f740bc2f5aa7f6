// The root file system the containers boot: Debian bookworm from debootstrap
// (minbase, plus systemd as PID 1), built once per machine and kept under
// /var/cache/cronkeeper-nspawn, in a directory named by a hash of what goes into
// it (release, variant, packages, architecture): a change to the list builds a
// new root, and an unchanged one is reused as is. The containers never write to
// it: they boot it with --volatile=overlay, every write going to a tmpfs.
//
// debootstrap fetches from the Debian mirror apt is configured with here
// (/etc/apt/sources.list*), so it goes wherever apt goes; CRONKEEPER_NSPAWN_MIRROR
// overrides that. The first build takes about a minute.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const CACHE = '/var/cache/cronkeeper-nspawn';
const RELEASE = 'bookworm';
const VARIANT = 'minbase';
/**
 * systemd and systemd-sysv: systemd as PID 1; dbus: the system bus (logind);
 * procps: ps, for the checks on the jobs' processes. Node comes from the host.
 */
const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'procps'];
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** A build left by a run that died: removed when this old. */
const STALE_BUILD_MS = 3_600_000;

interface AptSource {
  types: string[];
  uri: string;
  suites: string[];
  components: string[];
}

/** The Debian archive apt uses on this machine: one listing the release, else any Debian one, else deb.debian.org. */
export function debianMirror(): string {
  const override = process.env.CRONKEEPER_NSPAWN_MIRROR;
  if (override) return override;
  const archives = aptSources().filter(
    (s) =>
      s.types.includes('deb') &&
      s.components.includes('main') &&
      /^https?:\/\//.test(s.uri) &&
      s.suites.some((suite) => !/[-/](security|updates|backports)$/.test(suite)),
  );
  const forRelease = archives.find((s) => s.suites.includes(RELEASE));
  const debian = archives.find((s) => /\/debian\/?$/.test(s.uri));
  return (forRelease ?? debian)?.uri.replace(/\/$/, '') ?? DEFAULT_MIRROR;
}

function aptSources(): AptSource[] {
  const dir = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list'];
  if (fs.existsSync(dir)) files.push(...fs.readdirSync(dir).map((f) => path.join(dir, f)));
  return files.flatMap((file) => {
    if (!fs.existsSync(file)) return [];
    const text = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.list')) return oneLineSources(text);
    if (file.endsWith('.sources')) return deb822Sources(text);
    return [];
  });
}

/** `deb [options] URI SUITE COMPONENT...` */
function oneLineSources(text: string): AptSource[] {
  return text.split('\n').flatMap((line) => {
    const words = line
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, '')
      .trim()
      .split(/\s+/);
    const [type, uri, suite, ...components] = words;
    if (!type || !uri || !suite) return [];
    return [{ types: [type], uri, suites: [suite], components }];
  });
}

/** Paragraphs of `Types:`, `URIs:`, `Suites:`, `Components:` (and `Enabled: no`). */
function deb822Sources(text: string): AptSource[] {
  return text.split(/\n\s*\n/).flatMap((paragraph) => {
    const field = (name: string) =>
      new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(paragraph)?.[1]?.trim().split(/\s+/) ?? [];
    if (field('Enabled')[0]?.toLowerCase() === 'no') return [];
    return field('URIs').map((uri) => ({
      types: field('Types'),
      uri,
      suites: field('Suites'),
      components: field('Components'),
    }));
  });
}

/** Where the root for the current package list lives (built or not). */
export function rootDirectory(): string {
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ RELEASE, VARIANT, PACKAGES, arch: process.arch }))
    .digest('hex')
    .slice(0, 12);
  return path.join(CACHE, `${RELEASE}-${VARIANT}-${key}`);
}

/**
 * The cached root, built first when missing. Two runs building at once each
 * build their own copy; the first to finish keeps its copy, the other drops its.
 * `note` is told what is happening (the first build takes a while).
 */
export async function debianRoot(note: (line: string) => void = () => {}): Promise<string> {
  const dir = rootDirectory();
  if (fs.existsSync(path.join(dir, 'usr/lib/systemd/systemd'))) return dir;
  fs.mkdirSync(CACHE, { recursive: true });
  removeStaleBuilds();
  const build = `${dir}.build-${process.pid}`;
  const log = `${build}.log`;
  const mirror = debianMirror();
  note(`building the container's root: debootstrap ${RELEASE} from ${mirror} into ${dir} (log: ${log})`);
  const startedAt = performance.now();
  const args = [`--variant=${VARIANT}`, `--include=${PACKAGES.join(',')}`, RELEASE, build, mirror];
  const code = await new Promise<number | null>((resolve, reject) => {
    const out = fs.openSync(log, 'w');
    const child = spawn('debootstrap', args, { stdio: ['ignore', out, out] });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
    fs.closeSync(out);
  });
  if (code !== 0) {
    const tail = fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n');
    fs.rmSync(build, { recursive: true, force: true });
    throw new Error(`debootstrap ${args.join(' ')} exited ${code}; the end of ${log}:\n${tail}`);
  }
  try {
    fs.renameSync(build, dir);
  } catch (err) {
    // Another run finished first: its root serves.
    if (!fs.existsSync(dir)) throw err;
    fs.rmSync(build, { recursive: true, force: true });
  }
  fs.rmSync(log, { force: true });
  note(`root built in ${Math.round((performance.now() - startedAt) / 1000)} s`);
  return dir;
}

function removeStaleBuilds(): void {
  for (const name of fs.readdirSync(CACHE)) {
    const file = path.join(CACHE, name);
    if (!/\.build-\d+(\.log)?$/.test(name)) continue;
    if (Date.now() - fs.statSync(file).mtimeMs > STALE_BUILD_MS)
      fs.rmSync(file, { recursive: true, force: true });
  }
}
