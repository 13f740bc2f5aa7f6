// `cronkeeper import crontab [FILE|-] [--out FILE] [--json]`: a crontab as a
// cronkeeper config (src/import/crontab.ts), with no config of its own. The
// YAML goes to stdout or to a new --out file; what became of each line that
// did not map one to one goes to stderr as FILE:LINE: what happened.
import fs from 'node:fs';
import path from 'node:path';
import { type ImportNote, importCrontab } from '../import/crontab.js';
import { isValidTimeZone } from '../schedule/cron-calculator.js';
import { err, out } from './cli-io.js';
import { EXIT, UsageError, printJson } from './common.js';
import { escapeTerminal } from './terminal-text.js';

/** Source kinds that may come later; `crontab` is the one there is. */
const PLANNED_KINDS = ['systemd', 'cronjob'];

export function importCommand(args: string[], o: { out?: string; json: boolean }): number {
  const [kind, file, extra] = args;
  if (kind === undefined) {
    throw new UsageError('import needs a source kind: cronkeeper import crontab [FILE|-] [--out FILE]');
  }
  if (PLANNED_KINDS.includes(kind)) {
    throw new UsageError(`import ${kind} is not built yet; only 'cronkeeper import crontab' is`);
  }
  if (kind !== 'crontab') throw new UsageError(`import: unknown source kind '${kind}'; use 'import crontab'`);
  if (extra !== undefined)
    throw new UsageError(`import crontab takes one FILE, got '${file}' and '${extra}'`);
  const fromStdin = file === undefined || file === '-';
  const shown = fromStdin ? '<stdin>' : file;
  let text: string;
  try {
    // Undecodable bytes would be replaced: a command would run other text than the crontab's.
    text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(fromStdin ? 0 : file));
  } catch (e) {
    err(`cronkeeper: cannot read the crontab ${shown}: ${(e as Error).message}\n`);
    return EXIT.config;
  }
  const result = importCrontab(text, fromStdin ? '-' : path.resolve(file), { localZone: localZone() });
  const usable = result.errors === 0;
  if (usable && o.out !== undefined) {
    try {
      // 'wx': an existing file is never overwritten; 0600: the crontab's env may hold secrets.
      fs.writeFileSync(o.out, result.yaml, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
      err(
        `cronkeeper: ${exists ? `${o.out} exists: not overwritten (remove it or choose another --out)` : `cannot write ${o.out}: ${(e as Error).message}`}\n`,
      );
      return EXIT.failure;
    }
  }
  if (o.json) {
    printJson({ config: usable ? result.yaml : null, report: result.report });
    return usable ? EXIT.ok : EXIT.config;
  }
  for (const note of result.report) {
    if (note.message !== undefined) err(escapeTerminal(`${shown}:${note.line}: ${describe(note)}`) + '\n');
  }
  if (usable && o.out === undefined) out(result.yaml);
  err(summary(result.report, result.errors, o.out) + '\n');
  return usable ? EXIT.ok : EXIT.config;
}

function describe(note: ImportNote): string {
  if (note.outcome === 'error') return `error: ${note.message}`;
  return note.job !== undefined ? `job '${note.job}': ${note.message}` : `${note.message}`;
}

function summary(report: readonly ImportNote[], errors: number, outFile: string | undefined): string {
  const jobs = report.filter((n) => n.outcome === 'job').length;
  const unsupported = report.filter((n) => n.outcome === 'unsupported').length;
  const counts = `${jobs} job(s), ${unsupported} line(s) not imported, ${errors} error(s)`;
  if (errors > 0) return `cronkeeper: ${counts}: nothing written`;
  return outFile === undefined
    ? `cronkeeper: ${counts}`
    : `cronkeeper: ${counts}; wrote ${outFile} (check it: cronkeeper validate --config ${outFile})`;
}

/** The host's local time zone, which cron follows (`$TZ`, else the system's). */
function localZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isValidTimeZone(zone) ? zone : 'UTC';
}
