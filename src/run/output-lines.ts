// Splits a job's stdout/stderr byte stream into lines with bounded memory:
// at most maxLineBytes of the current line are kept, the rest is counted and
// dropped, so a job that prints 100 MB without a newline costs 8 KiB here.

/** Longest line (in bytes, without the newline) logged whole. */
export const MAX_LINE_BYTES = 8 * 1024;

export class OutputLines {
  private readonly buf: Buffer;
  private len = 0;
  private dropped = 0;
  /** The current line was skipped (skip()): its remaining bytes are dropped up to its newline. */
  private skipping = false;
  /** Lines skipped whole by push() finishing a line that skip() had started dropping. */
  skippedLines = 0;

  /** `onLine` receives each complete line, without its "\n" (or "\r\n"). */
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes: number = MAX_LINE_BYTES,
  ) {
    this.buf = Buffer.alloc(maxLineBytes);
  }

  /** Bytes of the current, unfinished line held in memory (never more than maxLineBytes). */
  get bufferedBytes(): number {
    return this.len;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) return;
      this.skipping = false;
      this.skippedLines++;
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      this.append(chunk, start, nl);
      this.emit();
      start = nl + 1;
    }
    this.append(chunk, start, chunk.length);
  }

  /** Emits a trailing partial line, if any (call once the stream has ended). */
  flush(): void {
    if (this.skipping) {
      this.skipping = false;
      this.skippedLines++;
    } else if (this.len > 0 || this.dropped > 0) this.emit();
  }

  /**
   * Passes over `chunk` without emitting its lines (a log budget spent) and
   * returns how many lines it ended, the unfinished one included; the bytes
   * after its last newline start the next line as usual.
   */
  skip(chunk: Buffer): number {
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      if (chunk.length > 0 || this.len > 0 || this.dropped > 0) this.skipping = true;
      this.len = 0;
      this.dropped = 0;
      return 0;
    }
    let n = 0;
    for (let i = 0; i <= last; i++) if (chunk[i] === 0x0a) n++;
    this.skipping = false;
    this.len = 0;
    this.dropped = 0;
    this.append(chunk, last + 1, chunk.length);
    return n;
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    const room = this.maxLineBytes - this.len;
    const take = Math.min(room, n);
    if (take > 0) chunk.copy(this.buf, this.len, from, from + take);
    this.len += take;
    this.dropped += n - take;
  }

  private emit(): void {
    let end = this.len;
    let dropped = this.dropped;
    let line: string;
    if (dropped > 0) {
      // Do not cut a UTF-8 character in half: the cut bytes count as dropped.
      const cut = utf8Boundary(this.buf, end);
      dropped += end - cut;
      end = cut;
      line = `${this.buf.toString('utf8', 0, end)}…[truncated ${dropped} bytes]`;
    } else {
      if (end > 0 && this.buf[end - 1] === 0x0d) end--;
      line = this.buf.toString('utf8', 0, end);
    }
    this.len = 0;
    this.dropped = 0;
    this.onLine(line);
  }
}

/** The largest index <= end at which buf[0, index) does not end inside a multi-byte UTF-8 character. */
function utf8Boundary(buf: Buffer, end: number): number {
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > end ? i : end;
  }
  return end;
}
