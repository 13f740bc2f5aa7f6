// `cronkeeper import crontab|systemd|cronjob ... [--out FILE] [--json]`: a
// crontab (src/import/crontab.ts), systemd timers (src/import/systemd.ts) or
// Kubernetes CronJobs (src/import/cronjob.ts) as a cronkeeper config, with no
// config of its own. The YAML goes to stdout or to a new --out file; what
// became of each line or field that did not map one to one goes to stderr as
// FILE:LINE: what happened. Any error: exit 78 and nothing written.
import fs from 'node:fs';
import path from 'node:path';
import { type ImportNote, importCrontab } from '../import/crontab.js';
import { importCronJobs } from '../import/cronjob.js';
import type { SourceImport, SourceNote } from '../import/import-notes.js';
import { type UnitSource, importSystemd, wantedService } from '../import/systemd.js';
import { isValidTimeZone } from '../schedule/cron-calculator.js';
import { err, out } from './cli-io.js';
import { EXIT, UsageError, printJson } from './common.js';
import { escapeTerminal } from './terminal-text.js';

interface ImportOptions {
  out?: string;
  json: boolean;
}

export function importCommand(args: string[], o: ImportOptions): number {
  const [kind, ...files] = args;
  if (kind === undefined) {
    throw new UsageError(
      'import needs a source kind: cronkeeper import crontab [FILE|-], import systemd UNIT.timer|DIR..., import cronjob [FILE|-]',
    );
  }
  if (kind === 'crontab') return crontabCommand(files, o);
  if (kind === 'systemd') return systemdCommand(files, o);
  if (kind === 'cronjob') return cronjobCommand(files, o);
  throw new UsageError(
    `import: unknown source kind '${kind}'; use 'import crontab', 'import systemd' or 'import cronjob'`,
  );
}

/** A file (or stdin for `-`) as UTF-8; undecodable bytes would make a command run other text than the source's. */
function readText(file: string | undefined): string {
  const fromStdin = file === undefined || file === '-';
  return new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(fromStdin ? 0 : file));
}

function crontabCommand(files: string[], o: ImportOptions): number {
  const [file, extra] = files;
  if (extra !== undefined)
    throw new UsageError(`import crontab takes one FILE, got '${file}' and '${extra}'`);
  const fromStdin = file === undefined || file === '-';
  const shown = fromStdin ? '<stdin>' : file;
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    err(`cronkeeper: cannot read the crontab ${shown}: ${(e as Error).message}\n`);
    return EXIT.config;
  }
  const result = importCrontab(text, fromStdin ? '-' : path.resolve(file), { localZone: localZone() });
  const lines = result.report
    .filter((n) => n.message !== undefined)
    .map((n) => `${shown}:${n.line}: ${describe(n)}`);
  const jobs = result.report.filter((n) => n.outcome === 'job').length;
  const unsupported = result.report.filter((n) => n.outcome === 'unsupported').length;
  const counts = `${jobs} job(s), ${unsupported} line(s) not imported, ${result.errors} error(s)`;
  return finish(result.yaml, result.report, result.errors, lines, counts, o);
}

function cronjobCommand(files: string[], o: ImportOptions): number {
  const [file, extra] = files;
  if (extra !== undefined)
    throw new UsageError(`import cronjob takes one FILE, got '${file}' and '${extra}'`);
  const shown = file === undefined || file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    err(`cronkeeper: cannot read the manifest ${shown}: ${(e as Error).message}\n`);
    return EXIT.config;
  }
  return finishSources(importCronJobs(text, shown), 'field', o);
}

function systemdCommand(files: string[], o: ImportOptions): number {
  if (files.length === 0)
    throw new UsageError('import systemd needs UNIT.timer files or a directory of them');
  const timers: UnitSource[] = [];
  const services: UnitSource[] = [];
  try {
    for (const file of files) {
      if (file === '-') throw new UsageError('import systemd reads unit files, not stdin');
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
        for (const name of fs.readdirSync(file).sort()) {
          if (name.endsWith('.timer')) timers.push(readUnit(path.join(file, name)));
        }
      } else if (file.endsWith('.timer')) timers.push(readUnit(file));
      else if (file.endsWith('.service')) services.push(readUnit(file));
      else
        throw new UsageError(`import systemd takes .timer and .service files and directories, not '${file}'`);
    }
    // Each timer's service: one given, else the file beside the timer (or its template's).
    for (const timer of timers) {
      const wanted = wantedService(timer);
      const template = wanted.replace(/@[^.]*\./, '@.');
      if (services.some((s) => s.unit === wanted || s.unit === template)) continue;
      const dir = path.dirname(timer.path);
      const found = [wanted, template].map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
      if (found) services.push(readUnit(found));
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    err(`cronkeeper: ${(e as Error).message}\n`);
    return EXIT.config;
  }
  if (timers.length === 0) {
    err(`cronkeeper: no .timer files in ${files.join(', ')}\n`);
    return EXIT.config;
  }
  return finishSources(importSystemd(timers, services, { localZone: localZone() }), 'directive', o);
}

/**
 * A unit file, read as systemd names it: `foo@bar.timer` is an instance of
 * the template `foo@.timer` beside it when there is no file of its own.
 */
function readUnit(file: string): UnitSource {
  const unit = path.basename(file);
  const template = path.join(path.dirname(file), unit.replace(/@[^.]*\./, '@.'));
  const real = !fs.existsSync(file) && unit.includes('@') && fs.existsSync(template) ? template : file;
  try {
    return { path: real, unit, text: readText(real) };
  } catch (e) {
    throw new Error(`cannot read the unit ${file}: ${(e as Error).message}`, { cause: e });
  }
}

function finishSources(result: SourceImport, what: string, o: ImportOptions): number {
  const lines = result.report
    .filter((n) => n.message !== undefined)
    .map((n) => `${n.file}:${n.line}: ${describe(n)}`);
  const count = (outcome: SourceNote['outcome']) => result.report.filter((n) => n.outcome === outcome).length;
  const counts =
    `${result.jobs} job(s), ${count('approximated')} ${what}(s) approximated, ` +
    `${count('unsupported')} not carried over, ${result.errors} error(s)`;
  return finish(result.yaml, result.report, result.errors, lines, counts, o);
}

/** The config on stdout or in the --out file, and the report on stderr (or all of it as JSON on stdout). */
function finish(
  yaml: string,
  report: ReadonlyArray<ImportNote | SourceNote>,
  errors: number,
  lines: readonly string[],
  counts: string,
  o: ImportOptions,
): number {
  const usable = errors === 0;
  if (usable && o.out !== undefined) {
    try {
      // 'wx': an existing file is never overwritten; 0600: the source's env may hold secrets.
      fs.writeFileSync(o.out, yaml, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
      err(
        `cronkeeper: ${exists ? `${o.out} exists: not overwritten (remove it or choose another --out)` : `cannot write ${o.out}: ${(e as Error).message}`}\n`,
      );
      return EXIT.failure;
    }
  }
  if (o.json) {
    printJson({ config: usable ? yaml : null, report });
    return usable ? EXIT.ok : EXIT.config;
  }
  for (const line of lines) err(escapeTerminal(line) + '\n');
  if (usable && o.out === undefined) out(yaml);
  const summary =
    errors > 0
      ? `cronkeeper: ${counts}: nothing written`
      : o.out === undefined
        ? `cronkeeper: ${counts}`
        : `cronkeeper: ${counts}; wrote ${o.out} (check it: cronkeeper validate --config ${o.out})`;
  err(summary + '\n');
  return usable ? EXIT.ok : EXIT.config;
}

function describe(note: ImportNote | SourceNote): string {
  if (note.outcome === 'error') return `error: ${note.message}`;
  return note.job !== undefined ? `job '${note.job}': ${note.message}` : `${note.message}`;
}

/** The host's local time zone, which cron and systemd follow (`$TZ`, else the system's). */
function localZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isValidTimeZone(zone) ? zone : 'UTC';
}
