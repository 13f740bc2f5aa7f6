// `cronkeeper init [DIR]`: a starter config at DIR/config/cronkeeper.yaml,
// where `cronkeeper run` run in DIR looks first (CONFIG_LOCATIONS): the
// embedded store beside it, two example jobs, comments on what to change.
// An existing file is never overwritten.
import fs from 'node:fs';
import path from 'node:path';
import { out, err } from './cli-io.js';
import { EXIT, UsageError, printJson } from './common.js';

export const STARTER_CONFIG = `# cronkeeper's config: the jobs, and where their state is kept.
# Check it with \`cronkeeper validate\`; run it with \`cronkeeper run\` (from the
# directory above this one, or with --config). Every key is in docs/configuration.md.

# The embedded store: a Postgres in this process, its files beside this one.
# For a Postgres server (and an HA pair), write instead:
#   store:
#     url: postgres://cronkeeper@db.example.com/cronkeeper
store:
  path: ../var/store
# Where running jobs keep their traces, so a run outlives a daemon restart.
spool:
  path: ../var/runs
# The status page and /metrics (Prometheus).
http:
  listen: 127.0.0.1:9464

defaults:
  catchup: latest # after downtime, make up the newest missed run of each job (all | latest | none)
  overlap: skip # a run due while the previous one still runs is skipped (skip | queue | allow | replace)
  timeout: 1h

jobs:
  # Every 5 minutes, on the clock (:00, :05, ...). Missed runs are not worth making up.
  disk-check:
    every: 5m
    catchup: none
    command: ['df', '-h', '/']

  # Every night at 02:30 Berlin time; every night missed in the last week is run once, in order.
  nightly-report:
    schedule: '30 2 * * *'
    timezone: Europe/Berlin
    catchup: all
    catchupWindow: 7d
    command: ['/bin/sh', '-c', 'echo "report for the night of $CRONKEEPER_SCHEDULED_AT"']
`;

export function initCommand(args: string[], o: { json: boolean }): number {
  if (args.length > 1) throw new UsageError(`init takes one directory at most, got '${args.join(' ')}'`);
  const dir = path.resolve(args[0] ?? '.');
  const file = path.join(dir, 'config', 'cronkeeper.yaml');
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // 'wx': never over an existing config. Not writable by group or others: `run` refuses that.
    fs.writeFileSync(file, STARTER_CONFIG, { flag: 'wx', mode: 0o644 });
    fs.chmodSync(file, 0o644);
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'EEXIST'
        ? 'it exists already (nothing was changed)'
        : (e as Error).message;
    err(`cronkeeper init: cannot write ${file}: ${why}\n`);
    return EXIT.failure;
  }
  if (o.json) {
    printJson({ file });
    return EXIT.ok;
  }
  const cd = dir === process.cwd() ? '' : `cd ${dir} && `;
  out(
    `wrote ${file}\n` +
      `next: ${cd}cronkeeper validate   (check it)\n` +
      `      ${cd}cronkeeper run        (start the daemon; the status page is at http://127.0.0.1:9464/)\n`,
  );
  return EXIT.ok;
}
