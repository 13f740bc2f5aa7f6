// What a job (and its hooks) inherits of the daemon's environment: all of it
// but the daemon's own secrets. The daemon reads its store URL (with the
// database password) and libpq's password settings from its environment, as
// systemd/README.md recommends; one `env` in a job would otherwise put them in
// the job's output, the log, the ledger and the status page. A job that needs
// one of them names it in `inheritEnv` (or sets it in its own `env:`).

/**
 * The daemon's secrets, removed from every job's and hook's environment:
 * the store URLs it reads (config/build-config.ts), libpq's password and
 * password file (pg reads both for the store connection), and the HTTP token
 * variable. NOTIFY_SOCKET and the watchdog variables are removed at start
 * (commands/run-command.ts), not here.
 */
export const DAEMON_SECRETS: readonly string[] = Object.freeze([
  'CRONKEEPER_DATABASE_URL',
  'DATABASE_URL',
  'PGPASSWORD',
  'PGPASSFILE',
  'CRONKEEPER_HTTP_TOKEN',
]);

const SECRETS = new Set(DAEMON_SECRETS);

/**
 * The base environment of a job: `daemonEnv` without the daemon's secrets,
 * except those the job names in `inheritEnv`.
 */
export function jobBaseEnv(
  daemonEnv: NodeJS.ProcessEnv,
  inheritEnv: readonly string[] = [],
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(daemonEnv)) {
    if (!SECRETS.has(name) || inheritEnv.includes(name)) out[name] = value;
  }
  return out;
}
