// A supervised run's start made ready: its spool directory, the check that
// its command can be spawned at all, and its `launch` file (run-supervisor.ts).
// Done ahead of the slot's instant when it can be (RunDispatcher.prepare), so
// that at the instant nothing is left to wait for on the file system.
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandAction } from '../config/types.js';
import { commandEnv } from './command-run.js';
import { type SpoolKey, type SpoolPaths, createSpool, spoolPaths } from './run-spool.js';
import { writeLaunch } from './run-supervisor.js';
import type { RunRequest } from './types.js';

/**
 * What a supervised start needs before it can spawn: the run's spool
 * directory, made, and the check that the command can be spawned at all. Made
 * ahead of the slot's instant (the run's traces are recorded only at the
 * instant, so a directory made early proves nothing and is swept if unused):
 * at the instant there is nothing left to wait for on the file system.
 */
export interface PreparedRun {
  paths: SpoolPaths;
  /** Why the command cannot be spawned (ENOENT, EACCES, ...); undefined: it can. */
  problem: string | undefined;
  /** When `problem` was judged (performance.now()). */
  checkedAt: number;
}

/** A preparation judged longer ago than this is judged again at the start (a binary may have come or gone). */
export const PREPARED_FRESH_MS = 2_000;

/**
 * Prepares the start of `req` (see PreparedRun): the directory is made unless the command cannot
 * be spawned. Rejects only when the directory cannot be made.
 */
export async function prepareSupervised(
  req: RunRequest,
  action: CommandAction,
  spoolRoot: string,
): Promise<PreparedRun> {
  const env = commandEnv(req, action);
  const problem = await preflight(action, env);
  // Nothing will be spawned for a command that cannot be: no directory either.
  if (problem) return { paths: spoolPaths(spoolRoot, spoolKey(req)), problem, checkedAt: performance.now() };
  const paths = await createSpool(spoolRoot, spoolKey(req));
  await writeLaunch(paths.dir, action.argv, { cwd: action.cwd ?? process.cwd(), env });
  return { paths, problem, checkedAt: performance.now() };
}

export function spoolKey(req: RunRequest): SpoolKey {
  return { runId: req.runId, attempt: req.attempt, epoch: req.epoch };
}

/**
 * What spawn() itself would have refused, checked before the supervisor starts
 * (it can only report such a failure as an exit status): a missing working
 * directory, a program that is not there or not executable.
 */
async function preflight(action: CommandAction, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const [file] = action.argv;
  if (file === undefined || file === '') return 'empty argv';
  if (action.argv.some((a) => a.includes('\u0000')))
    return "The argument 'args[...]' must be a string without null bytes";
  if (action.cwd !== undefined) {
    const s = await stat(action.cwd).catch(() => undefined);
    if (!s?.isDirectory()) return `spawn ${file} ENOENT`;
  }
  const candidates = file.includes('/')
    ? [path.resolve(action.cwd ?? process.cwd(), file)]
    : (env.PATH ?? '').split(':').map((dir) => path.resolve(action.cwd ?? process.cwd(), dir || '.', file));
  let denied = false;
  for (const candidate of candidates) {
    const s = await stat(candidate).catch(() => undefined);
    if (!s?.isFile()) continue;
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return undefined;
    denied = true;
  }
  return `spawn ${file} ${denied ? 'EACCES' : 'ENOENT'}`;
}
