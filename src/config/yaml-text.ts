// Scanning a YAML file's text by offset (for yaml-node-ranges.ts): blanks,
// line breaks and comments as the YAML grammar has them.

export const SPACE = 0x20;
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const HASH = 0x23;
export const BOM = 0xfeff;

/** The column (from 0) of offset `p`, a BOM not counted. */
export function indentation(text: string, p: number): number {
  const start = lineStart(text, p);
  return p - start - (start === 0 && text.charCodeAt(0) === BOM ? 1 : 0);
}

/** The start of the line `p` is on. */
export function lineStart(text: string, p: number): number {
  return text.lastIndexOf('\n', p - 1) + 1;
}

/** The offset at which each line starts ('\n' ends a line, as for the `yaml` package's positions). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Line and column (from 1) of `offset`, given the starts of the lines (lineStarts). */
export function lineAndColumn(starts: readonly number[], offset: number): { line: number; column: number } {
  // The last line starting at or before the offset (binary search).
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
}

/** The end of the line at `p`, before its `\r\n` or `\n`. */
export function lineEnd(text: string, p: number): number {
  let end = text.indexOf('\n', p);
  if (end < 0) end = text.length;
  return end > p && text.charCodeAt(end - 1) === CR ? end - 1 : end;
}

/** The start of the line after the one `p` is on; `p` itself if a line ends just before it (0: none). */
export function nextLine(text: string, p: number): number {
  return p > 0 && text.charCodeAt(p - 1) === LF ? p : text.indexOf('\n', p) + 1;
}

/** Whether the line starting at `p` holds nothing but blanks. */
export function isBlankLine(text: string, p: number): boolean {
  const c = text.charCodeAt(skipBlanks(text, p));
  return c === LF || c === CR;
}

export function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

/** Past spaces and tabs. */
export function skipBlanks(text: string, p: number): number {
  while (p < text.length) {
    const c = text.charCodeAt(p);
    if (c !== SPACE && c !== TAB) break;
    p++;
  }
  return p;
}

/** Past white space, line breaks, comments (and a BOM). */
export function skipSpace(text: string, p: number): number {
  while (p < text.length) {
    const c = text.charCodeAt(p);
    if (c === SPACE || c === TAB || c === LF || c === CR || c === BOM) p++;
    else if (c === HASH) {
      const eol = text.indexOf('\n', p);
      p = eol < 0 ? text.length : eol + 1;
    } else break;
  }
  return p;
}
