// A problem as one clean line of text: a key or value copied from the file
// into a message may hold control characters (a stray carriage return, a
// tab, an escape sequence); printed raw they would garble the terminal or the
// journal line. They are shown escaped instead, as in a JSON string.
import type { ConfigProblem } from './types.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character escaped (\r, \n, \t, else \u00XX). */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function printableProblem(problem: ConfigProblem): ConfigProblem {
  return { ...problem, path: printable(problem.path), message: printable(problem.message) };
}
