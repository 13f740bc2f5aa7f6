// `cronkeeper jobs --commands`: what each job runs, the way `crontab -l` shows
// it: the schedule, then the command (or the HTTP request), with its
// directory and the names of its environment variables. Values are not shown:
// an environment or a header is where secrets live. Reads the config only.
import type { Config, JobConfig } from '../config/types.js';
import { describeSchedule } from '../schedule/describe-schedule.js';
import { shellWord } from '../text/shell-words.js';
import { EXIT, findJob, printJson, printLine } from './common.js';

export function jobDefinitionsCommand(
  config: Config,
  names: readonly string[],
  o: { json: boolean },
): number {
  const jobs = names.length === 0 ? config.jobs : names.map((n) => findJob(config, n));
  const shown = jobs.map(definition);
  if (o.json) {
    printJson(shown);
    return EXIT.ok;
  }
  printLine(`# ${config.file}: ${jobs.length} job(s); environment and header values are not shown`);
  for (const d of shown) {
    const notes = [
      `catch-up ${d.catchup}`,
      `overlap ${d.overlap}`,
      ...(d.cwd ? [`cwd ${d.cwd}`] : []),
      ...(d.envKeys.length > 0 ? [`env ${d.envKeys.join(' ')}`] : []),
      ...(d.headerKeys.length > 0 ? [`headers ${d.headerKeys.join(' ')}`] : []),
    ];
    printLine('');
    printLine(`# ${d.name} (${d.source}): ${notes.join('; ')}`);
    printLine(`${d.schedule}  ${d.runs}`);
  }
  return EXIT.ok;
}

function definition(job: JobConfig) {
  const a = job.action;
  return {
    name: job.name,
    source: `${job.source.file}:${job.source.line}`,
    schedule: describeSchedule(job.schedule),
    catchup: job.catchup,
    overlap: job.overlap,
    /** The command line as sh would read it, or the HTTP request with its query values hidden. */
    runs: a.kind === 'command' ? a.argv.map(shellWord).join(' ') : `${a.method} ${hideQueryValues(a.url)}`,
    cwd: a.kind === 'command' ? (a.cwd ?? null) : null,
    envKeys: a.kind === 'command' ? Object.keys(a.env).sort() : [],
    headerKeys: a.kind === 'http' ? Object.keys(a.headers).sort() : [],
  };
}

/** A URL without its password and query values (tokens travel there). */
function hideQueryValues(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...new Set(u.searchParams.keys())]) u.searchParams.set(key, '***');
    return u.toString().replaceAll('%2A%2A%2A', '***');
  } catch {
    return url.replace(/\?.*$/, '?***');
  }
}
