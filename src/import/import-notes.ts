// The report of `import systemd` and `import cronjob`: one note per directive
// of a unit file, or per field of a manifest, saying what became of it. The
// crontab importer notes every line of one file (crontab.ts); these note the
// lines of several files, so each note names its file. Pure.

/**
 * - job: the directive or field a job was made from (OnCalendar=, a CronJob);
 * - converted: carried over with the same meaning;
 * - approximated: carried over, with a difference the message states;
 * - unsupported: not carried over (or no job made), the message says why;
 * - skipped: nothing to carry over (a description, a label, a history limit);
 * - error: input that is no unit or manifest, or says something the source
 *   system itself would refuse: the config is not for use.
 */
export type NoteOutcome = 'job' | 'converted' | 'approximated' | 'unsupported' | 'skipped' | 'error';

/** What became of one directive or field: `file` as the user named it, `line` 1-based, `source` the line as written. */
export interface SourceNote {
  file: string;
  line: number;
  source: string;
  outcome: NoteOutcome;
  job?: string;
  message?: string;
}

/** What an importer returns: the config text, every note in file and line order, and the count of errors. */
export interface SourceImport {
  yaml: string;
  report: SourceNote[];
  errors: number;
  jobs: number;
}

/** The notes in file order (as given), then line order, each with its fields in the documented order. */
export function orderedNotes(notes: readonly SourceNote[], files: readonly string[]): SourceNote[] {
  const rank = (f: string) => {
    const i = files.indexOf(f);
    return i < 0 ? files.length : i;
  };
  return notes
    .map((n, i) => ({ n, i }))
    .sort((a, b) => rank(a.n.file) - rank(b.n.file) || a.n.line - b.n.line || a.i - b.i)
    .map(({ n: { file, line, source, outcome, job, message } }) => ({
      file,
      line,
      source,
      outcome,
      ...(job !== undefined ? { job } : {}),
      ...(message !== undefined ? { message } : {}),
    }));
}

/** A job name from a unit or object name: the config's job-name characters, at most 128, starting with a letter or digit. */
export function jobNameOf(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 120)
    .replace(/[-.]+$/, '');
  return cleaned === '' ? 'job' : cleaned;
}

/** `wanted` made unique among `taken` (which it joins) by `-2`, `-3`, ... */
export function uniqueName(wanted: string, taken: Set<string>): string {
  let name = wanted;
  for (let n = 2; taken.has(name); n++) name = `${wanted}-${n}`;
  taken.add(name);
  return name;
}

/**
 * The notes of a source that made no job: only `reasons` (why not) and errors
 * keep their message, each after `label` when one is given; the others keep
 * their outcome (a `job` note becomes `skipped`) and say nothing about a job
 * that does not exist.
 */
export function quietRefused(
  notes: readonly SourceNote[],
  reasons: ReadonlySet<SourceNote>,
  label?: string,
): void {
  for (const n of notes) {
    if (n.outcome === 'job') n.outcome = 'skipped';
    if (!reasons.has(n) && n.outcome !== 'error') delete n.message;
    else if (label !== undefined && n.message !== undefined) n.message = `${label}: ${n.message}`;
  }
}
