// A container with cronkeeper installed the way systemd/README.md tells users
// to, as near as a container allows:
//   1. The program: `npm pack` of this checkout on the host (dist/ must be
//      built: `npm run test:systemd` builds it), then `npm install -g
//      ./cronkeeper-*.tgz` in the container. Node and npm are the host's,
//      bind-mounted read-only at /usr/bin/node and /usr/lib/node_modules/npm:
//      Node "installed under /usr (NodeSource, nodejs.org packages)", so the
//      command lands in /usr/bin/cronkeeper, where the units look for it, and no
//      drop-in is needed. npm gets the host's registry settings (registry, CA
//      file, proxies) and a cache kept between runs.
//   2. The user: the package's sysusers.d file, then systemd-sysusers. The
//      README installs it into /etc/sysusers.d, which Debian's systemd package
//      does not create: the directory is made first.
//   3. /etc/cronkeeper with the shipped example config, checked by `cronkeeper
//      validate`. The tests then replace the config (as `sudoedit` would).
//   4. The units into /etc/systemd/system, then `systemctl daemon-reload`. Enabling
//      and starting is left to the tests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../../support/daemon.js';
import { type Bind, Container } from './container.js';
import { CACHE, debianRoot } from './debian-root.js';

/** The host directory shared with the container (the tarball, the npm CA file), and where it is inside. */
export const SHARED_AT = '/run/cronkeeper-test';
const NPM_CACHE_AT = '/var/cache/cronkeeper-npm';

export interface Installed {
  ct: Container;
  /** The host side of SHARED_AT. */
  shared: string;
  /** The packed tarball's file name. */
  tarball: string;
  /** The output of the install steps. */
  output: string;
  /** The version of the checkout (package.json), which `cronkeeper --version` must print. */
  version: string;
}

/** Boots a container on the cached root and installs cronkeeper and `units` (file names in systemd/) in it. */
export async function bootWithCronkeeper(
  name: string,
  units: string[],
  note: (line: string) => void,
): Promise<Installed> {
  const root = await debianRoot(note);
  const shared = tempDir(name);
  fs.chmodSync(shared, 0o755);
  const tarball = packTarball(shared);
  const npmCache = path.join(CACHE, 'npm');
  fs.mkdirSync(npmCache, { recursive: true });
  const binds: Bind[] = [
    { host: shared, at: SHARED_AT },
    { host: npmCache, at: NPM_CACHE_AT },
    { host: process.execPath, at: '/usr/bin/node', readOnly: true },
    { host: hostNpm(), at: '/usr/lib/node_modules/npm', readOnly: true },
  ];
  const startedAt = performance.now();
  const ct = await Container.boot({ root, name, binds, consoleLog: path.join(shared, 'console.log') });
  note(
    `container booted in ${Math.round(performance.now() - startedAt)} ms (PID 1 is ${ct.pid} on the host)`,
  );
  const installStartedAt = performance.now();
  const r = await ct.shAsync(installScript(tarball, npmFlags(shared), units));
  note(
    `installed as systemd/README.md says in ${Math.round((performance.now() - installStartedAt) / 1000)} s`,
  );
  if (r.status !== 0) {
    await ct.stop();
    throw new Error(
      `installing as systemd/README.md says failed (exit ${r.status}; the container's console: ${shared}/console.log):\n${r.output}`,
    );
  }
  const version = (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  return { ct, shared, tarball, output: r.output, version };
}

/** `npm pack` of the checkout into `dir`; returns the tarball's file name. */
function packTarball(dir: string): string {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/ is not built: run `npm run build` (npm run test:systemd does)');
  }
  const r = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const file = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !fs.existsSync(path.join(dir, file))) {
    throw new Error(`npm pack failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  return file;
}

/** The npm package that came with this node: beside it (lib/node_modules/npm), else the `npm` on the PATH. */
function hostNpm(): string {
  const beside = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  if (fs.existsSync(path.join(beside, 'bin', 'npm-cli.js'))) return beside;
  const onPath = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  const dir = onPath ? path.resolve(fs.realpathSync(onPath), '..', '..') : '';
  if (!dir || !fs.existsSync(path.join(dir, 'bin', 'npm-cli.js')))
    throw new Error('npm not found on the host');
  return dir;
}

/**
 * The host's way to the registry, as flags for npm in the container: the
 * registry, the CA file (a TLS-inspecting proxy's CA is in it on some networks;
 * copied into the shared directory) and the proxies.
 */
function npmFlags(shared: string): string[] {
  const r = spawnSync('npm', ['config', 'list', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const config = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
  const get = (key: string) => {
    const v = config[key];
    const s = Array.isArray(v) ? v.filter(Boolean).join(',') : typeof v === 'string' ? v : '';
    return s === '' ? undefined : s;
  };
  const flags: string[] = [];
  const registry = get('registry');
  if (registry) flags.push(`--registry=${registry}`);
  const cafile = get('cafile') ?? process.env.NODE_EXTRA_CA_CERTS;
  if (cafile && fs.existsSync(cafile)) {
    fs.copyFileSync(cafile, path.join(shared, 'npm-ca.crt'));
    flags.push(`--cafile=${SHARED_AT}/npm-ca.crt`);
  }
  const proxy = get('proxy') ?? process.env.HTTP_PROXY ?? process.env.http_proxy;
  const httpsProxy = get('https-proxy') ?? process.env.HTTPS_PROXY ?? process.env.https_proxy;
  const noproxy = get('noproxy') ?? process.env.NO_PROXY ?? process.env.no_proxy;
  if (proxy) flags.push(`--proxy=${proxy}`);
  if (httpsProxy) flags.push(`--https-proxy=${httpsProxy}`);
  if (noproxy) flags.push(`--noproxy=${noproxy}`);
  return flags;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function installScript(tarball: string, flags: string[], units: string[]): string {
  return `set -eux
# Node "installed under /usr": the bind-mounted npm gets its usual command.
ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/bin/npm
# 1. The program.
cd ${SHARED_AT}
npm install -g --no-audit --no-fund --prefer-offline --cache=${NPM_CACHE_AT} ${flags.map(quote).join(' ')} ./${quote(tarball)}
command -v cronkeeper
cronkeeper --version
SRC=$(npm root -g)/cronkeeper/systemd
# 2. The user (install -D: /etc/sysusers.d does not exist on a fresh Debian).
install -D -m 0644 "$SRC/cronkeeper.sysusers" /etc/sysusers.d/cronkeeper.conf
systemd-sysusers
# 3. The config.
install -d -m 0755 -o root -g root /etc/cronkeeper /etc/cronkeeper/jobs.d
install -m 0640 -o root -g cronkeeper "$SRC/../config/cronkeeper.yaml" /etc/cronkeeper/cronkeeper.yaml
cronkeeper validate --config /etc/cronkeeper/cronkeeper.yaml
# 4. The units.
${units.map((u) => `install -m 0644 "$SRC/${u}" /etc/systemd/system/`).join('\n')}
systemctl daemon-reload
`;
}

/** Writes a config file (or an included job file) as root, mode 0640, group cronkeeper, replacing it at once. */
export function writeConfig(ct: Container, file: string, yaml: string): void {
  const f = quote(file);
  const r = ct.sh(
    `set -eu; umask 077; cat > ${f}.new; chown root:cronkeeper ${f}.new; chmod 0640 ${f}.new; mv -f ${f}.new ${f}`,
    { input: yaml },
  );
  if (r.status !== 0) throw new Error(`writing ${file}: ${r.output}`);
}
