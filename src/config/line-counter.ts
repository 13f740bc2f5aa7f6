// Offsets in a config's text → line and column, for where a job is written.

/** Line and column (from 1) of offsets, asked for in increasing order: the text is scanned once. */
export class LineCounter {
  private line = 1;
  private lineStart = 0;
  /** The next line break at or after lineStart; -1 when there is none (a one-line JSON file). */
  private nextBreak: number;

  constructor(private readonly text: string) {
    this.nextBreak = text.indexOf('\n');
  }

  at(offset: number): { line: number; column: number } {
    if (offset < this.lineStart) {
      this.line = 1;
      this.lineStart = 0;
      this.nextBreak = this.text.indexOf('\n');
    }
    while (this.nextBreak >= 0 && this.nextBreak < offset) {
      this.line++;
      this.lineStart = this.nextBreak + 1;
      this.nextBreak = this.text.indexOf('\n', this.lineStart);
    }
    return { line: this.line, column: offset - this.lineStart + 1 };
  }
}
