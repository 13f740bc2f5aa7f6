// The command line: parses the arguments, carries the command out, and maps
// its errors to an exit status. The same for a shell and for a command the
// running daemon carries out for a CLI beside it (cli-io.ts). Each command's
// modules are loaded when it runs: `run` starts reading the config on its
// thread before the daemon's modules load, and no command waits for another's.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/types.js';
import { err, inDaemon, out } from './cli-io.js';
import { EXIT, NoConfigError, UsageError, printConfigError, printJson, readConfig } from './common.js';
import { unsafeConfigFile } from '../config/file-permissions.js';
import { storeHeld } from '../store/store-lock.js';
import { forwardToDaemon } from './command-client.js';
import { HELP } from './help.js';
import { suggest } from '../text/suggest.js';

/** Runs one command line; resolves with its exit status (errors are reported on stderr). */
export async function runCommandLine(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      // Asked for JSON (validate --json in a CI step): the problems as data, on stdout.
      if (argv.includes('--json')) printJson({ valid: false, problems: e.problems, warnings: [] });
      else printConfigError(e);
      return EXIT.config;
    }
    if (e instanceof NoConfigError) {
      err(`cronkeeper: ${e.message}\n`);
      return EXIT.config;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`cronkeeper: ${(e as Error).message}\nRun 'cronkeeper --help' for usage.\n`);
      return EXIT.usage;
    }
    err(`cronkeeper: ${(e as Error).message ?? String(e)}\n`);
    return EXIT.failure;
  }
}

/** How long a daemon that holds the store but is still opening it has to answer on its socket. */
const START_WAIT_MS = 15_000;

/** Commands that read or write the store (plan reads it unless given --state). */
function usesStore(command: string, values: { state?: string | undefined; commands?: boolean }): boolean {
  if (command === 'plan') return values.state === undefined;
  if (command === 'jobs') return !values.commands;
  return STORE_COMMANDS.has(command);
}
const STORE_COMMANDS = new Set([
  'snapshots',
  'runs',
  'status',
  'migrate',
  'pause',
  'resume',
  'trigger',
  'backfill',
  'audit',
  'logs',
  'jobs',
]);

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean', default: false },
  pretty: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
  state: { type: 'string' },
  now: { type: 'string' },
  job: { type: 'string' },
  limit: { type: 'string' },
  keep: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  down: { type: 'string', multiple: true },
  reason: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  n: { type: 'string', short: 'n' },
  'insecure-config': { type: 'boolean', default: false },
  timezone: { type: 'string' },
  follow: { type: 'boolean', short: 'f', default: false },
  commands: { type: 'boolean', default: false },
  out: { type: 'string' },
  pool: { type: 'string' },
  concurrency: { type: 'string' },
} as const;

/** Every command takes these. */
const COMMON = ['config', 'json', 'help', 'version', 'insecure-config'];
/** What each command takes besides: an option another command takes is an error here, not ignored. */
const OPTIONS_OF: Record<string, string[]> = {
  run: ['pretty'],
  worker: ['pool', 'concurrency', 'pretty'],
  validate: [],
  plan: ['state', 'now'],
  simulate: ['from', 'to', 'down', 'job'],
  snapshots: ['keep'],
  runs: ['job', 'limit', 'from', 'to', 'follow'],
  logs: ['n'],
  status: [],
  jobs: ['commands'],
  migrate: [],
  pause: ['reason'],
  resume: [],
  trigger: [],
  backfill: ['from', 'to', 'dry-run'],
  next: ['n', 'from'],
  calendar: ['n', 'from', 'timezone'],
  audit: ['job', 'limit'],
  import: ['out'],
  init: [],
  help: [],
};

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, tokens: true, options: OPTIONS });
  } catch (e) {
    const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec((e as Error).message);
    if ((e as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !unknown) throw e;
    const hint = suggest(unknown[2]!, Object.keys(OPTIONS));
    throw new UsageError(
      `unknown option '${unknown[1]}${unknown[2]}'${hint ? ` (did you mean '--${hint}'?)` : ''}`,
    );
  }
}

/** A command name, or a UsageError suggesting the closest one. */
function knownCommand(name: string): string {
  if (name in HELP) return name;
  const hint = suggest(
    name,
    Object.keys(HELP).filter((c) => c !== ''),
  );
  throw new UsageError(`unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
}

async function dispatch(argv: string[]): Promise<number> {
  const { values, positionals, tokens } = parse(argv);
  const [command = '', ...rest] = positionals;
  if (values.version) {
    out(`${version()}\n`);
    return EXIT.ok;
  }
  if (values.help || command === '' || command === 'help') {
    const topic = command === 'help' ? (rest[0] ?? '') : command;
    out(HELP[topic === '' ? '' : knownCommand(topic)] + '\n');
    return EXIT.ok;
  }
  knownCommand(command);
  for (const t of tokens) {
    if (t.kind !== 'option' || COMMON.includes(t.name) || OPTIONS_OF[command]!.includes(t.name)) continue;
    throw new UsageError(`${command} does not take ${t.rawName}; see 'cronkeeper ${command} --help'`);
  }
  if (command === 'run') {
    if (inDaemon()) throw new UsageError('the daemon is already running');
    // Loaded only for the daemon: the other commands start without its modules.
    const { daemonCommand } = await import('./daemon-command.js');
    const code = await daemonCommand(values.config, {
      pretty: values.pretty,
      insecure: values['insecure-config'],
    });
    // Exit explicitly: a job's stray handle must not keep a stopped daemon alive.
    process.exit(code);
  }
  if (command === 'worker') {
    if (inDaemon()) throw new UsageError('a worker runs as a process of its own, not in the daemon');
    const { workerCommand } = await import('./worker-command.js');
    const code = await workerCommand(values.config, {
      pool: values.pool,
      concurrency: values.concurrency,
      pretty: values.pretty,
      insecure: values['insecure-config'],
    });
    process.exit(code);
  }
  // Needs no config at all.
  if (command === 'calendar') {
    const { calendarCommand } = await import('./next-command.js');
    return calendarCommand(rest, {
      n: values.n,
      from: values.from,
      timezone: values.timezone,
      json: values.json,
    });
  }
  // Writes a config; reads none.
  if (command === 'init') {
    if (inDaemon()) throw new UsageError('init runs in the CLI, not in the daemon');
    if (values.config !== undefined || values['insecure-config'])
      throw new UsageError('init reads no config: it writes one (DIR/config/cronkeeper.yaml)');
    const { initCommand } = await import('./init-command.js');
    return initCommand(rest, { json: values.json });
  }
  // Reads a crontab, not the config.
  if (command === 'import') {
    if (inDaemon()) throw new UsageError('import runs in the CLI, not in the daemon');
    if (values.config !== undefined || values['insecure-config'])
      throw new UsageError('import reads no config: it writes one (--out FILE)');
    const { importCommand } = await import('./import-command.js');
    return importCommand(rest, { out: values.out, json: values.json });
  }
  const daemon = inDaemon();
  // Only `run` needs a config no one else could have written: the others only read it.
  const config = daemon?.config ?? (await readConfig(values.config, { insecure: true }));
  // The embedded store is held by a running daemon: it carries the command out (command-server.ts).
  if (!daemon && config.store.url === undefined && usesStore(command, values)) {
    const code = await forwardToDaemon(
      config.store.path,
      argv,
      storeHeld(config.store.path) ? START_WAIT_MS : 0,
    );
    if (code !== undefined) return code;
  }
  switch (command) {
    case 'validate': {
      const unsafe = values['insecure-config']
        ? undefined
        : unsafeConfigFile(fs.statSync(config.file), process.getuid?.());
      const warnings = unsafe ? [`'cronkeeper run' would refuse it: ${unsafe}`] : [];
      if (values.json) {
        printJson({ valid: true, file: config.file, jobs: config.jobs.length, problems: [], warnings });
        return EXIT.ok;
      }
      out(`${config.file}: valid, ${config.jobs.length} job(s)\n`);
      for (const w of warnings) err(`warning: ${w}\n`);
      return EXIT.ok;
    }
    case 'plan': {
      const { planCommand } = await import('./plan-command.js');
      await planCommand(config, { state: values.state, now: values.now, json: values.json });
      return EXIT.ok;
    }
    case 'snapshots':
      return (await import('./store-commands.js')).snapshotsCommand(config, rest, {
        json: values.json,
        keep: values.keep,
      });
    case 'jobs':
      if (values.commands)
        return (await import('./job-definitions.js')).jobDefinitionsCommand(config, rest, {
          json: values.json,
        });
      if (rest.length > 0)
        throw new UsageError(`jobs takes job names only with --commands, got '${rest[0]}'`);
      return (await import('./jobs-command.js')).jobsCommand(config, { json: values.json });
    case 'logs':
      return (await import('./follow-commands.js')).logsCommand(config, rest, {
        n: values.n,
        json: values.json,
      });
    case 'runs':
      if (values.follow) {
        if (rest.length > 0 || values.from !== undefined || values.to !== undefined)
          throw new UsageError('runs --follow takes --job and --limit only');
        return (await import('./follow-commands.js')).followRuns(config, {
          job: values.job,
          limit: values.limit,
          json: values.json,
        });
      }
      return (await import('./store-commands.js')).runsCommand(config, rest, {
        job: values.job,
        limit: values.limit,
        from: values.from,
        to: values.to,
        json: values.json,
      });
    case 'migrate':
      return (await import('./store-commands.js')).migrateCommand(config, { json: values.json });
    case 'status':
      return (await import('./status-command.js')).statusCommand(config, { json: values.json });
    case 'pause':
      return (await import('./control-commands.js')).pauseCommand(config, rest, {
        json: values.json,
        reason: values.reason,
      });
    case 'resume':
      return (await import('./control-commands.js')).resumeCommand(config, rest, { json: values.json });
    case 'trigger':
      return (await import('./control-commands.js')).triggerCommand(config, rest, { json: values.json });
    case 'backfill':
      return (await import('./control-commands.js')).backfillCommand(config, rest, {
        json: values.json,
        from: values.from,
        to: values.to,
        dryRun: values['dry-run'],
      });
    case 'next':
      return (await import('./next-command.js')).nextCommand(config, rest, {
        json: values.json,
        n: values.n,
        from: values.from,
      });
    case 'audit':
      return (await import('./control-commands.js')).auditCommand(config, {
        json: values.json,
        job: values.job,
        limit: values.limit,
      });
    case 'simulate':
      return (await import('./simulate-command.js')).simulateCommand(config, rest, values);
  }
  throw new UsageError(`unknown command '${command}'`);
}
