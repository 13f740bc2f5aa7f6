// Parts of a file's text with what lies between them left out, for the
// `yaml` package to read around a syntax error (syntax-window.ts,
// syntax-prefix.ts), and the way back from a place in it to the file's line
// and column. Left-out lines are dropped, not kept as empty lines: the yaml
// package reads each line break, and a 100,000-job file has half a million.
import type { ConfigProblem } from './types.js';
import { lineAndColumn, lineStart, lineStarts } from './yaml-text.js';

export class CompactText {
  private readonly parts: string[] = [];
  private length = 0;
  /** Where each gap is in the compact text, and how many of the file's characters it stands for, summed. */
  private readonly gapAt: number[] = [];
  private readonly leftOut: number[] = [];

  constructor(private readonly source: string) {}

  /** Keeps the file's text from `from` to `to`. */
  keep(from: number, to: number): this {
    return this.add(this.source.slice(from, to));
  }

  /** Ends the text with text that is not the file's (brackets closed): its places are at or past the file's end. */
  append(text: string): this {
    const at = this.length;
    this.add(text);
    this.gapAt.push(at);
    this.leftOut.push(this.source.length - at);
    return this;
  }

  /**
   * Leaves out the file's text from `from` to `to`: whole lines go without a
   * trace; inside a line (entries of a flow map) a space stands for them.
   */
  skip(from: number, to: number): this {
    if (to <= from) return this;
    const wholeLines = lineStart(this.source, from) === from && lineStart(this.source, to) === to;
    const stand = wholeLines ? '' : ' ';
    this.gapAt.push(this.length);
    this.leftOut.push(this.total() + to - from - stand.length);
    return this.add(stand);
  }

  get text(): string {
    return this.parts.join('');
  }

  /** `problems`, found in this text, placed in the file (whose line starts are `fileLines`). */
  placeAll(problems: readonly ConfigProblem[], fileLines: readonly number[]): ConfigProblem[] {
    const lines = lineStarts(this.text);
    return problems.map((p) => {
      const at = (lines[p.line - 1] ?? 0) + p.column - 1;
      return { ...p, ...lineAndColumn(fileLines, this.fileOffset(at)) };
    });
  }

  /** The file's offset of offset `at` in this text. */
  fileOffset(at: number): number {
    let lo = 0;
    let hi = this.gapAt.length;
    // The gaps at or before `at`: the last of them says how much lies before it in the file.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.gapAt[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return at + (lo === 0 ? 0 : this.leftOut[lo - 1]!);
  }

  private total(): number {
    return this.leftOut.length === 0 ? 0 : this.leftOut[this.leftOut.length - 1]!;
  }

  private add(text: string): this {
    this.parts.push(text);
    this.length += text.length;
    return this;
  }
}
