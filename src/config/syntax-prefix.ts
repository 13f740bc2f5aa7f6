// A syntax error no window can hold (syntax-window.ts): one that runs on
// through the jobs after it (a job key indented a column less, a stray ']'
// in block YAML, each later line then read as broken), or one in a file of
// one line whose brackets it left unbalanced. The `yaml` package would take
// seconds over a 100,000-job file and name every line the error breaks. It
// reads instead the file up to a bound past the error (the jobs before the
// error blanked as for a window), and what it finds there is reported, with
// a last line that says where the reading stopped: the problems after it, if
// any, are the next validation's to show.
import { readPlain, type PlainFile } from './read-plain.js';
import { CompactText } from './compact-text.js';
import { closers, compactHead, nextMark, type ReadWindow, skipText, windowStart } from './syntax-window.js';
import type { ConfigProblem } from './types.js';
import { lineAndColumn, lineStart, lineStarts } from './yaml-text.js';

/**
 * How far past the error the file is read: lines after the error's line, or
 * characters along a long line; and how many problems are reported at most
 * (an error that breaks each line after it yields several a line).
 */
export interface PrefixBounds {
  lines: number;
  chars: number;
  problems: number;
}

export const PREFIX_BOUNDS: PrefixBounds = { lines: 30, chars: 2_000, problems: 20 };

/**
 * The problems the yaml package finds in `text` (of `file`) up to a bound past
 * js-yaml's first error at `errorAt`, then one that says where the reading
 * stopped. Undefined when the whole file is to be read: it ends within the
 * bound, or the reading cannot be trusted (see below).
 */
export function prefixProblems(
  text: string,
  file: string,
  errorAt: number,
  readWindow: ReadWindow,
  bounds: PrefixBounds = PREFIX_BOUNDS,
): ConfigProblem[] | undefined {
  const start = windowStart(text, errorAt);
  const cut = cutAfter(text, errorAt, start?.from ?? 0, bounds);
  if (cut === undefined) return undefined;
  const from = start?.from ?? 0;
  const closing = closedLater(text, cut, errorAt);
  const compact = (start ? compactHead(text, start) : new CompactText(text))
    .keep(from, cut)
    .append(closing.closers);
  const found = readWindow(compact.text);
  const lines = lineStarts(text);
  const offset = (p: ConfigProblem) => (lines[p.line - 1] ?? Infinity) + p.column - 1;
  // What the reading says where the text is cut off (a bracket left open, a map ended) is the cut's,
  // and so is what it says of a bracket opened after the error and open at the cut: the rest of the
  // file, read after an error, may close it where the brackets alone do not tell.
  let readTo = Math.min(cut, closing.openedAfter);
  let problems = compact
    .placeAll(found.problems, lines)
    .filter((p) => offset(p) < readTo)
    .sort((a, b) => offset(a) - offset(b));
  // Past the most reported, the reading stops at the next problem's place (the report holds every
  // problem before where it says it stopped).
  let shown = bounds.problems;
  while (shown < problems.length && offset(problems[shown]!) === offset(problems[shown - 1]!)) shown++;
  if (shown < problems.length) {
    readTo = offset(problems[shown]!);
    problems = problems.slice(0, shown);
  }
  // A problem ahead of the window may come of the blanking; an alias may stand for an anchor
  // blanked out of it: then the whole file.
  if (problems.length === 0 || problems.some((p) => offset(p) < from || /\balias/.test(p.message)))
    return undefined;
  // The jobs blanked before the window are as the whole file's reading has them only if js-yaml
  // reads them (no key written twice) and none is named again in the window.
  if (start) {
    const head = readPlain(text.slice(0, from) + closers(text, from), file);
    if (!head) return undefined;
    for (const name of found.jobs) if (name !== firstKey(head) && head.jobAt.has(name)) return undefined;
  }
  problems.push({
    file,
    ...lineAndColumn(lines, readTo),
    path: '',
    message:
      'the file was read up to here: the syntax error above may break what follows it; fix it and validate again to check the rest',
  });
  return problems;
}

/**
 * The brackets open at `cut` that the rest of the file closes, closed as it
 * closes them (innermost first, with the characters it closes them with): the
 * reading then sees the file's own structure, and a bracket the file never
 * closes is reported as not closed, as in the whole file's reading.
 */
function closedLater(text: string, cut: number, errorAt: number): { closers: string; openedAfter: number } {
  const open: number[] = [];
  for (let i = nextMark(text, 0); i < cut; i = nextMark(text, skipText(text, i) + 1)) {
    const c = text[i];
    if (c === '{' || c === '[') open.push(i);
    else if ((c === '}' || c === ']') && open.length > 0) open.pop();
  }
  const openedAfter = open.find((at) => at > errorAt) ?? Infinity;
  let closers = '';
  let depth = 0;
  for (
    let i = nextMark(text, cut);
    i < text.length && open.length > 0;
    i = nextMark(text, skipText(text, i) + 1)
  ) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth > 0) depth--;
      else {
        open.pop();
        closers += c;
      }
    }
  }
  return { closers: closers === '' ? '' : '\n' + closers, openedAfter };
}

/**
 * Where the reading stops: the start of the line `bounds.lines` after the
 * error's, or on a long line (one-line JSON) at the first ',' outside quoted
 * text `bounds.chars` past the error (read from `from`, where a job's key
 * starts). Undefined when the file ends first.
 */
function cutAfter(text: string, errorAt: number, from: number, bounds: PrefixBounds): number | undefined {
  const eol = text.indexOf('\n', errorAt);
  if (eol >= 0 && eol - lineStart(text, errorAt) <= bounds.chars) {
    let at = eol + 1;
    for (let n = 1; n < bounds.lines && at > 0 && at < text.length; n++) at = text.indexOf('\n', at) + 1;
    return at > 0 && at < text.length ? at : undefined;
  }
  const past = errorAt + bounds.chars;
  for (let i = nextMark(text, from); i < text.length; i = nextMark(text, skipText(text, i) + 1))
    if (i >= past && text[i] === ',') return i;
  return undefined;
}

/** The first job of a file's `jobs` map: in the head and in the window both (it opens the map). */
function firstKey(file: PlainFile): string | undefined {
  for (const name of file.jobAt.keys()) return name;
  return undefined;
}
